"""The bound tracker on the section 1 blocks: true against exact arithmetic, within [1x, 2x] of the hand bound, tight.

The twins run unmodified (``python_impl.run_block.run_block``, which computes ``batch_end`` with
``min`` and slices ``X[i - 1:batch_end, :]`` with the tracked ``i``). "gold" is the exact rational
result (or the hand-derived bound), "mine" the tracked one. A last group of tests weakens or
inflates one rule at a time and shows that these same checks catch it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_error_bounds import CASES as EXACT_CASES
from test_error_bounds import tie_case
from test_parity import CASES as PARITY_CASES
from tracked_support import (
    BELOW_ONE,
    bound_ratios,
    check_planted,
    check_ratio_to_hand,
    check_true_against_exact,
    check_values_bit_identical,
    tracked_block,
)

import dlparity.bounds.tracked as tr
from dlparity.blocks import FORMS, OUTPUTS, run_octave_cases
from dlparity.bounds.hand import U, gamma
from dlparity.bounds.tracked import rules
from dlparity.cases import draw_case

EXACT_IDS = [f"{c.label}-seed{c.seed}" for c in EXACT_CASES]
MASK_FLIP = tie_case(b1=-(1 + 2.0**-26) * (1 + 2.0**-27), b2=1.0)  # z1 computed 0, exactly 2^-53


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", EXACT_CASES, ids=EXACT_IDS)
def test_tracked_bound_is_true_against_exact(case: Any, form: str) -> None:
    result = tracked_block(form, case)
    check_values_bit_identical(form, case, result)
    check_true_against_exact(form, case, result)


def test_mask_flip_is_counted_and_covered() -> None:
    """z1 computed 0 while exactly 2^-53: the mask entry is ambiguous, counted, and delta1 stays within its bound."""
    result = tracked_block("backprop", MASK_FLIP)
    largest = check_true_against_exact("backprop", MASK_FLIP, result)
    assert result["delta1"].ambiguous == 1 and result["z1"].ambiguous == 0, {k: v.ambiguous for k, v in result.items()}
    assert largest > 0.99, f"the flip should use nearly all of the widened bound, used {largest:.3g}"


@pytest.mark.parametrize("case", EXACT_CASES + PARITY_CASES, ids=EXACT_IDS + [f"parity-seed{c.seed}" for c in PARITY_CASES])
def test_backprop_within_one_to_two_times_hand(case: Any) -> None:
    check_ratio_to_hand("backprop", case, tracked_block("backprop", case))


@pytest.mark.parametrize("case", EXACT_CASES + PARITY_CASES[:60], ids=EXACT_IDS + [f"parity-seed{c.seed}" for c in PARITY_CASES[:60]])
def test_manual_within_one_to_two_times_hand(case: Any) -> None:
    """Against the hand bound derived for section 1.2's own grouping (``manual_error_bounds``)."""
    check_ratio_to_hand("manual", case, tracked_block("manual", case))


def test_ratio_table_in_the_summary(dlparity_notes: list[str]) -> None:
    """Tracked / hand bound per quantity over the exact and parity cases, min / median / max over every
    entry, printed at the end of the run (the same band the two tests above assert)."""
    cases = EXACT_CASES + PARITY_CASES
    lines = ["tracked / hand rounding-error bound, per quantity (min / median / max over every entry of "
             f"{len(cases)} cases):"]
    for form in FORMS:
        pooled: dict[str, list[np.ndarray]] = {name: [] for name in OUTPUTS[form]}
        for case in cases:
            for name, r in bound_ratios(form, case, tracked_block(form, case)).items():
                pooled[name].append(r.ravel())
        cells = []
        for name, parts in pooled.items():
            r = np.concatenate(parts)
            r = r[np.isfinite(r)]
            assert r.size, name
            assert r.min() >= 1.0 - BELOW_ONE and r.max() <= 2.0, f"{form} {name}: {r.min()} .. {r.max()}"
            cells.append(f"{name} {'/'.join(near_one(float(q)) for q in (r.min(), np.median(r), r.max()))}")
        lines.append(f"  {form}: " + ", ".join(cells))
    dlparity_notes.extend(lines)


def near_one(ratio: float) -> str:
    """A ratio as 1, 1-6e-14 or 1+8e-14 (4 significant digits would print 1 for all three), else 4 digits."""
    if abs(ratio - 1.0) >= 1e-4:
        return f"{ratio:.4g}"
    return "1" if ratio == 1.0 else f"1{ratio - 1.0:+.1e}"


TIGHT_CASES = [draw_case(5, (5, 7, 3), 40, 8, 33, "compare's default"), EXACT_CASES[5]]  # the second has ambiguous masks


@pytest.mark.parametrize(("multiple", "flagged"), [(3.0, True), (0.3, False)], ids=["3x-flagged", "0.3x-passes"])
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", TIGHT_CASES, ids=[c.label for c in TIGHT_CASES])
def test_planted_difference_judged_against_tracked_tolerance(case: Any, form: str, multiple: float, flagged: bool) -> None:
    check_planted(form, case, tracked_block(form, case), multiple, flagged)


