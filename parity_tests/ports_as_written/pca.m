mu = mean(X, 1);
Xc = X - mu;
C = (Xc' * Xc) / (size(X, 1) - 1);
[V, D] = eig(C);
ev = diag(D);
total = sum(ev);
s = std(X, 0, 1);
