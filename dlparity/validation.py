"""Input checks that run in front of both sides, before any arithmetic and before Octave sees anything.

Every failure is one sentence naming the argument, what it was and what was expected. The
arrays a caller passes are never modified: where a 1-D ``y`` or bias is accepted, a reshaped
copy is returned.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class InputError(ValueError):
    """Raised for bad input; the message is one sentence for the user."""


@dataclass(frozen=True)
class BlockInputs:
    """Checked inputs of one block evaluation: the MATLAB workspace before the block runs.

    Shapes: X (N, d), y (N, 1), W1 (h1, d), b1 (h1, 1), W2 (h2, h1), b2 (h2, 1), W3 (1, h2),
    b3 (1, 1); ``i`` is the 1-based first row and ``batch_size`` the configured minibatch size.
    """

    X: Array
    y: Array
    W1: Array
    b1: Array
    W2: Array
    b2: Array
    W3: Array
    b3: Array
    i: int
    batch_size: int

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(d, h1, h2)."""
        return self.X.shape[1], self.W1.shape[0], self.W2.shape[0]

    @property
    def N(self) -> int:  # noqa: N802 (the document's N)
        return self.X.shape[0]

    @property
    def batch_end(self) -> int:
        """1-based last row of the minibatch, inclusive: ``min(i + batch_size - 1, N)`` as upstream."""
        return min(self.i + self.batch_size - 1, self.N)

    def arrays(self) -> dict[str, Array]:
        return {"X": self.X, "y": self.y, "W1": self.W1, "b1": self.b1, "W2": self.W2,
                "b2": self.b2, "W3": self.W3, "b3": self.b3}

    def describe(self) -> str:
        d, h1, h2 = self.sizes
        return (f"N={self.N}, sizes d,h1,h2={d},{h1},{h2}, i={self.i}, "
                f"batch_size={self.batch_size}, batch_end={self.batch_end}")


def _shape(a: Any) -> str:
    return str(tuple(np.shape(a)))


def _as_float64(name: str, value: Any) -> Array:
    """Return ``value`` as a float64 ndarray without copying user data unless needed."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, (list, tuple, numbers.Real)) and not isinstance(value, bool):
        arr = np.asarray(value)
        if arr.dtype.kind in "iu":  # plain Python numbers: integers are exact in float64
            arr = arr.astype(np.float64)
    else:
        raise InputError(f"{name} is a {type(value).__name__}; expected a float64 NumPy array.")
    if arr.dtype != np.float64:
        raise InputError(
            f"{name} has dtype {arr.dtype}; expected float64 (MATLAB's double), "
            f"for example {name}.astype(numpy.float64).")
    return arr


def _as_column(name: str, arr: Array, length_hint: str) -> Array:
    """Accept a 1-D vector or a 0-d scalar as a column (a reshaped view; the caller's array is untouched)."""
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InputError(f"{name} has shape {_shape(arr)}; expected a column of shape ({length_hint}, 1).")
    return arr


def _check_finite(name: str, arr: Array) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(k) for k in np.argwhere(bad)[0])
        raise InputError(
            f"{name} has {int(bad.sum())} non-finite value(s) (first at index {first}: "
            f"{arr[first]}); expected finite values.")


#: How a whole number or a decimal number is written on the command line or in the environment: ASCII
#: digits, as MATLAB and the shell's tools read them. Python's int() and float() also take '1_000' (as
#: 1000) and other scripts' digits (Arabic-Indic 10 as 10); those are refused, so a value never means something
#: other than what was typed.
WHOLE_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")
DECIMAL_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")

#: The largest whole number every double holds exactly, 2^53: MATLAB's i and batch_size are doubles,
#: and i + batch_size - 1 and 2 / batch_size must mean what they say. A larger batch_size is refused.
MAX_WHOLE = 2**53


def _check_index(name: str, value: Any, low: int, high: int | None, meaning: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, numbers.Real)):
        raise InputError(f"{name} is {value!r}; expected an integer ({meaning}).")
    if not isinstance(value, numbers.Integral) and not float(value).is_integer():
        raise InputError(f"{name} = {value!r} is not a whole number; expected an integer ({meaning}).")
    k: int | float = int(value) if isinstance(value, numbers.Integral) else float(value)  # 1e300 stays a float
    top = MAX_WHOLE if high is None else high
    if not low <= k <= top:
        shown = f"{k:g}" if isinstance(k, float) else str(k)
        if high is None and k > top:
            raise InputError(f"{name} = {shown} is out of range; expected {name} <= 2^53 = {MAX_WHOLE}, the largest "
                             f"whole number every double holds exactly ({meaning}).")
        rng = f"{low} <= {name} <= {high}" if high is not None else f"{name} >= {low}"
        raise InputError(f"{name} = {shown} is out of range; expected {rng} ({meaning}).")
    return int(k)


