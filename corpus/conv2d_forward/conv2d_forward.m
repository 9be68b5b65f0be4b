% A convolutional layer's forward pass on one image: each filter is convolved with the image
% ('valid', the filter turned 180 degrees so the layer computes a correlation, as deep-learning
% layers do), a bias added, then ReLU. A script: it runs in a workspace holding X (H-by-W),
% K (kh-by-kw-by-nf filters) and b (nf-by-1). Part of dlparity's coverage corpus.

[kh, kw, nf] = size(K);
Z = zeros(size(X, 1) - kh + 1, size(X, 2) - kw + 1, nf);
for k = 1:nf
  Z(:, :, k) = conv2(X, rot90(K(:, :, k), 2), 'valid') + b(k);
end
A = max(Z, 0);
