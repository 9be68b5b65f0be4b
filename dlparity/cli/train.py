"""``dlparity train``: the upstream training run in Octave and in NumPy, compared epoch by epoch.

Exit status: 0 the trajectories agree within tolerance at every epoch, 1 they part (or training
itself produced values that are not finite), 2 bad input (one sentence on stderr, nothing
trained), 3 Octave missing or failing, 4 the results were printed but --save or --plot could not
be written. Progress goes to stderr, so ``--json`` output on stdout
stays clean.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from threadpoolctl import threadpool_limits

from dlparity.bridge import OctaveError, OctaveUnavailable, get_bridge, stop_for_good
from dlparity.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_MISMATCH,
    EXIT_NOT_WRITTEN,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    MAX_SEED,
    check_output_path,
    int_list,
    path_with_suffix,
    positive_number,
    whole_number,
)
from dlparity.comparison.report import json_number, render_table
from dlparity.fileio import OutputError, write_atomic
from dlparity.training.data import Dataset, load_csv, read_header, synthetic_regression
from dlparity.training.runs import PRESETS, SideResult, TrainConfig, TrainRun, prepare_run, run_numpy, run_octave
from dlparity.training.trajectory import TrajectoryReport, compare_trajectories
from dlparity.validation import MAX_WHOLE, InputError
from python_impl.train_sgd import PARAMS

EXIT_DIVERGED = EXIT_MISMATCH  # the trajectories parted beyond tolerance
EXIT_OCTAVE = EXIT_UNAVAILABLE

#: Epochs between rows of the side-by-side table (upstream prints its loss every 10 epochs).
TABLE_EVERY = 10


def add_train_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``train`` on the ``dlparity`` subparsers; returns the new parser."""

    p = sub.add_parser(
        "train", help="train in Octave and NumPy from the same seed and compare the trajectories",
        description="Run the upstream training loop (minibatch SGD over the document's MATLAB block) in GNU "
                    "Octave and in NumPy from the same initial weights and permutations, and compare the "
                    "per-epoch losses and parameters against a tolerance that grows with the steps taken "
                    "(docs/training.md). Without --data it trains on the project's small synthetic set.")
    p.add_argument("--data", type=Path, metavar="TRAIN.csv",
                   help="training data: header row, feature columns, target last (default: synthetic set)")
    p.add_argument("--valid", type=Path, metavar="VALID.csv", help="validation data, same columns (needs --data)")
    p.add_argument("--preset", choices=sorted(PRESETS), default="upstream",
                   help="configuration the other flags start from (default upstream: 128,64 hidden, lr 1e-4, "
                        "100 epochs, batch 32, backprop, in order)")
    p.add_argument("--epochs", type=whole_number("--epochs"), metavar="E", help="epochs (preset: 100)")
    p.add_argument("--lr", type=positive_number("--lr", "1e-4"), metavar="LR", help="learning rate (preset: 1e-4)")
    p.add_argument("--batch", type=whole_number("--batch", 1, MAX_WHOLE), metavar="B",
                   help="minibatch size (preset: 32; at most 2^53)")
    p.add_argument("--sizes", type=int_list("--sizes", 2, "h1,h2"), metavar="h1,h2", help="hidden sizes (preset: 128,64)")
    p.add_argument("--form", choices=("backprop", "manual"),
                   help="section 1.3 block (upstream Backpropagation.m) or section 1.2 (Gradient.m) (preset: backprop)")
    p.add_argument("--shuffle", action="store_true", help="reorder the rows after every epoch, as Gradient.m does")
    p.add_argument("--seed", type=whole_number("--seed", 0, MAX_SEED), help="seed for the initial weights and permutations (default 0)")
    p.add_argument("--plot", type=path_with_suffix("--plot", ".png"), metavar="PATH.png",
                   help="write both loss curves and the relative drift to a PNG (needs matplotlib: dlparity[plot])")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of the table")
    p.add_argument("--save", type=path_with_suffix("--save", ".npz"), metavar="PATH.npz",
                   help="save the run's inputs and both sides' results for replay (keys in docs/training.md)")
    p.add_argument("--overwrite", action="store_true", help="let --save and --plot replace existing files")
    return p


# -- progress ---------------------------------------------------------------------------------

