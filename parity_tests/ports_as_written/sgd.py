"""The NumPy twin of ``sgd.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

from dlparity import random as mr


def sgd(seed, k, d, N, B, lr, wd, X, Y):
    k, d, N, B = int(k), int(d), int(N), int(B)
    mr.rng(seed)
    W = 0.1 * mr.randn(k, d)
    for ep in range(1, 3):  # noqa: B007 (MATLAB's loop variable, compared afterwards)
        idx = mr.randperm(N)
        for s in range(1, N + 1, B):
            bi = idx[0, s - 1:min(s + B - 1, N)]
            Xb = X[bi.astype(int) - 1, :]
            Yb = Y[bi.astype(int) - 1, :]
            G = (Xb @ W.T - Yb).T @ Xb / bi.size
            W = W - lr * (G + wd * W)
    return {"W": W, "ep": ep, "idx": idx.reshape(1, -1), "bi": bi.reshape(1, -1), "Xb": Xb, "Yb": Yb, "G": G}
