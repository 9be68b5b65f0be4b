"""The twin of ``dropout_forward.m``, line for line; its draws go through ``dlparity.random`` in the MATLAB's order."""

from __future__ import annotations

import numpy as np

from dlparity import random as mr


def dropout_forward(X, seed, h, p, batch, K):
    r"""A training step's draws: seeded weights, a shuffled minibatch, a dropout mask, labels.

    .. math::

        W_1 = 0.1\,\mathcal{N}(0, 1)^{h \times d},\quad
        a_1 = \max(W_1 X_b + b_1, 0),\quad
        a_{1d} = \frac{a_1 \odot [U > p]}{1 - p},\quad U \sim \mathcal{U}(0, 1)^{h \times batch}

    Parameters
    ----------
    X : ndarray of shape (d, N)
        Samples as columns.
    seed, h, batch, K : int
        The seed ``rng`` takes, hidden units, minibatch size, classes.
    p : float
        Drop probability.

    Returns
    -------
    dict
        Every variable the script leaves: ``d``, ``N``, ``W1`` (h, d), ``b1`` (h, 1), ``idx`` (1, N),
        ``Xb`` (d, batch), ``a1``, ``mask``, ``a1d`` (h, batch), ``y`` (1, batch).
    """
    # Initialise the weights
    mr.rng(seed)
    d, N = X.shape  # MATLAB [d, N] = size(X)
    W1 = 0.1 * mr.randn(h, d)
    b1 = np.zeros((h, 1))

    # Shuffle, and take the first minibatch
    idx = mr.randperm(N)
    Xb = X[:, (idx[0, :batch] - 1).astype(int)]  # idx holds 1-based doubles: 0-based ints to index

    # Forward pass with inverted dropout
    a1 = np.maximum(W1 @ Xb + b1, 0)
    mask = mr.rand(*a1.shape) > p  # MATLAB rand(size(a1)): the same shape, filled column by column
    a1d = a1 * mask / (1 - p)

    # Random labels for the minibatch
    y = mr.randi(K, 1, batch)

    return {"d": d, "N": N, "W1": W1, "b1": b1, "idx": idx, "Xb": Xb, "a1": a1, "mask": mask, "a1d": a1d, "y": y}
