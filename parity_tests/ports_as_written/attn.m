d = size(Q, 2);
S = Q * K' / sqrt(d);
S = S - max(S, [], 2);
P = exp(S);
P = P ./ sum(P, 2);
O = P * V;
