function out = dlparity_counted__ (fname, which, args)
% What the shims rand and randn do: Octave's own FNAME on ARGS, its draws counted as uniforms (WHICH = 1) or
% normals (2). The generator forms FNAME('state'|'twister'|'seed' [, s]) are Octave's own too, except that in
% the stream mode 'seed' means the twister (the stream has no old generators); a query returns its value, a
% seeding none.
  global dlparity_random_mode__
  if numel (args) >= 1 && ischar (args{1}) && any (strcmpi (args{1}, {'state', 'twister', 'seed'}))
    if strcmp (dlparity_random_mode__, 'stream') && strcmpi (args{1}, 'seed')
      args{1} = 'twister';
    end
    out = {};
    if numel (args) == 1
      out = {builtin(fname, args{:})};
    else
      builtin (fname, args{:});
    end
    return;
  end
  out = {builtin(fname, args{:})};
  dlparity_count_draws__ (which, numel (out{1}));
end
