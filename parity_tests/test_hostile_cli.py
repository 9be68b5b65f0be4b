"""The command line used as a hostile user would, continued (issue 9's faults 7 and 9, and compare's
exits 1 and 3): inputs that overflow, numbers written ``1_000``, odd stored ``batch_size``, CSV files
with another separator or of a size that the loader must not copy many times over.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli import no_octave, run  # noqa: F401 (no_octave: the fixture, used by name)
from test_hostile import one_sentence

import dlparity.blocks

ROOT = Path(__file__).resolve().parent.parent


def case_of(path: Path, scale: dict[str, float], **extra: Any) -> Path:
    """An --inputs archive of the default shapes (N=8, sizes 5,7,3) with every entry of each array ``scale``."""
    shapes = {"X": (8, 5), "y": (8, 1), "W1": (7, 5), "b1": (7, 1), "W2": (3, 7), "b2": (3, 1), "W3": (1, 3),
              "b3": (1, 1)}
    np.savez(path, **{k: np.full(s, scale.get(k, 1.0)) for k, s in shapes.items()}, **extra)
    return path


# -- fault 7: inputs that overflow double precision ---------------------------------------------

@pytest.mark.usefixtures("no_octave")  # the overflow is found on the NumPy side, before Octave starts
@pytest.mark.parametrize("value", [1e308, 1e200], ids=["1e308", "1e200"])
def test_overflowing_inputs_are_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             value: float) -> None:
    inputs = case_of(tmp_path / "big.npz", dict.fromkeys(("X", "y", "W1", "b1", "W2", "b2", "W3", "b3"), value))
    code, out, err = run(capsys, "compare", "--inputs", str(inputs))  # a RuntimeWarning is an error here
    line = one_sentence(err)
    assert code == 2 and out == "", (code, out)
    assert "overflow double precision" in line and "NumPy's z1 (section 1.3)" in line, line


@pytest.mark.usefixtures("no_octave")
def test_overflow_names_the_first_quantity_that_overflows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # z1 = 5 x 1e150 x 1e150 + 1 = 5e300 is finite; z2 = 7 x 1e10 x 5e300 is not
    inputs = case_of(tmp_path / "big.npz", {"X": 1e150, "W1": 1e150, "W2": 1e10})
    code, _, err = run(capsys, "compare", "--inputs", str(inputs), "--form", "manual")
    line = one_sentence(err)
    assert code == 2 and "NumPy's z2 (section 1.3)" in line, line


def test_overflow_sentence_without_warnings_in_a_process(tmp_path: Path) -> None:
    """As a user runs it: no RuntimeWarning lines on stderr, only the sentence (stored Octave results)."""
    inputs = case_of(tmp_path / "big.npz", dict.fromkeys(("X", "y", "W1", "b1", "W2", "b2", "W3", "b3"), 1e308))
    proc = subprocess.run([sys.executable, "-m", "dlparity", "compare", "--inputs", str(inputs)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DLPARITY_OCTAVE": "stored"}, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Warning" not in proc.stderr and "overflow double precision" in one_sentence(proc.stderr)


# -- compare's exits 1 (a mismatch) and 3 (Octave missing) ------------------------------------------

def test_compare_planted_bug_exits_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug planted in the NumPy twin (dW1 one part in 1e9 off) against the stored Octave results."""
    monkeypatch.setenv("DLPARITY_OCTAVE", "stored")
    honest = dlparity.blocks._twin.run_block

    def planted(form: str, *args: Any) -> dict[str, Any]:
        out = dict(honest(form, *args))
        out["dW1"] = out["dW1"] * (1 + 1e-9)
        return out
    monkeypatch.setattr(dlparity.blocks._twin, "run_block", planted)
    code, out, err = run(capsys, "compare")
    assert code == 1, (out, err)
    assert "MISMATCH; first: backprop dW1" in out, out


def test_compare_without_octave_exits_3(tmp_path: Path) -> None:
    env = {**os.environ, "OCTAVE_EXECUTABLE": "/nonexistent/octave-cli", "DLPARITY_OCTAVE": "live"}
    proc = subprocess.run([sys.executable, "-m", "dlparity", "compare"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=env, check=False)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "" and "/nonexistent/octave-cli" in one_sentence(proc.stderr), proc.stderr
