"""``dlparity record`` (regenerate the stored Octave results) and ``dlparity selfcheck`` (the package's parity check).

``record`` needs live Octave (exit 3 without it) and is deterministic: recording twice on one
machine gives bit-identical arrays (only the provenance's date moves). ``selfcheck`` runs the
section 1 blocks on the store's cases and the stored training runs, against live Octave when it
is there and against the store otherwise, and says which.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from dlparity.bridge import OctaveSide
from dlparity.cli.args import EXIT_MISMATCH, EXIT_OK, EXIT_UNAVAILABLE

PARTS = ("section1", "training")


def add_record_parser(sub: Any) -> None:
    p = sub.add_parser("record", help="regenerate the stored Octave results (needs GNU Octave)",
                       description="Run the document's MATLAB in live Octave on the store's cases and write the "
                                   "results with their provenance (Octave version, BLAS, platform, date, the "
                                   "SHA-256 of every .m file) into the package's store, used where Octave is missing.")
    p.add_argument("part", nargs="?", choices=(*PARTS, "all"), default="all",
                   help="which part to record (default: all)")
    p.add_argument("--out", type=Path, metavar="DIR", default=None,
                   help="write into DIR instead of the package's store (dlparity/reference)")


def add_selfcheck_parser(sub: Any) -> None:
    sub.add_parser("selfcheck", help="the package's own parity check: section 1 blocks and short training runs",
                   description="Compare the NumPy port with Octave on the store's cases (both blocks) and the "
                               "stored training runs: live Octave when found, the stored results otherwise.")


def training_runs() -> list[Any]:
    """The short training runs the store holds: 4 epochs of the synthetic set, in order and shuffled, both forms."""
    from dlparity.training.data import synthetic_regression  # noqa: PLC0415
    from dlparity.training.runs import TrainConfig, prepare_run  # noqa: PLC0415

    train, valid = synthetic_regression()
    configs = [TrainConfig(epochs=4, form="backprop", shuffle=False, seed=0),
               TrainConfig(epochs=4, form="manual", shuffle=True, seed=1)]
    return [prepare_run(c, train.X, train.y, valid.X, valid.y) for c in configs]


def run_record(args: argparse.Namespace) -> int:
    from dlparity.blocks import FORMS, block_key  # noqa: PLC0415
    from dlparity.bridge import get_bridge, matlab_ref_dir  # noqa: PLC0415
    from dlparity.cases import reference_cases  # noqa: PLC0415
    from dlparity.comparison.section1 import evaluate  # noqa: PLC0415
    from dlparity.store import PACKAGE_STORE, RecordingBridge  # noqa: PLC0415
    from dlparity.training.runs import run_octave  # noqa: PLC0415

    live = get_bridge()
    live.session()  # exit 3 with one sentence when Octave is missing, before anything is written
    out = args.out if args.out is not None else PACKAGE_STORE
    parts = PARTS if args.part == "all" else (args.part,)
    for part in parts:
        start = time.perf_counter()
        rec = RecordingBridge(live, matlab_ref_dir(), f"'dlparity record {part}'")
        if part == "section1":
            cases = reference_cases()
            evaluate(cases, FORMS, bridge=rec)
            for case in cases:  # the recipe of each case, so the store says how to draw it again
                for form in FORMS:
                    rec.entries[block_key(form, case.inputs)].spec.update(seed=case.seed, label=case.label)
        else:
            for run in training_runs():
                run_octave(run, rec)
        rec.part(out / part).save()
        print(f"recorded {part}: {len(rec.entries)} Octave results in {time.perf_counter() - start:.1f} s "
              f"-> {out / part}.npz, {out / part}.json", file=sys.stderr)
    return EXIT_OK


def run_selfcheck(args: argparse.Namespace) -> int:
    del args
    from dlparity.blocks import FORMS  # noqa: PLC0415
    from dlparity.cases import reference_cases  # noqa: PLC0415
    from dlparity.comparison.section1 import evaluate  # noqa: PLC0415
    from dlparity.store import octave_for_comparison  # noqa: PLC0415
    from dlparity.training.runs import run_numpy, run_octave  # noqa: PLC0415
    from dlparity.training.trajectory import compare_trajectories  # noqa: PLC0415

    bridge = octave_for_comparison()
    print(octave_line(bridge))
    cases = reference_cases()
    start = time.perf_counter()
    reports = [r for result in evaluate(cases, FORMS, bridge=bridge) for r in result.reports()]
    bad = [r for r in reports if not r.ok]
    worst = max((r.bound_ratio for r in reports), default=0.0)
    print(f"section 1 blocks: {len(cases)} cases, {len(reports)} comparisons, "
          f"{'all match' if not bad else f'{len(bad)} MISMATCH'} (largest |Δ|/tolerance {worst:.2g}, "
          f"{time.perf_counter() - start:.1f} s)")
    for r in bad[:5]:
        print(f"  {r.message()}")
    ok = not bad
    for run in training_runs():
        gold = run_octave(run, bridge, keep_history=True).result
        mine = run_numpy(run).result
        report = compare_trajectories(gold, mine, run.init, run.steps_per_epoch, n_train=run.X.shape[0],
                                      n_valid=run.x_valid.shape[0])
        verdict = "agree" if report.ok else f"DIVERGE: {report.divergence.describe('octave', 'numpy')}"  # type: ignore[union-attr]
        print(f"training ({run.config.describe()}): {verdict}")
        ok = ok and report.ok
    return EXIT_OK if ok else EXIT_MISMATCH


def octave_line(octave: OctaveSide) -> str:
    """The first line of a comparison's output: which Octave the numbers come from."""
    said = octave.describe()
    if said["source"] == "stored":
        return (f"octave: stored results of GNU Octave {said['version']}, recorded {said['recorded']} "
                f"(no live Octave: {getattr(octave, 'why', '?')})")
    return f"octave: live, GNU Octave {said['version']}"


__all__ = ["EXIT_UNAVAILABLE", "add_record_parser", "add_selfcheck_parser", "octave_line", "run_record",
           "run_selfcheck"]
