z = 1 ./ (1 + exp(-(Wz * x + Uz * h + bz)));
r = 1 ./ (1 + exp(-(Wr * x + Ur * h + br)));
hc = tanh(Wh * x + Uh * (r .* h) + bh);
hn = (1 - z) .* h + z .* hc;
