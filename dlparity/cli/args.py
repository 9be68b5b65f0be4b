"""Command-line argument types and the case flags shared by ``dlparity compare``, ``gradcheck`` and ``train``.

Each type fails with one sentence naming the flag, what it got and what it expected; argparse
prints it after the usage line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable
from pathlib import Path

from dlparity.blocks import FORMS, Form
from dlparity.cases import Case, draw_case
from dlparity.fileio import exists_sentence, read_npz
from dlparity.validation import DECIMAL_TEXT, MAX_WHOLE, WHOLE_TEXT, InputError, check_block_inputs

INPUT_KEYS = ("X", "y", "W1", "b1", "W2", "b2", "W3", "b3")

#: Exit status of every subcommand: all within tolerance, a mismatch (or diverged trajectories),
#: bad input (one sentence on stderr, nothing run), Octave or PyTorch missing or failing.
EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT, EXIT_UNAVAILABLE = 0, 1, 2, 3

#: The run finished and its results were printed, but an output file (--save, --plot) could not be
#: written: not 2, which says nothing was run.
EXIT_NOT_WRITTEN = 4

#: The pair mode compared what it could and found no mismatch, but some variables were not checked: the
#: automatic tolerance cannot bound them (an operation without a rule) and no --fallback-rtol/--fallback-atol
#: was given. Not 0: never a silent pass; not 1: nothing was found wrong.
EXIT_NOT_CHECKED = 5


#: Seeds are stored as int64 in the ``--save`` archives.
MAX_SEED = 2**63 - 1


_WHOLE, _DECIMAL = WHOLE_TEXT, DECIMAL_TEXT  # ASCII digits only (dlparity.validation)


def _written_as(flag: str, text: str, pattern: re.Pattern[str], expected: str) -> None:
    """Refuse ``text`` unless it is written as ``pattern``; an underscore is named in the sentence."""
    if "_" in text:
        raise argparse.ArgumentTypeError(
            f"{flag} is {text!r}; expected {expected}, written without '_' (digits only: 1000, not 1_000).")
    if pattern.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{flag} is {text!r}; expected {expected}.")


def whole_number(flag: str, minimum: int = 1, maximum: int | None = None) -> Callable[[str], int]:
    """An integer flag with a lower bound (1 for sizes and counts, 0 for seeds) and an optional upper one."""
    expected = f"a whole number >= {minimum}" + ("" if maximum is None else f" and <= {maximum}")

    def parse(text: str) -> int:
        _written_as(flag, text, _WHOLE, expected)
        value = int(text)
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{flag} is {value}; expected {expected}.")
        return value
    return parse


def integer(flag: str, meaning: str) -> Callable[[str], int]:
    """Any whole number (its range is checked later, where it is known, e.g. ``--start`` against --samples)."""
    def parse(text: str) -> int:
        _written_as(flag, text, _WHOLE, f"a whole number ({meaning})")
        return int(text)
    return parse


def positive_number(flag: str, example: str) -> Callable[[str], float]:
    """A finite float flag > 0 (the learning rate)."""
    def parse(text: str) -> float:
        expected = f"a finite number > 0, e.g. {example}"
        _written_as(flag, text, _DECIMAL, expected)
        value = float(text)
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{flag} is {text!r}; expected {expected}.")
        return value
    return parse


def int_list(flag: str, count: int, names: str) -> Callable[[str], tuple[int, ...]]:
    """``count`` whole numbers >= 1 separated by commas, e.g. ``--sizes 5,7,3``."""
    def parse(text: str) -> tuple[int, ...]:
        expected = f"{count} whole numbers >= 1 separated by commas ({names})"
        if "_" in text:
            _written_as(flag, text, _WHOLE, expected)
        parts = text.split(",")
        values = tuple(int(p) for p in parts) if all(_WHOLE.fullmatch(p) for p in parts) else ()
        if len(values) != count or any(v < 1 for v in values):
            raise argparse.ArgumentTypeError(f"{flag} is {text!r}; expected {expected}.")
        return values
    return parse


def path_with_suffix(flag: str, suffix: str) -> Callable[[str], Path]:
    """A file name that must end in ``suffix`` (``.npz``, ``.png``)."""
    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() != suffix:
            raise argparse.ArgumentTypeError(f"{flag} is {text!r}; expected a file name ending in {suffix}.")
        return path
    return parse


def check_output_path(flag: str, path: Path | None, overwrite: bool) -> None:
    """Refuse, before any work, an output file that would overwrite something or cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"{flag} {path} is a folder; expected a file name.")
    if path.exists() and not overwrite:
        raise InputError(exists_sentence(flag, path))
    if not path.parent.is_dir():
        raise InputError(f"{flag} {path}: the folder {path.parent} does not exist.")
    if not os.access(path.parent, os.W_OK):
        raise InputError(f"{flag} {path}: the folder {path.parent} is not writable.")


