"""The twin of ``batchnorm_forward.m``, line for line."""

import numpy as np


def batchnorm_forward(x, gamma, beta, epsilon):
    r"""Batch normalisation forward pass over the rows of x.

    .. math::

        \mu = \frac{1}{N}\sum_n x_n,\quad \sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2,\quad
        \text{out} = \gamma \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma, beta : ndarray of shape (1, D)
    epsilon : float

    Returns
    -------
    dict
        Every stage: ``mu``, ``sigma2``, ``sqrtvar``, ``ivar`` (1, D); ``xmu``, ``sq``, ``xhat``,
        ``gammax``, ``out`` (N, D); ``N``.
    """
    N = x.shape[0]
    mu = np.mean(x, axis=0, keepdims=True)  # MATLAB mean(x, 1)
    xmu = x - mu
    sq = xmu ** 2
    sigma2 = np.sum(sq, axis=0, keepdims=True) / N
    sqrtvar = np.sqrt(sigma2 + epsilon)
    ivar = 1 / sqrtvar
    xhat = xmu * ivar
    gammax = gamma * xhat
    out = gammax + beta
    return {"N": N, "mu": mu, "xmu": xmu, "sq": sq, "sigma2": sigma2, "sqrtvar": sqrtvar, "ivar": ivar,
            "xhat": xhat, "gammax": gammax, "out": out}
