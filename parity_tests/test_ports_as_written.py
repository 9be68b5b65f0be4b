"""Eight MATLAB/NumPy pairs written as people port (a review's, not tailored to the tracker), against live Octave.

A GRU step, attention ``softmax(QK'/sqrt(d))V``, a 1-D conv layer's backward with ``conv(x, fliplr(g), 'valid')``,
a cross-entropy by ``log(sum(exp(...)))`` with a one-hot ``np.eye(K)[y - 1]``, a PCA by covariance (``np.linalg.eigh``
has no rule), a ``cumsum`` moving average with ``mean(x(:))``, ``std(A, 0, 2)``, ``sort`` with ties and ``diff``, a
``single`` network with ``norm(W, 'fro')``, and a weight-decay SGD over minibatches with ``randperm`` from
``dlparity.random``. Each correct pair passes on 6 seeds (sizes vary with the seed) at the automatic tolerance; a
one-character slip on either side is caught at the variable it first changes; the PCA's untracked variables are not
checked without a fallback, and compared at it with one (the report naming ``numpy.linalg.eigh`` and the line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity import check_parity

HERE = Path(__file__).parent / "ports_as_written"
SEEDS = range(6)


def _case(name: str, seed: int) -> dict[str, Any]:  # noqa: PLR0911 (one builder per pair)
    r = np.random.default_rng(seed)
    n, m = int(r.integers(2, 7)), int(r.integers(1, 6))
    if name == "gru":
        c = {"x": r.standard_normal((n, 1)), "h": r.standard_normal((m + 1, 1))}
        for g in "zrh":
            c |= {f"W{g}": r.standard_normal((m + 1, n)), f"U{g}": r.standard_normal((m + 1, m + 1)),
                  f"b{g}": r.standard_normal((m + 1, 1))}
        return c
    if name == "attn":
        return {"Q": r.standard_normal((n, 4)), "K": r.standard_normal((m + 2, 4)), "V": r.standard_normal((m + 2, 3))}
    if name == "conv1b":
        return {"x": r.standard_normal((1, n + 5)), "k": r.standard_normal((1, m)), "t": r.standard_normal((1, n + 6 - m))}
    if name == "xent":
        return {"Z": 3 * r.standard_normal((m + 1, n)), "y": r.integers(1, m + 2, size=(n, 1)).astype(float)}
    if name == "pca":
        return {"X": r.standard_normal((n + 3, m + 1))}
    if name == "mavg":  # v holds ties (small integers)
        return {"x": r.standard_normal((n + 4, 1)), "w": float(min(m, n + 3)), "A": r.standard_normal((m + 1, n + 1)),
                "v": r.integers(0, 4, size=(n + 3, 1)).astype(float)}
    if name == "f32net":
        return {k: r.standard_normal(s).astype(np.float32) for k, s in
                (("X", (n, m + 2)), ("W1", (4, n)), ("b1", (4, 1)), ("W2", (2, 4)), ("b2", (2, 1)))}
    assert name == "sgd"
    return {"seed": float(seed), "k": 2.0, "d": float(m + 1), "N": float(n + 6), "B": 3.0, "lr": 0.1, "wd": 1e-3,
            "X": r.standard_normal((n + 6, m + 1)), "Y": r.standard_normal((n + 6, 2))}


def _check(name: str, bridge: Any, mfile: Path | None = None, twin: Path | None = None, **kw: Any) -> Any:
    return check_parity(mfile or HERE / f"{name}.m", f"{twin or HERE / f'{name}.py'}:{name}",
                        [_case(name, s) for s in SEEDS], bridge=bridge, **kw)


@pytest.mark.octave
@pytest.mark.parametrize("name", ["gru", "attn", "conv1b", "xent", "mavg", "f32net", "sgd"])
def test_a_correct_port_passes_with_every_variable_derived(live_octave: Any, name: str) -> None:
    result = _check(name, live_octave)
    assert result.ok, f"{name}: a correct port is flagged\n{result.table()}"
    assert set(result.tolerance_from.values()) == {"derived"}, result.tolerance_from


#: (pair, side, text, slipped text, the variable it first changes)
SLIPS = [
    ("attn", "py", "axis=1, keepdims=True)\n    O", "axis=0, keepdims=True)\n    O", "P"),
    ("attn", "m", "sqrt(d)", "sqrt(2)", "S"),
    ("mavg", "py", "ddof=1", "ddof=0", "sd"),
    ("mavg", "m", "std(A, 0, 2)", "std(A, 1, 2)", "sd"),
    ("mavg", "py", "c[:-w]) / w", "c[:-w]) / 2", "ma"),
    ("sgd", "py", "G + wd * W", "G - wd * W", "W"),
    ("sgd", "m", "G + wd * W", "G + wd * G", "W"),
    ("gru", "py", "(1 - z) * h", "(1 - r) * h", "hn"),
    ("conv1b", "py", "np.convolve(g.ravel(), k.ravel()", "np.convolve(g.ravel(), k.ravel()[::-1]", "dx"),
    ("xent", "m", "Y(y(i), i) = 1", "Y(y(i), i) = 2", "Y"),
    ("f32net", "py", "W2 @ h + b2", "W2 @ h - b2", "o"),
    ("f32net", "m", "norm(W1, 'fro')", "norm(W1, 1)", "n"),
]


@pytest.mark.octave
@pytest.mark.parametrize(("name", "side", "old", "new", "first"), SLIPS,
                         ids=[f"{s[0]}-{s[1]}-{s[4]}-{k}" for k, s in enumerate(SLIPS)])
def test_a_one_character_slip_is_caught_at_its_variable(live_octave: Any, tmp_path: Path, name: str, side: str,
                                                       old: str, new: str, first: str) -> None:
    text = (HERE / f"{name}.{side}").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{name}.{side}: the slip's text is not there once"
    slipped = tmp_path / f"{name}.{side}"
    slipped.write_text(text.replace(old, new), encoding="utf-8")
    result = _check(name, live_octave, **({"twin": slipped} if side == "py" else {"mfile": slipped}))
    assert not result.ok and result.first_divergence is not None, f"{name}: slip passed\n{result.table()}"
    assert result.first_divergence.name == first, f"{name}: first divergence at {result.first_divergence.name}"


@pytest.mark.octave
def test_pca_by_eigh_keeps_the_rest_derived_and_needs_a_fallback(live_octave: Any) -> None:
    """``np.linalg.eigh`` has no rule: ``ev`` and ``total`` (from it) are not checked without a fallback, every other
    variable keeps its derived tolerance; with ``fallback_rtol`` they are compared and say where the fallback came from."""
    plain = _check("pca", live_octave)
    assert not plain.ok and set(plain.not_checked) == {"ev", "total"}, plain.table()
    assert {k[0]: v for k, v in plain.tolerance_from.items()} == dict.fromkeys(("mu", "Xc", "C", "s"), "derived")
    loose = _check("pca", live_octave, fallback_rtol=1e-10)
    assert loose.ok, loose.table()
    assert {k[0]: v for k, v in loose.tolerance_from.items() if k[0] in ("ev", "total")} == dict.fromkeys(
        ("ev", "total"), "fallback (numpy.linalg.eigh at pca.py:10)")
    tight = _check("pca", live_octave, fallback_rtol=1e-22)  # eig and eigh differ by rounding: far below 1e-22 fails
    assert not tight.ok and tight.first_divergence is not None and tight.first_divergence.name == "ev", tight.table()
