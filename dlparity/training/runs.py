"""One training run on both sides: the configuration, the random draws, the checks, and the two calls.

Everything random is drawn here, in Python, from one recorded seed, and the same arrays go to
``matlab_ref/train_sgd.m`` (one Octave call for the whole run) and to its NumPy twin
:func:`python_impl.train_sgd.train_sgd`. The two sides never use their own generators.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.blocks import OUTPUTS, Form, check_form, run_checked
from dlparity.bridge import OctaveSide, get_bridge, matlab_ref_dir
from dlparity.store import RECORDED_CALLS, RecordedCall, RecordingBridge, StoredBridge, key_of
from dlparity.validation import BlockInputs, InputError, check_block_inputs, check_no_overflow
from python_impl.train_sgd import PARAMS, TrainResult, train_sgd

Array = NDArray[np.float64]

#: Marker train_sgd.m prints after each epoch when asked for progress.
EPOCH_MARKER = "dlparity-epoch "


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one run. The defaults are the upstream scripts' (:data:`UPSTREAM`).

    Attributes
    ----------
    sizes : (int, int)
        Hidden sizes (h1, h2); the input size d comes from the data, the output size is 1.
    learning_rate : float
    epochs : int
    batch_size : int
    form : {'backprop', 'manual'}
        Section 1.3 block (upstream Backpropagation.m) or section 1.2 (upstream Gradient.m).
    shuffle : bool
        Reorder the training rows after every epoch, as Gradient.m does.
    seed : int
        Seed of ``numpy.random.default_rng`` for the initial weights and the permutations.
    """

    sizes: tuple[int, int] = (128, 64)
    learning_rate: float = 1e-4
    epochs: int = 100
    batch_size: int = 32
    form: Form = "backprop"
    shuffle: bool = False
    seed: int = 0

    def describe(self) -> str:
        order = "reshuffled after every epoch" if self.shuffle else "in order"
        return (f"form {self.form}, lr {self.learning_rate:g}, batch {self.batch_size}, "
                f"{self.epochs} epochs, minibatches {order}, seed {self.seed}")


#: The upstream configuration (kapshaul/DeepLearning, Math/Backpropagation.m): 37 -> 128 -> 64 -> 1,
#: learning rate 1e-4, 100 epochs, batch 32, in-order minibatches.
UPSTREAM = TrainConfig()

PRESETS: dict[str, TrainConfig] = {"upstream": UPSTREAM}


@dataclass(frozen=True)
class TrainRun:
    """Everything both sides receive for one run: checked data, initial parameters, permutations.

    Attributes
    ----------
    config : TrainConfig
    X, y : ndarray of shape (N, d), (N, 1)
    x_valid, y_valid : ndarray of shape (Nv, d), (Nv, 1)
    init : dict of str to ndarray
        Initial ``W1`` (h1, d), ``b1`` (h1, 1), ``W2`` (h2, h1), ``b2`` (h2, 1), ``W3`` (1, h2),
        ``b3`` (1, 1): weights standard normal (upstream's ``randn``), biases zeros.
    perms : ndarray of int64, shape (E, N), or None
        With ``config.shuffle``: 1-based permutations, row e applied after epoch e.
    """

    config: TrainConfig
    X: Array
    y: Array
    x_valid: Array
    y_valid: Array
    init: dict[str, Array]
    perms: NDArray[np.int64] | None

    @property
    def steps_per_epoch(self) -> int:
        """Minibatches per epoch, ``ceil(N / batch_size)`` (the last one may be short)."""
        return math.ceil(self.X.shape[0] / self.config.batch_size)


@dataclass(frozen=True)
class SideResult:
    """One side's run and its wall time (seconds of the training call, data transfer included)."""

    side: str
    result: TrainResult
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def _positive_int(name: str, value: Any, meaning: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not float(value).is_integer():
        raise InputError(f"{name} is {value!r}; expected a positive whole number ({meaning}).")
    k = int(float(value))
    if k < 1:
        raise InputError(f"{name} is {k}; expected a positive whole number ({meaning}).")
    return k


def check_config(config: TrainConfig) -> TrainConfig:
    """Check every hyper-parameter; one sentence per problem.

    Raises
    ------
    InputError
    """
    form = check_form(config.form)
    if len(config.sizes) != 2:
        raise InputError(f"sizes is {config.sizes!r}; expected two hidden sizes h1,h2.")
    h1 = _positive_int("h1", config.sizes[0], "units in the first hidden layer")
    h2 = _positive_int("h2", config.sizes[1], "units in the second hidden layer")
    lr = config.learning_rate
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr) or lr <= 0:
        raise InputError(f"learning rate is {lr!r}; expected a finite number > 0.")
    epochs = _positive_int("epochs", config.epochs, "passes over the training rows")
    batch = _positive_int("batch size", config.batch_size, "rows per minibatch")
    if isinstance(config.seed, bool) or not isinstance(config.seed, numbers.Integral) or config.seed < 0:
        raise InputError(f"seed is {config.seed!r}; expected a whole number >= 0.")
    return replace(config, sizes=(h1, h2), learning_rate=float(lr), epochs=epochs, batch_size=batch,
                   form=form, seed=int(config.seed))


