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
from dlparity.cases import UPSTREAM_BATCH, UPSTREAM_SIZES, Case, draw_case, zero_preactivation_case
from dlparity.comparison.compare import CaseResult, QuantityReport, evaluate

pytestmark = pytest.mark.octave

#: Seeds are consecutive from here, one per case, so any failure replays with its own seed.
FIRST_SEED = 20_240_000


def parity_cases() -> list[Case]:
    """The case set: every situation the foundation issue names, then random shapes up to 240 cases."""
    cases: list[Case] = []

    def add(sizes: tuple[int, int, int], samples: int, batch: int, start: int, label: str) -> None:
        cases.append(draw_case(FIRST_SEED + len(cases), sizes, samples, batch, start, label))

    for start in (1, 33):  # upstream 37 -> 128 -> 64 -> 1, batch 32: first and second minibatch
        for _ in range(5):
            add(UPSTREAM_SIZES, 64, UPSTREAM_BATCH, start, "upstream shape")
    for _ in range(2):  # upstream's ragged last minibatch: 10,000 = 312 * 32 + 16, so i = 9,985 has 16 rows
        add(UPSTREAM_SIZES, 10_000, UPSTREAM_BATCH, 9_985, "ragged last batch (16 of 32)")
    for _ in range(5):
        add((6, 9, 4), 40, 32, 33, "ragged last batch (8 of 32)")
    for k in range(10):
        add((3 + k, 5, 4), 20, 1, 1 + k, "batch of 1")
    for sizes in ((5, 1, 4), (5, 4, 1), (5, 1, 1), (1, 1, 1)):
        for _ in range(3):
            add(sizes, 24, 8, 9, "hidden width 1")
    for _ in range(5):
        add((1, 7, 3), 30, 10, 11, "input width 1")
    for _ in range(10):
        cases.append(zero_preactivation_case(FIRST_SEED + len(cases)))
    rng = np.random.default_rng(FIRST_SEED)  # shapes of the random cases; their values use each case's seed
    while len(cases) < 240:
        d, h1, h2 = (int(v) for v in rng.integers(1, 21, size=3))
        samples = int(rng.integers(1, 61))
        batch = int(rng.integers(1, samples + 4))
        start = int(rng.integers(1, samples + 1))
        add((d, h1, h2), samples, batch, start, "random shape")
    return cases


CASES = parity_cases()


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
