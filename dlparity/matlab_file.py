r"""What a user's ``.m`` file is, read without running it: script or function, its names, its statement lines.

The pair mode needs three things from the MATLAB side before Octave sees it: whether the file is
a **script** (run in a workspace holding the inputs; every variable it assigns comes back) or a
**function file** (called with the inputs matched to its declared argument names; its declared
outputs come back), the **statement order** in which variables are first assigned (the order of
the report), and the **line** of each assignment (quoted when that variable is the first to
diverge). This is a reader of MATLAB's statement structure, not a parser of its expressions:
comments (``%``, ``#``, block comments ``%{ ... %}`` and ``#{ ... #}``, nested), strings (``'it''s'``,
Octave's ``"a\"b"``), ``...`` continuations (the rest of such a line is a comment; a function
signature may be spread over several lines), and several statements on one line are handled;
``x = ...``, ``x(k) = ...`` (also ``x(x >= 0.5) = ...`` and ``x(end-1, :) = ...``: index expressions
are skipped bracket by bracket, so ``end`` inside them is an index, never a block's end), ``s.f = ...``,
``[a, b] = ...``, ``for k = ...`` and Octave's ``x += ...`` (``-=``, ``*=``, ``/=``, ``^=``) count as
assignments; Octave's ``!=``, ``!``, ``endfunction``, ``endif``, ``endwhile`` and ``endfor`` are read
as MATLAB's ``~=``, ``~`` and ``end``. A function file's first function is its entry (its body ends
where the next ``function`` line starts: its subfunctions are not its body); a script's local
functions, at its end, are not part of its workspace.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dlparity.validation import InputError

_IDENT = r"[A-Za-z]\w*"
_FUNCTION = re.compile(
    # 'function[out] = f(x)' (no space before '[') is a function line too: Octave and MATLAB read it so
    rf"^\s*function(?:\s+|(?=\[))(?:(?:\[(?P<outs>[^\]]*)\]|(?P<out>{_IDENT}))\s*=\s*)?(?P<name>{_IDENT})\s*(?:\((?P<args>[^)]*)\))?")
_NAME = re.compile(rf"\s*(?P<name>{_IDENT})")
_FIELD = re.compile(rf"\.\s*(?:{_IDENT}|(?=\())")  # s.f, or s.(expr) with the bracket scanned next
_MULTI = re.compile(r"^\s*\[(?P<names>[^\]]*)\]\s*=(?!=)")
_FOR = re.compile(rf"^\s*(?:par)?for\s*\(?\s*(?P<name>{_IDENT})\s*=")
_KEYWORDS = {"if", "elseif", "else", "end", "for", "parfor", "while", "switch", "case", "otherwise", "try",
             "catch", "function", "return", "break", "continue", "global", "persistent", "do", "until",
             "unwind_protect", "unwind_protect_cleanup", "end_unwind_protect", "endif", "endfor", "endwhile",
             "endfunction", "endswitch", "end_try_catch"}


@dataclass(frozen=True)
class Statement:
    """One statement: its 1-based line in the file and its text (continuations joined).

    ``file`` and ``source`` (the file's name and its first line as written, for quoting) are
    filled in by :func:`read_matlab_file`.
    """

    line: int
    text: str
    file: str = ""
    source: str = ""


@dataclass(frozen=True)
class MatlabFile:
    """A ``.m`` file read for the pair mode.

    Attributes
    ----------
    path : Path
        The file, resolved.
    kind : {'script', 'function'}
    name : str
        The function's name (function files) or the file's stem (scripts).
    arguments, outputs : tuple of str
        Declared input and output names of a function file (empty for a script).
    assigned : dict of str to Statement
        Each variable the file (the main function's body, for a function file) assigns, at its
        first assignment, in statement order.
    lines : tuple of str
        The file's lines, for quoting.
    parts : tuple of Path
        For several scripts run in one workspace, each of them in order (see :func:`read_matlab_files`).
    last : dict of str to Statement
        Each variable's last assignment in the file (the one a divergence quotes: an initialiser such as
        ``acc = zeros(n, 1)`` is rarely where a reassigned variable goes wrong).
    """

    path: Path
    kind: str
    name: str
    arguments: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    assigned: dict[str, Statement] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    parts: tuple[Path, ...] = ()
    last: dict[str, Statement] = field(default_factory=dict)

    @property
    def files(self) -> tuple[Path, ...]:
        """The scripts run in order (just ``path`` for a single file)."""
        return self.parts or (self.path,)

    def order(self) -> list[str]:
        """Names in the MATLAB side's statement order: a function's outputs follow its body."""
        if self.kind == "script":
            return list(self.assigned)
        body = [n for n in self.assigned if n in self.outputs]
        return body + [n for n in self.outputs if n not in body]

    def where(self, name: str) -> Statement | None:
        """The statement that first assigns ``name``, if the file has one."""
        return self.assigned.get(name)

    def last_assignment(self, name: str) -> Statement | None:
        """The statement that last assigns ``name`` (its first, where the file assigns it once)."""
        return self.last.get(name, self.assigned.get(name))


def _opens_string(ch: str, prev: str) -> bool:
    """A ``"`` always opens a string; a ``'`` does unless it follows a name, a closing bracket, a digit, a dot
    or another transpose (then it is MATLAB's transpose)."""
    return ch == '"' or (ch == "'" and not (prev.isalnum() or prev in "_)]}.'"))


def _string_end(line: str, k: int) -> int:
    """Index just past the string whose opening quote is at ``k`` (the line's end if it is never closed).

    A doubled quote is the quote itself (MATLAB and Octave); inside ``"..."`` a backslash escapes the next
    character (Octave's ``"a\"b"``).
    """
    quote, j = line[k], k + 1
    while j < len(line):
        if quote == '"' and line[j] == "\\":
            j += 2
            continue
        if line[j] == quote:
            if j + 1 < len(line) and line[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return len(line)


def _code_of(line: str) -> tuple[str, bool]:
    """(the code part of one line, whether it continues on the next).

    A ``%`` or ``#`` outside strings starts a comment; ``...`` outside strings continues the statement
    on the next line, and the rest of its line is a comment (MATLAB's rule).
    """
    prev, k = "", 0
    while k < len(line):
        ch = line[k]
        if _opens_string(ch, prev):
            k = _string_end(line, k)
            prev = ch
            continue
        if ch in "%#":
            return line[:k], False
        if line.startswith("...", k):
            return line[:k], True
        if not ch.isspace():
            prev = ch
        k += 1
    return line, False


def _outside_strings(code: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth after it) for each character of ``code`` from ``start`` outside strings
    (strings recognised as in :func:`_code_of`)."""
    depth, prev, k = 0, "", start
    while k < len(code):
        ch = code[k]
        if _opens_string(ch, prev):
            k = _string_end(code, k)
            prev = ch
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        yield k, ch, depth
        if not ch.isspace():
            prev = ch
        k += 1


def _split_statements(code: str) -> list[str]:
    """Split one logical line at ``;`` and ``,`` that are outside brackets and strings."""
    parts, start = [], 0
    for k, ch, depth in _outside_strings(code):
        if ch in ";," and depth == 0:
            parts.append(code[start:k])
            start = k + 1
    parts.append(code[start:])
    return [p for p in (p.strip() for p in parts) if p]


def statements(lines: list[str]) -> list[Statement]:
    """Every statement of ``lines`` with its first line number.

    Block comments are lines holding only ``%{`` (or ``#{``) up to a line holding only ``%}`` (``#}``),
    nested as MATLAB nests them; ``...`` joins a line to the next (a function signature may be spread
    over several lines so); ``;`` and ``,`` outside brackets separate statements on one line.
    """
    out: list[Statement] = []
    pending, first, depth = "", 0, 0
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped in ("%{", "#{"):
            depth += 1
            continue
        if depth:
            if stripped in ("%}", "#}"):
                depth -= 1
            continue
        code, continues = _code_of(raw)
        if not pending:
            first = number
        if continues:
            pending += code + " "
            continue
        code = pending + code
        pending = ""
        out.extend(Statement(first, part) for part in _split_statements(code))
    if pending.strip():  # a last line ending in '...'
        out.extend(Statement(first, part) for part in _split_statements(pending))
    return out


def _closing(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (strings and nesting skipped), or -1."""
    for k, ch, depth in _outside_strings(text, start):
        if ch in ")]}" and depth == 0:
            return k
    return -1


def _single_target(text: str) -> str | None:
    """The variable ``x = ...``, ``x(i) = ...``, ``x{i} = ...``, ``s.f(k).g = ...`` assigns, or None.

    Index expressions are skipped bracket by bracket, so a comparison inside them (``x(x >= 0.5) = 0.5``,
    MATLAB's masked assignment) is not mistaken for the ``=`` of the statement.
    """
    match = _NAME.match(text)
    if match is None:
        return None
    k, n = match.end(), len(text)
    while True:
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] in "({":
            close = _closing(text, k)
            if close < 0:
                return None
            k = close + 1
            continue
        field = _FIELD.match(text, k)
        if field is not None:
            k = field.end()
            continue
        break
    if k < n and text[k] in "+-*/^" and text.startswith("=", k + 1):  # Octave's x += 1, x(k) -= 1, x *= 2 ...
        return match.group("name")
    if text[k:].rstrip() in ("++", "--"):  # Octave's x++ and x-- as statements
        return match.group("name")
    if k < n and text[k] == "=" and not text.startswith("=", k + 1):
        return match.group("name")
    return None


def assigned_names(text: str) -> list[str]:
    """Variables one statement assigns (``[]`` for an expression or a command)."""
    for_match = _FOR.match(text)
    if for_match:
        return [for_match.group("name")]
    multi = _MULTI.match(text)
    if multi:
        names = re.split(r"[\s,]+", multi.group("names").strip())
        return [re.match(_IDENT, n).group(0) for n in names if n and n != "~" and re.match(_IDENT, n)]  # type: ignore[union-attr]
    single = _single_target(text)
    if single is not None and single not in _KEYWORDS:
        return [single]
    return []


_OPENERS = {"if", "for", "parfor", "while", "switch", "try", "do", "unwind_protect"}
_CLOSERS = {"end", "endif", "endfor", "endparfor", "endwhile", "endswitch", "end_try_catch", "until",
            "end_unwind_protect", "endfunction"}


def _block_word(text: str) -> str:
    """The statement's first word when it opens or closes a block (``if``, ``end``, ``function`` ...), else ''.

    Only a statement's first word counts: ``end`` inside an index (``x(end)``, ``y(end-1, :) = 0``)
    never does.
    """
    if _FUNCTION.match(text):
        return "function"
    word = re.match(r"[A-Za-z_]\w*", text)
    if word is None:
        return ""
    w = word.group(0)
    if w in _OPENERS or w in _CLOSERS:
        rest = text[word.end():].lstrip()
        if rest.startswith("=") and not rest.startswith("=="):  # 'do = 1' is an assignment in MATLAB
            return ""
        return w
    return ""


def entry_body(found: list[Statement]) -> list[Statement]:
    """The statements of a function file's first function (``found[0]`` is its ``function`` line).

    Its body ends at the ``end`` (``endfunction``) that closes it, or, in a file whose functions
    have no closing ``end``, where the next ``function`` line starts. Control blocks are counted so
    their ``end`` does not close the function; a nested function (which needs the closing ``end``
    style) is skipped with its body, and the entry's statements after it still count.
    """
    words = [_block_word(st.text) for st in found]
    opened = sum(w in _OPENERS or w == "function" for w in words)
    closed = sum(w in _CLOSERS for w in words)
    terminated = closed >= opened  # every function closed by an 'end' (MATLAB: all of a file's, or none)
    body: list[Statement] = []
    depth, nested = 0, 0  # control blocks open in the entry; depth of a nested function being skipped
    for st, w in zip(found[1:], words[1:], strict=True):
        if nested:
            nested += 1 if (w in _OPENERS or w == "function") else (-1 if w in _CLOSERS else 0)
            continue
        if w == "function":
            if not terminated:
                break  # the next function starts: the entry is over
            nested = 1
            continue
        if w in _CLOSERS:
            if depth == 0:
                break  # the entry's own end
            depth -= 1
        elif w in _OPENERS:
            depth += 1
        body.append(st)
    return body


def script_body(found: list[Statement]) -> list[Statement]:
    """A script's own statements, without the functions it defines.

    MATLAB puts a script's local functions at its end; Octave also defines them before the code that
    uses them (a script file opening with ``1;``, then ``function ... endfunction`` blocks, then the
    script). Functions closed by ``end`` (``endfunction``) are skipped with their bodies wherever they
    stand; in a file whose functions have no closing ``end``, the first ``function`` line ends the script.
    """
    words = [_block_word(st.text) for st in found]
    opened = sum(w in _OPENERS or w == "function" for w in words)
    terminated = sum(w in _CLOSERS for w in words) >= opened
    body: list[Statement] = []
    nested = 0  # depth inside a function being skipped
    for st, w in zip(found, words, strict=True):
        if nested:
            nested += 1 if (w in _OPENERS or w == "function") else (-1 if w in _CLOSERS else 0)
            continue
        if w == "function":
            if not terminated:
                break  # unterminated local functions run to the end of the file
            nested = 1
            continue
        body.append(st)
    return body


def read_matlab_file(path: str | Path, flag: str = "matlab") -> MatlabFile:
    """Read ``path`` as a script or a function file; one-sentence :class:`InputError` if it cannot be.

    Raises
    ------
    InputError
        The file is missing, not a ``.m`` file, unreadable, not UTF-8 text, empty, or declares a
        function whose name is not a valid MATLAB name.
    """
    p = Path(path)
    if p.suffix != ".m":
        raise InputError(f"{flag} {str(p)!r} is not a .m file; expected a MATLAB script or function file ending in .m.")
    if not p.is_file():
        raise InputError(f"{flag} {str(p)!r} does not exist or is not a file; expected a MATLAB .m file.")
    if not re.fullmatch(_IDENT, p.stem):
        raise InputError(f"{flag} {str(p)!r}: the file name {p.stem!r} is not a valid MATLAB name (a letter, then "
                         "letters, digits or underscores), so Octave cannot run it.")
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(f"{flag} {str(p)!r} could not be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise InputError(f"{flag} {str(p)!r} is not UTF-8 text; expected a MATLAB .m file.") from None
    lines = text.splitlines()
    found = [Statement(st.line, st.text, p.name, lines[st.line - 1].strip()) for st in statements(lines)]
    if not found:
        raise InputError(f"{flag} {str(p)!r} holds no MATLAB statements; expected a script or a function file.")
    head = _FUNCTION.match(found[0].text)
    if head is None:
        assigned: dict[str, Statement] = {}
        last: dict[str, Statement] = {}
        for st in script_body(found):
            for name in assigned_names(st.text):
                assigned.setdefault(name, st)
                last[name] = st
        return MatlabFile(p.resolve(), "script", p.stem, assigned=assigned, lines=tuple(lines), last=last)
    outs_text = head.group("outs") if head.group("outs") is not None else (head.group("out") or "")
    outputs = tuple(n for n in re.split(r"[\s,]+", outs_text.strip()) if n)
    arguments = tuple(n for n in re.split(r"[\s,]+", (head.group("args") or "").strip()) if n)
    body: dict[str, Statement] = {}
    last_in_body: dict[str, Statement] = {}
    for st in entry_body(found):
        for name in assigned_names(st.text):
            body.setdefault(name, st)
            last_in_body[name] = st
    return MatlabFile(p.resolve(), "function", head.group("name"), arguments, outputs, body, tuple(lines),
                      last=last_in_body)


def read_matlab_files(paths: str | Path | Sequence[str | Path], flag: str = "matlab") -> MatlabFile:
    """One file, or several scripts run one after another in one workspace (as upstream's Gradient.m runs
    its forward lines and then the section 1.2 block): their assignments in order, the first wins."""
    if isinstance(paths, (str, Path)):
        return read_matlab_file(paths, flag)
    files = [read_matlab_file(p, flag) for p in paths]
    if not files:
        raise InputError(f"{flag} is an empty list; expected a .m file, or several scripts to run in order.")
    if len(files) == 1:
        return files[0]
    functions = [f.path.name for f in files if f.kind != "script"]
    if functions:
        raise InputError(f"{flag} lists {len(files)} files, but {functions[0]} is a function file; only scripts can run "
                         "one after another in one workspace.")
    assigned: dict[str, Statement] = {}
    last: dict[str, Statement] = {}
    for f in files:
        for name, st in f.assigned.items():
            assigned.setdefault(name, st)
        last.update(f.last)  # a later script's assignment is the later one
    return MatlabFile(files[0].path, "script", "+".join(f.name for f in files), assigned=assigned,
                      lines=files[0].lines, parts=tuple(f.path for f in files), last=last)
