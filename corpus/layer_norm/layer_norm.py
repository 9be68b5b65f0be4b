"""The twin of ``layer_norm.m``, line for line."""

import numpy as np


def layer_norm(x, gamma, beta, epsilon):
    r"""Layer normalisation of each row.

    .. math::

        \mu_b = \frac{1}{D}\sum_d x_{bd},\quad \sigma^2_b = \frac{1}{D}\sum_d (x_{bd} - \mu_b)^2,\quad
        y_{bd} = \gamma_d \frac{x_{bd} - \mu_b}{\sqrt{\sigma^2_b + \epsilon}} + \beta_d

    Parameters
    ----------
    x : ndarray of shape (B, D)
    gamma, beta : ndarray of shape (1, D)
    epsilon : float

    Returns
    -------
    dict
        ``D``, ``mu``, ``sigma2`` (B, 1), ``xhat`` and ``y`` (B, D).
    """
    D = x.shape[1]
    mu = np.mean(x, axis=1, keepdims=True)
    sigma2 = np.var(x, axis=1, keepdims=True)  # MATLAB var(x, 1, 2): ddof=0 is NumPy's default
    xhat = (x - mu) / np.sqrt(sigma2 + epsilon)
    y = gamma * xhat + beta
    return {"D": D, "mu": mu, "sigma2": sigma2, "xhat": xhat, "y": y}
