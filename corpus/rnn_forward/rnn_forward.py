"""The twin of ``rnn_forward.m``, line for line."""

import numpy as np


def rnn_forward(X, h0, Wx, Wh, b):
    r"""A vanilla RNN over T steps.

    .. math::

        h_t = \tanh(W_x x_t + W_h h_{t-1} + b),\quad H_{:,t} = h_t

    Parameters
    ----------
    X : ndarray of shape (D, T)
    h0 : ndarray of shape (Hn, 1)
    Wx : ndarray of shape (Hn, D)
    Wh : ndarray of shape (Hn, Hn)
    b : ndarray of shape (Hn, 1)

    Returns
    -------
    dict
        ``H`` (Hn, T), the last ``h`` (Hn, 1), the sizes and the loop's last ``t`` (1-based).
    """
    D, T = X.shape
    Hn = h0.shape[0]
    H = np.zeros((Hn, T))
    h = h0
    for t in range(1, T + 1):  # t kept 1-based as MATLAB's loop variable
        h = np.tanh(Wx @ X[:, t - 1:t] + Wh @ h + b)  # MATLAB X(:, t), kept a column
        H[:, t - 1] = h[:, 0]
    return {"D": D, "T": T, "Hn": Hn, "H": H, "h": h, "t": t}
