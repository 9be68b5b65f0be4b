% A 'valid' 2-D correlation written the im2col way: every window of X, read column-major, becomes
% one column of cols; the filter, read column-major, times cols gives all outputs at once,
% reshaped column-major into the output image. A script: it runs in a workspace holding X (H-by-W)
% and K (kh-by-kw). Part of dlparity's coverage corpus.

[H, W] = size(X);
[kh, kw] = size(K);
Ho = H - kh + 1;
Wo = W - kw + 1;
cols = zeros(kh * kw, Ho * Wo);
for j = 1:Wo
  for i = 1:Ho
    patch = X(i:i+kh-1, j:j+kw-1);
    cols(:, (j-1)*Ho + i) = patch(:);
  end
end
y = K(:)' * cols;
Y = reshape(y, Ho, Wo);
