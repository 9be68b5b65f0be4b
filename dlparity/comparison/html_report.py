r"""The parity report a porter can open: the ``.m`` and its twin side by side, each variable's verdict on its line.

One self-contained HTML file (inline styles and script, a Content-Security-Policy that forbids
every fetch, so it opens from disk with no network). It holds

- a header: the pair, where the Octave numbers came from (live or stored, version), where the
  tolerance came from, the cases and the verdict;
- the MATLAB and the Python side by side, **aligned** so that each variable's MATLAB assignment
  sits beside its Python assignment (:func:`align`), every line of both files shown in place;
  on each assigning line a text badge (``ok`` / ``MISMATCH``) with the largest
  :math:`\max|\Delta| / \text{tolerance}` over the cases; the first divergence highlighted and
  marked in words;
- one ``<details>`` per variable with a table per case (shape, max :math:`|\Delta|`, max relative
  :math:`|\Delta|`, ULP, tolerance, the worst entry with both values) and, for a 2-D array, a
  heatmap of :math:`|\Delta| / \text{tolerance}` over its entries (at most 32 x 32 cells: larger
  arrays are shown block by block, each cell the largest ratio of its block, so a mismatch never
  hides); struct and cell leaves (``nn.W{1}``) sit under their top-level name;
- the names only one side produced, the values not compared, the complex ones;
- the functions the pair calls (``sigmoid_deriv.m`` beside the twin's ``sigmoid_deriv``), side by
  side too: a slip inside one shows first in the variable whose line calls it.

Verdicts, alignment and tables are plain HTML (``<details>`` opens without JavaScript); the script
only opens a variable's table when its badge is followed, scrolls the first divergence into view
and opens every table for printing. Arrays are summarised, never dumped: 20 variables x 10 cases
of 200 x 300 arrays stay well under 1 MB (``parity_tests/test_html_report.py`` measures it).

:func:`parity_html` renders a :class:`~dlparity.comparison.pair.ParityResult` (any pair);
:func:`section1_html` renders the document's two blocks (``dlparity compare`` without ``--matlab``).
"""

from __future__ import annotations

import html
import inspect
import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.loading import python_lines
from dlparity.comparison.report import root_of
from dlparity.fileio import write_atomic
from dlparity.matlab_file import MatlabFile, read_matlab_files, statements

if TYPE_CHECKING:
    from dlparity.comparison.report import ParityResult
    from dlparity.comparison.section1 import CaseResult

Array = NDArray[np.float64]

#: Largest heatmap side, in cells: a larger array is shown in blocks (each cell its block's largest ratio).
HEATMAP_CELLS = 32
#: Most functions the pair calls (``sigmoid_deriv.m`` beside the twin's ``sigmoid_deriv``) shown after it.
CALLED_SHOWN = 12
#: Entries listed under a heatmap, largest |Δ|/tolerance first (the text a heatmap's colours stand for).
WORST_LISTED = 5

#: Heatmap colour classes: upper edge of |Δ|/tolerance for each, and its text. Blues within tolerance,
#: orange to dark red beyond it; cells beyond it are also struck through, so colour is not the only carrier.
_LEVELS: tuple[tuple[float, str, str], ...] = (
    (1e-3, "#eef3fb", "≤ 0.001"), (1e-2, "#c6dbef", "0.001 to 0.01"), (1e-1, "#6baed6", "0.01 to 0.1"),
    (1.0, "#2171b5", "0.1 to 1"), (10.0, "#fdae6b", "1 to 10 (beyond)"), (1e3, "#e6550d", "10 to 1000 (beyond)"),
    (math.inf, "#7f0000", "> 1000 or not finite (beyond)"),
)


# -- the model: what a report shows, whichever mode made it -----------------------------------------

@dataclass(frozen=True)
class Line:
    """One line of a source file as shown: the file's name, its 1-based number, its text."""

    file: str
    number: int
    text: str

    @property
    def key(self) -> tuple[str, int]:
        return (self.file, self.number)


@dataclass
class Variable:
    """One compared name: its report in every case, and the |Δ|/tolerance of its worst case entry by entry."""

    name: str
    reports: list[QuantityReport]
    ratios: Array | None = None  # 2-D arrays only, the worst case's
    sources: dict[str, str] = field(default_factory=dict)  # case -> where its tolerance came from

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def worst(self) -> QuantityReport:
        return max(self.reports, key=lambda r: (not r.ok, _ratio(r)))


@dataclass
class Pane:
    """One side-by-side view: the MATLAB file(s), the Python twin's source, and the variables they compare."""

    title: str
    matlab: list[Line]
    python: list[Line]
    python_label: str
    matlab_at: dict[str, tuple[str, int]]  # name -> (file, line) of its last MATLAB assignment
    python_at: dict[str, tuple[str, int]]  # name -> (file, line) of its last Python assignment
    variables: list[Variable]  # in the MATLAB side's statement order
    listed: dict[str, str] = field(default_factory=dict)  # name -> why it is not compared (one side only, ...)
    head: tuple[tuple[str, int], tuple[str, int]] | None = None  # a function file's 'function' line and the 'def'


@dataclass
class First:
    """The first divergence: which pane, which name, in which case, and why."""

    pane: int
    name: str
    case: str
    reason: str
    matlab_at: tuple[str, int] | None = None  # (file, line) of the MATLAB line it is quoted at
    python_at: tuple[str, int] | None = None  # (file, line) of the Python line