class Progress:
    """Both sides' progress bars on one terminal line, redrawn with ``\\r`` (the sides train at the
    same time); when the stream is not a terminal, one line per side as it finishes."""

    WIDTH = 20
    SIDES = ("octave", "numpy")

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        now = time.perf_counter()
        self.start = dict.fromkeys(self.SIDES, now)
        self.done = dict.fromkeys(self.SIDES, 0)
        self.seconds: dict[str, float | None] = dict.fromkeys(self.SIDES, None)
        self.last_draw = 0.0
        self._lock = threading.Lock()

    def _bar(self, side: str) -> str:
        filled = self.WIDTH * self.done[side] // max(self.total, 1)
        took = self.seconds[side]
        elapsed = took if took is not None else time.perf_counter() - self.start[side]
        return (f"{side:<6} [{'#' * filled}{'-' * (self.WIDTH - filled)}] "
                f"{self.done[side]:>{len(str(self.total))}}/{self.total} epochs {elapsed:6.1f} s")

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.live and (force or now - self.last_draw >= 0.1):
            self.stream.write("\r" + "   ".join(self._bar(side) for side in self.SIDES))
            self.stream.flush()
            self.last_draw = now

    def update(self, side: str, epoch: int) -> None:
        with self._lock:
            self.done[side] = epoch
            self._draw()

    def finish(self, side: str) -> None:
        with self._lock:
            self.seconds[side] = time.perf_counter() - self.start[side]
            if self.live:
                self._draw(force=True)
            else:
                self.stream.write(self._bar(side) + "\n")
                self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


# -- inputs -----------------------------------------------------------------------------------

def config_from_args(args: argparse.Namespace) -> TrainConfig:
    base = PRESETS[args.preset]
    return TrainConfig(
        sizes=args.sizes if args.sizes is not None else base.sizes,
        learning_rate=args.lr if args.lr is not None else base.learning_rate,
        epochs=args.epochs if args.epochs is not None else base.epochs,
        batch_size=args.batch if args.batch is not None else base.batch_size,
        form=args.form if args.form is not None else base.form,
        shuffle=args.shuffle or base.shuffle,
        seed=args.seed if args.seed is not None else base.seed,
    )


def load_data(args: argparse.Namespace) -> tuple[Dataset, Dataset]:
    """The training and validation sets the flags name, or the synthetic pair; InputError on a bad file."""
    if args.data is None and args.valid is None:
        return synthetic_regression()
    if args.data is None or args.valid is None:
        given, missing = ("--data", "--valid") if args.valid is None else ("--valid", "--data")
        raise InputError(f"{given} was given without {missing}; expected both a training and a validation file.")
    # both headers first: a bad --valid is refused before --data's rows are parsed
    d = len(read_header(args.data)) - 1
    read_header(args.valid, n_features=d, n_features_from=f"set by {args.data}")
    train = load_csv(args.data)
    valid = load_csv(args.valid, n_features=train.d, n_features_from=f"set by {args.data}")
    return train, valid


# -- outputs ----------------------------------------------------------------------------------

def table_epochs(epochs: int, report: TrajectoryReport) -> list[int]:
    """Every 10th epoch, the last one, and the first divergent one."""
    rows = set(range(TABLE_EVERY, epochs + 1, TABLE_EVERY)) | {epochs}
    if report.divergence is not None:
        rows.add(report.divergence.epoch)
    return sorted(rows)


def format_table(octave: SideResult, numpy_: SideResult, report: TrajectoryReport) -> str:
    head = ("epoch", "loss octave", "loss numpy", "rel. diff", "tol.", "max rel. W diff", "tol.", "verdict")
    rows = [head]
    for e in table_epochs(report.epochs, report):
        k = e - 1
        w = report.max_weight_diff_at(e)
        bad = report.divergence is not None and e >= report.divergence.epoch
        rows.append((str(e), f"{octave.result.loss_valid[k]:.16g}", f"{numpy_.result.loss_valid[k]:.16g}",
                     f"{report.rel_loss_diff[k]:.1e}", f"{report.loss_tol[k]:.1e}", f"{w:.1e}",
                     f"{report.weight_tol[k]:.1e}", "PARTED" if bad else "ok"))
    return "\n".join(render_table(rows))


def run_json(octave: SideResult, numpy_: SideResult, report: TrajectoryReport) -> dict[str, Any]:
    """The ``--json`` document: exactly the fields the issue lists."""
    return {
        "ok": report.ok,
        "epochs": report.epochs,
        "loss_octave": [json_number(float(v)) for v in octave.result.loss_valid],
        "loss_numpy": [json_number(float(v)) for v in numpy_.result.loss_valid],
        "max_rel_loss_diff": json_number(report.max_rel_loss_diff),
        "max_rel_weight_diff": {n: json_number(v) for n, v in report.max_rel_weight_diff.items()},
        "octave_seconds": octave.seconds,
        "numpy_seconds": numpy_.seconds,
        "octave_restarts": len(getattr(get_bridge(), "restarts", [])),  # octave_seconds then includes a dead attempt
    }