def add_case_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say which seeded case to draw (``compare`` and ``gradcheck``)."""
    parser.add_argument("--seed", type=whole_number("--seed", 0, MAX_SEED), default=0,
                        help="seed of numpy.random.default_rng (default 0)")
    parser.add_argument("--sizes", type=int_list("--sizes", 3, "d,h1,h2"), default=(5, 7, 3), metavar="d,h1,h2",
                        help="input width and the two hidden widths (default 5,7,3; upstream is 37,128,64)")
    parser.add_argument("--samples", type=whole_number("--samples"), default=40, metavar="N",
                        help="rows of X (default 40)")
    parser.add_argument("--batch", type=whole_number("--batch", 1, MAX_WHOLE), default=8, metavar="B",
                        help="batch_size (default 8; at most 2^53, the largest whole number a double holds exactly)")
    parser.add_argument("--start", type=integer("--start", "a 1-based row"), default=None, metavar="i",
                        help="1-based first row of the minibatch, as MATLAB's i (default: the last minibatch, "
                             "as upstream's loop reaches it: 33 for 40 rows in batches of 8)")
    parser.add_argument("--form", choices=("backprop", "manual", "both"), default="both",
                        help="section 1.3 backprop, section 1.2 closed form, or both (default)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of the table")


def forms_of(choice: str) -> tuple[Form, ...]:
    return FORMS if choice == "both" else (choice,)  # type: ignore[return-value]


def last_minibatch_start(samples: int, batch: int) -> int:
    """The last ``i`` of MATLAB's ``for i = 1:batch:samples``: short when batch does not divide samples."""
    return (samples - 1) // batch * batch + 1


def case_from_args(args: argparse.Namespace) -> Case:
    """Draw the case the flags describe, or load ``--inputs``; bad values raise InputError."""
    if getattr(args, "inputs", None) is not None:
        return load_case(args.inputs, args)
    if args.start is None:
        args.start = last_minibatch_start(args.samples, args.batch)
    if not 1 <= args.start <= args.samples:
        raise InputError(f"--start is {args.start}; expected a 1-based row with 1 <= --start <= --samples "
                         f"({args.samples}), as MATLAB's i in X(i:batch_end, :).")
    return draw_case(args.seed, args.sizes, args.samples, args.batch, args.start, label="seeded")


def load_case(path: Path, args: argparse.Namespace) -> Case:
    """Inputs from an ``.npz`` (as ``compare --save`` writes): X y W1 b1 W2 b2 W3 b3, and i, batch_size."""
    if not path.is_file():
        raise InputError(f"--inputs {path} does not exist; expected an .npz file with {' '.join(INPUT_KEYS)}.")
    stored = read_npz("--inputs", path)  # corrupt, truncated or oversized archives: one sentence
    missing = [k for k in INPUT_KEYS if k not in stored]
    if missing:
        raise InputError(f"--inputs {path} lacks {', '.join(missing)}; expected the arrays {' '.join(INPUT_KEYS)}.")
    for key in ("i", "batch_size"):
        if key in stored and stored[key].ndim != 0:
            raise InputError(f"--inputs {path}: {key} has shape {stored[key].shape}; expected a single whole number.")
    batch = stored["batch_size"].item() if "batch_size" in stored else args.batch
    if "i" in stored:
        i = stored["i"].item()
    elif args.start is not None:
        i = args.start
    else:  # the last minibatch, once X and batch_size are known to be sound
        rows = stored["X"].shape[0] if stored["X"].ndim == 2 else 1
        whole = isinstance(batch, int) or (isinstance(batch, float) and batch.is_integer())  # 8.0 is 8
        i = last_minibatch_start(rows, int(batch)) if whole and batch >= 1 else 1
    inputs = check_block_inputs(stored["X"], stored["y"], stored["W1"], stored["b1"], stored["W2"], stored["b2"],
                                stored["W3"], stored["b3"], i, batch)
    return Case(f"inputs from {path}", args.seed, inputs)
