% Standardise each column of X (MATLAB's std: normalised by N - 1) and clip a gradient to a largest
% norm. A script: it runs in a workspace holding X (N-by-D), g (n-by-1) and maxnorm.
% Part of dlparity's coverage corpus.

mu = mean(X, 1);
sigma = std(X, 0, 1);
Z = (X - mu) ./ sigma;

gnorm = norm(g);
scale = min(1, maxnorm / gnorm);
g_clipped = g * scale;
