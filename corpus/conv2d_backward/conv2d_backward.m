% A convolutional layer's backward pass on one image (the layer of conv2d_forward.m, before its
% ReLU): gradients in the filters, the biases and the image. A script: it runs in a workspace
% holding X (H-by-W), K (kh-by-kw-by-nf) and dZ (the gradient in Z, (H-kh+1)-by-(W-kw+1)-by-nf).
% Part of dlparity's coverage corpus.

[kh, kw, nf] = size(K);
dK = zeros(kh, kw, nf);
db = zeros(nf, 1);
dX = zeros(size(X));
for k = 1:nf
  dK(:, :, k) = conv2(X, rot90(dZ(:, :, k), 2), 'valid');
  db(k) = sum(sum(dZ(:, :, k)));
  dX = dX + conv2(dZ(:, :, k), K(:, :, k), 'full');
end
