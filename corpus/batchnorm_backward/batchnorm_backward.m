% Batch normalisation, backward pass through the staged forward graph (the forward stages are
% recomputed first, as a layer's cache would hold them). A script: it runs in a workspace holding
% x (N-by-D), gamma (1-by-D), epsilon and dout (N-by-D, the gradient of the loss in the output).
% Part of dlparity's coverage corpus.

% Forward stages
N = size(x, 1);
mu = mean(x, 1);
xmu = x - mu;
sigma2 = mean(xmu .^ 2, 1);
sqrtvar = sqrt(sigma2 + epsilon);
ivar = 1 ./ sqrtvar;
xhat = xmu .* ivar;

% Backward, stage by stage
dbeta = sum(dout, 1);
dgamma = sum(dout .* xhat, 1);
dxhat = dout .* gamma;
divar = sum(dxhat .* xmu, 1);
dxmu1 = dxhat .* ivar;
dsqrtvar = -1 ./ (sqrtvar .^ 2) .* divar;
dsigma2 = 0.5 ./ sqrt(sigma2 + epsilon) .* dsqrtvar;
dsq = ones(N, size(x, 2)) / N .* dsigma2;
dxmu2 = 2 * xmu .* dsq;
dx1 = dxmu1 + dxmu2;
dmu = -sum(dxmu1 + dxmu2, 1);
dx2 = ones(N, size(x, 2)) / N .* dmu;
dx = dx1 + dx2;
