% One k-means iteration: assign each point to its nearest centroid (squared distances expanded
% as |x|^2 + |c|^2 - 2 x.c), then move each centroid to the mean of its points (an empty cluster
% keeps its centroid). A script: it runs in a workspace holding X (N-by-D) and C (K-by-D).
% Part of dlparity's coverage corpus.

K = size(C, 1);
D2 = sum(X .^ 2, 2) + sum(C .^ 2, 2)' - 2 * X * C';
[dmin, idx] = min(D2, [], 2);
J = mean(dmin);
C_new = zeros(size(C));
counts = zeros(K, 1);
for k = 1:K
  members = X(idx == k, :);
  counts(k) = size(members, 1);
  if counts(k) > 0
    C_new(k, :) = mean(members, 1);
  else
    C_new(k, :) = C(k, :);
  end
end
