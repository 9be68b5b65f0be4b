c = cumsum([0; x]);
ma = (c(w+1:end) - c(1:end-w)) / w;
mx = max(x(:));
mn = mean(x(:));
sd = std(A, 0, 2);
[srt, ix] = sort(v);
tot = sum(A(:));
d = diff(x);
