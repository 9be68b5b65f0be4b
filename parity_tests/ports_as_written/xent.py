"""The NumPy twin of ``xent.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def xent(Z, y):
    m = np.max(Z, axis=0, keepdims=True)
    lse = m + np.log(np.sum(np.exp(Z - m), axis=0, keepdims=True))
    logp = Z - lse
    Y = np.eye(Z.shape[0])[y.astype(int).ravel() - 1].T
    J = -np.mean(np.sum(Y * logp, axis=0))
    return {"m": m, "lse": lse, "logp": logp, "Y": Y, "J": J}
