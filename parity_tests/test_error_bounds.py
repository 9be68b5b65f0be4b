"""The rounding-error bounds of :mod:`dlparity.bounds.hand`, checked against exact arithmetic.

A bound is a claim about the distance from the exact result, so it is tested against the exact
result: each case is evaluated in rational arithmetic (``fractions.Fraction``, on the very doubles
the blocks receive) and every quantity that NumPy, Octave and PyTorch compute must lie within its
bound, the distance taken exactly. Two hand-built cases show the bound is not a loose guess: one
attains the bound on z1 to within a part in 10^7, the other flips a ReLU mask and needs the
widening at mask-ambiguous entries to stay valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from oracle_support import exact_block, exact_excess, require_torch

from dlparity.blocks import FORMS, OUTPUTS, run_checked, run_octave_cases
from dlparity.bounds.hand import U, block_error_bounds, form_error_bounds, gamma
from dlparity.cases import Case, draw_case, zero_preactivation_case
from dlparity.comparison.section1 import evaluate
from dlparity.oracles.autodiff import autodiff_gradients
from dlparity.oracles.autograd_oracle import autograd_gradients
from dlparity.validation import check_block_inputs

GRADIENTS = ("dW3", "db3", "dW2", "db2", "dW1", "db1")

# two doubles whose product needs one more bit than a double has, exactly halfway:
# (1 + 2^-26)(1 + 2^-27) = 1 + 2^-26 + 2^-27 + 2^-53, which rounds (to even) down by u = 2^-53
W_TIE, X_TIE = 1 + 2.0**-26, 1 + 2.0**-27
P_TIE = W_TIE * X_TIE  # the rounded product, 1 + 2^-26 + 2^-27


def scaled(case: Case, exponents: dict[str, float], label: str) -> Case:
    """``case`` with each named array multiplied by 10**exponent (magnitudes 1e-3 .. 1e3)."""
    arrays = {k: v * 10.0 ** exponents.get(k, 0.0) for k, v in case.inputs.arrays().items()}
    inp = check_block_inputs(*arrays.values(), case.inputs.i, case.inputs.batch_size)
    return Case(label, case.seed, inp)


def near_zero(case: Case) -> Case:
    """``case`` with b1 set so that z1 of the batch's first sample is 0 up to rounding (masks ambiguous)."""
    inp = case.inputs
    b1 = -(inp.W1 @ inp.X[inp.i - 1, :].reshape(-1, 1))
    arrays = {**inp.arrays(), "b1": b1}
    return Case("z1 within rounding of 0", case.seed, check_block_inputs(*arrays.values(), inp.i, inp.batch_size))


def exact_cases() -> list[Case]:
    """Small cases (rational arithmetic is slow), covering the situations the suite cares about."""
    cases = [
        draw_case(31, (3, 4, 2), 7, 4, 1, "full batch"),
        draw_case(32, (3, 4, 2), 7, 4, 5, "ragged last batch (3 of 4)"),
        draw_case(33, (2, 3, 3), 5, 1, 3, "batch of 1"),
        draw_case(34, (1, 1, 1), 3, 2, 1, "widths 1"),
        draw_case(35, (8, 12, 6), 20, 16, 1, "wider"),
        zero_preactivation_case(36, sizes=(3, 4, 3), samples=6, batch=4),
        near_zero(draw_case(37, (4, 5, 3), 8, 6, 1)),
        scaled(draw_case(38, (3, 5, 4), 9, 6, 4), {"X": 3, "W1": -3, "b1": 0, "W2": 3, "b2": 3, "W3": -3}, "magnitudes 1e-3..1e3"),
        scaled(draw_case(39, (3, 5, 4), 9, 6, 1), {"X": -3, "y": -3, "W1": -3, "b1": -3, "W2": -3, "b2": -3}, "magnitudes 1e-3"),
    ]
    return cases


CASES = exact_cases()
IDS = [f"{c.label}-seed{c.seed}" for c in CASES]


