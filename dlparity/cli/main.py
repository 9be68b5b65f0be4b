"""The ``dlparity`` command line: ``compare`` (Octave vs NumPy, side by side) and its siblings.

Exit status: 0 everything matches, 1 a mismatch, 2 bad input (one sentence on stderr),
3 Octave missing or failing, 4 the results were printed but an output file could not be written,
5 (pair mode) no mismatch, but variables the automatic tolerance cannot bound were not checked;
130 interrupted (Ctrl-C), 143 terminated (SIGTERM): Octave stopped, its folder removed, one line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlparity.bridge import (
    DEFAULT_TIMEOUT,
    TIMEOUT_ENV,
    OctaveError,
    OctaveUnavailable,
    get_bridge,
    parse_timeout,
    stop_for_good,
)
from dlparity.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_MISMATCH,
    EXIT_NOT_WRITTEN,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    add_case_arguments,
    case_from_args,
    check_output_path,
    forms_of,
    path_with_suffix,
)
from dlparity.cli.gradcheck import add_gradcheck_parser, run_gradcheck
from dlparity.cli.pair import add_pair_arguments, run_pair, wants_pair
from dlparity.cli.record import add_record_parser, add_selfcheck_parser, octave_line, run_record, run_selfcheck
from dlparity.cli.train import add_train_parser, run_train
from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.html_report import save_report, section1_html
from dlparity.comparison.report import json_number, render_table
from dlparity.comparison.section1 import CaseResult, evaluate
from dlparity.fileio import OutputError, write_atomic
from dlparity.store import octave_for_comparison
from dlparity.validation import InputError

# -- compare ----------------------------------------------------------------------------------

def add_compare_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="run both blocks in Octave and NumPy on seeded inputs, side by side",
                       description="Run the document's MATLAB in Octave and the NumPy port on the same seeded "
                                   "inputs; print every intermediate and gradient side by side with its "
                                   "rounding-error tolerance. Exit 0 when all match, 1 otherwise.")
    add_case_arguments(p)
    p.add_argument("--inputs", type=path_with_suffix("--inputs", ".npz"), metavar="PATH.npz",
                   help="compare on these inputs (X y W1 b1 W2 b2 W3 b3 [i batch_size]) instead of drawing them")
    p.add_argument("--save", type=path_with_suffix("--save", ".npz"), metavar="PATH.npz",
                   help="save inputs and both sides' outputs (keys octave/<form>/<name>, numpy/<form>/<name>)")
    p.add_argument("--html", type=path_with_suffix("--html", ".html"), metavar="REPORT.html",
                   help="also write a report to open in a browser: the MATLAB and its twin side by side, each "
                        "variable's verdict on its line, the first divergence marked (the exit status is unchanged)")
    p.add_argument("--overwrite", action="store_true", help="let --save and --html replace an existing file")
    add_pair_arguments(p)


def save_result(path: Path, result: CaseResult, overwrite: bool) -> None:
    """Write the ``--save`` archive whole or not at all (:func:`dlparity.fileio.write_atomic`)."""
    inp = result.case.inputs
    arrays: dict[str, Any] = dict(inp.arrays())
    arrays["i"] = np.int64(inp.i)
    arrays["batch_size"] = np.int64(inp.batch_size)
    arrays["seed"] = np.int64(result.case.seed)
    for side, values in (("octave", result.octave), ("numpy", result.numpy)):
        for form, outputs in values.items():
            for name, value in outputs.items():
                arrays[f"{side}/{form}/{name}"] = value
    write_atomic(path, lambda f: np.savez(f, **arrays), overwrite=overwrite, flag="--save")


def compare_json(result: CaseResult, reports: Sequence[QuantityReport]) -> dict[str, Any]:
    return {
        "ok": all(r.ok for r in reports),
        "case": result.case.describe(),
        "seed": result.case.seed,
        "quantities": [
            {"form": r.form, "name": r.name, "shape": list(r.shape), "max_abs_diff": json_number(r.max_abs_diff),
             "max_rel_diff": json_number(r.max_rel_diff), "max_ulp": r.max_ulp, "tolerance": json_number(r.tolerance),
             "bound_ratio": json_number(r.bound_ratio), "mask_ambiguous": r.ambiguous,
             "octave_sample": json_number(r.gold_sample), "numpy_sample": json_number(r.mine_sample),
             "compared": f"{r.gold_label} vs {r.mine_label}", "ok": r.ok}
            for r in reports
        ],
    }


def compare_table(result: CaseResult, reports: Sequence[QuantityReport]) -> str:
    head = ("form", "quantity", "shape", "octave", "numpy", "max|Δ|", "max rel Δ", "max ULP", "tolerance", "verdict")
    rows = [head]
    for r in reports:
        if r.form == "manual-vs-backprop":
            continue
        rows.append((r.form, r.name, "x".join(map(str, r.shape)), f"{r.gold_sample:.10g}", f"{r.mine_sample:.10g}",
                     f"{r.max_abs_diff:.2e}", f"{r.max_rel_diff:.2e}", str(r.max_ulp), f"{r.tolerance:.2e}",
                     "ok" if r.ok else "MISMATCH"))
    lines = render_table(rows, left=3)
    cross = [r for r in reports if r.form == "manual-vs-backprop"]
    out = [f"case: {result.case.describe()}",
           "octave/numpy: the entry with the largest |Δ|/tolerance; tolerance: 2 x the rounding-error bound there "
           "(docs/error-bounds.md)", "", *lines, ""]
    if cross:
        ok = all(r.ok for r in cross)
        worst = max(r.bound_ratio for r in cross)
        out.append(f"section 1.2 vs 1.3 on each side: {'agree' if ok else 'DISAGREE'} "
                   f"({len(cross)} comparisons, largest |Δ|/tolerance {worst:.2g})")
    bad = [r for r in reports if not r.ok]
    worst_ratio = max((r.bound_ratio for r in reports), default=0.0)
    if bad:
        out.append(f"{len(bad)} of {len(reports)} comparisons MISMATCH; first: {bad[0].message()}")
    else:
        out.append(f"all {len(reports)} comparisons match (largest |Δ|/tolerance {worst_ratio:.2g})")
    return "\n".join(out)


def run_compare(args: argparse.Namespace) -> int:
    if wants_pair(args):  # --matlab/--python: any MATLAB/NumPy pair (dlparity/cli/pair.py)
        return run_pair(args, build_parser().parse_args(["compare"]))
    check_output_path("--save", args.save, args.overwrite)
    check_output_path("--html", args.html, args.overwrite)
    case = case_from_args(args)
    evaluate([case], forms_of(args.form))  # NumPy alone first: inputs that overflow are refused before Octave starts
    bridge = octave_for_comparison()  # live Octave, or the stored results where there is none
    result = evaluate([case], forms_of(args.form), bridge=bridge)[0]
    reports = result.reports()
    not_written = None
    if args.save is not None:
        try:
            save_result(args.save, result, args.overwrite)  # a name taken meanwhile: InputError, as serially
        except OutputError as exc:  # the comparison ran: its results are still shown
            not_written = exc
    html_written = False
    if args.html is not None:
        try:
            save_report(args.html, section1_html(result, {**bridge.describe(), "why": getattr(bridge, "why", None)}), args.overwrite)
            html_written = True
        except OutputError as exc:
            not_written = not_written or exc
    if args.json:
        print(json.dumps({**compare_json(result, reports), "octave": bridge.describe()}, indent=2))
    else:
        print(octave_line(bridge))
        print(compare_table(result, reports))
        if args.save is not None and not_written is None:
            print(f"saved inputs and outputs to {args.save}")
        if html_written:
            print(f"wrote the HTML report to {args.html}")
    if not_written is not None:
        raise not_written
    return EXIT_OK if all(r.ok for r in reports) else EXIT_MISMATCH


# -- entry point ------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlparity", description="Check the derivation's MATLAB, run in GNU Octave, against its NumPy port.")
    parser.add_argument("--version", action="version", version="dlparity 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{compare,gradcheck,train,record,selfcheck}")
    add_compare_parser(sub)
    add_gradcheck_parser(sub)
    add_train_parser(sub)
    add_record_parser(sub)
    add_selfcheck_parser(sub)
    for command in sub.choices.values():  # every subcommand that may run Octave
        command.add_argument("--timeout", type=timeout_seconds, metavar="SECONDS",
                             help=f"longest Octave call (and start-up) before Octave is stopped with exit 3 (default "
                                  f"${TIMEOUT_ENV}, else {DEFAULT_TIMEOUT:g})")
    return parser


def timeout_seconds(text: str) -> float:
    try:
        return parse_timeout("--timeout", text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


RUNNERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "compare": run_compare, "gradcheck": run_gradcheck, "train": run_train, "record": run_record,
    "selfcheck": run_selfcheck}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Python raises KeyboardInterrupt for SIGINT, so both unwind alike."""


def _raise_terminated(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


#: Exit status after a signal, as a shell reports a process it ended: 128 + the signal's number.
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if args.timeout is not None:
            get_bridge().timeout = args.timeout
        return RUNNERS[args.command](args)
    except InputError as exc:
        print(f"dlparity {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OctaveUnavailable, OctaveError) as exc:
        print(f"dlparity {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except OutputError as exc:
        print(f"dlparity {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    except MemoryError:
        print(f"dlparity {args.command}: error: not enough memory for arrays this large; "
              "try smaller --samples or --sizes.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): stop Octave, remove its folder
        terminated = isinstance(exc, Terminated)
        with contextlib.suppress(BaseException):
            stop_for_good(get_bridge())
        sys.stderr.write(f"dlparity {args.command}: {'terminated (SIGTERM)' if terminated else 'interrupted (Ctrl-C)'}; "
                         "Octave was stopped and no result was reported.\n")
        sys.stderr.flush()
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
