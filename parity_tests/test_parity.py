"""Octave running the document's MATLAB vs the NumPy port, on 240 seeded cases in batched calls.

The tests run in the order the maths flows: shapes, then the forward pass, the loss, and each
gradient, for both forms; then the two forms against each other on each side. Every value must
lie within its tolerance: twice the first-order rounding-error bound of
:mod:`dlparity.bounds.hand` (each side may be that far from exact arithmetic; measured
differences sit well below it, and the terminal summary prints the largest ratio seen).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dlparity.blocks import OUTPUTS
from dlparity.cases import suite_cases
from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.section1 import CaseResult, evaluate

pytestmark = pytest.mark.octave

#: The suite's 240 seeded cases (dlparity.cases.suite_cases: every situation the foundation issue names,
#: then random shapes); seeds are consecutive, so any failure replays with its own seed.
CASES = suite_cases()


@pytest.fixture(scope="module")
def results(octave_bridge: Any) -> list[CaseResult]:
    """All cases through NumPy and through Octave: one Octave call per form."""
    return evaluate(CASES, ("backprop", "manual"), bridge=octave_bridge)


@pytest.fixture(scope="module")
def reports(results: list[CaseResult], ratio_log: list) -> list[QuantityReport]:
    out = [r for result in results for r in result.reports()]
    ratio_log.extend(out)
    return out


def select(reports: list[QuantityReport], form: str, name: str) -> list[QuantityReport]:
    chosen = [r for r in reports if r.form == form and r.name == name]
    assert len(chosen) >= len(CASES), f"{form} {name}: only {len(chosen)} comparisons for {len(CASES)} cases"
    return chosen


def test_case_set_covers_the_required_situations() -> None:
    labels = {c.label for c in CASES}
    assert len(CASES) >= 200
    assert {"upstream shape", "batch of 1", "hidden width 1", "input width 1", "zero pre-activations"} <= labels
    ragged = [c for c in CASES if c.inputs.N == 10_000 and c.inputs.i == 9_985]
    assert ragged and all(c.inputs.batch_end - c.inputs.i + 1 == 16 for c in ragged)
    assert all(np.any(c.inputs.b1 != 0) for c in CASES if c.label != "zero pre-activations")


ORDERED = [(form, name) for form in ("backprop", "manual") for name in OUTPUTS[form]]
IDS = [f"{form}-{name}" for form, name in ORDERED]


@pytest.mark.parametrize(("form", "name"), ORDERED, ids=IDS)
def test_shapes(reports: list[QuantityReport], form: str, name: str) -> None:
    bad = [r.message() for r in select(reports, form, name) if r.shape != r.gold_shape]
    assert not bad, f"{len(bad)} shape mismatches; first: {bad[0] if bad else ''}"


@pytest.mark.parametrize(("form", "name"), ORDERED, ids=IDS)
def test_values_within_bound(reports: list[QuantityReport], form: str, name: str) -> None:
    chosen = select(reports, form, name)
    bad = [r for r in chosen if not r.ok]
    assert not bad, f"{len(bad)} of {len(chosen)} cases exceed the tolerance; first: {bad[0].message()}"


@pytest.mark.parametrize("name", OUTPUTS["manual"], ids=OUTPUTS["manual"])
def test_forms_agree_on_each_side(reports: list[QuantityReport], name: str) -> None:
    """Section 1.2's closed form and section 1.3's backprop give the same gradients, on each side."""
    chosen = [r for r in reports if r.form == "manual-vs-backprop" and r.name == name]
    assert len(chosen) == 2 * len(CASES)
    bad = [r for r in chosen if not r.ok]
    assert not bad, f"{len(bad)} disagreements; first: {bad[0].message()}"


def test_exact_zero_preactivations_have_zero_derivative(results: list[CaseResult]) -> None:
    """Both sides agree that ReLU_deriv(0) is 0: delta is exactly 0 wherever z is exactly 0."""
    zero_cases = [r for r in results if r.case.label == "zero pre-activations"]
    seen = 0
    for r in zero_cases:
        for z, delta in (("z1", "delta1"), ("z2", "delta2")):
            for side in ("octave", "numpy"):
                values = getattr(r, side)["backprop"]
                zeros = values[z] == 0
                seen += int(zeros.sum())
                assert np.all(values[delta][zeros] == 0), (
                    f"{side} {delta} is nonzero where {z} == 0 in case {r.case.describe()}: "
                    f"{values[delta][zeros]}")
            assert np.array_equal(r.octave["backprop"][z] == 0, r.numpy["backprop"][z] == 0), (
                f"octave and numpy disagree on which entries of {z} are exactly 0 in {r.case.describe()}")
    assert seen >= 2 * 2 * len(zero_cases), f"only {seen} exact zeros were constructed"


def test_ragged_batch_has_16_columns(results: list[CaseResult]) -> None:
    for r in results:
        if r.case.inputs.N == 10_000:
            for side in ("octave", "numpy"):
                assert getattr(r, side)["backprop"]["x"].shape == (37, 16), f"{side} x in {r.case.describe()}"
