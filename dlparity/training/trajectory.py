r"""Comparing two training runs epoch by epoch, against a tolerance that grows with the steps taken.

Why the trajectories differ at all
----------------------------------
Both sides run the same IEEE double statements on the same inputs, but their BLAS libraries sum
the products inside ``W * x`` in different orders, and ``sum`` differs too (Octave adds a row
left to right, NumPy pairwise). So each SGD step's gradient differs between the sides by a few
units of roundoff :math:`u = 2^{-53}` relative to its size, and the parameters after the step
inherit that difference. The next step starts from slightly different parameters; a learning
rate small enough to train is small enough that the step map is close to the identity, so the
inherited differences are carried along, neither amplified much nor damped, while every step
adds a new one of random sign.

How they grow, and the tolerance
--------------------------------
Sums of :math:`S` independent rounding differences of random sign grow like :math:`\sqrt S`
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., section 2.8: rounding errors
behave like random variables, and :math:`\sqrt n\,u` is the realistic size of an n-term sum's
error, where :math:`n u` bounds the worst case). After epoch e, with :math:`S_e` SGD steps taken,
the allowed relative difference is

.. math::

    \tau^{W}_e = C\,u\,\sqrt{S_e}, \qquad
    \tau^{L}_e = C\,u\,\bigl(\sqrt{S_e} + \sqrt{N}\bigr), \qquad C = 16,

for the parameters (:math:`\tau^W`) and for a loss (:math:`\tau^L`) that also sums N squared
errors itself (validation: :math:`N = N_v`; training loss: the N training rows). :math:`C = 16`
covers one step's own rounding: a product with inner dimension up to 128 contributes about
:math:`\sqrt{128}\,u \approx 11u`, and the three layers' contributions partly add.

What the tolerance leaves out, on purpose. The worst case, :math:`C u S_e`, would allow 5.6e-11
after the upstream run's 31,300 steps, too loose to show the 12 agreeing digits the sides do reach.
And a trajectory is not contractive everywhere: where a pre-activation is within a rounding
difference of 0, the two sides may take different ReLU masks, and a large learning rate can
amplify differences exponentially. Both make the sides genuinely part; the report then names
the first epoch past tolerance, which is the point of the exercise.

Measured (docs/training.md): on the upstream run (house data, 100 epochs, seed 0) the
validation losses agree to within 5.2e-15 relative at every epoch (7.4e-16 at the last) and
the parameters to 1.2e-15, against :math:`\tau^L_{100}` = 4.5e-13 and :math:`\tau^W_{100}` =
3.1e-13: the largest difference is 1.8 % of its tolerance. The parameters drift far less than
even :math:`\sqrt{S}` because a step changes a weight by :math:`\eta |dW|`, about 1e-4 of the
weight, so a relative rounding difference of 1e-16 in :math:`dW` moves the weight by about 1e-20
of its size, far below half an ULP (1.1e-16 of it): most updates round to the same double on
both sides, and the drift is a few isolated one-ULP flips.

How differences are measured
----------------------------
Loss: :math:`|L^{oct}_e - L^{np}_e| / |L^{oct}_e|`. Weight :math:`W_k`:
:math:`\max|W^{oct}_{k,e} - W^{np}_{k,e}|` divided by the largest :math:`|W^{oct}_k|` seen so
far (initial values included), because rounding differences scale with the magnitudes a value
has passed through, not with its current size. Bias :math:`b_k`: the same, divided by the
larger of its own and its layer's weights' scale. A bias starts at 0 and sums steps of both
signs, so it has no size of its own to be relative to (the upstream run's ``b3`` crosses 0 near
epoch 56; after one epoch of the synthetic set it can be 100 times smaller than the steps that
made it), whereas :math:`dW_k = \delta_k a_{k-1}^T` and :math:`db_k = \sum \delta_k` come
from the same :math:`\delta_k`, so the two carry rounding differences of the same absolute size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dlparity.bounds.hand import U  # unit roundoff of IEEE double, 2**-53
from python_impl.train_sgd import PARAMS, TrainResult

Array = NDArray[np.float64]

#: Rounding differences one SGD step adds, in units of u: about sqrt(128) ~ 11 for a product with
#: inner dimension 128 (the widest in the upstream network), with room for three layers' worth.
C_STEP = 16.0


def weight_tolerance(steps: Array) -> Array:
    r"""Allowed relative parameter difference after :math:`S_e` steps: :math:`16\,u\,\sqrt{S_e}`.

    Parameters
    ----------
    steps : ndarray of shape (E,)
        SGD steps taken by the end of each epoch.
    """
    return C_STEP * U * np.sqrt(np.asarray(steps, dtype=np.float64))


def loss_tolerance(steps: Array, n_rows: int) -> Array:
    r"""Allowed relative loss difference: :math:`16\,u\,(\sqrt{S_e} + \sqrt{N})`, N the rows it sums."""
    return C_STEP * U * (np.sqrt(np.asarray(steps, dtype=np.float64)) + np.sqrt(float(n_rows)))


def scaled_difference(gold: Array, mine: Array, scale: Array) -> Array:
    """``|gold - mine| / scale`` elementwise, with the rules for values that are not numbers.

    Equal values (both the same infinity, or both NaN) differ by 0; a NaN or infinity on one
    side only differs by infinity; a zero scale gives 0 for equal values and infinity otherwise.
    """
    gold = np.asarray(gold, dtype=np.float64)
    mine = np.asarray(mine, dtype=np.float64)
    same = (gold == mine) | (np.isnan(gold) & np.isnan(mine))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(gold - mine) / scale
    rel = np.where(same, 0.0, rel)
    return np.where(np.isnan(rel), np.inf, rel)


@dataclass(frozen=True)
class Divergence:
    """Where two trajectories first part: the epoch, the quantity and both values there."""

    epoch: int
    quantity: str
    rel_diff: float
    tolerance: float
    gold_value: float
    mine_value: float
    where: str = ""
    not_finite: bool = False

    def describe(self, gold_label: str = "octave", mine_label: str = "numpy") -> str:
        at = f"{self.quantity}{self.where}"
        if self.not_finite and not (np.isfinite(self.gold_value) or np.isfinite(self.mine_value)):
            return (f"training itself diverged at epoch {self.epoch}: {at} is {gold_label} {self.gold_value!r}, "
                    f"{mine_label} {self.mine_value!r}; with values that are not finite nothing can be "
                    "compared (try a smaller learning rate, or data scaled down)")
        if self.not_finite:
            return (f"trajectories part at epoch {self.epoch}: {at} {gold_label} {self.gold_value!r} vs "
                    f"{mine_label} {self.mine_value!r}, not finite on one side only")
        return (f"trajectories part at epoch {self.epoch}: {at} {gold_label} {self.gold_value!r} vs "
                f"{mine_label} {self.mine_value!r}, relative difference {self.rel_diff:.3g} > tolerance "
                f"{self.tolerance:.3g}")


@dataclass(frozen=True)
class TrajectoryReport:
    """Per-epoch differences between two runs, each with its tolerance.

    Attributes
    ----------
    steps : ndarray of shape (E,)
        SGD steps taken by the end of each epoch.
    rel_loss_diff, loss_tol : ndarray of shape (E,)
        Validation loss: relative difference and tolerance.
    rel_train_loss_diff, train_loss_tol : ndarray of shape (E,)
        Training loss (mean squared error over the epoch's steps), likewise.
    rel_weight_diff : dict of str to ndarray of shape (E,)
        Per parameter, relative difference after each epoch (see the module notes); only the
        last epoch when a run kept no history.
    weight_tol : ndarray of shape (E,)
    divergence : Divergence or None
        The first epoch where any quantity exceeds its tolerance (validation loss, training
        loss, then W1 .. b3 within an epoch).
    """

    steps: Array
    rel_loss_diff: Array
    loss_tol: Array
    rel_train_loss_diff: Array
    train_loss_tol: Array
    rel_weight_diff: dict[str, Array]
    weight_tol: Array
    divergence: Divergence | None

    @property
    def ok(self) -> bool:
        return self.divergence is None

    @property
    def epochs(self) -> int:
        return int(self.steps.shape[0])

    @property
    def max_rel_loss_diff(self) -> float:
        return float(np.max(self.rel_loss_diff))

    @property
    def max_rel_weight_diff(self) -> dict[str, float]:
        return {name: float(np.max(d)) for name, d in self.rel_weight_diff.items()}

    def max_weight_diff_at(self, epoch: int) -> float:
        """Largest relative parameter difference over the six parameters after ``epoch`` (1-based)."""
        return max(float(d[epoch - 1]) if d.shape[0] == self.epochs else float(d[-1])
                   for d in self.rel_weight_diff.values())

    def worst_ratio(self) -> float:
        """Largest difference / tolerance over every quantity and epoch (< 1 when ok)."""
        ratios = [self.rel_loss_diff / self.loss_tol, self.rel_train_loss_diff / self.train_loss_tol]
        ratios += [d / self.weight_tol[-d.shape[0]:] for d in self.rel_weight_diff.values()]
        return float(max(np.max(r) for r in ratios))


def _finite(*values: float) -> bool:
    return bool(np.all(np.isfinite(values)))


def _first_over(diff: Array, tol: Array) -> int | None:
    over = np.flatnonzero(diff > tol)
    return int(over[0]) if over.size else None


def compare_trajectories(
    gold: TrainResult, mine: TrainResult, init: dict[str, Array], steps_per_epoch: int,
    n_train: int, n_valid: int,
) -> TrajectoryReport:
    r"""Compare run ``mine`` with run ``gold`` after every epoch.

    Parameters
    ----------
    gold, mine : TrainResult
        The reference (Octave) and the port (NumPy), from the same inputs. With ``history`` on
        both, parameters are compared after every epoch; otherwise only the final ones.
    init : dict of str to ndarray
        Initial parameters (they set the first scale of each parameter).
    steps_per_epoch : int
        ``ceil(N / batch_size)``.
    n_train, n_valid : int
        Rows summed by the training and the validation loss.

    Returns
    -------
    TrajectoryReport
    """
    E = gold.loss_valid.shape[0]
    steps = steps_per_epoch * np.arange(1, E + 1, dtype=np.float64)
    loss_tol = loss_tolerance(steps, n_valid)
    train_tol = loss_tolerance(steps, n_train)
    w_tol = weight_tolerance(steps)
    rel_loss = scaled_difference(gold.loss_valid, mine.loss_valid, np.abs(gold.loss_valid))
    rel_train = scaled_difference(gold.loss_train, mine.loss_train, np.abs(gold.loss_train))

    with_history = gold.history is not None and mine.history is not None

    def values(run: TrainResult, name: str) -> Array:
        if with_history:
            return run.history[name].reshape(E, -1)  # type: ignore[index]
        return run.params[name].reshape(1, -1)

    def seen(name: str) -> Array:
        """Largest |value| of parameter ``name`` so far, on the gold side, initial values included."""
        running = np.maximum.accumulate(np.max(np.abs(values(gold, name)), axis=1))
        return np.maximum(running, np.max(np.abs(init[name])))

    rel_w: dict[str, Array] = {}
    entry: dict[str, Array] = {}  # per parameter and epoch, the flat index of the largest difference
    for name in PARAMS:
        g, m = values(gold, name), values(mine, name)
        scale = seen(name)
        if name.startswith("b"):  # measured on its layer's scale: see the module notes
            scale = np.maximum(scale, seen("W" + name[1:]))
        rel = scaled_difference(g, m, scale[:, np.newaxis])
        rel_w[name] = np.max(rel, axis=1)
        entry[name] = np.argmax(rel, axis=1)

    divergence = None
    candidates: list[tuple[int, int, Divergence]] = []
    blown = ~(np.isfinite(gold.loss_valid) & np.isfinite(mine.loss_valid))
    if blown.any():
        b = int(np.flatnonzero(blown)[0])
        candidates.append((b, -1, Divergence(b + 1, "loss_valid", float("inf"), float(loss_tol[b]),
                                             float(gold.loss_valid[b]), float(mine.loss_valid[b]), not_finite=True)))
    k = _first_over(rel_loss, loss_tol)
    if k is not None:
        candidates.append((k, 0, Divergence(k + 1, "loss_valid", float(rel_loss[k]), float(loss_tol[k]),
                                            float(gold.loss_valid[k]), float(mine.loss_valid[k]))))
    k = _first_over(rel_train, train_tol)
    if k is not None:
        g_val, m_val = float(gold.loss_train[k]), float(mine.loss_train[k])
        candidates.append((k, 1, Divergence(k + 1, "loss_train", float(rel_train[k]), float(train_tol[k]),
                                            g_val, m_val, not_finite=not _finite(g_val, m_val))))
    for order, name in enumerate(PARAMS, start=2):
        tol = w_tol if with_history else w_tol[-1:]
        k = _first_over(rel_w[name], tol)
        if k is None:
            continue
        epoch = k + 1 if with_history else E
        flat = int(entry[name][k])
        shape = gold.params[name].shape
        idx = np.unravel_index(flat, shape)
        g_val = gold.history[name][k][idx] if with_history else gold.params[name][idx]  # type: ignore[index]
        m_val = mine.history[name][k][idx] if with_history else mine.params[name][idx]  # type: ignore[index]
        where = f"[{', '.join(str(int(j) + 1) for j in idx)}]"  # 1-based, as MATLAB would name the entry
        candidates.append((epoch - 1, order, Divergence(epoch, name, float(rel_w[name][k]), float(tol[k]),
                                                        float(g_val), float(m_val), where,
                                                        not_finite=not _finite(g_val, m_val))))
    if candidates:
        divergence = min(candidates, key=lambda c: (c[0], c[1]))[2]
    return TrajectoryReport(steps=steps, rel_loss_diff=rel_loss, loss_tol=loss_tol, rel_train_loss_diff=rel_train,
                            train_loss_tol=train_tol, rel_weight_diff=rel_w, weight_tol=w_tol, divergence=divergence)
