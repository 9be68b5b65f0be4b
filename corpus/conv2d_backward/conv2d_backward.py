"""The twin of ``conv2d_backward.m``, line for line."""

import numpy as np
from scipy.signal import convolve2d, correlate2d


def conv2d_backward(X, K, dZ):
    r"""A convolutional layer's backward pass on one image.

    .. math::

        \frac{\partial L}{\partial K^{(k)}} = X \star dZ^{(k)}\ (\text{valid}),\quad
        \frac{\partial L}{\partial b_k} = \sum_{ij} dZ^{(k)}_{ij},\quad
        \frac{\partial L}{\partial X} = \sum_k dZ^{(k)} * K^{(k)}\ (\text{full})

    Parameters
    ----------
    X : ndarray of shape (H, W)
    K : ndarray of shape (kh, kw, nf)
    dZ : ndarray of shape (H - kh + 1, W - kw + 1, nf)

    Returns
    -------
    dict
        ``dK`` (kh, kw, nf), ``db`` (nf, 1), ``dX`` (H, W), the sizes and the loop's last ``k``.
    """
    kh, kw, nf = K.shape
    dK = np.zeros((kh, kw, nf))
    db = np.zeros((nf, 1))
    dX = np.zeros(X.shape)
    for k in range(1, nf + 1):  # k kept 1-based as MATLAB's loop variable
        dK[:, :, k - 1] = correlate2d(X, dZ[:, :, k - 1], mode="valid")  # conv2 with the kernel turned 180 degrees
        db[k - 1] = np.sum(dZ[:, :, k - 1])  # MATLAB sum(sum(.)) of a matrix
        dX += convolve2d(dZ[:, :, k - 1], K[:, :, k - 1], mode="full")
    return {"kh": kh, "kw": kw, "nf": nf, "dK": dK, "db": db, "dX": dX, "k": k}
