"""Checking the inputs of a pair before anything runs: names usable on both sides, values numeric and finite,
the MATLAB function's declared arguments matched, a chosen tolerance sound. Each failure is one sentence."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dlparity.matlab_file import MatlabFile, statements
from dlparity.names import for_twin
from dlparity.validation import InputError
from dlparity.values import Cell, StructArray, matlab_path

_MATLAB_NAME = re.compile(r"[A-Za-z]\w{0,62}")


@dataclass(frozen=True)
class CheckedInputs:
    """One case's inputs, checked: what the Python twin gets and what Octave gets, name -> value."""

    python: dict[str, Any]
    octave: dict[str, Any]


def check_cases(inputs: Mapping[str, Any] | Sequence[Mapping[str, Any]],
                labels: Sequence[str] | None) -> tuple[list[CheckedInputs], list[str]]:
    """Every case checked, with its label (default ``"1"``, ``"2"``, …)."""
    cases_in = [inputs] if isinstance(inputs, Mapping) else list(inputs)
    if not cases_in:
        raise InputError("inputs is empty; expected a dict of name -> array, or a list of them (one per case).")
    names = [str(k) for k in labels] if labels is not None else [str(k + 1) for k in range(len(cases_in))]
    if len(names) != len(cases_in):
        raise InputError(f"labels has {len(names)} names for {len(cases_in)} cases; expected one per case.")
    cases = [check_inputs(c, f" (case {n})" if len(cases_in) > 1 else "") for c, n in zip(cases_in, names, strict=True)]
    return cases, names


def check_inputs(case: Mapping[str, Any], label: str) -> CheckedInputs:
    """One case's inputs, checked: names usable on both sides, values numeric, finite, real (or text)."""
    if not isinstance(case, Mapping):
        raise InputError(f"inputs{label} is a {type(case).__name__}; expected a dict of name -> array.")
    py: dict[str, Any] = {}
    oc: dict[str, Any] = {}
    for name, value in case.items():
        if not isinstance(name, str) or not _MATLAB_NAME.fullmatch(name):
            raise InputError(f"input name {name!r}{label} is not a valid MATLAB variable name (a letter, then up to 62 "
                             "letters, digits or underscores).")
        if name.startswith("dlparity_"):
            raise InputError(f"input name {name!r}{label} starts with 'dlparity_', which the harness reserves for its "
                             "own Octave variables; rename it.")
        py[name], oc[name] = check_value(name, value, label)
    return CheckedInputs(for_twin(py, label), oc)  # the twin takes MATLAB's lambda as lambda_ (dlparity.names)


def check_value(name: str, value: Any, label: str) -> tuple[Any, Any]:
    """(what Python gets, what Octave gets) for one input value; ``name`` is its MATLAB path (``nn.W{2}``).

    Structs (dicts), cells (lists, :class:`~dlparity.values.Cell`) and struct arrays
    (:class:`~dlparity.values.StructArray`) are checked leaf by leaf, to any depth.
    """
    if isinstance(value, StructArray):
        for f in value.fields:
            _check_field_name(name, f, label)
        pairs = [{f: check_value(matlab_path(name, [("elem", k), ("field", f)]), item[f], label) for f in value.fields}
                 for k, item in enumerate(value)]
        return (StructArray([{f: p[0] for f, p in e.items()} for e in pairs], value.shape, value.fields),
                StructArray([{f: p[1] for f, p in e.items()} for e in pairs], value.shape, value.fields))
    if isinstance(value, Mapping):
        py_d: dict[str, Any] = {}
        oc_d: dict[str, Any] = {}
        for f, v in value.items():
            _check_field_name(name, f, label)
            py_d[f], oc_d[f] = check_value(matlab_path(name, [("field", f)]), v, label)
        return py_d, oc_d
    if isinstance(value, list):
        shape = value.shape if isinstance(value, Cell) else None
        items = [check_value(matlab_path(name, [("cell", k)]), v, label) for k, v in enumerate(value)]
        if shape is None:
            return [p for p, _ in items], [o for _, o in items]
        return Cell([p for p, _ in items], shape), Cell([o for _, o in items], shape)
    return _check_leaf(name, value, label)


