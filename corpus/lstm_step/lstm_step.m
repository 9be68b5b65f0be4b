% One step of an LSTM cell on a batch: the four gates from one stacked pre-activation, then the
% new cell and hidden states. A script: it runs in a workspace holding x (D-by-B), h_prev and
% c_prev (Hn-by-B), Wx (4Hn-by-D), Wh (4Hn-by-Hn) and b (4Hn-by-1), gates stacked i, f, o, g.
% Part of dlparity's coverage corpus.

Hn = size(h_prev, 1);
z = Wx * x + Wh * h_prev + b;
ig = 1 ./ (1 + exp(-z(1:Hn, :)));
fg = 1 ./ (1 + exp(-z(Hn+1:2*Hn, :)));
og = 1 ./ (1 + exp(-z(2*Hn+1:3*Hn, :)));
gg = tanh(z(3*Hn+1:end, :));
c = fg .* c_prev + ig .* gg;
h = og .* tanh(c);
