"""The twin of ``softmax_xent.m``, line for line."""

import numpy as np


def softmax_xent(z, y):
    r"""Softmax of each column, the mean cross-entropy against integer labels, and its gradient.

    .. math::

        p_{kb} = \frac{e^{z_{kb} - m_b}}{\sum_j e^{z_{jb} - m_b}},\quad
        \text{loss} = -\frac{1}{B}\sum_b \log p_{y_b b},\quad
        \frac{\partial\,\text{loss}}{\partial z} = \frac{p - Y}{B}

    Parameters
    ----------
    z : ndarray of shape (K, B)
        Scores, one column per sample.
    y : ndarray of shape (B, 1)
        Labels in 1..K (MATLAB's, so 1-based), as floats.

    Returns
    -------
    dict
        Every variable the script assigns that NumPy has too.
    """
    K, B = z.shape

    # Softmax, shifted by each column's maximum so exp cannot overflow
    m = np.max(z, axis=0, keepdims=True)  # MATLAB max(z, [], 1)
    e = np.exp(z - m)
    p = e / np.sum(e, axis=0, keepdims=True)

    # Mean cross-entropy: the probability of each sample's own label
    labels = y.astype(int).ravel() - 1  # MATLAB's sub2ind(...) of 1-based labels: 0-based rows, one per column
    loss = -np.sum(np.log(p[labels, np.arange(B)])) / B

    # Gradient: p minus the one-hot targets, over the batch
    Y = np.zeros((K, B))
    Y[labels, np.arange(B)] = 1
    dz = (p - Y) / B

    return {"K": K, "B": B, "m": m, "e": e, "p": p, "loss": loss, "Y": Y, "dz": dz}
