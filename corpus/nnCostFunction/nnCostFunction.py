"""The twin of ``nnCostFunction.m``, line for line, as such exercises are usually ported.

MATLAB's argument ``lambda`` is a Python keyword: the twin takes it as ``lambda_`` (PEP 8's
trailing underscore).
"""

import numpy as np


def sigmoid(z):
    """Compute sigmoid function (the .m file's local function)."""
    g = 1.0 / (1.0 + np.exp(-z))
    return g


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_):  # noqa: N802 (the MATLAB function's name)
    r"""Cost and gradient of a two-layer sigmoid classifier, backpropagated one example at a time.

    .. math::

        J = \frac{1}{m}\sum_{i,k} \left(-Y_{ik}\log a^{(3)}_{ik} - (1 - Y_{ik})\log(1 - a^{(3)}_{ik})\right)
            + \frac{\lambda}{2m}\left(\sum \Theta^{(1)2}_{:,2:} + \sum \Theta^{(2)2}_{:,2:}\right),\quad
        \nabla_{\Theta^{(l)}} J = \frac{1}{m}\sum_t \delta^{(l+1)}_t a^{(l)\top}_t
            + \frac{\lambda}{m}\Theta^{(l)}_{:,2:}

    Parameters
    ----------
    nn_params : ndarray of shape (h (n + 1) + K (h + 1), 1)
        Theta1 (h, n + 1) and Theta2 (K, h + 1), unrolled column-major as MATLAB's ``(:)``.
    input_layer_size, hidden_layer_size, num_labels : int
        n, h and K.
    X : ndarray of shape (m, n)
    y : ndarray of shape (m, 1)
        Labels in 1..K (floats, as MATLAB's doubles).
    lambda_ : float
        MATLAB's ``lambda``.

    Returns
    -------
    dict
        The declared outputs ``J`` (1, 1) and ``grad`` (shaped as nn_params).
    """
    # Reshape nn_params back into the parameters Theta1 and Theta2 (MATLAB's reshape is column-major)
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")

    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")

    # Setup some useful variables
    m = X.shape[0]
    y = y.astype(int)  # labels as integers, to index with

    J = 0
    Theta1_grad = np.zeros(Theta1.shape)
    Theta2_grad = np.zeros(Theta2.shape)

    # Part 1: feedforward and cost
    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ Theta1.T
    a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])
    z3 = a2 @ Theta2.T
    a3 = sigmoid(z3)

    Y = np.zeros((m, num_labels))
    for i in range(m):
        Y[i, y[i, 0] - 1] = 1  # labels are 1-based

    J = (1 / m) * np.sum(-Y * np.log(a3) - (1 - Y) * np.log(1 - a3))
    J = J + (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    # Part 2: backpropagation, one example at a time
    D1 = np.zeros(Theta1.shape)
    D2 = np.zeros(Theta2.shape)
    for t in range(m):
        a1t = a1[t, :].reshape(-1, 1)
        a2t = a2[t, :].reshape(-1, 1)
        a3t = a3[t, :].reshape(-1, 1)
        yt = Y[t, :].reshape(-1, 1)
        d3 = a3t - yt
        d2 = (Theta2.T @ d3) * (a2t * (1 - a2t))
        d2 = d2[1:]
        D2 += d3 @ a2t.T
        D1 += d2 @ a1t.T

    # Part 3: regularization (not of the bias columns)
    Theta1_grad = D1 / m
    Theta2_grad = D2 / m
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + lambda_ / m * Theta2[:, 1:]

    # Unroll gradients
    grad = np.concatenate([Theta1_grad.reshape(-1, 1, order="F"), Theta2_grad.reshape(-1, 1, order="F")])

    return {"J": J, "grad": grad}
