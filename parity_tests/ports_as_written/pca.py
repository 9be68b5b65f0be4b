"""The NumPy twin of ``pca.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def pca(X):
    mu = np.mean(X, axis=0, keepdims=True)
    Xc = X - mu
    C = (Xc.T @ Xc) / (X.shape[0] - 1)
    ev, V = np.linalg.eigh(C)  # noqa: RUF059 (MATLAB's [V, D] = eig(C))
    ev = ev.reshape(-1, 1)
    total = np.sum(ev)
    s = np.std(X, axis=0, ddof=1, keepdims=True)
    return {"mu": mu, "Xc": Xc, "C": C, "ev": ev, "total": total, "s": s}