def _check_leaf(name: str, value: Any, label: str) -> tuple[Any, Any]:  # noqa: PLR0911, PLR0912 (one branch per kind)
    """(what Python gets, what Octave gets) for one value that is neither a struct nor a cell."""
    if isinstance(value, tuple):
        raise InputError(f"input {name}{label} is a tuple; expected a list (a MATLAB cell array) or a NumPy array.")
    if isinstance(value, str):
        return value, value
    if isinstance(value, (bool, np.bool_)):
        return bool(value), bool(value)
    if isinstance(value, np.integer) and value.dtype != np.int64:  # an explicit class: MATLAB gets that class
        return value, value
    if isinstance(value, (int, np.integer)):
        whole = int(value)
        if abs(whole) > 2**53:
            raise InputError(f"input {name}{label} is the integer {whole}, beyond 2**53, which a MATLAB double cannot "
                             f"hold exactly; expected integers of magnitude at most 2**53 = {2**53}.")
        return whole, float(whole)
    if isinstance(value, np.floating) and value.dtype == np.float32:
        if not np.isfinite(value):
            raise InputError(f"input {name}{label} is {value}; expected a finite number (the bounds assume no NaN or Inf).")
        return value, value
    if isinstance(value, (float, np.floating)):
        real = float(value)
        if not math.isfinite(real):
            raise InputError(f"input {name}{label} is {real}; expected a finite number (the bounds assume no NaN or Inf).")
        return real, real
    if isinstance(value, (complex, np.complexfloating)):
        raise InputError(f"input {name}{label} is complex; expected real numbers (only real values are compared).")
    if not isinstance(value, np.ndarray):
        raise InputError(f"input {name}{label} is a {type(value).__name__}; expected a NumPy array, a number, a string, "
                         "a dict (struct), a list (cell array) or a dlparity.values.StructArray.")
    kind = value.dtype.kind
    if kind == "b":
        return value.copy(), value.copy()
    if kind in "iu" and value.dtype != np.int64:  # int8 ... uint64 but NumPy's default int: that MATLAB class
        return value.copy(), value.copy()
    if kind in "iu":
        # NumPy's default integer (np.array([1, 2])) is taken as MATLAB's double, as a MATLAB literal is; checked as
        # integers: as float64, 2**53 + 1 rounds to 2**53 and would pass (and np.abs of int64's minimum overflows)
        limit = np.array(2**53, dtype=value.dtype)
        beyond = (value > limit) | (value < -limit)
        if beyond.any():
            where = tuple(int(k) for k in np.argwhere(beyond)[0])
            at = f" at index {where}" if value.ndim else ""
            raise InputError(f"input {name}{label} holds the integer {int(value[where])}{at}, beyond 2**53, which "
                             f"a MATLAB double cannot hold exactly; expected integers of magnitude at most 2**53 = "
                             f"{2**53}.")
        if value.ndim == 0:
            return int(value), float(value)
        arr = value.astype(np.float64)
        return arr, arr.copy()
    if kind == "f":
        # float32 is MATLAB's single; any other float (float16, longdouble) is taken as a double
        arr = np.array(value, dtype=np.float32 if value.dtype == np.float32 else np.float64)  # a copy
        if not np.all(np.isfinite(arr)):
            where = np.argwhere(~np.isfinite(arr))[0]
            raise InputError(f"input {name}{label} holds {arr[tuple(where)]} at index {tuple(int(k) for k in where)}; "
                             "expected finite numbers (the rounding-error bounds assume no NaN or Inf).")
        return arr, arr.copy()
    what = {"c": "complex", "O": "object (pickled Python objects)", "U": "text", "S": "bytes", "V": "structured",
            "M": "datetime", "m": "timedelta"}.get(kind, kind)
    article = "an" if what[0] in "aeiou" else "a"
    raise InputError(f"input {name}{label} is {article} {what} array (dtype {value.dtype}); expected real numbers or booleans.")


