"""Every tolerance is tight: 3x it at one entry is flagged, 0.3x passes, for every quantity of both blocks.

test_error_bounds.py proves the bounds are TRUE (never exceeded against exact arithmetic); a
bound 100 times too loose would pass it. Here each quantity's tolerance, as the comparison path
uses it (``evaluate`` -> ``CaseResult.reports`` -> ``compare_quantity``), is pinned from the other
side. The size of each plant comes from a reference that shares no code with
:mod:`dlparity.bounds.hand`: the bound-tracking arrays of :mod:`dlparity.bounds.tracked` running
the unmodified NumPy twin (every operation with its own rule), times 2 for two sides, computed
once at import. The two derivations agree to within a few per cent (tracked / hand is in
[0.97, 1] on these cases); so a plant of 3x the reference at one entry must be flagged, and one
of 0.3x must pass, on either side (Octave's value moved, or NumPy's). The entries planted are
the two where hand / reference is smallest and largest, so a bound too tight or too loose
anywhere shows.

x and y_true are slices of the inputs: their tolerance is exactly 0, and the smallest nonzero
difference (one ULP) must be flagged.

The last test applies looser (and tighter) variants of the hand rules, one at a time, and shows
that each fails this check: gamma_1 where gamma_n belongs, a dropped propagated term, a
tolerance 10x or (gradients only) 100x too loose.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pytest
from mutation_support import mutant

from dlparity.blocks import FORMS, OUTPUTS
from dlparity.bounds import hand
from dlparity.bounds.tracked import track
from dlparity.cases import UPSTREAM_BATCH, UPSTREAM_SIZES, Case, draw_case
from dlparity.comparison import section1
from dlparity.comparison.section1 import CaseResult, evaluate
from dlparity.validation import check_block_inputs
from python_impl.run_block import run_block

#: no exact zeros and no pre-activation within rounding of 0 (no mask-ambiguous entries), so the
#: bound is the rules' and never the mask-flip widening
CASES: list[Case] = [
    draw_case(0, (5, 7, 3), 40, 8, 33, "compare's default"),
    draw_case(3, (2, 3, 2), 200, 64, 1, "batch of 64, widths 2-3: the products' gamma_B dominates"),
    draw_case(4, UPSTREAM_SIZES, 64, UPSTREAM_BATCH, 33, "upstream shape: deep sums, propagated terms dominate"),
]


def far_targets(seed: int, sizes: tuple[int, int, int], samples: int, batch: int) -> Case:
    """Targets 1e6 times the drawn ones: the error is nearly -y, its own bound only ~u |y|, so in every
    backward product the rounding of the product itself (gamma_B, gamma_h2) dominates the propagated terms."""
    base = draw_case(seed, sizes, samples, batch, 1).inputs
    arrays = {**base.arrays(), "y": 1e6 * base.y}
    return Case("targets x 1e6: the backward products' own rounding dominates", seed,
                check_block_inputs(*arrays.values(), base.i, base.batch_size))


CASES.append(far_targets(6, (3, 8, 64), 128, 64))
MULTIPLES = {3.0: True, 0.3: False}  # multiple of the reference tolerance -> flagged?
SIDES = ("octave", "numpy")


def reference_tolerance(case: Case, form: str) -> dict[str, np.ndarray]:
    """2 x the bound-tracker's bound for every quantity of ``form``: the independent reference."""
    inp = case.inputs
    tracked = track(partial(run_block, form), {**inp.arrays(), "i": inp.i, "batch_size": inp.batch_size})
    for name in OUTPUTS[form]:
        assert not np.any(tracked[name].ambiguous), f"{form} {name}: mask-ambiguous entries in {case.describe()}"
    return {name: 2.0 * tracked[name].error for name in OUTPUTS[form]}


REFERENCE = {(k, form): reference_tolerance(case, form) for k, case in enumerate(CASES) for form in FORMS}


