"""Comparison machinery: how far apart two evaluations of the same quantity are, and whether that is allowed.

"gold" is the reference side (Octave running the MATLAB) and "mine" the side under test (the
NumPy twin), as numpy-ml's tests name them. Every number a report holds is measured against the
elementwise tolerance it is given. Section 1's own evaluation (both blocks, the hand-derived
bounds) is :mod:`dlparity.comparison.section1`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

_MAGNITUDE = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


def ulp_distance(a: Array, b: Array, dtype: Any = np.float64) -> NDArray[np.uint64]:
    """Number of representable doubles (``dtype=np.float32``: singles) between ``a`` and ``b``, elementwise (0 for
    +0 vs -0).

    Doubles are mapped to integers that count up monotonically through the whole float line,
    and the distance is taken in unsigned 64-bit arithmetic so opposite signs cannot overflow.
    """
    if np.dtype(dtype) == np.float32:  # a single's bits, widened exactly: the same ordering, counted in singles
        ja = np.ascontiguousarray(a, dtype=np.float32).view(np.int32).astype(np.int64)
        jb = np.ascontiguousarray(b, dtype=np.float32).view(np.int32).astype(np.int64)
        oa32 = np.where(ja < 0, -(ja & 0x7FFF_FFFF), ja)
        ob32 = np.where(jb < 0, -(jb & 0x7FFF_FFFF), jb)
        return np.abs(oa32 - ob32).astype(np.uint64)
    ia = np.ascontiguousarray(a, dtype=np.float64).view(np.int64)
    ib = np.ascontiguousarray(b, dtype=np.float64).view(np.int64)
    oa = np.where(ia < 0, -(ia & _MAGNITUDE.view(np.int64)), ia)
    ob = np.where(ib < 0, -(ib & _MAGNITUDE.view(np.int64)), ib)
    ua, ub = oa.view(np.uint64), ob.view(np.uint64)
    return np.where(oa >= ob, ua - ub, ub - ua)


def relative_difference(gold: Array, mine: Array) -> Array:
    """``|gold - mine| / max(|gold|, |mine|)`` elementwise, 0 where both are 0."""
    scale = np.maximum(np.abs(gold), np.abs(mine))
    diff = np.abs(gold - mine)
    return np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)


@dataclass(frozen=True, kw_only=True)
class QuantityReport:
    """One quantity of one case compared between two sides."""

    case: str
    form: str
    name: str
    shape: tuple[int, ...]
    gold_shape: tuple[int, ...]
    gold_label: str
    mine_label: str
    gold_sample: float
    mine_sample: float
    max_abs_diff: float
    max_rel_diff: float
    max_ulp: int
    tolerance: float
    bound_ratio: float
    ambiguous: int
    ok: bool
    worst_index: tuple[int, ...] = field(default=())
    #: entries where either side is NaN or infinite: always a mismatch (the bounds assume finite values)
    not_finite: int = 0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["shape"] = list(self.shape)
        out["gold_shape"] = list(self.gold_shape)
        out["worst_index"] = list(self.worst_index)
        return out

    def message(self) -> str:
        """One line naming the quantity, the case and both values (for test failures)."""
        if self.shape != self.gold_shape:
            return (f"{self.form} {self.name}: shape {self.mine_label} {self.shape} != "
                    f"{self.gold_label} {self.gold_shape} in case {self.case}")
        at = f"[{','.join(map(str, self.worst_index))}]"
        if self.not_finite:
            return (f"{self.form} {self.name}{at}: {self.gold_label}={self.gold_sample!r} "
                    f"{self.mine_label}={self.mine_sample!r}, not finite ({self.not_finite} of "
                    f"{int(np.prod(self.shape))} entries NaN or infinite on one side or both; a value that "
                    f"is not a finite number never matches) in case {self.case}")
        here = abs(self.gold_sample - self.mine_sample)
        verdict = ">" if here > self.tolerance else "<="
        return (f"{self.form} {self.name}{at}: {self.gold_label}={self.gold_sample!r} "
                f"{self.mine_label}={self.mine_sample!r}, |diff| {here:.3g} {verdict} tolerance "
                f"{self.tolerance:.3g} (largest |diff| {self.max_abs_diff:.3g}, bound ratio "
                f"{self.bound_ratio:.3g}, {self.max_ulp} ulp) in case {self.case}")


def compare_quantity(
    case: str, form: str, name: str, gold: Array, mine: Array, tolerance: Array,
    ambiguous: int = 0, gold_label: str = "octave", mine_label: str = "numpy", ulps_of: Any = np.float64,
) -> QuantityReport:
    """Compare ``mine`` with ``gold`` elementwise against ``tolerance`` (same shape as ``gold``).

    ``bound_ratio`` is ``max |gold - mine| / tolerance`` (0/0 counts as 0, x/0 as inf); the
    quantity is ok when the shapes agree and every difference is within its tolerance.
    The samples are the two values at the entry with the largest ratio (or largest difference). ``max_ulp`` counts
    the representable numbers of ``ulps_of`` between them (``np.float32`` where both sides are single).
    """
    gold = np.asarray(gold, dtype=np.float64)
    mine = np.asarray(mine, dtype=np.float64)
    if gold.shape != mine.shape:
        nan = float("nan")
        return QuantityReport(case=case, form=form, name=name, shape=mine.shape, gold_shape=gold.shape,
                              gold_label=gold_label, mine_label=mine_label, gold_sample=nan, mine_sample=nan,
                              max_abs_diff=nan, max_rel_diff=nan, max_ulp=0, tolerance=nan, bound_ratio=float("inf"),
                              ambiguous=ambiguous, ok=False)
    if gold.size == 0:  # both empty, of the same shape (as x(1:0, :) and x[0:0, :]): nothing can differ
        nan = float("nan")
        return QuantityReport(case=case, form=form, name=name, shape=mine.shape, gold_shape=gold.shape,
                              gold_label=gold_label, mine_label=mine_label, gold_sample=nan, mine_sample=nan,
                              max_abs_diff=0.0, max_rel_diff=0.0, max_ulp=0, tolerance=0.0, bound_ratio=0.0,
                              ambiguous=ambiguous, ok=True)
    # NaN or an infinity on either side (even the same one on both) is a mismatch: NaN == NaN
    # must not pass, and the bounds assume finite values (docs/error-bounds.md, section 10)
    finite = np.isfinite(gold) & np.isfinite(mine)
    not_finite = int(finite.size - np.count_nonzero(finite))
    g0, m0 = np.where(finite, gold, 0.0), np.where(finite, mine, 0.0)
    diff = np.where(finite, np.abs(g0 - m0), np.inf)
    ratio = np.divide(diff, tolerance, out=np.where(diff > 0, np.inf, 0.0), where=tolerance > 0)
    if not_finite:  # the worst entry: the first that is not finite
        worst_flat = int(np.argmax(~finite))
    else:  # the largest ratio, and among equal ratios (several inf) the largest difference
        worst_flat = int(np.argmax(np.where(ratio == ratio.max(initial=0.0), diff, -1.0))) if ratio.size else 0
    worst = np.unravel_index(worst_flat, gold.shape)
    ok = not_finite == 0 and bool(np.all(diff <= tolerance))
    rel = np.where(finite, relative_difference(g0, m0), np.inf)
    return QuantityReport(
        case=case, form=form, name=name, shape=mine.shape, gold_shape=gold.shape,
        gold_label=gold_label, mine_label=mine_label,
        gold_sample=float(gold[worst]), mine_sample=float(mine[worst]),
        max_abs_diff=float(diff.max(initial=0.0)),
        max_rel_diff=float(rel.max(initial=0.0)),
        max_ulp=int(ulp_distance(g0, m0, ulps_of).max(initial=0)),
        tolerance=float(tolerance[worst]), bound_ratio=float(ratio.max(initial=0.0)),
        ambiguous=ambiguous, ok=ok, worst_index=tuple(int(k) for k in worst), not_finite=not_finite)
