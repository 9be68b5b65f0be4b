% A vanilla RNN run over a sequence: each step's hidden state written into a preallocated H.
% A script: it runs in a workspace holding X (D-by-T, one column per step), h0 (Hn-by-1),
% Wx (Hn-by-D), Wh (Hn-by-Hn) and b (Hn-by-1). Part of dlparity's coverage corpus.

[D, T] = size(X);
Hn = size(h0, 1);
H = zeros(Hn, T);
h = h0;
for t = 1:T
  h = tanh(Wx * X(:, t) + Wh * h + b);
  H(:, t) = h;
end
