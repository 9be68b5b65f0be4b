"""ReLU and its derivative: the twins of ``matlab_ref/ReLU.m`` and ``matlab_ref/ReLU_deriv.m``."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def ReLU(z: NDArray[np.float64]) -> NDArray[np.float64]:  # noqa: N802 (MATLAB name)
    r"""Rectified linear unit, elementwise.

    .. math:: \sigma(z) = \max(0, z)

    Parameters
    ----------
    z : ndarray of shape (h, B)
        Pre-activations.

    Returns
    -------
    ndarray of shape (h, B)
        ``max(0, z)``, as MATLAB's ``max(0, z)``.
    """
    return np.maximum(0, z)


def ReLU_deriv(z: NDArray[np.float64]) -> NDArray[np.bool_]:  # noqa: N802 (MATLAB name)
    r"""Derivative of ReLU, elementwise, taken as 0 at exactly 0.

    .. math:: \sigma'(z) = [z > 0]

    Parameters
    ----------
    z : ndarray of shape (h, B)
        Pre-activations.

    Returns
    -------
    ndarray of bool, shape (h, B)
        ``z > 0``, a boolean mask like MATLAB's logical ``z > 0``; ``v * mask`` promotes it to
        float64 exactly as MATLAB's ``v .* mask`` promotes logical to double.
    """
    return z > 0
