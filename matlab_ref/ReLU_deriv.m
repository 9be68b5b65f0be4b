function d = ReLU_deriv(z)
% ReLU_deriv  Derivative of ReLU, elementwise: d = (z > 0), a LOGICAL array.
%   Our file, with the upstream semantics: the derivative at exactly 0 is taken as 0.
%   The result is logical; `v .* d` promotes it to double, so it acts as a 0/1 mask.
  d = z > 0;
end