def save_run(path: Path, run: TrainRun, octave: SideResult, numpy_: SideResult, overwrite: bool = False) -> None:
    """Write the ``--save`` archive: ``init/W1``..``init/b3``, ``perms`` (with shuffling), ``lr``,
    ``batch_size``, ``epochs``, and ``octave/``, ``numpy/`` each with ``loss_valid`` and ``W1``..``b3``."""
    arrays: dict[str, Any] = {f"init/{n}": run.init[n] for n in PARAMS}
    if run.perms is not None:
        arrays["perms"] = run.perms
    arrays["lr"] = np.float64(run.config.learning_rate)
    arrays["batch_size"] = np.int64(run.config.batch_size)
    arrays["epochs"] = np.int64(run.config.epochs)
    for side in (octave, numpy_):
        arrays[f"{side.side}/loss_valid"] = side.result.loss_valid
        for n in PARAMS:
            arrays[f"{side.side}/{n}"] = side.result.params[n]
    # a file object, so numpy does not append a second .npz; whole or not at all
    write_atomic(path, lambda f: np.savez(f, **arrays), overwrite=overwrite, flag="--save")


def plot_run(path: Path, octave: SideResult, numpy_: SideResult, report: TrajectoryReport, title: str,
             overwrite: bool = False) -> None:
    """Both validation-loss curves on one axis; the relative drift, log scale, below."""
    from matplotlib.figure import Figure  # noqa: PLC0415 (optional dependency, checked before training)

    epochs = np.arange(1, report.epochs + 1)
    floor = 2.0**-55  # exact agreement (0) cannot be drawn on a log axis: it is drawn at u/4
    fig = Figure(figsize=(8, 7), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    top.plot(epochs, octave.result.loss_valid, color="tab:orange", linewidth=4, alpha=0.6, label="Octave")
    top.plot(epochs, numpy_.result.loss_valid, color="tab:blue", linewidth=1.2, linestyle="--", label="NumPy")
    top.set_ylabel("validation loss (MSE)")
    top.set_title(textwrap.fill(title, 110), fontsize=8)
    top.legend()
    w = np.array([report.max_weight_diff_at(int(e)) for e in epochs])
    bottom.semilogy(epochs, np.maximum(report.rel_loss_diff, floor), ".-", color="tab:blue",
                    label="validation loss, relative difference")
    bottom.semilogy(epochs, np.maximum(w, floor), ".-", color="tab:green", label="parameters, max relative difference")
    bottom.semilogy(epochs, report.loss_tol, "--", color="tab:blue", linewidth=1, label="loss tolerance")
    bottom.semilogy(epochs, report.weight_tol, "--", color="tab:green", linewidth=1, label="parameter tolerance")
    if report.divergence is not None:
        bottom.axvline(report.divergence.epoch, color="tab:red", linewidth=1, label="first divergence")
    bottom.set_xlabel("epoch")
    bottom.set_ylabel("Octave vs NumPy (0 drawn at 2^-55)")
    bottom.legend(fontsize=8)
    write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=110), overwrite=overwrite, flag="--plot")


# -- the command ------------------------------------------------------------------------------

def prepare_from_args(args: argparse.Namespace) -> tuple[TrainRun, str]:
    """Everything checked and drawn before training, and the run's one-line title; InputError otherwise."""
    config = config_from_args(args)
    check_output_path("--save", args.save, args.overwrite)
    check_output_path("--plot", args.plot, args.overwrite)
    if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
        raise InputError("--plot needs matplotlib, which is not installed; install it with "
                         "pip install 'dlparity[plot]' (or drop --plot).")
    train, valid = load_data(args)
    run = prepare_run(config, train.X, train.y, valid.X, valid.y)
    h1, h2 = run.config.sizes
    title = (f"train {train.source} ({train.N} rows), valid {valid.source} ({valid.N} rows); "
             f"network {train.d} -> {h1} -> {h2} -> 1; {run.config.describe()}")
    return run, title


def start_octave() -> float:
    """Start Octave (if it is not running) before the clock of the training starts; its seconds."""
    bridge = get_bridge()
    if bridge.started:
        return 0.0
    t0 = time.perf_counter()
    bridge.session()
    return time.perf_counter() - t0


