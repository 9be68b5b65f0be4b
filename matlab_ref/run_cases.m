function outs = run_cases(form, groups)
% RUN_CASES  Run one block on many cases in one call, so the Python-Octave round trip is paid once.
%   outs = run_cases(form, groups)
%
%   groups  cell array of structs, one per group of cases that share every shape and the
%           same i and batch_size. Each field stacks that group's K cases along dimension 3:
%           X N-by-d-by-K, y N-by-1-by-K, W1 h1-by-d-by-K, b1 h1-by-1-by-K, W2, b2, W3, b3
%           likewise; i and batch_size are scalars (shared by the group).
%   outs    cell array, one struct per group; each field is a variable run_block returns,
%           stacked along dimension 3 in the order of the group's cases.
%
%   Stacking keeps the MAT-file exchange to a few large arrays: sending one struct per case
%   costs about 1 ms each in scipy.io.savemat alone.
  outs = cell(1, numel(groups));
  for g = 1:numel(groups)
    G = groups{g};
    K = size(G.X, 3);
    out = struct();
    for c = 1:K
      try
        one = run_block(form, G.X(:, :, c), G.y(:, :, c), G.W1(:, :, c), G.b1(:, :, c), ...
                        G.W2(:, :, c), G.b2(:, :, c), G.W3(:, :, c), G.b3(:, :, c), G.i, G.batch_size);
      catch err
        error('dlparity:case', 'group %d, case %d of %d (form %s): %s', g, c, K, form, err.message);
      end
      names = fieldnames(one);
      for n = 1:numel(names)
        v = one.(names{n});
        if c == 1
          out.(names{n}) = zeros(size(v, 1), size(v, 2), K);
        end
        out.(names{n})(:, :, c) = v;
      end
    end
    outs{g} = out;
  end
end
