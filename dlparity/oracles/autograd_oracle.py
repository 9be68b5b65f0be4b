r"""Reverse-mode automatic differentiation with HIPS ``autograd`` in float64: the default autodiff oracle.

The network and the loss are written again from section 1.1 with ``autograd.numpy``, sharing no
code with the port (nor with the PyTorch oracle, :mod:`dlparity.oracles.autodiff`); ``autograd``
then differentiates

.. math:: L = \frac{1}{\text{batch\_size}} \sum_{j=i}^{\text{batch\_end}} (\hat y_j - y_j)^2,
          \qquad \hat y = W_3\,\sigma(W_2\,\sigma(W_1 x + b_1) + b_2) + b_3 .

:math:`\sigma(z)` is written ``where(z > 0, z, 0)``: its derivative is the 0/1 mask ``z > 0``, 0 at
exactly 0, the convention of the document's ``ReLU_deriv``. (``autograd``'s own ``maximum``
would split a tie and give 1/2 there.)

Why this oracle is the default. ``autograd`` is pure Python on top of NumPy (about 700 kB
installed, 3.9 s for ``pip install autograd`` into a fresh environment here, NumPy included),
where the CPU build of PyTorch takes 47 s and 895 MB; so ``bash scripts/test.sh`` runs the
autodiff checks on every fresh machine. It evaluates the same products as PyTorch
(``g @ a.T``, ``W.T @ g``, a column sum, a 0/1 mask, ``2 e (1/batch_size)``), so the same
rounding-error bound applies (docs/error-bounds.md, section 7); PyTorch stays available as a
second, independent implementation (the ``[oracle]`` extra).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import BlockInputs

Array = NDArray[np.float64]

INSTALL_HINT = "pip install autograd (a dependency of dlparity; bash scripts/bootstrap.sh installs it)"

#: The parameters of section 1.1, in the order of the blocks' gradients.
PARAMETERS: tuple[str, ...] = ("W3", "b3", "W2", "b2", "W1", "b1")


class AutogradUnavailable(RuntimeError):  # noqa: N818 (named like autodiff.OracleUnavailable)
    """The autograd oracle cannot run because the ``autograd`` package is not installed."""


def import_autograd() -> tuple[Any, Any]:
    """``(autograd.numpy, autograd.grad)``, or :class:`AutogradUnavailable` with one sentence saying how to install it."""
    try:
        import autograd  # type: ignore[import-untyped]  # noqa: PLC0415 (imported on first use, as PyTorch is)
        import autograd.numpy as anp  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        raise AutogradUnavailable(
            f"autograd is not installed, so the autograd oracle cannot run; install it with {INSTALL_HINT}.",
        ) from None
    return anp, autograd.grad


def autograd_gradients(inp: BlockInputs, loss_divisor: int | None = None) -> dict[str, Array]:
    r"""Gradients of :math:`L` by ``autograd`` (reverse mode) in float64.

    Parameters
    ----------
    inp : BlockInputs
        Checked inputs: X (N, d), y (N, 1), W1 (h1, d), b1 (h1, 1), W2 (h2, h1), b2 (h2, 1),
        W3 (1, h2), b3 (1, 1); the minibatch is rows ``i..batch_end`` (1-based, inclusive).
    loss_divisor : int, optional
        Divisor of the loss; ``batch_size`` (the code's ``2/batch_size``) when None.

    Returns
    -------
    dict of str to ndarray
        ``dW3`` (1, h2), ``db3`` (1, 1), ``dW2`` (h2, h1), ``db2`` (h2, 1), ``dW1`` (h1, d),
        ``db1`` (h1, 1).
    """
    anp, grad = import_autograd()
    divisor = inp.batch_size if loss_divisor is None else int(loss_divisor)
    rows = slice(inp.i - 1, inp.batch_end)  # 1-based inclusive i..batch_end
    x = np.array(inp.X[rows, :].T, dtype=np.float64)  # (d, B): one sample per column
    target = np.array(inp.y[rows, :].T, dtype=np.float64)  # (1, B)

    def rectify(z: Any) -> Any:
        return anp.where(z > 0, z, 0.0)  # derivative: the mask z > 0, 0 at a tie

    def objective(theta: tuple[Any, ...]) -> Any:
        W3, b3, W2, b2, W1, b1 = theta
        hidden1 = rectify(anp.dot(W1, x) + b1)
        hidden2 = rectify(anp.dot(W2, hidden1) + b2)
        prediction = anp.dot(W3, hidden2) + b3
        return anp.sum((prediction - target) ** 2) / divisor

    theta = tuple(np.array(getattr(inp, name), dtype=np.float64) for name in PARAMETERS)
    grads = grad(objective)(theta)
    return {"d" + name: np.array(g, dtype=np.float64) for name, g in zip(PARAMETERS, grads, strict=True)}
