"""The NumPy twin of ``f32net.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def f32net(X, W1, b1, W2, b2):
    h = np.maximum(W1 @ X + b1, 0)
    o = W2 @ h + b2
    L = np.sum(o ** 2) / X.shape[1]
    n = np.linalg.norm(W1, 'fro')
    return {"h": h, "o": o, "L": L, "n": n}