@dataclass
class View:
    """Everything one report shows."""

    title: str
    header: list[tuple[str, str]]  # (label, text)
    ok: bool
    verdict: str  # the verdict in a sentence
    panes: list[Pane]
    first: First | None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (heading, text) listed after the variables
    extra: list[tuple[str, list[QuantityReport]]] = field(default_factory=list)  # further tables (cross-checks)
    status: str = ""  # the verdict in a word or two: "ok", "MISMATCH", "NOT CHECKED", "NOTHING COMPARED"


# -- building the model ---------------------------------------------------------------------------------

def ratio_map(gold: Any, mine: Any, tolerance: Any) -> Array | None:
    r""":math:`|\text{gold} - \text{mine}| / \text{tolerance}` entry by entry, as :func:`compare_quantity` judges it.

    0/0 counts as 0, x/0 as inf, and an entry not finite on either side as inf. None unless both
    sides are real 2-D arrays of one shape (what a heatmap can show).
    """
    try:
        g = np.asarray(gold, dtype=np.float64)
        m = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if m.ndim == 0 and g.shape == (1, 1):
        m = m.reshape(1, 1)
    if g.ndim != 2 or g.shape != m.shape or g.size == 0:
        return None
    t = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), g.shape)
    finite = np.isfinite(g) & np.isfinite(m)
    with np.errstate(all="ignore"):
        diff = np.where(finite, np.abs(np.where(finite, g, 0.0) - np.where(finite, m, 0.0)), np.inf)
    return np.divide(diff, t, out=np.where(diff > 0, np.inf, 0.0), where=t > 0)


def align(matlab: Sequence[tuple[str, int]], python: Sequence[tuple[str, int]],
          anchors: Iterable[tuple[tuple[str, int], tuple[str, int]]]) -> list[tuple[int | None, int | None]]:
    """Rows of the side-by-side view: (MATLAB line index or None, Python line index or None).

    ``anchors`` pair a MATLAB line with a Python line (the two assignments of one variable), in the
    MATLAB side's statement order. The largest set of anchors that keeps both files in order is
    kept (a longest chain, earliest first); each kept anchor is one row, and the lines between two
    anchors fill the rows above it side by side, the shorter side padded at the top (so the comment
    just above a statement stays beside its twin's); every line of both files appears once, in place.
    """
    m_index = {k: i for i, k in enumerate(matlab)}
    p_index = {k: i for i, k in enumerate(python)}
    pairs = sorted({(m_index[a], p_index[b]) for a, b in anchors if a in m_index and b in p_index})
    # longest chain strictly increasing in both: O(n^2) over a file's assignments
    best: list[int] = [1] * len(pairs)
    back: list[int] = [-1] * len(pairs)
    for j, (mj, pj) in enumerate(pairs):
        for i in range(j):
            mi, pi = pairs[i]
            if mi < mj and pi < pj and best[i] + 1 > best[j]:
                best[j], back[j] = best[i] + 1, i
    chain: list[tuple[int, int]] = []
    if pairs:
        j = max(range(len(pairs)), key=lambda k: (best[k], -k))
        while j >= 0:
            chain.append(pairs[j])
            j = back[j]
        chain.reverse()
    rows: list[tuple[int | None, int | None]] = []
    m0 = p0 = 0
    for m, p in [*chain, (len(matlab), len(python))]:
        left: list[int | None] = list(range(m0, m))
        right: list[int | None] = list(range(p0, p))
        gap = len(left) - len(right)
        if m < len(matlab):  # before an anchor, the shorter side is padded at the top: a comment sits above its line
            pad: list[int | None] = [None] * abs(gap)
            left, right = (pad + left, right) if gap < 0 else (left, pad + right)
        rows.extend(itertools.zip_longest(left, right))
        if m < len(matlab):
            rows.append((m, p))
        m0, p0 = m + 1, p + 1
    return rows


def python_source(func: Callable[..., Any]) -> tuple[list[Line], dict[str, tuple[str, int]]]:
    """The twin's source lines (its file's real line numbers) and each name's last assignment in it.

    The names are found by :func:`dlparity.comparison.loading.python_lines`, the lookup the first
    divergence quotes, so the report and the message name the same line.
    """

    target = inspect.unwrap(func)
    try:
        filename = inspect.getsourcefile(target)
        source, start = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return [], {}
    name = Path(filename).name if filename else "?"
    first = max(start, 1)
    lines = [Line(name, first + k, text.rstrip("\n")) for k, text in enumerate(source)]
    _, found = python_lines(func)
    return lines, {n: (name, line) for n, (line, _) in found.items()}


def matlab_source(mfile: MatlabFile) -> list[Line]:
    """Every line of the MATLAB file(s), in the order they run."""
    out: list[Line] = []
    for k, path in enumerate(mfile.files):
        try:
            text = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):  # moved since it ran: what was read then, for the first file
            text = list(mfile.lines) if k == 0 else []
        out.extend(Line(path.name, n, t) for n, t in enumerate(text, start=1))
    return out


