% 2-by-2 max pooling with stride 2, and its backward pass: each output's gradient goes to the
% entry of its window that was the maximum. A script: it runs in a workspace holding X (H-by-W,
% H and W even) and dY (H/2-by-W/2, the gradient in Y). Part of dlparity's coverage corpus.

[H, W] = size(X);
Y = zeros(H / 2, W / 2);
dX = zeros(H, W);
for j = 1:W / 2
  for i = 1:H / 2
    patch = X(2*i-1:2*i, 2*j-1:2*j);
    [Y(i, j), idx] = max(patch(:));
    [r, c] = ind2sub([2, 2], idx);
    dX(2*i-2+r, 2*j-2+c) = dY(i, j);
  end
end
