function varargout = rand (varargin)
% dlparity's shim for rand, on the path only while the harness runs a pair: Octave's own rand, its draws
% counted for the report (dlparity_counted__).
  varargout = dlparity_counted__ ('rand', 1, varargin);
end
