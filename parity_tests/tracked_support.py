"""Helpers for the bound-tracker tests (not a test module): the §1 blocks run on tracked inputs, and the checks.

Each ``check_*`` function raises AssertionError with a message naming the quantity, the case and
both numbers; the tests call them, and the rule-mutation tests call the same functions with one
rule weakened or inflated and expect them to fail.
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from typing import Any

import mpmath
import numpy as np
from oracle_support import exact_block, exact_excess

from dlparity.blocks import OUTPUTS, run_checked
from dlparity.bounds.hand import block_error_bounds, manual_error_bounds
from dlparity.bounds.tracked import TrackedValue, track
from dlparity.cases import Case
from dlparity.comparison.compare import compare_quantity
from python_impl.run_block import run_block

#: tracked / hand may fall below 1 only by the rounding of the two bounds' own evaluation:
#: both are sums of the same non-negative terms grouped differently, a few hundred roundings at most
BELOW_ONE = 1e-12


def tracked_block(form: str, case: Case) -> dict[str, TrackedValue]:
    """The unmodified twin ``run_block(form, ...)`` on tracked inputs (i and batch_size tracked too)."""
    inp = case.inputs
    inputs: dict[str, Any] = {**inp.arrays(), "i": inp.i, "batch_size": inp.batch_size}
    return track(partial(run_block, form), inputs)


def check_values_bit_identical(form: str, case: Case, result: dict[str, TrackedValue]) -> None:
    plain = run_checked(form, case.inputs)  # type: ignore[arg-type]
    for name in OUTPUTS[form]:
        mine, gold = result[name].value, plain[name]
        assert mine.shape == gold.shape and np.array_equal(mine.view(np.int64), gold.view(np.int64)), (
            f"{form} {name}: tracked value differs from plain NumPy's in case {case.describe()}")


def check_true_against_exact(form: str, case: Case, result: dict[str, TrackedValue]) -> float:
    """Every quantity within its tracked bound of the exact rational result; returns the largest ratio."""
    exact = exact_block(case.inputs)
    largest = 0.0
    for name in OUTPUTS[form]:
        tv = result[name]
        ratio, at = exact_excess(tv.value, exact[name], tv.error)
        assert ratio <= 1.0, (f"{form} {name}{list(at)}: mine (tracked) = {tv.value[at]!r} exact = "
                              f"{float(exact[name][at])!r}, |diff| / bound = {ratio:.3g} > 1 "
                              f"(bound {tv.error[at]:.3g}) in case {case.describe()}")
        largest = max(largest, ratio)
    return largest


def bound_ratios(form: str, case: Case, result: dict[str, TrackedValue]) -> dict[str, np.ndarray]:
    """Tracked bound / hand bound, entrywise, for each quantity (entries where the hand bound is 0: 1 if both are 0)."""
    derive = block_error_bounds if form == "backprop" else manual_error_bounds  # each for its own grouping
    hand = derive(case.inputs, run_checked("backprop", case.inputs))
    out = {}
    for name in OUTPUTS[form]:
        t, h = result[name].error, hand.error[name]
        out[name] = np.divide(t, h, out=np.where(t > 0, np.inf, 1.0), where=h > 0)
    return out


def check_ratio_to_hand(form: str, case: Case, result: dict[str, TrackedValue],
                        low: float = 1.0 - BELOW_ONE, high: float = 2.0) -> dict[str, np.ndarray]:
    """Tracked bound within [low, high] x the hand bound for every entry of every quantity."""
    ratios = bound_ratios(form, case, result)
    for name, r in ratios.items():
        k = np.unravel_index(int(np.argmax(np.abs(np.log(np.where(r > 0, r, 1e-300))))), r.shape) if r.size else ()
        assert r.size == 0 or (r.min() >= low and r.max() <= high), (
            f"{form} {name}{list(k)}: tracked / hand = {r[k]!r} outside [{low}, {high}] "
            f"(min {r.min():.6g}, max {r.max():.6g}) in case {case.describe()}")
    return ratios


def check_planted(form: str, case: Case, result: dict[str, TrackedValue], multiple: float, flagged: bool) -> None:
    """One entry of each quantity moved by ``multiple`` x its tolerance (2 x tracked bound): flagged or passing.

    The entry is the one with the largest tolerance; where the bound is 0 everywhere (x, y_true: slices
    of the inputs), the plant is one ulp, which must be flagged, and 0.3 x 0 = 0, which must pass.
    """
    for name in OUTPUTS[form]:
        tv = result[name]
        tolerance = 2.0 * tv.error
        at = np.unravel_index(int(np.argmax(tolerance)), tolerance.shape)
        step = multiple * tolerance[at] if tolerance[at] > 0 else (np.spacing(abs(tv.value[at])) if flagged else 0.0)
        mine = tv.value.copy()
        mine[at] += step
        report = compare_quantity(case.describe(), form, name, tv.value, mine, tolerance, tv.ambiguous,
                                  gold_label="numpy", mine_label="planted")
        assert report.ok is not flagged, (f"{form} {name}{list(at)} moved by {multiple} x tolerance "
                                          f"{tolerance[at]:.3g}: {'not flagged' if report.ok else 'flagged'}; "
                                          f"{report.message()}")


def distance_from_exact(value: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|value - exact| entry by entry, the exact side Fractions or mpmath numbers, as floats."""
    return np.vectorize(lambda v, e: float(abs(Fraction(float(v)) - e)) if isinstance(e, Fraction)
                        else float(abs(mpmath.mpf(float(v)) - e)), otypes=[float])(value, exact)


def bound_used(value: np.ndarray, exact: np.ndarray, bound: np.ndarray, name: str, where: str) -> float:
    """The largest |value - exact| / bound, asserted at most 1 (the bound is true); what it uses of the bound."""
    dist = distance_from_exact(value, exact)
    bound = np.asarray(bound)
    ratio = float(np.max(np.divide(dist, bound, out=np.where(dist > 0, np.inf, 0.0), where=bound > 0), initial=0.0))
    assert ratio <= 1.0, f"{name}: |mine - exact| / bound = {ratio:.3g} > 1 {where}"
    return ratio
