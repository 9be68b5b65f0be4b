"""Section 1.3 of the derivation, "Backpropagation": the twin of ``matlab_ref/backprop.m``.

Read this file beside the MATLAB block: one Python statement per MATLAB statement, same names,
same order. Where NumPy differs from MATLAB, a comment on that line says how.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from python_impl.relu import ReLU, ReLU_deriv

Array = NDArray[np.float64]


def backprop(
    X: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array, W3: Array, b3: Array,
    i: int, batch_size: int, batch_end: int,
) -> dict[str, Array]:
    r"""Forward pass and layer-by-layer backward pass on one minibatch (section 1.3).

    .. math::

        z_1 = W_1 x + b_1,\; a_1 = \sigma(z_1),\; z_2 = W_2 a_1 + b_2,\; a_2 = \sigma(z_2),\;
        \hat y = z_3 = W_3 a_2 + b_3

        \delta_3 = \tfrac{2}{\text{batch\_size}} (\hat y - y),\;
        \delta_2 = (W_3^T \delta_3) \circ \sigma'(z_2),\;
        \delta_1 = (W_2^T \delta_2) \circ \sigma'(z_1)

        dW_k = \delta_k\, a_{k-1}^T \;(a_0 = x),\quad db_k = \textstyle\sum_{\text{batch}} \delta_k

    Like the MATLAB script, it does no checking: call :func:`python_impl.run_block.run_block`
    for checked inputs.

    Parameters
    ----------
    X : ndarray of shape (N, d)
        All inputs, one sample per row.
    y : ndarray of shape (N, 1)
        All targets, a column.
    W1, b1 : ndarray of shape (h1, d), (h1, 1)
    W2, b2 : ndarray of shape (h2, h1), (h2, 1)
    W3, b3 : ndarray of shape (1, h2), (1, 1)
    i : int
        1-based first row of the minibatch, as in MATLAB.
    batch_size : int
        Configured minibatch size (the gradient scale is ``2/batch_size`` even when the last
        minibatch is shorter).
    batch_end : int
        1-based last row, inclusive: ``min(i + batch_size - 1, N)``.

    Returns
    -------
    dict of str to ndarray
        Every variable the block assigns, in statement order: ``x`` (d, B), ``y_true`` (1, B),
        ``z1``/``a1`` (h1, B), ``z2``/``a2`` (h2, B), ``z3``/``y_pred``/``error``/``delta3``
        (1, B), ``dW3`` (1, h2), ``db3`` (1, 1), ``delta2`` (h2, B), ``dW2`` (h2, h1),
        ``db2`` (h2, 1), ``delta1`` (h1, B), ``dW1`` (h1, d), ``db1`` (h1, 1),
        with B = batch_end - i + 1.
    """
    # Forward pass
    x = X[i - 1:batch_end, :].T  # MATLAB X(i:batch_end, :)': 1-based inclusive i:batch_end is i-1:batch_end
    y_true = y[i - 1:batch_end].T  # y is N-by-1, so the slice is B-by-1 and .T makes it 1-by-B, as y(...)'

    z1 = W1 @ x + b1  # MATLAB * is @; b1 (h1, 1) broadcasts over columns as MATLAB's implicit expansion
    a1 = ReLU(z1)

    z2 = W2 @ a1 + b2
    a2 = ReLU(z2)

    z3 = W3 @ a2 + b3
    y_pred = z3

    # Compute loss
    error = y_pred - y_true  # 'error' shadows MATLAB's builtin error() there; in Python it is just a name

    # Compute for backpropagation
    delta3 = 2 / batch_size * (error)  # left to right as in MATLAB: (2/batch_size) first, then times error

    # Gradients for W3 and b3
    dW3 = delta3 @ a2.T  # MATLAB a2' is a2.T
    db3 = np.sum(delta3, axis=1, keepdims=True)  # MATLAB sum(delta3, 2): axis=1, kept as a column

    # Backpropagate to second hidden layer
    delta2 = (W3.T @ delta3) * ReLU_deriv(z2)  # MATLAB .* is *; the bool mask promotes like MATLAB's logical

    # Gradients for W2 and b2
    dW2 = delta2 @ a1.T
    db2 = np.sum(delta2, axis=1, keepdims=True)

    # Backpropagate to first hidden layer
    delta1 = (W2.T @ delta2) * ReLU_deriv(z1)

    # Gradients for W1 and b1
    dW1 = delta1 @ x.T
    db1 = np.sum(delta1, axis=1, keepdims=True)

    return {
        "x": x, "y_true": y_true, "z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3,
        "y_pred": y_pred, "error": error, "delta3": delta3, "dW3": dW3, "db3": db3,
        "delta2": delta2, "dW2": dW2, "db2": db2, "delta1": delta1, "dW1": dW1, "db1": db1,
    }