def assert_within_exact(case: Case, side: str, form: str, values: dict[str, Any], exact: dict[str, Any],
                        error: dict[str, np.ndarray], names: tuple[str, ...]) -> float:
    """Every named quantity within its bound of the exact value; returns the largest ratio."""
    largest = 0.0
    for name in names:
        ratio, at = exact_excess(values[name], exact[name], error[name])
        assert ratio <= 1.0, (
            f"{side}/{form} {name}{list(at)}: computed={np.asarray(values[name])[at]!r} "
            f"exact={float(exact[name][at])!r}, |diff| / bound = {ratio:.3g} > 1 "
            f"(bound {error[name][at]:.3g}) in case {case.describe()}")
        largest = max(largest, ratio)
    return largest


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_numpy_within_bound_of_exact(case: Case, form: str) -> None:
    values = run_checked(form, case.inputs)
    bp = run_checked("backprop", case.inputs)
    bounds = form_error_bounds(form, case.inputs, bp)  # derived for the form's own grouping
    assert_within_exact(case, "numpy", form, values, exact_block(case.inputs), bounds.error, OUTPUTS[form])
    if form == "manual":  # the section 1.3 derivation is true for the 1.2 lines too, only looser
        assert_within_exact(case, "numpy", form, values, exact_block(case.inputs),
                            block_error_bounds(case.inputs, bp).error, OUTPUTS[form])


@pytest.mark.octave
def test_octave_within_bound_of_exact(octave_bridge: Any) -> None:
    """Octave's values of every quantity, both forms, within the bound of exact (one call per form)."""
    for form in FORMS:
        outs = run_octave_cases(octave_bridge, form, [c.inputs for c in CASES])
        for case, values in zip(CASES, outs, strict=True):
            bounds = form_error_bounds(form, case.inputs, run_checked("backprop", case.inputs))
            assert_within_exact(case, "octave", form, values, exact_block(case.inputs), bounds.error, OUTPUTS[form])


@pytest.mark.parametrize("library", ["autograd", pytest.param("torch", marks=pytest.mark.oracle)])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_autodiff_within_bound_of_exact(case: Case, library: str) -> None:
    """HIPS autograd's and PyTorch's float64 gradients obey the same bound: they evaluate the same products."""
    if library == "torch":
        require_torch()
        grads = autodiff_gradients(case.inputs)
    else:
        grads = autograd_gradients(case.inputs)
    bounds = block_error_bounds(case.inputs, run_checked("backprop", case.inputs))
    assert_within_exact(case, library, "autodiff", grads, exact_block(case.inputs), bounds.error, GRADIENTS)


def tie_case(b1: float, b2: float = 0.0) -> Case:
    """d = h1 = h2 = 1 and one sample: z1 = W_TIE * X_TIE + b1, the product rounding by u exactly; z2 = a1 + b2."""
    inp = check_block_inputs(np.array([[X_TIE]]), np.array([[0.5]]), np.array([[W_TIE]]), np.array([[b1]]),
                             np.array([[1.0]]), np.array([[b2]]), np.array([[1.0]]), np.array([[0.0]]), 1, 1)
    return Case(f"tie, b1={b1!r}, b2={b2!r}", 0, inp)


def test_bound_is_attained_on_z1() -> None:
    """z1 = w x + b with both roundings going the same way by u: the error is 2u, the bound gamma_2 = 2u/(1-2u).

    With b1 = 2^-53, w x rounds down by 2^-53 and then w x + b1 is again exactly halfway and
    rounds down (to even) by 2^-53: 2u below exact, while the bound is gamma_2 * (|w x| + |b|).
    A ratio near 1 shows each rounding in the model is real; one gamma fewer would be violated.
    """
    case = tie_case(b1=2.0**-53)
    values = run_checked("backprop", case.inputs)
    exact = exact_block(case.inputs)
    bounds = block_error_bounds(case.inputs, values)
    ratio, _ = exact_excess(values["z1"], exact["z1"], bounds.error["z1"])
    assert 0.999 < ratio <= 1.0, f"z1: |computed - exact| / bound = {ratio!r}; expected just below 1 in {case.describe()}"
    one_gamma_fewer = gamma(1) * (abs(W_TIE) * abs(X_TIE) + 2.0**-53)
    worse, _ = exact_excess(values["z1"], exact["z1"], np.array([[one_gamma_fewer]]))
    assert worse > 1.0, f"gamma_1 instead of gamma_2 should be violated, ratio {worse!r}"


