r"""Reverse-mode automatic differentiation with PyTorch in float64: the second oracle.

The network and the loss are written again from section 1.1, in PyTorch, sharing no code with the
port; ``torch.autograd`` then differentiates

.. math:: L = \frac{1}{\text{batch\_size}} \sum_{j=i}^{\text{batch\_end}} (\hat y_j - y_j)^2,
          \qquad \hat y = W_3\,\sigma(W_2\,\sigma(W_1 x + b_1) + b_2) + b_3 .

``torch.relu``'s derivative at exactly 0 is 0, the convention of the document's ``ReLU_deriv``
(``z > 0``), so the oracle and the blocks differentiate the same function everywhere.

PyTorch is optional (the ``[oracle]`` extra) and imported only when this oracle runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import BlockInputs

Array = NDArray[np.float64]

INSTALL_HINT = "pip install torch==2.13.0 (the CPU build), or the package's [oracle] extra"


class OracleUnavailable(RuntimeError):  # noqa: N818 (named like octave_bridge.OctaveUnavailable)
    """The autodiff oracle cannot run because PyTorch is not installed."""


def import_torch() -> Any:
    """Import PyTorch, or raise :class:`OracleUnavailable` with one sentence saying how to install it."""
    try:
        import torch  # noqa: PLC0415 (optional dependency, imported on first use)
    except ImportError:
        raise OracleUnavailable(
            f"PyTorch is not installed, so the autodiff oracle cannot run; install it with {INSTALL_HINT}.",
        ) from None
    return torch


def torch_version() -> str:
    """The installed PyTorch version (raises :class:`OracleUnavailable` when missing)."""
    return str(import_torch().__version__)


def autodiff_gradients(inp: BlockInputs, loss_divisor: int | None = None) -> dict[str, Array]:
    r"""Gradients of :math:`L` by ``torch.autograd`` in float64 on the CPU.

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
    torch = import_torch()
    divisor = inp.batch_size if loss_divisor is None else int(loss_divisor)

    def tensor(a: Array, grad: bool = False) -> Any:
        # torch.tensor copies, so read-only or strided NumPy views are fine
        return torch.tensor(np.array(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)

    rows = slice(inp.i - 1, inp.batch_end)  # 1-based inclusive i..batch_end
    x = tensor(inp.X[rows, :].T)  # (d, B): one sample per column, as the blocks' x
    target = tensor(inp.y[rows, :].T)  # (1, B)
    theta = {name: tensor(getattr(inp, name), grad=True) for name in ("W1", "b1", "W2", "b2", "W3", "b3")}

    hidden1 = torch.relu(theta["W1"] @ x + theta["b1"])
    hidden2 = torch.relu(theta["W2"] @ hidden1 + theta["b2"])
    prediction = theta["W3"] @ hidden2 + theta["b3"]
    objective = ((prediction - target) ** 2).sum() / divisor
    objective.backward()
    return {"d" + name: theta[name].grad.detach().numpy().copy()
            for name in ("W3", "b3", "W2", "b2", "W1", "b1")}
