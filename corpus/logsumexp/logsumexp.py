"""The twin of ``logsumexp.m``, line for line."""

import numpy as np


def logsumexp(x):
    r"""A stable log-sum-exp of each column and the log-probabilities.

    .. math::

        \text{lse}_b = m_b + \log \sum_k e^{x_{kb} - m_b},\quad m_b = \max_k x_{kb},\quad
        \log p_{kb} = x_{kb} - \text{lse}_b

    Parameters
    ----------
    x : ndarray of shape (K, B)

    Returns
    -------
    dict
        ``m``, ``s``, ``lse`` (1, B) and ``logp`` (K, B).
    """
    m = np.max(x, axis=0, keepdims=True)  # MATLAB max(x, [], 1)
    s = np.sum(np.exp(x - m), axis=0, keepdims=True)
    lse = m + np.log(s)
    logp = x - lse
    return {"m": m, "s": s, "lse": lse, "logp": logp}
