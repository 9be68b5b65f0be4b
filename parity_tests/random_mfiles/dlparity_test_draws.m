function [u, z, ri, rp, st] = dlparity_test_draws (form, seeds, n)
  % Draws after one seeding form, a column per seed: n uniforms, n normals (interleaved with the
  % uniforms, to test the separate states), n randi values over four ranges, n randperm entries, and
  % the rand and randn states at the end. Mirrored draw for draw by parity_tests/test_random.py.
  u = zeros (n, numel (seeds)); z = u; ri = u; rp = u; st = zeros (1250, numel (seeds));
  q = n / 4;
  for k = 1:numel (seeds)
    c = seeds(k);
    rand ('seed', 1); randn ('seed', 2); rand ('state', 3); randn ('state', 4);  % a known start
    switch form
      case 'state',    rand ('state', c); randn ('state', c + 1);
      case 'twister',  rand ('twister', c); randn ('twister', c + 1);
      case 'seed',     rand ('seed', c); randn ('seed', c + 1);
      case 'rng',      rng (c);
      case 'default',  rng ('default');
      case 'v5',       rng (c, 'v5uniform'); rng (c + 1, 'v5normal');
      case 'vector',   rand ('state', [c 7 c+3]); randn ('state', [1; c]);
      case 'rngsaved'
        rng (c); rand (1, 100); randn (1, 50); s = rng (); rand (1, 7); randn (2, 2); rng (s);
      case 'saved'
        rand ('state', c); rand (1, 1000); s = rand ('state'); rand (1, 50); rand ('state', s);
        randn ('state', c); randn (1, 999); s = randn ('state'); randn (3, 5); randn ('state', s);
    end
    a = rand (50, q / 50);        % column-major fill
    b = randn (q, 1);
    c2 = rand (1, q);
    d = randn (q / 100, 50, 2);
    e = rand (2 * q, 1);
    f = randn (2 * q, 1);
    u(:, k) = [a(:); c2(:); e(:)];
    z(:, k) = [b(:); d(:); f(:)];
    ri(:, k) = [randi(10, q, 1); randi([-5 5], 1, q)'; reshape(randi(2^40, q / 50, 50), [], 1); randi([7 7], q, 1)];
    rp(:, k) = [randperm(q), randperm(2 * q, q), randperm(q, 2 * q / 5), randperm(q, 3 * q / 5), randperm(q)]';
    st(:, k) = [rand('state'); randn('state')];
  end
end
