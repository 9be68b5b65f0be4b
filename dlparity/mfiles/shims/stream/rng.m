function varargout = rng (varargin)
% dlparity's stream-mode rng: rng(seed) and rng(seed, any generator name) seed both twisters with seed;
% rng('default') with 0; rng('shuffle') with the case's seed; rng(s) restores what rng() returned.
  global dlparity_case_seed__
  s = struct ('Type', 'twister', 'Seed', 'Not applicable', 'State', {{builtin('rand', 'state'), builtin('randn', 'state')}});
  if nargout > 0 || nargin == 0
    varargout{1} = s;
  end
  if nargin == 0
    return;
  end
  arg = varargin{1};
  if isstruct (arg)
    state = arg.State;
    if iscell (state)
      builtin ('rand', 'state', state{1}); builtin ('randn', 'state', state{2});
    else
      builtin ('rand', 'state', state); builtin ('randn', 'state', state);
    end
    return;
  end
  if ischar (arg) && strcmpi (arg, 'default')
    seed = 0;
  elseif ischar (arg) && strcmpi (arg, 'shuffle')
    seed = dlparity_case_seed__;
  elseif isnumeric (arg) && isscalar (arg) && isreal (arg) && arg >= 0 && arg == fix (arg)
    seed = double (arg);
  else
    error ('rng: the seed must be a whole number >= 0, ''default'', ''shuffle'' or what rng() returned');
  end
  builtin ('rand', 'twister', seed);
  builtin ('randn', 'twister', seed);
end
