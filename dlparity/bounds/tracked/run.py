r"""Running a twin on bound-tracking arrays: :func:`track` wraps the inputs, calls the twin and finishes every value it
returns (the final widening :math:`1 + 2\gamma_k` of §6 applied)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlparity.bounds.hand import gamma
from dlparity.bounds.tracked.integers import _Integer
from dlparity.bounds.tracked.values import (
    _CAREFUL,
    _NO_AMBIGUITY,
    Ambiguity,
    Array,
    Tracked,
    TrackedMask,
    TrackedValue,
    UnsupportedOperation,
    _all_finite,
    _Fresh,
    _Input0d,
)

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
        return Tracked(value) if value.ndim else _Input0d(value)
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
            arr.dtype.kind == "f" and arr.dtype != np.float64 and not isinstance(value, float)):
        raise TypeError(f"input {name!r} has dtype {arr.dtype}; the bound tracker takes float64 arrays "
                        "and Python ints or floats (integer, complex and other float arrays are refused: NumPy "
                        "computes float32 in float32, which the bounds do not model).")
    v = arr.astype(np.float64)
    if not np.isfinite(v).all():
        raise ValueError(_not_finite(name))
    if error is None:
        return Tracked(v)
    e = np.broadcast_to(np.asarray(error, dtype=np.float64), v.shape).copy()
    if not (np.isfinite(e).all() and (e >= 0).all()):
        raise ValueError(f"errors[{name!r}] must be finite and non-negative, broadcastable to {v.shape}.")
    return Tracked(v, e if e.any() else None)


def _not_finite(name: str) -> str:
    return f"input {name!r} is not finite; first-order bounds need finite inputs."


def _refuse_non_finite_input(inputs: Mapping[str, Any]) -> None:
    """Raise ValueError naming every float64 input array that holds inf or NaN, if there is one."""
    bad = [name for name, value in inputs.items()
           if type(value) is np.ndarray and value.dtype.kind == "f" and not np.isfinite(value).all()]
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
          ) -> dict[str, TrackedValue]:
    r"""Run ``func(**inputs)`` on bound-tracking arrays; return every variable it returns with its bound.

    Parameters
    ----------
    func : callable
        An unmodified NumPy function, called as ``func(**kwargs)``, returning a dict of name to value.
    inputs : mapping of str to array-like
        float64 arrays of any shape (0-d and MATLAB's (1, 1) included), Python ints and floats:
        each is wrapped as :class:`Tracked`, exact unless ``errors`` gives its bound. Strings,
        booleans and boolean arrays are exact and reach the twin as they are (a boolean array times
        a tracked one is a mask with no ambiguous entry).
    errors : mapping of str to array-like, optional
        Bounds on the inputs' distance from exact (broadcastable to each input's shape).

    Returns
    -------
    dict of str to TrackedValue
        For each returned name: the value (bit for bit plain NumPy's), the bound with the final
        widening :math:`1 + 2\gamma_k` applied, and the count of mask-ambiguous entries reaching it.

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
        wrapped = {name: _input(name, value, errors.get(name)) for name, value in inputs.items()}
    else:
        wrapped = {name: _input(name, value, None) for name, value in inputs.items()}
    try:
        try:
            with np.errstate(under="raise"):  # the first-order model holds only where nothing underflows
                return _finish_all(func(**wrapped), inputs)
        except FloatingPointError as exc:
            if "underflow" not in str(exc):
                raise
        token = _CAREFUL.set(True)  # something underflowed: again, with absolute slack on every rounding
        try:
            with np.errstate(under="ignore"):
                return _finish_all(func(**wrapped), inputs)
        finally:
            _CAREFUL.reset(token)
    except UnsupportedOperation:  # an input holding inf or NaN is the cause to name, when there is one
        _refuse_non_finite_input(inputs)
        raise


def _finish_all(out: Any, inputs: Mapping[str, Any]) -> dict[str, TrackedValue]:
    """Every returned value finished (:func:`finish`); product bounds still unevaluated are evaluated here."""
    if not isinstance(out, Mapping):
        raise TypeError(f"the tracked function returned a {type(out).__name__}; the bound tracker expects a "
                        "dict of variable name to value.")
    finished: dict[int, TrackedValue] = {}  # one value returned under two names (y_pred = z3) is finished once
    result = {}
    widenings = _WIDENINGS
    for name, value in out.items():
        key = id(value)
        done = finished.get(key)
        if done is None:
            kind = type(value)
            if kind is Tracked or kind is _Fresh:  # finish(value), inline for the common case
                v, e = value.v, value.e
                if e is None:  # exact: input entries moved or combined exactly, finite unless they are not
                    if v.size and not _all_finite(v):
                        _refuse_non_finite_input(inputs)
                    error = np.zeros(v.shape)
                else:
                    w = widenings.get(value.k)
                    error = _multiply(e, _widening(value.k) if w is None else w)
                    if type(error) is not np.ndarray:  # a 0-d bound times a 0-d array is a NumPy scalar
                        error = np.asarray(error)
                amb = value.amb
                done = finished[key] = _tuple_new(TrackedValue, (v, error, ambiguous_count(amb) if amb else 0))
            else:
                done = finished[key] = finish(value)
        result[name if type(name) is str else str(name)] = done
    return result
