function varargout = randn (varargin)
% dlparity's shim for randn (put on the path by the harness for a run, removed after it): Octave's own
% randn, its draws counted for the report. In the stream mode 'seed' seeds the twister as 'state' does.
  if nargin >= 1 && ischar (varargin{1}) && any (strcmpi (varargin{1}, {'state', 'twister', 'seed'}))
    varargout = dlparity_generator_form__ ('randn', varargin);
    return;
  end
  varargout{1} = builtin ('randn', varargin{:});
  dlparity_count_draws__ (2, numel (varargout{1}));
end
