"""Values that are not numbers, and shapes that differ, are mismatches with a reason that says so.

The bounds assume finite doubles (docs/error-bounds.md, section 10), so NaN or an infinity in a
compared quantity can never be "within tolerance": not on one side, not on both at different
places, not even the same NaN on both sides (NaN == NaN must not read as agreement). The report
message names the entry and says the value is not finite, instead of printing "|diff| nan".
The same holds for the epoch-by-epoch training comparison.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlparity.comparison.compare import compare_quantity
from dlparity.training.trajectory import compare_trajectories
from python_impl.train_sgd import PARAMS, TrainResult

NAN, INF = float("nan"), float("inf")
SHAPE = (3, 4)


def pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Octave and NumPy values that agree to one ULP, and a tolerance of 1e-12 everywhere."""
    gold = np.linspace(-1.5, 2.5, 12).reshape(SHAPE)
    return gold, np.nextafter(gold, np.inf), np.full(SHAPE, 1e-12)


FAULTS = {  # name -> (gold entries, mine entries) to overwrite
    "nan-numpy": ({}, {(1, 2): NAN}),
    "nan-octave": ({(0, 3): NAN}, {}),
    "inf-numpy": ({}, {(2, 1): INF}),
    "minus-inf-octave": ({(2, 0): -INF}, {}),
    "nan-both-different-places": ({(0, 0): NAN}, {(2, 3): NAN}),
    "inf-both-different-places": ({(1, 1): INF}, {(0, 2): -INF}),
    "nan-both-same-place": ({(1, 3): NAN}, {(1, 3): NAN}),
    "inf-both-same-place": ({(1, 3): INF}, {(1, 3): INF}),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_non_finite_values_are_a_mismatch_that_says_so(fault: str) -> None:
    gold, mine, tol = pair()
    for where, value in FAULTS[fault][0].items():
        gold[where] = value
    for where, value in FAULTS[fault][1].items():
        mine[where] = value
    first = min([*FAULTS[fault][0], *FAULTS[fault][1]])  # row-major order: the first bad entry
    with np.errstate(all="raise"):  # no warning may be spilled on the way (and pytest turns them into errors)
        report = compare_quantity("seed=3 (test)", "backprop", "dW2", gold, mine, tol)
    message = report.message()
    assert not report.ok, f"{fault}: reported ok: {message}"
    assert report.not_finite == len(set(FAULTS[fault][0]) | set(FAULTS[fault][1])), message
    assert report.bound_ratio == INF, message
    assert report.worst_index == first, f"{fault}: the message should point at {first}: {message}"
    assert "not finite" in message and f"dW2[{first[0]},{first[1]}]" in message, message
    assert "seed=3 (test)" in message and "octave=" in message and "numpy=" in message, message
    assert "|diff| nan" not in message, message


def test_finite_values_still_pass_and_report_their_differences() -> None:
    """The control: the same values without the fault are ok, at one ULP."""
    gold, mine, tol = pair()
    report = compare_quantity("seed=3 (test)", "backprop", "dW2", gold, mine, tol)
    assert report.ok and report.not_finite == 0 and report.max_ulp == 1, report.message()


@pytest.mark.parametrize(("gold_shape", "mine_shape"), [((3, 4), (4, 3)), ((3, 4), (3, 1)), ((3, 1), (3,))],
                         ids=["transposed", "column", "1-d"])
def test_mismatched_shapes_are_a_mismatch_naming_both_shapes(gold_shape: tuple[int, ...],
                                                              mine_shape: tuple[int, ...]) -> None:
    gold, mine = np.ones(gold_shape), np.ones(mine_shape)
    report = compare_quantity("seed=3 (test)", "manual", "dW1", gold, mine, np.ones(gold_shape))
    message = report.message()
    assert not report.ok, message
    assert message == f"manual dW1: shape numpy {mine_shape} != octave {gold_shape} in case seed=3 (test)", message


# -- the training trajectory ---------------------------------------------------------------------

EPOCHS, STEPS, N_TRAIN, N_VALID = 3, 32, 1024, 256
SIZES = {"W1": (4, 3), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}


def runs() -> tuple[dict[str, np.ndarray], TrainResult, TrainResult]:
    """Two bit-equal hand-made runs with history (no training needed), and their initial values."""
    rng = np.random.default_rng(5)
    init = {n: rng.uniform(-1, 1, s) for n, s in SIZES.items()}
    hist = {n: init[n][np.newaxis] + np.cumsum(rng.uniform(-0.02, 0.02, (EPOCHS, *s)), axis=0) for n, s in SIZES.items()}

    def run() -> TrainResult:
        h = {n: v.copy() for n, v in hist.items()}
        return TrainResult(loss_train=np.array([9.0, 7.0, 6.0]), loss_valid=np.array([8.0, 6.5, 5.5]),
                           params={n: h[n][-1].copy() for n in PARAMS}, history=h)

    return init, run(), run()


TRAJECTORY_FAULTS = {  # name -> (side, quantity, epoch index, entry, value, expected words)
    "loss_valid-nan-numpy": ("mine", "loss_valid", 1, (), NAN, "not finite on one side only"),
    "loss_valid-inf-octave": ("gold", "loss_valid", 1, (), INF, "not finite on one side only"),
    "loss_train-nan-numpy": ("mine", "loss_train", 0, (), NAN, "not finite on one side only"),
    "loss_train-inf-octave": ("gold", "loss_train", 2, (), -INF, "not finite on one side only"),
    "W2-nan-numpy": ("mine", "W2", 1, (2, 1), NAN, "not finite on one side only"),
    "b1-inf-octave": ("gold", "b1", 2, (3, 0), INF, "not finite on one side only"),
}


@pytest.mark.parametrize("fault", TRAJECTORY_FAULTS, ids=list(TRAJECTORY_FAULTS))
def test_non_finite_training_values_are_a_divergence_that_says_so(fault: str) -> None:
    side, quantity, k, entry, value, words = TRAJECTORY_FAULTS[fault]
    init, gold, mine = runs()
    assert compare_trajectories(gold, mine, init, STEPS, N_TRAIN, N_VALID).ok  # the control
    run = gold if side == "gold" else mine
    if quantity.startswith("loss"):
        getattr(run, quantity)[k] = value
    else:
        assert run.history is not None
        run.history[quantity][(k, *entry)] = value
    with np.errstate(all="raise"):
        report = compare_trajectories(gold, mine, init, STEPS, N_TRAIN, N_VALID)
    div = report.divergence
    assert div is not None, f"{fault}: not reported"
    text = div.describe()
    assert (div.quantity, div.epoch) == (quantity, k + 1), text
    assert words in text and "relative difference inf" not in text, text


def test_non_finite_weights_on_both_sides_at_different_places_are_a_divergence() -> None:
    init, gold, mine = runs()
    assert gold.history is not None and mine.history is not None
    gold.history["W1"][1, 0, 0] = NAN
    mine.history["W1"][1, 2, 1] = NAN
    report = compare_trajectories(gold, mine, init, STEPS, N_TRAIN, N_VALID)
    div = report.divergence
    assert div is not None and (div.quantity, div.epoch) == ("W1", 2), "NaN in W1 at different places went unreported"
    assert "not finite" in div.describe(), div.describe()


def test_losses_not_finite_on_both_sides_say_training_diverged() -> None:
    init, gold, mine = runs()
    gold.loss_valid[2] = mine.loss_valid[2] = NAN
    report = compare_trajectories(gold, mine, init, STEPS, N_TRAIN, N_VALID)
    assert report.divergence is not None and report.divergence.epoch == 3
    assert "training itself diverged at epoch 3" in report.divergence.describe(), report.divergence.describe()
