r"""Running a twin on bound-tracking arrays: :func:`track` wraps the inputs, calls the twin and finishes every value it
returns (the final widening :math:`1 + 2\gamma_k` of §6 applied)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from dlparity.bounds.hand import gamma
from dlparity.bounds.tracked.convolution import scipy_signal_routed
from dlparity.bounds.tracked.everyday import arange_takes_int_inputs
from dlparity.bounds.tracked.integers import _Integer
from dlparity.bounds.tracked.values import (
    _CAREFUL,
    _NO_AMBIGUITY,
    _RUN,
    Ambiguity,
    Array,
    Tracked,
    TrackedMask,
    TrackedValue,
    UnsupportedOperation,
    Untracked,
    UntrackedArray,
    _all_finite,
    _Fresh,
    _Input0d,
    _Run,
    called_from_twin,
    weak_scalar,
)
from dlparity.values import Cell, StructArray

_multiply = np.multiply

_F64 = np.dtype(np.float64)


def _input(name: str, value: Any, error: Any) -> Any:
    """One input as a :class:`Tracked`, exact unless ``error`` bounds it (text and booleans as they are).

    A float64 array is taken as it is, without a scan for inf or NaN: its entries are checked where the
    twin computes with them (every rounding rule's bound is non-finite there, and :func:`track` then
    names the input), so rows the twin never reads cost nothing.
    """
    kind = type(value)  # the common cases first: a float64 array, a Python int (as 1-based i, batch_size)
    if kind is np.ndarray and error is None and value.dtype is _F64:
        return Tracked(value) if value.ndim else _Input0d(value)  # the caller's memory: a write copies it first
    if kind is int and (error is None or np.all(np.asarray(error, dtype=np.float64) == 0)):
        return _Integer(value)  # exact as a Python int, as in the plain twin; as a float64 it charges its conversion
    if isinstance(value, (str, bool, np.bool_)) or (isinstance(value, np.ndarray) and value.dtype == np.bool_):
        if error is not None:
            raise TypeError(f"errors[{name!r}] is given for a text or boolean input, which is exact; give errors "
                            "for numeric inputs only.")
        if isinstance(value, np.ndarray):  # a certain mask: np.mean(b) or b * x stay tracked
            return TrackedMask(value, None, _NO_AMBIGUITY)
        return value  # text and single booleans are exact and round nowhere: the twin gets them as they are
    if isinstance(value, (int, np.integer)) and not (abs(int(value)) <= 2**1023 and int(float(value)) == int(value)):
        raise ValueError(f"input {name!r} is the integer {int(value)}, which float64 cannot hold exactly (beyond "
                         "2^53); the bound tracker takes integers it can hold.")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind in "iu" and not isinstance(value, (int, np.integer))) or (
            arr.dtype.kind == "f" and arr.dtype not in (np.float64, np.float32) and not isinstance(value, float)):
        raise TypeError(f"input {name!r} has dtype {arr.dtype}; the bound tracker takes float64 and float32 arrays "
                        "and Python ints or floats (integer, complex and other float arrays are refused).")
    v = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64)  # float32 (MATLAB's single) stays float32
    if not np.isfinite(v).all():
        raise ValueError(_not_finite(name))
    if error is None:
        return weak_scalar(Tracked(v)) if kind is float else Tracked(v)  # a Python float is weak (NEP 50)
    e = np.broadcast_to(np.asarray(error, dtype=np.float64), v.shape).copy()
    if not (np.isfinite(e).all() and (e >= 0).all()):
        raise ValueError(f"errors[{name!r}] must be finite and non-negative, broadcastable to {v.shape}.")
    out = Tracked(v, e if e.any() else None)
    return weak_scalar(out) if kind is float else out


def _not_finite(name: str) -> str:
    return f"input {name!r} is not finite; first-order bounds need finite inputs."


def _leaves(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every leaf of a nested input or output, with its path (``nn.W[0]``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(f"{name}.{key}", item)
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            yield from _leaves(f"{name}[{k}]", item)
    else:
        yield name, value


def _refuse_non_finite_input(inputs: Mapping[str, Any]) -> None:
    """Raise ValueError naming every float64 input array that holds inf or NaN, if there is one."""
    bad = [path for name, value in inputs.items() for path, leaf in _leaves(name, value)
           if type(leaf) is np.ndarray and leaf.dtype.kind == "f" and not np.isfinite(leaf).all()]
    if len(bad) == 1:
        raise ValueError(_not_finite(bad[0]))
    if bad:
        names = ", ".join(repr(name) for name in bad[:-1]) + f" and {bad[-1]!r}"
        raise ValueError(f"inputs {names} are not finite; first-order bounds need finite inputs.")


def _widening(k: int) -> Array:
    r"""The final widening :math:`1 + 2\gamma_k` (§6) as a 0-d array, made once per k (kept in ``_WIDENINGS``):
    NumPy multiplies by a 0-d array with less work than by a Python float, to the same product."""
    w = _WIDENINGS.get(k)
    if w is None:
        w = _WIDENINGS[k] = np.array(1.0 + 2.0 * gamma(k))
    return w


_WIDENINGS: dict[int, Array] = {}
_tuple_new = tuple.__new__  # a NamedTuple from its fields without the generated __new__'s Python frame


def ambiguous_count(amb: Ambiguity) -> int:
    """Mask-ambiguous entries, over every comparison a value depends on."""
    return sum(count for _, count in amb)


def finish(value: Any) -> TrackedValue:
    """One returned value as a :class:`TrackedValue`, the final widening ``1 + 2gamma_k`` applied."""
    if isinstance(value, Tracked):
        e = value.e
        error = np.zeros(value.v.shape) if e is None else np.asarray(_multiply(e, _widening(value.k)))
        return TrackedValue(value.v, error, ambiguous_count(value.amb) if value.amb else 0)
    if isinstance(value, TrackedMask):
        as_float = value.v.astype(np.float64)
        error = np.zeros_like(as_float) if value.ambiguous is None else value.ambiguous.astype(np.float64)
        return TrackedValue(as_float, error, ambiguous_count(value.amb))
    if type(value) is int:  # a plain int the twin made (as math.floor(i)): its float64, charged the conversion
        return finish(_Integer(value))
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"a returned value has dtype {arr.dtype}; the bound tracker returns real values only.")
    as_float = arr.astype(np.float64)
    return TrackedValue(as_float, np.zeros_like(as_float), 0)


def track(func: Callable[..., Any], inputs: Mapping[str, Any], errors: Mapping[str, Any] | None = None,
          ) -> dict[str, Any]:
    r"""Run ``func(**inputs)`` on bound-tracking arrays; return every variable it returns with its bound.

    Parameters
    ----------
    func : callable
        An unmodified NumPy function, called as ``func(**kwargs)``, returning a dict of name to value.
    inputs : mapping of str to array-like, or to a nest of them
        float64 arrays of any shape (0-d and MATLAB's (1, 1) included), Python ints and floats:
        each is wrapped as :class:`Tracked`, exact unless ``errors`` gives its bound. Strings,
        booleans, boolean arrays and None are exact and reach the twin as they are (a boolean array
        times a tracked one is a mask with no ambiguous entry). Any of these may sit in dicts, lists,
        tuples, :class:`~dlparity.values.Cell` and :class:`~dlparity.values.StructArray` to any depth
        (MATLAB's structs and cells): the twin gets the same nest, each leaf wrapped.
    errors : mapping of str to array-like, optional
        Bounds on the inputs' distance from exact (broadcastable to each input's shape), nested as
        the input is.

    Returns
    -------
    dict of str to TrackedValue or Untracked, or to a nest of them
        For each returned name, nested as the twin returned it (dict, list, tuple, Cell with its shape,
        StructArray), each numeric leaf as :class:`TrackedValue`: the value (bit for bit plain NumPy's),
        the bound with the final widening :math:`1 + 2\gamma_k` applied, and the count of mask-ambiguous
        entries reaching it; or as :class:`Untracked` (the value and why) where the value depends on an
        operation without a rule (the first one is named, with the twin's line), and for every leaf when
        a value escaped the tracker (``float(x)``, ``np.asarray(x)``, ``.item()``, ``out=``, ``bool()``
        of an ambiguous comparison): what the twin did with the plain value cannot be followed.
        Text and None leaves are returned as they are.

    Notes
    -----
    Arithmetic on plain Python numbers inside the twin happens before the tracker sees it: with a
    plain ``batch_size``, ``2 / batch_size`` is a rounded constant taken as exact. Pass such
    numbers as inputs (this function wraps Python ints and floats) so the division is tracked. A
    plain number the twin makes from a tracked int (``int(i)``, ``len(x[:i])``, ``i > 3``, a
    shape) is plain as in the plain twin, and so is its own arithmetic: ``1 / int(n)`` is a
    rounded constant taken as exact, where ``1 / n`` is tracked.
    """
    if errors:
        unknown = set(errors) - set(inputs)
        if unknown:
            raise TypeError(f"errors names {sorted(unknown)} that are not inputs; expected some of {sorted(inputs)}.")
    errors = errors or {}
    wrapped = {name: _wrapped(name, value, errors.get(name)) for name, value in inputs.items()}
    try:
        try:
            with np.errstate(under="raise"):  # the first-order model holds only where nothing underflows
                return _run(func, wrapped, inputs)
        except FloatingPointError as exc:
            if "underflow" not in str(exc):
                raise
        token = _CAREFUL.set(True)  # something underflowed: again, with absolute slack on every rounding
        try:
            with np.errstate(under="ignore"):
                return _run(func, wrapped, inputs)
        finally:
            _CAREFUL.reset(token)
    except UnsupportedOperation:  # an input holding inf or NaN is the cause to name, when there is one
        _refuse_non_finite_input(inputs)
        raise


def _wrapped(name: str, value: Any, error: Any) -> Any:
    """An input as the tracked twin gets it: each numeric leaf of a nest wrapped (:func:`_input`), the nest kept."""
    if isinstance(value, Mapping):
        return {k: _wrapped(f"{name}.{k}", v, _part(name, error, k)) for k, v in value.items()}
    if isinstance(value, StructArray):
        return StructArray([_wrapped(f"{name}({j + 1})", v, _part(name, error, j)) for j, v in enumerate(value)],
                           value.shape, value.fields)
    if isinstance(value, Cell):
        return Cell([_wrapped(f"{name}{{{j + 1}}}", v, _part(name, error, j)) for j, v in enumerate(value)], value.shape)
    if type(value) in (list, tuple):
        return type(value)(_wrapped(f"{name}[{j}]", v, _part(name, error, j)) for j, v in enumerate(value))
    if value is None:
        return None
    return _input(name, value, error)


def _part(name: str, error: Any, key: Any) -> Any:
    """The part of a nested input's ``errors`` entry for one of its items (None: that item is exact)."""
    if error is None:
        return None
    try:
        return error[key]
    except (KeyError, IndexError, TypeError):
        raise TypeError(f"errors[{name!r}] must be nested as the input is (a dict, list or cell holding the bounds "
                        f"of its numeric items); it has no item {key!r}.") from None


#: NumPy's constructors of a float64 array from a shape. Inside a run, called from the twin, each gives an exact
#: tracked array, so that a twin can preallocate and fill (``G = np.zeros((m, n))``, then ``G[:, k] = ...`` or
#: ``D2 += ...``); a plain array could not hold a bound, and storing into it is an escape.
CONSTRUCTORS = ("zeros", "ones", "empty", "full")


def _tracked_constructor(original: Callable[..., Any]) -> Callable[..., Any]:
    def constructor(*args: Any, **kwargs: Any) -> Any:
        if _RUN.get() is None or not called_from_twin():  # not the twin's own call: NumPy's plain array
            return original(*args, **kwargs)
        fill = args[1] if original is np.full and len(args) > 1 else kwargs.get("fill_value")
        if isinstance(fill, (Tracked, TrackedMask, UntrackedArray)):  # np.full(shape, x): written as x, bound and all
            plain_args = (args[0], 0.0, *args[2:]) if len(args) > 1 else args
            out = Tracked(original(*plain_args, **{k: v for k, v in kwargs.items() if k != "fill_value"}))
            out[...] = fill
            return out
        out = original(*args, **kwargs)
        return Tracked(out) if isinstance(out, np.ndarray) and out.dtype in (np.float64, np.float32) else out
    constructor.__wrapped__ = original  # type: ignore[attr-defined]
    return constructor


#: NumPy's constructors as NumPy made them, and each as the twin gets it inside a run
_NUMPY_CONSTRUCTORS = {name: getattr(np, name) for name in CONSTRUCTORS}
_TRACKED_CONSTRUCTORS = {name: _tracked_constructor(f) for name, f in _NUMPY_CONSTRUCTORS.items()}


def _run(func: Callable[..., Any], wrapped: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """One run of the twin (in its own :class:`_Run`), and every returned value finished."""
    run = _Run(wrapped)
    token = _RUN.set(run)
    outer = np.zeros is _TRACKED_CONSTRUCTORS["zeros"]  # a run inside a run: already in place
    if not outer:
        for name, f in _TRACKED_CONSTRUCTORS.items():
            setattr(np, name, f)
    try:
        # np.arange takes int inputs, scipy.signal's convolutions take tracked operands: for this run only
        with arange_takes_int_inputs(), scipy_signal_routed(func):
            out = func(**wrapped)
    finally:
        _RUN.reset(token)
        if not outer:
            for name, f in _NUMPY_CONSTRUCTORS.items():
                setattr(np, name, f)
    if not isinstance(out, Mapping):
        raise TypeError(f"the tracked function returned a {type(out).__name__}; the bound tracker expects a "
                        "dict of variable name to value.")
    finished: dict[int, Any] = {}  # one value returned under two names (y_pred = z3) is finished once
    return {name if type(name) is str else str(name): _finished(value, finished, inputs, run.escaped)
            for name, value in out.items()}


def _finished(value: Any, done: dict[int, Any], inputs: Mapping[str, Any], escaped: str | None) -> Any:  # noqa: PLR0911 (one return per kind of nest)
    """A returned value, nested as returned, each numeric leaf a :class:`TrackedValue` or :class:`Untracked`."""
    kind = type(value)
    if kind is Tracked or kind is _Fresh:  # the common case first
        key = id(value)
        leaf = done.get(key)
        if leaf is None:
            leaf = done[key] = _finish_tracked(value, inputs)
    elif isinstance(value, Mapping):
        return {k: _finished(v, done, inputs, escaped) for k, v in value.items()}
    elif isinstance(value, StructArray):
        return StructArray([_finished(v, done, inputs, escaped) for v in value], value.shape, value.fields)
    elif isinstance(value, Cell):
        return Cell([_finished(v, done, inputs, escaped) for v in value], value.shape)
    elif kind is list or kind is tuple:
        return kind(_finished(v, done, inputs, escaped) for v in value)
    elif value is None or isinstance(value, str):
        return value
    elif kind is UntrackedArray:
        return Untracked(_as_float(value.v), value.reason)
    elif (not isinstance(value, (Tracked, TrackedMask, np.ndarray, np.generic, int, float, complex))
          or (isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "USO")):
        # not a number: a char matrix (one-character strings) is compared as text; a set or an object is named
        # by the comparison as a structure difference
        return value
    else:
        leaf = finish(value)
    return leaf if escaped is None else Untracked(leaf.value, escaped)


def _as_float(v: Any) -> Any:
    arr = np.asarray(v)
    return arr.astype(np.float64) if arr.dtype.kind in "biuf" else arr


def _finish_tracked(value: Tracked, inputs: Mapping[str, Any]) -> TrackedValue:
    """:func:`finish` of a :class:`Tracked`, inline; product bounds still unevaluated are evaluated here."""
    v, e = value.v, value.e
    if e is None:  # exact: input entries moved or combined exactly, finite unless they are not
        if v.size and not _all_finite(v):
            _refuse_non_finite_input(inputs)
        error = np.zeros(v.shape)
    else:
        w = _WIDENINGS.get(value.k)
        error = _multiply(e, _widening(value.k) if w is None else w)
        if type(error) is not np.ndarray:  # a 0-d bound times a 0-d array is a NumPy scalar
            error = np.asarray(error)
    amb = value.amb
    return _tuple_new(TrackedValue, (v, error, ambiguous_count(amb) if amb else 0))
