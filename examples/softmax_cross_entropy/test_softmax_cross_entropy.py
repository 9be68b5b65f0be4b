"""softmax_cross_entropy.m (a function file: reductions, exp, log) against its twin, through dlparity's plugin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from softmax_cross_entropy import softmax_cross_entropy

from dlparity import assert_parity, check_parity

HERE = Path(__file__).resolve().parent
MATLAB = HERE / "softmax_cross_entropy.m"


def make_case(seed: int, K: int = 10, B: int = 32, scale: float = 3.0) -> dict[str, np.ndarray]:
    """Scores of spread ``scale`` (wide spreads make some p tiny) and one-hot targets drawn at random."""
    rng = np.random.default_rng(seed)
    z = scale * rng.standard_normal((K, B))
    Y = np.zeros((K, B))
    Y[rng.integers(0, K, size=B), np.arange(B)] = 1.0
    return {"z": z, "Y": Y}


CASES = [make_case(s) for s in range(5)] + [make_case(5, K=2, B=1), make_case(6, scale=20.0), make_case(7, K=1, B=4)]


@pytest.mark.octave
def test_twin_matches_octave(octave: object) -> None:
    result = assert_parity(MATLAB, softmax_cross_entropy, CASES, bridge=octave)
    assert [r.name for r in result.by_variable()] == ["p", "loss", "dz"]  # the declared outputs, in statement order
    assert result.matlab.kind == "function"


@pytest.mark.octave
def test_slip_in_the_twin_names_p(octave: object, tmp_path: Path) -> None:
    """The classic slip: MATLAB's sum(e, 1) ported as axis=1 (it broadcasts, so nothing crashes)."""
    source = (HERE / "softmax_cross_entropy.py").read_text(encoding="utf-8")
    old = "s = np.sum(e, axis=0, keepdims=True)"
    assert source.count(old) == 1
    (tmp_path / "slipped.py").write_text(source.replace(old, "s = np.sum(e, axis=1, keepdims=True)"), encoding="utf-8")
    with pytest.raises(AssertionError) as failure:
        assert_parity(MATLAB, f"{tmp_path / 'slipped.py'}:softmax_cross_entropy", CASES[:1], bridge=octave)
    message = str(failure.value)
    assert "first diverging variable: p" in message, message
    assert "softmax_cross_entropy.m:12  p = e ./ s;" in message, message
    assert "slipped.py:" in message and "p = e / s  # MATLAB ./ is /" in message, message


@pytest.mark.octave
def test_a_row_returned_one_dimensional_is_a_shape_difference_with_its_fix(octave: object) -> None:
    def flat(z: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        out = softmax_cross_entropy(z, Y)
        return {**out, "loss": out["loss"].ravel()}  # (1,) where MATLAB has 1x1

    result = check_parity(MATLAB, flat, CASES[0], rtol=1e-12, bridge=octave)
    assert not result.ok
    assert result.first_divergence is not None and result.first_divergence.name == "loss"
    assert "shape" in result.table() and "(1,)" in result.table()


def test_case_npz_is_make_case_0() -> None:
    """case.npz (for the command line in the README) is exactly make_case(0): regenerate it with
    numpy.savez('case.npz', **make_case(0))."""
    with np.load(HERE / "case.npz") as stored:
        expected = make_case(0)
        assert sorted(stored.files) == sorted(expected)
        for name, value in expected.items():
            assert np.array_equal(stored[name], value), name
