rng(seed);
W = 0.1 * randn(k, d);
for ep = 1:2
  idx = randperm(N);
  for s = 1:B:N
    bi = idx(s:min(s+B-1, N));
    Xb = X(bi, :);
    Yb = Y(bi, :);
    G = (Xb * W' - Yb)' * Xb / numel(bi);
    W = W - lr * (G + wd * W);
  end
end
