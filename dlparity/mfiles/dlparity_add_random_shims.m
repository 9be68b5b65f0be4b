function dlparity_add_random_shims (mode)
% DLPARITY_ADD_RANDOM_SHIMS  Put dlparity's random shims at the front of the path for a run in MODE.
%   'octave': shims/counting (rand, randn, randperm: Octave's own, their draws counted);
%   'stream': shims/stream (randi, rng: the documented stream's) in front of shims/counting.
%   The caller restores the path afterwards (dlparity_run_mfile does, with onCleanup) and adds the
%   user's folder after this, in front of the shims, so the user's own rand.m ... stay theirs.
  here = fileparts (mfilename ('fullpath'));
  folders = {fullfile(here, 'shims', 'counting')};
  if strcmp (mode, 'stream')
    folders = [{fullfile(here, 'shims', 'stream')}, folders];
  end
  was = warning ('off', 'Octave:shadowed-function');  % shadowing rand is the point
  addpath (folders{:});
  warning (was);
end
