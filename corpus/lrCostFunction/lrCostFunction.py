"""The twin of ``lrCostFunction.m``, line for line, as such exercises are usually ported.

MATLAB's argument ``lambda`` is a Python keyword: the twin takes it as ``lambda_`` (PEP 8's
trailing underscore).
"""

import numpy as np


def sigmoid(z):
    """Compute sigmoid function (the .m file's local function)."""
    g = 1.0 / (1.0 + np.exp(-z))
    return g


def lrCostFunction(theta, X, y, lambda_):  # noqa: N802 (the MATLAB function's name)
    r"""Cost and gradient of regularized logistic regression.

    .. math::

        J = \frac{1}{m}\left(-y^\top \log h - (1 - y)^\top \log(1 - h)\right)
            + \frac{\lambda}{2m}\sum_{j \ge 2} \theta_j^2,\quad h = \sigma(X\theta),\quad
        \nabla J = \frac{1}{m} X^\top (h - y) + \frac{\lambda}{m}(0, \theta_2, \dots)^\top

    Parameters
    ----------
    theta : ndarray of shape (n, 1)
    X : ndarray of shape (m, n)
    y : ndarray of shape (m, 1)
        Labels 0 or 1 (floats, as MATLAB's doubles; made ints here as course ports do).
    lambda_ : float
        MATLAB's ``lambda``.

    Returns
    -------
    dict
        The declared outputs ``J`` (1, 1) and ``grad`` (n, 1).
    """
    # Initialize some useful values
    y = y.astype(int)  # labels as integers
    m = len(y)  # number of training examples

    J = 0
    grad = np.zeros(theta.shape)

    h = sigmoid(X @ theta)
    J = (1 / m) * (-y.T @ np.log(h) - (1 - y).T @ np.log(1 - h)) + (lambda_ / (2 * m)) * np.sum(theta[1:] ** 2)

    grad = (1 / m) * X.T @ (h - y)
    temp = theta.copy()  # MATLAB's temp = theta copies
    temp[0] = 0  # because we don't add anything for j = 0
    grad = grad + (lambda_ / m) * temp

    grad = grad.reshape(-1, 1, order="F")  # MATLAB grad(:)

    return {"J": J, "grad": grad}
