% Smooth a signal with a filter (MATLAB's conv, the central part the size of the signal), and the
% energy of what the filter removed. A script: it runs in a workspace holding x (n-by-1) and an
% odd-length filter k (m-by-1, m <= n). Part of dlparity's coverage corpus.

y = conv(x, k, 'same');
r = x - y;
energy = sum(r .^ 2);
