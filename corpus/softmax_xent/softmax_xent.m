% Softmax of each column, the mean cross-entropy against integer labels, and its gradient in z.
% A script: it runs in a workspace holding z (K-by-B scores, one column per sample) and
% y (B-by-1 labels in 1..K, as doubles). Part of dlparity's coverage corpus (corpus/README.md).

[K, B] = size(z);

% Softmax, shifted by each column's maximum so exp cannot overflow
m = max(z, [], 1);
e = exp(z - m);
p = e ./ sum(e, 1);

% Mean cross-entropy: the probability of each sample's own label
idx = sub2ind([K, B], y', 1:B);
loss = -sum(log(p(idx))) / B;

% Gradient: p minus the one-hot targets, over the batch
Y = zeros(K, B);
Y(idx) = 1;
dz = (p - Y) / B;
