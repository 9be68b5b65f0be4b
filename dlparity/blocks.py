"""The document's two blocks as the harness sees them: forms, the variables each assigns, checked runs.

The port (:mod:`python_impl.run_block`) checks nothing, as the MATLAB; this module puts the
input checks of :mod:`dlparity.validation` in front of it.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import BlockInputs, InputError, check_block_inputs

Array = NDArray[np.float64]
#: The twin module (not the function ``python_impl`` re-exports): tests plant bugs in its ``backprop``.
_twin = importlib.import_module("python_impl.run_block")
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
    """Run one form of the NumPy port on inputs already checked by :func:`check_block_inputs`."""
    out: dict[str, Array] = _twin.run_block(form, inp.X, inp.y, inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3,
                                            inp.i, inp.batch_size)
    return out


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
