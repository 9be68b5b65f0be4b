"""The twin of ``im2col_conv.m``, line for line."""

import numpy as np


def im2col_conv(X, K):
    r"""A 'valid' 2-D correlation by im2col, with MATLAB's column-major reshapes.

    .. math::

        \text{cols}_{:,\,(j-1)H_o + i} = \operatorname{vec}(X_{i:i+k_h-1,\ j:j+k_w-1}),\quad
        Y = \operatorname{reshape}(\operatorname{vec}(K)^\top \text{cols},\ H_o, W_o)

    Parameters
    ----------
    X : ndarray of shape (H, W)
    K : ndarray of shape (kh, kw)

    Returns
    -------
    dict
        ``cols`` (kh kw, Ho Wo), ``y`` (1, Ho Wo), ``Y`` (Ho, Wo), the sizes, the loop's last ``i``,
        ``j`` (1-based) and ``patch``.
    """
    H, W = X.shape
    kh, kw = K.shape
    Ho = H - kh + 1
    Wo = W - kw + 1
    cols = np.zeros((kh * kw, Ho * Wo))
    for j in range(1, Wo + 1):  # i, j kept 1-based as MATLAB's loop variables
        for i in range(1, Ho + 1):
            patch = X[i - 1:i + kh - 1, j - 1:j + kw - 1]
            cols[:, (j - 1) * Ho + i - 1] = patch.ravel(order="F")  # MATLAB patch(:) is column-major
    y = K.reshape(-1, 1, order="F").T @ cols  # MATLAB K(:)'
    Y = y.reshape(Ho, Wo, order="F")  # MATLAB reshape is column-major
    return {"H": H, "W": W, "kh": kh, "kw": kw, "Ho": Ho, "Wo": Wo, "cols": cols, "j": j, "i": i, "patch": patch,
            "y": y, "Y": Y}
