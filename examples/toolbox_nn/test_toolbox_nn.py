"""A toolbox-style network (one struct ``nn`` of cell arrays) against its twin (a dict of lists), leaf by leaf.

``nnff.m`` then ``nnbp.m`` are function files taking and returning the struct, as a deep-learning
toolbox writes them; the twin's ``nn`` is a dict whose ``W``, ``a`` and ``dW`` are lists. Every leaf is
compared on its own and named as MATLAB writes it (``nn.a{2}``, ``nn.dW{1}``), with the automatic
tolerance tracked through the nested twin. A one-character slip in the backprop twin, and one in a copy
of the MATLAB, must each be named at the one gradient it reaches.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nnbp import nnbp
from nnff import nnff

from dlparity import assert_parity, check_parity

HERE = Path(__file__).resolve().parent
NNFF = HERE / "nnff.m"
NNBP = HERE / "nnbp.m"


def make_case(seed: int, sizes: tuple[int, ...] = (4, 5, 3, 2), m: int = 6) -> dict[str, Any]:
    """One seeded case as nnsetup would make the network: ``nn.size``, ``nn.n``, ``nn.activation_function``
    and ``nn.W{i}`` (size(i + 1) x (size(i) + 1), standard normal scaled by 1/sqrt(fan-in)), with inputs x
    (m x size(1)) and targets y in [0, 1) (m x size(n))."""
    rng = np.random.default_rng(seed)
    nn = {"size": np.array([sizes], dtype=np.float64), "n": len(sizes), "activation_function": "sigm",
          "W": [rng.standard_normal((sizes[i + 1], sizes[i] + 1)) / np.sqrt(sizes[i] + 1)
                for i in range(len(sizes) - 1)]}
    return {"nn": nn, "x": rng.standard_normal((m, sizes[0])), "y": rng.random((m, sizes[-1]))}


# Seeds 0-3 at the 4-5-3-2 network, one deeper and wider (7-16-9-5-3, 20 examples), one with one example
SEEDS = [make_case(s) for s in range(4)] + [make_case(4, (7, 16, 9, 5, 3), 20), make_case(5, m=1)]


def after_ff(case: dict[str, Any]) -> dict[str, Any]:
    """nnbp's input: the network as the twin's feed-forward left it (the same on both sides, checked first)."""
    return {"nn": nnff(**case)["nn"]}


def leaves(n: int) -> list[str]:
    """Every leaf of nn after nnbp, in MATLAB's order (the fields in the order they were assigned)."""
    return (["nn.size", "nn.n", *(f"nn.W{{{i}}}" for i in range(1, n)), *(f"nn.a{{{i}}}" for i in range(1, n + 1)),
             "nn.e", "nn.L", *(f"nn.dW{{{i}}}" for i in range(1, n))])


@pytest.mark.octave
def test_feed_forward_then_backprop_match_on_every_leaf(octave: object) -> None:
    ff = assert_parity(NNFF, nnff, SEEDS, bridge=octave)
    assert ff.tolerance.startswith("automatic")
    assert [r.name for r in ff.reports if r.case == "1"] == leaves(4)[:-3]  # 4-5-3-2: nn.a{1..4}, nn.e, nn.L
    assert ff.texts_compared == len(SEEDS)  # nn.activation_function, 'sigm' on both sides
    bp = assert_parity(NNBP, nnbp, [after_ff(c) for c in SEEDS], bridge=octave)
    assert [r.name for r in bp.reports if r.case == "1"] == leaves(4)
    assert [r.name for r in bp.reports if r.case == "5"] == leaves(5)  # 7-16-9-5-3: nn.dW{4} on its own
    worst = {r.name: r for r in bp.by_variable()}
    assert worst["nn.dW{1}"].tolerance > 0 and worst["nn.dW{1}"].bound_ratio < 1


def _slipped_twin(tmp_path: Path, old: str, new: str) -> str:
    source = (HERE / "nnbp.py").read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the line to plant the slip in is gone: {old!r}"
    (tmp_path / "slipped_nnbp.py").write_text(source.replace(old, new), encoding="utf-8")
    return f"{tmp_path / 'slipped_nnbp.py'}:nnbp"


# A 4-6-2 network has one hidden layer: its delta reaches nn.dW{1} and nothing else
SMALL = [make_case(s, (4, 6, 2)) for s in (10, 11)]


@pytest.mark.octave
def test_one_character_slip_in_the_backprop_twin_names_exactly_dw1(octave: object, tmp_path: Path) -> None:
    twin = _slipped_twin(tmp_path, '(nn["a"][i] * (1 - nn["a"][i]))', '(nn["a"][i] * (1 + nn["a"][i]))')
    with pytest.raises(AssertionError) as failure:
        assert_parity(NNBP, twin, [after_ff(c) for c in SMALL], bridge=octave)
    message = str(failure.value)
    assert "first diverging leaf: nn.dW{1} in case 1" in message, message
    assert "nnbp.m:18  nn.dW{i} = (d{i + 1}' * nn.a{i}) / m;" in message, message
    assert 'slipped_nnbp.py:' in message and 'nn["dW"][i] = (d[i + 1].T @ nn["a"][i]) / m' in message, message
    result = check_parity(NNBP, twin, [after_ff(c) for c in SMALL], bridge=octave)
    assert sorted({r.name for r in result.reports if not r.ok}) == ["nn.dW{1}"]  # no other leaf fails
    assert not result.differences


@pytest.mark.octave
def test_slip_in_the_matlab_is_caught_too(octave: object, tmp_path: Path) -> None:
    """A slip planted in a copy of nnbp.m (never the file itself) is Octave's, and named at nn.dW{1}."""
    for name in ("nnbp.m", "nnff.m", "sigm.m"):
        shutil.copy(HERE / name, tmp_path / name)
    script = tmp_path / "nnbp.m"
    text = script.read_text(encoding="utf-8")
    old = "d{i} = (d{i + 1} * nn.W{i}) .* (nn.a{i} .* (1 - nn.a{i}));"
    assert text.count(old) == 1
    script.write_text(text.replace(old, old.replace("(1 - nn.a{i})", "(1 + nn.a{i})")), encoding="utf-8")
    result = check_parity(script, nnbp, [after_ff(c) for c in SMALL], bridge=octave)
    assert not result.ok
    assert result.first_divergence is not None and result.first_divergence.name == "nn.dW{1}"
    assert sorted({r.name for r in result.reports if not r.ok}) == ["nn.dW{1}"]


@pytest.mark.octave
def test_a_missing_field_and_a_short_cell_are_named_with_the_fix(octave: object) -> None:
    """Structure differences are MISMATCHes naming the MATLAB path: a twin that forgets nn.L and builds one
    gradient too few."""
    def careless(nn: dict[str, Any]) -> dict[str, Any]:
        out = nnbp(nn)["nn"]
        out = {k: v for k, v in out.items() if k != "L"}
        out["dW"] = out["dW"][:-1]
        return {"nn": out}

    result = check_parity(NNBP, careless, after_ff(SEEDS[0]), bridge=octave)
    assert not result.ok
    reasons = {d.path: d.reason for d in result.differences}
    assert reasons["nn.L"] == 'field L is only in MATLAB: set nn["L"] in the twin.'
    assert reasons["nn.dW"] == 'cell nn.dW has 3 elements in MATLAB, 2 in Python: nn["dW"] needs 3.'
    assert result.first_divergence is not None and result.first_divergence.name == "nn.L"
    assert all(r.ok for r in result.reports)  # every leaf both sides have still matches
