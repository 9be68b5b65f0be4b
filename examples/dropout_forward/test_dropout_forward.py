"""dropout_forward.m (a script that seeds with rng, then draws randn weights, a randperm shuffle, a rand dropout
mask and randi labels) against its twin drawing through dlparity.random, through dlparity's plugin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dropout_forward import dropout_forward

from dlparity import assert_parity, check_parity
from dlparity import random as mr

HERE = Path(__file__).resolve().parent
MATLAB = HERE / "dropout_forward.m"


def make_case(seed: int, d: int = 4, N: int = 20, h: int = 5, p: float = 0.5, batch: int = 8, K: int = 3
              ) -> dict[str, object]:
    """Samples drawn in Python (sent to both sides); the script's own draws are seeded by ``seed``."""
    X = np.random.default_rng(seed).standard_normal((d, N))
    return {"X": X, "seed": seed, "h": h, "p": p, "batch": batch, "K": K}


CASES = [make_case(0), make_case(42, p=0.2), make_case(7, d=3, N=50, h=16, batch=30, K=10)]


def _slipped(tmp_path: Path, old: str, new: str, name: str = "slipped.py") -> str:
    source = (HERE / "dropout_forward.py").read_text(encoding="utf-8")
    assert source.count(old) == 1
    (tmp_path / name).write_text(source.replace(old, new), encoding="utf-8")
    return f"{tmp_path / name}:dropout_forward"


@pytest.mark.octave
def test_twin_matches_octave(octave: object) -> None:
    result = assert_parity(MATLAB, dropout_forward, CASES, bridge=octave)
    assert [r.name for r in result.by_variable()][:4] == ["d", "N", "W1", "b1"]  # statement order
    drew = result.random["draws"][0]
    assert drew["matlab"] == drew["twin"] and drew["twin"]["normals"] == 5 * 4 and drew["twin"]["uniforms"] > 20 + 40
    assert "random: octave mode, seeds 1: " in result.table()


@pytest.mark.octave
def test_twin_matches_octave_in_the_stream_mode_with_one_seed(octave: object) -> None:
    result = assert_parity(MATLAB, dropout_forward, CASES, bridge=octave, random_mode="stream", random_seed=12345)
    assert result.random["seeds"] == [12345] * len(CASES)
    assert "random: stream mode, seed 12345 (every case)" in result.table()


@pytest.mark.octave
def test_a_mask_drawn_transposed_is_caught_at_the_mask(octave: object, tmp_path: Path) -> None:
    """The twin draws the mask as rand(batch, h).T: the right shape, the draws in the wrong places."""
    slipped = _slipped(tmp_path, "mask = mr.rand(*a1.shape) > p", "mask = mr.rand(*a1.shape[::-1]).T > p")
    result = check_parity(MATLAB, slipped, CASES[0], bridge=octave)
    assert not result.ok
    assert result.first_divergence is not None and result.first_divergence.name == "mask", result.table()
    assert "dropout_forward.m:18  mask = rand(size(a1)) > p;" in result.table(), result.table()
    assert result.first_divergence.draws is None  # as many draws, in the wrong order


@pytest.mark.octave
def test_a_twin_drawing_more_is_caught_with_what_each_side_drew(octave: object, tmp_path: Path) -> None:
    """One column too many for the mask: the mask itself agrees (column-major: its draws come first), the labels
    are drawn from a shifted stream, and the report says what each side drew beside them."""
    slipped = _slipped(tmp_path, "mask = mr.rand(*a1.shape) > p", "mask = mr.rand(a1.shape[0], a1.shape[1] + 1)[:, :-1] > p")
    result = check_parity(MATLAB, slipped, CASES[0], bridge=octave)
    assert result.first_divergence is not None and result.first_divergence.name == "y", result.table()
    drew = result.random["draws"][0]
    assert drew["twin"]["uniforms"] == drew["matlab"]["uniforms"] + 5
    sentence = (f"the MATLAB drew {drew['matlab']['uniforms']} uniforms and 20 normals; "
                f"the twin {drew['twin']['uniforms']} uniforms and 20 normals")
    assert f"draws differ: {sentence}" in result.table(), result.table()


@pytest.mark.octave
def test_a_slip_on_the_matlab_side_is_caught(octave: object, tmp_path: Path) -> None:
    """The MATLAB draws the labels before the mask (the twin is right): the labels, now first in the MATLAB's order,
    are drawn from where the twin draws its mask, and diverge first; the twin's line is named beside the MATLAB's."""
    text = MATLAB.read_text(encoding="utf-8")
    mask_line = "mask = rand(size(a1)) > p;\n"
    labels_line = "y = randi(K, 1, batch);\n"
    assert text.count(mask_line) == 1 and text.count(labels_line) == 1
    slipped = text.replace(labels_line, "").replace(mask_line, labels_line + mask_line)
    (tmp_path / "dropout_forward.m").write_text(slipped, encoding="utf-8")
    result = check_parity(tmp_path / "dropout_forward.m", dropout_forward, CASES[0], bridge=octave)
    assert result.first_divergence is not None and result.first_divergence.name == "y", result.table()
    assert "dropout_forward.m:18  y = randi(K, 1, batch);" in result.table(), result.table()
    assert {r.name for r in result.reports if not r.ok} == {"y", "mask", "a1d"}
    assert result.first_divergence.draws is None  # the same draws, in another order


def test_the_twin_draws_octaves_numbers_for_the_issues_seed() -> None:
    """rng(42) then rand(1, 3) in Octave 7 (issue 18): the twin's first uniforms after the same seeding."""
    mr.rng(42)
    assert mr.rand(1, 3).tolist() == [[0.63942679845788375, 0.025010755222666936, 0.27502931836911926]]


def test_case_npz_is_make_case_0() -> None:
    """case.npz (for the command line) is exactly make_case(0): regenerate it with
    numpy.savez('case.npz', **{k: numpy.asarray(v) for k, v in make_case(0).items()})."""
    with np.load(HERE / "case.npz") as stored:
        expected = make_case(0)
        assert sorted(stored.files) == sorted(expected)
        for name, value in expected.items():
            assert np.array_equal(stored[name], np.asarray(value)), name


def test_stored_results_answer_only_their_mode_and_seed() -> None:
    """The record files a case that drew under its mode and seed: a replay without Octave answers the recorded
    seeds, and refuses (NotRecorded: the plugin skips) another seed or the other mode rather than answer wrongly."""
    from dlparity.store import NotRecorded, StoredBridge  # noqa: PLC0415

    stored = StoredBridge([(HERE / "dlparity_reference" / "test_dropout_forward", HERE)], "a test of the store")
    result = check_parity(MATLAB, dropout_forward, CASES, bridge=stored)
    assert result.ok and result.octave["source"] == "stored", result.table()
    assert result.random["draws"][0]["matlab"] == result.random["draws"][0]["twin"]
    with pytest.raises(NotRecorded, match=r"from octave mode, seed 999"):
        check_parity(MATLAB, dropout_forward, CASES[0], bridge=stored, random_seed=999)
    with pytest.raises(NotRecorded, match=r"stream mode"):
        check_parity(MATLAB, dropout_forward, CASES[0], bridge=stored, random_mode="stream")
