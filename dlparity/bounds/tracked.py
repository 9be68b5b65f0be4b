r"""Bound-tracking arrays: run an unmodified NumPy twin and get a rounding-error bound for every value.

Each :class:`Tracked` carries the value NumPy computes (float64, bit for bit what plain NumPy gives
on the plain inputs) and an elementwise bound :math:`E \ge 0` on its distance from the exact result,
first order, in the notation of ``docs/error-bounds.md`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed.; :math:`u = 2^{-53}`, :math:`\gamma_n = nu/(1-nu)`). The twin is
not edited: operators, ``__array_ufunc__`` and ``__array_function__`` (NEP 13, NEP 18) bring every
operation here, and each operation states its rule for the bound right beside it. An operation
without a rule raises :class:`UnsupportedOperation` (one sentence naming it); nothing passes
through untracked.

Rules (``x̂`` computed, ``E_x`` its bound, hat dropped where clear):

=====================================  ===========================================================
operation                              bound of the result
=====================================  ===========================================================
slice, index, ``.T``, reshape, copy,   the operand's E, moved the same way (exact)
negation, ``abs``
``maximum``/``minimum``                E of the operand chosen where the choice is certain
                                       (``|a - b| > 2(E_a + E_b)``), else ``max(E_a, E_b)``
                                       (1-Lipschitz, exact)
``max``/``min`` reductions             max of E over the reduced axes (exact)
``A @ B``, inner dimension n           ``gamma_n (|A|+E_A)(|B|+E_B) + |A| E_B + E_A (|B|+E_B)``
``(A @ B) ± c``                        c is one more term of the inner product:
                                       ``gamma_(n+1) (M + |c| + E_c) + P + E_c`` (M, P: the product's
                                       magnitude and propagated parts), as the hand derivation
``a ± b`` otherwise                    ``u |a ± b| + E_a + E_b`` (u times the computed result)
``a * b``                              ``u |ab| + (|a| + E_a) E_b + E_a |b|``
``a / b`` (``|b| > E_b`` required)     ``u |a/b| + (E_a + |a/b| E_b) / (|b| - E_b)``
``x ** 2``                             ``u x² + (2|x| + E) E``; other positive integer powers: libm
``sqrt``                               ``u √x + min(E / (√x + √max(x - E, 0)), √E)``
``sum``/``mean`` of n terms            ``gamma_(n-1) Σ|x| + Σ E`` (mean: then ``/ n``, one rounding more)
comparison ``a > b`` (``>= < <=``)     a mask, exact, with entries *ambiguous* where
                                       ``|a - b| <= 2 (E_a + E_b)`` and ``E_a + E_b > 0``
``x * mask``                           ``E_x`` where the mask is on, 0 where off, and at ambiguous
                                       entries the whole product: ``|x|max + E_x`` (``|x|max``
                                       bounds the exact ``|x|``)
``exp expm1 log log1p tanh``           ``max |f'| on [x - E, x + E] · E + 4 ulp(f(x))``
=====================================  ===========================================================

Operations on exact scalars (size 1, E = 0) whose result is exactly representable keep E = 0
(checked in rational arithmetic). Python int inputs compute with ints as Python ints while exact
(:class:`_Integer`): this is what lets ``X[i - 1:batch_end, :]`` and
``min(i + batch_size - 1, X.shape[0])`` index with tracked integers.

Every bound is itself computed in floating point; each result counts the roundings along the
longest chain of its bound's evaluation (k) and :func:`track` multiplies the final bounds by
``1 + 2gamma_k``. A value or bound that stops being finite voids the first-order analysis: refused.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import math
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, NoReturn, TypeAlias

import numpy as np
from numpy.typing import NDArray

from dlparity.bounds.hand import U, gamma

Array = NDArray[np.float64]
Ambiguity = frozenset[tuple[int, int]]  # (mask id, ambiguous entries of that mask)
Magnitude: TypeAlias = "Array | tuple[Tracked, Tracked] | None"  # see Tracked.mag

#: ULPs charged to each libm-style function (exp, expm1, log, log1p, tanh, pow): glibc's manual
#: ("Known Maximum Errors in Math Functions", x86_64 double) lists at most 2 for these; NumPy's
#: AVX-512 loops from Intel SVML (numpy PR #19478) state at most 4 ULP. One ULP of y is at most 2u|y|.
LIBM_ULP = 4

#: The smallest subnormal double, 2^-1074. Where a result underflows, the relative model fl(x) = x(1 + d) fails:
#: the error can reach 2^-1075 in absolute terms, whatever u|x| says (a product that flushes to 0 gets no bound
#: at all). :func:`track` runs first with NumPy's underflow flag raising; if anything underflowed it runs again
#: with every rounding's bound raised by ``(its roundings + 2) * TINY`` (see :func:`_result`).
TINY = 2.0**-1074
_CAREFUL: contextvars.ContextVar[bool] = contextvars.ContextVar("dlparity_tracked_underflow", default=False)

_NO_AMBIGUITY: Ambiguity = frozenset()
_mask_ids = itertools.count(1)

_gamma = functools.cache(gamma)  # gamma_n, computed once per n (a pure function of n)
#: what ``np.sum`` calls for an ndarray, without its Python wrapper (typed loosely: keepdims is a plain bool here)
_sum_along: Callable[..., Any] = np.add.reduce
_max_reduce: Callable[..., Any] = np.maximum.reduce
_multiply = np.multiply

_ADVICE = "pass rtol=/atol= (or --rtol/--atol) to compare with a chosen tolerance instead"


class UnsupportedOperation(TypeError):  # noqa: N818 (the name other modules code against)
    """An operation the bound tracker has no rule for (the message is one sentence naming it)."""


def refuse(op: str, why: str = "") -> NoReturn:
    """Raise :class:`UnsupportedOperation` naming ``op`` (and why, when there is more to say)."""
    reason = f" ({why})" if why else ""
    raise UnsupportedOperation(f"the bound tracker has no rule for {op}{reason}; {_ADVICE}.")


class TrackedValue(NamedTuple):
    """One returned variable: NumPy's value, its bound (final widening applied), mask ambiguity reaching it."""

    value: Array
    error: Array
    ambiguous: int


def _merge(a: Ambiguity, b: Ambiguity) -> Ambiguity:
    if not a:
        return b
    if not b:
        return a
    return a | b


class _ArrayShape:
    """What an ndarray tells of its shape, read from the value ``v`` (of a :class:`Tracked` or :class:`TrackedMask`)."""

    __slots__ = ()
    v: Any

    @property
    def shape(self) -> tuple[int, ...]:
        return self.v.shape

    @property
    def ndim(self) -> int:
        return self.v.ndim

    @property
    def size(self) -> int:
        return self.v.size

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.v.dtype


