"""The twin of ``backprop_sigmoid.m``: section 1.3 with the sigmoid activation, line for line.

``sigmoid`` and ``sigmoid_deriv`` are the twins of ``sigmoid.m`` and ``sigmoid_deriv.m``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    r"""The logistic function :math:`1 / (1 + e^{-x})`, elementwise (``sigmoid.m``)."""
    return 1 / (1 + np.exp(-x))  # MATLAB 1 ./ (1 + exp(-x))


def sigmoid_deriv(x):
    r""":math:`\sigma(x)(1 - \sigma(x))`, elementwise (``sigmoid_deriv.m``)."""
    return sigmoid(x) * (1 - sigmoid(x))  # MATLAB .* is *


def backprop_sigmoid(X, y, W1, b1, W2, b2, W3, b3, i, batch_size, batch_end):
    r"""Forward and backward pass of the 3-layer sigmoid network on rows i..batch_end (1-based) of X.

    Shapes as ``backprop_sigmoid.m``: X (N, d), y (N, 1), W1 (h1, d), b1 (h1, 1), W2 (h2, h1),
    b2 (h2, 1), W3 (1, h2), b3 (1, 1); returns every variable the script assigns.
    """
    # Forward pass
    x = X[i - 1:batch_end, :].T  # MATLAB X(i:batch_end, :)': 1-based inclusive is i-1:batch_end
    y_true = y[i - 1:batch_end].T

    z1 = W1 @ x + b1
    a1 = sigmoid(z1)

    z2 = W2 @ a1 + b2
    a2 = sigmoid(z2)

    z3 = W3 @ a2 + b3
    y_pred = z3

    # Compute loss
    error = y_pred - y_true

    # Compute for backpropagation
    delta3 = 2 / batch_size * (error)

    # Gradients for W3 and b3
    dW3 = delta3 @ a2.T
    db3 = np.sum(delta3, axis=1, keepdims=True)  # MATLAB sum(delta3, 2)

    # Backpropagate to second hidden layer
    delta2 = (W3.T @ delta3) * sigmoid_deriv(z2)

    # Gradients for W2 and b2
    dW2 = delta2 @ a1.T
    db2 = np.sum(delta2, axis=1, keepdims=True)

    # Backpropagate to first hidden layer
    delta1 = (W2.T @ delta2) * sigmoid_deriv(z1)

    # Gradients for W1 and b1
    dW1 = delta1 @ x.T
    db1 = np.sum(delta1, axis=1, keepdims=True)

    return {
        "x": x, "y_true": y_true, "z1": z1, "a1": a1, "z2": z2, "a2": a2, "z3": z3,
        "y_pred": y_pred, "error": error, "delta3": delta3, "dW3": dW3, "db3": db3,
        "delta2": delta2, "dW2": dW2, "db2": db2, "delta1": delta1, "dW1": dW1, "db1": db1,
    }