def planted_entries(tol: np.ndarray, ref: np.ndarray) -> list[tuple[int, ...]]:
    """Among the entries with ref > 0, those where tol / ref is smallest and largest."""
    ratio = np.divide(tol, ref, out=np.ones_like(tol), where=ref > 0)
    lo = np.unravel_index(int(np.argmin(np.where(ref > 0, ratio, np.inf))), ratio.shape)
    hi = np.unravel_index(int(np.argmax(np.where(ref > 0, ratio, -np.inf))), ratio.shape)
    return [tuple(int(i) for i in lo), tuple(int(i) for i in hi)]


def tightness_problems(k: int, form: str, name: str) -> list[str]:
    """Plant 3x and 0.3x the reference at the chosen entries, on each side; every outcome that is wrong."""
    case = CASES[k]
    (result,) = evaluate([case], (form,))  # the comparison path, with a copy of NumPy's values as Octave's
    numpy_values = result.numpy[form]
    ref = REFERENCE[(k, form)][name]
    tol = result.form_bounds(form).tolerance(name)
    problems = []
    plants: list[tuple[tuple[int, ...], float, bool]] = []
    if np.any(ref == 0):
        # exact entries: x and y_true (slices of the inputs), and a ReLU output (and what it feeds)
        # where the pre-activation is surely negative; the smallest nonzero difference is a mismatch
        at = tuple(int(i) for i in np.argwhere(ref == 0)[0])
        plants.append((at, float(np.spacing(abs(numpy_values[name][at]))), True))
    if np.any(ref > 0):
        for at in planted_entries(tol, ref):
            plants += [(at, multiple * float(ref[at]), flagged) for multiple, flagged in MULTIPLES.items()]
    for at, step, flagged in plants:
        for side in SIDES:
            values = {s: {n: v.copy() for n, v in numpy_values.items()} for s in SIDES}
            values[side][name][at] += step
            planted = CaseResult(case, {form: values["numpy"]}, {form: values["octave"]}, result.bounds,
                                  result.manual_bounds)
            reports = {r.name: r for r in planted.reports()}
            report = reports[name]
            if report.ok is flagged:
                problems.append(f"{form} {name}{list(at)} on the {side} side moved by {step:.3g} "
                                f"({step / ref[at] if ref[at] > 0 else 1:.2g} x the reference {ref[at]:.3g}, "
                                f"tolerance {tol[at]:.3g}): {'not flagged' if report.ok else 'flagged'} "
                                f"in case {case.describe()}")
            others = [r.message() for n, r in reports.items() if n != name and not r.ok]
            if others:
                problems.append(f"only {form} {name} was moved, yet {others[0]}")
    return problems


PARAMS = [pytest.param(k, form, name, id=f"case{k}-{form}-{name}")
          for k in range(len(CASES)) for form in FORMS for name in OUTPUTS[form]]


@pytest.mark.parametrize(("k", "form", "name"), PARAMS)
def test_three_times_the_tolerance_is_flagged_and_a_third_passes(k: int, form: str, name: str) -> None:
    problems = tightness_problems(k, form, name)
    assert not problems, "\n".join(problems)


def test_reference_agrees_with_the_hand_bounds() -> None:
    """The premise: the two derivations agree to within 10 % at every entry (so 3x and 0.3x have room),
    each form against the hand bound of its own grouping (evaluating both forms derives both)."""
    for k, case in enumerate(CASES):
        (result,) = evaluate([case], FORMS)
        assert result.manual_bounds is not None, "section 1.2's own hand bound was not derived"
        for form in FORMS:
            for name, ref in REFERENCE[(k, form)].items():
                tol = result.form_bounds(form).tolerance(name)
                ratio = np.divide(tol, ref, out=np.where(tol > 0, np.inf, 1.0), where=ref > 0)
                assert ratio.min() >= 0.9 and ratio.max() <= 1.1, (
                    f"{form} {name}: hand / reference in [{ratio.min():.3g}, {ratio.max():.3g}] in {case.describe()}")


# -- looser (or tighter) rules fail the check -------------------------------------------------------

