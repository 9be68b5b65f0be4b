"""Python int inputs (MATLAB's 1-based ``i``, ``batch_size``): exact integers that compute as the plain twin's ints."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from dlparity.bounds.tracked.values import TINY, Tracked, U, _Fields, refuse


def _int_operand(other: Any) -> int | None:
    """``other`` as a Python int when it is one (a bool too: False * i is the int 0 in plain Python), a NumPy
    integer scalar (its exact value: the plain twin's int64 arithmetic agrees while it does not overflow) or an
    :class:`_Integer`; else None."""
    kind = type(other)
    if kind is int:
        return other
    if kind is _Integer:
        return other.n
    return int(other) if kind is bool or isinstance(other, np.integer) else None


def _int_method(op: Callable[[int, int], Any], general: str | Callable[[Any, Any], Any],
                reflected: bool = False) -> Callable[[Any, Any], Any]:
    """An :class:`_Integer` operator: ``op`` on Python ints (exact, as in the plain twin) when the other operand is
    an int, else ``general``: Tracked's operator of that name (its rule, through the one dispatch, looked up when
    called: :mod:`.dispatch` attaches it) or a refusal. A list, tuple or text operand is left to Python
    (``[0.5] * n`` repeats the list, as in the plain twin)."""
    def method(self: _Integer, other: Any) -> Any:
        m = _int_operand(other)
        if m is not None:
            r = op(m, self.n) if reflected else op(self.n, m)
            return _Integer(r) if type(r) is int else r  # a comparison's Python bool, divmod's pair as they are
        if isinstance(other, (list, tuple, str, bytes)):
            return NotImplemented
        if isinstance(general, str):
            return getattr(Tracked, general)(self, other)
        return general(self, other)
    return method


def _int_quotient(a: int, b: int) -> Tracked:
    """``a / b`` of two ints as Python computes it (the exact quotient rounded once), as a tracked 0-d value: bound
    0 where the quotient is a double, else u|q| (round to nearest)."""
    q = a / b  # ZeroDivisionError as in the plain twin
    n, d = q.as_integer_ratio()
    return Tracked(np.array(q), None if n * b == a * d else np.array(max(U * abs(q), TINY)), 1)  # TINY: subnormal


class _Integer(Tracked):
    """A Python int input, as MATLAB's 1-based ``i`` and ``batch_size``: exact, as it is in the plain twin.

    With Python ints (and with each other) it computes as Python ints do, exact whatever the size: ``+ - *``,
    ``**``, ``// % divmod``, bit operations, ``abs``; its comparisons with ints and floats are Python bools,
    as in the plain twin; it indexes, hashes, prints, rounds and converts as its int; ``2 / batch_size`` is
    Python's quotient, rounded once (:func:`binary`, :func:`_int_quotient`). With a float or an array it is a
    tracked 0-d float64: the float64 nearest the int, with the conversion's own error as its bound (0 up to
    2^53), as the plain twin converts it there.
    A plain number made from it (``int(i)``, a comparison, ``len(x[:i])``) computes in plain Python, as
    every plain number in the twin does: see :func:`track`.
    """

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:  # the Tracked fields are made on first read (__getattr__): most never are
        self.n = n

    def __getattr__(self, name: str) -> Any:
        if name in _TRACKED_FIELDS:
            n = self.n
            try:
                f = float(n)
            except OverflowError:
                refuse(f"an integer of {n.bit_length()} bits as a float64", "it is beyond float64's range")
            d = abs(int(f) - n)  # the conversion's error, an integer: 0 up to 2^53
            err = float(d)
            if err < d:
                err = math.nextafter(err, math.inf)
            Tracked.__init__(self, np.array(f), np.array(err) if d else None)
            return getattr(self, name)
        if name.startswith("_") or name == "reason":  # (an untracked array's slot, unset here: copy skips it)
            raise AttributeError(name)
        if hasattr(self.n, name):  # i.bit_length(), i.numerator: the int's own, as in the plain twin
            return getattr(self.n, name)
        refuse(f"int.{name}")

    __add__ = __radd__ = __iadd__ = _int_method(operator.add, "__add__")
    __sub__ = __isub__ = _int_method(operator.sub, "__sub__")
    __rsub__ = _int_method(operator.sub, "__rsub__", reflected=True)
    __mul__ = __rmul__ = __imul__ = _int_method(operator.mul, "__mul__")
    __floordiv__ = __ifloordiv__ = _int_method(operator.floordiv, "__floordiv__")
    __rfloordiv__ = _int_method(operator.floordiv, "__floordiv__", reflected=True)
    __mod__ = __imod__ = _int_method(operator.mod, "__mod__")
    __rmod__ = _int_method(operator.mod, "__mod__", reflected=True)
    __divmod__ = _int_method(divmod, "__divmod__")
    __rdivmod__ = _int_method(divmod, "__rdivmod__", reflected=True)
    __and__ = __rand__ = _int_method(operator.and_, "__and__")
    __or__ = __ror__ = _int_method(operator.or_, "__or__")
    __xor__ = __rxor__ = _int_method(operator.xor, "__xor__")
    __lshift__ = _int_method(operator.lshift, "__lshift__")
    __rshift__ = _int_method(operator.rshift, "__rshift__")
    __rlshift__ = _int_method(operator.lshift, "__rlshift__", reflected=True)
    __rrshift__ = _int_method(operator.rshift, "__rrshift__", reflected=True)

    def _compared(self, other: Any, op: Callable[[Any, Any], bool], tracked: str) -> Any:
        m = _int_operand(other)
        if m is not None or type(other) is float:  # Python compares an int with an int or a float exactly
            return op(self.n, other if m is None else m)
        return getattr(Tracked, tracked)(self, other)  # Tracked's comparison: a mask

    def __eq__(self, other: Any) -> Any:
        if other is None or isinstance(other, (str, bytes, list, tuple, dict)):
            return NotImplemented  # Python's answer: not equal
        return self._compared(other, operator.eq, "__eq__")

    def __ne__(self, other: Any) -> Any:
        if other is None or isinstance(other, (str, bytes, list, tuple, dict)):
            return NotImplemented
        return self._compared(other, operator.ne, "__ne__")

    def __gt__(self, other: Any) -> Any:
        return self._compared(other, operator.gt, "__gt__")

    def __ge__(self, other: Any) -> Any:
        return self._compared(other, operator.ge, "__ge__")

    def __lt__(self, other: Any) -> Any:
        return self._compared(other, operator.lt, "__lt__")

    def __le__(self, other: Any) -> Any:
        return self._compared(other, operator.le, "__le__")

    def __pow__(self, p: Any, mod: Any = None) -> Tracked:
        q = _int_operand(p)
        if mod is not None:  # pow(i, p, m): Python's modular power, exact; ints only
            m = _int_operand(mod)
            if q is None or m is None:
                refuse("pow() with a modulus of a tracked int with a non-int", "only ints are tracked there")
            return _Integer(pow(self.n, q, m))
        if q is not None and 0 <= q <= 4096:  # as Python's int power: exact
            return _Integer(self.n**q)
        return Tracked.__pow__(self, p)

    __ipow__ = __pow__

    def __rpow__(self, base: Any) -> Tracked:
        if type(base) is int and 0 <= self.n <= 4096:
            return _Integer(base**self.n)
        return Tracked.__rpow__(self, base)

    def __neg__(self) -> Tracked:
        return _Integer(-self.n)

    def __abs__(self) -> Tracked:
        return _Integer(abs(self.n))

    def __invert__(self) -> Tracked:
        return _Integer(~self.n)

    def __hash__(self) -> int:  # type: ignore[override]  # as its int's, so that i in {1, 2} and d[i] work
        return hash(self.n)

    def __index__(self) -> int:
        return self.n

    def __int__(self) -> int:
        return self.n

    def __trunc__(self) -> int:
        return self.n

    __floor__ = __ceil__ = __trunc__

    def __round__(self, ndigits: int | None = None) -> Tracked:
        return self if ndigits is None or ndigits >= 0 else _Integer(round(self.n, ndigits))

    def plain(self) -> Any:
        return self.n

    def __str__(self) -> str:
        return str(self.n)

    def __repr__(self) -> str:
        return repr(self.n)

    def __float__(self) -> float:  # exact up to 2^53: a plain float, as int(i) is a plain int
        f = float(self.n)
        if int(f) != self.n:
            refuse(f"float() of the integer {self.n}" if self.n.bit_length() < 200 else "float() of a large integer",
                   "float64 cannot hold it exactly")
        return f

    def __format__(self, spec: str) -> str:
        return format(self.n, spec)

    def __bool__(self) -> bool:
        return self.n != 0


_TRACKED_FIELDS = frozenset(_Fields.__slots__) - {"__weakref__", "reason"}


