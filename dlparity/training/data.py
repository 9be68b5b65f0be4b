"""Training data: the CSV loader both sides share, and the project's small synthetic data set.

The loader reads a file the way the upstream scripts read theirs (``readmatrix``, which Octave 7
does not have): a header row, then one sample per row, the features first and the target in the
last column. It returns float64 arrays that go unchanged to NumPy and to Octave. Every problem
with a file is one sentence naming the file, the line and column where there is one, and what
was expected, raised as :class:`~dlparity.validation.InputError` before any training starts.
Files are only read, never written.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import InputError

Array = NDArray[np.float64]

#: Seed of the synthetic data set. Fixed, so the data never depends on ``--seed`` (which draws
#: the initial weights and the permutations) and ``dlparity train`` with no arguments is
#: reproducible on any machine.
SYNTHETIC_SEED = 20240917

#: The synthetic set has the house data's columns: a constant first column, 18 features in [0, 1)
#: and two one-hot groups of 9, so the upstream preset (37 -> 128 -> 64 -> 1) applies unchanged.
SYNTHETIC_CONTINUOUS = 18
SYNTHETIC_GROUPS = (9, 9)
SYNTHETIC_FEATURES = 1 + SYNTHETIC_CONTINUOUS + sum(SYNTHETIC_GROUPS)
SYNTHETIC_TRAIN_ROWS = 1024
SYNTHETIC_VALID_ROWS = 256

@dataclass(frozen=True)
class Dataset:
    """Inputs and targets of one split, with where they came from (for messages and reports).

    Attributes
    ----------
    X : ndarray of shape (N, d)
        One sample per row.
    y : ndarray of shape (N, 1)
        Targets, a column.
    source : str
        The file path, or a description of the synthetic set.
    columns : tuple of str
        The header's column names, features then target.
    """

    X: Array
    y: Array
    source: str
    columns: tuple[str, ...]

    @property
    def N(self) -> int:  # noqa: N802 (the document's N)
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])


#: A decimal number as the loader reads it (what ``numpy.loadtxt`` parses): ASCII digits, an optional
#: sign, point and exponent, spaces around it; NaN and Inf are read here and refused as not finite.
_NUMBER = re.compile(r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity)\s*",
                     re.IGNORECASE)

#: Separators other programs write, named when a header has one column because of them.
_OTHER_SEPARATORS = {";": "semicolons (';')", "\t": "tabs", "|": "vertical bars ('|')"}

_EXPECTED = "expected a CSV file (header row, feature columns, then the target)"


def _is_number(cell: str) -> bool:
    return _NUMBER.fullmatch(cell) is not None


def _open(path: Path) -> TextIO:
    """The file opened read-only as UTF-8 text; one sentence if it is missing, not a file or unreadable."""
    if not path.exists():
        raise InputError(f"{path} does not exist; {_EXPECTED}.")
    if not path.is_file():
        raise InputError(f"{path} is not a file; {_EXPECTED}.")
    try:
        return path.open(encoding="utf-8-sig", newline=None)  # -sig: drop a byte-order mark some spreadsheets write
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror}); {_EXPECTED}.") from None


def _not_utf8(path: Path) -> InputError:
    """The sentence for a file that is not UTF-8, with the first byte that cannot be decoded."""
    try:
        path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputError(f"{path} is not UTF-8 text (byte {exc.start} cannot be decoded); {_EXPECTED}.")
    return InputError(f"{path} is not UTF-8 text; {_EXPECTED}.")  # pragma: no cover (decoded in full: not reached)


def _numbered_lines(f: TextIO) -> Iterator[tuple[int, str]]:
    """The non-blank lines with their 1-based line numbers (blank lines are skipped, as ``readmatrix`` does)."""
    for k, line in enumerate(f, start=1):
        if line.strip():
            yield k, line.rstrip("\r\n")


def read_header(path: str | Path, n_features: int | None = None, n_features_from: str = "") -> tuple[str, ...]:
    """The column names of a CSV file's header row, checked without reading the data rows.

    Raises InputError (one sentence) for a missing, unreadable or empty file, a first row of
    numbers, fewer than 2 columns (naming the separator when the header uses ``;``, a tab or
    ``|`` instead of commas), or a feature count other than ``n_features``.
    """
    path = Path(path)
    name = str(path)
    try:
        with _open(path) as f:
            first = next(_numbered_lines(f), None)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    if first is None:
        raise InputError(f"{name} is empty; expected a header row, then one row per sample.")
    header_line, header = first
    columns = tuple(c.strip().strip('"') for c in header.split(","))
    n_col = len(columns)
    if all(_is_number(c) for c in header.split(",")):
        raise InputError(
            f"line {header_line} of {name} holds only numbers; expected a header row of column names "
            "first (it would otherwise be read as names and its sample lost).")
    if n_col < 2:
        other = [what for sep, what in _OTHER_SEPARATORS.items() if sep in header]
        raise InputError(
            f"{name} has {n_col} column ({columns[0]!r}); expected at least 2: one or more features, "
            "then the target in the last column" + (
                f", separated by commas (this header is separated by {other[0]}: save the file as "
                "comma-separated values)." if other else "."))
    d = n_col - 1
    if n_features is not None and d != n_features:
        source = f" ({n_features_from})" if n_features_from else ""
        raise InputError(
            f"{name} has {d} feature column{'s' if d != 1 else ''} (then the target); expected "
            f"{n_features}, the network's input size{source}.")
    return columns


def _first_fault(path: Path, columns: tuple[str, ...]) -> InputError | None:
    """Scan the file again for the first ragged row, then the first cell that is not a number.

    Only run when NumPy's parse failed, to name the line and column; one line in memory at a time.
    """
    name, n_col = str(path), len(columns)
    with _open(path) as f:
        lines = _numbered_lines(f)
        header_line, _ = next(lines)
        for lineno, line in lines:
            n = line.count(",") + 1
            if n != n_col:
                return InputError(
                    f"line {lineno} of {name} has {n} cells; expected {n_col}, as many as the header "
                    f"(line {header_line}) has columns.")
    with _open(path) as f:
        lines = _numbered_lines(f)
        next(lines)
        for lineno, line in lines:
            for col, cell in enumerate(line.split(","), start=1):
                if not _is_number(cell):
                    shown = cell.strip() or "empty"
                    return InputError(f"line {lineno}, column {col} ({columns[col - 1]!r}) of {name} is "
                                      f"{shown!r}; expected a number.")
    return None


def _data_row(path: Path, row: int) -> tuple[int, list[str]]:
    """The line number and cells of the 0-based data row ``row``."""
    with _open(path) as f:
        lines = _numbered_lines(f)
        next(lines)
        for k, (lineno, line) in enumerate(lines):
            if k == row:
                return lineno, line.split(",")
    raise AssertionError(f"{path} has no data row {row}")  # pragma: no cover (the row was parsed)


def _parse_rows(path: Path, columns: tuple[str, ...]) -> Array:
    """The data rows as an (N, columns) float64 array, parsed by NumPy; one sentence for any fault.

    ``numpy.loadtxt`` parses in C, a chunk of lines at a time, into the growing result: the file's
    text is never held whole, and no Python object is made per cell.
    """
    name = str(path)
    try:
        with _open(path) as f:
            lines = (line for line in f if line.strip())  # blank lines skipped, as readmatrix does
            next(lines)  # the header, checked by read_header
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data": said below
                data = np.loadtxt(lines, dtype=np.float64, delimiter=",", comments=None, ndmin=2)
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except ValueError as exc:
        raise (_first_fault(path, columns)
               or InputError(f"{name} cannot be read as numbers ({exc}); {_EXPECTED}.")) from None
    if data.shape[0] == 0:
        raise InputError(f"{name} has a header row but no data rows; expected at least one sample.")
    if data.shape[1] != len(columns):  # every row alike, but not as wide as the header
        raise _first_fault(path, columns) or AssertionError(name)
    bad = ~np.isfinite(data)
    if bad.any():
        r, c = (int(k) for k in np.argwhere(bad)[0])
        lineno, cells = _data_row(path, r)
        raise InputError(
            f"line {lineno}, column {c + 1} ({columns[c]!r}) of {name} is {cells[c].strip()!r}; "
            "expected a finite number (NaN and Inf cannot be trained on).")
    return data


def load_csv(path: str | Path, n_features: int | None = None, n_features_from: str = "") -> Dataset:
    """Read a CSV with a header row, the features, and the target in the last column.

    Blank lines are skipped (as ``readmatrix`` does). Cells are plain decimal numbers (ASCII
    digits, optional sign, point and exponent), with optional spaces around them. The header is
    checked first (:func:`read_header`); the numbers are then parsed by ``numpy.loadtxt``, and the
    file is read again, a line at a time, only to name the line and column of a fault. Peak
    memory is about twice the parsed array (it, then X and y), not a multiple of the file's text.

    Parameters
    ----------
    path : str or Path
        The file to read; it is opened read-only.
    n_features : int, optional
        Expected number of feature columns d (the network's input size); None accepts any d.
    n_features_from : str
        Where ``n_features`` comes from, quoted in the mismatch message (e.g. the training file).

    Returns
    -------
    Dataset
        ``X`` of shape (N, d) and ``y`` of shape (N, 1), both float64 and C-contiguous.

    Raises
    ------
    InputError
        One sentence for: a missing or unreadable file, an empty file, a header without data
        rows, a first row that is data rather than a header, fewer than 2 columns (naming another
        separator the header uses), a row with a different number of cells than the header
        (ragged), a cell that is not a number, a NaN or infinite cell, or a feature count other
        than ``n_features``.
    """
    path = Path(path)
    columns = read_header(path, n_features, n_features_from)
    data = _parse_rows(path, columns)
    d = len(columns) - 1
    X = np.ascontiguousarray(data[:, :d])
    y = np.ascontiguousarray(data[:, d:])
    del data
    return Dataset(X=X, y=y, source=str(path), columns=columns)


def synthetic_regression(
    n_train: int = SYNTHETIC_TRAIN_ROWS, n_valid: int = SYNTHETIC_VALID_ROWS, seed: int = SYNTHETIC_SEED,
) -> tuple[Dataset, Dataset]:
    r"""The project's small deterministic regression set, used when no ``--data`` is given.

    Shaped like the house data, so the upstream preset trains on it unchanged (with lr 1e-4 and
    ``randn`` weights, features of a larger scale make the first steps overflow): column 1 is all
    ones (the house data's ``dummy``), columns 2..19 are uniform on [0, 1) (the scaled
    measurements), and columns 20..28 and 29..37 are two one-hot groups of 9 (like ``condition``
    and ``grade``); a row's squared norm is about 9 (house data: 6.6). The target is a smooth
    nonlinear function of the features plus a little noise, scaled to the house prices' range:

    .. math::

        t = \sum_{j \ge 2} w_j x_j + \sin(2\pi x_2) + 2\,x_3 x_4,\qquad
        y = 5 + 3\,\frac{t - \bar t}{\operatorname{std}(t)} + 0.1\,\varepsilon,

    with :math:`w_j \sim \mathcal N(0, 1)/3` and :math:`\varepsilon \sim \mathcal N(0, 1)`.
    All rows are drawn together from ``numpy.random.default_rng(seed)``, in the order
    continuous features, the two groups' categories, w, noise; then split, training rows first.

    Parameters
    ----------
    n_train, n_valid : int
        Rows of each split (1024 and 256 by default: 32 minibatches of 32 per epoch).
    seed : int
        Generator seed; :data:`SYNTHETIC_SEED` by default.

    Returns
    -------
    (Dataset, Dataset)
        Training and validation splits, X of shape (n, 37) and y of shape (n, 1).
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_valid
    continuous = rng.random((n, SYNTHETIC_CONTINUOUS))
    groups = []
    for size in SYNTHETIC_GROUPS:
        onehot = np.zeros((n, size))
        onehot[np.arange(n), rng.integers(0, size, n)] = 1.0
        groups.append(onehot)
    X = np.hstack([np.ones((n, 1)), continuous, *groups])
    w = rng.standard_normal(X.shape[1] - 1) / 3.0
    t = X[:, 1:] @ w + np.sin(2.0 * math.pi * X[:, 1]) + 2.0 * X[:, 2] * X[:, 3]
    y = (5.0 + 3.0 * (t - t.mean()) / t.std() + 0.1 * rng.standard_normal(n)).reshape(-1, 1)
    columns = ("dummy", *(f"x{j}" for j in range(1, SYNTHETIC_CONTINUOUS + 1)),
               *(f"g{g}_{k}" for g, size in enumerate(SYNTHETIC_GROUPS, start=1) for k in range(1, size + 1)),
               "target")
    source = f"synthetic set (seed {seed})"
    train = Dataset(X=np.ascontiguousarray(X[:n_train]), y=np.ascontiguousarray(y[:n_train]),
                    source=f"{source}, train", columns=columns)
    valid = Dataset(X=np.ascontiguousarray(X[n_train:]), y=np.ascontiguousarray(y[n_train:]),
                    source=f"{source}, valid", columns=columns)
    return train, valid
