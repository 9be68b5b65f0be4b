"""The twin of ``adam_update.m``, line for line."""

import numpy as np


def adam_update(theta, g, m, v, alpha, beta1, beta2, epsilon, t):
    r"""One Adam step.

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g,\quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2,\quad
        \theta \leftarrow \theta - \alpha \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    Parameters
    ----------
    theta, g, m, v : ndarray of shape (r, c)
    alpha, beta1, beta2, epsilon : float
    t : int
        The step count, from 1.

    Returns
    -------
    dict
        The new ``m``, ``v``, ``theta`` and the bias-corrected ``mhat``, ``vhat``.
    """
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    mhat = m / (1 - beta1 ** t)
    vhat = v / (1 - beta2 ** t)
    theta = theta - alpha * mhat / (np.sqrt(vhat) + epsilon)
    return {"m": m, "v": v, "mhat": mhat, "vhat": vhat, "theta": theta}