def draw_initial(config: TrainConfig, d: int, N: int) -> tuple[dict[str, Array], NDArray[np.int64] | None]:
    r"""Draw the initial parameters and the permutations from ``default_rng(config.seed)``.

    In upstream's order: ``W1 = randn(h1, d)``, ``W2 = randn(h2, h1)``, ``W3 = randn(1, h2)``
    (standard normal), biases zeros; then, with shuffling, one permutation of the N rows per
    epoch, made 1-based like MATLAB's ``randperm``.

    Returns
    -------
    init : dict of str to ndarray
        ``W1`` (h1, d), ``b1`` (h1, 1), ``W2`` (h2, h1), ``b2`` (h2, 1), ``W3`` (1, h2), ``b3`` (1, 1).
    perms : ndarray of int64, shape (E, N), or None
    """
    h1, h2 = config.sizes
    rng = np.random.default_rng(config.seed)
    W1 = rng.standard_normal((h1, d))
    W2 = rng.standard_normal((h2, h1))
    W3 = rng.standard_normal((1, h2))
    init = {"W1": W1, "b1": np.zeros((h1, 1)), "W2": W2, "b2": np.zeros((h2, 1)), "W3": W3, "b3": np.zeros((1, 1))}
    perms = None
    if config.shuffle:
        perms = np.stack([rng.permutation(N) + 1 for _ in range(config.epochs)]).astype(np.int64)
    return init, perms


def prepare_run(config: TrainConfig, X: Any, y: Any, x_valid: Any, y_valid: Any) -> TrainRun:
    """Check the configuration and the data, then draw the run's random inputs.

    Raises
    ------
    InputError
        Before anything is drawn or trained.
    """
    config = check_config(config)
    h1, h2 = config.sizes
    X_arr = np.asarray(X)
    d = X_arr.shape[1] if X_arr.ndim == 2 else 0
    # The training data through the same checks as one block evaluation (dtype, shapes, finiteness).
    probe = {"W1": np.zeros((h1, d)), "b1": np.zeros((h1, 1)), "W2": np.zeros((h2, h1)),
             "b2": np.zeros((h2, 1)), "W3": np.zeros((1, h2)), "b3": np.zeros((1, 1))}
    train = check_block_inputs(X, y, **probe, i=1, batch_size=config.batch_size)
    xv = np.asarray(x_valid)
    if xv.ndim == 2 and xv.shape[1] != d:
        raise InputError(f"x_valid has {xv.shape[1]} columns; expected {d}, as many features as the training X.")
    try:
        valid = check_block_inputs(x_valid, y_valid, **probe, i=1, batch_size=1)
    except InputError as exc:
        raise InputError(f"validation data: {exc}") from None
    init, perms = draw_initial(config, train.X.shape[1], train.N)
    _check_first_pass(train, valid, init)
    return TrainRun(config=config, X=train.X, y=train.y, x_valid=valid.X, y_valid=valid.y, init=init, perms=perms)


#: Rows per block in the first-pass check: memory stays that of a block of this size whatever N is.
FIRST_PASS_ROWS = 4096


def _check_first_pass(train: BlockInputs, valid: BlockInputs, init: dict[str, Array]) -> None:
    """Refuse data that overflows double precision before any step is taken (InputError, one sentence).

    The section 1.3 block runs on the initial weights over the training rows, and its forward pass over
    the validation rows, FIRST_PASS_ROWS at a time (each block's gradients are a mean over its rows, as a
    minibatch's are), and each set's loss is summed from them: an infinity there comes from the data,
    whatever the learning rate, and would otherwise be reported as training that diverged.
    """
    sets = (("training", train.X, train.y, OUTPUTS["backprop"]),
            ("validation", valid.X, valid.y, ("z1", "a1", "z2", "a2", "z3", "y_pred", "error")))
    for which, X, y, names in sets:
        N = X.shape[0]
        squares = 0.0
        for start in range(0, N, FIRST_PASS_ROWS):
            rows = min(FIRST_PASS_ROWS, N - start)
            with np.errstate(all="ignore"):
                block = check_block_inputs(X[start:start + rows], y[start:start + rows], **init, i=1, batch_size=rows)
                values = run_checked("backprop", block)
                squares += float(np.sum(values["error"] ** 2))
            where = f"rows {start + 1}-{start + rows}, initial weights"
            check_no_overflow([(f"the {which} set's {name} ({where})", values[name], None) for name in names],
                              **_DATA_OVERFLOW)
        check_no_overflow([(f"the {which} set's loss (mean squared error)", np.array([squares / N]), None)],
                          **_DATA_OVERFLOW)