def check_block_inputs(
    X: Any, y: Any, W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any,
    i: Any, batch_size: Any,
) -> BlockInputs:
    """Check the workspace of one block evaluation and return it normalised.

    Raises
    ------
    InputError
        With one sentence naming the argument, its shape or value, and what was expected.
    """
    arrays = {"X": X, "y": y, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    a = {name: _as_float64(name, value) for name, value in arrays.items()}

    for name in ("X", "W1", "W2", "W3"):
        if a[name].ndim != 2:
            raise InputError(f"{name} has shape {_shape(a[name])}; expected a 2-D matrix.")
    for name, arr in a.items():
        if arr.size == 0:
            raise InputError(f"{name} is empty (shape {_shape(arr)}); expected at least one row and one column.")

    N, d = a["X"].shape
    h1, h2 = a["W1"].shape[0], a["W2"].shape[0]
    y_arr = a["y"]
    if y_arr.ndim == 2 and y_arr.shape[0] == 1 and y_arr.shape[1] > 1:
        raise InputError(
            f"y has shape {_shape(y_arr)}, a row; expected a column of shape ({N}, 1): with a row, "
            "MATLAB's y(i:batch_end)' becomes a column and error = y_pred - y_true silently "
            "broadcasts to a B-by-B matrix.")
    a["y"] = _as_column("y", y_arr, "N")
    for name, h in (("b1", "h1"), ("b2", "h2"), ("b3", "1")):
        a[name] = _as_column(name, a[name], h)

    expected = {"y": (N, 1), "W1": (h1, d), "b1": (h1, 1), "W2": (h2, h1), "b2": (h2, 1),
                "W3": (1, h2), "b3": (1, 1)}
    why = {"y": f"one target per row of X, which has N={N} rows",
           "W1": f"X has d={d} columns", "b1": f"W1 has h1={h1} rows",
           "W2": f"its columns must match W1's h1={h1} rows", "b2": f"W2 has h2={h2} rows",
           "W3": f"one output, and its columns must match W2's h2={h2} rows", "b3": "one output"}
    for name, shape in expected.items():
        if a[name].shape != shape:
            raise InputError(f"{name} has shape {_shape(a[name])}; expected {shape} ({why[name]}).")

    for name, arr in a.items():
        _check_finite(name, arr)

    i_ = _check_index("i", i, 1, N, f"the 1-based first row of the minibatch, as in MATLAB's X(i:batch_end, :); N={N}")
    bs = _check_index("batch_size", batch_size, 1, None, "rows per minibatch")
    return BlockInputs(i=i_, batch_size=bs, **a)


#: what check_no_overflow expects by default (the section 1 block's inputs)
BLOCK_SCALE = "inputs whose products and sums stay below about 1.8e308, e.g. X, y and the weights scaled down"


def check_no_overflow(quantities: Any, inputs: str = "inputs", expected: str = BLOCK_SCALE,
                      why: str = "the rounding-error bounds assume no overflow") -> None:
    """Refuse inputs whose block overflows double precision, naming the first quantity that does.

    ``quantities`` yields ``(label, value, bound)`` in statement order: a value computed from
    checked, finite inputs and its rounding-error bound (or None). An infinite entry in either means a
    product or sum went past the largest double (about 1.8e308); the bound analysis assumes it
    does not, so the comparison would be meaningless (|diff| NaN against an infinite tolerance).
    A NaN without an infinity is left to the comparison: it is a fault of the side, not of the inputs.
    ``inputs``, ``expected`` and ``why`` word the sentence for the caller (``dlparity train``: the data).
    """
    for label, value, bound in quantities:
        for what, arr in (("value", value), ("rounding-error bound", bound)):
            if arr is None:
                continue
            inf = np.isinf(arr)
            if inf.any():
                first = tuple(int(k) + 1 for k in np.argwhere(inf)[0])
                raise InputError(
                    f"the {inputs} overflow double precision: {label} is the first quantity in statement order "
                    f"whose {what} is infinite ({int(inf.sum())} of {arr.size} entries, the first at 1-based "
                    f"index {first}), and {why}; expected {expected}.")