RULE_MUTATIONS = {  # id -> (function of dlparity.bounds.hand, old fragment of it, replacement)
    "z1-gamma1-for-gamma(d+1)": ("_forward_bounds", 'E["z1"] = gamma(d + 1) *', 'E["z1"] = gamma(1) *'),
    "dW-gamma1-for-gammaB": ("_gradients", "dW = gamma(B) *", "dW = gamma(1) *"),
    "db-gamma1-for-gamma(B-1)": ("_gradients", "db = gamma(max(B - 1, 0)) *", "db = gamma(1) *"),
    "delta-gamma1-for-gamma(n)": ("block_error_bounds", "e_p = gamma(n_inner) *", "e_p = gamma(1) *"),
    "z2-drops-propagated-a1": ("_forward_bounds", ' + aW2 @ E["a1"]', ""),
    "error-drops-propagated-z3": ("_forward_bounds", 'E["error"] = E["z3"] + ', 'E["error"] = '),
    "delta3-drops-propagated-error": ("block_error_bounds", 'c * E["error"] + ', ""),
    "delta-drops-propagated-next": ("block_error_bounds", "e_p = gamma(n_inner) * p_mag + W_abs.T @ e_next",
                                    "e_p = gamma(n_inner) * p_mag"),
    "dW-drops-propagated-delta": ("_gradients", " + e_delta @ act.T", ""),
    "db-drops-propagated-delta": ("_gradients", " + np.sum(e_delta, axis=1, keepdims=True)", ""),
    "final-widening-x10": ("_widened", "widen = 1.0 + 2.0 * gamma(", "widen = 10.0 + 2.0 * gamma("),
    # section 1.2's own derivation
    "manual-P-drops-propagated-error": ("manual_error_bounds", "e_P = gamma(1) * (aW3.T @ a_err) + aW3.T @ e_err",
                                        "e_P = gamma(1) * (aW3.T @ a_err)"),
    "manual-R-drops-propagated-Q": ("manual_error_bounds", "(aW2.T @ np.abs(Q)) + aW2.T @ e_Q", "(aW2.T @ np.abs(Q))"),
    "manual-scale-x10": ("manual_error_bounds", "return c * e_s + g_c", "return 10 * c * e_s + g_c"),
}


def plant_rule_mutation(monkeypatch: pytest.MonkeyPatch, function: str, old: str, new: str) -> None:
    """Replace one function of the hand derivation (and section1's reference to it) by its mutant."""
    changed = mutant(getattr(hand, function), old, new)
    monkeypatch.setattr(hand, function, changed)
    if hasattr(section1, function):
        monkeypatch.setattr(section1, function, changed)


def looser_tolerance(factor: float, names: tuple[str, ...]) -> Callable[[hand.Bounds, str], np.ndarray]:
    def tolerance(self: hand.Bounds, name: str) -> np.ndarray:
        return (factor if name in names else 1.0) * 2.0 * self.error[name]
    return tolerance


TOLERANCE_MUTATIONS = {
    "tolerance-x10": looser_tolerance(10.0, tuple(OUTPUTS["backprop"])),
    "gradients-x100": looser_tolerance(100.0, ("dW3", "db3", "dW2", "db2", "dW1", "db1")),
    "delta2-x1000": looser_tolerance(1000.0, ("delta2",)),
}


@pytest.mark.parametrize("mutation", [*RULE_MUTATIONS, *TOLERANCE_MUTATIONS])
def test_a_looser_or_tighter_rule_fails_the_tightness_check(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if mutation in RULE_MUTATIONS:
        plant_rule_mutation(monkeypatch, *RULE_MUTATIONS[mutation])
    else:
        monkeypatch.setattr(hand.Bounds, "tolerance", TOLERANCE_MUTATIONS[mutation])
    for param in PARAMS:  # the first that shows it is enough
        problems = tightness_problems(*param.values)
        if problems:
            print(f"{mutation}: {problems[0]}")  # shown with -s
            return
    pytest.fail(f"the bound rule mutated by {mutation!r} passes every tightness check")
