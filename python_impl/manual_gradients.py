"""Section 1.2 of the derivation, the closed-form gradients: the twin of ``matlab_ref/manual_gradients.m``.

Read this file beside the MATLAB block: one Python statement per MATLAB statement, same names,
same order. In both languages ``*`` and ``.*`` (NumPy: ``@`` and ``*``) share one precedence
level and group left to right, so each line keeps the MATLAB grouping without extra parentheses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from python_impl.relu import ReLU, ReLU_deriv

Array = NDArray[np.float64]


def manual_gradients(
    x: Array, error: Array, batch_size: int,
    W1: Array, b1: Array, W2: Array, b2: Array, W3: Array,
) -> dict[str, Array]:
    r"""Gradients of the loss in closed form, each recomputing the forward pass it needs (section 1.2).

    .. math::

        \frac{dJ}{dW_3} = \tfrac{2}{B}(\hat Y - Y)\,\sigma(W_2\sigma(W_1 x + b_1) + b_2)^T,\quad
        \frac{dJ}{db_3} = \tfrac{2}{B}\textstyle\sum (\hat y_i - y_i)

        \frac{dJ}{dW_2} = \tfrac{2}{B}(W_3^T(\hat Y - Y)) \circ \sigma'(W_2\sigma(W_1x+b_1)+b_2)\,
        \sigma(W_1x+b_1)^T

        \frac{dJ}{dW_1} = \tfrac{2}{B}(W_2^T(W_3^T(\hat Y - Y) \circ \sigma'(\cdot))) \circ
        \sigma'(W_1x+b_1)\,x^T

    with B the configured ``batch_size`` (the document writes N), and the bias gradients the
    same products summed over the minibatch.

    Parameters
    ----------
    x : ndarray of shape (d, B)
        The minibatch, one sample per column (MATLAB's ``x = X(i:batch_end, :)'``).
    error : ndarray of shape (1, B)
        ``y_pred - y_true``.
    batch_size : int
        Configured minibatch size.
    W1, b1, W2, b2, W3 : ndarray
        Shapes (h1, d), (h1, 1), (h2, h1), (h2, 1), (1, h2); the block never reads b3.

    Returns
    -------
    dict of str to ndarray
        ``dW3`` (1, h2), ``db3`` (1, 1), ``dW2`` (h2, h1), ``db2`` (h2, 1), ``dW1`` (h1, d),
        ``db1`` (h1, 1), in statement order.
    """
    # Compute gradients manually
    # Gradients for W3 and b3
    dW3 = 2 / batch_size * (error) @ ReLU(W2 @ ReLU(W1 @ x + b1) + b2).T  # MATLAB ' is .T, * is @
    db3 = 2 / batch_size * np.sum((error), axis=1, keepdims=True)  # MATLAB sum(., 2): axis=1, keepdims

    # Gradients for W2 and b2
    dW2 = 2 / batch_size * (W3.T @ (error)) * ReLU_deriv(W2 @ ReLU(W1 @ x + b1) + b2) @ ReLU(W1 @ x + b1).T  # .* is *
    db2 = 2 / batch_size * np.sum((W3.T @ (error)) * ReLU_deriv(W2 @ ReLU(W1 @ x + b1) + b2), axis=1, keepdims=True)

    # Gradients for W1 and b1
    dW1 = 2 / batch_size * (W2.T @ (W3.T @ (error) * ReLU_deriv(W2 @ ReLU(W1 @ x + b1) + b2))) * ReLU_deriv(W1 @ x + b1) @ x.T
    db1 = 2 / batch_size * np.sum((W2.T @ (W3.T @ (error) * ReLU_deriv(W2 @ ReLU(W1 @ x + b1) + b2))) * ReLU_deriv(W1 @ x + b1), axis=1, keepdims=True)

    return {"dW3": dW3, "db3": db3, "dW2": dW2, "db2": db2, "dW1": dW1, "db1": db1}
