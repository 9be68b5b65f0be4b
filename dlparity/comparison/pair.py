r"""Parity of any MATLAB/NumPy pair: a user's ``.m`` file in Octave against its NumPy twin, variable by variable.

:func:`check_parity` runs the MATLAB side verbatim in Octave (a **script** in a fresh workspace
holding the inputs, every variable it assigns coming back; or a **function file** called with
the inputs matched to its declared argument names, its declared outputs coming back), runs the
Python callable with the same inputs as keyword arguments (it returns a dict name -> array),
and compares every name the two sides share, in the MATLAB side's statement order: shapes
first, then values, against a tolerance that is by default *derived*: the Python callable is
evaluated once more on bound-tracking arrays (:mod:`dlparity.bounds.tracked`), which give a
rounding-error bound E for every variable; each side is within E of the exact result, so two
correct sides differ by at most 2E. ``rtol=``/``atol=`` replace it with
``atol + rtol * |matlab value|``, and the report says the user chose it.

Every check on the inputs, the Python side and the tolerance runs before anything reaches
Octave; each failure is one sentence (:class:`dlparity.validation.InputError`).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import inspect
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.comparison.compare import QuantityReport, compare_quantity
from dlparity.matlab_file import MatlabFile, python_keyword_inputs, read_matlab_files
from dlparity.validation import InputError

Array = NDArray[np.float64]

#: Folder of the harness's own Octave functions (``dlparity_run_mfile.m``), put on Octave's path.
MFILES = Path(__file__).resolve().parents[1] / "mfiles"

_MATLAB_NAME = re.compile(r"[A-Za-z]\w{0,62}")

#: Functions called with every finished :class:`ParityResult` (the pytest plugin's summary line).
OBSERVERS: list[Callable[[ParityResult], None]] = []


class MatlabError(InputError):
    """The user's ``.m`` file failed in Octave (syntax or run-time error); the message is Octave's, with the line."""


@dataclass(frozen=True)
class Divergence:
    """The first variable, in the MATLAB side's statement order, whose two sides differ."""

    name: str
    case: str
    reason: str
    matlab_file: str
    matlab_line: int | None
    matlab_text: str | None
    python_file: str | None
    python_line: int | None
    python_text: str | None

    def describe(self) -> str:
        m = (f"  MATLAB {self.matlab_file}:{self.matlab_line}  {self.matlab_text}" if self.matlab_line is not None
             else f"  MATLAB {self.matlab_file}: (no assignment to {self.name} found)")
        p = (f"  Python {self.python_file}:{self.python_line}  {self.python_text}" if self.python_line is not None
             else f"  Python {self.python_file or '(source not available)'}: (no assignment to {self.name} found)")
        return "\n".join([f"first diverging variable: {self.name} in case {self.case} ({self.reason})", m, p,
                          "  (later differences usually follow from this one: fix it first)"])

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "case": self.case, "reason": self.reason,
                "matlab": {"file": self.matlab_file, "line": self.matlab_line, "text": self.matlab_text},
                "python": {"file": self.python_file, "line": self.python_line, "text": self.python_text}}


