"""The twin of ``conv2d_forward.m``, line for line."""

import numpy as np
from scipy.signal import convolve2d


def conv2d_forward(X, K, b):
    r"""A convolutional layer's forward pass on one image, then ReLU.

    .. math::

        Z_{ij}^{(k)} = \sum_{p,q} X_{i+p,\,j+q} K_{pq}^{(k)} + b_k,\quad A = \max(Z, 0)

    Parameters
    ----------
    X : ndarray of shape (H, W)
    K : ndarray of shape (kh, kw, nf)
    b : ndarray of shape (nf, 1)

    Returns
    -------
    dict
        ``kh``, ``kw``, ``nf``, the loop's last ``k`` (1-based, as MATLAB's), ``Z`` and ``A``
        of shape (H - kh + 1, W - kw + 1, nf).
    """
    kh, kw, nf = K.shape
    Z = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1, nf))
    for k in range(1, nf + 1):  # k kept 1-based as MATLAB's loop variable
        Z[:, :, k - 1] = convolve2d(X, np.rot90(K[:, :, k - 1], 2), mode="valid") + b[k - 1]
    A = np.maximum(Z, 0)  # MATLAB max(Z, 0)
    return {"kh": kh, "kw": kw, "nf": nf, "Z": Z, "k": k, "A": A}