def _check_field_name(name: str, field_name: Any, label: str) -> None:
    if not isinstance(field_name, str) or not _MATLAB_NAME.fullmatch(field_name):
        raise InputError(f"input {name}{label} has a field named {field_name!r}, which is not a valid MATLAB field name "
                         "(a letter, then up to 62 letters, digits or underscores).")


def check_tolerance(rtol: float | None, atol: float | None, prefix: str = "") -> dict[str, float] | None:
    """A chosen tolerance as ``{"rtol": r, "atol": a}`` (a flag not given is 0), or None when neither is given;
    ``prefix`` names the pair in the sentence (``fallback_``)."""
    if rtol is None and atol is None:
        return None
    out = {}
    for flag, value in (("rtol", rtol), ("atol", atol)):
        if value is None:
            out[flag] = 0.0
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise InputError(f"{prefix}{flag} is {value!r}; expected a finite number >= 0.")
        if not (math.isfinite(float(value)) and float(value) >= 0):
            raise InputError(f"{prefix}{flag} is {value!r}; expected a finite number >= 0.")
        out[flag] = float(value)
    return out


def check_path(path: str | Path | Sequence[str | Path] | None, flag: str = "path") -> list[Path]:
    """The folders to put on Octave's path for the call (absolute), each an existing folder; ``[]`` for none.
    ``flag`` names the argument in the sentence (``--path`` on the command line)."""
    if path is None:
        return []
    entries = [path] if isinstance(path, (str, Path)) else list(path)
    folders = []
    for entry in entries:
        if not isinstance(entry, (str, Path)):
            raise InputError(f"{flag} holds a {type(entry).__name__}; expected folder names (str or pathlib.Path).")
        folder = Path(entry)
        if not folder.is_dir():
            what = "is a file" if folder.exists() else "does not exist"
            raise InputError(f"{flag} {str(entry)!r} {what}; expected a folder of .m files to put on Octave's path "
                             "for the call (a toolbox's util/ beside NN/).")
        folders.append(folder.resolve())
    return folders


def _reads_nargin(mfile: MatlabFile) -> bool:
    """The function file reads ``nargin`` (outside comments), so its trailing arguments may be left out."""
    return any(re.search(r"\bnargin\b", st.text) for st in statements(list(mfile.lines)))


def check_matlab_side(mfile: MatlabFile, cases: list[CheckedInputs]) -> None:
    """A function file's declared arguments and outputs usable by name, and each case holding exactly its arguments."""
    if mfile.kind != "function":
        return
    for special in ("varargin",):
        if special in mfile.arguments:
            raise InputError(f"matlab {mfile.path.name} declares {special}; the pair mode matches inputs to declared "
                             "argument names, so declare each argument by name.")
    if "varargout" in mfile.outputs:
        raise InputError(f"matlab {mfile.path.name} declares varargout; declare each output by name so it can be compared.")
    if mfile.name != mfile.path.stem:
        raise InputError(f"matlab {mfile.path.name} declares function {mfile.name!r}; Octave calls a function file by "
                         f"its file name, so rename the function to {mfile.path.stem!r} (or the file).")
    for c in cases:
        given = list(c.octave)
        missing = [a for a in mfile.arguments if a not in given]
        extra = [g for g in given if g not in mfile.arguments]
        if missing and _reads_nargin(mfile) and list(mfile.arguments[-len(missing):]) == missing:
            missing = []  # MATLAB's optional trailing arguments: called with fewer, the function sees nargin < its count
        if missing:
            raise InputError(f"the inputs lack {', '.join(missing)}, which {mfile.path.name} declares as arguments "
                             f"({', '.join(mfile.arguments)}); the inputs hold {', '.join(given) or 'nothing'}.")
        if extra:
            raise InputError(f"the inputs hold {', '.join(extra)}, which {mfile.path.name} does not declare as arguments "
                             f"({', '.join(mfile.arguments) or 'none'}).")

