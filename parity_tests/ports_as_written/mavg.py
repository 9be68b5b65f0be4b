"""The NumPy twin of ``mavg.m``, written as ports are written (a review's pair: parity_tests/test_ports_as_written.py)."""

import numpy as np


def mavg(x, w, A, v):
    w = int(w)
    c = np.cumsum(np.concatenate([[[0.0]], x]), axis=0)
    ma = (c[w:] - c[:-w]) / w
    mx = np.max(x)
    mn = np.mean(x.ravel(order="F"))
    sd = np.std(A, axis=1, ddof=1, keepdims=True)
    srt = np.sort(v, axis=0)
    ix = np.argsort(v, axis=0, kind="stable")  # MATLAB's sort is stable: ties keep their order
    ix = ix + 1
    tot = np.sum(A.ravel(order="F"))
    d = np.diff(x, axis=0)
    return {"c": c, "ma": ma, "mx": mx, "mn": mn, "sd": sd, "srt": srt, "ix": ix, "tot": tot, "d": d}
