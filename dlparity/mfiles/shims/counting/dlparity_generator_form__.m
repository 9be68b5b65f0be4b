function out = dlparity_generator_form__ (fname, args)
% rand('state'|'twister'|'seed' [, s]) and randn's: Octave's own, except that in the stream mode 'seed'
% means the twister (the stream has no old generators). A query returns its value; a seeding returns none.
  global dlparity_random_mode__
  if strcmp (dlparity_random_mode__, 'stream') && strcmpi (args{1}, 'seed')
    args{1} = 'twister';
  end
  out = {};
  if numel (args) == 1
    out = {builtin(fname, args{:})};
  else
    builtin (fname, args{:});
  end
end
