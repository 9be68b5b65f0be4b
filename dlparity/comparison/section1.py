"""Section 1 compared: both blocks of the document in Octave and NumPy on the same cases, against the hand-derived
bounds (:mod:`dlparity.bounds.hand`), and the two blocks against each other on each side.

Everything here knows the document's variables (``z2``, ``delta2``, ``dW2``, …); the pair mode
(:mod:`dlparity.comparison.pair`) knows none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dlparity.blocks import FORMS, OUTPUTS, Form, run_checked, run_octave_cases
from dlparity.bounds.hand import Bounds, block_error_bounds, manual_error_bounds
from dlparity.bridge import OctaveSide
from dlparity.cases import Case
from dlparity.comparison.compare import QuantityReport, compare_quantity
from dlparity.validation import check_no_overflow

Array = NDArray[np.float64]


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


def evaluate(cases: Sequence[Case], forms: Sequence[Form] = FORMS, bridge: OctaveSide | None = None) -> list[CaseResult]:
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
            octave_values = run_octave_cases(bridge, form, [c.inputs for c in cases])
            for result, values in zip(results, octave_values, strict=True):
                result.octave[form] = values
        if "backprop" in forms:  # the masks Octave actually took: widen only where they differ
            for result, bp in zip(results, numpy_backprop, strict=True):
                result.bounds = block_error_bounds(result.case.inputs, bp, result.octave["backprop"])
                if result.manual_bounds is not None:
                    result.manual_bounds = manual_error_bounds(result.case.inputs, bp, result.octave["backprop"])
    return results
