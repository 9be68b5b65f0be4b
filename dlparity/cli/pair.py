"""``dlparity compare --matlab FILE.m --python MODULE:FUNCTION --inputs CASE.npz``: any MATLAB/NumPy pair.

The same table, ``--json`` fields and exit statuses as the section 1 mode (0 match, 1 mismatch,
2 bad input, 3 Octave missing or failing), plus 5: no mismatch, but variables the automatic
tolerance cannot bound were not checked (no ``--fallback-rtol/--fallback-atol``); the work is
:func:`dlparity.comparison.pair.check_parity`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from dlparity.bridge import OctaveSide
from dlparity.cli.args import EXIT_MISMATCH, EXIT_NOT_CHECKED, EXIT_OK, check_output_path
from dlparity.comparison.html_report import save_report
from dlparity.comparison.inputs import check_path
from dlparity.comparison.pair import ParityResult, check_parity
from dlparity.fileio import OutputError, read_npz, write_atomic
from dlparity.store import REFERENCE_FOLDER, octave_for_comparison
from dlparity.validation import InputError

#: Flags of the section 1 mode that mean nothing for a pair.
SECTION1_ONLY = ("seed", "sizes", "samples", "batch", "start", "form")


def add_pair_arguments(p: argparse.ArgumentParser) -> None:
    """The pair-mode flags of ``dlparity compare``."""
    g = p.add_argument_group("any MATLAB/NumPy pair (instead of the document's blocks)")
    g.add_argument("--matlab", metavar="FILE.m",
                   help="a MATLAB script (run in a workspace holding the inputs) or function file (called with them)")
    g.add_argument("--python", metavar="MODULE:FUNCTION",
                   help="its NumPy twin: called with the inputs as keyword arguments, returns a dict name -> array; "
                        "MODULE is importable or a path to a .py file")
    g.add_argument("--rtol", type=_nonnegative("--rtol"), metavar="R",
                   help="compare with atol + rtol x |octave value| instead of the automatic rounding-error bound")
    g.add_argument("--atol", type=_nonnegative("--atol"), metavar="A", help="see --rtol (either may be given alone)")
    g.add_argument("--path", action="append", metavar="DIR", default=None,
                   help="one more folder on Octave's path for the call, behind the .m file's own (helpers in util/ "
                        "beside NN/); repeatable, in order; Octave's path is restored after")
    g.add_argument("--fallback-rtol", type=_nonnegative("--fallback-rtol"), metavar="R",
                   help="compare the variables the automatic tolerance cannot bound (an operation without a rule, named "
                        "in the report) with atol + rtol x |octave value|; without it they are not checked (exit 5)")
    g.add_argument("--fallback-atol", type=_nonnegative("--fallback-atol"), metavar="A",
                   help="see --fallback-rtol (either may be given alone)")
    g.add_argument("--random-seed", type=_seed, metavar="S",
                   help="the seed both sides' random generators start each case from (default: one per case, "
                        "from its label; docs/harness.md, code that draws)")
    g.add_argument("--random-mode", choices=("octave", "stream"), default="octave",
                   help="rand, randn, randi, randperm, rng as GNU Octave draws them (default), or from the "
                        "documented stream of dlparity's shims")


def _seed(text: str) -> int:
    if not text.isdigit() or int(text) > 2**32 - 1:
        raise argparse.ArgumentTypeError(f"--random-seed is {text!r}; expected a whole number from 0 to 4294967295.")
    return int(text)


def _nonnegative(flag: str) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if "_" in text or not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"{flag} is {text!r}; expected a finite number >= 0, e.g. 1e-12.")
        return value
    return parse


def wants_pair(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "matlab", None) or getattr(args, "python", None))


def check_pair_args(args: argparse.Namespace, defaults: argparse.Namespace) -> None:
    """One sentence for a pair-mode command line that cannot work, before anything runs."""
    if not args.matlab:
        raise InputError("--python needs --matlab FILE.m, the MATLAB side of the pair.")
    if not args.python:
        raise InputError("--matlab needs --python MODULE:FUNCTION, the NumPy twin of the pair.")
    if args.inputs is None:
        raise InputError("--matlab/--python need --inputs CASE.npz, the arrays both sides are run on "
                         "(one per input name; numpy.savez('case.npz', X=X, W=W, ...)).")
    given = [f"--{name}" for name in SECTION1_ONLY if getattr(args, name, None) != getattr(defaults, name, None)]
    if given:
        raise InputError(f"{', '.join(given)} belong to the document's blocks, not to a --matlab/--python pair; "
                         "the pair's arrays come from --inputs.")


def run_pair(args: argparse.Namespace, defaults: argparse.Namespace) -> int:
    check_pair_args(args, defaults)

    check_output_path("--save", args.save, args.overwrite)
    check_output_path("--html", args.html, args.overwrite)
    inputs = read_npz("--inputs", args.inputs)
    check_path(args.path, "--path")  # named as the flag; check_parity checks the same again
    matlab = Path(args.matlab)
    # Bad input is refused before Octave starts: the bridge is chosen lazily, on the first Octave call.
    bridge = LazyOctave([matlab.parent / REFERENCE_FOLDER])
    result = check_parity(matlab, args.python, inputs, rtol=args.rtol, atol=args.atol, labels=[args.inputs.name],
                          bridge=bridge, fallback_rtol=args.fallback_rtol, fallback_atol=args.fallback_atol,
                          path=args.path, random_seed=args.random_seed, random_mode=args.random_mode)
    not_written = None
    if args.save is not None:
        try:  # a name taken meanwhile: InputError, as serially; a failed write: the results are still shown
            write_atomic(args.save, lambda f: np.savez(f, **_saved_arrays(inputs, result)), overwrite=args.overwrite,
                         flag="--save")
        except OutputError as exc:
            not_written = exc
    html_written = False
    if args.html is not None:  # the exit status stays the comparison's (or 4 when a file could not be written)
        try:
            save_report(args.html, result.to_html(), args.overwrite)
            html_written = True
        except OutputError as exc:
            not_written = not_written or exc
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(result.table())
        if args.save is not None and not_written is None:
            print(f"saved inputs and outputs to {args.save}")
        if html_written:
            print(f"wrote the HTML report to {args.html}")
    if not_written is not None:
        raise not_written
    return {"match": EXIT_OK, "not checked": EXIT_NOT_CHECKED}.get(result.status, EXIT_MISMATCH)


class LazyOctave:
    """Live Octave, or the stored results beside the .m file, chosen at the first call (not before the input checks);
    an :class:`~dlparity.bridge.OctaveSide`."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._bridge: OctaveSide | None = None

    def _get(self) -> OctaveSide:
        if self._bridge is None:
            self._bridge = octave_for_comparison(self.folders)
        return self._bridge

    @property
    def source(self) -> str:
        return str(self._get().source)

    def describe(self) -> dict[str, Any]:
        return dict(self._get().describe())

    def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
        return self._get().call(func, *args, **kwargs)


def _saved_arrays(inputs: dict[str, Any], result: ParityResult) -> dict[str, Any]:
    """The inputs under their own names, each side's numeric leaves as ``octave/<path>``, ``numpy/<path>`` (a
    struct's leaves by MATLAB path: ``octave/nn.W{1}``)."""
    from dlparity.comparison.leaves import flatten  # noqa: PLC0415
    from dlparity.values import matlab_path  # noqa: PLC0415

    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in inputs.items() if not isinstance(v, str)}
    for side, values in (("octave", result.values[0]["octave"]), ("numpy", result.values[0]["numpy"])):
        for name, value in values.items():
            for steps, leaf in flatten(value):
                arr = np.asarray(leaf) if isinstance(leaf, (np.ndarray, int, float, bool, np.generic)) else None
                if arr is not None and arr.dtype.kind in "biuf":
                    arrays[f"{side}/{matlab_path(name, steps)}"] = arr
    return arrays