def train_both_sides(run: TrainRun, err: TextIO) -> tuple[SideResult, SideResult]:
    """Octave (in a thread, waiting on its own process) and NumPy (here) at the same time.

    Each side's seconds are its own wall time; with two cores the sides barely slow each other.
    Raises what the Octave side raised (OctaveError, OctaveUnavailable), at the end of NumPy's
    epoch during which it failed.
    """
    bars = Progress(run.config.epochs, err)
    box: dict[str, Any] = {}

    def octave_side() -> None:
        try:
            box["result"] = run_octave(run, get_bridge(), keep_history=True,
                                       on_epoch=lambda e: bars.update("octave", e))
        except Exception as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            bars.finish("octave")

    thread = threading.Thread(target=octave_side, name="dlparity-octave", daemon=True)
    thread.start()
    def numpy_epoch(epoch: int) -> None:
        bars.update("numpy", epoch)
        if "error" in box:  # Octave failed (timed out, died): stop here rather than train on for nothing
            raise box["error"]

    try:
        with threadpool_limits(limits=1, user_api="blas"):  # one core each: see octave_bridge.OCTAVE_ENV
            numpy_ = run_numpy(run, keep_history=True, on_epoch=numpy_epoch)
    except KeyboardInterrupt:  # SIGINT or SIGTERM: Octave is stopped, and the thread waiting on it ends first
        stop_for_good(get_bridge())
        thread.join(timeout=10.0)
        raise
    bars.finish("numpy")
    thread.join()
    bars.close()
    if "error" in box:
        raise box["error"]
    return box["result"], numpy_


def print_summary(out: TextIO, octave: SideResult, numpy_: SideResult, report: TrajectoryReport, startup: float,
                  both: float) -> None:
    print(format_table(octave, numpy_, report), file=out)
    print(f"wall time: octave {octave.seconds:.2f} s, numpy {numpy_.seconds:.2f} s, side by side {both:.2f} s "
          f"(training only; Octave start-up {startup:.2f} s)", file=out)
    if report.ok:
        last = report.epochs - 1
        print(f"ok: the trajectories agree within tolerance at every epoch (largest difference/tolerance "
              f"{report.worst_ratio():.2g}); final validation loss octave {float(octave.result.loss_valid[last])!r}, "
              f"numpy {float(numpy_.result.loss_valid[last])!r}, relative difference {report.rel_loss_diff[last]:.2g}",
              file=out)


def run_train(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``dlparity train`` with parsed ``args``; returns the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        run, title = prepare_from_args(args)
    except InputError as exc:
        print(f"dlparity train: error: {exc}", file=err)
        return EXIT_BAD_INPUT
    if not args.json:
        print(f"dlparity train: {title}", file=out)
        out.flush()
    try:
        startup = start_octave()
        t0 = time.perf_counter()
        octave, numpy_ = train_both_sides(run, err)
        both = time.perf_counter() - t0
    except (OctaveUnavailable, OctaveError) as exc:
        print(f"dlparity train: error: {exc}", file=err)
        return EXIT_OCTAVE

    report = compare_trajectories(octave.result, numpy_.result, run.init, run.steps_per_epoch,
                                  n_train=run.X.shape[0], n_valid=run.x_valid.shape[0])
    failed: list[str] = []  # the training ran: a file that cannot be written does not hide its results
    written: list[tuple[Path, str]] = []
    for path, write, what in ((args.save, lambda p: save_run(p, run, octave, numpy_, args.overwrite), "saved the run to"),
                              (args.plot, lambda p: plot_run(p, octave, numpy_, report, title, args.overwrite),
                               "wrote the plot to")):
        if path is not None:
            try:
                write(path)
                written.append((path, what))
            except (OutputError, InputError) as exc:  # InputError: another run took the name meanwhile
                failed.append(str(exc))
    if args.json:
        print(json.dumps(run_json(octave, numpy_, report), indent=2), file=out)
    else:
        print_summary(out, octave, numpy_, report, startup, both)
        for path, what in written:
            print(f"{what} {path}", file=out)
    for sentence in failed:
        print(f"dlparity train: error: {sentence}", file=err)
    if report.divergence is not None:  # the verdict first: 1 even when a file could not be written
        c = run.config
        print(f"dlparity train: DIVERGED: {report.divergence.describe()} (seed {c.seed}; {c.describe()})", file=err)
        return EXIT_DIVERGED
    return EXIT_NOT_WRITTEN if failed else EXIT_OK
