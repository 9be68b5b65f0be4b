h = max(W1 * X + b1, 0);
o = W2 * h + b2;
L = sum(sum(o .^ 2)) / size(X, 2);
n = norm(W1, 'fro');
