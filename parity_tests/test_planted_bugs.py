"""The comparison can fail: a wrong port, planted one line at a time, is reported as a mismatch
that names the quantity where it first shows and the case it showed in."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from mutation_support import mutant

from dlparity.cases import Case, draw_case, zero_preactivation_case
from dlparity.comparison.section1 import evaluate

pytestmark = pytest.mark.octave

# the modules themselves (python_impl re-exports functions of the same names)
backprop_module = importlib.import_module("python_impl.backprop")
manual_module = importlib.import_module("python_impl.manual_gradients")
relu_module = importlib.import_module("python_impl.relu")
run_block_module = importlib.import_module("python_impl.run_block")

# h1 == h2 so that a dropped transpose of the square W2 still has the right shape
CASES: list[Case] = [draw_case(777 + k, (4, 6, 6), 30, 8, 1 + 3 * k, "square hidden layers") for k in range(8)]
CASES += [zero_preactivation_case(900 + k, sizes=(4, 6, 6)) for k in range(4)]


def failures_of(octave_bridge: Any, forms: tuple[str, ...]) -> list[str]:
    results = evaluate(CASES, forms, bridge=octave_bridge)  # type: ignore[arg-type]
    return [r.message() for result in results for r in result.reports()
            if not r.ok and r.form != "manual-vs-backprop"]


def test_relu_deriv_ge_is_caught_on_exact_zeros(monkeypatch: pytest.MonkeyPatch, octave_bridge: Any) -> None:
    wrong = mutant(relu_module.ReLU_deriv, "return z > 0", "return z >= 0")
    monkeypatch.setattr(backprop_module, "ReLU_deriv", wrong)
    monkeypatch.setattr(manual_module, "ReLU_deriv", wrong)
    failures = failures_of(octave_bridge, ("backprop", "manual"))
    assert failures, "a ReLU_deriv of z >= 0 went unnoticed"
    assert all("zero pre-activations" in f for f in failures), failures[:3]
    assert any(f.startswith("backprop delta") for f in failures), failures[:3]
    assert any(f.startswith("manual dW") for f in failures), failures[:3]


def test_missing_transpose_is_caught(monkeypatch: pytest.MonkeyPatch, octave_bridge: Any) -> None:
    wrong = mutant(backprop_module.backprop, "delta1 = (W2.T @ delta2)", "delta1 = (W2 @ delta2)")
    monkeypatch.setattr(run_block_module, "backprop", wrong)
    failures = failures_of(octave_bridge, ("backprop",))
    assert failures, "W2 @ delta2 instead of W2.T @ delta2 went unnoticed"
    assert failures[0].startswith("backprop delta1"), failures[0]
    assert "seed=777" in failures[0] and "sizes d,h1,h2=4,6,6" in failures[0], failures[0]


def test_wrong_scale_is_caught(monkeypatch: pytest.MonkeyPatch, octave_bridge: Any) -> None:
    wrong = mutant(manual_module.manual_gradients,
                   "dW3 = 2 / batch_size * (error)", "dW3 = 1 / batch_size * (error)")
    monkeypatch.setattr(run_block_module, "manual_gradients", wrong)
    failures = failures_of(octave_bridge, ("manual",))
    assert failures, "1/batch_size instead of 2/batch_size went unnoticed"
    assert all(f.startswith("manual dW3") for f in failures), failures[:3]
    assert "octave=" in failures[0] and "numpy=" in failures[0]
