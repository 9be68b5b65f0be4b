"""The twin of ``nnbp.m``: the gradients ``nn["dW"][i - 1]`` for MATLAB's ``nn.dW{i}``.

MATLAB's cell ``d{i}`` is the list ``d[i - 1]``; ``d{i}(:, 2 : end)`` is ``d[i - 1][:, 1:]``.
"""

from __future__ import annotations

from typing import Any


def nnbp(nn: dict[str, Any]) -> dict[str, Any]:
    """Back-propagation: ``nn["dW"]`` filled in, as ``nn = nnbp(nn)``."""
    nn = dict(nn)
    n = nn["n"]
    m = nn["e"].shape[0]

    # the deltas: d[i - 1] is dL/d(input of layer i's units), m x size(i)
    d: list[Any] = [None] * n
    d[n - 1] = -nn["e"] * (nn["a"][n - 1] * (1 - nn["a"][n - 1]))
    for i in range(n - 2, 0, -1):  # MATLAB's i = (n - 1) : -1 : 2, 0-based
        d[i] = (d[i + 1] @ nn["W"][i]) * (nn["a"][i] * (1 - nn["a"][i]))
        d[i] = d[i][:, 1:]  # the bias unit takes no input: drop its column

    nn["dW"] = [None] * (n - 1)
    for i in range(n - 1):  # MATLAB's i = 1 : (n - 1)
        nn["dW"][i] = (d[i + 1].T @ nn["a"][i]) / m
    return {"nn": nn}
