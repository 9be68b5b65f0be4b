function a = ReLU(z)
% ReLU  Rectified linear unit, elementwise: a = max(0, z).
%   Our file, with the semantics of the upstream scripts (kapshaul/DeepLearning, Math/*.m):
%   max(0, z) keeps z's shape; a NaN in z would become 0 (inputs are checked finite first).
  a = max(0, z);
end
