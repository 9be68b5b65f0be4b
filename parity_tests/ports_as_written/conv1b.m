y = conv(x, k, 'valid');
g = 2 * (y - t);
dk = conv(x, fliplr(g), 'valid');
dk = fliplr(dk);
dx = conv(g, fliplr(fliplr(k)), 'full');
loss = sum((y - t) .^ 2);
