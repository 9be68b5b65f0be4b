"""The twin of ``lstm_step.m``, line for line."""

import numpy as np


def lstm_step(x, h_prev, c_prev, Wx, Wh, b):
    r"""One LSTM step.

    .. math::

        z = W_x x + W_h h_{t-1} + b,\quad i, f, o = \sigma(z_{i,f,o}),\quad g = \tanh(z_g),\quad
        c_t = f \odot c_{t-1} + i \odot g,\quad h_t = o \odot \tanh(c_t)

    Parameters
    ----------
    x : ndarray of shape (D, B)
    h_prev, c_prev : ndarray of shape (Hn, B)
    Wx : ndarray of shape (4 Hn, D)
    Wh : ndarray of shape (4 Hn, Hn)
    b : ndarray of shape (4 Hn, 1)

    Returns
    -------
    dict
        ``z`` (4 Hn, B), the gates ``ig``, ``fg``, ``og``, ``gg`` and ``c``, ``h`` (Hn, B), ``Hn``.
    """
    Hn = h_prev.shape[0]
    z = Wx @ x + Wh @ h_prev + b
    ig = 1 / (1 + np.exp(-z[:Hn, :]))  # MATLAB z(1:Hn, :)
    fg = 1 / (1 + np.exp(-z[Hn:2 * Hn, :]))
    og = 1 / (1 + np.exp(-z[2 * Hn:3 * Hn, :]))
    gg = np.tanh(z[3 * Hn:, :])
    c = fg * c_prev + ig * gg
    h = og * np.tanh(c)
    return {"Hn": Hn, "z": z, "ig": ig, "fg": fg, "og": og, "gg": gg, "c": c, "h": h}