@dataclass
class ParityResult:
    """Every comparison of one MATLAB/NumPy pair over one or more cases.

    Attributes
    ----------
    reports : list of QuantityReport
        One per shared variable and case, in the MATLAB side's statement order, case by case.
    matlab_only, python_only : list of str
        Names only one side produced (never silently dropped: listed in the table and the JSON).
    not_compared : dict of str to str
        Names both sides produced but that are not numeric arrays, with the reason.
    complex_values : dict of str to str
        Names complex on one side or both, with which side (each a MISMATCH: only real values are compared).
    tolerance : str
        How the tolerance was chosen (automatic or by the user).
    first_divergence : Divergence or None
        The first mismatching variable in statement order, with both sides' lines.
    """

    matlab: MatlabFile
    python: str
    case_labels: list[str]
    reports: list[QuantityReport]
    matlab_only: list[str]
    python_only: list[str]
    not_compared: dict[str, str]
    tolerance: str
    user_tolerance: dict[str, float] | None
    first_divergence: Divergence | None
    octave: dict[str, Any] = field(default_factory=dict)
    python_seconds: float = 0.0
    shape_hints: dict[str, str] = field(default_factory=dict)
    #: Per case, what each side returned: ``values[k]["octave"]``, ``values[k]["numpy"]`` (name -> value).
    values: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    complex_values: dict[str, str] = field(default_factory=dict)
    #: Per case, the elementwise tolerance each compared name was judged against (name -> array; the HTML heatmap).
    tolerances: list[dict[str, Array]] = field(default_factory=list)
    #: The Python twin itself (its source is shown beside the MATLAB in the HTML report).
    function: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Every shared variable of every case within tolerance, and at least one variable compared."""
        return bool(self.reports) and all(r.ok for r in self.reports)

    def by_variable(self) -> list[QuantityReport]:
        """The worst report of each variable over the cases, in statement order."""
        worst: dict[str, QuantityReport] = {}
        for r in self.reports:
            held = worst.get(r.name)
            if held is None or (held.ok and not r.ok) or (held.ok == r.ok and _ratio(r) > _ratio(held)):
                worst[r.name] = r
        return list(worst.values())

    def largest_ratio(self) -> float:
        return max((_ratio(r) for r in self.reports), default=0.0)

    def table(self) -> str:
        """The side-by-side table: one row per variable (worst case), then what was not compared, then the verdict."""
        kind = self.matlab.kind
        n = len(self.case_labels)
        head: tuple[str, ...] = ("variable", "line", "shape", "octave", "numpy", "max|Δ|", "max rel Δ", "max ULP",
                                 "tolerance", "|Δ|/tol", "verdict")
        many = n > 1
        if many:
            head = ("case", *head)
        rows = [head]
        for r in self.by_variable():
            where = self.matlab.where(r.name)
            shape = "x".join(map(str, r.gold_shape)) if r.shape == r.gold_shape else (
                f"{'x'.join(map(str, r.gold_shape))}≠{'x'.join(map(str, r.shape)) or '()'}")
            row = (r.name, str(where.line) if where else "", shape, _fmt(r.gold_sample, ".10g"),
                   _fmt(r.mine_sample, ".10g"), _fmt(r.max_abs_diff, ".2e"), _fmt(r.max_rel_diff, ".2e"),
                   str(r.max_ulp), _fmt(r.tolerance, ".2e"), _fmt(r.bound_ratio, ".2g"), "ok" if r.ok else "MISMATCH")
            rows.append((r.case, *row) if many else row)
        widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
        left = 4 if many else 3
        lines = ["  ".join(c.ljust(w) if k < left else c.rjust(w)
                           for k, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        source = self.octave.get("source", "live")
        version = self.octave.get("version", "?")
        recorded = f", recorded {self.octave['recorded']}" if self.octave.get("recorded") else ""  # None when live
        out = [f"octave: {source}, GNU Octave {version}{recorded}"
               + (f", {self.octave['seconds']:.2f} s" if "seconds" in self.octave else ""),
               f"matlab: {' then '.join(map(str, self.matlab.files))} ({kind}) · python: {self.python} · {n} case{'s' if n != 1 else ''}",
               f"tolerance: {self.tolerance}",
               "octave/numpy: the entry with the largest |Δ|/tolerance" + (" (the worst case of each variable)" if many else ""), "", *lines, ""]
        if self.matlab_only:
            out.append(f"only in MATLAB (not compared): {', '.join(self.matlab_only)}")
        if self.python_only:
            out.append(f"only in Python (not compared): {', '.join(self.python_only)}")
        if self.not_compared:
            out.append("not compared (not numeric arrays): "
                       + ", ".join(f"{k} ({v})" for k, v in self.not_compared.items()))
        if self.complex_values:
            out.append("complex, so MISMATCH (only real values are compared): "
                       + ", ".join(f"{k} ({v})" for k, v in self.complex_values.items()))
        for name, hint in self.shape_hints.items():
            out.append(f"shape of {name}: {hint}")
        if self.first_divergence is not None:
            out.append(self.first_divergence.describe())
        bad = sum(not r.ok for r in self.by_variable())
        total = len(self.by_variable())
        if not self.reports:
            out.append("nothing compared: the two sides share no numeric variable")
        elif bad:
            out.append(f"{bad} of {total} variables MISMATCH")
        else:
            out.append(f"all {total} variables match over {n} case{'s' if n != 1 else ''} "
                       f"(largest |Δ|/tolerance {self.largest_ratio():.2g})")
        return "\n".join(out)

    __str__ = table

    def to_html(self) -> str:
        """The report a porter can open: both files side by side, each variable's verdict on its line
        (:mod:`dlparity.comparison.html_report`); one self-contained HTML document."""
        from dlparity.comparison.html_report import parity_html  # noqa: PLC0415

        return parity_html(self)

    def save_html(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write :meth:`to_html` to ``path`` whole or not at all (``overwrite=False``: refuse an existing file)."""
        from dlparity.comparison.html_report import save_report  # noqa: PLC0415

        save_report(path, self.to_html(), overwrite, flag="save_html")
        return Path(path)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` fields of ``dlparity compare``, plus what only this mode has."""
        return {
            "ok": self.ok,
            "mode": "pair",
            "matlab": {"file": str(self.matlab.path), "kind": self.matlab.kind, "name": self.matlab.name},
            "python": self.python,
            "cases": self.case_labels,
            "octave": self.octave,
            "tolerance": {"source": "user" if self.user_tolerance else "automatic", "description": self.tolerance,
                          **(self.user_tolerance or {})},
            "quantities": [
                {"form": self.matlab.name, "name": r.name, "case": r.case, "shape": list(r.shape),
                 "matlab_shape": list(r.gold_shape), "max_abs_diff": _num(r.max_abs_diff),
                 "max_rel_diff": _num(r.max_rel_diff), "max_ulp": r.max_ulp, "tolerance": _num(r.tolerance),
                 "bound_ratio": _num(r.bound_ratio), "mask_ambiguous": r.ambiguous,
                 "octave_sample": _num(r.gold_sample), "numpy_sample": _num(r.mine_sample),
                 "line": (self.matlab.where(r.name).line if self.matlab.where(r.name) else None),  # type: ignore[union-attr]
                 "ok": r.ok}
                for r in self.reports
            ],
            "matlab_only": self.matlab_only,
            "python_only": self.python_only,
            "not_compared": self.not_compared,
            "complex": self.complex_values,
            "first_divergence": None if self.first_divergence is None else self.first_divergence.to_json(),
        }


def _ratio(r: QuantityReport) -> float:
    return math.inf if math.isnan(r.bound_ratio) else r.bound_ratio


def _num(x: float) -> float | None:
    return None if (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else x


def _fmt(x: float, spec: str) -> str:
    return "-" if isinstance(x, float) and math.isnan(x) else format(x, spec)


# -- the Python side ------------------------------------------------------------------------------

def load_callable(spec: str, flag: str = "--python") -> Callable[..., Any]:
    """``MODULE:FUNCTION``, where MODULE is importable or a path to a ``.py`` file; one sentence if it cannot be had.

    A path's folder is put on ``sys.path`` first, so the twin may import the modules beside it.
    """
    module_part, sep, func_name = spec.rpartition(":")
    if not sep or not module_part or not func_name:
        raise InputError(f"{flag} is {spec!r}; expected MODULE:FUNCTION, e.g. my_port:backprop or path/to/port.py:backprop.")
    if not func_name.isidentifier():
        raise InputError(f"{flag} {spec!r}: {func_name!r} is not a Python function name.")
    try:
        if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
            path = Path(module_part)
            if not path.is_file():
                raise InputError(f"{flag} {spec!r}: the file {module_part!r} does not exist.")
            folder = str(path.resolve().parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            name = f"dlparity_user_{path.stem}_{abs(hash(str(path.resolve())))}"
            spec_obj = importlib.util.spec_from_file_location(name, path)
            if spec_obj is None or spec_obj.loader is None:
                raise InputError(f"{flag} {spec!r}: {module_part!r} cannot be loaded as a Python module.")
            module = importlib.util.module_from_spec(spec_obj)
            sys.modules[name] = module
            spec_obj.loader.exec_module(module)
        else:
            module = importlib.import_module(module_part)
    except InputError:
        raise
    except ModuleNotFoundError as exc:
        raise InputError(f"{flag} {spec!r}: module {exc.name or module_part!r} cannot be imported (not installed, "
                         "or not on the Python path); give a path to the .py file instead.") from None
    except Exception as exc:  # the user's module failed while importing: its exception, one line
        raise InputError(f"{flag} {spec!r}: importing {module_part} raised {_one_line(exc)}.") from None
    func = getattr(module, func_name, None)
    if func is None:
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                        and getattr(v, "__module__", None) == module.__name__)
        have = f"; it defines {', '.join(public)}" if public else ""
        raise InputError(f"{flag} {spec!r}: {module_part} has no function {func_name!r}{have}.")
    if not callable(func):
        raise InputError(f"{flag} {spec!r}: {func_name} is a {type(func).__name__}, not a function.")
    return func


def _one_line(exc: BaseException) -> str:
    """``ValueError: message (file.py line N)``: the exception and the innermost frame in user code."""
    where = ""
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for frame in reversed(frames):
        filename = frame.tb_frame.f_code.co_filename
        if "site-packages" not in filename and "/dlparity/" not in filename.replace("\\", "/"):
            where = f" ({Path(filename).name} line {frame.tb_lineno})"
            break
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}{where}"


def _callable_name(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    try:
        source = inspect.getsourcefile(func)
    except TypeError:
        source = None
    if source and module.startswith("dlparity_user_"):
        return f"{source}:{name}"
    return f"{module}:{name}"


def _check_signature(func: Callable[..., Any], names: list[str], label: str) -> None:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(**dict.fromkeys(names))
    except TypeError as exc:
        params = ", ".join(sig.parameters) or "none"
        raise InputError(f"python function {label} cannot take the inputs {', '.join(names) or '(none)'} as keyword "
                         f"arguments ({exc}); its parameters are {params}.") from None


def run_python(func: Callable[..., Any], inputs: Mapping[str, Any], label: str) -> dict[str, Any]:
    """Call the twin with the inputs as keyword arguments; it must return a mapping of name -> value."""
    try:
        with np.errstate(all="ignore"):  # an overflow or 0/0 shows in the comparison, as a value not finite
            out = func(**inputs)
    except Exception as exc:
        raise InputError(f"python function {label} raised {_one_line(exc)}.") from None
    if not isinstance(out, Mapping):
        raise InputError(f"python function {label} returned a {type(out).__name__}; expected a dict of "
                         "variable name -> array (the names of the MATLAB side's variables).")
    return dict(out)


# -- the inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Inputs:
    python: dict[str, Any]
    octave: dict[str, Any]


def _check_inputs(case: Mapping[str, Any], label: str) -> _Inputs:
    """One case's inputs, checked: names usable on both sides, values numeric, finite, real (or text)."""
    if not isinstance(case, Mapping):
        raise InputError(f"inputs{label} is a {type(case).__name__}; expected a dict of name -> array.")
    bad_kw = python_keyword_inputs([str(k) for k in case])
    if bad_kw:
        raise InputError(f"input {bad_kw[0]!r}{label} is a Python keyword, so the Python twin cannot take it as a keyword "
                         f"argument; rename it on both sides (e.g. {bad_kw[0] + '_'!r}).")
    py: dict[str, Any] = {}
    oc: dict[str, Any] = {}
    for name, value in case.items():
        if not isinstance(name, str) or not _MATLAB_NAME.fullmatch(name):
            raise InputError(f"input name {name!r}{label} is not a valid MATLAB variable name (a letter, then up to 62 "
                             "letters, digits or underscores).")
        if name.startswith("dlparity_"):
            raise InputError(f"input name {name!r}{label} starts with 'dlparity_', which the harness reserves for its "
                             "own Octave variables; rename it.")
        py[name], oc[name] = _check_value(name, value, label)
    return _Inputs(py, oc)


def _check_value(name: str, value: Any, label: str) -> tuple[Any, Any]:  # noqa: PLR0911, PLR0912 (one branch per kind)
    """(what Python gets, what Octave gets) for one input value."""
    if isinstance(value, str):
        return value, value
    if isinstance(value, (bool, np.bool_)):
        return bool(value), bool(value)
    if isinstance(value, (int, np.integer)):
        whole = int(value)
        if abs(whole) > 2**53:
            raise InputError(f"input {name}{label} is the integer {whole}, beyond 2**53, which a MATLAB double cannot "
                             f"hold exactly; expected integers of magnitude at most 2**53 = {2**53}.")
        return whole, float(whole)
    if isinstance(value, (float, np.floating)):
        real = float(value)
        if not math.isfinite(real):
            raise InputError(f"input {name}{label} is {real}; expected a finite number (the bounds assume no NaN or Inf).")
        return real, real
    if not isinstance(value, np.ndarray):
        raise InputError(f"input {name}{label} is a {type(value).__name__}; expected a NumPy array, a number or a string.")
    kind = value.dtype.kind
    if kind == "b":
        return value.copy(), value.copy()
    if kind in "iu":
        # checked as integers: as float64, 2**53 + 1 rounds to 2**53 and would pass (and np.abs of int64's
        # minimum overflows); integers narrower than 64 bits all fit in a double
        if value.dtype.itemsize >= 8:
            limit = np.array(2**53, dtype=value.dtype)
            beyond = value > limit if kind == "u" else (value > limit) | (value < -limit)
            if beyond.any():
                where = tuple(int(k) for k in np.argwhere(beyond)[0])
                at = f" at index {where}" if value.ndim else ""
                raise InputError(f"input {name}{label} holds the integer {int(value[where])}{at}, beyond 2**53, which "
                                 f"a MATLAB double cannot hold exactly; expected integers of magnitude at most 2**53 = "
                                 f"{2**53}.")
        if value.ndim == 0:
            return int(value), float(value)
        arr = value.astype(np.float64)
        return arr, arr.copy()
    if kind == "f":
        arr = np.array(value, dtype=np.float64)  # a copy: nothing the user gave is touched
        if not np.all(np.isfinite(arr)):
            where = np.argwhere(~np.isfinite(arr))[0]
            raise InputError(f"input {name}{label} holds {arr[tuple(where)]} at index {tuple(int(k) for k in where)}; "
                             "expected finite numbers (the rounding-error bounds assume no NaN or Inf).")
        return arr, arr.copy()
    what = {"c": "complex", "O": "object (pickled Python objects)", "U": "text", "S": "bytes", "V": "structured",
            "M": "datetime", "m": "timedelta"}.get(kind, kind)
    article = "an" if what[0] in "aeiou" else "a"
    raise InputError(f"input {name}{label} is {article} {what} array (dtype {value.dtype}); expected real numbers or booleans.")


# -- comparing -----------------------------------------------------------------------------------

def _as_compared(value: Any) -> NDArray[Any] | str:
    """A returned value as a float64 array (complex ones kept complex, to be refused), or why it cannot be compared."""
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (complex, np.complexfloating)):
        return np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return np.asarray(value, dtype=np.float64)
        if value.dtype.kind == "c":
            return value
        return f"dtype {value.dtype}"
    return type(value).__name__


def _complex_reason(matlab: NDArray[Any], python: NDArray[Any]) -> str | None:
    """Which side is complex (None when both are real): such a variable is a MISMATCH, never compared.

    Casting to float64 would keep the real parts only, and a twin wrong in the imaginary part (or
    real where MATLAB's ``sqrt`` of a negative went complex) would pass; the tolerance, a bound for
    real arithmetic, has nothing to say about complex values either.
    """
    m, p = np.iscomplexobj(matlab), np.iscomplexobj(python)
    if m and p:
        return "complex on both sides"
    if m:
        return "complex on the MATLAB side; the NumPy side is real"
    if p:
        return "complex on the NumPy side; the MATLAB side is real"
    return None


def shape_hint(name: str, matlab: tuple[int, ...], python: tuple[int, ...]) -> str:
    """How to make the NumPy twin's shape the MATLAB one (MATLAB has no 1-D arrays)."""
    mt = "x".join(map(str, matlab))
    py = str(python)
    if len(python) == 1 and len(matlab) == 2 and matlab[0] == 1 and matlab[1] == python[0]:
        return (f"MATLAB gives a 1x{python[0]} row, NumPy a 1-D {py}: keep it 2-D in the twin, e.g. "
                f"{name}.reshape(1, -1) or sum(..., axis=0, keepdims=True).")
    if len(python) == 1 and len(matlab) == 2 and matlab[1] == 1 and matlab[0] == python[0]:
        return (f"MATLAB gives a {python[0]}x1 column, NumPy a 1-D {py}: keep it 2-D in the twin, e.g. "
                f"{name}.reshape(-1, 1) or sum(..., axis=1, keepdims=True).")
    if len(matlab) == 2 and tuple(reversed(matlab)) == python:
        return f"MATLAB gives {mt}, NumPy {py}: the transpose (a dropped or extra ' / .T)."
    return f"MATLAB gives {mt}, NumPy {py}."


def _same_shape(matlab: NDArray[Any], python: NDArray[Any]) -> NDArray[Any]:
    """A Python scalar (0-d) stands for MATLAB's 1x1; anything else keeps its shape."""
    if python.ndim == 0 and matlab.shape == (1, 1):
        return python.reshape(1, 1)
    return python


def _python_lines(func: Callable[..., Any]) -> tuple[str | None, dict[str, tuple[int, str]]]:  # noqa: PLR0912
    """(source file, name -> (line, text) of its last assignment in the callable's source), as the MATLAB side's
    divergence quotes its last."""
    target = inspect.unwrap(func)
    try:
        filename = inspect.getsourcefile(target)
        source_lines, start = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return None, {}
    text = "".join(source_lines)
    try:
        tree = ast.parse(_dedent(text))
    except SyntaxError:
        return filename, {}
    found: dict[str, tuple[int, str]] = {}
    returned: dict[str, str] = {}

    def names_of(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return [n for elt in node.elts for n in names_of(elt)]
        if isinstance(node, ast.Starred):
            return names_of(node.value)
        return []

    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension)):
            targets = [node.target]
        for t in targets:
            for n in names_of(t):
                line = start + getattr(node, "lineno", 1) - (1 if start > 0 else 0)
                if n not in found or line > found[n][0]:
                    found[n] = (line, source_lines[getattr(node, "lineno", 1) - 1].strip())
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name):
                    returned.setdefault(k.value, v.id)
    for key, var in returned.items():  # {"dW1": grad_W1}: the key's line is the variable's
        if key not in found and var in found:
            found[key] = found[var]
    return filename, found


def _dedent(text: str) -> str:
    import textwrap  # noqa: PLC0415

    return textwrap.dedent(text)


def _first_divergence(mfile: MatlabFile, func: Callable[..., Any], order: list[str],
                      reports: list[QuantityReport], hints: dict[str, str],
                      complex_reasons: Mapping[tuple[str, str], str]) -> Divergence | None:
    failing = {r.name: r for r in reversed(reports) if not r.ok}  # the first case that fails, per name
    for name in order:
        r = failing.get(name)
        if r is None:
            continue
        if (name, r.case) in complex_reasons:
            reason = complex_reasons[(name, r.case)] + ", and only real values are compared"
        elif r.shape != r.gold_shape:
            reason = hints.get(name, "shapes differ")
        elif not (np.isfinite(r.gold_sample) and np.isfinite(r.mine_sample)):
            reason = f"octave {r.gold_sample!r} vs numpy {r.mine_sample!r}"
        else:
            reason = (f"|Δ| {abs(r.gold_sample - r.mine_sample):.3g} > tolerance {r.tolerance:.3g} at "
                      f"[{','.join(map(str, r.worst_index))}], {r.bound_ratio:.3g} times the tolerance")
        st = mfile.last_assignment(name)
        py_file, py_lines = _python_lines(func)
        py = py_lines.get(name)
        return Divergence(name, r.case, reason, st.file if st else mfile.path.name, st.line if st else None,
                          st.source if st else None,
                          Path(py_file).name if py_file else None, py[0] if py else None, py[1] if py else None)
    return None


# -- the public entry points --------------------------------------------------------------------

def check_parity(
    matlab: str | Path | Sequence[str | Path],
    python: Callable[..., Mapping[str, Any]] | str,
    inputs: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    rtol: float | None = None,
    atol: float | None = None,
    bridge: Any = None,
    labels: Sequence[str] | None = None,
) -> ParityResult:
    r"""Run a MATLAB file in Octave and its NumPy twin on the same inputs; compare every shared variable.

    Parameters
    ----------
    matlab : path, or a sequence of paths
        A MATLAB **script** (run in a fresh workspace holding the inputs; every variable it
        assigns comes back) or **function file** (called with the inputs matched to its declared
        argument names; its declared outputs come back). Run verbatim by GNU Octave. Several
        scripts run one after another in one workspace (as a driver would call them).
    python : callable or str
        The twin, called as ``python(**inputs)``, returning a dict name -> array; or
        ``"MODULE:FUNCTION"`` (MODULE importable or a path to a ``.py`` file).
    inputs : dict of str to array, or a sequence of them
        One case, or many (all go to Octave in one call). Arrays are float64 (integers are
        converted, as MATLAB's doubles), booleans, or strings; 0-d integers reach Python as
        ``int`` and Octave as a double. Names must be valid MATLAB names and not Python keywords.
    rtol, atol : float, optional
        Chosen tolerance ``atol + rtol * |matlab value|`` instead of the automatic one (2x the
        rounding-error bound tracked through the twin); either may be given alone.
    bridge : dlparity.bridge.OctaveBridge, optional
        The Octave session (default: the shared one).
    labels : sequence of str, optional
        A name per case for the report (default ``"1"``, ``"2"``, …).

    Returns
    -------
    ParityResult
        ``.ok``, ``.reports``, ``.table()``, ``.to_json()``, ``.first_divergence``.

    Raises
    ------
    InputError
        Bad input of any kind (one sentence), before anything reaches Octave; also when the
        automatic tolerance is unavailable (the sentence names the operation).
    MatlabError
        The ``.m`` file failed in Octave (Octave's own message, with the line).
    dlparity.bridge.OctaveUnavailable, dlparity.bridge.OctaveError
        Octave is missing, or failed outside the user's code.
    """
    mfile = read_matlab_files(matlab, "matlab")
    func = load_callable(python) if isinstance(python, str) else python
    if not callable(func):
        raise InputError(f"python is a {type(func).__name__}; expected a function (or 'MODULE:FUNCTION').")
    label = _callable_name(func)
    cases_in = [inputs] if isinstance(inputs, Mapping) else list(inputs)
    if not cases_in:
        raise InputError("inputs is empty; expected a dict of name -> array, or a list of them (one per case).")
    names = [str(k) for k in labels] if labels is not None else [str(k + 1) for k in range(len(cases_in))]
    if len(names) != len(cases_in):
        raise InputError(f"labels has {len(names)} names for {len(cases_in)} cases; expected one per case.")
    user = _check_tolerance(rtol, atol)
    cases = [_check_inputs(c, f" (case {n})" if len(cases_in) > 1 else "") for c, n in zip(cases_in, names, strict=True)]
    _check_matlab_side(mfile, cases)
    for c in cases:
        _check_signature(func, list(c.python), label)

    # The Python side and its bounds first: their failures are the user's to fix, and Octave need not start.
    t0 = time.perf_counter()
    python_out = [run_python(func, c.python, label) for c in cases]
    python_seconds = time.perf_counter() - t0
    tolerances: list[dict[str, Array]] = []
    ambiguous: list[dict[str, int]] = []
    if user is None:
        for c, n in zip(cases, names, strict=True):
            tol, amb = _tracked_tolerances(func, c.python, label, n)
            tolerances.append(tol)
            ambiguous.append(amb)

    # The MATLAB side: every case in one Octave call.
    octave_out, octave_info = _run_octave(mfile, cases, bridge)

    # Compare, in the MATLAB side's statement order.
    order = mfile.order()
    found = _compare_all(mfile, names, octave_out, python_out, set(cases[0].python), user, tolerances, ambiguous)
    reports, hints = found.reports, found.hints
    first = _first_divergence(mfile, func, order + [r.name for r in reports if r.name not in order], reports, hints,
                              found.complex)
    description = (f"chosen by the user: atol {user['atol']:g} + rtol {user['rtol']:g} x |octave value|" if user else
                   "automatic: 2 x the rounding-error bound tracked through the NumPy twin (docs/error-bounds.md)")
    complex_values: dict[str, str] = {}
    for (name, _), why in found.complex.items():
        complex_values.setdefault(name, why)  # the first case's
    result = ParityResult(mfile, label, names, reports, found.matlab_only, found.python_only, found.not_compared,
                          description, user, first, octave_info, python_seconds, hints,
                          [{"octave": m, "numpy": p} for (m, _), p in zip(octave_out, python_out, strict=True)],
                          complex_values, found.tolerances, func)
    for observer in list(OBSERVERS):
        observer(result)
    return result


@dataclass
class _Found:
    reports: list[QuantityReport] = field(default_factory=list)
    matlab_only: list[str] = field(default_factory=list)
    python_only: list[str] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    complex: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, case) -> which side is complex
    tolerances: list[dict[str, Array]] = field(default_factory=list)  # per case: name -> elementwise tolerance

    def note(self, names: list[str], name: str) -> None:
        if name not in names:
            names.append(name)


def _compare_all(mfile: MatlabFile, labels: list[str], octave_out: list[tuple[dict[str, Any], dict[str, str]]],
                 python_out: list[dict[str, Any]], input_names: set[str], user: dict[str, float] | None,
                 tolerances: list[dict[str, Array]], ambiguous: list[dict[str, int]],
                 ) -> _Found:
    """Every shared name of every case, shapes first, then values; what is not shared is listed; complex refused."""
    f = _Found()
    order = mfile.order()
    for k, (m_vals, m_skipped) in enumerate(octave_out):
        p_vals = python_out[k]
        f.tolerances.append({})
        m_names = [n for n in order if n in m_vals or n in m_skipped]
        m_names += [n for n in sorted(set(m_vals) | set(m_skipped)) if n not in m_names and n not in input_names]
        for n in m_names:
            if n not in p_vals:
                f.note(f.matlab_only, n)
                continue
            mine = _as_compared(p_vals[n])
            if n in m_skipped or isinstance(mine, str):
                f.not_compared[n] = f"MATLAB {m_skipped[n]}" if n in m_skipped else f"Python {mine}"
                continue
            gold = np.asarray(m_vals[n])
            mine = _same_shape(gold, mine)
            why = _complex_reason(gold, mine)
            if why is not None:
                f.complex[(n, labels[k])] = why
                f.reports.append(QuantityReport(labels[k], mfile.name, n, mine.shape, gold.shape, "octave", "numpy",
                                                math.nan, math.nan, math.nan, math.nan, 0, math.nan, math.inf,
                                                ambiguous[k].get(n, 0) if ambiguous else 0, ok=False))
                continue
            gold = gold.astype(np.float64)
            if mine.shape != gold.shape:
                f.hints[n] = shape_hint(n, gold.shape, mine.shape)
                tol = np.zeros(gold.shape)
            elif user is not None:
                tol = user["atol"] + user["rtol"] * np.abs(gold)
            else:
                tol = 2.0 * np.broadcast_to(tolerances[k].get(n, np.zeros(gold.shape)).reshape(mine.shape), gold.shape)
            f.tolerances[k][n] = np.asarray(tol, dtype=np.float64)
            f.reports.append(compare_quantity(labels[k], mfile.name, n, gold, mine, f.tolerances[k][n],
                                              ambiguous[k].get(n, 0) if ambiguous else 0))
        for n in p_vals:
            if n not in m_vals and n not in m_skipped and n not in input_names:
                f.note(f.python_only, n)
    return f


def assert_parity(*args: Any, **kwargs: Any) -> ParityResult:
    """:func:`check_parity`, raising ``AssertionError`` whose message is the side-by-side table on a mismatch."""
    __tracebackhide__ = True
    result = check_parity(*args, **kwargs)
    if not result.ok:
        raise AssertionError("MATLAB/NumPy parity failed\n" + result.table())
    return result


def _check_tolerance(rtol: float | None, atol: float | None) -> dict[str, float] | None:
    if rtol is None and atol is None:
        return None
    out = {}
    for flag, value in (("rtol", rtol), ("atol", atol)):
        if value is None:
            out[flag] = 0.0
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise InputError(f"{flag} is {value!r}; expected a finite number >= 0.")
        if not (math.isfinite(float(value)) and float(value) >= 0):
            raise InputError(f"{flag} is {value!r}; expected a finite number >= 0.")
        out[flag] = float(value)
    return out


def _check_matlab_side(mfile: MatlabFile, cases: list[_Inputs]) -> None:
    if mfile.kind != "function":
        return
    for special in ("varargin",):
        if special in mfile.arguments:
            raise InputError(f"matlab {mfile.path.name} declares {special}; the pair mode matches inputs to declared "
                             "argument names, so declare each argument by name.")
    if "varargout" in mfile.outputs:
        raise InputError(f"matlab {mfile.path.name} declares varargout; declare each output by name so it can be compared.")
    if mfile.name != mfile.path.stem:
        raise InputError(f"matlab {mfile.path.name} declares function {mfile.name!r}; Octave calls a function file by "
                         f"its file name, so rename the function to {mfile.path.stem!r} (or the file).")
    for c in cases:
        given = list(c.octave)
        missing = [a for a in mfile.arguments if a not in given]
        extra = [g for g in given if g not in mfile.arguments]
        if missing:
            raise InputError(f"the inputs lack {', '.join(missing)}, which {mfile.path.name} declares as arguments "
                             f"({', '.join(mfile.arguments)}); the inputs hold {', '.join(given) or 'nothing'}.")
        if extra:
            raise InputError(f"the inputs hold {', '.join(extra)}, which {mfile.path.name} does not declare as arguments "
                             f"({', '.join(mfile.arguments) or 'none'}).")


def _tracked_tolerances(func: Callable[..., Any], inputs: dict[str, Any], label: str,
                        case: str) -> tuple[dict[str, Array], dict[str, int]]:
    from dlparity.bounds.tracked import UnsupportedOperation, track  # noqa: PLC0415

    try:
        with np.errstate(all="ignore"):  # a value or bound that stops being finite is refused in one sentence
            tracked = track(func, inputs)
    except UnsupportedOperation as exc:
        raise InputError(f"the automatic tolerance is unavailable for {label}: {exc}") from None  # it says rtol=/atol=
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"python function {label} raised {_one_line(exc)} while its rounding-error bounds were "
                         "tracked.") from None
    return ({n: np.asarray(v.error, dtype=np.float64) for n, v in tracked.items()},
            {n: int(v.ambiguous) for n, v in tracked.items()})


def _run_octave(mfile: MatlabFile, cases: list[_Inputs], bridge: Any) -> tuple[list[tuple[dict[str, Any], dict[str, str]]], dict[str, Any]]:
    """Run every case in one Octave call; (values, skipped) per case and what to say about Octave."""
    if bridge is None:
        from dlparity.bridge import get_bridge  # noqa: PLC0415

        bridge = get_bridge()
    payload: list[Any] = ([dict(c.octave) for c in cases] if mfile.kind == "script"
                          else [[c.octave[a] for a in mfile.arguments] for c in cases])
    bridge.call("addpath", MFILES.as_posix(), nout=0)
    t0 = time.perf_counter()
    files = [p.as_posix() for p in mfile.files]
    outs = bridge.call("dlparity_run_mfile", mfile.kind, files[0] if len(files) == 1 else files, payload,
                       list(mfile.outputs))
    seconds = time.perf_counter() - t0
    items = _cells(outs)
    if len(items) == 1 and isinstance(items[0], Mapping) and "error" in items[0]:
        raise MatlabError(_matlab_message(mfile, str(items[0]["error"]), list(cases[0].octave)))
    if len(items) != len(cases):
        from dlparity.bridge import OctaveError  # noqa: PLC0415

        raise OctaveError(f"Octave returned {len(items)} results for {len(cases)} cases of {mfile.path.name}.")
    results = []
    for item in items:
        values = _fields(item.get("values"))
        logical = set(_fields(item.get("logical")))
        skipped = {k: str(v) for k, v in _fields(item.get("skipped")).items()}
        values = {k: (np.asarray(v) != 0 if k in logical else v) for k, v in values.items()}
        results.append((values, skipped))
    if getattr(bridge, "source", "live") == "stored":
        info = {**bridge.describe(), "seconds": round(seconds, 4)}
    else:
        info = {"source": "live", "version": octave_version(bridge), "recorded": None, "seconds": round(seconds, 4),
                "restarts": len(getattr(bridge, "restarts", []) or [])}
    return results, info


def octave_version(bridge: Any) -> str:
    """GNU Octave's version as the bridge reports it (asked once per bridge)."""
    cached = getattr(bridge, "_dlparity_version", None)
    if cached is None:
        try:
            cached = str(bridge.call("OCTAVE_VERSION"))
        except Exception:  # the version is a label, never a reason to fail
            cached = "?"
        with contextlib.suppress(AttributeError):
            bridge._dlparity_version = cached
    return str(cached)


def _cells(value: Any) -> list[Any]:
    if isinstance(value, np.ndarray) and value.dtype == object:
        return list(np.ravel(value))
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _fields(value: Any) -> dict[str, Any]:
    """An Octave struct as a dict; an empty struct may arrive as an empty cell or None."""
    if isinstance(value, Mapping):
        return dict(value)
    return {}


def _matlab_message(mfile: MatlabFile, message: str, inputs: list[str]) -> str:
    """Octave's error as one sentence; an undefined name is explained in terms of the inputs."""
    text = " ".join(message.split())
    undefined = re.search(r"'(\w+)' undefined", text)
    if undefined and mfile.kind == "function" and undefined.group(1) in mfile.outputs:
        case = re.match(r"case \d+ of \d+: ", text)
        said = text[case.end():] if case else text
        return (f"matlab {mfile.path.name} failed in Octave{' in ' + case.group(0)[:-2] if case else ''}: its declared "
                f"output {undefined.group(1)!r} was never assigned on the path this case took (Octave: {said}); "
                "every output must be assigned before the function returns.")
    if undefined and mfile.kind == "script":
        return (f"matlab {mfile.path.name} failed in Octave: {text}; if {undefined.group(1)!r} is an input the script "
                f"expects, add it to the inputs (they hold {', '.join(inputs) or 'nothing'}).")
    return f"matlab {mfile.path.name} failed in Octave: {text}."


def iter_reports(results: Iterable[ParityResult]) -> Iterable[QuantityReport]:
    for r in results:
        yield from r.reports
