"""The NumPy twin of ``conv1b.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def conv1b(x, k, t):
    y = np.convolve(x.ravel(), k.ravel(), 'valid').reshape(1, -1)
    g = 2 * (y - t)
    dk = np.convolve(x.ravel(), np.fliplr(g).ravel(), 'valid').reshape(1, -1)
    dk = np.fliplr(dk)
    dx = np.convolve(g.ravel(), k.ravel(), 'full').reshape(1, -1)
    loss = np.sum((y - t) ** 2)
    return {"y": y, "g": g, "dk": dk, "dx": dx, "loss": loss}
