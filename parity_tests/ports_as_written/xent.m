m = max(Z, [], 1);
lse = m + log(sum(exp(Z - m), 1));
logp = Z - lse;
Y = zeros(size(Z));
for i = 1:size(Z, 2)
  Y(y(i), i) = 1;
end
J = -mean(sum(Y .* logp, 1));
