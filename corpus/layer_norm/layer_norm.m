% Layer normalisation of each row (one sample per row), then the learned scale and shift.
% A script: it runs in a workspace holding x (B-by-D), gamma and beta (1-by-D), epsilon.
% Part of dlparity's coverage corpus.

D = size(x, 2);
mu = mean(x, 2);
sigma2 = var(x, 1, 2);          % the population variance (normalised by D) along each row
xhat = (x - mu) ./ sqrt(sigma2 + epsilon);
y = gamma .* xhat + beta;
