"""The upstream training loop in NumPy: the twin of ``matlab_ref/train_sgd.m``.

Read this file beside the MATLAB driver: one Python statement per MATLAB statement, same names,
same order. Where NumPy differs from MATLAB, a comment on that line says how. Per minibatch it
runs :func:`python_impl.backprop.backprop` (section 1.3) or our forward lines and
:func:`python_impl.manual_gradients.manual_gradients` (section 1.2), then plain SGD.

Nothing here is random and nothing is checked: :mod:`dlparity.training.runs` draws the initial
parameters and permutations, checks every input, and calls this function and its Octave twin
with the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from python_impl.backprop import backprop
from python_impl.gradient_forward import gradient_forward
from python_impl.manual_gradients import manual_gradients
from python_impl.relu import ReLU

Array = NDArray[np.float64]

#: Parameter names in the order the driver takes and returns them.
PARAMS: tuple[str, ...] = ("W1", "b1", "W2", "b2", "W3", "b3")


@dataclass(frozen=True)
class TrainResult:
    """What one training run returns (the fields of the MATLAB ``out`` struct).

    Attributes
    ----------
    loss_train : ndarray of shape (E,)
        Per epoch, the mean over the epoch's N samples of ``error**2``, each error computed by
        the block with the parameters of its own step, before that step's update.
    loss_valid : ndarray of shape (E,)
        Per epoch, after the epoch's updates: ``sum((y_valid' - y_pred).^2) / size(y_valid, 1)``.
    params : dict of str to ndarray
        Final ``W1`` (h1, d), ``b1`` (h1, 1), ``W2`` (h2, h1), ``b2`` (h2, 1), ``W3`` (1, h2),
        ``b3`` (1, 1).
    history : dict of str to ndarray, optional
        With ``keep_history``: ``history[name]`` has shape ``(E, *params[name].shape)``, the
        parameter after each epoch (MATLAB returns size(W)-by-E; the caller moves the axis).
    """

    loss_train: Array
    loss_valid: Array
    params: dict[str, Array]
    history: dict[str, Array] | None = field(default=None)


def train_sgd(
    form: str, X: Array, y: Array, x_valid: Array, y_valid: Array,
    W1: Array, b1: Array, W2: Array, b2: Array, W3: Array, b3: Array,
    learning_rate: float, num_epochs: int, batch_size: int,
    perms: NDArray[np.int64] | None = None, keep_history: bool = False,
    on_epoch: Callable[[int, float, float], None] | None = None,
) -> TrainResult:
    r"""Minibatch SGD over the epochs, one of the document's blocks per minibatch.

    For epoch :math:`e = 1..E` and each minibatch :math:`x = X_{i:i+B-1}` in order (the last one
    may be shorter than ``batch_size``):

    .. math::

        (dW_k, db_k) = \text{block}(x, y, W, b),\qquad
        W_k \leftarrow W_k - \eta\, dW_k,\quad b_k \leftarrow b_k - \eta\, db_k\quad (k = 3, 2, 1)

    then, with ``perms``, :math:`X \leftarrow X_{\pi_e,:}`, :math:`y \leftarrow y_{\pi_e}`;
    then the validation loss

    .. math:: L_e = \frac{1}{N_v}\sum_{j=1}^{N_v}\bigl(y^{valid}_j - \hat y_j\bigr)^2.

    Parameters
    ----------
    form : {'backprop', 'manual'}
        'backprop' runs the section 1.3 block; 'manual' our forward lines, then section 1.2.
    X : ndarray of shape (N, d)
    y : ndarray of shape (N, 1)
    x_valid : ndarray of shape (Nv, d)
    y_valid : ndarray of shape (Nv, 1)
    W1, b1, W2, b2, W3, b3 : ndarray
        Initial parameters, shapes (h1, d), (h1, 1), (h2, h1), (h2, 1), (1, h2), (1, 1). Not
        modified: every update rebinds the name to a new array, as MATLAB's value semantics do.
    learning_rate : float
    num_epochs : int
    batch_size : int
    perms : ndarray of int, shape (E, N), optional
        1-based permutations (like MATLAB's ``randperm``); row e is applied to the current rows
        after epoch e. None trains every epoch in the file's order.
    keep_history : bool
        Also return the parameters after every epoch.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, loss_train[epoch], loss_valid[epoch])`` after each epoch
        (1-based epoch), for progress reports; it cannot change the numbers.

    Returns
    -------
    TrainResult
    """
    loss_train = np.zeros(num_epochs)  # MATLAB zeros(1, num_epochs); 1-D here, indexed epoch - 1
    loss_valid = np.zeros(num_epochs)
    history: dict[str, list[Array]] = {name: [] for name in PARAMS}  # MATLAB preallocates size(W)-by-E
    use_backprop = form == "backprop"

    for epoch in range(1, num_epochs + 1):  # MATLAB 1:num_epochs, kept 1-based

        for i in range(1, X.shape[0] + 1, batch_size):  # MATLAB 1:batch_size:size(X, 1), 1-based
            batch_end = min(i + batch_size - 1, X.shape[0])

            if use_backprop:
                v = backprop(X, y, W1, b1, W2, b2, W3, b3, i, batch_size, batch_end)  # MATLAB: backprop; (a script)
                error = v["error"]
            else:
                f = gradient_forward(X, y, W1, b1, W2, b2, W3, b3, i, batch_end)  # MATLAB: gradient_forward;
                error = f["error"]
                v = manual_gradients(f["x"], error, batch_size, W1, b1, W2, b2, W3)  # MATLAB: manual_gradients;
            dW1, db1, dW2, db2, dW3, db3 = v["dW1"], v["db1"], v["dW2"], v["db2"], v["dW3"], v["db3"]

            # Training loss, ours: squared errors of this minibatch, before its update
            loss_train[epoch - 1] = loss_train[epoch - 1] + np.sum(error ** 2)  # MATLAB sum(error .^ 2) of a row

            # Update weights and biases
            W3 = W3 - learning_rate * dW3
            b3 = b3 - learning_rate * db3

            W2 = W2 - learning_rate * dW2
            b2 = b2 - learning_rate * db2

            W1 = W1 - learning_rate * dW1
            b1 = b1 - learning_rate * db1
        loss_train[epoch - 1] = loss_train[epoch - 1] / X.shape[0]

        # Shuffle data (Gradient.m draws randperm here; our permutation comes from the caller)
        if perms is not None:  # MATLAB: if shuffle, with shuffle = ~isempty(perms) set before the loop
            perm = perms[epoch - 1, :] - 1  # MATLAB perms(epoch, :), 1-based indices made 0-based
            X = X[perm, :]
            y = y[perm]  # y is (N, 1): indexing rows keeps the column, as MATLAB's y(perm)

        # Validation loss, every epoch (upstream computes it every 10th)
        y_pred = W3 @ ReLU(W2 @ ReLU(W1 @ x_valid.T + b1) + b2) + b3
        loss_valid[epoch - 1] = np.sum((y_valid.T - y_pred) ** 2) / y_valid.shape[0]

        if keep_history:
            for name, value in zip(PARAMS, (W1, b1, W2, b2, W3, b3), strict=True):
                history[name].append(value)
        if on_epoch is not None:
            on_epoch(epoch, float(loss_train[epoch - 1]), float(loss_valid[epoch - 1]))

    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}
    hist = {name: np.stack(values) for name, values in history.items()} if keep_history else None
    return TrainResult(loss_train=loss_train, loss_valid=loss_valid, params=params, history=hist)