@pytest.mark.octave
def test_octave_within_twice_the_tracked_bound(octave_bridge: Any) -> None:
    """Octave's values within 2 x NumPy's tracked bound on every parity case, both forms; a few ulp of slack is never needed."""
    cases = PARITY_CASES + [draw_case(31_000 + k, (37, 128, 64), 64, 32, 33, "upstream") for k in range(20)]
    worst, where = 0.0, ""
    for form in FORMS:
        outs = run_octave_cases(octave_bridge, form, [c.inputs for c in cases])
        for case, octave in zip(cases, outs, strict=True):
            result = tracked_block(form, case)
            for name in OUTPUTS[form]:
                tol = 2.0 * result[name].error
                diff = np.abs(octave[name] - result[name].value)
                ratio = float(np.max(np.divide(diff, tol, out=np.where(diff > 0, np.inf, 0.0), where=tol > 0)))
                assert ratio <= 1.0, f"{form} {name}: |octave - numpy| / (2 x tracked bound) = {ratio:.3g} in {case.describe()}"
                if ratio > worst:
                    worst, where = ratio, f"{form} {name} in {case.describe()}"
    assert worst > 0.0, "Octave and NumPy agreed bit for bit everywhere: the comparison saw nothing"
    print(f"largest |octave - numpy| / (2 x tracked bound): {worst:.3g} ({where})")


# -- each rule weakened or inflated is caught ------------------------------------------------------

def _matmul_dropping_propagation(aA: Any, eA: Any, bA: Any, eB: Any, g: float) -> Any:
    """A @ B charged g M + E_A (|B| + E_B) only: the |A| E_B term dropped."""
    left = g * (aA if eA is None else aA + eA)
    bB = bA if eB is None else bA + eB
    return left @ bB if eA is None else (left + eA) @ bB


def _times(factor: float, rule: Callable[..., Any]) -> Callable[..., Any]:
    def inflated(*args: Any) -> Any:
        out = rule(*args)
        if isinstance(out, tuple):
            return (factor * out[0], *out[1:])
        return None if out is None else factor * out
    return inflated


_original_add = tr.rule_add


def _add_generic_without_propagation(a: Any, b: Any, v: Any) -> Any:
    if a.acc is not None or b.acc is not None:
        return _original_add(a, b, v)
    return U * (np.abs(a.v) + np.abs(b.v)), 4


def _bias_without_propagation(a: Any, b: Any, v: Any) -> Any:
    fresh, other = (a, b) if a.acc is not None else (b, a)
    if fresh.acc is None or other.acc is not None:
        return _original_add(a, b, v)
    g = gamma(fresh.acc.n + 1)
    return g * (fresh.acc.M + np.abs(other.v)), fresh.acc.n + 5


_original_multiply = tr.rule_multiply


def _multiply_without_propagation(a: Any, b: Any, v: Any) -> Any:
    return U * np.abs(v), 5


def _mask_without_widening(x: Any, mask: Any) -> Any:
    return None if x.e is None else x.e * mask.v


_original_sum = tr.rule_sum


def _sum_gamma_one(x: Any, axis: Any, keepdims: bool) -> Any:
    acc, cost = _original_sum(x, axis, keepdims)
    acc.n = min(acc.n, 1)
    return acc, cost


def _sum_without_propagation(x: Any, axis: Any, keepdims: bool) -> Any:
    acc, cost = _original_sum(x, axis, keepdims)
    acc.P = None
    return acc, cost


def _relu_forgets(a: Any, b: Any, pick_a: Any) -> Any:
    return None


#: name -> (attribute of dlparity.bounds.tracked.rules, replacement)
MUTATIONS: dict[str, tuple[str, Any]] = {
    "matmul gamma_1 instead of gamma_n": ("matmul_gamma", lambda n: gamma(1)),
    "matmul drops |A| E_B": ("rule_matmul", _matmul_dropping_propagation),
    "matmul 10x": ("rule_matmul", _times(10.0, tr.rule_matmul)),
    "add drops E_a + E_b": ("rule_add", _add_generic_without_propagation),
    "bias add drops the product's P": ("rule_add", _bias_without_propagation),
    "add 10x": ("rule_add", _times(10.0, tr.rule_add)),
    "multiply drops |a| E_b + E_a |b|": ("rule_multiply", _multiply_without_propagation),
    "multiply 10x": ("rule_multiply", _times(10.0, tr.rule_multiply)),
    "mask product not widened": ("rule_mask", _mask_without_widening),
    "mask product 10x": ("rule_mask", _times(10.0, tr.rule_mask)),
    "sum gamma_1 instead of gamma_(n-1)": ("rule_sum", _sum_gamma_one),
    "sum drops sum E": ("rule_sum", _sum_without_propagation),
    "maximum forgets E": ("rule_extreme", _relu_forgets),
    "maximum 10x": ("rule_extreme", _times(10.0, tr.rule_extreme)),
}


def run_block_checks() -> None:
    """What the suite checks on the blocks, in one call: exact truth, ratio to hand, tightness."""
    for case in (*EXACT_CASES, MASK_FLIP):
        for form in FORMS:
            result = tracked_block(form, case)
            check_true_against_exact(form, case, result)
            check_ratio_to_hand(form, case, result)


def test_the_checks_pass_unmutated() -> None:
    run_block_checks()


@pytest.mark.parametrize("mutation", list(MUTATIONS), ids=list(MUTATIONS))
def test_a_changed_rule_is_caught(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    attribute, replacement = MUTATIONS[mutation]
    monkeypatch.setattr(rules, attribute, replacement)  # where the operations read each rule
    with pytest.raises(AssertionError):
        run_block_checks()
