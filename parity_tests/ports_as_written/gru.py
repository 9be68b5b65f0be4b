"""The NumPy twin of ``gru.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))
def gru(x, h, Wz, Uz, bz, Wr, Ur, br, Wh, Uh, bh):
    z = sigmoid(Wz @ x + Uz @ h + bz)
    r = sigmoid(Wr @ x + Ur @ h + br)
    hc = np.tanh(Wh @ x + Uh @ (r * h) + bh)
    hn = (1 - z) * h + z * hc
    return {"z": z, "r": r, "hc": hc, "hn": hn}
