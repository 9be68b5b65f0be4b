"""Comparison machinery: how far apart two evaluations of the same quantity are, and whether that is allowed.

"gold" is the reference side (Octave running the document's MATLAB) and "mine" the side under
test (the NumPy port), as numpy-ml's tests name them. Every number a report holds is measured;
the tolerance is the elementwise rounding-error bound of :mod:`dlparity.bounds.hand`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.blocks import FORMS, OUTPUTS, Form, run_checked
from dlparity.bounds.hand import Bounds, block_error_bounds, manual_error_bounds
from dlparity.cases import Case
from dlparity.validation import check_no_overflow

Array = NDArray[np.float64]

_MAGNITUDE = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


def ulp_distance(a: Array, b: Array) -> NDArray[np.uint64]:
    """Number of representable doubles between ``a`` and ``b``, elementwise (0 for +0 vs -0).

    Doubles are mapped to integers that count up monotonically through the whole float line,
    and the distance is taken in unsigned 64-bit arithmetic so opposite signs cannot overflow.
    """
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


@dataclass(frozen=True)
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
    ambiguous: int = 0, gold_label: str = "octave", mine_label: str = "numpy",
) -> QuantityReport:
    """Compare ``mine`` with ``gold`` elementwise against ``tolerance`` (same shape as ``gold``).

    ``bound_ratio`` is ``max |gold - mine| / tolerance`` (0/0 counts as 0, x/0 as inf); the
    quantity is ok when the shapes agree and every difference is within its tolerance.
    The samples are the two values at the entry with the largest ratio (or largest difference).
    """
    gold = np.asarray(gold, dtype=np.float64)
    mine = np.asarray(mine, dtype=np.float64)
    if gold.shape != mine.shape:
        nan = float("nan")
        return QuantityReport(case, form, name, mine.shape, gold.shape, gold_label, mine_label,
                              nan, nan, nan, nan, 0, nan, float("inf"), ambiguous, ok=False)
    if gold.size == 0:  # both empty, of the same shape (as x(1:0, :) and x[0:0, :]): nothing can differ
        nan = float("nan")
        return QuantityReport(case, form, name, mine.shape, gold.shape, gold_label, mine_label,
                              nan, nan, 0.0, 0.0, 0, 0.0, 0.0, ambiguous, ok=True)
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
        max_ulp=int(ulp_distance(g0, m0).max(initial=0)),
        tolerance=float(tolerance[worst]), bound_ratio=float(ratio.max(initial=0.0)),
        ambiguous=ambiguous, ok=ok, worst_index=tuple(int(k) for k in worst), not_finite=not_finite)


def _ambiguous_count(bounds: Bounds, name: str) -> int:
    """Mask-ambiguous entries that can reach quantity ``name`` (z2's reach delta2 onwards, z1's delta1 onwards)."""
    z2 = int(bounds.ambiguous["z2"].sum())
    z1 = int(bounds.ambiguous["z1"].sum())
    if name in ("delta2", "dW2", "db2"):
        return z2
    if name in ("delta1", "dW1", "db1"):
        return z1 + z2
    return 0


@dataclass
class CaseResult:
    """Every evaluation of one case: NumPy and (when run) Octave, both forms, and the bounds.

    ``bounds`` is derived for the section 1.3 grouping, ``manual_bounds`` for section 1.2's
    (:func:`dlparity.bounds.hand.manual_error_bounds`); without it section 1.2 is judged against
    ``bounds``, which is true for it too but looser.
    """

    case: Case
    numpy: dict[str, dict[str, Array]]
    octave: dict[str, dict[str, Array]]
    bounds: Bounds
    manual_bounds: Bounds | None = None

    def form_bounds(self, form: str) -> Bounds:
        """The bounds derived for ``form``'s grouping."""
        return self.manual_bounds if form == "manual" and self.manual_bounds is not None else self.bounds

    def reports(self) -> list[QuantityReport]:
        """Octave vs NumPy for each form, then the two forms against each other on each side."""
        out: list[QuantityReport] = []
        label = self.case.describe()
        for form in self.numpy:
            if form not in self.octave:
                continue
            for name in OUTPUTS[form]:
                bounds = self.form_bounds(form)
                out.append(compare_quantity(label, form, name, self.octave[form][name], self.numpy[form][name],
                                            bounds.tolerance(name), _ambiguous_count(bounds, name)))
        if "backprop" in self.numpy and "manual" in self.numpy:
            for side, values in (("numpy", self.numpy), ("octave", self.octave)):
                if "backprop" not in values or "manual" not in values:
                    continue
                for name in OUTPUTS["manual"]:
                    out.append(compare_quantity(
                        label, "manual-vs-backprop", name, values["backprop"][name], values["manual"][name],
                        # each form within its own bound of exact: they may differ by the sum of the two
                        self.bounds.error[name] + self.form_bounds("manual").error[name],
                        _ambiguous_count(self.bounds, name),
                        gold_label=f"{side}/backprop", mine_label=f"{side}/manual"))
        return out


def evaluate(cases: Sequence[Case], forms: Sequence[Form] = FORMS, bridge: Any = None) -> list[CaseResult]:
    """Evaluate every case in NumPy and, when ``bridge`` is given, in Octave (one call per form).

    The bounds come from the NumPy section 1.3 values, which are always computed; with Octave's
    section 1.3 values at hand they widen only where the two sides' ReLU masks really differ.
    """
    results, numpy_backprop = [], []
    for case in cases:
        with np.errstate(all="ignore"):  # an overflow is refused below in one sentence, not warned about
            numpy_values: dict[str, dict[str, Array]] = {form: run_checked(form, case.inputs) for form in forms}
            bp = numpy_values.get("backprop") or run_checked("backprop", case.inputs)
            bounds = block_error_bounds(case.inputs, bp)
            manual = manual_error_bounds(case.inputs, bp) if "manual" in forms else None
        # before Octave is asked: NumPy's section 1.3 quantities in statement order, then section 1.2's
        check_no_overflow([(f"NumPy's {name} (section 1.3)", bp[name], bounds.error[name])
                           for name in OUTPUTS["backprop"]]
                          + [(f"NumPy's {name} (section 1.2)", numpy_values["manual"][name], manual.error[name])
                             for name in OUTPUTS["manual"] if manual is not None])
        numpy_backprop.append(bp)
        results.append(CaseResult(case, numpy_values, {}, bounds, manual))
    if bridge is not None:
        for form in forms:
            octave_values = bridge.run_cases(form, [c.inputs for c in cases])
            for result, values in zip(results, octave_values, strict=True):
                result.octave[form] = values
        if "backprop" in forms:  # the masks Octave actually took: widen only where they differ
            for result, bp in zip(results, numpy_backprop, strict=True):
                result.bounds = block_error_bounds(result.case.inputs, bp, result.octave["backprop"])
                if result.manual_bounds is not None:
                    result.manual_bounds = manual_error_bounds(result.case.inputs, bp, result.octave["backprop"])
    return results
