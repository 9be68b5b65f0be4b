function outs = dlparity_run_mfile(kind, file, cases, outnames, random)
% DLPARITY_RUN_MFILE  Run a user's MATLAB script or function file on many cases in one call.
%   outs = dlparity_run_mfile(kind, file, cases, outnames)      (dlparity's pair mode)
%
%   kind      'script': FILE runs in a fresh function workspace holding the case's inputs, and
%             every variable in that workspace afterwards comes back;
%             'function': FILE's function is called with the case's arguments in declared order,
%             and its declared outputs come back.
%   file      absolute path of the .m file; its folder is put first on the path for the call
%             (so the helper functions beside it are the ones found); the path is restored after.
%             For scripts, a cell array of paths runs them one after another in one workspace.
%   cases     cell array, one element per case: for a script a struct (input name -> value),
%             for a function a cell array of the arguments in declared order.
%   outnames  cell array of a function's declared output names ({} for a script).
%   random    (optional) struct('mode', 'octave' or 'stream', 'seeds', one per case): dlparity's random shims
%             (dlparity_add_random_shims) go on the path behind FILE's folder, every case starts from
%             dlparity_seed_case(seed, mode), and its draws come back as outs{c}.draws, [uniforms normals].
%   outs      cell array, one struct per case with fields 'values' (name -> value, numeric and
%             logical values only; logical ones sent as double), 'logical' (name -> 1 for those)
%             and 'skipped' (name -> class, for values that are neither).
%
%   An error in the user's code stops the run: outs is then one struct whose field 'error' is
%   'case C of K: <Octave's message> (FILE line L)'. (Returned, not raised: oct2py cannot format
%   an error whose stack holds a frame without a line number.)
  files = cellstr(file);
  [folder, name] = fileparts(files{1});
  saved = path();
  restore = onCleanup(@() path(saved));  % the path exactly as it was, even if FOLDER was on it already
  if nargin >= 5
    dlparity_add_random_shims(random.mode);  % behind FOLDER: the user's own rand.m ... stay theirs
  end
  addpath(folder);
  dlparity_forget_folder__(files);  % an edited .m beside it is read again, not the copy Octave parsed before
  if strcmp(kind, 'script')
    locals = dlparity_define_locals__(files);
    forget = onCleanup(@() dlparity_forget__(locals));  % cleared even if the script fails
  end
  outs = cell(1, numel(cases));
  for c = 1:numel(cases)
    try
      if nargin >= 5
        dlparity_seed_case(random.seeds(c), random.mode);
      end
      if strcmp(kind, 'script')
        got = dlparity_script_workspace__(files, cases{c});
      else
        args = cases{c};
        res = cell(1, numel(outnames));
        if isempty(outnames)
          feval(name, args{:});
        else
          [res{:}] = feval(name, args{:});
        end
        got = struct();
        for k = 1:numel(outnames)
          got.(outnames{k}) = res{k};
        end
      end
      outs{c} = dlparity_transportable__(got);
      if nargin >= 5
        outs{c}.draws = dlparity_draw_counts();
      end
    catch err
      where = '';
      for s = 1:numel(err.stack)
        if any(strcmp(err.stack(s).file, files)) && err.stack(s).line > 0
          [~, stem] = fileparts(err.stack(s).file);
          where = sprintf(' (%s.m line %d)', stem, err.stack(s).line);
          break;
        end
      end
      outs = {struct('error', sprintf('case %d of %d: %s%s', c, numel(cases), err.message, where))};
      return;
    end
  end
end

function dlparity_out__ = dlparity_script_workspace__(dlparity_files__, dlparity_in__)
  % A fresh function workspace: the inputs, then the script, then every variable left.
  dlparity_names__ = fieldnames(dlparity_in__);
  for dlparity_k__ = 1:numel(dlparity_names__)
    eval([dlparity_names__{dlparity_k__} ' = dlparity_in__.(dlparity_names__{dlparity_k__});']);
  end
  clear('dlparity_k__', 'dlparity_names__', 'dlparity_in__');
  for dlparity_k__ = 1:numel(dlparity_files__)
    source(dlparity_files__{dlparity_k__});
  end
  dlparity_vars__ = who();
  dlparity_out__ = struct();
  for dlparity_k__ = 1:numel(dlparity_vars__)
    dlparity_name__ = dlparity_vars__{dlparity_k__};
    if ~strncmp(dlparity_name__, 'dlparity_', 9) && ~strcmp(dlparity_name__, 'ans')
      dlparity_out__.(dlparity_name__) = eval(dlparity_name__);
    end
  end
end

function names = dlparity_define_locals__(files)
  % MATLAB lets a script call the local functions defined at its end; Octave 7 defines them only when the
  % script reaches them, so a call before that fails ('sq' undefined). Each one is defined first, as a
  % command-line function from the file's own text (cleared afterwards by dlparity_forget__); the script
  % itself still runs as written. A block that does not parse is left for the script's own run to report.
  names = {};
  for f = 1:numel(files)
    lines = strsplit(fileread(files{f}), "\n");
    starts = find(~cellfun(@isempty, regexp(lines, '^\s*function(?!\w)', 'once')));
    for s = 1:numel(starts)
      if s < numel(starts)
        stop = starts(s + 1) - 1;
      else
        stop = numel(lines);
      end
      tok = regexp(lines{starts(s)}, '^\s*function\s*(?:\[[^\]]*\]\s*=\s*|\w+\s*=\s*)?(\w+)', 'tokens', 'once');
      try
        eval(strjoin(lines(starts(s):stop), "\n"));
        names{end + 1} = tok{1};
      catch
      end
    end
  end
end

function dlparity_forget_folder__(files)
  % Octave parses a function file once and keeps it while the session lives: within one Python process (one
  % Octave), a function file or helper edited since its last call would otherwise run its old text, and a
  % check would pass on code that is gone. Clearing every function of the files' folders makes the next call
  % read them from disk.
  for f = 1:numel(files)
    listing = dir(fullfile(fileparts(files{f}), '*.m'));
    for k = 1:numel(listing)
      [~, stem] = fileparts(listing(k).name);
      clear('-f', stem);
    end
  end
end

function dlparity_forget__(names)
  for k = 1:numel(names)
    clear('-f', names{k});
  end
end

function out = dlparity_transportable__(got)
  % Numeric and logical values travel back; anything else (char, cell, struct, function handle)
  % is named with its class, so the report can list it as not compared.
  values = struct();
  logical_ = struct();
  skipped = struct();
  names = fieldnames(got);
  for k = 1:numel(names)
    v = got.(names{k});
    if islogical(v) && ~issparse(v)
      values.(names{k}) = double(v);  % a MAT file would carry it as uint8
      logical_.(names{k}) = 1;
    elseif isnumeric(v) && ~issparse(v)
      values.(names{k}) = v;
    else
      skipped.(names{k}) = class(v);
    end
  end
  out = struct('values', values, 'logical', logical_, 'skipped', skipped);
end
