"""The sigmoid variant of section 1.3 (backprop_sigmoid.m, a script) against its twin, through dlparity's plugin.

The inputs are drawn in Python and sent to Octave; the tolerance is the automatic one (the twin
run once more on bound-tracking arrays). A one-line slip in the twin, and one in the MATLAB,
must each be reported with delta2 as the first diverging variable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from backprop_sigmoid import backprop_sigmoid

from dlparity import assert_parity, check_parity

HERE = Path(__file__).resolve().parent
MATLAB = HERE / "backprop_sigmoid.m"
ORDER = ["x", "y_true", "z1", "a1", "z2", "a2", "z3", "y_pred", "error", "delta3", "dW3", "db3",
         "delta2", "dW2", "db2", "delta1", "dW1", "db1"]


def make_case(seed: int, d: int = 5, h1: int = 7, h2: int = 3, N: int = 40, batch_size: int = 8,
              i: int = 33) -> dict[str, object]:
    """One seeded case: standard-normal X, y and weights, small biases; the rows i..batch_end (1-based)."""
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((N, d)), "y": rng.standard_normal((N, 1)),
            "W1": rng.standard_normal((h1, d)), "b1": 0.1 * rng.standard_normal((h1, 1)),
            "W2": rng.standard_normal((h2, h1)), "b2": 0.1 * rng.standard_normal((h2, 1)),
            "W3": rng.standard_normal((1, h2)), "b3": 0.1 * rng.standard_normal((1, 1)),
            "i": i, "batch_size": batch_size, "batch_end": min(i + batch_size - 1, N)}


# Seeds 0-5 at the small shape (ragged last minibatch: i=33 of 40 with batch 8 is full; i=37 is 4 rows),
# and the upstream 37 -> 128 -> 64 shape at batch 32.
CASES = ([make_case(s) for s in range(4)] + [make_case(4, i=37), make_case(5, batch_size=1, i=1)]
         + [make_case(6, d=37, h1=128, h2=64, N=64, batch_size=32, i=33)])


@pytest.mark.octave
def test_twin_matches_octave_in_every_variable(octave: object) -> None:
    result = assert_parity(MATLAB, backprop_sigmoid, CASES, bridge=octave)
    assert [r.name for r in result.by_variable()] == ORDER  # every variable, in the script's order
    assert not result.matlab_only and not result.python_only
    assert result.tolerance.startswith("automatic")


def _slip(tmp_path: Path, old: str, new: str) -> str:
    source = (HERE / "backprop_sigmoid.py").read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the line to plant the slip in is gone: {old!r}"
    (tmp_path / "slipped_twin.py").write_text(source.replace(old, new), encoding="utf-8")
    return f"{tmp_path / 'slipped_twin.py'}:backprop_sigmoid"


@pytest.mark.octave
def test_slip_in_the_twin_names_delta2_and_quotes_both_lines(octave: object, tmp_path: Path) -> None:
    twin = _slip(tmp_path, "return sigmoid(x) * (1 - sigmoid(x))", "return sigmoid(x) * (1 + sigmoid(x))")
    with pytest.raises(AssertionError) as failure:
        assert_parity(MATLAB, twin, CASES[:2], bridge=octave)
    message = str(failure.value)
    assert "first diverging variable: delta2" in message, message
    assert "backprop_sigmoid.m:30  delta2 = (W3' * delta3) .* sigmoid_deriv(z2);" in message, message
    assert "slipped_twin.py:" in message and "delta2 = (W3.T @ delta3) * sigmoid_deriv(z2)" in message, message
    assert "z2 " in message and message.count("MISMATCH") >= 2  # delta2 onwards fail, with a verdict line


@pytest.mark.octave
def test_slip_in_the_matlab_is_caught_too(octave: object, tmp_path: Path) -> None:
    """The Octave column is Octave's: a slip planted in a copy of the MATLAB (never the file itself) shows."""
    for name in ("backprop_sigmoid.m", "sigmoid.m", "sigmoid_deriv.m"):
        shutil.copy(HERE / name, tmp_path / name)
    script = tmp_path / "backprop_sigmoid.m"
    text = script.read_text(encoding="utf-8")
    script.write_text(text.replace("delta1 = (W2' * delta2) .* sigmoid_deriv(z1);",
                                   "delta1 = (W2' * delta2) .* sigmoid(z1);"), encoding="utf-8")
    result = check_parity(script, backprop_sigmoid, CASES[:2], bridge=octave)
    assert not result.ok
    assert result.first_divergence is not None and result.first_divergence.name == "delta1"
    assert [r.name for r in result.by_variable() if not r.ok] == ["delta1", "dW1", "db1"]


@pytest.mark.octave
def test_command_line_pair_mode(octave: object, tmp_path: Path) -> None:
    case = tmp_path / "case.npz"
    np.savez(case, **CASES[0])
    command = [sys.executable, "-m", "dlparity", "compare", "--matlab", str(MATLAB),
               "--python", f"{HERE / 'backprop_sigmoid.py'}:backprop_sigmoid", "--inputs", str(case), "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and [q["name"] for q in report["quantities"]] == ORDER
    slipped = _slip(tmp_path, "dW1 = delta1 @ x.T", "dW1 = delta1 @ x.T * (1 + 1e-9)")
    proc = subprocess.run([*command[:7], slipped, *command[8:-1]], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "first diverging variable: dW1" in proc.stdout


def test_case_npz_is_make_case_0() -> None:
    """case.npz (for the command line in examples/README.md) is exactly make_case(0): regenerate it with
    numpy.savez('case.npz', **make_case(0))."""
    with np.load(HERE / "case.npz") as stored:
        expected = make_case(0)
        assert sorted(stored.files) == sorted(expected)
        for name, value in expected.items():
            assert np.array_equal(stored[name], value), name
