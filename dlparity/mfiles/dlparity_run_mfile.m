function [reply, bytes] = dlparity_run_mfile(kind, file, cases, words, outnames, folders, random)
% DLPARITY_RUN_MFILE  Run a user's MATLAB script or function file on many cases in one call.
%   [reply, bytes] = dlparity_run_mfile(kind, file, cases, words, outnames)      (dlparity's pair mode)
%   [reply, bytes] = dlparity_run_mfile(kind, file, cases, words, outnames, folders)
%   [reply, bytes] = dlparity_run_mfile(kind, file, cases, words, outnames, folders, random)
%
%   kind      'script': FILE runs in a fresh function workspace holding the case's inputs, and
%             every variable in that workspace afterwards comes back;
%             'function': FILE's function is called with the case's arguments in declared order,
%             and its declared outputs come back.
%   file      absolute path of the .m file; its folder is put first on the path for the call
%             (so the helper functions beside it are the ones found); the path is restored after.
%             For scripts, a cell array of paths runs them one after another in one workspace.
%   cases     wire text (dlparity/wire.py) of a 1xK cell, one element per case: for a script a
%             struct (input name -> value), for a function a cell of the arguments in declared order;
%   words     its leaves' bytes as a column of 32-bit words held in doubles.
%   outnames  cell array of a function's declared output names ({} for a script).
%   folders   optional cell array of absolute folder paths (a toolbox's util/ beside NN/), put on the
%             path for the call after FILE's folder, in the order given; the path is restored after.
%   random    (optional) struct('mode', 'octave' or 'stream', 'seeds', one per case): dlparity's random shims
%             (dlparity_add_random_shims) go on the path behind FILE's folder, every case starts from
%             dlparity_seed_case(seed, mode), and reply's struct gets a field 'draws': per case (a row)
%             [uniforms normals] drawn.
%   reply     wire text of struct('results', {outs}): outs a 1xK cell, one struct per case (variable
%             or output name -> value, every class, nested to any depth; what has no wire form, such
%             as a function handle, comes back as its class only); bytes, its leaves' bytes (uint8).
%
%   An error in the user's code stops the run: reply is then the wire text of a struct whose field
%   'error' is 'case C of K: <Octave's message> (FILE line L)'. (Returned, not raised: oct2py cannot
%   format an error whose stack holds a frame without a line number.)
  cases = dlparity_wire_decode__(cases, words);
  files = cellstr(file);
  [folder, name] = fileparts(files{1});
  if nargin < 6 || isempty(folders)  % none, or an empty list when only RANDOM is given
    folders = {};
  end
  folders = cellstr(folders);
  saved = path();
  restore = onCleanup(@() path(saved));  % the path exactly as it was, even if FOLDER was on it already
  if nargin >= 7
    dlparity_add_random_shims(random.mode);  % behind FOLDER and FOLDERS: the user's own rand.m ... stay theirs
  end
  if ~isempty(folders)
    addpath(folders{:});  % in the order given, behind FILE's folder (added last, so first)
  end
  addpath(folder);
  % an edited .m beside it, or in FOLDERS, is read again, not the copy Octave parsed before
  dlparity_forget_folders__([cellfun(@fileparts, files(:), 'UniformOutput', false); folders(:)]);
  if strcmp(kind, 'script')
    locals = dlparity_define_locals__(files);
    forget = onCleanup(@() dlparity_forget__(locals));  % cleared even if the script fails
  end
  outs = cell(1, numel(cases));
  draws = zeros(numel(cases), 2);
  for c = 1:numel(cases)
    try
      if nargin >= 7
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
      outs{c} = got;
      if nargin >= 7
        draws(c, :) = dlparity_draw_counts();
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
      [reply, bytes] = dlparity_wire_encode__(struct('error', sprintf('case %d of %d: %s%s', c, numel(cases), ...
                                                             err.message, where)));
      return;
    end
  end
  if nargin >= 7
    [reply, bytes] = dlparity_wire_encode__(struct('results', {outs}, 'draws', draws));
  else
    [reply, bytes] = dlparity_wire_encode__(struct('results', {outs}));
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

function dlparity_forget_folders__(folders)
  % Octave parses a function file once and keeps it while the session lives: within one Python process (one
  % Octave), a function file or helper edited since its last call would otherwise run its old text, and a
  % check would pass on code that is gone. Clearing every function of the folders makes the next call read
  % them from disk.
  for f = 1:numel(folders)
    listing = dir(fullfile(folders{f}, '*.m'));
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

% -- the wire (dlparity/wire.py says the format): one line of text per node, the bytes in one base64 blob --

function [text, blob] = dlparity_wire_encode__(value)
  [lines, parts] = dlparity_wire_put__(value);
  blob = vertcat(zeros(0, 1, 'uint8'), parts{:});
  text = strjoin([{sprintf('%d', numel(blob))}, lines], "\n");
end

function [lines, parts] = dlparity_wire_put__(v)
  % The node's lines and byte parts, then its children's (each child's own, joined once: a cell of n
  % elements costs O(n), where appending to one shared list would copy it at every call).
  dims = sprintf(' %d', size(v));
  dims = sprintf('%d%s', ndims(v), dims);
  if isstruct(v)
    names = fieldnames(v);
    head = strtrim(sprintf('S %s %d%s', dims, numel(names), sprintf(' %s', names{:})));
    kids = cell(numel(names), numel(v));
    for e = 1:numel(v)
      for f = 1:numel(names)
        kids{f, e} = v(e).(names{f});
      end
    end
    [lines, parts] = dlparity_wire_children__(head, kids(:));
  elseif iscell(v)
    [lines, parts] = dlparity_wire_children__(['L ' dims], v(:));
  elseif ischar(v)
    lines = {['C ' dims]};
    parts = {uint8(v(:))};
  elseif islogical(v) && ~issparse(v)
    lines = {['N logical ' dims]};
    parts = {uint8(v(:))};
  elseif isnumeric(v) && ~issparse(v) && ~isobject(v) && (isreal(v) || isfloat(v))
    if isreal(v)
      lines = {['N ' class(v) ' ' dims]};
      parts = {dlparity_wire_bytes__(v(:))};
    else
      lines = {['N ' class(v) ' ' dims ' c']};
      parts = {dlparity_wire_bytes__(real(v(:))), dlparity_wire_bytes__(imag(v(:)))};
    end
  elseif issparse(v)
    lines = {['O sparse ' class(v)]};
    parts = {};
  elseif isnumeric(v)
    lines = {['O complex ' class(v)]};
    parts = {};
  else
    lines = {['O ' class(v)]};
    parts = {};
  end
end

function [lines, parts] = dlparity_wire_children__(head, kids)
  all_lines = cell(1, numel(kids));
  all_parts = cell(1, numel(kids));
  for k = 1:numel(kids)
    [all_lines{k}, all_parts{k}] = dlparity_wire_put__(kids{k});
  end
  lines = [{head}, all_lines{:}];
  parts = [all_parts{:}];
end

function b = dlparity_wire_bytes__(column)
  if isempty(column)
    b = zeros(0, 1, 'uint8');
  else
    b = typecast(column, 'uint8');
    b = b(:);
  end
end

function value = dlparity_wire_decode__(text, words)
  lines = strsplit(text, "\n");
  if isempty(words)
    blob = zeros(0, 1, 'uint8');
  else
    blob = typecast(uint32(words(:)), 'uint8');  % little-endian words, as dlparity/wire.py wrote them
  end
  blob = blob(1:str2double(lines{1}));
  [value, ~, ~] = dlparity_wire_get__(lines, 2, blob, 0);
end

function [v, k, at] = dlparity_wire_get__(lines, k, blob, at)
  words = strsplit(lines{k}, ' ');
  k = k + 1;
  if words{1} == 'N'
    cls = words{2};
    nd = str2double(words{3});
    dims = str2double(words(4:3 + nd));
    n = prod(dims);
    if strcmp(cls, 'logical')
      v = reshape(logical(blob(at + 1:at + n)), dims);
      at = at + n;
      return;
    end
    width = numel(typecast(zeros(1, 1, cls), 'uint8'));
    re = dlparity_wire_cast__(blob(at + 1:at + n * width), cls, n);
    at = at + n * width;
    if numel(words) > 3 + nd  % 'c': complex, the imaginary parts follow
      im = dlparity_wire_cast__(blob(at + 1:at + n * width), cls, n);
      at = at + n * width;
      re = complex(re, im);
    end
    v = reshape(re, dims);
    return;
  end
  nd = str2double(words{2});
  dims = str2double(words(3:2 + nd));
  n = prod(dims);
  switch words{1}
    case 'C'
      v = reshape(char(blob(at + 1:at + n)), dims);
      at = at + n;
    case 'L'
      v = cell(dims);
      for e = 1:n
        [v{e}, k, at] = dlparity_wire_get__(lines, k, blob, at);
      end
    case 'S'
      names = words(4 + nd:end);
      if isempty(names)
        v = repmat(struct(), dims);
      else
        args = [names; repmat({cell(dims)}, 1, numel(names))];
        v = struct(args{:});
      end
      for e = 1:n
        for f = 1:numel(names)
          [v(e).(names{f}), k, at] = dlparity_wire_get__(lines, k, blob, at);
        end
      end
    otherwise
      error('dlparity:wire', 'dlparity_run_mfile: a value of kind %s cannot be sent to Octave', words{1});
  end
end

function v = dlparity_wire_cast__(bytes, cls, n)
  if n == 0
    v = zeros(0, 1, cls);
  else
    v = typecast(bytes(:), cls);
  end
end
