% One Adam step on a weight matrix (Kingma and Ba, Algorithm 1). A script: it runs in a workspace
% holding theta, g, m, v (same shape), alpha, beta1, beta2, epsilon and the step count t.
% Part of dlparity's coverage corpus.

m = beta1 * m + (1 - beta1) * g;
v = beta2 * v + (1 - beta2) * g .^ 2;
mhat = m / (1 - beta1 ^ t);
vhat = v / (1 - beta2 ^ t);
theta = theta - alpha * mhat ./ (sqrt(vhat) + epsilon);
