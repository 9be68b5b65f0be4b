"""Property-based cases (hypothesis): any shape, batch, start and magnitude, against both oracles.

Each example is a :class:`Spec`: widths d, h1, h2 in 1..64, N in 1..300, batch_size in 1..N+5,
the first, a middle or the ragged last minibatch, per-array magnitudes 10^-3..10^3, and sometimes
pre-activations built to be exactly 0. Hypothesis draws only the Spec; the arrays come from
``numpy.random.default_rng(seed)``, so a failure prints a Spec that rebuilds the case exactly
(:func:`build`) and the ``dlparity compare`` command that replays its unscaled draw.

Every example: the NumPy port, both forms, against finite differences and PyTorch autograd. A
batched subset also runs through Octave (one call per form), against both oracles and against
NumPy within the rounding-error bound. The runs are deterministic (``derandomize=True``, no
example database) so CI sees the same examples every time; DLPARITY_HYPOTHESIS_EXAMPLES=n
raises the count for a deeper local run.
"""

from __future__ import annotations

import importlib
import math
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from oracle_support import assert_checks_ok, require_torch

from dlparity.blocks import FORMS
from dlparity.cases import Case, draw_case, zero_preactivation_case
from dlparity.comparison.section1 import evaluate
from dlparity.oracles.gradcheck import Oracle, gradcheck
from dlparity.validation import check_block_inputs

