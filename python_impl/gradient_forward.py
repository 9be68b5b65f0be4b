"""Our forward lines for the section 1.2 block: the twin of ``matlab_ref/gradient_forward.m``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from python_impl.relu import ReLU

Array = NDArray[np.float64]


def gradient_forward(
    X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, W3: Array, b3: Array, i: int, batch_end: int,
) -> dict[str, Array]:
    r"""The minibatch, prediction and error that the section 1.2 block reads, as upstream Gradient.m.

    .. math:: \hat y = W_3\,\sigma(W_2\,\sigma(W_1 x + b_1) + b_2) + b_3, \qquad
              \text{error} = \hat y - y_{\text{true}}

    Parameters
    ----------
    X : ndarray of shape (N, d)
    y : ndarray of shape (N, 1)
    W1, b1, W2, b2, W3, b3 : ndarray
        Shapes (h1, d), (h1, 1), (h2, h1), (h2, 1), (1, h2), (1, 1).
    i, batch_end : int
        1-based first and last row of the minibatch, inclusive.

    Returns
    -------
    dict of str to ndarray
        ``x`` (d, B), ``y_true`` (1, B), ``y_pred`` (1, B), ``error`` (1, B), in statement order.
    """
    x = X[i - 1:batch_end, :].T  # MATLAB X(i:batch_end, :)': 1-based inclusive i:batch_end is i-1:batch_end
    y_true = y[i - 1:batch_end].T  # MATLAB y(i:batch_end)'
    y_pred = W3 @ ReLU(W2 @ ReLU(W1 @ x + b1) + b2) + b3  # MATLAB * is @
    error = y_pred - y_true
    return {"x": x, "y_true": y_true, "y_pred": y_pred, "error": error}
