"""The document's own blocks through the public API: dlparity's first users are its own section 1 tests.

``check_parity`` runs ``matlab_ref/backprop.m`` (section 1.3, a script, verbatim) and, for section
1.2, our forward lines then ``manual_gradients.m`` in one workspace, on the store's 232 seeded
cases (the suite's, with the upstream-shaped ones thinned: dlparity.cases.reference_cases) in
one Octave call per form, live or from the stored results, against the NumPy twins, with the automatic tolerance (each
twin run once more on bound-tracking arrays). The hand-derived bounds of
:mod:`dlparity.bounds.hand` stay as the independent cross-check (test_error_bounds.py,
test_tracked*.py); here nothing about the blocks is hard-wired: every assigned variable comes
back from Octave by itself, in the script's statement order.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity import ParityResult, check_parity
from dlparity.blocks import OUTPUTS
from dlparity.bridge import matlab_ref_dir
from dlparity.cases import Case, reference_cases
from python_impl.backprop import backprop
from python_impl.gradient_forward import gradient_forward
from python_impl.manual_gradients import manual_gradients

pytestmark = pytest.mark.octave

REF = matlab_ref_dir()
CASES = reference_cases()
SECTION_1_2 = [REF / "gradient_forward.m", REF / "manual_gradients.m"]


def workspace(case: Case) -> dict[str, Any]:
    """The variables the document's scripts expect in their workspace (run_block.m sets them up)."""
    inp = case.inputs
    return {**inp.arrays(), "i": inp.i, "batch_size": inp.batch_size, "batch_end": inp.batch_end}


def section_1_2(X: Any, y: Any, W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any, i: int, batch_size: int,
                batch_end: int) -> dict[str, Any]:
    """The NumPy side of 'gradient_forward; manual_gradients' (what python_impl.run_block does for 'manual')."""
    forward = gradient_forward(X, y, W1, b1, W2, b2, W3, b3, i, batch_end)
    return {**forward, **manual_gradients(forward["x"], forward["error"], batch_size, W1, b1, W2, b2, W3)}


@pytest.fixture(scope="module")
def section13(octave: Any) -> ParityResult:
    return check_parity(REF / "backprop.m", backprop, [workspace(c) for c in CASES],
                        labels=[c.describe() for c in CASES], bridge=octave)


@pytest.fixture(scope="module")
def section12(octave: Any) -> ParityResult:
    return check_parity(SECTION_1_2, section_1_2, [workspace(c) for c in CASES],
                        labels=[c.describe() for c in CASES], bridge=octave)


def test_the_octave_path_is_restored_after_a_pair_run(octave: Any, section13: ParityResult) -> None:
    """Running backprop.m from matlab_ref must leave matlab_ref on the path (the section 1 mode needs run_cases)."""
    assert section13.ok
    if getattr(octave, "source", "live") == "live":
        assert np.asarray(octave.call("exist", "run_cases")).item() == 2  # 2: a file on the path


def test_every_assigned_variable_comes_back_in_statement_order(section13: ParityResult,
                                                               section12: ParityResult) -> None:
    assert [r.name for r in section13.by_variable()] == list(OUTPUTS["backprop"])
    assert [r.name for r in section12.by_variable()] == list(OUTPUTS["manual"])
    for result in (section13, section12):
        assert not result.matlab_only and not result.python_only and not result.not_compared
        assert len(result.reports) == len(CASES) * len(result.by_variable())
        assert result.tolerance.startswith("automatic")


@pytest.mark.parametrize("name", OUTPUTS["backprop"])
def test_section_1_3_matches(section13: ParityResult, name: str) -> None:
    bad = [r.message() for r in section13.reports if r.name == name and not r.ok]
    assert not bad, "\n".join(bad[:5])


@pytest.mark.parametrize("name", OUTPUTS["manual"])
def test_section_1_2_matches(section12: ParityResult, name: str) -> None:
    bad = [r.message() for r in section12.reports if r.name == name and not r.ok]
    assert not bad, "\n".join(bad[:5])


# dlparity compare's default case and the first exact-zero case of the suite: both are in the store.
PLANT_CASES = [CASES[0], next(c for c in CASES if c.label == "zero pre-activations")]


def test_planted_slip_in_the_python_twin_is_named(octave: Any, tmp_path: Path) -> None:
    """The errata's classic: 1/batch_size for 2/batch_size. delta3 is the first variable to part."""
    source = Path(backprop.__code__.co_filename).read_text(encoding="utf-8")
    old = "delta3 = 2 / batch_size * (error)"
    assert source.count(old) == 1
    (tmp_path / "slipped_backprop.py").write_text(source.replace(old, "delta3 = 1 / batch_size * (error)"),
                                                  encoding="utf-8")
    result = check_parity(REF / "backprop.m", f"{tmp_path / 'slipped_backprop.py'}:backprop",
                          [workspace(c) for c in PLANT_CASES], bridge=octave)
    assert not result.ok and result.first_divergence is not None
    assert result.first_divergence.name == "delta3"
    assert result.first_divergence.matlab_text == "delta3 = 2/batch_size * (error);"
    assert result.first_divergence.python_text is not None
    assert result.first_divergence.python_text.startswith("delta3 = 1 / batch_size * (error)")
    assert [r.name for r in result.by_variable() if not r.ok] == ["delta3", "dW3", "db3", "delta2", "dW2", "db2",
                                                                  "delta1", "dW1", "db1"]


def test_planted_slip_in_the_matlab_is_named(octave: Any, tmp_path: Path) -> None:
    """A copy of the MATLAB side (never the real files) whose ReLU leaks (max(0.01 z, z)): Octave's column
    shows it from a1 on. (A '>=' in ReLU_deriv differs only where z is exactly 0, which no rounding-error
    bound can tell from a legitimately different sign: the hand-derived, side-by-side masks of
    test_planted_bugs.py catch that one.)"""
    for name in ("backprop.m", "ReLU.m", "ReLU_deriv.m"):
        shutil.copy(REF / name, tmp_path / name)
    relu = tmp_path / "ReLU.m"
    text = relu.read_text(encoding="utf-8")
    assert text.count("a = max(0, z);") == 1
    relu.write_text(text.replace("a = max(0, z);", "a = max(0.01 * z, z);"), encoding="utf-8")
    result = check_parity(tmp_path / "backprop.m", backprop, [workspace(c) for c in PLANT_CASES], bridge=octave)
    assert not result.ok and result.first_divergence is not None
    assert result.first_divergence.name == "a1"
    assert result.first_divergence.matlab_file == "backprop.m"
    assert result.first_divergence.matlab_text == "a1 = ReLU(z1);"
