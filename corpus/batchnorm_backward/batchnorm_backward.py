"""The twin of ``batchnorm_backward.m``, line for line."""

import numpy as np


def batchnorm_backward(x, gamma, epsilon, dout):
    r"""Batch normalisation backward pass, stage by stage.

    .. math::

        \hat x = (x - \mu)\,(\sigma^2 + \epsilon)^{-1/2},\quad
        \frac{\partial L}{\partial \beta} = \sum_n \text{dout}_n,\quad
        \frac{\partial L}{\partial \gamma} = \sum_n \text{dout}_n \hat x_n,\quad
        \frac{\partial L}{\partial x} = \text{dx1} + \text{dx2}

    Parameters
    ----------
    x, dout : ndarray of shape (N, D)
    gamma : ndarray of shape (1, D)
    epsilon : float

    Returns
    -------
    dict
        Every forward and backward stage the script assigns.
    """
    # Forward stages
    N = x.shape[0]
    mu = np.mean(x, axis=0, keepdims=True)  # MATLAB mean(x, 1)
    xmu = x - mu
    sigma2 = np.mean(xmu ** 2, axis=0, keepdims=True)
    sqrtvar = np.sqrt(sigma2 + epsilon)
    ivar = 1 / sqrtvar
    xhat = xmu * ivar

    # Backward, stage by stage
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * xhat, axis=0, keepdims=True)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0, keepdims=True)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1 / (sqrtvar ** 2) * divar
    dsigma2 = 0.5 / np.sqrt(sigma2 + epsilon) * dsqrtvar
    dsq = np.ones((N, x.shape[1])) / N * dsigma2
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dxmu1 + dxmu2, axis=0, keepdims=True)
    dx2 = np.ones((N, x.shape[1])) / N * dmu
    dx = dx1 + dx2
    return {"N": N, "mu": mu, "xmu": xmu, "sigma2": sigma2, "sqrtvar": sqrtvar, "ivar": ivar, "xhat": xhat,
            "dbeta": dbeta, "dgamma": dgamma, "dxhat": dxhat, "divar": divar, "dxmu1": dxmu1, "dsqrtvar": dsqrtvar,
            "dsigma2": dsigma2, "dsq": dsq, "dxmu2": dxmu2, "dx1": dx1, "dmu": dmu, "dx2": dx2, "dx": dx}
