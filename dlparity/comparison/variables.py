"""Matching the two sides' variables: every name both produce compared (shapes first, then values), the rest listed.

A name only one side produced, or one that is not a numeric array, is never silently dropped: it
is listed in the report. Complex values are a MISMATCH (only real values are compared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.comparison.compare import QuantityReport, compare_quantity
from dlparity.matlab_file import MatlabFile

Array = NDArray[np.float64]


@dataclass(frozen=True)
class CaseBounds:
    """What tracking the twin gave for one case: per output its bound E and its count of mask-ambiguous entries,
    or why it has none (``untracked``: name -> "numpy.linalg.solve at twin.py:14")."""

    error: dict[str, Array] = field(default_factory=dict)
    ambiguous: dict[str, int] = field(default_factory=dict)
    untracked: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ToleranceRule:
    """Where each variable's tolerance comes from: the user's ``rtol``/``atol`` for all of them, else 2E from the
    tracked bound, and for a variable the tracker could not bound the user's fallback, if given.

    ``bounds`` holds one :class:`CaseBounds` per case (none when the user chose the tolerance).
    """

    user: dict[str, float] | None = None
    fallback: dict[str, float] | None = None
    bounds: list[CaseBounds] = field(default_factory=list)

    def source(self, case: int, name: str) -> str:
        """Where the tolerance of ``name`` in case ``case`` comes from (see :meth:`tolerance`)."""
        if self.user is not None:
            return "user"
        reason = self.bounds[case].untracked.get(name)
        if reason is None:
            return "derived"
        return "untracked" if self.fallback is None else f"fallback ({reason})"

    def tolerance(self, case: int, name: str, gold: Array, shape: tuple[int, ...]) -> tuple[Array | None, str]:
        """(the tolerance of ``name`` in case ``case``, elementwise as ``gold``; where it comes from): ``"user"``,
        ``"derived"``, ``"fallback (REASON)"``; or None with ``"untracked"`` when nothing may judge it (the tracker
        could not bound it and no fallback was given)."""
        source = self.source(case, name)
        if source == "untracked":
            return None, source
        chosen = self.user if self.user is not None else self.fallback if source != "derived" else None
        if chosen is not None:
            return chosen["atol"] + chosen["rtol"] * np.abs(gold), source
        error = self.bounds[case].error.get(name, np.zeros(gold.shape))
        return 2.0 * np.broadcast_to(np.reshape(error, shape), gold.shape), source

    def ambiguous(self, case: int, name: str) -> int:
        return self.bounds[case].ambiguous.get(name, 0) if self.bounds else 0


@dataclass
class Found:
    """What matching the two sides found, over every case."""

    reports: list[QuantityReport] = field(default_factory=list)
    matlab_only: list[str] = field(default_factory=list)
    python_only: list[str] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)
    complex: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, case) -> which side is complex
    #: (name, case) -> where its tolerance came from: "user", "derived", "fallback (REASON)"
    tolerance_from: dict[tuple[str, str], str] = field(default_factory=dict)
    #: name -> why the tracker could not bound it, for variables compared with no tolerance at all (the first case's)
    not_checked: dict[str, str] = field(default_factory=dict)

    def note(self, names: list[str], name: str) -> None:
        if name not in names:
            names.append(name)


def compare_all(mfile: MatlabFile, labels: list[str], octave_out: list[tuple[dict[str, Any], dict[str, str]]],
                python_out: list[dict[str, Any]], input_names: set[str], rule: ToleranceRule) -> Found:
    """Every shared name of every case, shapes first, then values; what is not shared is listed; complex refused;
    a variable with no tolerance to judge it (untracked, no fallback) listed as not checked, never passed."""
    f = Found()
    order = mfile.order()
    for k, (m_vals, m_skipped) in enumerate(octave_out):
        p_vals = python_out[k]
        m_names = [n for n in order if n in m_vals or n in m_skipped]
        m_names += [n for n in sorted(set(m_vals) | set(m_skipped)) if n not in m_names and n not in input_names]
        for n in m_names:
            if n not in p_vals:
                f.note(f.matlab_only, n)
                continue
            mine = as_compared(p_vals[n])
            if n in m_skipped or isinstance(mine, str):
                f.not_compared[n] = f"MATLAB {m_skipped[n]}" if n in m_skipped else f"Python {mine}"
                continue
            gold = np.asarray(m_vals[n])
            mine = same_shape(gold, mine)
            why = complex_reason(gold, mine)
            if why is not None:
                f.complex[(n, labels[k])] = why
                f.reports.append(QuantityReport(
                    case=labels[k], form=mfile.name, name=n, shape=mine.shape, gold_shape=gold.shape,
                    gold_label="octave", mine_label="numpy", gold_sample=math.nan, mine_sample=math.nan,
                    max_abs_diff=math.nan, max_rel_diff=math.nan, max_ulp=0, tolerance=math.nan,
                    bound_ratio=math.inf, ambiguous=rule.ambiguous(k, n), ok=False))
                continue
            gold = gold.astype(np.float64)
            if mine.shape != gold.shape:  # a MISMATCH whatever the tolerance
                f.hints[n] = shape_hint(n, gold.shape, mine.shape)
                tol, source = np.zeros(gold.shape), rule.source(k, n)
            else:
                found, source = rule.tolerance(k, n, gold, mine.shape)
                if found is None:
                    f.not_checked.setdefault(n, rule.bounds[k].untracked[n])
                    continue
                tol = found
            f.tolerance_from[(n, labels[k])] = source
            f.reports.append(compare_quantity(labels[k], mfile.name, n, gold, mine, np.asarray(tol, dtype=np.float64),
                                              rule.ambiguous(k, n)))
        for n in p_vals:
            if n not in m_vals and n not in m_skipped and n not in input_names:
                f.note(f.python_only, n)
    return f


def as_compared(value: Any) -> NDArray[Any] | str:
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


def complex_reason(matlab: NDArray[Any], python: NDArray[Any]) -> str | None:
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


def same_shape(matlab: NDArray[Any], python: NDArray[Any]) -> NDArray[Any]:
    """A Python scalar (0-d) stands for MATLAB's 1x1; anything else keeps its shape."""
    if python.ndim == 0 and matlab.shape == (1, 1):
        return python.reshape(1, 1)
    return python

