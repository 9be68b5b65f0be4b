"""The twin of ``smooth_conv1d.m``, line for line."""

import numpy as np


def smooth_conv1d(x, k):
    r"""A 1-D smoothing by convolution and the energy of the residual.

    .. math::

        y_i = \sum_j x_{i + c - j} k_j\ (\text{the central } n \text{ entries of the full convolution}),\quad
        \text{energy} = \sum_i (x_i - y_i)^2

    Parameters
    ----------
    x : ndarray of shape (n, 1)
    k : ndarray of shape (m, 1), m odd and at most n

    Returns
    -------
    dict
        ``y``, ``r`` (n, 1) and ``energy``.
    """
    # MATLAB conv(x, k, 'same'); NumPy's mode="same" picks the same central part only for an odd-length k
    # no longer than x (for an even length it is shifted by one), and np.convolve takes 1-D arrays
    y = np.convolve(x.ravel(), k.ravel(), mode="same").reshape(-1, 1)
    r = x - y
    energy = np.sum(r ** 2)
    return {"y": y, "r": r, "energy": energy}
