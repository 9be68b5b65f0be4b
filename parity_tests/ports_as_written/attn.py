"""The NumPy twin of ``attn.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def attn(Q, K, V):
    d = Q.shape[1]
    S = Q @ K.T / np.sqrt(d)
    S = S - np.max(S, axis=1, keepdims=True)
    P = np.exp(S)
    P = P / np.sum(P, axis=1, keepdims=True)
    O = P @ V  # noqa: E741 (MATLAB's name)
    return {"d": d, "S": S, "P": P, "O": O}
