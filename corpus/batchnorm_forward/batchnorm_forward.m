% Batch normalisation, training-time forward pass, in the staged form of the usual course notes.
% A script: it runs in a workspace holding x (N-by-D, one sample per row), gamma and beta
% (1-by-D), epsilon. Part of dlparity's coverage corpus.

N = size(x, 1);
mu = mean(x, 1);
xmu = x - mu;
sq = xmu .^ 2;
sigma2 = sum(sq, 1) / N;
sqrtvar = sqrt(sigma2 + epsilon);
ivar = 1 ./ sqrtvar;
xhat = xmu .* ivar;
gammax = gamma .* xhat;
out = gammax + beta;