def matlab_lines_of(mfile: MatlabFile, names: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Each name's last MATLAB assignment (a struct leaf's is its top-level variable's)."""
    out = {}
    for n in names:
        st = mfile.last_assignment(n) or mfile.last_assignment(root_of(n))
        if st is not None:
            out[n] = (st.file or mfile.path.name, st.line)
    return out


def _variables(reports: Sequence[QuantityReport], ratios: Callable[[QuantityReport], Array | None],
               sources: Callable[[QuantityReport], str]) -> list[Variable]:
    by_name: dict[str, list[QuantityReport]] = {}
    for r in reports:
        by_name.setdefault(r.name, []).append(r)
    out = []
    for name, rs in by_name.items():
        v = Variable(name, rs, sources={r.case: sources(r) for r in rs})
        if len(v.worst.gold_shape) == 2:
            v.ratios = ratios(v.worst)
        out.append(v)
    return out


def _heads(matlab: list[Line], python: list[Line]) -> tuple[tuple[str, int], tuple[str, int]] | None:
    """A function file's ``function`` line beside the twin's ``def`` line (the first of each), if both are there."""
    m = next((ln.key for ln in matlab if re.match(r"\s*function\b", ln.text)), None)
    p = next((ln.key for ln in python if re.match(r"\s*(async\s+)?def\b", ln.text)), None)
    return (m, p) if m is not None and p is not None else None


def _octave_text(octave: dict[str, Any]) -> str:
    version = octave.get("version", "?")
    if octave.get("source") == "stored":
        text = f"stored results of GNU Octave {version}, recorded {octave.get('recorded', '?')}"
        if octave.get("why"):
            text += f" (no live Octave: {octave['why']})"
        return text
    text = f"live: GNU Octave {version}"
    if "seconds" in octave:
        text += f", {float(octave['seconds']):.2f} s"
    return text


def parity_view(result: ParityResult, func: Callable[..., Any] | None = None) -> View:
    """The report of any pair (:func:`dlparity.comparison.pair.check_parity`'s result)."""
    func = func or result.function
    python, python_at = python_source(func) if func is not None else ([], {})
    mfile = result.matlab

    def ratios(r: QuantityReport) -> Array | None:
        compared = result.compared.get((r.name, r.case))
        return None if compared is None else ratio_map(*compared)

    variables = _variables(result.reports, ratios, lambda r: result.tolerance_from.get((r.name, r.case), "-"))
    listed = {n: "only in MATLAB" for n in result.matlab_only}
    listed.update({n: "only in Python" for n in result.python_only})
    listed.update({n: f"not compared ({why})" for n, why in result.not_compared.items()})
    for diff in result.differences:  # structure, class or text: a MISMATCH with its fix
        listed.setdefault(diff.path, f"MISMATCH ({diff.kind}, case {diff.case}): {diff.reason}")
    listed.update({n: f"not checked: the automatic tolerance cannot bound it ({why}) and no fallback tolerance was "
                      "given (fallback_rtol=/fallback_atol=, --fallback-rtol/--fallback-atol)"
                   for n, why in result.not_checked.items()})
    names = [v.name for v in variables] + list(listed)
    pane = Pane(f"{mfile.name} ({mfile.kind}) beside {result.python}", matlab_source(mfile), python, result.python,
                matlab_lines_of(mfile, names),
                {n: python_at.get(n) or python_at[root_of(n)] for n in names if n in python_at or root_of(n) in python_at},
                variables, listed)
    if mfile.kind == "function":
        pane.head = _heads(pane.matlab, pane.python)
    n = len(result.case_labels)
    d = result.first_divergence
    first = None if d is None else First(
        0, d.name, d.case, d.reason, (d.matlab_file, d.matlab_line) if d.matlab_line is not None else None,
        (d.python_file, d.python_line) if d.python_file and d.python_line is not None else None)
    header = [("MATLAB", " then ".join(p.name for p in mfile.files) + f" ({mfile.kind}, {mfile.path.parent})"),
              ("Python", result.python),
              ("Octave", _octave_text(result.octave)),
              ("tolerance", result.tolerance),
              ("cases", f"{n}: " + ", ".join(result.case_labels))]
    notes = []
    if result.complex_values:
        notes.append(("complex, so MISMATCH (only real values are compared)",
                      "; ".join(f"{k}: {v}" for k, v in result.complex_values.items())))
    for name, hint in result.shape_hints.items():
        notes.append((f"shape of {name}", hint))
    title = f"{'+'.join(p.name for p in mfile.files)} vs {Path(result.python.rpartition(':')[0]).name or result.python}"
    status = {"match": "ok", "mismatch": "MISMATCH"}.get(result.status, result.status.upper())
    called = called_panes(mfile, func) if func is not None else []
    return View(title, header, result.ok, result.verdict(), [pane, *called], first, notes, status=status)


def called_panes(mfile: MatlabFile, func: Callable[..., Any]) -> list[Pane]:
    """The functions the pair calls, each side by side: a ``NAME.m`` beside the MATLAB file(s) that they call (and
    that those call), whose twin is a function ``NAME`` the twin's module defines. A slip inside one (the sigmoid
    example's ``sigmoid_deriv``) shows where the variable that calls it diverges; this is where to look next."""
    folder = mfile.files[0].parent
    names = getattr(inspect.unwrap(func), "__globals__", {})
    seen = {p.stem for p in mfile.files}
    queue = list(mfile.files)
    panes: list[Pane] = []
    while queue and len(panes) < CALLED_SHOWN:
        try:
            lines = queue.pop(0).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        code = " ".join(st.text for st in statements(lines))  # comments and strings' quotes aside
        for name in dict.fromkeys(re.findall(r"(?<![\w.'\"])[A-Za-z]\w*", code)):
            path, twin = folder / f"{name}.m", names.get(name)
            if name in seen or not path.is_file() or not inspect.isfunction(twin):
                continue
            seen.add(name)
            python, _ = python_source(twin)
            try:
                matlab = [Line(path.name, n, t) for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
            except (OSError, UnicodeDecodeError):
                continue
            if not python:
                continue
            pane = Pane(f"called: {path.name} beside {twin.__name__} (not compared: shown to read beside its caller)",
                        matlab, python, f"{twin.__module__}:{twin.__name__}", {}, {}, [])
            pane.head = _heads(matlab, python)
            panes.append(pane)
            queue.append(path)
            if len(panes) == CALLED_SHOWN:
                break
    return panes


def section1_view(result: CaseResult, octave: dict[str, Any]) -> View:
    """The report of the document's two blocks on one case (``dlparity compare`` without ``--matlab``)."""
    import importlib  # noqa: PLC0415

    from dlparity.blocks import OUTPUTS  # noqa: PLC0415
    from dlparity.bridge import matlab_ref_dir  # noqa: PLC0415

    ref = matlab_ref_dir()
    twin = {m: importlib.import_module(f"python_impl.{m}") for m in ("backprop", "gradient_forward", "manual_gradients")}
    sources: dict[str, tuple[list[str], list[Callable[..., Any]], str]] = {
        "backprop": (["backprop.m"], [twin["backprop"].backprop], "section 1.3, backpropagation"),
        "manual": (["gradient_forward.m", "manual_gradients.m"],
                   [twin["gradient_forward"].gradient_forward, twin["manual_gradients"].manual_gradients],
                   "section 1.2, the manual gradients"),
    }
    reports = result.reports()
    panes: list[Pane] = []
    first: First | None = None
    for form in result.numpy:
        if form not in result.octave or form not in sources:
            continue
        files, funcs, what = sources[form]
        mfile = read_matlab_files([ref / f for f in files] if len(files) > 1 else ref / files[0])
        python: list[Line] = []
        python_at: dict[str, tuple[str, int]] = {}
        for f in funcs:
            lines, at = python_source(f)
            python += lines
            python_at.update(at)
        tol = result.form_bounds(form)

        def ratios(r: QuantityReport, form: str = form, tol: Any = tol) -> Array | None:
            return ratio_map(result.octave[form][r.name], result.numpy[form][r.name], tol.tolerance(r.name))

        mine = [r for r in reports if r.form == form]
        variables = _variables(mine, ratios, lambda r: "derived (by hand, docs/error-bounds.md)")
        label = " + ".join(f"{f.__module__}:{f.__name__}" for f in funcs)
        panes.append(Pane(f"{form}: {what}", matlab_source(mfile), python, label,
                          matlab_lines_of(mfile, OUTPUTS[form]), python_at, variables))
        slip = next((r for r in mine if not r.ok), None)
        if first is None and slip is not None:
            first = First(len(panes) - 1, slip.name, slip.case, _reason(slip), panes[-1].matlab_at.get(slip.name),
                          python_at.get(slip.name))
    cross = [r for r in reports if r.form == "manual-vs-backprop"]
    bad = [r for r in reports if not r.ok]
    ok = not bad
    verdict = (f"{len(bad)} of {len(reports)} comparisons MISMATCH" if bad else
               f"all {len(reports)} comparisons match (largest |Δ|/tolerance "
               f"{_ratio_text(max((r.bound_ratio for r in reports), default=0.0))})")
    header = [("MATLAB", f"the document's blocks, {ref}"), ("Python", "python_impl (the NumPy port)"),
              ("Octave", _octave_text(octave)),
              ("tolerance", "2 x the rounding-error bound derived for each block's grouping (docs/error-bounds.md)"),
              ("cases", f"1: {result.case.describe()}"), ("replay", result.case.replay())]
    extra = [("section 1.2 against section 1.3, on each side", cross)] if cross else []
    return View("the document's blocks: Octave vs NumPy", header, ok, verdict, panes, first, [], extra)


def _reason(r: QuantityReport) -> str:
    if r.shape != r.gold_shape:
        return f"shape {'x'.join(map(str, r.shape))} != MATLAB {'x'.join(map(str, r.gold_shape))}"
    if r.not_finite:
        return f"octave {r.gold_sample!r} vs numpy {r.mine_sample!r}, not finite"
    return (f"|Δ| {abs(r.gold_sample - r.mine_sample):.3g} > tolerance {r.tolerance:.3g} at "
            f"{_matlab_index(r.worst_index)}, {_ratio_text(r.bound_ratio)} times the tolerance")


# -- rendering ------------------------------------------------------------------------------------------

def _ratio(r: QuantityReport) -> float:
    return math.inf if math.isnan(r.bound_ratio) else r.bound_ratio


def _ratio_text(x: float) -> str:
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "∞"
    return f"{x:.2g}"


def _num(x: float, spec: str = ".3g") -> str:
    return "-" if isinstance(x, float) and math.isnan(x) else format(x, spec)


def _matlab_index(index: Sequence[int]) -> str:
    """NumPy's 0-based index as MATLAB's 1-based one: (2, 0) -> ``(3,1)``."""
    return "(" + ",".join(str(k + 1) for k in index) + ")" if index else "()"


def _shape(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _slug(name: str, taken: set[str]) -> str:
    base = "v-" + (re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-") or "x")
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


_e = html.escape


def _badge(ok: bool | None, text: str, word: str = "not compared") -> str:
    """A verdict in words (colour only repeats it): ``ok``, ``MISMATCH``, or ``word`` (not compared, not checked)."""
    kind, said = ("ok", "ok") if ok else ("skip", word) if ok is None else ("bad", "MISMATCH")
    return f'<span class="b {kind}">{said}</span>{_e(text)}'


def _listed_badge(why: str, text: str) -> str:
    """The badge of a name not compared as numbers: MISMATCH (structure, class, text), not checked, not compared."""
    if why.startswith("MISMATCH"):
        return _badge(False, text)
    return _badge(None, text, "not checked" if why.startswith("not checked") else "not compared")


def _heatmap(v: Variable) -> str:
    """A small SVG of |Δ|/tolerance over the worst case's entries, block maxima beyond 32 x 32, with its text."""
    ratios = v.ratios
    if ratios is None:
        return ""
    rows, cols = ratios.shape
    br, bc = math.ceil(rows / HEATMAP_CELLS), math.ceil(cols / HEATMAP_CELLS)
    nr, nc = math.ceil(rows / br), math.ceil(cols / bc)
    padded = np.full((nr * br, nc * bc), -1.0)
    padded[:rows, :cols] = np.where(np.isnan(ratios), np.inf, ratios)
    cells = padded.reshape(nr, br, nc, bc).max(axis=(1, 3))
    paths = []
    edges = [lo for lo, _, _ in _LEVELS]
    level = np.searchsorted(np.asarray(edges), cells, side="left")
    runs: dict[int, list[str]] = {}
    for r in range(nr):  # one rectangle per run of cells of one colour along a row
        c = 0
        while c < nc:
            end = c + 1
            while end < nc and level[r, end] == level[r, c]:
                end += 1
            runs.setdefault(int(level[r, c]), []).append(f"M{c} {r}h{end - c}v1h-{end - c}z")
            c = end
    for k, (_, colour, text) in enumerate(_LEVELS):
        if k not in runs:
            continue
        count = int(np.count_nonzero(level == k))
        paths.append(f'<path fill="{colour}" d="{"".join(runs[k])}"><title>|Δ|/tolerance {text}: {count} cell'
                     f'{"s" if count != 1 else ""}</title></path>')
    beyond = np.argwhere(cells > 1.0)
    if len(beyond):
        d = "".join(f"M{c} {r}l1 1" for r, c in beyond)
        paths.append(f'<path stroke="#fff" stroke-width="0.12" d="{d}"/>')
    scale = max(6, min(24, 384 // max(nr, nc)))
    block = (f"; each cell is the largest ratio of a {br}x{bc} block of entries" if br * bc > 1 else "")
    worst = v.worst
    label = (f"{v.name}, case {worst.case}: |Δ|/tolerance over its {rows}x{cols} entries{block}; "
             f"{int(np.count_nonzero(ratios > 1))} beyond the tolerance")
    flat = np.argsort(np.where(np.isnan(ratios), np.inf, ratios), axis=None)[::-1][:WORST_LISTED]
    top = ", ".join(f"{_matlab_index([int(j) for j in np.unravel_index(int(i), ratios.shape)])} {_ratio_text(float(ratios.flat[i]))}"
                    for i in flat)
    legend = "".join(f'<span class="lg"><i style="background:{c}"></i>{_e(t)}</span>' for _, c, t in _LEVELS)
    return (f'<figure class="heat"><svg role="img" aria-label="{_e(label)}" width="{nc * scale}" '
            f'height="{nr * scale}" viewBox="0 0 {nc} {nr}" shape-rendering="crispEdges">'
            f'<title>{_e(label)}</title>{"".join(paths)}</svg>'
            f'<figcaption>{_e(label)} (rows down, columns across; struck through: beyond). '
            f'Largest: {_e(top)}.<br>{legend}</figcaption></figure>')


def _variable_details(v: Variable, slug: str, row: str | None, first: First | None, pane: int) -> str:
    worst = v.worst
    is_first = first is not None and first.pane == pane and first.name == v.name
    summary = (f'<summary>{_badge(v.ok, "")} <code>{_e(v.name)}</code> · |Δ|/tolerance '
               f'{_ratio_text(_ratio(worst))}{" (case " + _e(worst.case) + ")" if len(v.reports) > 1 else ""}'
               f'{" · <strong>first divergence</strong>" if is_first else ""}</summary>')
    head = ("<tr><th>case</th><th>shape</th><th>max |Δ|</th><th>max rel |Δ|</th><th>max ULP</th>"
            "<th>tolerance</th><th>|Δ|/tol</th><th>worst entry</th><th>octave</th><th>numpy</th><th>verdict</th>"
            "<th>tolerance from</th></tr>")
    body = []
    for r in v.reports:
        shape = (_shape(r.gold_shape) if r.shape == r.gold_shape else
                 f"MATLAB {_shape(r.gold_shape)}, NumPy {_shape(r.shape)}")
        at = (f'<span title="NumPy [{",".join(map(str, r.worst_index))}]">{_matlab_index(r.worst_index)}</span>'
              if r.worst_index else "")
        body.append(f"<tr><td>{_e(r.case)}</td><td>{_e(shape)}</td><td>{_num(r.max_abs_diff)}</td>"
                    f"<td>{_num(r.max_rel_diff)}</td><td>{r.max_ulp}</td><td>{_num(r.tolerance)}</td>"
                    f"<td>{_ratio_text(_ratio(r))}</td><td>{at}</td><td>{_num(r.gold_sample, '.17g')}</td>"
                    f"<td>{_num(r.mine_sample, '.17g')}</td><td>{_badge(r.ok, '')}</td>"
                    f'<td class="from">{_e(v.sources.get(r.case, "-"))}</td></tr>')
    back = f' <a class="back" href="#{row}">back to its line</a>' if row else ""
    return (f'<details id="{slug}" class="var" data-name="{_e(v.name)}">{summary}<div class="body">'
            f'<table class="cases"><caption>{_e(v.name)}: each case; the worst entry is the one with the largest '
            f'|Δ|/tolerance, as MATLAB indexes it{back}</caption><thead>{head}</thead><tbody>{"".join(body)}'
            f'</tbody></table>{_heatmap(v)}</div></details>')


def _code(line: Line | None) -> tuple[str, str]:
    """(line-number cell, code cell) for one side of a row."""
    if line is None:
        return '<td class="ln"></td>', '<td class="c"></td>'
    text = line.text.strip()
    comment = " cm" if text.startswith(("%", "#")) else ""
    return (f'<td class="ln">{line.number}</td>',
            f'<td class="c{comment}"><code>{_e(line.text.expandtabs(4)) or " "}</code></td>')


def _pane(view: View, k: int, pane: Pane, slugs: dict[str, str]) -> tuple[str, str]:
    """(the side-by-side table, the variables' details) of one pane."""
    m_keys, p_keys = [ln.key for ln in pane.matlab], [ln.key for ln in pane.python]
    order = [v.name for v in pane.variables] + list(pane.listed)
    first = view.first if view.first is not None and view.first.pane == k else None
    anchors = ([pane.head] if pane.head else []) + [
        (pane.matlab_at[n], pane.python_at[n]) for n in order if n in pane.matlab_at and n in pane.python_at]
    if first is not None and first.matlab_at and first.python_at:  # a leaf's own lines (nn.dW{i} = ...)
        anchors.append((first.matlab_at, first.python_at))
    rows = align(m_keys, p_keys, anchors)
    # each top-level name gets one badge: on its MATLAB line, else its Python line
    groups: dict[str, list[str]] = {}
    for n in order:
        groups.setdefault(root_of(n), []).append(n)
    variables = {v.name: v for v in pane.variables}
    badge_at: dict[tuple[str, tuple[str, int]], list[str]] = {}
    for top, members in groups.items():
        where = next((("m", pane.matlab_at[n]) for n in members if n in pane.matlab_at), None) or next(
            (("p", pane.python_at[n]) for n in members if n in pane.python_at), None)
        if where is not None:
            badge_at.setdefault(where, []).append(top)
    first_keys = set()
    if first is not None:
        first_keys = {(side, at) for side, at in (("m", first.matlab_at), ("p", first.python_at)) if at is not None}
    row_of: dict[str, str] = {}
    body = []
    first_done = False
    for j, (mi, pi) in enumerate(rows):
        m = pane.matlab[mi] if mi is not None else None
        p = pane.python[pi] if pi is not None else None
        tops = (badge_at.get(("m", m.key), []) if m else []) + (badge_at.get(("p", p.key), []) if p else [])
        here = ({("m", m.key)} if m else set()) | ({("p", p.key)} if p else set())
        is_first = bool(first_keys & here)
        row_id = "first" if is_first and not first_done else f"p{k}r{j}"
        badges = [_line_badge(top, groups[top], variables, pane, slugs[top]) for top in tops]
        row_of.update(dict.fromkeys(tops, row_id))
        attrs = ""
        if is_first:
            attrs = ' class="first"'
            badges.insert(0, '<strong class="fm">first divergence</strong>')
            first_done = True
        elif tops:
            attrs = ' class="a"'
        ml, mc = _code(m)
        pl, pc = _code(p)
        body.append(f'{_file_change(pane, mi, pi)}<tr id="{row_id}"{attrs}>{ml}{mc}<td class="v">{" ".join(badges)}</td>{pl}{pc}</tr>')
    return _side_by_side(pane, body), _pane_details(view, k, pane, slugs, groups, row_of)


def _line_badge(top: str, members: list[str], variables: dict[str, Variable], pane: Pane, slug: str) -> str:
    """The badge of one top-level name on its line: its verdict in words and its worst |Δ|/tolerance (over its
    leaves and cases), linking to its table."""
    compared = [variables[n] for n in members if n in variables]
    if not compared:
        reasons = [pane.listed.get(n, "not compared") for n in members]
        why = next((w for w in reasons if w.startswith("MISMATCH")), reasons[0])
        return f'<a class="vb" href="#{slug}" title="{_e(top + ": " + why)}">{_listed_badge(why, " " + top)}</a>'
    ok = all(v.ok for v in compared) and not any(pane.listed.get(n, "").startswith("MISMATCH") for n in members)
    worst = max(_ratio(v.worst) for v in compared)
    leaves = f" ({len(members)} leaves)" if members != [top] else ""
    title = (f"{top}{leaves}: {'ok' if ok else 'MISMATCH'}, largest |Δ|/tolerance {_ratio_text(worst)} "
             "over the cases; follow to open its table")
    return f'<a class="vb" href="#{slug}" title="{_e(title)}">{_badge(ok, f" {top}{leaves} {_ratio_text(worst)}")}</a>'


def _file_change(pane: Pane, mi: int | None, pi: int | None) -> str:
    """A heading row where either side moves on to its next file (several scripts, or several twin functions)."""
    out = ""
    if mi is not None and mi > 0 and pane.matlab[mi - 1].file != pane.matlab[mi].file:
        out += f'<tr class="fh"><th colspan="2">{_e(pane.matlab[mi].file)}</th><td></td><td colspan="2"></td></tr>'
    if pi is not None and pi > 0 and pane.python[pi - 1].file != pane.python[pi].file:
        out += f'<tr class="fh"><td colspan="2"></td><td></td><th colspan="2">{_e(pane.python[pi].file)}</th></tr>'
    return out


def _side_by_side(pane: Pane, body: list[str]) -> str:
    m_name = pane.matlab[0].file if pane.matlab else "(no MATLAB source)"
    p_name = pane.python[0].file if pane.python else f"(the source of {pane.python_label} is not available)"
    table = (f'<table class="sbs" aria-label="{_e(pane.title)}"><colgroup><col class="ln"><col class="c">'
             f'<col class="v"><col class="ln"><col class="c"></colgroup><thead><tr><th colspan="2" scope="col">'
             f'MATLAB · {_e(m_name)}</th><th scope="col">verdict · |Δ|/tolerance</th><th colspan="2" scope="col">'
             f'Python · {_e(p_name)}</th></tr></thead><tbody>{"".join(body)}</tbody></table>')
    return table


def _pane_details(view: View, k: int, pane: Pane, slugs: dict[str, str], groups: dict[str, list[str]],
                  row_of: dict[str, str]) -> str:
    """One ``<details>`` per top-level name; a struct's or cell's leaves nested under it by path."""
    variables = {v.name: v for v in pane.variables}
    details = []
    for top, members in groups.items():
        row = row_of.get(top)
        compared = [variables[n] for n in members if n in variables]
        if members == [top] and compared:
            details.append(_variable_details(compared[0], slugs[top], row, view.first, k))
            continue
        if not compared:
            why = "; ".join(f"{n}: {pane.listed.get(n, 'not compared')}" for n in members)
            reasons = [pane.listed.get(n, "") for n in members]
            badge = _listed_badge(next((w for w in reasons if w.startswith("MISMATCH")), reasons[0]), "")
            details.append(f'<details id="{slugs[top]}" class="var"><summary>{badge} <code>{_e(top)}'
                           f'</code></summary><div class="body"><p>{_e(why)}</p></div></details>')
            continue
        inner = "".join(_variable_details(v, slugs[v.name], row, view.first, k) for v in compared)
        others = [n for n in members if n not in variables]
        if others:
            inner += "<p>" + _e("; ".join(f"{n}: {pane.listed.get(n, 'not compared')}" for n in others)) + "</p>"
        ok = all(v.ok for v in compared) and not any(pane.listed.get(n, "").startswith("MISMATCH") for n in others)
        worst = max(_ratio(v.worst) for v in compared)
        details.append(f'<details id="{slugs[top]}" class="var group"><summary>{_badge(ok, "")} <code>{_e(top)}</code> '
                       f'· {len(members)} leaves by path · |Δ|/tolerance {_ratio_text(worst)}</summary>'
                       f'<div class="body">{inner}</div></details>')
    return "".join(details)


def render(view: View) -> str:
    """The whole report as one HTML document."""
    slugs: dict[str, str] = {}
    taken: set[str] = {"first"}
    for pane in view.panes:
        for n in [v.name for v in pane.variables] + list(pane.listed):
            for key in (root_of(n), n):
                if key not in slugs:
                    slugs[key] = _slug(key, taken)
    status = view.status or ("ok" if view.ok else "MISMATCH")
    verdict_class = "ok" if view.ok else "bad" if status == "MISMATCH" else "skip"
    head = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in view.header)
    first_html = ""
    if view.first is not None:
        f = view.first
        pane = view.panes[f.pane]
        m, p = f.matlab_at, f.python_at
        mtext = f"MATLAB {m[0]}:{m[1]}" if m else "MATLAB: no assignment found"
        ptext = f"Python {p[0]}:{p[1]}" if p else "Python: no assignment found"
        first_html = (f'<dt>first divergence</dt><dd><a href="#first"><code>{_e(f.name)}</code></a> in case '
                      f'{_e(f.case)}: {_e(f.reason)} · {_e(mtext)} · {_e(ptext)} (later differences usually '
                      f'follow from this one: fix it first)</dd>')
    sections = []
    for k, pane in enumerate(view.panes):
        table, details = _pane(view, k, pane, slugs)
        heading = _e(pane.title)
        if not details:  # a function the pair calls: its lines only (its locals are not compared)
            sections.append(f'<section class="pane called"><h2>{heading}</h2>{table}</section>')
            continue
        sections.append(f'<section class="pane"><h2>{heading}</h2>{table}<h3>Variables, in statement order</h3>'
                        f'<p class="hint">Each opens to a table per case; a badge above links to its table.</p>'
                        f'{details}</section>')
    listed = []
    for pane in view.panes:
        kinds: dict[str, list[str]] = {}
        for n, why in pane.listed.items():
            kinds.setdefault(why, []).append(n)
        for why, names in kinds.items():
            listed.append(f"<li>{_e(why)}: {_e(', '.join(names))}</li>")
    listed += [f"<li>{_e(h)}: {_e(t)}</li>" for h, t in view.notes]
    notes = (f'<section><h2>Also listed</h2><ul>{"".join(listed)}</ul></section>' if listed else
             '<section><h2>Also listed</h2><p>Every name both sides produced was compared; none is complex.</p></section>')
    extra = []
    for heading, reports in view.extra:
        rows = "".join(f"<tr><td>{_e(r.gold_label)} vs {_e(r.mine_label)}</td><td><code>{_e(r.name)}</code></td>"
                       f"<td>{_num(r.max_abs_diff)}</td><td>{_num(r.tolerance)}</td><td>{_ratio_text(_ratio(r))}</td>"
                       f"<td>{_badge(r.ok, '')}</td></tr>" for r in reports)
        extra.append(f'<section><h2>{_e(heading)}</h2><table class="cases"><thead><tr><th>sides</th><th>name</th>'
                     f'<th>max |Δ|</th><th>tolerance</th><th>|Δ|/tol</th><th>verdict</th></tr></thead>'
                     f'<tbody>{rows}</tbody></table></section>')
    skip = '<a class="skip" href="#first">Skip to the first divergence</a>' if view.first is not None else ""
    title = f"dlparity: {view.title}: {status}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
            f'script-src \'unsafe-inline\'; img-src data:">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
            f'<style>{_CSS}</style></head><body>{skip}<header><h1>dlparity parity report: {_e(view.title)}</h1>'
            f'<p class="verdict {verdict_class}">{_badge(view.ok if status in ("ok", "MISMATCH") else None, " " + view.verdict, status)}</p>'
            f'<dl>{head}{first_html}</dl></header><main>{"".join(sections)}{"".join(extra)}{notes}</main>'
            f'<footer>Made by dlparity. |Δ| is |octave - numpy|; the tolerance is the allowed |Δ| at that entry; '
            f'a ratio above 1 is a MISMATCH. Indices are MATLAB\'s, 1-based.</footer>'
            f'<script>{_JS}</script></body></html>')


def parity_html(result: ParityResult, func: Callable[..., Any] | None = None) -> str:
    """The report of a :class:`~dlparity.comparison.pair.ParityResult` as one self-contained HTML document."""
    return render(parity_view(result, func))


def section1_html(result: CaseResult, octave: dict[str, Any]) -> str:
    """The report of the document's blocks on one case; ``octave`` is the ``--json`` ``"octave"`` field."""
    return render(section1_view(result, octave))


def save_report(path: Path | str, text: str, overwrite: bool, flag: str = "--html") -> None:
    """Write the report whole or not at all (:func:`dlparity.fileio.write_atomic`)."""
    data = text.encode("utf-8")
    write_atomic(path, lambda f: f.write(data), overwrite=overwrite, flag=flag)


_CSS = """
:root{--ok:#1a6b2f;--bad:#a50f15;--skip:#555;--line:#ddd;--first:#fff3b0;--fg:#111;--bg:#fff;font-family:system-ui,
sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0 1rem 2rem;line-height:1.35}
h1{font-size:1.3rem;margin:.8rem 0 .3rem}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}h3{font-size:1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.4rem 0;font-size:.9rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.b{display:inline-block;font:600 .72rem/1.2 ui-monospace,monospace;padding:.05rem .3rem;border-radius:.25rem;
border:1px solid currentColor;margin-right:.15rem}
.b.ok{color:var(--ok);background:#e5f5e0}.b.bad{color:#fff;background:var(--bad)}.b.skip{color:var(--skip);background:#eee}
.verdict{font-size:1.05rem;margin:.3rem 0}.verdict .b{font-size:.9rem}
table.sbs{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.8rem}
table.sbs col.ln{width:3.2em}table.sbs col.c{width:38%}table.sbs col.v{width:16em}
table.sbs thead th{position:sticky;top:0;background:#f4f4f4;text-align:left;padding:.25rem;border-bottom:1px solid #bbb;
z-index:1}
table.sbs td{vertical-align:top;padding:0 .3rem;border-bottom:1px solid #f3f3f3}
td.ln{color:#888;text-align:right;font:.75rem/1.5 ui-monospace,monospace;user-select:none}
td.c code{white-space:pre-wrap;overflow-wrap:anywhere;font:.78rem/1.5 ui-monospace,monospace}
td.cm code{color:#6a737d}
td.v{font-size:.75rem}td.v a{text-decoration:none;color:inherit;display:inline-block;margin:.05rem 0}
td.v a:hover,td.v a:focus{text-decoration:underline}
tr.a td{background:#fafafa}
tr.first td{background:var(--first);border-top:2px solid #b8860b;border-bottom:2px solid #b8860b}
.fm{display:block;color:#7a4b00;font-size:.75rem}
tr.fh th,tr.fh td{background:#f4f4f4;text-align:left;font-size:.75rem;padding:.2rem .3rem}
tr.hl td{outline:2px solid #b8860b}
details.var{border:1px solid var(--line);border-radius:.3rem;margin:.25rem 0;padding:.1rem .5rem}
details.var>summary{cursor:pointer;padding:.15rem 0}details.var .body{overflow-x:auto}
details.group>.body{padding-left:1rem}
table.cases{border-collapse:collapse;font-size:.78rem;margin:.3rem 0}
table.cases th,table.cases td{border:1px solid var(--line);padding:.1rem .35rem;text-align:right;white-space:nowrap}
table.cases td.from{text-align:left;white-space:normal;max-width:28rem}
table.cases caption{text-align:left;font-size:.78rem;color:#444;padding:.2rem 0}
figure.heat{margin:.4rem 0}figure.heat svg{border:1px solid #999;display:block}
figure.heat figcaption{font-size:.75rem;color:#333;max-width:60rem}
.lg{display:inline-block;margin-right:.6rem}.lg i{display:inline-block;width:.8em;height:.8em;margin-right:.2rem;
border:1px solid #999;vertical-align:middle}
a:focus-visible,summary:focus-visible{outline:3px solid #1f5fbf;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{position:static}
.hint{font-size:.8rem;color:#555;margin:.2rem 0}
footer{margin-top:2rem;font-size:.75rem;color:#555}
@media print{body{margin:0;font-size:9pt}table.sbs thead th{position:static}tr{break-inside:avoid}
a{color:inherit;text-decoration:none}.skip,.hint,.back{display:none}tr.first td{border:2px solid #000}
.b.bad{color:#000;background:#fff;border-width:2px}details.var{break-inside:avoid}}
"""

_JS = """
(function(){
  function open(id){
    var d=document.getElementById(id);
    if(!d||d.tagName!=='DETAILS')return;
    for(var p=d;p;p=p.parentElement&&p.parentElement.closest('details'))p.open=true;
  }
  document.addEventListener('click',function(e){
    var a=e.target.closest&&e.target.closest('a[href^="#"]');
    if(a)open(a.getAttribute('href').slice(1));
  });
  window.addEventListener('hashchange',function(){open(location.hash.slice(1));});
  var shut=[];
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details:not([open])').forEach(function(d){shut.push(d);d.open=true;});
  });
  window.addEventListener('afterprint',function(){shut.forEach(function(d){d.open=false;});shut=[];});
  if(location.hash){open(location.hash.slice(1));}
  else{var f=document.getElementById('first');if(f)f.scrollIntoView({block:'center'});}
})();
"""