class Tracked(_ArrayShape):
    r"""A float64 array with an elementwise bound :math:`E` on its distance from exact arithmetic.

    Attributes
    ----------
    v : ndarray of float64, any shape (0-d included)
        The value, exactly as plain NumPy computes it.
    e : ndarray of float64 of the same shape, or None
        The bound, before the final widening; None means exact (E = 0). A fresh product's is left
        unset and evaluated on first read (:class:`_Fresh`), so that a bias added next can re-charge it.
    k : int
        Roundings along the longest chain of the bound's own evaluation (for the final widening).
    acc : Accumulation or None
        Set on a fresh inner product or sum: ``E = gamma_n M + P``; one more added term re-charges it
        as an inner product of n + 1 terms. Its bound is evaluated only when first read.
    mag : ndarray, pair of Tracked, or None
        A bound on the exact ``|value|`` when a better one than ``|v| + E`` is at hand (products); a
        pair ``(a, b)`` stands for ``|a|max |b|max``, evaluated only if a mask ambiguity needs it.
    amb : frozenset of (mask id, count)
        The mask-ambiguous entries of every comparison this value depends on.
    """

    __slots__ = ("_abs", "acc", "amb", "e", "k", "mag", "v")
    __array_priority__ = 1000.0
    #: True only for a 0-d ndarray given as an input (:class:`_Input0d`): every other 0-d value stands for the
    #: NumPy scalar plain NumPy would hold there (np.sum(x), x[0, 0], arithmetic on 0-d arrays all give scalars),
    #: whose ``**`` takes libm's pow where a 0-d array takes the array loop
    array_0d = False

    def __init__(self, v: Any, e: Array | None = None, k: int = 0, acc: Accumulation | None = None,
                 mag: Magnitude = None, amb: Ambiguity = _NO_AMBIGUITY) -> None:
        self.v: Array = v if type(v) is np.ndarray else np.asarray(v, dtype=np.float64)
        if e is not None or acc is None:  # an unevaluated product is a _Fresh; here an unset e fails loudly on read
            self.e: Array | None = e
        self.k = k
        self.acc = acc
        self.mag = mag
        self.amb = amb
        self._abs: Array | None = None  # |v|, computed once when a rule first needs it (see _abs)

    # -- what an ndarray exposes that the twins read -------------------------------------------
    @property
    def error(self) -> Array:
        """The bound before the final widening (zeros where exact)."""
        return np.zeros_like(self.v) if self.e is None else self.e

    def __len__(self) -> int:
        return len(self.v)

    def __iter__(self) -> Iterator[Tracked]:
        return (self[j] for j in range(len(self)))

    def __repr__(self) -> str:
        return f"Tracked(value={self.v!r}, bound={self.error!r})"

    # -- exact structural operations: E moves with the value -----------------------------------
    def _same(self, f: Callable[[Array], Any], keep_acc: bool = False) -> Tracked:
        e = self.e
        return Tracked(f(self.v), None if e is None else f(e), self.k, amb=self.amb, acc=self.acc if keep_acc else None)

    def __getitem__(self, key: Any) -> Tracked:
        if type(key) is tuple:  # X[i - 1:batch_end, :]: slices index as they are (a tracked integer by __index__)
            for k in key:
                if isinstance(k, (Tracked, TrackedMask)):
                    key = _plain_key(key)
                    break
        elif isinstance(key, (Tracked, TrackedMask)):
            key = _plain_key(key)
        e = self.e
        return Tracked(self.v[key], None if e is None else e[key], self.k, None, None, self.amb)

    @property
    def T(self) -> Tracked:  # noqa: N802 (NumPy's name)
        e = self.e
        out = Tracked(self.v.T, None if e is None else e.T, self.k, None, None, self.amb)
        a = self._abs
        if a is not None:  # |v.T| is |v|.T, a view: the magnitudes computed once serve both
            out._abs = a.T
        return out

    def transpose(self, *axes: Any) -> Tracked:
        return self._same(lambda a: a.transpose(*axes))

    def reshape(self, *shape: Any, **kwargs: Any) -> Tracked:
        return self._same(lambda a: a.reshape(*shape, **kwargs))

    def copy(self) -> Tracked:
        return self._same(np.copy)

    def flatten(self, order: Any = "C") -> Tracked:
        return self._same(lambda a: a.flatten(order))

    def ravel(self, order: Any = "C") -> Tracked:
        return self._same(lambda a: a.ravel(order))

    def squeeze(self, axis: Any = None) -> Tracked:
        return self._same(lambda a: a.squeeze(axis))

    def astype(self, dtype: Any, **kwargs: Any) -> Tracked:
        if np.dtype(dtype) != np.float64:
            refuse(f"astype({np.dtype(dtype)})", "only float64 is tracked")
        return self._same(np.copy)

    def __neg__(self) -> Tracked:
        # negation is exact and keeps the magnitudes of the terms: a fresh sum stays fresh, a fresh product too
        if type(self) is _Fresh and self._bound is None:
            return _Fresh(-self.v, self.k, self.acc, self.amb)
        return Tracked(-self.v, self.e, self.k, self.acc, self.mag, self.amb)

    def __pos__(self) -> Tracked:
        return self

    def __abs__(self) -> Tracked:
        a = self._abs
        if a is None or a is self.v:  # max(0, z) keeps its value as its magnitudes, where -0.0 may stand for 0
            a = np.abs(self.v)
        return Tracked(a, self.e, self.k, mag=self.mag, amb=self.amb)

    # -- arithmetic -------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tracked:
        kind = type(other)
        if (kind is Tracked or kind is _Fresh) and (self.v.ndim or other.v.ndim):  # the common case, without binary's tests
            return _binary_arrays("add", self, other, self.v + other.v)
        return binary("add", self, other)

    def __radd__(self, other: Any) -> Tracked:
        return binary("add", other, self)

    def __sub__(self, other: Any) -> Tracked:
        kind = type(other)
        if (kind is Tracked or kind is _Fresh) and (self.v.ndim or other.v.ndim):
            return _binary_arrays("subtract", self, other, self.v - other.v)
        return binary("subtract", self, other)

    def __rsub__(self, other: Any) -> Tracked:
        return binary("subtract", other, self)

    def __mul__(self, other: Any) -> Tracked:
        kind = type(other)
        if (kind is Tracked or kind is _Fresh) and (self.v.ndim or other.v.ndim):
            return _binary_arrays("multiply", self, other, self.v * other.v)
        if kind is TrackedMask:  # x .* mask, as (W' d) .* ReLU_deriv(z)
            return _times_mask(self, other, False)
        return binary("multiply", self, other)

    def __rmul__(self, other: Any) -> Tracked:
        return binary("multiply", other, self)

    def __truediv__(self, other: Any) -> Tracked:
        return binary("divide", self, other)

    def __rtruediv__(self, other: Any) -> Tracked:
        return binary("divide", other, self)

    def __pow__(self, p: Any) -> Tracked:
        return power(self, p)

    def __matmul__(self, other: Any) -> Tracked:
        kind = type(other)
        if kind is Tracked or kind is _Fresh:
            return _matmul(self, other)
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tracked:
        return matmul(other, self)

    def __floordiv__(self, other: Any) -> NoReturn:
        refuse("// (floor division)")

    __rfloordiv__ = __floordiv__

    def __mod__(self, other: Any) -> NoReturn:
        refuse("% (modulo)")

    __rmod__ = __mod__

    def __rpow__(self, other: Any) -> Tracked:
        return power(_wrap(other, "numpy.power"), self)

    def _inplace(self, other: Any) -> NoReturn:
        refuse("an in-place operator (+=, -=, *=, /=, @=) on a tracked array",
               "write x = x + y: an in-place write would change every alias, which rebinding cannot")

    __iadd__ = __isub__ = __imul__ = __itruediv__ = __imatmul__ = __ipow__ = _inplace

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        refuse("item assignment (x[...] = ...) on a tracked array", "build the array from tracked pieces instead")

    # -- comparisons give masks --------------------------------------------------------------------
    def __gt__(self, other: Any) -> TrackedMask:
        return compare(np.greater, self, other)

    def __ge__(self, other: Any) -> TrackedMask:
        return compare(np.greater_equal, self, other)

    def __lt__(self, other: Any) -> TrackedMask:
        return compare(np.less, self, other)

    def __le__(self, other: Any) -> TrackedMask:
        return compare(np.less_equal, self, other)

    def __eq__(self, other: Any) -> TrackedMask:  # type: ignore[override]
        return compare(np.equal, self, other)

    def __ne__(self, other: Any) -> TrackedMask:  # type: ignore[override]
        return compare(np.not_equal, self, other)

    __hash__ = None  # type: ignore[assignment]

    # -- conversions: only when exact ----------------------------------------------------------------
    def _scalar(self, op: str) -> float:
        if self.v.ndim == 0 and self.acc is None and self.e is None:  # an exact 0-d value (as 1-based i)
            return float(self.v)
        if self.v.size != 1:
            refuse(f"{op} of an array of shape {self.v.shape}", "only a single value converts")
        if self.e is not None and float(self.e.reshape(-1)[0]) > 0:
            refuse(f"{op} of a value with a nonzero rounding-error bound", "the plain number would drop its bound")
        return float(self.v.reshape(-1)[0])

    def __float__(self) -> NoReturn:  # NumPy calls it too, to store a value into a plain array
        refuse("float() of a tracked value (also storing it into a plain array)",
               "the plain float would leave the tracker and its later arithmetic would go unbounded; keep it tracked")

    def item(self) -> NoReturn:
        refuse(".item() of a tracked value", "the plain number would leave the tracker; keep it tracked")

    def __round__(self, ndigits: int | None = None) -> Any:  # refuses (Any: an int input's rounds)
        refuse("round() of a tracked value", "the plain number would leave the tracker; keep it tracked")

    def _bitwise(self, other: Any = None) -> Any:  # refuses (Any: an int input's compute)
        refuse("a bitwise operation (& | ^ << >> ~) on a tracked float", "it has no rounding-error rule")

    __and__ = __rand__ = __or__ = __ror__ = __xor__ = __rxor__ = _bitwise
    __lshift__ = __rlshift__ = __rshift__ = __rrshift__ = __invert__ = _bitwise

    def __index__(self) -> int:
        x = self._scalar("use as an index")
        if not x.is_integer():
            refuse(f"use of {x!r} as an index", "it is not an integer")
        return int(x)

    def __int__(self) -> int:
        x = self._scalar("int()")
        if not x.is_integer():
            refuse(f"int() of {x!r}", "truncation is not tracked")
        return int(x)

    def __bool__(self) -> bool:
        if self.v.size != 1:
            refuse(f"bool() of an array of shape {self.v.shape}")
        x, e = float(self.v.reshape(-1)[0]), 0.0 if self.e is None else float(self.e.reshape(-1)[0])
        if e > 0 and abs(x) <= 2 * e:
            refuse("bool() of a value within rounding of 0", f"{x!r} with bound {e!r}")
        return x != 0

    def __array__(self, dtype: Any = None, copy: Any = None) -> NoReturn:
        refuse("a conversion to a plain ndarray (np.asarray, np.array, or storing a tracked value into a plain "
               "array as y[i] = x[i])", "it would drop the bound silently; build arrays from tracked pieces "
               "(np.concatenate, np.where) instead")

    # No __getattr__: a class with one reads every attribute through it (CPython cannot specialize the reads),
    # which costs more than all of this class's own work on small arrays. NumPy's other attributes are refused
    # by the properties made after the class (_refused_attribute); a fresh product's bound is _Fresh.e.

    # -- NumPy dispatch ---------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if ufunc is np.maximum and method == "__call__" and not kwargs and len(inputs) == 2:  # ReLU's max(0, z)
            return extreme(ufunc, *inputs)
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func is _np_sum and len(args) == 1 and isinstance(args[0], Tracked) and kwargs.keys() <= _AXIS_KEEPDIMS:
            return reduce_sum(args[0], kwargs.get("axis"), kwargs.get("keepdims", False))  # np.sum(x, axis=1, ...)
        return array_function(func, args, kwargs)

    # methods that mirror NumPy functions
    def sum(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
        return reduce_sum(self, axis, keepdims, kwargs)

    def mean(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
        return reduce_mean(self, axis, keepdims, kwargs)

    def max(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
        return reduce_extreme(np.max, self, axis, keepdims, kwargs)

    def min(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
        return reduce_extreme(np.min, self, axis, keepdims, kwargs)


class _Fresh(Tracked):
    """A fresh product ``A @ B`` (or its negation): its bound is left unevaluated until first read, so that a bias
    added next can re-charge the product as an inner product of n + 1 terms (:func:`rule_add`) instead."""

    __slots__ = ("_bound",)

    def __init__(self, v: Array, k: int, acc: Accumulation | None, amb: Ambiguity) -> None:  # sets every field
        self.v, self.k, self.acc, self.mag, self.amb, self._abs = v, k, acc, None, amb, None
        self._bound: Array | None = None

    @property
    def e(self) -> Array:  # Tracked's slot, computed here (the setter is for copy.copy and pickle)
        r"""The product's bound :math:`\gamma_n M + P`, evaluated on first read and kept."""
        e = self._bound
        if e is None:
            acc = self.acc
            assert isinstance(acc, Product)
            e = acc.bound(acc.gamma_n())
            if _CAREFUL.get():
                e = e + (acc.cost + 2) * TINY  # the slack of _result, for the product's own roundings
            _check_bound("numpy.matmul", self.v, e)
            self._bound = e
        return e

    @e.setter
    def e(self, e: Array) -> None:  # copy.copy and pickle restore it
        self._bound = e


def _refused_attribute(name: str) -> property:
    def refused(self: Any) -> NoReturn:
        refuse(f"{'mask' if isinstance(self, TrackedMask) else 'ndarray'}.{name}")
    return property(refused)


class _Input0d(Tracked):
    """A 0-d ndarray input: ``**`` on it takes NumPy's array loop, as in the plain twin."""

    __slots__ = ()
    array_0d = True


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


def _refuse_int_operation(name: str) -> Callable[[Any, Any], NoReturn]:
    def refused(self: Any, other: Any) -> NoReturn:
        refuse(f"{name} of a tracked int with {type(other).__name__}", "only ints are tracked there")
    return refused


def _int_method(op: Callable[[int, int], Any], general: Callable[[Any, Any], Any],
                reflected: bool = False) -> Callable[[Any, Any], Any]:
    """An :class:`_Integer` operator: ``op`` on Python ints (exact, as in the plain twin) when the other operand is
    an int, else ``general`` (Tracked's rule or refusal). A list, tuple or text operand is left to Python
    (``[0.5] * n`` repeats the list, as in the plain twin)."""
    def method(self: _Integer, other: Any) -> Any:
        m = _int_operand(other)
        if m is not None:
            r = op(m, self.n) if reflected else op(self.n, m)
            return _Integer(r) if type(r) is int else r  # a comparison's Python bool, divmod's pair as they are
        if isinstance(other, (list, tuple, str, bytes)):
            return NotImplemented
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
        if name.startswith("_"):
            raise AttributeError(name)
        if hasattr(self.n, name):  # i.bit_length(), i.numerator: the int's own, as in the plain twin
            return getattr(self.n, name)
        refuse(f"int.{name}")

    __add__ = __radd__ = __iadd__ = _int_method(operator.add, Tracked.__add__)  # type: ignore[assignment]
    __sub__ = __isub__ = _int_method(operator.sub, Tracked.__sub__)  # type: ignore[assignment]
    __rsub__ = _int_method(operator.sub, Tracked.__rsub__, reflected=True)
    __mul__ = __rmul__ = __imul__ = _int_method(operator.mul, Tracked.__mul__)  # type: ignore[assignment]
    __floordiv__ = __ifloordiv__ = _int_method(operator.floordiv, Tracked.__floordiv__)
    __rfloordiv__ = _int_method(operator.floordiv, Tracked.__floordiv__, reflected=True)
    __mod__ = __imod__ = _int_method(operator.mod, Tracked.__mod__)
    __rmod__ = _int_method(operator.mod, Tracked.__mod__, reflected=True)
    __divmod__ = _int_method(divmod, _refuse_int_operation("divmod"))
    __rdivmod__ = _int_method(divmod, _refuse_int_operation("divmod"), reflected=True)
    __and__ = __rand__ = _int_method(operator.and_, _refuse_int_operation("&"))  # type: ignore[assignment]
    __or__ = __ror__ = _int_method(operator.or_, _refuse_int_operation("|"))  # type: ignore[assignment]
    __xor__ = __rxor__ = _int_method(operator.xor, _refuse_int_operation("^"))  # type: ignore[assignment]
    __lshift__ = _int_method(operator.lshift, _refuse_int_operation("<<"))  # type: ignore[assignment]
    __rshift__ = _int_method(operator.rshift, _refuse_int_operation(">>"))  # type: ignore[assignment]
    __rlshift__ = _int_method(operator.lshift, _refuse_int_operation("<<"), reflected=True)  # type: ignore[assignment]
    __rrshift__ = _int_method(operator.rshift, _refuse_int_operation(">>"), reflected=True)  # type: ignore[assignment]

    def _compared(self, other: Any, op: Callable[[Any, Any], bool], ufunc: np.ufunc) -> Any:
        m = _int_operand(other)
        if m is not None or type(other) is float:  # Python compares an int with an int or a float exactly
            return op(self.n, other if m is None else m)
        return compare(ufunc, self, other)

    def __eq__(self, other: Any) -> Any:
        if other is None or isinstance(other, (str, bytes, list, tuple, dict)):
            return NotImplemented  # Python's answer: not equal
        return self._compared(other, operator.eq, np.equal)

    def __ne__(self, other: Any) -> Any:
        if other is None or isinstance(other, (str, bytes, list, tuple, dict)):
            return NotImplemented
        return self._compared(other, operator.ne, np.not_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compared(other, operator.gt, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compared(other, operator.ge, np.greater_equal)

    def __lt__(self, other: Any) -> Any:
        return self._compared(other, operator.lt, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compared(other, operator.le, np.less_equal)

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

    __ipow__ = __pow__  # type: ignore[assignment]

    def __rpow__(self, base: Any) -> Tracked:
        if type(base) is int and 0 <= self.n <= 4096:
            return _Integer(base**self.n)
        return Tracked.__rpow__(self, base)

    def __neg__(self) -> Tracked:
        return _Integer(-self.n)

    def __abs__(self) -> Tracked:
        return _Integer(abs(self.n))

    def __invert__(self) -> Tracked:  # type: ignore[override]
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

    def __str__(self) -> str:
        return str(self.n)

    def __repr__(self) -> str:
        return repr(self.n)

    def __float__(self) -> float:  # type: ignore[override]  # exact up to 2^53: a plain float, as int(i) is a plain int
        f = float(self.n)
        if int(f) != self.n:
            refuse(f"float() of the integer {self.n}" if self.n.bit_length() < 200 else "float() of a large integer",
                   "float64 cannot hold it exactly")
        return f

    def __format__(self, spec: str) -> str:
        return format(self.n, spec)

    def __bool__(self) -> bool:
        return self.n != 0


_TRACKED_FIELDS = frozenset(Tracked.__slots__)


_np_sum = np.sum
_AXIS_KEEPDIMS = frozenset({"axis", "keepdims"})


class TrackedMask(_ArrayShape):
    """The boolean result of a comparison: exact in value, with the entries whose decision is ambiguous."""

    __slots__ = ("_f", "amb", "ambiguous", "v")
    __array_priority__ = 1000.0

    def __init__(self, v: NDArray[np.bool_], ambiguous: NDArray[np.bool_] | None, amb: Ambiguity) -> None:
        self.v = v
        self.ambiguous = ambiguous
        self.amb = amb
        self._f: Array | None = None  # the mask as 0.0 / 1.0 (see _mask_float)

    def __repr__(self) -> str:
        return f"TrackedMask(value={self.v!r}, ambiguous={self.ambiguous!r})"

    def __mul__(self, other: Any) -> Tracked:
        return binary("multiply", self, other)

    __rmul__ = __mul__

    def __add__(self, other: Any) -> Tracked:
        return binary("add", self, other)

    def __radd__(self, other: Any) -> Tracked:
        return binary("add", other, self)

    def __sub__(self, other: Any) -> Tracked:
        return binary("subtract", self, other)

    def __rsub__(self, other: Any) -> Tracked:
        return binary("subtract", other, self)

    def __truediv__(self, other: Any) -> Tracked:
        return binary("divide", self, other)

    def __rtruediv__(self, other: Any) -> Tracked:
        return binary("divide", other, self)

    def __neg__(self) -> NoReturn:
        refuse("the negative of a comparison mask", "NumPy refuses it for booleans; use ~ for 'not'")

    def _moved(self, f: Callable[[Any], Any]) -> TrackedMask:
        """The mask and its ambiguous entries moved alike (transpose, reshape, slicing): exact."""
        return TrackedMask(f(self.v), None if self.ambiguous is None else f(self.ambiguous), self.amb)

    @property
    def T(self) -> TrackedMask:  # noqa: N802 (NumPy's name)
        return self._moved(lambda a: a.T)

    def transpose(self, *axes: Any) -> TrackedMask:
        return self._moved(lambda a: a.transpose(*axes))

    def reshape(self, *shape: Any, **kwargs: Any) -> TrackedMask:
        return self._moved(lambda a: a.reshape(*shape, **kwargs))

    def flatten(self, order: Any = "C") -> TrackedMask:
        return self._moved(lambda a: a.flatten(order))

    def ravel(self, order: Any = "C") -> TrackedMask:
        return self._moved(lambda a: a.ravel(order))

    def __getitem__(self, key: Any) -> TrackedMask:
        key = _plain_key(key) if isinstance(key, (Tracked, TrackedMask, tuple)) else key
        return self._moved(lambda a: a[key])

    def __len__(self) -> int:
        return len(self.v)

    def __invert__(self) -> TrackedMask:
        return TrackedMask(~self.v, self.ambiguous, self.amb)

    def _logical(self, other: Any, op: Callable[[Any, Any], Any]) -> TrackedMask:
        """``&``, ``|``, ``^`` of two masks. An entry is certain where both operands are, and also where one
        certain operand decides alone (a certain False for ``&``, a certain True for ``|``)."""
        ov: Any
        if isinstance(other, TrackedMask):
            ov, amb_o, merged = other.v, other.ambiguous, _merge(self.amb, other.amb)
        elif isinstance(other, (bool, np.bool_)) or (isinstance(other, np.ndarray) and other.dtype == np.bool_):
            ov, amb_o, merged = other, None, self.amb
        else:
            what = "tracked number" if isinstance(other, Tracked) else type(other).__name__
            refuse(f"&, | or ^ of a comparison mask with a {what}", "combine masks with masks or boolean arrays")
        v = op(self.v, ov)
        if self.ambiguous is None and amb_o is None:
            return TrackedMask(v, None, merged)
        sure_a = True if self.ambiguous is None else ~self.ambiguous
        sure_b = True if amb_o is None else ~amb_o
        certain = np.logical_and(sure_a, sure_b)
        if op is operator.and_:  # a certain False decides
            certain = certain | (sure_a & ~self.v) | (sure_b & ~np.asarray(ov))
        elif op is operator.or_:  # a certain True decides
            certain = certain | (sure_a & self.v) | (sure_b & np.asarray(ov))
        ambiguous = np.broadcast_to(~certain, v.shape)
        return TrackedMask(v, ambiguous if ambiguous.any() else None, merged)

    def __eq__(self, other: Any) -> TrackedMask:  # type: ignore[override]
        """mask == mask is "not xor" (certain where both are); against a number, the mask as 0.0 / 1.0."""
        if isinstance(other, TrackedMask) or _is_bool(other) or isinstance(other, bool):
            return ~self._logical(other, operator.xor)
        return compare(np.equal, self.astype(np.float64), other)

    def __ne__(self, other: Any) -> TrackedMask:  # type: ignore[override]
        if isinstance(other, TrackedMask) or _is_bool(other) or isinstance(other, bool):
            return self._logical(other, operator.xor)
        return compare(np.not_equal, self.astype(np.float64), other)

    __hash__ = None  # type: ignore[assignment]

    def __gt__(self, other: Any) -> TrackedMask:
        return compare(np.greater, self.astype(np.float64), other)

    def __ge__(self, other: Any) -> TrackedMask:
        return compare(np.greater_equal, self.astype(np.float64), other)

    def __lt__(self, other: Any) -> TrackedMask:
        return compare(np.less, self.astype(np.float64), other)

    def __le__(self, other: Any) -> TrackedMask:
        return compare(np.less_equal, self.astype(np.float64), other)

    def __and__(self, other: Any) -> TrackedMask:
        return self._logical(other, operator.and_)

    def __or__(self, other: Any) -> TrackedMask:
        return self._logical(other, operator.or_)

    def __xor__(self, other: Any) -> TrackedMask:
        return self._logical(other, operator.xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def astype(self, dtype: Any, **kwargs: Any) -> Tracked:
        """The mask as 0.0 / 1.0 (float64 only): exact where certain, E = 1 where another evaluation may flip it."""
        if np.dtype(dtype) != np.float64:
            refuse(f"mask.astype({np.dtype(dtype)})", "only float64 is tracked")
        e = None if self.ambiguous is None else self.ambiguous.astype(np.float64)
        return Tracked(self.v.astype(np.float64), e, 1, amb=self.amb)

    def sum(self, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        return count_mask(self, axis, keepdims, kwargs)

    def __bool__(self) -> bool:
        if self.ambiguous is None and self.v.ndim == 0:
            return bool(self.v)
        if self.v.size != 1:
            refuse(f"bool() of a mask of shape {self.v.shape}")
        if self.ambiguous is not None and bool(self.ambiguous.reshape(-1)[0]):
            refuse("bool() of a comparison that another correct evaluation could decide the other way")
        return bool(self.v.reshape(-1)[0])

    def __array__(self, dtype: Any = None, copy: Any = None) -> NoReturn:
        refuse("a conversion of a tracked mask to a plain ndarray", "it would drop which entries are ambiguous")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return array_function(func, args, kwargs)



for _cls in (Tracked, TrackedMask):  # NumPy's other public attributes: one sentence naming each, not a raw error
    for _name in dir(np.ndarray):
        if not _name.startswith("_") and not hasattr(_cls, _name):
            setattr(_cls, _name, _refused_attribute(_name))



# -- helpers ----------------------------------------------------------------------------------------

#: the constant +0.0, shared (a Tracked is never written: rules make new arrays)
_ZERO: Tracked = Tracked(np.array(0.0))


def _const(x: Any, op: str) -> Tracked:
    """A plain operand (Python number, NumPy scalar or array): a constant, exact as given. A comparison mask
    stands for its 0.0 / 1.0 with E = 1 where another evaluation may flip it (:meth:`TrackedMask.astype`)."""
    kind = type(x)
    if kind is TrackedMask:
        return x.astype(np.float64)
    if (kind is int or kind is float) and x == 0 and math.copysign(1.0, x) > 0:  # the 0 of max(0, z), z > 0
        return _ZERO
    if kind is float or (kind is int and -(2**53) <= x <= 2**53):  # as the 0 of max(0, z) and z > 0
        return Tracked(np.array(float(x)))  # the float64 that asarray(x).astype(float64) gives
    if isinstance(x, int) and not isinstance(x, bool) and not (abs(x) <= 2**1023 and float(x) == x):
        refuse(f"{op} with the integer {x}", "float64 cannot hold it exactly, so the constant would be rounded")
    arr = np.asarray(x)
    dkind = arr.dtype.kind
    if dkind not in "biuf":
        refuse(f"{op} with a {arr.dtype} operand", "only real numbers are tracked")
    if (dkind == "f" and arr.dtype.itemsize > 8) or (
            dkind in "iu" and arr.dtype.itemsize >= 8 and arr.size and not np.all(np.abs(arr.astype(object)) <= 2**53)):
        refuse(f"{op} with a {arr.dtype} operand float64 cannot hold exactly", "it would be rounded as a constant")
    return Tracked(arr.astype(np.float64, copy=False))


def _wrap(x: Any, op: str) -> Tracked:
    return x if type(x) is Tracked or isinstance(x, Tracked) else _const(x, op)


def _all_finite(x: Array) -> bool:
    """No inf or NaN in x: a finite sum proves it (an inf or NaN term makes the sum inf or NaN); only a
    sum that overflows needs the entrywise test."""
    return math.isfinite(np.add.reduce(x, None)) or bool(np.isfinite(x).all())


def _void_after(op: str) -> NoReturn:
    """Refuse: after ``op`` a value or bound is not finite, and first-order bounds are void past overflow."""
    raise UnsupportedOperation(
        f"the bound tracker's first-order bounds are void after {op}: a value or bound is not finite "
        f"(overflow, division by zero or a domain error); {_ADVICE}.")


def _check(op: str, out: Tracked) -> Tracked:
    """Refuse (:func:`_void_after`) when the bound of ``out`` (its value, for a single exact value) is not finite."""
    e = out.e
    if e is None:
        if out.v.size != 1:
            return out
        e = out.v
    if e.size and not np.maximum.reduce(e, None) < math.inf:  # NaN compares False too
        _void_after(op)
    return out


#: A bound below this everywhere proves the value finite. Every rule's bound is at least u|v| (a product's and a
#: sum's at least gamma times the magnitudes M >= |v|, the scaling applied before the product) evaluated in
#: floating point, and a value or partial sum that overflows has |v| or M >= realmax / (1 + gamma_n): its bound
#: is then >= u realmax / 2. Below it nothing overflowed and the value needs no look; above it, it gets one.
_VALUE_CHECK_ABOVE = U * float(np.finfo(np.float64).max) / 4


def _check_bound(op: str, v: Array, e: Array) -> None:
    """Refuse (:func:`_void_after`) when the bound ``e`` is not finite, or when it is large enough that the value
    ``v`` may have overflowed and ``v`` is not finite: one pass over ``e`` unless the bound is that large."""
    if e.size:
        largest = _max_reduce(e, None)
        if not largest < _VALUE_CHECK_ABOVE and (  # NaN compares False too
                not largest < math.inf or not _all_finite(np.asarray(v))):
            _void_after(op)


def _result(op: str, v: Array, e: Array, roundings: int, k: int, amb: Ambiguity, acc: Accumulation | None = None,
            mag: Magnitude = None) -> Tracked:
    """A rounded operation's result, ``Tracked(v, e, k, acc, mag, amb)``, refused by :func:`_check_bound` if it or
    its value is not finite (in one call: every rounded operation ends here).

    In the run after an underflow, ``e`` gets an absolute ``(roundings + 2) * TINY``, for the value's own
    roundings that may have underflowed and for those of the bound's evaluation (each up to 2^-1075 off); the
    slack propagates downstream with the bound, scaled as any error.
    """
    if _CAREFUL.get():
        e = e + (roundings + 2) * TINY
    _check_bound(op, v, e)
    return Tracked(v, e, k, acc, mag, amb)


def _check_exact_operands(op: str, *operands: Tracked) -> None:
    """Refuse an exact operand holding inf or NaN where the operation could hide it (a comparison, a choice):
    a rounding rule would show it as a non-finite bound, these would not."""
    for t in operands:
        if t.e is None and t.acc is None and t.v.size and not _all_finite(t.v):
            raise UnsupportedOperation(
                f"the bound tracker's first-order bounds are void at {op}: an operand is not finite; {_ADVICE}.")


def _exact_scalar_result(op: str, a: Tracked, b: Tracked, v: Array) -> bool:
    """True when both operands are exact single values and the double result equals the exact one."""
    if a.e is not None or b.e is not None or a.v.size != 1 or b.v.size != 1:
        return False
    return _exact_in_rationals(op, float(a.v.reshape(-1)[0]), float(b.v.reshape(-1)[0]), float(v.reshape(-1)[0]))


def _exact_in_rationals(op: str, x: float, y: float, r: float) -> bool:
    r"""True when ``x op y`` in exact rational arithmetic equals the double ``r``.

    Each double is an exact ratio of integers (``float.as_integer_ratio``), so the test is one
    equality of integer cross-products: for add, :math:`(n_x d_y + n_y d_x) d_r = n_r d_x d_y`.
    """
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(r)):
        return False
    (nx, dx), (ny, dy), (nr, dr) = x.as_integer_ratio(), y.as_integer_ratio(), r.as_integer_ratio()
    if op == "add":
        return (nx * dy + ny * dx) * dr == nr * dx * dy
    if op == "subtract":
        return (nx * dy - ny * dx) * dr == nr * dx * dy
    if op == "multiply":
        return nx * ny * dr == nr * dx * dy
    return ny != 0 and nx * dy * dr == nr * ny * dx  # divide: x / y = r


def _plus(x: Array | None, y: Array | None) -> Array | None:
    if x is None:
        return y
    if y is None:
        return x
    return x + y


def _abs(t: Tracked) -> Array:
    """``np.abs(t.v)``, computed once per tracked value (several rules read it; values are never written)."""
    a = t._abs
    if a is None:
        a = t._abs = np.abs(t.v)
    return a


def _abs_diff(a: Tracked, b: Tracked) -> Array:
    """``|a - b|``; against an exact 0-d zero (``z > 0``, ``max(0, z)``) that is ``|a|`` bit for bit, as
    ``a - 0 = a`` and ``0 - b = -b`` exactly."""
    if b is _ZERO or (b.v.ndim == 0 and b.acc is None and b.e is None and b.v == 0):
        return _abs(a)
    if a.v.ndim == 0 and a.acc is None and a.e is None and a.v == 0:
        return _abs(b)
    return np.abs(a.v - b.v)


def _abs_max(t: Tracked) -> Array:
    """A bound on the exact |value|: the product's own when it has one, else |v| + E."""
    mag = t.mag
    if mag is not None:
        if isinstance(mag, tuple):  # a product a * b: |a|max |b|max, evaluated on first need
            mag = t.mag = _abs_max(mag[0]) * _abs_max(mag[1])
        return mag
    if isinstance(t.acc, Product):
        return t.acc.M
    return _abs(t) if t.e is None else _abs(t) + t.e


# -- the rules ----------------------------------------------------------------------------------------
# Each rule takes the operands (and the computed value) and returns the bound of the result, before
# the final widening. They are module-level so that the tests can weaken or inflate one at a time.

def rule_add(a: Tracked, b: Tracked, v: Array) -> tuple[Array, int]:
    r"""``a ± b``: :math:`u|\hat s| + E_a + E_b`; after a fresh inner product, one more term of it.

    A fresh product or sum ``s = A @ B`` (bound :math:`\gamma_n M + P`) plus ``c`` is an inner
    product of n + 1 terms in some order: :math:`\gamma_{n+1}(M + |c| + E_c) + P + E_c`
    (Higham §3.1; the hand derivation's ``gamma_(d+1)(|W||x| + |b|)``). Otherwise the one rounding
    is at most u times the computed result :math:`\hat s` (Higham (2.5):
    :math:`fl(x \pm y) = (x \pm y)/(1 + \delta)`, :math:`|\delta| \le u`), so a subtraction that
    cancels, or is exact (Sterbenz), is charged in proportion to what it gives.
    """
    if a.acc is not None or b.acc is not None:
        fresh, other = (a, b) if a.acc is not None else (b, a)
        assert fresh.acc is not None
        if other.acc is not None:  # two fresh sums: one of their terms together, the longer chain plus one
            g = matmul_gamma(max(fresh.acc.n, other.acc.n) + 1)
            return g * (fresh.acc.M + other.acc.M) + fresh.acc.bound(0.0) + other.acc.bound(0.0), \
                max(fresh.acc.n, other.acc.n) + 5
        g = matmul_gamma(fresh.acc.n + 1)
        e = fresh.acc.bound(g)  # a fresh array (a product or a sum's g M + P): added to in place when shapes allow
        if e.shape == v.shape and type(e) is np.ndarray:
            e += g * _abs(other)
            if other.e is not None:
                e += (1.0 + g) * other.e
            return e, fresh.acc.n + 5
        e = e + g * _abs(other)
        if other.e is not None:
            e = e + (1.0 + g) * other.e
        return e, fresh.acc.n + 5
    ea, eb = a.e, b.e
    e = np.abs(v)  # a fresh array of the result's shape (a scalar for 0-d): added to in place
    e *= U
    if ea is not None:
        e += ea
    if eb is not None:
        e += eb
    return e, 4


def rule_multiply(a: Tracked, b: Tracked, v: Array) -> tuple[Array, int]:
    r"""``a * b``: :math:`u|ab| + (|a| + E_a) E_b + E_a |b|` (one rounding, then propagation)."""
    ea, eb = a.e, b.e
    e = np.abs(v)  # a fresh array of the result's shape (a scalar for 0-d): added to in place
    e *= U
    if eb is not None:
        e += (_abs(a) if ea is None else _abs(a) + ea) * eb
    if ea is not None:
        e += ea * _abs(b)
    return e, 5


def rule_divide(a: Tracked, b: Tracked, v: Array) -> tuple[Array, int]:
    r"""``a / b``: :math:`u|a/b| + (E_a + |a/b| E_b) / (|b| - E_b)`, for ``|b| > E_b`` (rigorous, not only first order)."""
    av = np.abs(v)
    e = U * av
    if b.e is None:
        return (e if a.e is None else e + a.e / _abs(b)), 4
    room = _abs(b) - b.e
    if not (room > 0).all():
        refuse("a division by a value whose bound reaches 0", "the quotient has no finite bound there")
    num = av * b.e if a.e is None else a.e + av * b.e
    return e + num / room, 7


def matmul_gamma(n: int) -> float:
    r""":math:`\gamma_n` for an inner product of n terms (Higham §3.1); the rule tests can weaken it."""
    return _gamma(n)


class Accumulation:
    r"""A fresh inner product or sum, bound :math:`\gamma_n M + P`: M the terms' magnitudes, P what the operands carry in."""

    n: int

    def gamma_n(self) -> float:
        return matmul_gamma(self.n)

    @property
    def M(self) -> Array:  # noqa: N802 (Higham's letter)
        raise NotImplementedError

    def bound(self, g: float) -> Array:
        """:math:`g M + P`."""
        raise NotImplementedError


class Product(Accumulation):
    r"""``A @ B`` with inner dimension n: :math:`M = (|A| + E_A)(|B| + E_B)`, :math:`P = |A| E_B + E_A (|B| + E_B)`.

    M bounds the exact :math:`|AB|` as well as the computed terms; P is what the operands'
    errors carry in (Higham §3.5: any summation order, with or without FMA). Both are evaluated
    only as needed, and :math:`g M + P` in as few products as the operands allow.
    """

    __slots__ = ("_M", "aA", "bA", "eA", "eB", "n")

    def __init__(self, A: Tracked, B: Tracked, n: int) -> None:
        self.n = n
        aA = A._abs
        if aA is None:
            aA = A._abs = np.abs(A.v)
        bA = B._abs
        if bA is None:
            bA = B._abs = np.abs(B.v)
        self.aA, self.bA, self.eA, self.eB = aA, bA, A.e, B.e
        self._M: Array | None = None

    @property
    def cost(self) -> int:
        """Roundings along the bound's longest chain beyond the operands': n, and 4 (5 when both carry errors)."""
        return self.n + (5 if self.eA is not None and self.eB is not None else 4)

    @property
    def M(self) -> Array:  # noqa: N802 (Higham's letter)
        if self._M is None:
            self._M = (self.aA if self.eA is None else self.aA + self.eA) @ (
                self.bA if self.eB is None else self.bA + self.eB)
        return self._M

    def bound(self, g: float) -> Array:
        return rule_matmul(self.aA, self.eA, self.bA, self.eB, g)


def rule_matmul(aA: Array, eA: Array | None, bA: Array, eB: Array | None, g: float) -> Array:
    r"""``A @ B``: :math:`g\,(|A| + E_A)(|B| + E_B) + |A| E_B + E_A (|B| + E_B)`, g = :math:`\gamma_n` (or more).

    ``aA`` is :math:`|A|`, ``bA`` is :math:`|B|`. Grouped by linearity into one product when either
    operand is exact: :math:`|A| (g(|B| + E_B) + E_B)` or :math:`(g(|A| + E_A) + E_A) |B|`; two
    otherwise: with :math:`L = g(|A| + E_A) + E_A`, :math:`L |B| + (L + |A|) E_B`.
    """
    # an inner dimension of 1 (W3' * delta3): each entry is one product, made elementwise faster than by BLAS
    product = np.multiply if aA.shape[-1] == 1 and aA.ndim > 1 and bA.ndim > 1 else np.matmul
    if eA is None:
        if eB is None:  # C order: BLAS runs faster on it than on a transposed view
            right = np.multiply(bA, g) if bA.flags.c_contiguous else np.multiply(bA, g, order="C")
        else:
            right = np.add(bA, eB) if bA.flags.c_contiguous and eB.flags.c_contiguous else np.add(bA, eB, order="C")
            right *= g
            right += eB
        return product(aA, right)
    left = aA + eA
    left *= g
    left += eA
    e = product(left, _c_order(bA, aA))
    if eB is not None:
        left += aA
        e += product(left, _c_order(eB, aA))
    return e


def _c_order(b: Array, a: Array) -> Array:
    """``b`` as a C-ordered array when it is a transposed view and ``a @ b`` has enough rows to repay the copy
    (the product's value is the same up to summation order, which the bound's chain length already counts)."""
    if a.ndim == 2 and a.shape[0] >= 16 and not b.flags.c_contiguous:
        return np.ascontiguousarray(b)
    return b


class Sum(Accumulation):
    r"""A sum of n + 1 terms: :math:`\gamma_n \sum |x| + \sum E` (Higham §4.2)."""

    __slots__ = ("P", "_M", "n")

    def __init__(self, M: Array, P: Array | None, n: int) -> None:
        self._M, self.P, self.n = M, P, n

    @property
    def M(self) -> Array:  # noqa: N802 (Higham's letter)
        return self._M

    def bound(self, g: float) -> Array:
        e = g * self._M
        if self.P is not None:
            e += self.P  # e is fresh (a scalar for a full sum: += makes a new one)
        return e


@functools.cache
def _ones(n: int) -> Array:
    ones = np.ones(n)
    ones.flags.writeable = False
    return ones


def _sum_of_magnitudes(a: Array, axis: Any, keepdims: bool) -> Array:
    """``sum(a, axis)`` of a non-negative array, in any order: a matrix-vector product with ones for a 2-D sum
    along one axis (BLAS, some 3x faster than ``np.add.reduce`` at 128 x 32), else NumPy's own reduction.

    Only the bound's sums take this path (the value keeps ``np.sum``'s order, bit for bit): a computed sum
    of n non-negative terms is within gamma_(n-1) of exact in every order, which the chain k counts.
    """
    if a.ndim == 2 and type(axis) is int and -2 <= axis <= 1:
        if axis % 2:
            total = a @ _ones(a.shape[1])
            return total.reshape(-1, 1) if keepdims else total
        total = _ones(a.shape[0]) @ a
        return total.reshape(1, -1) if keepdims else total
    return np.asarray(_sum_along(a, axis=axis, keepdims=keepdims))


def rule_sum(x: Tracked, axis: Any, keepdims: bool) -> tuple[Sum, int]:
    r"""Sum of n terms: :math:`\gamma_{n-1} \sum |x| + \sum E` (Higham §4.2), as (the sum, chain)."""
    a, e = _abs(x), x.e
    M = _sum_of_magnitudes(a, axis, keepdims)
    P = None if e is None else _sum_of_magnitudes(e, axis, keepdims)
    n = x.v.size // max(M.size, 1) if x.v.size else 0
    return Sum(M, P, n - 1 if n > 1 else 0), n + 3


def rule_mask(x: Tracked, mask: TrackedMask) -> Array | None:
    r"""``x * mask``: exact; E_x where the mask is on, 0 where off, the whole |x| + E_x where ambiguous.

    Where another correct evaluation may take the other mask, its result may be 0 where this one
    is x, or x' (within E_x of exact) where this one is 0: both within ``|x|max + E_x`` of exact.
    """
    m, e = _mask_float(mask), x.e
    if mask.ambiguous is None:
        return None if e is None else e * m
    on = 0.0 if e is None else e * m
    whole = _abs_max(x) if e is None else _abs_max(x) + e
    return np.where(mask.ambiguous, whole, on)


def rule_extreme(a: Tracked, b: Tracked, largest: bool) -> Array | None:
    r"""``maximum`` (``largest``) / ``minimum``: exact and 1-Lipschitz; E of the chosen operand where the choice is certain.

    Where ``|a - b| > 2(E_a + E_b)`` every correct evaluation chooses the same operand (each is
    within E of exact), so the bound is that operand's; elsewhere ``max(E_a, E_b)``. For
    ``maximum(0, z)`` this is the hand derivation's ReLU rule: 0 where ``z < -2 E_z``.
    """
    ea, eb = a.e, b.e
    if ea is None and eb is None:
        return None
    if ea is None or eb is None:  # one operand exact, as max(0, z): 0 where it is chosen and |a - b| > 2 E
        e_other = eb if ea is None else ea
        assert e_other is not None
        x, y = (a, b) if ea is None else (b, a)  # x exact
        # x's lead over y (x - y for a maximum, y - x for a minimum) equals |a - b| where x is chosen and
        # is <= 0 elsewhere (IEEE subtraction is monotone and x - y = 0 only when x = y), so one comparison
        # is the test "|a - b| > 2E and x chosen"
        if x is _ZERO or (x.v.ndim == 0 and x.v == 0):  # max(0, z) / min(0, z): 0 - z = -z, z - 0 = z exactly, so the
            # test is z < -2E (a maximum) or z > 2E (a minimum), -2E = -(2E) exactly: one pass fewer
            uncertain = np.greater_equal(y.v, e_other * -2.0) if largest else np.less_equal(y.v, e_other * 2.0)
            # E where not certain, 0 where certain (the mask as 0.0 / 1.0 first: NumPy's float loop, faster
            # than its bool-to-float cast inside the product)
            return np.multiply(e_other, uncertain.astype(np.float64))
        lead = x.v - y.v if largest else y.v - x.v
        return np.where(lead > 2.0 * e_other, 0.0, e_other)
    pick_a = (a.v >= b.v) if largest else (a.v <= b.v)
    ea, eb = np.broadcast_arrays(ea, eb)
    certain = _abs_diff(a, b) > 2.0 * (ea + eb)
    return np.where(certain, np.where(pick_a, ea, eb), np.maximum(ea, eb))


def _df_exp(x: Array, e: Array) -> Array:
    return np.exp(x + e)


def _df_log(x: Array, e: Array) -> Array:
    low = x - e
    if not (low > 0).all():
        refuse("numpy.log of a value whose bound reaches 0", "log has no finite bound there")
    return 1.0 / low


def _df_log1p(x: Array, e: Array) -> Array:
    low = 1.0 + (x - e)
    if not (low > 0).all():
        refuse("numpy.log1p of a value whose bound reaches -1", "log1p has no finite bound there")
    return 1.0 / low


def _df_tanh(x: Array, e: Array) -> Array:
    t = np.maximum(np.abs(x) - e, 0.0)  # the point of [x - E, x + E] nearest 0, where 1 - tanh^2 is largest
    return 1.0 / np.cosh(t) ** 2


#: max |f'| on [x - E, x + E] for each libm-style function
DERIVATIVE_BOUNDS: dict[str, Callable[[Array, Array], Array]] = {
    "exp": _df_exp, "expm1": _df_exp, "log": _df_log, "log1p": _df_log1p, "tanh": _df_tanh,
}


def rule_elementary(name: str, x: Tracked, v: Array) -> tuple[Array, int]:
    r"""``f(x)`` for f in exp, expm1, log, log1p, tanh: :math:`\max_{[x-E, x+E]} |f'| \cdot E + k\,\mathrm{ulp}(f(x))`.

    k = :data:`LIBM_ULP` for every function (glibc's published maxima are lower; NumPy's AVX-512
    SVML loops are within 4 ULP); one ULP of y is at most 2u|y|.
    """
    e = (2 * LIBM_ULP * U) * np.abs(v)
    if x.e is not None:
        e = e + DERIVATIVE_BOUNDS[name](x.v, x.e) * x.e
    return e, 2 * LIBM_ULP + 8


def rule_sqrt(x: Tracked, v: Array) -> tuple[Array, int]:
    r"""``sqrt``, correctly rounded: :math:`u\sqrt{x} + \min(E / (\sqrt{x} + \sqrt{\max(x - E, 0)}), \sqrt{E})`."""
    e = U * v
    if x.e is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            lipschitz = x.e / (v + np.sqrt(np.maximum(x.v - x.e, 0.0)))
        e = e + np.fmin(lipschitz, np.sqrt(x.e))
    return e, 8


def rule_power(x: Tracked, p: int, v: Array) -> tuple[Array, int]:
    r"""``x ** p``, p a positive integer: ``x**2`` is one product (:math:`u x^2 + (2|x| + E)E`); other p
    call libm's pow: :math:`k\,\mathrm{ulp} + p(|x| + E)^{p-1} E`."""
    if p == 2:
        e = U * v
        return (e if x.e is None else e + (2.0 * _abs(x) + x.e) * x.e), 5
    e = (2 * LIBM_ULP * U) * np.abs(v)
    if x.e is not None:
        e = e + p * (_abs(x) + x.e) ** (p - 1) * x.e
    return e, 2 * LIBM_ULP + 8


def rule_power_real(x: Tracked, p: float, v: Array) -> tuple[Array, int]:
    r"""``x ** p``, p negative or not whole (``x ** -1``, ``x ** 0.5``): libm's pow, 4 ulp (NumPy may take
    ``1/x`` or ``sqrt`` instead, each within that), plus :math:`|p| \max_{|t| \in [|x| - E, |x| + E]} |t|^{p-1} E`
    (the largest derivative on the interval: at its small end when p < 1); an interval reaching 0 is refused."""
    e = (2 * LIBM_ULP * U) * np.abs(v)
    if x.e is None:
        return e, 2 * LIBM_ULP + 4
    low = _abs(x) - x.e
    if not (low > 0).all():
        refuse(f"numpy.power with exponent {p!r} of a value whose bound reaches 0", "its derivative is unbounded there")
    if p < 1:  # |p| m^(p-1) E as |p| (E / m) m^p: m^(p-1) alone underflows where the whole does not (m ~ 1e170)
        return e + abs(p) * (x.e / low) * low ** p, 4 * LIBM_ULP + 12
    m = _abs(x) + x.e
    return e + abs(p) * m ** (p - 1) * x.e, 4 * LIBM_ULP + 12


# -- operations ---------------------------------------------------------------------------------------

_UFUNCS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide}
_OP_NAMES = {op: f"numpy.{op}" for op in _UFUNCS}


_PY_OPS: dict[str, Callable[[float, float], float]] = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul, "divide": operator.truediv}


_PY_INT_OPS: dict[str, Callable[[int, int], int]] = {"add": operator.add, "subtract": operator.sub,
                                                    "multiply": operator.mul}


_PY_COMPARISONS: dict[np.ufunc, Callable[[float, float], bool]] = {
    np.greater: operator.gt, np.greater_equal: operator.ge, np.less: operator.lt, np.less_equal: operator.le,
    np.equal: operator.eq, np.not_equal: operator.ne}


def _exact_scalar(x: Any) -> float | None:
    """``x`` as a float when it is an exact 0-d tracked value, a Python float or an int below 2^53; else None."""
    kind = type(x)
    if kind is Tracked:
        return float(x.v) if x.acc is None and x.e is None and x.v.ndim == 0 else None
    if kind is _Integer:
        return float(x.n) if -(2**53) <= x.n <= 2**53 else None
    if kind is float:
        return x
    if kind is int and -(2**53) <= x <= 2**53:
        return float(x)
    return None


def _binary_exact_scalars(op: str, a: Any, b: Any) -> Tracked | None:
    """Exact single values whose result is exact (E = 0), in Python floats (IEEE binary64, as NumPy's 0-d
    arithmetic); None when the general path is needed."""
    if type(a) is Tracked:
        if a.v.ndim or a.e is not None or a.acc is not None:  # an array or a value with a bound: the general path
            return None
        x: float | None = float(a.v)
        ka, amb = a.k, a.amb
    else:
        x, ka, amb = _exact_scalar(a), 0, _NO_AMBIGUITY
    if type(b) is Tracked:
        if b.v.ndim or b.e is not None or b.acc is not None:
            return None
        y: float | None = float(b.v)
        kb, amb = b.k, _merge(amb, b.amb)
    else:
        y, kb = _exact_scalar(b), 0
    if x is None or y is None or (op == "divide" and y == 0.0):
        return None
    r = _PY_OPS[op](x, y)
    # integers below 2^53 add, subtract and multiply exactly while the result stays below 2^53
    integral = op != "divide" and x.is_integer() and y.is_integer() and -(2.0**53) < r < 2.0**53
    if not (integral or _exact_in_rationals(op, x, y, r)):
        return None
    return Tracked(np.array(r), None, ka if ka > kb else kb, None, None, amb)


def binary(op: str, a: Any, b: Any) -> Tracked:  # noqa: PLR0911 (one path per kind of operand)
    """``a op b`` for op in add, subtract, multiply, divide, with broadcasting; either side may be plain."""
    kind_a, kind_b = type(a), type(b)
    if (kind_a is Tracked or kind_a is _Fresh) and (kind_b is Tracked or kind_b is _Fresh) and (a.v.ndim or b.v.ndim):  # tracked, one an array: float64 out
        return _binary_arrays(op, a, b, _UFUNCS[op](a.v, b.v))
    if kind_b is TrackedMask and (kind_a is Tracked or kind_a is _Fresh) and op == "multiply":  # x .* mask, as (W' d) .* ReLU_deriv(z)
        return _times_mask(a, b)
    if kind_a is _Integer or kind_b is _Integer:  # np.int64(j) + i (a NumPy int's operator calls the ufunc): ints
        m, n = _int_operand(a), _int_operand(b)
        if m is not None and n is not None:
            return _int_quotient(m, n) if op == "divide" else _Integer(_PY_INT_OPS[op](m, n))
    fast = _binary_exact_scalars(op, a, b)
    if fast is not None:
        return fast
    name = f"numpy.{op}"
    if isinstance(a, TrackedMask) or isinstance(b, TrackedMask):
        both = isinstance(a, TrackedMask) and isinstance(b, TrackedMask)
        if both and op in ("add", "multiply"):  # NumPy's bool + bool is "or", bool * bool is "and"
            return a | b if op == "add" else a & b
        if both and op == "subtract":
            refuse("numpy.subtract of two comparison masks", "NumPy refuses boolean subtraction; use ^ or ~")
        if op == "multiply":
            return _times_mask(a, b)
        # 1 - mask, mask / 2, mask + 1: below, _wrap takes each mask as 0.0 / 1.0 (NumPy's integer 0 / 1, the same
        # values) with E = 1 where another evaluation may flip it (_const)
    if op == "multiply" and (_is_bool(a) or _is_bool(b)):  # a plain boolean mask: exact, certain
        mask = a if _is_bool(a) else b
        other = _wrap(b if mask is a else a, name)
        return _times_mask(TrackedMask(np.asarray(mask), None, _NO_AMBIGUITY), other, mask_first=mask is a)
    ta, tb = _wrap(a, name), _wrap(b, name)
    v = _UFUNCS[op](ta.v, tb.v)
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    if v.dtype != np.float64:
        refuse(f"{name} giving {v.dtype}", "only float64 is tracked")
    return _binary_arrays(op, ta, tb, v)


def _binary_arrays(op: str, ta: Tracked, tb: Tracked, v: Array) -> Tracked:
    """The bound of ``v = ta op tb`` (float64), by :func:`rule_add`, :func:`rule_multiply` or :func:`rule_divide`."""
    amb, amb_b = ta.amb, tb.amb
    if amb_b:
        amb = amb | amb_b if amb else amb_b
    ka, kb = ta.k, tb.k
    ka = ka if ka > kb else kb
    if ta.acc is None and tb.acc is None and ta.e is None and tb.e is None and _exact_scalar_result(op, ta, tb, v):
        return Tracked(v, None, ka, None, None, amb)
    mag: Magnitude = None
    if op in ("add", "subtract"):
        e, cost = rule_add(ta, tb, v)
    elif op == "multiply":
        e, cost = rule_multiply(ta, tb, v)
        if ta.mag is not None or tb.mag is not None or isinstance(ta.acc, Product) or isinstance(tb.acc, Product):
            mag = (ta, tb)  # |ta|max |tb|max, only if a mask ambiguity reaches this product (see _abs_max)
    else:
        e, cost = rule_divide(ta, tb, v)
    if e.shape != v.shape:
        e = np.broadcast_to(e, v.shape).copy()
    return _result(_OP_NAMES[op], v, e, cost, ka + cost, amb, None, mag)


def _is_bool(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.bool_)) and x.dtype == np.bool_


def _mask_float(mask: TrackedMask) -> Array:
    """The mask as float64 0.0 / 1.0, converted once: ``x * m`` then runs NumPy's float loop, bit for bit
    what ``x * mask`` gives (NumPy casts the bool operand to float64 the same way)."""
    f = mask._f
    if f is None:
        f = mask._f = mask.v.astype(np.float64)
    return f


def _times_mask(a: Any, b: Any, mask_first: bool | None = None) -> Tracked:
    if mask_first is False and (type(a) is Tracked or type(a) is _Fresh):  # Tracked.__mul__ with a TrackedMask: x .* mask
        m = b._f
        if m is None:
            m = _mask_float(b)
        e = rule_mask(a, b)
        v = a.v * m
        if e is not None and e.shape != v.shape:
            e = np.broadcast_to(e, v.shape).copy()
        return Tracked(v, e, a.k + 2, None, None, _merge(a.amb, b.amb))
    if isinstance(a, TrackedMask) and isinstance(b, TrackedMask):
        refuse("a product of two comparison masks")
    first_is_mask = isinstance(a, TrackedMask) if mask_first is None else mask_first
    mask: TrackedMask = a if isinstance(a, TrackedMask) else b
    x = _wrap(b if mask is a else a, "numpy.multiply")
    m = _mask_float(mask)
    v = np.multiply(m, x.v) if first_is_mask else np.multiply(x.v, m)
    e = rule_mask(x, mask)
    if e is not None and e.shape != v.shape:
        e = np.broadcast_to(e, v.shape).copy()
    return Tracked(v, e, x.k + 2, amb=_merge(x.amb, mask.amb))


def matmul(a: Any, b: Any) -> Tracked:
    """``a @ b`` (2-D and 1-D operands, stacks of matrices), bound by :func:`rule_matmul`."""
    return _matmul(_wrap(a, "numpy.matmul"), _wrap(b, "numpy.matmul"))


def _matmul(A: Tracked, B: Tracked) -> Tracked:
    av, bv = A.v, B.v
    if not av.ndim or not bv.ndim:
        refuse("numpy.matmul of a 0-d operand")
    v = av @ bv
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    # No finiteness test of v here: every reader of the product reads its bound first, and _Fresh.e checks it
    # (and v, where the bound is large enough for v to have overflowed: _check_bound), naming numpy.matmul.
    ka, kb = A.k, B.k
    product = Product(A, B, av.shape[-1])
    return _Fresh(v, (ka if ka > kb else kb) + product.cost, product, _merge(A.amb, B.amb))


def power(x: Tracked, p: Any) -> Tracked:
    """``x ** p`` for a plain real exponent p (:func:`rule_power`, :func:`rule_power_real`)."""
    if type(p) is _Integer:
        p = p.n
    elif type(p) is Tracked and p.v.ndim == 0 and p.e is None and p.acc is None and float(p.v).is_integer():
        p = int(p.v)  # an exact whole number (as a step count t in b1 ** t): the plain twin's int exponent
    if isinstance(p, (Tracked, TrackedMask)) or np.ndim(p) != 0 or np.asarray(p).dtype.kind not in "iuf" \
            or not math.isfinite(float(p)):
        refuse(f"numpy.power with exponent {p!r}", "only a plain real number or an exact whole tracked number is "
               "tracked as an exponent")
    # a 0-d value stands for NumPy's scalar (np.sum(x), x[0, 0] give np.float64), whose ** takes libm's pow,
    # not the array loop: computed the scalar's way, as the plain twin does
    scalar = x.v.ndim == 0 and not x.array_0d
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite value is refused below
        v = np.asarray(x.v[()] ** p) if scalar else np.asarray(x.v ** p)
    q = float(p)
    if q == 1:
        return x.copy()
    if q == 0:  # NumPy gives 1 everywhere (0 ** 0 included), exactly
        return Tracked(v, None, x.k, amb=x.amb)
    if q.is_integer() and q > 1 and not (q == 2 and scalar):  # a scalar's ** 2 is libm's pow, not one product
        e, cost = rule_power(x, int(q), v)
    else:
        e, cost = rule_power_real(x, q, v)
    return _result("numpy.power", v, e, cost, x.k + cost, x.amb)


def compare(ufunc: np.ufunc, a: Any, b: Any) -> TrackedMask:
    """A comparison: exact in value; entries within ``2(E_a + E_b)`` of a tie are ambiguous (counted)."""
    if isinstance(a, Tracked) and a.v.ndim:  # an array on the left (z > 0): not a pair of single values
        ta = a
        tb = b if isinstance(b, Tracked) else (_ZERO if type(b) is int and b == 0 else
                                               _wrap(b, f"numpy.{ufunc.__name__}"))
    else:
        x, y = _exact_scalar(a), _exact_scalar(b)
        if x is not None and y is not None and ufunc in _PY_COMPARISONS:  # exact single values: a certain answer
            amb = _merge(a.amb if isinstance(a, Tracked) else _NO_AMBIGUITY,
                         b.amb if isinstance(b, Tracked) else _NO_AMBIGUITY)
            return TrackedMask(np.array(_PY_COMPARISONS[ufunc](x, y)), None, amb)
        ta, tb = _wrap(a, f"numpy.{ufunc.__name__}"), _wrap(b, f"numpy.{ufunc.__name__}")
    v = ufunc(ta.v, tb.v)
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    amb, amb_b = ta.amb, tb.amb
    if amb_b:
        amb = amb | amb_b if amb else amb_b
    ea, eb = ta.e, tb.e
    if ea is None and eb is None:
        _check_exact_operands(f"numpy.{ufunc.__name__}", ta, tb)
        return TrackedMask(v, None, amb)
    if ufunc is np.equal or ufunc is np.not_equal:
        refuse(f"numpy.{ufunc.__name__} of values with a nonzero bound", "equality of rounded values is never certain")
    e = ea if eb is None else (eb if ea is None else ea + eb)
    assert e is not None
    near = _abs_diff(ta, tb) <= 2.0 * e
    if not np.count_nonzero(near):  # no entry within 2E of a tie (the usual case): nothing is ambiguous
        return TrackedMask(v, None, amb)
    ambiguous = near & (e > 0)
    if ambiguous.shape != v.shape:
        ambiguous = np.broadcast_to(ambiguous, v.shape)
    count = int(np.count_nonzero(ambiguous))
    if not count:
        return TrackedMask(v, None, amb)
    return TrackedMask(v, ambiguous, _merge(amb, frozenset({(next(_mask_ids), count)})))


def extreme(ufunc: np.ufunc, a: Any, b: Any) -> Tracked:
    """``maximum``/``minimum`` (also ``fmax``/``fmin``), bound by :func:`rule_extreme`."""
    ta = a if isinstance(a, Tracked) else (_ZERO if type(a) is int and a == 0 else  # max(0, z): the common case
                                           _wrap(a, f"numpy.{ufunc.__name__}"))
    tb = b if isinstance(b, Tracked) else _wrap(b, f"numpy.{ufunc.__name__}")
    v = ufunc(ta.v, tb.v)
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    e = rule_extreme(ta, tb, ufunc is np.maximum or ufunc is np.fmax)
    if e is None:
        _check_exact_operands(f"numpy.{ufunc.__name__}", ta, tb)
    # no finiteness check: each entry of e is 0 or one operand's E (or their max), each already finite
    ka, kb = ta.k, tb.k
    out = Tracked(v, e, (ka if ka > kb else kb) + 2, None, None, _merge(ta.amb, tb.amb))
    if ta is _ZERO and ufunc is np.maximum:  # max(+0, z) >= 0 entrywise: its value serves as |value| in the bounds
        out._abs = v  # (NumPy may give -0.0 where z = -0.0: the same magnitude; __abs__ does not use this array)
    return out


def elementary(name: str, x: Tracked) -> Tracked:
    """exp, expm1, log, log1p, tanh (:func:`rule_elementary`) and sqrt (:func:`rule_sqrt`)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # refused below; underflow stays watched
        v = np.asarray(getattr(np, name)(x.v))
    if not np.isfinite(v).all():
        _check(f"numpy.{name}", Tracked(v))
    if name == "sqrt":
        e, cost = rule_sqrt(x, v)
    else:
        e, cost = rule_elementary(name, x, v)
    return _result(f"numpy.{name}", v, e, cost, x.k + cost, x.amb)


def _reduce_kwargs(op: str, kwargs: Mapping[str, Any]) -> None:
    extra = {k: v for k, v in kwargs.items() if v is not None and not (k == "dtype" and np.dtype(v) == np.float64)}
    if extra:
        refuse(f"{op} with {', '.join(sorted(extra))}=", "out=, where=, initial= and other dtypes are not tracked")


def reduce_sum(x: Any, axis: Any = None, keepdims: bool = False, kwargs: Mapping[str, Any] | None = None) -> Tracked:
    """``numpy.sum`` along an axis, several or all, with or without ``keepdims`` (:func:`rule_sum`)."""
    if kwargs:
        _reduce_kwargs("numpy.sum", kwargs)
    if type(x) is TrackedMask:  # counting a comparison's entries
        return count_mask(x, axis, keepdims)
    t = _wrap(x, "numpy.sum")
    v = _sum_along(t.v, axis=axis, keepdims=keepdims)  # what np.sum calls for an ndarray
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    acc, cost = rule_sum(t, axis, keepdims)
    return _result("numpy.sum", v, acc.bound(_gamma(acc.n)), cost, t.k + cost, t.amb, acc)


def reduce_mean(x: Any, axis: Any = None, keepdims: bool = False, kwargs: Mapping[str, Any] | None = None) -> Tracked:
    """``numpy.mean``: the sum's bound divided by n, plus the division's own rounding u|mean|."""
    _reduce_kwargs("numpy.mean", kwargs or {})
    t = _wrap(x, "numpy.mean")
    v = np.asarray(np.mean(t.v, axis=axis, keepdims=keepdims))
    acc, cost = rule_sum(t, axis, keepdims)
    e_sum = acc.bound(_gamma(acc.n))
    n = t.v.size // max(v.size, 1) if t.v.size else 0
    e = e_sum / max(n, 1) + U * np.abs(v)
    return _result("numpy.mean", v, e, cost + 3, t.k + cost + 3, t.amb)


def reduce_extreme(func: Callable[..., Any], x: Any, axis: Any = None, keepdims: bool = False,
                   kwargs: Mapping[str, Any] | None = None) -> Tracked:
    """``max``/``min`` reductions: exact and 1-Lipschitz in the largest entry: E = max of E over the axes."""
    _reduce_kwargs(f"numpy.{func.__name__}", kwargs or {})
    t = _wrap(x, f"numpy.{func.__name__}")
    v = np.asarray(func(t.v, axis=axis, keepdims=keepdims))
    e = None if t.e is None else np.asarray(np.max(t.e, axis=axis, keepdims=keepdims))
    return Tracked(v, e, t.k + 1, amb=t.amb)


def _plain_key(key: Any) -> Any:
    """An index holding comparison masks, with each mask's plain booleans: a certain mask selects exactly the
    entries every correct evaluation selects; one with ambiguous entries is refused (the selection, and even its
    shape, could differ)."""
    def plain(k: Any) -> Any:
        if isinstance(k, TrackedMask):
            if k.ambiguous is not None:
                refuse("indexing with a comparison another correct evaluation could decide otherwise",
                       f"{int(np.count_nonzero(k.ambiguous))} entries are within rounding of the tie")
            return k.v
        if type(k) is _Integer:  # an int input indexes as itself
            return k.n
        if type(k) is list:  # x[[i, j]]
            return [plain(j) for j in k]
        if isinstance(k, Tracked):
            refuse("indexing with a tracked array", "index with plain integers, slices, arrays or comparison masks")
        return k
    return tuple(plain(k) for k in key) if isinstance(key, tuple) else plain(key)


def count_mask(mask: TrackedMask, axis: Any = None, keepdims: bool = False,
               kwargs: Mapping[str, Any] | None = None) -> Any:
    """``sum``/``count_nonzero`` of a mask: NumPy's exact count where the mask is certain; with ambiguous
    entries the count as float64 with E = the ambiguous entries counted along the same axes."""
    if kwargs:
        _reduce_kwargs("numpy.sum of a mask", kwargs)
    v = np.asarray(np.sum(mask.v, axis=axis, keepdims=keepdims), dtype=np.float64)  # NumPy's count, as float64
    if mask.ambiguous is None:  # exact, and still tracked: np.sum(m) / 3 must charge its division
        return Tracked(v, None, 0, amb=mask.amb)
    e = np.sum(mask.ambiguous, axis=axis, keepdims=keepdims).astype(np.float64)
    return Tracked(v, np.asarray(e), 1, amb=mask.amb)


def where(cond: Any, a: Any, b: Any) -> Tracked:
    r"""``numpy.where(cond, a, b)``, bound by :func:`rule_where`."""
    if isinstance(cond, Tracked):
        refuse("numpy.where with a tracked array as its condition", "give a comparison (z > 0) or a boolean array")
    mask = cond if isinstance(cond, TrackedMask) else TrackedMask(np.asarray(cond, dtype=bool), None, _NO_AMBIGUITY)
    if (isinstance(a, TrackedMask) or _is_bool(a)) and (isinstance(b, TrackedMask) or _is_bool(b)):
        return _where_masks(mask, _as_mask(a, "numpy.where"), _as_mask(b, "numpy.where"))  # type: ignore[return-value]
    ta, tb = _wrap(a, "numpy.where"), _wrap(b, "numpy.where")
    v = np.asarray(np.where(mask.v, ta.v, tb.v))
    if v.dtype != np.float64:
        v = v.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite bound is refused by _check
        e = rule_where(mask, ta, tb, v)
    _check_exact_operands("numpy.where", ta, tb)
    return _check("numpy.where", Tracked(v, e, max(ta.k, tb.k) + 4, amb=_merge(mask.amb, _merge(ta.amb, tb.amb))))


def _where_masks(cond: TrackedMask, a: TrackedMask, b: TrackedMask) -> TrackedMask:
    """where(cond, m, n) of two masks is a mask (NumPy keeps it boolean): ambiguous where the chosen mask is, and
    where the condition is ambiguous and the two could differ."""
    v = np.where(cond.v, a.v, b.v)
    no = np.zeros(v.shape, dtype=bool)
    amb_a = no if a.ambiguous is None else a.ambiguous
    amb_b = no if b.ambiguous is None else b.ambiguous
    ambiguous = np.where(cond.v, amb_a, amb_b)
    if cond.ambiguous is not None:
        ambiguous = ambiguous | (cond.ambiguous & ((a.v != b.v) | amb_a | amb_b))
    ambiguous = np.broadcast_to(ambiguous, v.shape)
    return TrackedMask(v, ambiguous if ambiguous.any() else None, _merge(cond.amb, _merge(a.amb, b.amb)))


def rule_where(mask: TrackedMask, a: Tracked, b: Tracked, v: Array) -> Array | None:
    r"""``where(mask, a, b)``: exact; E of the chosen operand where the mask is certain, and where it is
    ambiguous :math:`|a - b| + 2(E_a + E_b)`: the exact result may be the other operand, and so may another
    correct evaluation's, whose own b' is within E_b of exact b; both within that of exact (first order).
    """
    ea, eb = a.e, b.e
    if mask.ambiguous is None and ea is None and eb is None:
        return None
    ea_, eb_ = a.error, b.error
    chosen = np.where(mask.v, ea_, eb_)
    if mask.ambiguous is not None:
        chosen = np.where(mask.ambiguous, np.abs(a.v - b.v) + 2.0 * (ea_ + eb_), chosen)
    return np.broadcast_to(chosen, v.shape).copy() if chosen.shape != v.shape else chosen


def arg_extreme(func: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """``argmin``/``argmax``: NumPy's plain integer indices, where every correct evaluation picks the same entry:
    the best value leads the runner-up by more than twice the largest bound along the axis (k-means' assignment
    ``[~, idx] = min(D, [], 2)``); refused where it may not (a near tie)."""
    name = f"numpy.{func.__name__}"
    t = _wrap(x, name)
    v = np.asarray(t.v)
    idx = func(v, axis=axis, keepdims=keepdims)
    if t.e is None and t.acc is None:
        _check_exact_operands(name, t)
        return idx
    bound = t.error  # the product's bound evaluated if still lazy; zeros where exact
    flat = v.reshape(-1) if axis is None else np.moveaxis(v, axis, -1)
    e = bound.reshape(-1) if axis is None else np.moveaxis(bound, axis, -1)
    if flat.shape[-1] > 1:
        ordered = np.sort(-flat if func is np.argmax else flat, axis=-1)
        gap = ordered[..., 1] - ordered[..., 0]
        if not (gap > 2.0 * np.max(e, axis=-1)).all():
            refuse(f"{name} of values whose best two are within rounding of each other",
                   "another correct evaluation could pick the other entry")
    return idx


def clip(x: Any, lo: Any, hi: Any) -> Tracked:
    """``numpy.clip``: NumPy's own value (it keeps -0.0 where max then min would give +0.0); the bound of
    ``minimum(maximum(x, lo), hi)``, each step exact and 1-Lipschitz. A side given as None is not clipped."""
    t = _wrap(x, "numpy.clip")
    bounded = t if lo is None else extreme(np.maximum, t, lo)
    bounded = bounded if hi is None else extreme(np.minimum, bounded, hi)
    v = np.asarray(np.clip(t.v, _value_of(lo), _value_of(hi)))
    return Tracked(v, bounded.e, bounded.k, amb=bounded.amb)


def _joined(func: Any, arrays: Any, kwargs: Mapping[str, Any]) -> Tracked:
    """``concatenate``, ``stack``, ``hstack``, ``vstack``, ``column_stack``: values and bounds joined alike (exact)."""
    name = f"numpy.{func.__name__}"
    if set(kwargs) - {"axis"}:
        refuse(f"{name} with {', '.join(sorted(set(kwargs) - {'axis'}))}=", "out= and dtype= are not tracked")
    if all(isinstance(a, TrackedMask) or _is_bool(a) for a in arrays):  # booleans joined stay boolean: a mask
        ms = [_as_mask(a, name) for a in arrays]
        amb_joined = None if all(m.ambiguous is None for m in ms) else np.asarray(func(
            [np.zeros(m.v.shape, dtype=bool) if m.ambiguous is None else m.ambiguous for m in ms], **kwargs))
        merged = _NO_AMBIGUITY
        for m in ms:
            merged = _merge(merged, m.amb)
        return TrackedMask(np.asarray(func([m.v for m in ms], **kwargs)), amb_joined, merged)  # type: ignore[return-value]
    ts = [_wrap(a, name) for a in arrays]
    v = np.asarray(func([t.v for t in ts], **kwargs))
    e = None if all(t.e is None for t in ts) else np.asarray(func([t.error for t in ts], **kwargs))
    amb = _NO_AMBIGUITY
    for t in ts:
        amb = _merge(amb, t.amb)
    return Tracked(v, e, max((t.k for t in ts), default=0), amb=amb)


def _like(func: Any, x: Any, *args: Any, **kwargs: Any) -> Tracked:
    """``zeros_like``, ``ones_like``, ``full_like`` with a plain fill: an exact constant of x's shape."""
    name = f"numpy.{func.__name__}"
    if any(isinstance(a, (Tracked, TrackedMask)) for a in (*args, *kwargs.values())):
        refuse(f"{name} with a tracked fill value", "fill with a plain number")
    if kwargs.get("dtype") is not None and np.dtype(kwargs["dtype"]) != np.float64:
        refuse(f"{name} with dtype={np.dtype(kwargs['dtype'])}", "only float64 is tracked")
    for fill in (*args, *kwargs.values()):
        if isinstance(fill, (int, np.integer)) and not isinstance(fill, (bool, np.bool_)):
            _const(int(fill), name)  # refuses a whole number float64 cannot hold
    if isinstance(x, TrackedMask) and kwargs.get("dtype") is None:  # NumPy's result is boolean: a certain mask
        return TrackedMask(np.asarray(func(x.v, *args, **kwargs)), None, _NO_AMBIGUITY)  # type: ignore[return-value]
    shape = x.v.shape if isinstance(x, (Tracked, TrackedMask)) else np.shape(x)
    return Tracked(np.asarray(func(np.empty(shape), *args, **{**kwargs, "dtype": np.float64})))


_JOINS = {"concatenate", "stack", "hstack", "vstack", "column_stack", "row_stack"}
_STRUCTURAL = {"transpose", "reshape", "copy", "squeeze", "ravel", "expand_dims", "atleast_2d", "atleast_1d", "tile",
               "repeat", "flip", "fliplr", "flipud", "rot90", "roll", "swapaxes", "moveaxis", "broadcast_to"}


# -- NumPy's two protocols ---------------------------------------------------------------------------

_ELEMENTARY = {"exp", "expm1", "log", "log1p", "tanh", "sqrt"}


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_ufunc__`` (NEP 13): the ufuncs with a rule, called plainly; everything else refused."""
    name = f"numpy.{ufunc.__name__}"
    if method != "__call__":
        refuse(f"{name}.{method}")
    if kwargs:
        what = "out=" if "out" in kwargs else ", ".join(f"{k}=" for k in kwargs)
        refuse(f"{name} with {what}", "writes into given arrays and other ufunc options are not tracked")
    rule = _UFUNC_RULES.get(ufunc.__name__)
    if rule is None:
        refuse(name)
    return rule(ufunc, *inputs)


def _as_mask(x: Any, op: str) -> TrackedMask:
    if isinstance(x, TrackedMask):
        return x
    if _is_bool(x) or isinstance(x, bool):
        return TrackedMask(np.asarray(x), None, _NO_AMBIGUITY)
    refuse(f"{op} of a tracked number", "logical operations take comparison masks or boolean arrays")


def _mask_logic(a: Any, b: Any, op: Callable[[Any, Any], Any]) -> TrackedMask:
    """``np.logical_and(m, n)``, ``plain_bool & m`` and the like: :meth:`TrackedMask._logical`."""
    name = {operator.and_: "numpy.logical_and", operator.or_: "numpy.logical_or"}.get(op, "numpy.logical_xor")
    return _as_mask(a, name)._logical(_as_mask(b, name), op)


def _power_ufunc(ufunc: np.ufunc, x: Any, p: Any) -> Tracked:
    if not isinstance(x, Tracked):  # a plain base: the tracked value is the exponent
        refuse("numpy.power with a tracked exponent")
    return power(x, p)  # np.power(x, p) as x ** p: power() takes the exponents it can and refuses the rest


_UFUNC_RULES: dict[str, Callable[..., Any]] = {
    "add": lambda f, a, b: binary("add", a, b),
    "subtract": lambda f, a, b: binary("subtract", a, b),
    "multiply": lambda f, a, b: binary("multiply", a, b),
    "divide": lambda f, a, b: binary("divide", a, b),
    "true_divide": lambda f, a, b: binary("divide", a, b),
    "matmul": lambda f, a, b: matmul(a, b),
    "negative": lambda f, x: -_wrap(x, "numpy.negative"),
    "positive": lambda f, x: _wrap(x, "numpy.positive"),
    "absolute": lambda f, x: abs(_wrap(x, "numpy.absolute")),
    "square": lambda f, x: binary("multiply", _wrap(x, "numpy.square"), _wrap(x, "numpy.square")),  # x * x
    "power": _power_ufunc,
    **{fn: extreme for fn in ("maximum", "minimum", "fmax", "fmin")},
    **{fn: (lambda f, a, b, op=op: _mask_logic(a, b, op)) for fn, op in (
        ("bitwise_and", operator.and_), ("logical_and", operator.and_), ("bitwise_or", operator.or_),
        ("logical_or", operator.or_), ("bitwise_xor", operator.xor), ("logical_xor", operator.xor))},
    **{fn: (lambda f, a: ~_as_mask(a, f"numpy.{f.__name__}")) for fn in ("invert", "logical_not")},
    **{fn: compare for fn in ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal")},
    **{fn: (lambda f, x: elementary(f.__name__, _wrap(x, f"numpy.{f.__name__}"))) for fn in _ELEMENTARY},
}


def _plain_argument(name: str, a: Any) -> Any:
    """An argument of a structural function (a count, a shift, an axis): an int input as its int; any other tracked
    value refused (NumPy would dispatch back to it)."""
    if type(a) is _Integer:
        return a.n
    if isinstance(a, (list, tuple)):  # np.tile(x, (i, 1))
        return type(a)(_plain_argument(name, b) for b in a)
    if isinstance(a, (Tracked, TrackedMask)):
        refuse(f"numpy.{name} with a tracked value as an argument", "give counts, shifts and axes as plain ints")
    return a


def _structural(func: Any, x: Any, *args: Any, **kwargs: Any) -> Tracked | TrackedMask:
    args = tuple(_plain_argument(func.__name__, a) for a in args)
    kwargs = {k: _plain_argument(func.__name__, a) for k, a in kwargs.items()}
    if isinstance(x, TrackedMask):  # a mask stays a mask (NumPy keeps booleans boolean): values and ambiguity move
        return x._moved(lambda a: np.asarray(func(a, *args, **kwargs)))
    t = _wrap(x, f"numpy.{func.__name__}")
    return t._same(lambda a: np.asarray(func(a, *args, **kwargs)))


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_function__`` (NEP 18): the functions of ``_FUNCTION_RULES``; everything else refused."""
    name = func.__name__
    rule = _FUNCTION_RULES.get(name)
    out = NotImplemented if rule is None else rule(func, args, kwargs)
    if out is not NotImplemented:
        return out
    module = func.__module__ if func.__module__ and func.__module__.startswith("numpy") else "numpy"
    module = "numpy" if module.startswith("numpy._core") or module == "numpy.core" else module
    refuse(f"{module}.{name}")


def _value_of(x: Any) -> Any:
    return x.v if isinstance(x, (Tracked, TrackedMask)) else x


def _if(ok: bool, call: Callable[[], Any]) -> Any:
    return call() if ok else NotImplemented


_FunctionRule = Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]
_FUNCTION_RULES: dict[str, _FunctionRule] = {
    "sum": lambda f, a, k: reduce_sum(*a, **_pop_axes(k)),
    "mean": lambda f, a, k: reduce_mean(*a, **_pop_axes(k)),
    **{n: (lambda f, a, k: reduce_extreme(np.max, *a, **_pop_axes(k))) for n in ("max", "amax")},
    **{n: (lambda f, a, k: reduce_extreme(np.min, *a, **_pop_axes(k))) for n in ("min", "amin")},
    **{n: (lambda f, a, k: _structural(f, *a, **k)) for n in _STRUCTURAL},
    **{n: (lambda f, a, k: _if(len(a) == 1, lambda: _joined(f, a[0], k))) for n in _JOINS},
    **{n: (lambda f, a, k: _like(f, *a, **k)) for n in ("zeros_like", "ones_like", "full_like")},
    "matmul": lambda f, a, k: _if(not k, lambda: matmul(*a)),
    # np.dot is matmul for 1-D and 2-D operands only (for N-D it is a different product)
    "dot": lambda f, a, k: _if(not k and len(a) == 2 and all(np.ndim(_value_of(x)) in (1, 2) for x in a),
                               lambda: matmul(*a)),
    **{n: (lambda f, a, k: getattr(_wrap(a[0], f.__name__), f.__name__)) for n in ("shape", "ndim", "size")},
    "where": lambda f, a, k: _if(len(a) == 3 and not k, lambda: where(*a)),
    "clip": lambda f, a, k: _if(len(a) == 3 and not k, lambda: clip(*a)),
    "count_nonzero": lambda f, a, k: _if(isinstance(a[0], TrackedMask), lambda: count_mask(a[0], **_pop_axes(k))),
    **{n: (lambda f, a, k: _if(len(a) == 1 and set(k) <= {"axis", "keepdims"},
                               lambda: arg_extreme(f, a[0], k.get("axis"), k.get("keepdims", False))))
       for n in ("argmin", "argmax")},
}


def _pop_axes(kwargs: dict[str, Any]) -> dict[str, Any]:
    rest = dict(kwargs)
    axis, keepdims = rest.pop("axis", None), rest.pop("keepdims", False)
    return {"axis": axis, "keepdims": keepdims, "kwargs": rest}


# -- running a twin -------------------------------------------------------------------------------------

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


def ratio_summary(tracked: Mapping[str, Array], hand: Mapping[str, Array]) -> dict[str, tuple[float, float, float]]:
    """Per quantity, min / median / max of tracked bound / hand bound over entries where both are > 0."""
    out: dict[str, tuple[float, float, float]] = {}
    for name, h in hand.items():
        if name not in tracked:
            continue
        t = np.asarray(tracked[name])
        both = (t > 0) & (h > 0)
        if not both.any():
            continue
        r = t[both] / h[both]
        out[name] = (float(r.min()), float(np.median(r)), float(r.max()))
    return out

