function r = randi (bounds, varargin)
% dlparity's stream-mode randi: imin + floor(u * (imax - imin + 1)), one uniform per value, in MATLAB's
% call forms (randi(imax), randi(imax, n), randi([imin imax], m, n, ...), a trailing 'double').
  if ! (isnumeric (bounds) && any (numel (bounds) == [1 2]) && all (bounds == fix (bounds)))
    error ('randi: the bounds must be imax or [imin imax], whole numbers');
  end
  bounds = double (bounds);
  if isscalar (bounds)
    imin = 1; imax = bounds;
  else
    imin = bounds(1); imax = bounds(2);
  end
  if imax < imin
    error ('randi: imin must not exceed imax');
  end
  if ! isempty (varargin) && ischar (varargin{end})
    varargin(end) = [];
  end
  if isempty (varargin)
    dims = {1, 1};
  elseif numel (varargin) == 1 && isscalar (varargin{1})
    dims = {varargin{1}, varargin{1}};
  elseif numel (varargin) == 1
    dims = num2cell (varargin{1});
  else
    dims = varargin;
  end
  dims = cellfun (@(d) max (double (d), 0), dims, 'UniformOutput', false);
  n = prod ([dims{:}]);
  u = builtin ('rand', n, 1);
  dlparity_count_draws__ (1, n);
  r = reshape (imin + floor (u * (imax - imin + 1)), dims{:});
end