def test_mask_flip_is_covered_by_widening() -> None:
    """b1 = -fl(w x): computed z1 is exactly 0 (mask 0) while the exact z1 is 2^-53 > 0 (mask 1).

    Then delta1, dW1 and db1 are 0 in floating point and about 1 exactly: an error as large as
    the value itself. The entry is reported mask-ambiguous and its bound widened to the whole
    product |W2' delta2|, which covers it; the unwidened bound would not.
    """
    case = tie_case(b1=-P_TIE, b2=1.0)  # b2 = 1 keeps z2 = a1 + 1 certainly positive: one flip only
    values = run_checked("backprop", case.inputs)
    exact = exact_block(case.inputs)
    assert values["z1"][0, 0] == 0.0 and exact["z1"][0, 0] == U, "the construction did not flip the mask"
    bounds = block_error_bounds(case.inputs, values)
    assert bounds.ambiguous["z1"][0, 0], f"z1 = 0 within its bound {bounds.error['z1'][0, 0]:.3g} must be ambiguous"
    largest = assert_within_exact(case, "numpy", "backprop", values, exact, bounds.error, ("delta1", "dW1", "db1"))
    assert largest > 0.99, f"the flip should use nearly all of the widened bound, used {largest:.3g}"
    unwidened = gamma(1) * abs(values["delta2"][0, 0])  # what a certain entry would be allowed
    # exact delta1 is ~1, the unwidened bound ~1e-16: without widening the bound would fail by ~1e16
    assert abs(float(exact["delta1"][0, 0])) > 1e10 * unwidened


def test_certain_masks_are_not_widened() -> None:
    """Away from 0 no entry is ambiguous, and the bounds stay of rounding size (|bound| / |value| < 1e-12)."""
    case = draw_case(5, (5, 7, 3), 40, 8, 33)
    values = run_checked("backprop", case.inputs)
    bounds = block_error_bounds(case.inputs, values)
    assert not bounds.ambiguous["z1"].any() and not bounds.ambiguous["z2"].any()
    for name in GRADIENTS:
        rel = float(np.max(bounds.error[name] / np.maximum(np.abs(values[name]), 1e-300)))
        # every entry of these gradients is a sum of at most ~40 products: bound ~ (d + h + B) u
        assert rel < 1e-12, f"{name}: bound / |value| = {rel:.3g}, too loose for case {case.describe()}"


@pytest.mark.parametrize("form", FORMS)
def test_two_flipped_masks_are_covered(form: str) -> None:
    """With b2 = 0, z2 = a1 is computed 0 too while exactly 2^-53: both masks flip, and every quantity stays within bound."""
    case = tie_case(b1=-P_TIE)
    values = run_checked(form, case.inputs)
    bp = run_checked("backprop", case.inputs)
    exact = exact_block(case.inputs)
    assert bp["z2"][0, 0] == 0.0 and exact["z2"][0, 0] > 0, "the construction did not flip the z2 mask"
    bounds = form_error_bounds(form, case.inputs, bp)
    assert bounds.ambiguous["z1"].all() and bounds.ambiguous["z2"].all()
    assert_within_exact(case, "numpy", form, values, exact, bounds.error, OUTPUTS[form])


# -- the tolerance between two sides: exactly twice the bound, from the formula ------------------

def higham_gamma(n: int) -> float:
    """gamma_n = n u / (1 - n u) (Higham, Lemma 3.1), written out here rather than imported."""
    u = np.finfo(np.float64).eps / 2  # 2^-53, unit roundoff of round-to-nearest double
    return n * u / (1 - n * u)


