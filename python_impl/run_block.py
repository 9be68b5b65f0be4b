"""The twin of ``matlab_ref/run_block.m``: set up the workspace a block expects, run it, return what it assigns."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from python_impl.backprop import backprop
from python_impl.gradient_forward import gradient_forward
from python_impl.manual_gradients import manual_gradients

Array = NDArray[np.float64]


def run_block(
    form: str, X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, W3: Array, b3: Array,
    i: int, batch_size: int,
) -> dict[str, Any]:
    """Run the section 1.3 (``'backprop'``) or 1.2 (``'manual'``) block, as ``run_block.m`` does.

    Parameters and returns as ``matlab_ref/run_block.m``: X (N, d), y (N, 1), W1 (h1, d),
    b1 (h1, 1), W2 (h2, h1), b2 (h2, 1), W3 (1, h2), b3 (1, 1), the 1-based start ``i`` and
    ``batch_size``; returns every variable assigned after the workspace is set up, in statement
    order. Like the MATLAB it checks nothing but ``form``: ``dlparity.blocks.run_block`` checks
    the inputs first.
    """
    if not (isinstance(form, str) and form in ("backprop", "manual")):
        raise ValueError("run_block: form must be 'backprop' or 'manual'")
    batch_end = min(i + batch_size - 1, X.shape[0])  # as upstream: the last minibatch may be short; size(X, 1)

    if form == "backprop":
        out = backprop(X, y, W1, b1, W2, b2, W3, b3, i, batch_size, batch_end)
    else:
        forward = gradient_forward(X, y, W1, b1, W2, b2, W3, b3, i, batch_end)  # our forward lines, as upstream Math/Gradient.m
        out = {**forward, **manual_gradients(forward["x"], forward["error"], batch_size, W1, b1, W2, b2, W3)}

    return out  # every variable assigned above, in statement order (the MATLAB struct's field order)
