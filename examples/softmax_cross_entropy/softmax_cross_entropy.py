"""The twin of ``softmax_cross_entropy.m``, line for line."""

from __future__ import annotations

import numpy as np


def softmax_cross_entropy(z, Y):
    r"""Softmax of each column, the mean cross-entropy and its gradient in z.

    .. math::

        p_{kb} = \frac{e^{z_{kb} - m_b}}{\sum_j e^{z_{jb} - m_b}},\quad
        \text{loss} = -\frac{1}{B}\sum_{k,b} Y_{kb}\log p_{kb},\quad
        \frac{\partial\,\text{loss}}{\partial z} = \frac{p - Y}{B}

    Parameters
    ----------
    z : ndarray of shape (K, B)
        Scores, one column per sample.
    Y : ndarray of shape (K, B)
        One-hot targets.

    Returns
    -------
    dict
        The function file's declared outputs ``p`` (K, B), ``loss`` (1, 1) and ``dz`` (K, B)
        (a function's locals stay inside Octave, so only its outputs can be compared).
    """
    # Softmax, shifted by each column's maximum so exp cannot overflow
    m = np.max(z, axis=0, keepdims=True)  # MATLAB max(z, [], 1): axis=0, kept as a row
    e = np.exp(z - m)
    s = np.sum(e, axis=0, keepdims=True)  # MATLAB sum(e, 1)
    p = e / s  # MATLAB ./ is /

    # Mean cross-entropy over the batch
    B = z.shape[1]  # MATLAB size(z, 2)
    loss = -np.sum(np.sum(Y * np.log(p), axis=0, keepdims=True), axis=1, keepdims=True) / B  # sum(sum(.)) keeps 1x1

    # Gradient of the mean cross-entropy with respect to z
    dz = (p - Y) / B

    return {"p": p, "loss": loss, "dz": dz}