#: Examples per run. An example costs 4-50 ms in NumPy (the 64x64x300 products, autograd and 48
#: finite differences) and ~20 ms in the Octave batch: 150 + 50 examples take ~5 s on 2 cores.
EXAMPLES = int(os.environ.get("DLPARITY_HYPOTHESIS_EXAMPLES", "150"))
OCTAVE_EXAMPLES = max(10, EXAMPLES // 3)
#: Finite-difference coordinates per parameter and example (seeded): 6 x 8 = 48 differences.
COORDS = 8

ARRAYS = ("X", "y", "W1", "b1", "W2", "b2", "W3", "b3")


@dataclass(frozen=True)
class Spec:
    """Everything that determines one case; hypothesis draws this, :func:`build` makes the arrays."""

    seed: int
    sizes: tuple[int, int, int]
    samples: int
    batch: int
    which: str  # 'first', 'middle' or 'last' minibatch
    zeros: bool  # exact-zero pre-activations (integer data scaled by powers of two)
    exponents: tuple[int, ...] = field(default=(0,) * len(ARRAYS))  # per array, in ARRAYS order

    @property
    def start(self) -> int:
        """1-based first row of the chosen minibatch (the last one may be ragged)."""
        count = math.ceil(self.samples / self.batch)
        k = {"first": 0, "middle": count // 2, "last": count - 1}[self.which]
        return 1 + k * self.batch


def build(spec: Spec) -> Case:
    """The case a Spec describes.

    Random cases: :func:`dlparity.cases.draw_case` (standard normal), each array then
    multiplied by 10**exponent. Zero cases: :func:`dlparity.cases.zero_preactivation_case`
    (small integers, some z1 and z2 entries exactly 0), scaled by powers of two chosen so that
    every product stays exact and the zeros stay exactly 0 on every machine.
    """
    if not spec.zeros:
        base = draw_case(spec.seed, spec.sizes, spec.samples, spec.batch, spec.start, label="property")
        arrays = {k: v * 10.0 ** e for (k, v), e in zip(base.inputs.arrays().items(), spec.exponents, strict=True)}
    else:
        base = zero_preactivation_case(spec.seed, spec.sizes, spec.samples, spec.batch, spec.start)
        ex, e1, e2, e3 = (3 * e for e in spec.exponents[:4])  # 2^(3e): 2^-9 .. 2^9, about 1e-3 .. 1e3
        s = {"X": ex, "W1": e1, "b1": ex + e1, "W2": e2, "b2": ex + e1 + e2, "W3": e3,
             "b3": ex + e1 + e2 + e3, "y": ex + e1 + e2 + e3}
        arrays = {k: v * 2.0 ** s[k] for k, v in base.inputs.arrays().items()}
    inp = check_block_inputs(*arrays.values(), spec.start, spec.batch)
    return Case("zero-preactivation property" if spec.zeros else "property", spec.seed, inp)


@st.composite
def specs(draw: Any) -> Spec:
    sizes = (draw(st.integers(1, 64)), draw(st.integers(1, 64)), draw(st.integers(1, 64)))
    samples = draw(st.integers(1, 300))
    batch = draw(st.integers(1, samples + 5))
    return Spec(
        seed=draw(st.integers(0, 2**32 - 1)), sizes=sizes, samples=samples, batch=batch,
        which=draw(st.sampled_from(("first", "middle", "last"))),
        zeros=draw(st.integers(0, 3)) == 0,  # about one example in four
        exponents=tuple(draw(st.integers(-3, 3)) for _ in ARRAYS))


PROFILE = {"derandomize": True, "database": None, "deadline": None, "print_blob": False,
           "suppress_health_check": [HealthCheck.too_slow]}


def replay_hint(case: Case, spec: Spec) -> str:
    return (f"case {case.describe()}; rebuild exactly with parity_tests/test_properties.py build({spec!r}); "
            f"unscaled draw: {case.replay()}")


def test_start_covers_first_middle_and_ragged_last() -> None:
    """The Spec's minibatch starts are the ones the issue names, including a ragged last batch."""
    assert Spec(0, (1, 1, 1), 10, 4, "first", False).start == 1
    assert Spec(0, (1, 1, 1), 10, 4, "middle", False).start == 5
    last = build(Spec(0, (1, 1, 1), 10, 4, "last", False))
    assert (last.inputs.i, last.inputs.batch_end) == (9, 10)  # 2 of 4 rows: ragged
    assert build(Spec(0, (1, 1, 1), 3, 8, "last", False)).inputs.i == 1  # batch_size > N: one short batch


def test_zero_specs_have_exact_zero_preactivations() -> None:
    """The zero cases keep exact zeros after scaling (they are what exercises ReLU_deriv(0) = 0)."""
    from dlparity.blocks import run_checked  # noqa: PLC0415

    case = build(Spec(5, (9, 7, 6), 30, 8, "middle", True, (3, -3, 2, -1, 0, 0, 0, 0)))
    v = run_checked("backprop", case.inputs)
    assert (v["z1"] == 0).sum() >= 1 and (v["z2"] == 0).sum() >= 1, f"no exact zeros in {case.describe()}"


#: Finite differences and HIPS autograd: both always installed, so these run everywhere.
DEFAULT_ORACLES: tuple[Oracle, ...] = ("fd", "autograd")


def check_spec(spec: Spec, oracles: tuple[Oracle, ...] = DEFAULT_ORACLES) -> None:
    """The NumPy port, both forms, against ``oracles`` on the case ``spec`` describes."""
    case = build(spec)
    (result,) = gradcheck([case], FORMS, oracles=oracles, coords=COORDS)
    assert {c.oracle for c in result.checks} == set(oracles)
    assert_checks_ok(result.checks, f"property example ({replay_hint(case, spec)})")


@settings(max_examples=EXAMPLES, **PROFILE)
@given(spec=specs())
def test_numpy_port_matches_both_oracles(spec: Spec) -> None:
    check_spec(spec)


@pytest.mark.oracle
@settings(max_examples=max(10, EXAMPLES // 3), **PROFILE)
@given(spec=specs())
def test_numpy_port_matches_pytorch(spec: Spec) -> None:
    """The second autodiff library, where installed: PyTorch on a third as many examples."""
    require_torch()
    check_spec(spec, ("autodiff",))


@pytest.mark.octave
def test_octave_subset_matches_oracles_and_numpy(octave_bridge: Any, ratio_log: list) -> None:
    """A batch of property examples through Octave: both forms vs both oracles, and vs NumPy within the bound."""
    collected: list[tuple[Spec, Case]] = []

    @settings(max_examples=OCTAVE_EXAMPLES, **PROFILE)
    @given(spec=specs())
    def collect(spec: Spec) -> None:
        case = build(spec)
        assert case.inputs.batch_end >= case.inputs.i  # a non-empty minibatch, always
        collected.append((spec, case))

    collect()
    specs_by_case = {id(case): spec for spec, case in collected}
    cases = [case for _, case in collected]
    assert len(cases) >= OCTAVE_EXAMPLES // 2, f"only {len(cases)} examples collected"

    for result in gradcheck(cases, FORMS, oracles=DEFAULT_ORACLES, bridge=octave_bridge, coords=COORDS):
        octave_checks = [c for c in result.checks if c.side == "octave"]
        assert_checks_ok(octave_checks, f"octave property example ({replay_hint(result.case, specs_by_case[id(result.case)])})")

    reports = [r for result in evaluate(cases, FORMS, bridge=octave_bridge) for r in result.reports()]
    ratio_log.extend(reports)
    bad = [r for r in reports if not r.ok]
    assert not bad, f"{len(bad)} of {len(reports)} Octave-vs-NumPy differences exceed the bound; first: {bad[0].message()}"


def test_a_failing_example_names_its_case_and_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a wrong port planted (delta1 without ReLU'(z1)), the property fails and says how to replay it."""
    run_block_module = importlib.import_module("python_impl.run_block")
    original = run_block_module.backprop

    def planted(*args: Any) -> dict[str, Any]:
        v = original(*args)
        delta1 = args[4].T @ v["delta2"]  # W2' * delta2, the planted bug: no .* ReLU_deriv(z1)
        return {**v, "delta1": delta1, "dW1": delta1 @ v["x"].T, "db1": delta1.sum(axis=1, keepdims=True)}

    monkeypatch.setattr(run_block_module, "backprop", planted)

    @settings(max_examples=20, phases=[Phase.generate], **PROFILE)  # no shrinking: the message is the point
    @given(spec=specs())
    def planted_property(spec: Spec) -> None:
        check_spec(spec)

    with pytest.raises(AssertionError) as info:
        planted_property()
    message = str(info.value)
    print(message)  # shown with -s: what a real failure looks like
    for needle in ("backprop dW1", "Spec(seed=", "sizes=", "replay: dlparity compare --seed", "unscaled draw"):
        assert needle in message, f"{needle!r} missing from the failure message: {message}"
