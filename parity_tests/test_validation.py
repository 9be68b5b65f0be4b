"""Bad input gets one sentence naming the argument, what it was and what was expected, before any arithmetic."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import assert_one_sentence

from dlparity.blocks import run_block
from dlparity.validation import InputError, check_block_inputs


def good(**override: Any) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    args: dict[str, Any] = {
        "X": rng.standard_normal((10, 4)), "y": rng.standard_normal((10, 1)),
        "W1": rng.standard_normal((5, 4)), "b1": rng.standard_normal((5, 1)),
        "W2": rng.standard_normal((3, 5)), "b2": rng.standard_normal((3, 1)),
        "W3": rng.standard_normal((1, 3)), "b3": rng.standard_normal((1, 1)),
        "i": 1, "batch_size": 4,
    }
    args.update(override)
    return args


BAD = [
    ("row y", {"y": np.ones((1, 10))}, ["y has shape (1, 10), a row", "expected a column of shape (10, 1)", "B-by-B"]),
    ("y too short", {"y": np.ones((9, 1))}, ["y has shape (9, 1)", "expected (10, 1)"]),
    ("W1 wrong width", {"W1": np.ones((5, 3))}, ["W1 has shape (5, 3)", "expected (5, 4)", "d=4"]),
    ("b1 wrong length", {"b1": np.ones((4, 1))}, ["b1 has shape (4, 1)", "expected (5, 1)"]),
    ("W2 does not chain", {"W2": np.ones((3, 6))}, ["W2 has shape (3, 6)", "expected (3, 5)"]),
    ("b2 wrong length", {"b2": np.ones((2, 1))}, ["b2 has shape (2, 1)", "expected (3, 1)"]),
    ("W3 two outputs", {"W3": np.ones((2, 3))}, ["W3 has shape (2, 3)", "expected (1, 3)"]),
    ("b3 vector", {"b3": np.ones((2, 1))}, ["b3 has shape (2, 1)", "expected (1, 1)"]),
    ("X 1-D", {"X": np.ones(10)}, ["X has shape (10,)", "expected a 2-D matrix"]),
    ("X 3-D", {"X": np.ones((10, 4, 1))}, ["X has shape (10, 4, 1)", "2-D"]),
    ("empty X", {"X": np.ones((0, 4))}, ["X is empty (shape (0, 4))"]),
    ("nan in W2", {"W2": np.array([[1.0, np.nan, 1, 1, 1]] * 3)}, ["W2 has 3 non-finite", "index (0, 1)", "expected finite"]),
    ("inf in X", {"X": np.full((10, 4), np.inf)}, ["X has 40 non-finite", "expected finite"]),
    ("float32", {"W1": np.ones((5, 4), dtype=np.float32)}, ["W1 has dtype float32", "expected float64"]),
    ("int array", {"X": np.ones((10, 4), dtype=np.int64)}, ["X has dtype int64", "expected float64"]),
    ("complex", {"b2": np.ones((3, 1), dtype=complex)}, ["b2 has dtype complex128"]),
    ("string", {"y": "abc"}, ["y is a str", "expected a float64"]),
    ("i zero", {"i": 0}, ["i = 0 is out of range", "1 <= i <= 10", "1-based"]),
    ("i past N", {"i": 11}, ["i = 11 is out of range", "1 <= i <= 10"]),
    ("i fractional", {"i": 2.5}, ["i = 2.5 is not a whole number"]),
    ("i bool", {"i": True}, ["i is True", "expected an integer"]),
    ("batch zero", {"batch_size": 0}, ["batch_size = 0 is out of range", "batch_size >= 1"]),
    ("batch string", {"batch_size": "8"}, ["batch_size is '8'", "expected an integer"]),
]


@pytest.mark.parametrize(("override", "fragments"), [(o, f) for _, o, f in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_clear_sentence(override: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(InputError) as info:
        check_block_inputs(**good(**override))
    message = str(info.value)
    assert_one_sentence(message)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


@pytest.mark.parametrize("form", ["backprop", "manual"])
def test_run_block_checks_before_arithmetic(form: str) -> None:
    with pytest.raises(InputError, match="y has shape"):
        run_block(form, **good(y=np.ones((1, 10))))


def test_bad_form() -> None:
    with pytest.raises(InputError, match=r"form is 'forward'; expected one of backprop, manual\."):
        run_block("forward", **good())  # type: ignore[arg-type]


def test_1d_y_and_biases_become_columns_without_touching_the_callers_arrays() -> None:
    args = good()
    y1 = args["y"].ravel().copy()
    b1 = args["b1"].ravel().copy()
    y_before, b1_before = y1.copy(), b1.copy()
    inp = check_block_inputs(**{**args, "y": y1, "b1": b1, "b3": 0.5})
    assert inp.y.shape == (10, 1) and inp.b1.shape == (5, 1) and inp.b3.shape == (1, 1)
    assert y1.shape == (10,) and b1.shape == (5,), "the caller's arrays were reshaped in place"
    np.testing.assert_array_equal(y1, y_before)
    np.testing.assert_array_equal(b1, b1_before)
    column = run_block("backprop", **{**args, "y": args["y"]})
    flat = run_block("backprop", **{**args, "y": y1})
    for name, value in column.items():
        np.testing.assert_array_equal(flat[name], value, err_msg=f"1-D y changed {name}")


def test_the_port_never_writes_to_its_inputs() -> None:
    args = good(i=3, batch_size=4)
    snapshot = {k: v.copy() for k, v in args.items() if isinstance(v, np.ndarray)}
    for form in ("backprop", "manual"):
        run_block(form, **args)
    for name, before in snapshot.items():
        np.testing.assert_array_equal(args[name], before, err_msg=f"{name} was modified")


def test_plain_python_integers_are_accepted_exactly() -> None:
    inp = check_block_inputs([[1, 2]], [[3]], [[1, 0], [0, 1]], [[0], [0]], [[1, 1]], [[0]], [[2]], [[0]], 1, 1)
    assert inp.X.dtype == np.float64 and inp.X.tolist() == [[1.0, 2.0]]
