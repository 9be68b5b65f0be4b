"""The twin of ``kmeans.m``, line for line."""

import numpy as np


def kmeans(X, C):
    r"""One k-means iteration: assignment, then update.

    .. math::

        D2_{nk} = \|x_n\|^2 + \|c_k\|^2 - 2 x_n \cdot c_k,\quad
        \text{idx}_n = \arg\min_k D2_{nk},\quad
        c'_k = \frac{1}{|S_k|}\sum_{n \in S_k} x_n

    Parameters
    ----------
    X : ndarray of shape (N, D)
    C : ndarray of shape (K, D)

    Returns
    -------
    dict
        ``D2`` (N, K), ``dmin`` and ``idx`` (N, 1; idx 1-based as MATLAB's), ``J``, ``C_new`` (K, D),
        ``counts`` (K, 1), the loop's last ``k`` and ``members``.
    """
    K = C.shape[0]
    D2 = np.sum(X ** 2, axis=1, keepdims=True) + np.sum(C ** 2, axis=1, keepdims=True).T - 2 * X @ C.T
    dmin = np.min(D2, axis=1, keepdims=True)  # MATLAB [dmin, idx] = min(D2, [], 2)
    idx = np.argmin(D2, axis=1).reshape(-1, 1) + 1  # 1-based cluster labels, a column
    J = np.mean(dmin)
    C_new = np.zeros(C.shape)
    counts = np.zeros((K, 1))
    for k in range(1, K + 1):  # k kept 1-based as MATLAB's loop variable
        members = X[idx[:, 0] == k, :]
        counts[k - 1] = members.shape[0]
        if counts[k - 1] > 0:
            C_new[k - 1, :] = np.mean(members, axis=0)
        else:
            C_new[k - 1, :] = C[k - 1, :]
    return {"K": K, "D2": D2, "dmin": dmin, "idx": idx, "J": J, "C_new": C_new, "counts": counts, "k": k,
            "members": members}
