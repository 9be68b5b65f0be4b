function p = randperm (varargin)
% dlparity's shim for randperm (put on the path by the harness for a run, removed after it): Octave's
% own randperm, which draws one uniform per entry returned, counted for the report.
  p = builtin ('randperm', varargin{:});
  dlparity_count_draws__ (1, numel (p));
end
