"""The twin of ``standardize_clip.m``, line for line."""

import numpy as np


def standardize_clip(X, g, maxnorm):
    r"""Column standardisation and gradient clipping by norm.

    .. math::

        Z = \frac{X - \mu}{\sigma},\quad \sigma_j = \sqrt{\tfrac{1}{N-1}\textstyle\sum_n (X_{nj} - \mu_j)^2},\quad
        g' = g \min\!\left(1, \frac{\text{maxnorm}}{\|g\|_2}\right)

    Parameters
    ----------
    X : ndarray of shape (N, D), N >= 2
    g : ndarray of shape (n, 1)
    maxnorm : float

    Returns
    -------
    dict
        ``mu``, ``sigma`` (1, D), ``Z`` (N, D), ``gnorm``, ``scale``, ``g_clipped`` (n, 1).
    """
    mu = np.mean(X, axis=0, keepdims=True)
    sigma = np.std(X, axis=0, ddof=1, keepdims=True)  # MATLAB std(X, 0, 1) divides by N - 1
    Z = (X - mu) / sigma

    gnorm = np.linalg.norm(g)
    scale = min(1, maxnorm / gnorm)
    g_clipped = g * scale
    return {"mu": mu, "sigma": sigma, "Z": Z, "gnorm": gnorm, "scale": scale, "g_clipped": g_clipped}