_DATA_OVERFLOW = {"inputs": "data", "why": "the comparison of two trainings assumes finite values",
                  "expected": "--data and --valid values whose first pass (forward and gradients) stays below "
                              "about 1.8e308 (scale the features and targets down)"}


def run_numpy(
    run: TrainRun, keep_history: bool = True, on_epoch: Callable[[int], None] | None = None,
) -> SideResult:
    """Train with the NumPy driver; ``on_epoch(epoch)`` is called after each epoch."""
    c, p = run.config, run.init
    hook = None if on_epoch is None else (lambda epoch, _lt, _lv: on_epoch(epoch))
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # as Octave: Inf/NaN carry on; the report names them
        result = train_sgd(c.form, run.X, run.y, run.x_valid, run.y_valid, p["W1"], p["b1"], p["W2"], p["b2"],
                           p["W3"], p["b3"], c.learning_rate, c.epochs, c.batch_size, run.perms,
                           keep_history=keep_history, on_epoch=hook)
    return SideResult("numpy", result, time.perf_counter() - start)


def _octave_args(run: TrainRun, keep_history: bool, progress: bool) -> tuple[Any, ...]:
    c = run.config
    perms = np.zeros((0, 0)) if run.perms is None else run.perms.astype(np.float64)  # [] or doubles, as randperm gives
    return (c.form, run.X, run.y, run.x_valid, run.y_valid, *(run.init[n] for n in PARAMS),
            float(c.learning_rate), float(c.epochs), float(c.batch_size), perms, keep_history, progress)


def _progress_lines(on_epoch: Callable[[int], None]) -> Callable[[str], None]:
    """A stream handler that turns Octave's per-epoch marker lines into ``on_epoch(epoch)`` calls."""
    def handle(line: str) -> None:
        if line.startswith(EPOCH_MARKER):
            on_epoch(int(line[len(EPOCH_MARKER):]))
    return handle


def _epochs_last(value: Any, shape: tuple[int, ...], epochs: int) -> Array:
    """An Octave size(W)-by-E history as (E, *shape); Octave drops a trailing singleton (E = 1)."""
    arr = np.asarray(value, dtype=np.float64)
    return np.moveaxis(arr.reshape(*shape, epochs, order="F"), -1, 0)


def run_octave(
    run: TrainRun, bridge: OctaveSide | None = None, keep_history: bool = True,
    on_epoch: Callable[[int], None] | None = None,
) -> SideResult:
    """Train with ``matlab_ref/train_sgd.m`` in one Octave call; ``on_epoch(epoch)`` after each epoch.

    Raises
    ------
    OctaveUnavailable
        Octave is not installed or does not start.
    OctaveError
        Octave reported an error.
    """
    bridge = bridge or get_bridge()
    bridge.describe()  # asks the version, so a live Octave's start-up is not part of the training's wall time
    c = run.config
    args = _octave_args(run, keep_history, progress=on_epoch is not None)
    start = time.perf_counter()
    out = bridge.call("train_sgd", *args, stream_handler=None if on_epoch is None else _progress_lines(on_epoch))
    seconds = time.perf_counter() - start
    params = {n: np.asarray(out[n], dtype=np.float64).reshape(run.init[n].shape) for n in PARAMS}
    history = None
    if keep_history:
        history = {n: _epochs_last(out[f"{n}_hist"], run.init[n].shape, c.epochs) for n in PARAMS}
    result = TrainResult(loss_train=np.asarray(out["loss_train"], dtype=np.float64).reshape(-1),
                         loss_valid=np.asarray(out["loss_valid"], dtype=np.float64).reshape(-1),
                         params=params, history=history)
    return SideResult("octave", result, seconds)


def _record_training(recorder: RecordingBridge, args: tuple[Any, ...], out: Any) -> None:
    spec = {"form": args[0], "shapes": [list(np.shape(a)) for a in args[1:11]],
            "scalars": [float(a) for a in args[11:] if isinstance(a, (int, float, np.integer, np.floating))]}
    recorder.note(key_of("train_sgd", list(args)), "train", spec, matlab_ref_dir().glob("*.m"), out)


def _replay_training(stored: StoredBridge, args: tuple[Any, ...]) -> Any:
    return stored.find(key_of("train_sgd", list(args)), "this training run",
                       "the store holds the short synthetic runs of 'dlparity selfcheck', recorded with "
                       "'dlparity record training'")


#: How train_sgd.m's runs are filed in a store and answered from it (:data:`dlparity.store.RECORDED_CALLS`).
RECORDED_CALLS["train_sgd"] = RecordedCall(_record_training, _replay_training)
