r"""Two nested values compared leaf by leaf, each leaf named by its MATLAB path (``nn.W{1}``, ``s(2).w``).

MATLAB's value (decoded from Octave, :mod:`dlparity.wire`) and the twin's are walked together, fields in
MATLAB's order, cells in MATLAB's linear order. At each node:

- **structure**: a struct (``dict``) against a dict, a struct array against a
  :class:`~dlparity.values.StructArray`, a cell against a ``list`` or :class:`~dlparity.values.Cell`
  (a plain list matches a cell *vector* of either orientation; a ``Cell`` is compared with its shape).
  A field on one side only, a cell of another length, a struct where a cell was: each is a
  :class:`Difference` of kind ``"structure"`` naming the path and the fix.
- **class**: a numeric or logical leaf's MATLAB class against the twin's dtype, *separately* from its
  value; a difference is of kind ``"class"`` and names the dtype to use (``.astype(np.int32)``). A Python
  ``int`` stands for any integer class or ``double`` (MATLAB's literals), a ``float`` for ``double``, a
  ``bool`` for ``logical``.
- **value**: every numeric or logical leaf is a :class:`~dlparity.comparison.compare.QuantityReport` named
  by its path. Integer and logical leaves compare exactly (MATLAB's saturating, rounding integer arithmetic
  is the reference: ``int32(7) / int32(2)`` is 4); floating leaves against the tolerance given for that
  leaf (``2E`` from the tracked twin, or the user's ``atol + rtol |matlab|``).
- **text**: equal or not (a difference of kind ``"text"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dlparity.comparison.compare import QuantityReport, compare_quantity
from dlparity.values import NUMPY_TO_MATLAB, Cell, Opaque, StructArray, matlab_path

if TYPE_CHECKING:
    from dlparity.comparison.variables import ToleranceRule

Step = tuple[str, Any]


@dataclass(frozen=True)
class Difference:
    """A leaf (or node) whose two sides differ in structure, class or text: always a MISMATCH."""

    path: str
    case: str
    kind: str  # "structure", "class" or "text"
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "case": self.case, "kind": self.kind, "reason": self.reason}


@dataclass
class Leaves:
    """What comparing every top-level variable of every case found, in MATLAB's order."""

    reports: list[QuantityReport] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    matlab_only: list[str] = field(default_factory=list)
    python_only: list[str] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    complex: dict[tuple[str, str], str] = field(default_factory=dict)  # (path, case) -> which side is complex
    #: (path, case) -> where its tolerance came from: "exact", "user", "derived", "fallback (REASON)"
    tolerance_from: dict[tuple[str, str], str] = field(default_factory=dict)
    #: path -> why the tracker could not bound it, for leaves compared with no tolerance at all (the first case's)
    not_checked: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)  # every path met, in order (the first case's, then new ones)
    texts: int = 0  # text leaves compared
    #: (path, case) -> (octave, numpy, elementwise tolerance): each numeric leaf as compared (the HTML heatmap)
    compared: dict[tuple[str, str], tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]] = field(
        default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def note(self, names: list[str], name: str) -> None:
        if name not in names:
            names.append(name)

    def visit(self, path: str) -> None:
        if path not in self._seen:
            self._seen.add(path)
            self.paths.append(path)

    def differ(self, path: str, case: str, kind: str, reason: str) -> None:
        self.visit(path)
        self.differences.append(Difference(path, case, kind, reason))


def python_path(root: str, steps: list[Step]) -> str:
    """The same leaf as the twin writes it, 0-based: ``nn["W"][0]``, ``s[1]["w"]``."""
    out = root
    for kind, key in steps:
        if kind == "field":
            out += f'["{key}"]'
        elif isinstance(key, tuple):
            out += f".at({', '.join(str(i + 1) for i in key)})"
        else:
            out += f"[{key}]"
    return out


def compare_variable(found: Leaves, case: str, form: str, name: str, matlab: Any, python: Any, tracked: Any,
                     rule: ToleranceRule) -> None:
    """Compare one top-level variable's two sides into ``found``.

    ``tracked`` is the twin's value as the tracker returned it, nested as the twin's value is (each leaf a
    ``TrackedValue`` with its bound E and ambiguous count, or an ``Untracked`` with the reason; None where there
    is none); ``rule`` turns a leaf's into its tolerance (:class:`~dlparity.comparison.variables.ToleranceRule`).
    """
    _walk(found, case, form, name, [], matlab, python, tracked, rule)


def _kind(value: Any) -> str:  # noqa: PLR0911 (one return per kind)
    if isinstance(value, StructArray):
        return f"struct array ({'x'.join(map(str, value.shape))})"
    if isinstance(value, Mapping):
        return "struct (dict)"
    if isinstance(value, Cell):
        return f"cell ({'x'.join(map(str, value.shape))})"
    if isinstance(value, list):
        return f"cell (list of {len(value)})"
    if isinstance(value, str):
        return "char (str)"
    if isinstance(value, Opaque):
        return value.matlab_class
    if isinstance(value, (np.ndarray, np.generic, bool, int, float, complex)):
        return "numeric array"
    return type(value).__name__


def _sub(nest: Any, step: Step) -> Any:
    """The part of a tolerance nest at one step (None when the nest has no such part)."""
    kind, key = step
    if nest is None:
        return None
    if kind == "field":
        return nest.get(key) if isinstance(nest, Mapping) else None
    if isinstance(nest, (list, tuple)) and isinstance(key, int) and 0 <= key < len(nest):
        return nest[key]
    if isinstance(nest, (Cell, StructArray)) and isinstance(key, tuple):
        return nest.at(*(i + 1 for i in key))
    return None


def _index(shape: tuple[int, ...], k: int) -> Any:
    """Element ``k`` (0-based, linear) as MATLAB writes it: ``{3}`` in a vector, ``{1, 2}`` in a matrix."""
    if len(shape) == 2 and (shape[0] == 1 or shape[1] == 1):
        return k
    return tuple(int(i) for i in np.unravel_index(k, shape, order="F"))


def _walk(found: Leaves, case: str, form: str, root: str, steps: list[Step], gold: Any, mine: Any,
          tracked: Any, rule: ToleranceRule) -> None:
    path = matlab_path(root, steps)
    py = python_path(root, steps)
    found.visit(path)
    if isinstance(gold, Opaque):
        found.not_compared[path] = f"MATLAB {gold.matlab_class}"
        return
    if isinstance(gold, StructArray):
        _struct_array(found, case, form, root, steps, gold, mine, tracked, rule)
        return
    if isinstance(gold, Mapping):
        if not isinstance(mine, Mapping):
            found.differ(path, case, "structure", f"MATLAB has a struct, Python a {_kind(mine)}: return a dict "
                                                  f"with the fields {', '.join(gold) or '(none)'} as {py}.")
            return
        spelt = _spelt_otherwise(gold, mine)
        for name in gold:
            if name in spelt:
                found.differ(matlab_path(root, [*steps, ("field", name)]), case, "structure",
                             f"field {name} is spelt {spelt[name]} in Python (MATLAB's names are case-sensitive): "
                             f"rename {py}[\"{spelt[name]}\"] to {py}[\"{name}\"].")
            elif name not in mine:
                found.differ(matlab_path(root, [*steps, ("field", name)]), case, "structure",
                             f"field {name} is only in MATLAB: set {py}[\"{name}\"] in the twin.")
            else:
                step = ("field", name)
                _walk(found, case, form, root, [*steps, step], gold[name], mine[name], _sub(tracked, step), rule)
        for name in mine:
            if name not in gold and name not in spelt.values():
                found.differ(matlab_path(root, [*steps, ("field", str(name))]), case, "structure",
                             f"field {name} is only in Python: MATLAB's struct {path} has no field {name}; "
                             f"remove {py}[\"{name}\"] (or assign it in the MATLAB).")
        return
    if isinstance(gold, list):  # a cell: a plain list (1xN) or a Cell
        _cell(found, case, form, root, steps, gold, mine, tracked, rule)
        return
    if isinstance(gold, str) or (isinstance(gold, np.ndarray) and gold.dtype.kind == "U"):
        _text(found, case, path, gold, mine)
        return
    _numeric(found, case, form, path, py, np.asarray(gold), mine, tracked, rule)


def _spelt_otherwise(gold: Mapping[str, Any], mine: Mapping[Any, Any]) -> dict[str, str]:
    """MATLAB's fields missing from the twin that it has in another case (``W`` and ``w``): MATLAB name -> twin's.

    Only a one-to-one match counts (a twin holding both ``w`` and ``W0`` is not guessed at)."""
    extra = [k for k in mine if isinstance(k, str) and k not in gold]
    found: dict[str, str] = {}
    for name in gold:
        if name not in mine:
            same = [k for k in extra if k.lower() == name.lower()]
            if len(same) == 1 and sum(g.lower() == name.lower() for g in gold if g not in mine) == 1:
                found[name] = same[0]
    return found


def _struct_array(found: Leaves, case: str, form: str, root: str, steps: list[Step], gold: StructArray,
                  mine: Any, tracked: Any, rule: ToleranceRule) -> None:
    path, py = matlab_path(root, steps), python_path(root, steps)
    shape = "x".join(map(str, gold.shape))
    if not isinstance(mine, StructArray):
        found.differ(path, case, "structure",
                     f"MATLAB has a {shape} struct array ({path}(k).f), Python a {_kind(mine)}: return "
                     f"dlparity.values.StructArray([...], shape={gold.shape}) (a list is a cell array, {{s1, s2}}).")
        return
    if mine.shape != gold.shape:
        found.differ(path, case, "structure", f"struct array {path} is {shape} in MATLAB, "
                                              f"{'x'.join(map(str, mine.shape))} in Python.")
        return
    if mine.fields != gold.fields:
        only_m = [f for f in gold.fields if f not in mine.fields]
        only_p = [f for f in mine.fields if f not in gold.fields]
        found.differ(path, case, "structure",
                     f"struct array {path} has fields {', '.join(gold.fields)} in MATLAB, "
                     f"{', '.join(mine.fields)} in Python"
                     + (f": add {', '.join(only_m)} to {py}" if only_m else "")
                     + (f"{';' if only_m else ':'} remove {', '.join(only_p)}" if only_p else "") + ".")
        return
    for k in range(len(gold)):
        at = ("elem", _index(gold.shape, k))
        for name in gold.fields:
            step = ("field", name)
            _walk(found, case, form, root, [*steps, at, step], gold[k][name], mine[k][name],
                  _sub(_sub(tracked, ("elem", k)), step), rule)


def _cell(found: Leaves, case: str, form: str, root: str, steps: list[Step], gold: list[Any], mine: Any,
          tracked: Any, rule: ToleranceRule) -> None:
    path, py = matlab_path(root, steps), python_path(root, steps)
    shape = gold.shape if isinstance(gold, Cell) else (1, len(gold))
    text = "x".join(map(str, shape))
    vector = len(shape) == 2 and (shape[0] == 1 or shape[1] == 1 or len(gold) == 0)
    if not isinstance(mine, list) or isinstance(mine, StructArray):
        found.differ(path, case, "structure", f"MATLAB has a {text} cell, Python a {_kind(mine)}: return a list "
                                              f"as {py}" + ("" if vector else f" (a Cell of shape {shape})") + ".")
        return
    if isinstance(mine, Cell) and mine.shape != shape:
        found.differ(path, case, "structure", f"cell {path} is {text} in MATLAB, "
                                              f"{'x'.join(map(str, mine.shape))} in Python: make it "
                                              f"Cell([...], shape={shape}).")
        return
    if not isinstance(mine, Cell) and not vector:
        found.differ(path, case, "structure", f"MATLAB has a {text} cell, Python a plain list: return "
                                              f"dlparity.values.Cell(items, shape={shape}) (column-major order).")
        return
    if len(mine) != len(gold):
        found.differ(path, case, "structure", f"cell {path} has {len(gold)} elements in MATLAB, {len(mine)} in "
                                              f"Python: {py} needs {len(gold)}.")
    for k in range(min(len(gold), len(mine))):
        step = ("cell", _index(shape, k))
        _walk(found, case, form, root, [*steps, step], gold[k], mine[k], _sub(tracked, ("cell", k)), rule)


def _text(found: Leaves, case: str, path: str, gold: Any, mine: Any) -> None:
    if isinstance(gold, str):
        if not isinstance(mine, str):
            found.differ(path, case, "class", f"MATLAB has char text {gold!r}, Python a {_kind(mine)}: return a str.")
            return
        found.texts += 1
        if mine != gold:
            found.differ(path, case, "text", f"text differs: MATLAB {gold!r}, Python {mine!r}.")
        return
    found.texts += 1
    if not (isinstance(mine, np.ndarray) and mine.shape == gold.shape and np.array_equal(mine, gold)):
        found.differ(path, case, "text", f"MATLAB has a {'x'.join(map(str, gold.shape))} char array; Python's "
                                         "differs (expected a NumPy array of one-character strings of that shape).")


def _class_of(value: Any) -> str | None:
    """The MATLAB class a Python leaf stands for; "" for a Python int (any integer class or double)."""
    if isinstance(value, (bool, np.bool_)):
        return "logical"
    if isinstance(value, int):
        return ""
    if isinstance(value, (float, complex)):
        return "double"
    arr = np.asarray(value)
    part = {"c": {8: np.float32, 16: np.float64}.get(arr.dtype.itemsize)}.get(arr.dtype.kind)
    return NUMPY_TO_MATLAB.get(np.dtype(part) if part is not None else arr.dtype)


def _dtype_fix(matlab_class: str, py: str) -> str:
    name = {"logical": "bool", "double": "np.float64", "single": "np.float32"}.get(matlab_class, f"np.{matlab_class}")
    return f"{py}.astype({name})" if matlab_class != "logical" else f"{py}.astype(bool)"


def _numeric(found: Leaves, case: str, form: str, path: str, py: str, gold: NDArray[Any], mine: Any,
             tracked: Any, rule: ToleranceRule) -> None:
    if isinstance(mine, (Mapping, list, str)) or not isinstance(
            mine, (np.ndarray, np.generic, bool, int, float, complex)):  # None too: a slot [None] * n left unfilled
        found.differ(path, case, "structure", f"MATLAB has a {NUMPY_TO_MATLAB.get(gold.dtype, 'numeric')} "
                                              f"array, Python a {_kind(mine)}: return an array as {py}.")
        return
    g_class = _class_of(gold)
    m_class = _class_of(mine)
    mine_arr = np.asarray(mine)
    # A Python int, or a NumPy integer array (np.argmax, astype(int), an index: how ports hold whole numbers), stands
    # for MATLAB's double holding whole numbers: its values are compared, not its class (a wrapped or truncated
    # integer shows there). The other way round, a float for MATLAB's integer or logical class, is a difference.
    whole_for_double = g_class == "double" and mine_arr.dtype.kind in "iu" and not isinstance(mine, bool)
    if m_class is None or (m_class != g_class and not whole_for_double
                           and not (m_class == "" and g_class not in ("logical", "single"))):
        what = f"NumPy {mine_arr.dtype}" if not isinstance(mine, (int, float, bool)) else f"a Python {type(mine).__name__}"
        found.differ(path, case, "class", f"class differs: MATLAB {g_class}, {what}; use {_dtype_fix(g_class or 'double', py)}.")
    count = ambiguous_count(tracked)
    if mine_arr.ndim == 0 and gold.shape == (1, 1):  # a Python scalar stands for MATLAB's 1x1
        mine_arr = mine_arr.reshape(1, 1)
    why = _complex_reason(gold, mine_arr)
    if why is not None:
        found.complex[(path, case)] = why
        nan = math.nan
        found.reports.append(QuantityReport(
            case=case, form=form, name=path, shape=mine_arr.shape, gold_shape=gold.shape, gold_label="octave",
            mine_label="numpy", gold_sample=nan, mine_sample=nan, max_abs_diff=nan, max_rel_diff=nan, max_ulp=0,
            tolerance=nan, bound_ratio=math.inf, ambiguous=count, ok=False))
        return
    exact = gold.dtype.kind in "biu"
    gold64, mine64 = gold.astype(np.float64), mine_arr.astype(np.float64)
    if mine_arr.shape != gold.shape:  # a MISMATCH whatever the tolerance
        found.hints[path] = shape_hint(py, gold.shape, mine_arr.shape)
        tolerance = np.zeros(gold.shape)
        source = "exact" if exact else "user" if rule.user is not None else "derived"
    elif exact:  # integer and logical leaves: MATLAB's value exactly
        tolerance, source = np.zeros(gold.shape), "exact"
    else:
        chosen, source = rule.tolerance(tracked, gold64, mine_arr.shape)
        if chosen is None:
            found.not_checked.setdefault(path, source)
            return
        tolerance = chosen
    found.tolerance_from[(path, case)] = source
    found.compared[(path, case)] = (gold64, mine64, np.asarray(tolerance, dtype=np.float64))
    single = gold.dtype == np.float32 and mine_arr.dtype == np.float32  # both single: ULPs counted in singles
    report = compare_quantity(case, form, path, gold64, mine64, found.compared[(path, case)][2], count,
                              ulps_of=np.float32 if single else np.float64)
    if report.ok and exact and mine_arr.dtype.kind in "iu" and not np.array_equal(gold.astype(object),
                                                                                  mine_arr.astype(object)):
        report = replace(report, ok=False)  # 64-bit integers beyond 2**53 differ where their doubles do not
    found.reports.append(report)


def untracked_reason(tracked: Any) -> str | None:
    """Why the tracker could not bound a leaf (``Untracked(value, reason)``), or None."""
    if tracked is None or hasattr(tracked, "error"):
        return None
    reason = getattr(tracked, "reason", None)
    return reason if isinstance(reason, str) else None


def ambiguous_count(tracked: Any) -> int:
    """The count of mask-ambiguous entries reaching a tracked leaf (0 where there is none)."""
    count = getattr(tracked, "ambiguous", 0) if tracked is not None else 0
    return int(count) if isinstance(count, (int, np.integer, bool)) else 0


def _complex_reason(matlab: NDArray[Any], python: NDArray[Any]) -> str | None:
    """Which side is complex (None when both are real): such a leaf is a MISMATCH, never compared.

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


# -- the automatic tolerance through nests ---------------------------------------------------------------------

def flatten(value: Any, steps: tuple[Step, ...] = ()) -> list[tuple[tuple[Step, ...], Any]]:
    """Every leaf of a nest with the steps that reach it (``("field", name)`` into a dict, ``("cell", k)``
    0-based into a list, :class:`Cell` or :class:`StructArray`), in order."""
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in flatten(v, (*steps, ("field", k)))]
    if isinstance(value, list):
        return [leaf for k, v in enumerate(value) for leaf in flatten(v, (*steps, ("cell", k)))]
    return [(steps, value)]


def rebuild(value: Any, leaves: Mapping[tuple[Step, ...], Any], steps: tuple[Step, ...] = ()) -> Any:
    """``value``'s nest with the leaves ``leaves`` names replaced (each container rebuilt as its own type)."""
    if isinstance(value, StructArray):
        items = [rebuild(v, leaves, (*steps, ("cell", k))) for k, v in enumerate(value)]
        return StructArray(items, value.shape, value.fields)
    if isinstance(value, Mapping):
        return {k: rebuild(v, leaves, (*steps, ("field", k))) for k, v in value.items()}
    if isinstance(value, list):
        items = [rebuild(v, leaves, (*steps, ("cell", k))) for k, v in enumerate(value)]
        return Cell(items, value.shape) if isinstance(value, Cell) else items
    return leaves.get(steps, value)


def track_nested(track: Any, func: Any, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """``track(func, inputs)`` (which walks dicts, lists, cells and struct arrays) for inputs holding MATLAB classes
    the tracker does not take: an integer leaf of a class other than int64 (``int32``, ``uint8``: exact, and what
    the twin computes from it in integer arithmetic is MATLAB's class, compared exactly) reaches the twin as it
    is, outside the tracker. A ``single`` (float32) leaf is tracked as float32 (u = 2^-24); another float class is
    refused in one sentence naming its path (leaving it untracked would give a bound of 0, which is untrue).
    """
    from dlparity.bounds.tracked import UnsupportedOperation  # noqa: PLC0415

    constants: dict[tuple[Step, ...], Any] = {}
    for name, value in inputs.items():
        for steps, leaf in flatten(value, (("field", name),)):
            if not isinstance(leaf, (np.ndarray, np.generic)) or leaf.dtype in (np.float64, np.float32, np.bool_):
                continue
            if leaf.dtype.kind == "f":
                raise UnsupportedOperation(
                    f"input {matlab_path(name, list(steps[1:]))} is {NUMPY_TO_MATLAB.get(leaf.dtype, str(leaf.dtype))} "
                    f"({leaf.dtype}), and the bound tracker models float64 and float32 rounding only (a bound of 0 "
                    "would be untrue); give rtol= and atol= instead.")
            if leaf.dtype.kind in "iu":
                constants[steps] = leaf
    if not constants:
        return track(func, inputs)
    holes = rebuild(dict(inputs), dict.fromkeys(constants))  # None: exact, handed to the twin as it is

    def twin(**nest: Any) -> Any:
        return func(**rebuild(nest, constants))

    return track(twin, holes)