def z1_tolerance_by_hand(case: Case) -> np.ndarray:
    r"""Twice Higham's bound on z1 = W1 x + b1, with the safety factor error_bounds.py documents.

    Each side computes z1 within :math:`\gamma_{d+1}(|W_1||x| + |b_1|)` of exact (a product of
    inner dimension d plus one addition: d + 1 roundings on the longest chain). error_bounds.py
    then multiplies every bound by :math:`1 + 2\gamma_k`, k = d + h1 + 2 h2 + 2B + 40, because the
    bound is itself evaluated in floating point. Two sides, each within the bound of exact, may
    differ by twice it.
    """
    inp = case.inputs
    d, h1, h2 = inp.sizes
    x = inp.X[inp.i - 1:inp.batch_end, :].T  # the minibatch, d-by-B (MATLAB X(i:batch_end, :)')
    B = x.shape[1]
    bound = higham_gamma(d + 1) * (np.abs(inp.W1) @ np.abs(x) + np.abs(inp.b1))
    safety = 1 + 2 * higham_gamma(d + h1 + 2 * h2 + 2 * B + 40)
    return 2 * safety * bound


TOLERANCE_CASE = draw_case(5, (5, 7, 3), 40, 8, 33, "compare's default")


def test_z1_tolerance_is_twice_highams_bound() -> None:
    """Bounds.tolerance('z1') is 2 x the bound computed by hand: a looser (or tighter) factor fails.

    1e-12 relative: both sides of the comparison evaluate the same sum of d + 1 non-negative
    terms, perhaps grouped differently, so they agree to ~(d + 3) u ~ 1e-15 relative; a factor
    of 2 too many or too few (or 200 instead of 2) is off by 100 % or more.
    """
    inp = TOLERANCE_CASE.inputs
    mine = block_error_bounds(inp, run_checked("backprop", inp)).tolerance("z1")
    gold = z1_tolerance_by_hand(TOLERANCE_CASE)
    rel = np.abs(mine - gold) / gold
    k = np.unravel_index(int(np.argmax(rel)), rel.shape)
    assert rel[k] <= 1e-12, (f"z1{list(k)} tolerance: error_bounds={mine[k]!r} by hand={gold[k]!r}, "
                             f"relative difference {rel[k]:.3g} in case {TOLERANCE_CASE.describe()}")


@pytest.mark.parametrize(("multiple", "flagged"), [(10.0, True), (0.5, False)], ids=["10x-flagged", "0.5x-passes"])
def test_planted_difference_in_z1_is_judged_against_the_tolerance(multiple: float, flagged: bool) -> None:
    """One entry of NumPy's z1 moved by ``multiple`` x the hand-computed tolerance there.

    Ten times the tolerance must be flagged, half of it must pass, and nothing else may be
    flagged: the comparison path (evaluate, CaseResult.reports, compare_quantity) judges each
    entry against 2 x its bound, no looser and no tighter. An exact copy of the NumPy values
    stands in for Octave's, so every other difference is exactly 0.
    """
    (result,) = evaluate([TOLERANCE_CASE], forms=("backprop",))
    result.octave["backprop"] = {name: value.copy() for name, value in result.numpy["backprop"].items()}
    at = (2, 5)  # z1(3, 6) in MATLAB's 1-based terms
    tolerance = z1_tolerance_by_hand(TOLERANCE_CASE)[at]
    result.numpy["backprop"]["z1"][at] += multiple * tolerance
    reports = {r.name: r for r in result.reports() if r.form == "backprop"}
    z1 = reports["z1"]
    assert z1.ok is not flagged, (f"z1{list(at)} moved by {multiple} x tolerance {tolerance:.3g}: "
                                  f"{'not flagged' if z1.ok else 'flagged'}; {z1.message()}")
    others = [r.message() for name, r in reports.items() if name != "z1" and not r.ok]
    assert not others, f"only z1 was changed, yet: {others}"
