% DROPOUT_FORWARD  A training step's draws: seeded weights, a shuffled minibatch, a dropout mask, labels.
%   A script: the inputs X (d-by-N samples as columns), seed, h (hidden units), p (drop probability),
%   batch (minibatch size) and K (classes) are in the workspace. An example pair for dlparity (code
%   that draws random numbers inside the MATLAB), ours.

% Initialise the weights
rng(seed);
[d, N] = size(X);
W1 = 0.1 * randn(h, d);
b1 = zeros(h, 1);

% Shuffle, and take the first minibatch
idx = randperm(N);
Xb = X(:, idx(1:batch));

% Forward pass with inverted dropout
a1 = max(W1 * Xb + b1, 0);
mask = rand(size(a1)) > p;
a1d = a1 .* mask / (1 - p);

% Random labels for the minibatch
y = randi(K, 1, batch);
