"""The trajectory tolerance of :mod:`dlparity.training.trajectory` is tight enough to see a real difference.

``compare_trajectories`` allows two training runs to part by the rounding drift of the steps
taken (a relative :math:`C u \\sqrt{S_e}` after :math:`S_e` steps) and no more. A tolerance that
is too loose never fails, so here it is shown to fail where it must, in NumPy alone (no Octave):

* hand-made runs where one parameter entry after one epoch is off by a relative 1e-12, far more
  than rounding can explain: reported, naming the parameter, the epoch and the 1-based entry;
* hand-made and real runs that differ by genuine rounding drift (single-ULP flips, one ULP in an
  initial weight): not reported;
* a real run with the learning rate changed by a relative 1e-9: reported.

Every run here uses the synthetic set's geometry: 1,024 training rows in minibatches of 32
(32 steps per epoch) and 256 validation rows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dlparity.training import trajectory
from dlparity.training.data import synthetic_regression
from dlparity.training.runs import TrainConfig, TrainRun, prepare_run, run_numpy
from dlparity.training.trajectory import TrajectoryReport, compare_trajectories
from python_impl.train_sgd import PARAMS, TrainResult

U = 2.0**-53  # unit roundoff of IEEE double
N_TRAIN, N_VALID, BATCH = 1024, 256, 32
STEPS_PER_EPOCH = N_TRAIN // BATCH  # 32
EPOCHS = 4
SHAPES = {"W1": (4, 3), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
#: The planted entry of W2: 0-based (1, 2), which MATLAB (and the report) call W2(2, 3).
W2_ENTRY = (1, 2)
W2_PEAK = 2.0  # the planted entry's value; every other |W2| entry is below 1, so it sets W2's scale


def hand_made_run(seed: int = 0) -> tuple[dict[str, np.ndarray], TrainResult]:
    """Initial parameters and a run of ``EPOCHS`` epochs with history, built by hand (no training).

    Entries are uniform on (-1, 1) and move by a few per cent per epoch, as weights do early in
    training; W2(2, 3) is ``W2_PEAK`` throughout, so W2's largest magnitude (its scale) is known.
    Losses fall from 50 to about 20.
    """
    rng = np.random.default_rng(seed)
    init = {name: rng.uniform(-1.0, 1.0, shape) for name, shape in SHAPES.items()}
    init["W2"][W2_ENTRY] = W2_PEAK
    history = {}
    for name, shape in SHAPES.items():
        moves = np.cumsum(rng.uniform(-0.02, 0.02, (EPOCHS, *shape)), axis=0)
        hist = init[name][np.newaxis] + moves
        if name == "W2":
            hist[(slice(None), *W2_ENTRY)] = W2_PEAK
        history[name] = hist
    loss_valid = 50.0 * 0.8 ** np.arange(1, EPOCHS + 1)
    loss_train = 55.0 * 0.8 ** np.arange(EPOCHS)
    params = {name: history[name][-1].copy() for name in PARAMS}
    return init, TrainResult(loss_train=loss_train, loss_valid=loss_valid, params=params, history=history)


def copy_run(run: TrainResult) -> TrainResult:
    """A deep copy that can be perturbed without touching ``run``."""
    assert run.history is not None
    return TrainResult(loss_train=run.loss_train.copy(), loss_valid=run.loss_valid.copy(),
                       params={n: v.copy() for n, v in run.params.items()},
                       history={n: v.copy() for n, v in run.history.items()})


def compare_hand_made(init: dict[str, np.ndarray], gold: TrainResult, mine: TrainResult) -> TrajectoryReport:
    return compare_trajectories(gold, mine, init, STEPS_PER_EPOCH, n_train=N_TRAIN, n_valid=N_VALID)


def describe(report: TrajectoryReport) -> str:
    return "no divergence" if report.divergence is None else report.divergence.describe("gold", "mine")


# -- hand-made runs ---------------------------------------------------------------------------

def test_w2_off_by_1e_12_at_epoch_3_is_a_divergence_naming_w2_epoch_3_and_the_entry() -> None:
    """Only W2(2, 3) after epoch 3 differs, by a relative 1e-12; everything else is bit-equal.

    Why this must be reported: after epoch 3 the runs have taken S = 3 * 32 = 96 steps. Each step
    adds rounding differences of a few u relative (u = 1.1e-16), which accumulate like a random
    walk, ~ sqrt(S) u ~ 10 u ~ 1e-15, and the module notes measure 1.2e-15 after 31,300 steps of
    the upstream run. 1e-12 is ~ 9,000 u (4,500 ULPs of 2.0): hundreds of times the drift of 96
    steps. A tolerance that lets it pass would also pass a real bug.

    The entry is W2's largest in magnitude, so "relative to the entry" and "relative to the
    largest |W2| so far" (how the comparison scales a weight) are the same 1e-12.
    """
    init, gold = hand_made_run()
    mine = copy_run(gold)
    planted = W2_PEAK * (1.0 + 1e-12)
    mine.history["W2"][(2, *W2_ENTRY)] = planted  # type: ignore[index]  # epoch 3 is row 2 (0-based)
    report = compare_hand_made(init, gold, mine)

    div = report.divergence
    assert div is not None, "W2(2, 3) off by a relative 1e-12 at epoch 3 was not reported"
    assert (div.quantity, div.epoch, div.where) == ("W2", 3, "[2, 3]"), (
        f"expected W2[2, 3] at epoch 3 (1-based, as MATLAB names it), got {describe(report)}")
    assert (div.gold_value, div.mine_value) == (W2_PEAK, planted), (
        f"W2[2, 3] at epoch 3: reported gold {div.gold_value!r} mine {div.mine_value!r}, "
        f"planted gold {W2_PEAK!r} mine {planted!r}")
    # the measured difference is the planted one: (2 (1 + 1e-12) rounded) - 2 differs from 2e-12 by
    # at most half an ULP of 2 (2.2e-16), i.e. 1.1e-4 of it; 1e-3 leaves room and still pins 1e-12
    assert abs(div.rel_diff - 1e-12) <= 1e-3 * 1e-12, f"W2[2, 3] epoch 3: rel diff {div.rel_diff!r}, planted 1e-12"
    # epochs 1, 2 and 4 are bit-equal, and so is every other quantity: nothing else may be flagged
    for name in PARAMS:
        for epoch in range(1, EPOCHS + 1):
            if (name, epoch) != ("W2", 3):
                assert report.rel_weight_diff[name][epoch - 1] == 0.0, (
                    f"{name} epoch {epoch}: rel diff {report.rel_weight_diff[name][epoch - 1]!r}, expected 0 "
                    "(only W2 at epoch 3 was perturbed)")
    assert "epoch 3" in div.describe() and "W2[2, 3]" in div.describe(), div.describe()


def ulp_flipped(values: np.ndarray, index: tuple[int, ...], direction: float) -> None:
    """Move ``values[index]`` by one ULP toward ``direction`` (in place)."""
    values[index] = np.nextafter(values[index], direction)


def test_single_ulp_flips_are_rounding_drift_not_a_divergence() -> None:
    """A few entries off by one ULP, in several parameters, epochs and both losses: not reported.

    Why: one ULP of a double x is at most 2u|x| (doubles in [2^k, 2^(k+1)) are 2^(k-52) = 2u 2^k
    apart). A weight is measured relative to the largest |value| it has taken, which is >= |x|,
    and a bias relative to at least that, so each flip is a relative difference <= 2u; a loss
    flip is <= 2u relative to the loss itself. This is the smallest difference two sides can
    have, what the module notes measure on the upstream run ("a few isolated one-ULP flips"), and
    it is below the rounding of even one step of a product with inner dimension 3 (sqrt(3) u to
    3u): a tolerance that flagged it would flag every correct pair of runs.
    """
    init, gold = hand_made_run(seed=1)
    mine = copy_run(gold)
    hist = mine.history
    assert hist is not None
    ulp_flipped(hist["W1"][0], (0, 0), np.inf)  # epoch 1, W1(1, 1) up
    ulp_flipped(hist["W1"][0], (3, 2), -np.inf)  # epoch 1, W1(4, 3) down
    ulp_flipped(hist["b2"][1], (2, 0), np.inf)  # epoch 2, b2(3)
    ulp_flipped(hist["W3"][3], (0, 1), -np.inf)  # epoch 4, W3(1, 2)
    ulp_flipped(hist["W2"][2], W2_ENTRY, np.inf)  # epoch 3, the very entry the 1e-12 test moves
    ulp_flipped(mine.loss_valid, (1,), np.inf)  # epoch 2
    ulp_flipped(mine.loss_train, (0,), -np.inf)  # epoch 1
    report = compare_hand_made(init, gold, mine)
    assert report.ok, f"one-ULP flips reported as a divergence: {describe(report)}"
    # the flips were seen (differences > 0), so the comparison did look at these entries
    for name, epoch in (("W1", 1), ("b2", 2), ("W2", 3), ("W3", 4)):
        assert report.rel_weight_diff[name][epoch - 1] > 0, f"the one-ULP flip in {name} at epoch {epoch} left no trace"


# -- real NumPy training runs on the synthetic set ----------------------------------------------

SEED = 0  # replay: dlparity train --epochs 3 --seed 0 (the upstream 37 -> 128 -> 64 -> 1, lr 1e-4)
REAL_EPOCHS = 3  # 96 steps, ~10 ms per run


@pytest.fixture(scope="module")
def real_run() -> TrainRun:
    train, valid = synthetic_regression()
    return prepare_run(TrainConfig(epochs=REAL_EPOCHS, seed=SEED), train.X, train.y, valid.X, valid.y)


def compare_real(run: TrainRun, gold: TrainResult, mine: TrainResult) -> TrajectoryReport:
    return compare_trajectories(gold, mine, run.init, run.steps_per_epoch,
                                n_train=run.X.shape[0], n_valid=run.x_valid.shape[0])


def test_one_ulp_in_an_initial_weight_stays_drift(real_run: TrainRun) -> None:
    """Training from W1(1, 1) moved by one ULP, against training from W1: not reported.

    Why: this is exactly a rounding difference (2e-16 relative at most), carried through 96 steps
    at lr 1e-4, where the step map is close to the identity; the next test shows that over these
    steps a relative change is carried with a gain of order 1, so the runs stay ~ 1e-16 apart.
    """
    nudged = {**real_run.init, "W1": real_run.init["W1"].copy()}
    ulp_flipped(nudged["W1"], (0, 0), np.inf)
    gold = run_numpy(real_run).result
    mine = run_numpy(replace(real_run, init=nudged)).result
    report = compare_real(real_run, gold, mine)
    assert report.rel_weight_diff["W1"][0] > 0, "one ULP in W1(1, 1) should leave a trace after epoch 1"
    assert report.ok, f"one ULP in an initial weight (seed {SEED}) reported as a divergence: {describe(report)}"


def test_learning_rate_off_by_1e_9_is_a_divergence(real_run: TrainRun) -> None:
    """The same run with lr (1 + 1e-9) instead of lr: reported, by the weights as well as the loss.

    Why: every update is lr dW, so scaling lr by (1 + e) scales the first step by (1 + e) and, to
    first order, each parameter's whole displacement D = W_e - W_0 (the sum of the steps) too;
    the changed parameters then change later gradients by terms of the same order. So the runs
    part by about e |D| relative to the parameter's scale. The test measures D on the gold run:
    early in training at lr 1e-4 some parameter moves by a sizeable fraction of its largest
    magnitude, so the expected difference is ~ 1e-9 * that fraction. Rounding drift after 96
    steps is ~ sqrt(96) u ~ 1e-15 (previous tests): the change is many thousand times larger and
    must be reported, at epoch 1 already, since the very first step differs.
    """
    config = real_run.config
    gold = run_numpy(real_run).result
    mine = run_numpy(replace(real_run, config=replace(config, learning_rate=config.learning_rate * (1 + 1e-9)))).result
    report = compare_real(real_run, gold, mine)
    assert gold.history is not None

    # first-order expectation, per parameter, after the last epoch: 1e-9 |D| / largest |value| seen
    expected = {}
    for name in PARAMS:
        path = np.concatenate([real_run.init[name][np.newaxis], gold.history[name]])
        displacement = float(np.max(np.abs(gold.params[name] - real_run.init[name])))
        expected[name] = 1e-9 * displacement / float(np.max(np.abs(path)))
    biggest = max(expected, key=lambda n: expected[n])
    # the argument needs a change well above drift: 1e-12 is ~ 9,000 u, > 100 times sqrt(96) u
    assert expected[biggest] > 1e-12, f"the parameters barely moved ({expected}); the test needs a run that trains"

    div = report.divergence
    assert div is not None, f"lr off by a relative 1e-9 (seed {SEED}) was not reported; expected ~{expected}"
    assert div.epoch == 1, f"first divergence named at epoch {div.epoch}, expected 1: {describe(report)}"
    # the weights alone must see it too, at the size the argument predicts: within a factor 10 either
    # way (the feedback through later gradients is of the same order as the direct effect)
    measured = float(report.rel_weight_diff[biggest][-1])
    tolerance = float(report.weight_tol[-1])
    assert measured > tolerance, (
        f"{biggest} after epoch {REAL_EPOCHS}: rel diff {measured:.3g} within tolerance {tolerance:.3g} although "
        f"lr differs by 1e-9 (expected ~{expected[biggest]:.3g}; seed {SEED})")
    assert expected[biggest] / 10 <= measured <= 10 * expected[biggest], (
        f"{biggest} after epoch {REAL_EPOCHS}: rel diff {measured:.3g}, first-order expectation "
        f"{expected[biggest]:.3g} (seed {SEED})")


# -- the tolerance is tight, from either side -------------------------------------------------------

#: The tolerance as docs/training.md and the module notes state it, written here again: C u sqrt(S_e) for a
#: parameter, C u (sqrt(S_e) + sqrt(N)) for a loss summing N rows, C = 16. Plants are sized from this.
C_DOCUMENTED = 16.0
PLANT_EPOCH = 2  # 1-based; S = 64 steps
QUANTITIES = ("loss_valid", "loss_train", *PARAMS)


@pytest.fixture(scope="module")
def real_result(real_run: TrainRun) -> TrainResult:
    return run_numpy(real_run).result


def documented_tolerance(run: TrainRun, quantity: str) -> float:
    steps = PLANT_EPOCH * run.steps_per_epoch
    if quantity == "loss_valid":
        return C_DOCUMENTED * U * (np.sqrt(steps) + np.sqrt(run.x_valid.shape[0]))
    if quantity == "loss_train":
        return C_DOCUMENTED * U * (np.sqrt(steps) + np.sqrt(run.X.shape[0]))
    return C_DOCUMENTED * U * np.sqrt(steps)


def seen_scale(run: TrainRun, result: TrainResult, name: str) -> float:
    """Largest |value| of parameter ``name`` up to PLANT_EPOCH, initial values included (a bias: also its layer's W's)."""
    assert result.history is not None
    names = [name, "W" + name[1:]] if name.startswith("b") else [name]
    return max(max(float(np.max(np.abs(run.init[n]))), float(np.max(np.abs(result.history[n][:PLANT_EPOCH]))))
               for n in names)


@pytest.mark.parametrize("side", ["octave", "numpy"])
@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize(("multiple", "flagged"), [(3.0, True), (0.3, False)], ids=["3x-flagged", "0.3x-passes"])
def test_trajectory_tolerance_is_tight(real_run: TrainRun, real_result: TrainResult, quantity: str, side: str,
                                       multiple: float, flagged: bool) -> None:
    """One value at epoch 2 moved by ``multiple`` x its documented tolerance, on the Octave (gold) or NumPy side.

    3x must be reported, naming that quantity and epoch; 0.3x must not. A constant C ten times
    larger (or smaller) in dlparity.training.trajectory fails one of the two.
    """
    gold, mine = copy_run(real_result), copy_run(real_result)
    moved = gold if side == "octave" else mine
    k = PLANT_EPOCH - 1
    rel = multiple * documented_tolerance(real_run, quantity)
    if quantity.startswith("loss"):
        values = getattr(moved, quantity)
        values[k] += rel * abs(getattr(real_result, quantity)[k])
    else:
        assert moved.history is not None and real_result.history is not None
        entry = np.unravel_index(int(np.argmax(np.abs(real_result.history[quantity][k]))), real_result.params[quantity].shape)
        moved.history[quantity][(k, *entry)] += rel * seen_scale(real_run, real_result, quantity)
    report = compare_real(real_run, gold, mine)
    if flagged:
        div = report.divergence
        assert div is not None, f"{quantity} at epoch {PLANT_EPOCH} moved by {multiple} x tolerance on the {side} side: not reported"
        assert (div.quantity, div.epoch) == (quantity, PLANT_EPOCH), describe(report)
    else:
        assert report.ok, f"{quantity} moved by {multiple} x tolerance on the {side} side reported: {describe(report)}"


@pytest.mark.parametrize("factor", [10.0, 0.1])
def test_a_constant_ten_times_off_fails_the_tightness_test(real_run: TrainRun, real_result: TrainResult,
                                                           monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    """C_STEP x 10 (or / 10) in the trajectory module: the test above fails for some quantity and side."""
    monkeypatch.setattr(trajectory, "C_STEP", trajectory.C_STEP * factor)
    failures = 0
    for quantity in QUANTITIES:
        for side in ("octave", "numpy"):
            for multiple, flagged in ((3.0, True), (0.3, False)):
                try:
                    test_trajectory_tolerance_is_tight(real_run, real_result, quantity, side, multiple, flagged)
                except AssertionError:
                    failures += 1
    assert failures > 0, f"C_STEP x {factor} passed every tightness check"
