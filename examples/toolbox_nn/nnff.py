"""The twin of ``nnff.m`` (and ``sigm.m``): the network is a dict, its cell arrays lists.

MATLAB's ``nn.a{i}`` is ``nn["a"][i - 1]`` here: lists are 0-based, so every cell index is one less
and the loop ``for i = 2 : n - 1`` runs over ``range(1, n - 1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigm(P: np.ndarray) -> np.ndarray:
    """The twin of ``sigm.m``: ``1 ./ (1 + exp(-P))``."""
    return 1 / (1 + np.exp(-P))


def nnff(nn: dict[str, Any], x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Feed-forward pass: ``nn["a"]``, ``nn["e"]`` and ``nn["L"]`` filled in, as ``nn = nnff(nn, x, y)``."""
    nn = dict(nn)  # MATLAB passes structs by value: the caller's nn is left as it was
    n = nn["n"]
    m = x.shape[0]

    x = np.hstack([np.ones((m, 1)), x])
    nn["a"] = [None] * n  # nn.a{1..n}
    nn["a"][0] = x

    # hidden layers: sigmoid units, then the bias unit in front
    for i in range(1, n - 1):
        nn["a"][i] = sigm(nn["a"][i - 1] @ nn["W"][i - 1].T)
        nn["a"][i] = np.hstack([np.ones((m, 1)), nn["a"][i]])
    # output layer: sigmoid units, no bias
    nn["a"][n - 1] = sigm(nn["a"][n - 2] @ nn["W"][n - 2].T)

    # error and half the mean squared error
    nn["e"] = y - nn["a"][n - 1]
    nn["L"] = 1 / 2 * np.sum(nn["e"] ** 2) / m
    return {"nn": nn}
