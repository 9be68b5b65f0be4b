"""The bound tracker on nested inputs and outputs (MATLAB's structs and cells as the twin sees them), and untracked values.

"gold" is the same computation written flat (plain arrays in, plain arrays out) run through the same
tracker: nesting must change nothing, bit for bit, in the values or the bounds. An operation without a
rule must cost only what depends on it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from dlparity.bounds.tracked import TrackedValue, Untracked, track
from dlparity.values import Cell, StructArray

RNG_SEED = 17  # any seed: the values only need to be generic


def _net() -> dict[str, Any]:
    rng = np.random.default_rng(RNG_SEED)
    return {"W": [rng.standard_normal((4, 3)), rng.standard_normal((2, 4))],
            "b": Cell([rng.standard_normal((4, 1)), rng.standard_normal((2, 1))], shape=(2, 1)),
            "s": StructArray([{"w": rng.standard_normal((2, 2))}, {"w": rng.standard_normal((2, 2))}], shape=(1, 2)),
            "name": "net", "lr": 0.1, "layers": 2, "flags": (True, None)}


def nested_twin(nn: Any, x: Any) -> dict[str, Any]:
    """A port written the way MATLAB structs get ported: dict(nn), copies, nn["a"] = [None] * n filled in a loop."""
    nn = dict(nn)
    kept = copy.deepcopy(nn)
    shallow = nn.copy()
    nn["a"] = [None] * nn["layers"]
    a = x
    for k in range(nn["layers"]):
        a = np.maximum(0, nn["W"][k] @ a + nn["b"][k])
        nn["a"][k] = a
    return {"nn": nn, "out": a, "kept": kept["W"][1] * 2, "shallow": shallow["lr"] * a,
            "cell": Cell([a, 2 * a], shape=(2, 1)),
            "struct": StructArray([{"w": s["w"] * nn["lr"]} for s in nn["s"]], shape=nn["s"].shape),
            "pair": (a, "text")}


def flat_twin(W1: Any, W2: Any, b1: Any, b2: Any, w1: Any, w2: Any, lr: Any, x: Any) -> dict[str, Any]:
    """The same arithmetic on flat arguments."""
    a1 = np.maximum(0, W1 @ x + b1)
    a2 = np.maximum(0, W2 @ a1 + b2)
    return {"a1": a1, "a2": a2, "kept": W2 * 2, "shallow": lr * a2, "twice": 2 * a2, "w1": w1 * lr, "w2": w2 * lr}


def _same(mine: TrackedValue, gold: TrackedValue, what: str) -> None:
    assert isinstance(mine, TrackedValue), f"{what}: {type(mine).__name__}, expected TrackedValue"
    for field in ("value", "error"):
        m, g = np.asarray(getattr(mine, field)), np.asarray(getattr(gold, field))
        assert m.shape == g.shape and m.tobytes() == g.tobytes(), f"{what}.{field}: mine {m!r} gold {g!r}"


def test_nested_inputs_and_outputs_keep_their_nesting_and_bounds() -> None:
    nn, x = _net(), np.random.default_rng(RNG_SEED + 1).standard_normal((3, 5))
    out = track(nested_twin, {"nn": nn, "x": x})
    gold = track(flat_twin, {"W1": nn["W"][0], "W2": nn["W"][1], "b1": nn["b"][0], "b2": nn["b"][1],
                             "w1": nn["s"][0]["w"], "w2": nn["s"][1]["w"], "lr": nn["lr"], "x": x})
    # shapes and kinds of the nests first
    assert isinstance(out["nn"], dict) and list(out["nn"]) == [*nn, "a"]
    assert isinstance(out["nn"]["b"], Cell) and out["nn"]["b"].shape == (2, 1)
    assert isinstance(out["nn"]["s"], StructArray) and out["nn"]["s"].shape == (1, 2) and out["nn"]["s"].fields == ("w",)
    assert isinstance(out["cell"], Cell) and out["cell"].shape == (2, 1)
    assert isinstance(out["struct"], StructArray) and out["struct"].shape == (1, 2)
    assert out["nn"]["name"] == "net" and out["pair"][1] == "text" and out["nn"]["flags"][1] is None
    assert isinstance(out["pair"], tuple) and isinstance(out["nn"]["a"], list)
    # then values and bounds, leaf by leaf, against the flat twin
    _same(out["nn"]["a"][0], gold["a1"], "nn.a{1}")
    _same(out["nn"]["a"][1], gold["a2"], "nn.a{2}")
    _same(out["out"], gold["a2"], "out")
    _same(out["pair"][0], gold["a2"], "pair[0]")
    _same(out["kept"], gold["kept"], "kept")
    _same(out["shallow"], gold["shallow"], "shallow")
    _same(out["cell"][1], gold["twice"], "cell{2}")
    _same(out["struct"][0]["w"], gold["w1"], "struct(1).w")
    _same(out["struct"][1]["w"], gold["w2"], "struct(2).w")
    assert (out["out"].error > 0).any() and (out["nn"]["W"][0].error == 0).all()  # an input returned is exact


def test_nested_errors_are_nested_as_the_input() -> None:
    x = {"a": np.ones(2), "b": [np.full(2, 3.0)]}
    out = track(lambda x: {"s": x["a"] + x["b"][0]}, {"x": x}, errors={"x": {"a": 1e-3, "b": [0.0]}})
    assert np.all(out["s"].error >= 1e-3)


def test_an_untracked_value_inside_a_nest_costs_only_itself() -> None:
    """np.linalg.inv has no rule: the entry computed from it is Untracked with one reason naming the line, and its
    neighbours in the same struct keep their bounds."""
    def twin(p: Any) -> dict[str, Any]:
        q = {"inv": np.linalg.inv(p["A"]), "scaled": p["A"] * 3}
        q["used"] = q["inv"] @ p["A"] + 1
        return {"q": q, "cells": Cell([q["used"], q["scaled"]], shape=(1, 2))}
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    out = track(twin, {"p": {"A": A}})
    for leaf in (out["q"]["inv"], out["q"]["used"], out["cells"][0]):
        assert isinstance(leaf, Untracked) and leaf.reason.startswith("numpy.linalg.inv at test_tracked_nests.py:"), leaf
    assert np.array_equal(out["q"]["used"].value, np.linalg.inv(A) @ A + 1)
    assert isinstance(out["q"]["scaled"], TrackedValue) and (out["cells"][1].error > 0).all()


def test_an_untracked_value_written_into_a_tracked_array_untracks_that_array() -> None:
    """x[0] = np.linalg.det(A) or x += det: the tracked x would hold a value without a bound, so x becomes Untracked
    (naming the det) and y, which never touches it, keeps its bound; a write into an untracked array stays
    untracked."""
    A = np.array([[2.0, 1.0], [1.0, 3.0]])

    def written(A: Any) -> dict[str, Any]:
        x = np.zeros(2)
        x[0] = np.linalg.det(A)
        return {"x": x, "y": A * 2}

    def added(A: Any) -> dict[str, Any]:
        x = A[0] * 1.0
        x += np.linalg.det(A)
        return {"x": x, "y": A * 2}

    def into_untracked(A: Any) -> dict[str, Any]:
        inv = np.linalg.inv(A)
        inv[0, 0] = A[1, 1]
        return {"inv": inv, "y": A * 2}
    for twin in (written, added):
        out = track(twin, {"A": A})
        assert isinstance(out["x"], Untracked) and "numpy.linalg.det" in out["x"].reason, out
        assert isinstance(out["y"], TrackedValue), out
        assert np.array_equal(out["x"].value, twin(A)["x"])
    out = track(into_untracked, {"A": A})
    assert isinstance(out["inv"], Untracked) and isinstance(out["y"], TrackedValue)
    assert np.array_equal(out["inv"].value, into_untracked(A)["inv"])
