"""The twin of ``matlab_ref/run_block.m``: set up the workspace a block expects, run it, return what it assigns."""

from __future__ import annotations

from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from python_impl.backprop import backprop
from python_impl.gradient_forward import gradient_forward
from python_impl.manual_gradients import manual_gradients
from python_impl.validation import BlockInputs, InputError, check_block_inputs

Array = NDArray[np.float64]
Form = Literal["backprop", "manual"]
FORMS: tuple[Form, ...] = ("backprop", "manual")

#: Variables each form assigns, in statement order (the order of the MATLAB struct in run_block.m).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "backprop": ("x", "y_true", "z1", "a1", "z2", "a2", "z3", "y_pred", "error", "delta3",
                 "dW3", "db3", "delta2", "dW2", "db2", "delta1", "dW1", "db1"),
    "manual": ("x", "y_true", "y_pred", "error", "dW3", "db3", "dW2", "db2", "dW1", "db1"),
}


def check_form(form: Any) -> Form:
    if form not in FORMS:
        raise InputError(f"form is {form!r}; expected one of {', '.join(FORMS)}.")
    return cast(Form, form)


def run_checked(form: Form, inp: BlockInputs) -> dict[str, Array]:
    """Run one form on inputs already checked by :func:`check_block_inputs`."""
    X, y, W1, b1, W2, b2, W3, b3 = inp.X, inp.y, inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3
    i, batch_size, batch_end = inp.i, inp.batch_size, inp.batch_end
    if form == "backprop":
        return backprop(X, y, W1, b1, W2, b2, W3, b3, i, batch_size, batch_end)
    forward = gradient_forward(X, y, W1, b1, W2, b2, W3, b3, i, batch_end)  # MATLAB: gradient_forward;
    grads = manual_gradients(forward["x"], forward["error"], batch_size, W1, b1, W2, b2, W3)  # manual_gradients;
    return {**forward, **grads}


def run_block(
    form: Form, X: Any, y: Any, W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any,
    i: Any, batch_size: Any,
) -> dict[str, Array]:
    """Check the inputs, then run the section 1.3 (``'backprop'``) or 1.2 (``'manual'``) block in NumPy.

    Parameters and returns as ``matlab_ref/run_block.m``: X (N, d), y (N, 1) (a 1-D y is taken
    as a column), W1 (h1, d), b1 (h1, 1), W2 (h2, h1), b2 (h2, 1), W3 (1, h2), b3 (1, 1), the
    1-based start ``i`` and ``batch_size``; returns every assigned variable, see :data:`OUTPUTS`.
    """
    form = check_form(form)
    return run_checked(form, check_block_inputs(X, y, W1, b1, W2, b2, W3, b3, i, batch_size))
