function dlparity_seed_case (seed, mode)
% DLPARITY_SEED_CASE  Put Octave's generators where dlparity.random.seed_case(seed) puts the twin's.
%   dlparity_seed_case(seed, mode): rand('seed', s); randn('seed', s); rand('state', s); randn('state', s)
%   with s = seed (Octave's own functions, whatever shims are on the path), the draw counts set to zero,
%   and the case's seed and the mode ('octave' or 'stream') kept for the shims (rng('shuffle') in the stream).
  global dlparity_draws__ dlparity_case_seed__ dlparity_random_mode__
  builtin ('rand', 'seed', seed);
  builtin ('randn', 'seed', seed);
  builtin ('rand', 'state', seed);
  builtin ('randn', 'state', seed);
  dlparity_draws__ = [0 0];
  dlparity_case_seed__ = seed;
  dlparity_random_mode__ = mode;
end
