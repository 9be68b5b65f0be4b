% A stable log-sum-exp of each column, and the log-probabilities it normalises.
% A script: it runs in a workspace holding x (K-by-B). Part of dlparity's coverage corpus.

m = max(x, [], 1);
s = sum(exp(x - m), 1);
lse = m + log(s);
logp = x - lse;
