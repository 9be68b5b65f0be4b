"""The twin of ``maxpool.m``, line for line."""

import numpy as np


def maxpool(X, dY):
    r"""2-by-2 max pooling with stride 2 and its backward pass.

    .. math::

        Y_{ij} = \max_{(p,q) \in \text{window}(i,j)} X_{pq},\quad
        dX_{pq} = dY_{ij} \text{ at the window's argmax, } 0 \text{ elsewhere}

    Parameters
    ----------
    X : ndarray of shape (H, W), H and W even
    dY : ndarray of shape (H // 2, W // 2)

    Returns
    -------
    dict
        ``Y``, ``dX``, the sizes, and the last window's ``patch``, ``idx``, ``r``, ``c``, ``i``, ``j``
        (1-based, as MATLAB's).
    """
    H, W = X.shape
    Y = np.zeros((H // 2, W // 2))
    dX = np.zeros((H, W))
    for j in range(1, W // 2 + 1):  # i, j, idx, r, c kept 1-based as MATLAB's
        for i in range(1, H // 2 + 1):
            patch = X[2 * i - 2:2 * i, 2 * j - 2:2 * j]
            idx = np.argmax(patch.ravel(order="F")) + 1  # MATLAB [~, idx] = max(patch(:)): column-major, 1-based
            Y[i - 1, j - 1] = patch.ravel(order="F")[idx - 1]
            r, c = np.unravel_index(idx - 1, (2, 2), order="F")  # MATLAB ind2sub([2, 2], idx)
            r, c = r + 1, c + 1
            dX[2 * i - 2 + r - 1, 2 * j - 2 + c - 1] = dY[i - 1, j - 1]
    return {"H": H, "W": W, "Y": Y, "dX": dX, "j": j, "i": i, "patch": patch, "idx": idx, "r": r, "c": c}
