r"""The value types of the bound tracker: :class:`Tracked` (a float64 array and its bound), :class:`TrackedMask`
(a comparison's booleans and its ambiguous entries), what :func:`~dlparity.bounds.tracked.track` returns
(:class:`TrackedValue`, :class:`Untracked`), and the small helpers every rule shares.

The types hold data and move it exactly (slices of the value move with the bound); every operation that
computes is a rule of :mod:`.operations`, reached through the one table of :mod:`.dispatch`, which also attaches
the operators (``+``, ``@``, ``>``, ``x[i]``...) to these classes.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import math
import operator
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray

from dlparity.bounds.hand import U, gamma

if TYPE_CHECKING:
    from dlparity.bounds.tracked.rules import Accumulation, Product

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

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
#: The unit roundoff of each float dtype tracked (the one place it is looked up): float64's u = 2^-53, float32's
#: (MATLAB's ``single``) 2^-24. A result carries its own dtype's: NumPy promotes float32 with float64 to float64,
#: and that operation then rounds to 2^-53. Every bound is evaluated in float64, whatever the value's dtype.
UNIT_ROUNDOFF: dict[np.dtype[Any], float] = {_F64: U, _F32: 2.0**-24}


def unit_roundoff(dtype: np.dtype[Any]) -> float:
    """u of a tracked value's dtype (:data:`UNIT_ROUNDOFF`)."""
    return U if dtype is _F64 else UNIT_ROUNDOFF[np.dtype(dtype)]


def tiny(dtype: np.dtype[Any]) -> float:
    """The smallest subnormal of a tracked value's dtype: :data:`TINY` for float64, 2^-149 for float32 (the
    absolute slack of a rounding that underflows, see :func:`_result`)."""
    return TINY if dtype is _F64 else float(np.finfo(dtype).smallest_subnormal)


@functools.cache
def gamma_of(n: int, u: float) -> float:
    r""":math:`\gamma_n = nu/(1 - nu)` for the unit roundoff u (float64's is :func:`_gamma`)."""
    if u == U:
        return _gamma(n)
    nu = n * u
    if nu >= 1:
        refuse(f"a float32 sum of {n} terms", "n u reaches 1, where gamma_n is undefined")
    return nu / (1 - nu)


def _mag(v: Any) -> Array:
    """``|v|`` as float64 (exact for a float32 value): the bounds are evaluated in float64."""
    a = np.abs(v)
    return a if a.dtype is _F64 else np.asarray(a, dtype=np.float64)


#: The 0-d values that stand for a Python float or int in the plain twin (a constant ``0.5`` or ``2``, a Python
#: float input): NumPy treats those as *weak* (NEP 50), so ``x32 * 0.5`` stays float32 where ``x32 *
#: np.float64(0.5)`` is float64. Keyed by the value array's id, holding it weakly.
_WEAK: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def weak_scalar(t: Tracked) -> Tracked:
    """Mark ``t`` (a 0-d value) as a Python number of the plain twin (see :data:`_WEAK`)."""
    _WEAK[id(t.v)] = t.v
    return t


def is_weak(t: Any) -> bool:
    """True when ``t`` is a 0-d value marked by :func:`weak_scalar`."""
    v = getattr(t, "v", None)
    return v is not None and _WEAK.get(id(v)) is v
_max_reduce: Callable[..., Any] = np.maximum.reduce

_ADVICE = "pass rtol=/atol= (or --rtol/--atol) to compare with a chosen tolerance instead"


class UnsupportedOperation(TypeError):  # noqa: N818 (the name other modules code against)
    """An operation the bound tracker has no rule for (the message is one sentence naming it, ``op`` names it alone).

    Inside :func:`~dlparity.bounds.tracked.track` the operation's result becomes :class:`Untracked` instead (see
    :func:`~dlparity.bounds.tracked.dispatch.dispatch`); outside, and for :class:`BoundVoid`, it is raised.
    """

    def __init__(self, message: str, op: str = "", why: str = "") -> None:
        super().__init__(message)
        self.op, self.why = op, why

    def naming(self, where: str) -> str:
        """What an Untracked value's reason says: the operation, why, and where in the twin."""
        return f"{self.op} ({self.why}) at {where}" if self.why else f"{self.op} at {where}"


class RunRefused(UnsupportedOperation):
    """Refused even inside a run: there is no plain value to carry on with (see :func:`refuse_run`)."""


class BoundVoid(RunRefused):
    """A value or bound stopped being finite (overflow, division by zero, an input's inf or NaN): the first-order
    analysis is void, for this variable and for any the twin computes after it, so the whole run is refused."""


def refuse(op: str, why: str = "") -> NoReturn:
    """Raise :class:`UnsupportedOperation` naming ``op`` (and why, when there is more to say)."""
    reason = f" ({why})" if why else ""
    raise UnsupportedOperation(f"the bound tracker has no rule for {op}{reason}; {_ADVICE}.", op, why)


def refuse_run(op: str, why: str = "") -> NoReturn:
    """Raise :class:`RunRefused` naming ``op``: the whole run is refused, not only the operation's result."""
    reason = f" ({why})" if why else ""
    raise RunRefused(f"the bound tracker has no rule for {op}{reason}; {_ADVICE}.", op, why)


class Untracked(NamedTuple):
    """One returned variable the tracker could not bound: NumPy's value, and why (``"numpy.linalg.solve at
    twin.py:14"``: the first operation without a rule it depends on, or a conversion that let a value escape)."""

    value: Any
    reason: str


class _Run:
    """The state of one :func:`~dlparity.bounds.tracked.track` run: the first escape, if a value left the tracker,
    and the inputs (their memory is the caller's)."""

    __slots__ = ("escaped", "inputs")

    def __init__(self, inputs: Any = ()) -> None:
        self.escaped: str | None = None
        self.inputs = inputs

    def is_input(self, t: Any) -> bool:
        """True when ``t`` is one of the run's tracked inputs (at any depth of a nest)."""
        stack = list(self.inputs.values()) if isinstance(self.inputs, dict) else list(self.inputs)
        while stack:
            item = stack.pop()
            if item is t:
                return True
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
        return False


#: the run in progress (None outside track(): operations without a rule are then refused, as unit tests expect)
_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("dlparity_tracked_run", default=None)

_OUTSIDE = (str(Path(__file__).resolve().parents[2]) + os.sep, str(Path(np.__file__).resolve().parent) + os.sep)


def _in_twin(filename: str) -> bool:
    """True for code outside dlparity, NumPy and SciPy (and Python's frozen modules): the twin's."""
    return not filename.startswith(_OUTSIDE) and "scipy" + os.sep not in filename and not filename.startswith("<frozen")


def where_in_twin() -> str:
    """``file.py:line`` of the first frame outside dlparity, NumPy and SciPy (the twin's line), or ``?``."""
    frame = sys._getframe(1)
    while frame is not None:
        if _in_twin(frame.f_code.co_filename):
            return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def called_from_twin() -> bool:
    """True when the caller of the function calling this one is the twin's code (not NumPy's or dlparity's)."""
    return _in_twin(sys._getframe(2).f_code.co_filename)


def escape(op: str, plain: Callable[[], Any], why: str = "") -> Any:
    """A conversion that lets a value leave the tracker as a plain Python or NumPy value (``float(x)``,
    ``np.asarray(x)``, ``.item()``, ``out=``): what the twin then computes with it cannot be followed, so in a run
    every output becomes :class:`Untracked` naming this (the first such) conversion, and the twin gets the plain
    value; outside a run it is refused."""
    run = _RUN.get()
    if run is None:
        refuse(op, why)
    if run.escaped is None:
        run.escaped = f"{op} ({why}) at {where_in_twin()}" if why else f"{op} at {where_in_twin()}"
    return plain()


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



class _Fields(_ArrayShape):
    """The memory layout :class:`Tracked` and :class:`UntrackedArray` share: a tracked array written with an
    untracked value becomes an :class:`UntrackedArray` in place (``__class__`` assignment, see
    :func:`.operations.setitem`), so that every name for it sees it untracked. ``reason`` is an UntrackedArray's."""

    __slots__ = ("__weakref__", "_abs", "_base", "_views", "_writable", "acc", "amb", "e", "k", "mag", "reason", "v")
    reason: str  # (set on an UntrackedArray only)


class Tracked(_Fields):
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

    __slots__ = ()
    __array_priority__ = 1000.0
    #: True only for a 0-d ndarray given as an input (:class:`_Input0d`): every other 0-d value stands for the
    #: NumPy scalar plain NumPy would hold there (np.sum(x), x[0, 0], arithmetic on 0-d arrays all give scalars),
    #: whose ``**`` takes libm's pow where a 0-d array takes the array loop
    array_0d = False

    def __init__(self, v: Any, e: Array | None = None, k: int = 0, acc: Accumulation | None = None,
                 mag: Magnitude = None, amb: Ambiguity = _NO_AMBIGUITY) -> None:
        self.v: Array = v if type(v) is np.ndarray else np.asarray(
            v, dtype=np.float32 if getattr(v, "dtype", None) == np.float32 else np.float64)
        if e is not None or acc is None:  # an unevaluated product is a _Fresh; here an unset e fails loudly on read
            self.e: Array | None = e
        self.k = k
        self.acc = acc
        self.mag = mag
        self.amb = amb
        self._abs: Array | None = None  # |v|, computed once when a rule first needs it (see _abs)
        self._base: Tracked | None = None  # the tracked array whose memory this one's value views (see _viewed)
        self._views: list[weakref.ref[Tracked]] | None = None  # views of this one's memory handed out
        self._writable = False  # v is this object's own memory (made so by its first write, see write())

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

    def plain(self) -> Any:
        """The value as plain NumPy holds it (an int input: its Python int)."""
        return self.v

    # -- exact structural operations: E moves with the value -----------------------------------
    def _same(self, f: Callable[[Array], Any], keep_acc: bool = False) -> Tracked:
        e = self.e
        return _viewed(self, Tracked(f(self.v), None if e is None else f(e), self.k, amb=self.amb,
                                     acc=self.acc if keep_acc else None))

    @property
    def T(self) -> Tracked:  # noqa: N802 (NumPy's name)
        e = self.e
        out = Tracked(self.v.T, None if e is None else e.T, self.k, None, None, self.amb)
        a = self._abs
        if a is not None:  # |v.T| is |v|.T, a view: the magnitudes computed once serve both
            out._abs = a.T
        return _viewed(self, out)

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

    def __neg__(self) -> Tracked:
        # negation is exact and keeps the magnitudes of the terms: a fresh sum stays fresh, a fresh product too
        if type(self) is _Fresh and self._bound is None:
            return _Fresh(-self.v, self.k, self.acc, self.amb)
        return Tracked(-self.v, self.e, self.k, self.acc, self.mag, self.amb)

    def __pos__(self) -> Tracked:
        return self

    def __abs__(self) -> Tracked:
        a = self._abs
        # max(0, z) keeps its value as its magnitudes, where -0.0 may stand for 0; a float32 value's are float64
        if a is None or a is self.v or a.dtype != self.v.dtype:
            a = np.abs(self.v)
        return Tracked(a, self.e, self.k, mag=self.mag, amb=self.amb)

    # -- refused arithmetic (the arithmetic with rules is attached by .dispatch) -------------------
    __hash__ = None  # type: ignore[assignment]

    # -- conversions: only when exact ----------------------------------------------------------------
    def _scalar(self, op: str) -> float:
        if self.v.ndim == 0 and self.acc is None and self.e is None:  # an exact 0-d value (as 1-based i)
            return float(self.v)
        if self.v.size != 1:
            refuse(f"{op} of an array of shape {self.v.shape}", "only a single value converts")
        x = float(self.v.reshape(-1)[0])
        if self.e is not None and float(self.e.reshape(-1)[0]) > 0:  # a count another evaluation could make differ
            return escape(f"{op} of a value with a nonzero rounding-error bound", lambda: x,
                          "the plain number would drop its bound")
        return x

    def __float__(self) -> float:  # NumPy calls it too, to store a value into a plain array
        return escape("float() of a tracked value (also storing it into a plain array)", lambda: float(self.v),
                      "the plain float would leave the tracker and its later arithmetic would go unbounded; keep it tracked")

    def item(self, *args: Any) -> Any:
        return escape(".item() of a tracked value", lambda: self.v.item(*args),
                      "the plain number would leave the tracker; keep it tracked")

    def __round__(self, ndigits: int | None = None) -> Any:  # (Any: an int input's rounds)
        """``round(x)``: Python's int, exact where every value within the bound rounds to it (half to even, as
        Python); ``round(x, n)`` is a plain float that leaves the tracker (an escape)."""
        if ndigits is None and self.v.size == 1:
            return self._integer("round()", np.rint)
        return escape("round() of a tracked value", lambda: round(cast("Any", self.v[()] if self.v.ndim == 0 else self.v), ndigits),
                      "the plain number would leave the tracker; keep it tracked")

    def __index__(self) -> int:
        x = self._scalar("use as an index")
        if not x.is_integer():
            refuse(f"use of {x!r} as an index", "it is not an integer")
        return int(x)

    def __int__(self) -> int:
        """``int(x)``: truncation toward 0, exact where every value within the bound truncates alike."""
        if self.v.size != 1:
            refuse(f"int() of an array of shape {self.v.shape}", "only a single value converts")
        return self._integer("int()", np.trunc)

    def _integer(self, op: str, f: Callable[[Any], Any]) -> int:
        """``f`` (trunc, rint) of this single value as a Python int when certain; else an escape (in a run)."""
        try:
            return int(whole_numbers(op, self, f).reshape(-1)[0])
        except UnsupportedOperation as exc:
            return escape(exc.op, lambda: int(f(self.v.reshape(-1)[0])))

    def __bool__(self) -> bool:
        if self.v.size != 1:
            refuse(f"bool() of an array of shape {self.v.shape}")
        x, e = float(self.v.reshape(-1)[0]), 0.0 if self.e is None else float(self.e.reshape(-1)[0])
        if e > 0 and abs(x) <= 2 * e:  # another correct evaluation may take the other branch
            return escape("bool() of a value within rounding of 0", lambda: x != 0,
                          f"{x!r} with bound {e!r}")
        return x != 0

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return escape(
            "a conversion to a plain ndarray (np.asarray, np.array, or storing a tracked value into a plain array "
            "as y[i] = x[i])", lambda: self.v if dtype is None else self.v.astype(dtype),
            "it would drop the bound silently; build arrays from tracked pieces (np.concatenate, np.where) instead")

    # No __getattr__: a class with one reads every attribute through it (CPython cannot specialize the reads),
    # which costs more than all of this class's own work on small arrays. NumPy's other attributes are refused
    # by the properties made after the class (_refused_attribute); a fresh product's bound is _Fresh.e.

    if TYPE_CHECKING:  # attached by .dispatch: each calls dispatch(NumPy's name of the operation, operands)
        def __getitem__(self, key: Any) -> Any: ...
        def __setitem__(self, key: Any, value: Any) -> None: ...
        def astype(self, dtype: Any, **kwargs: Any) -> Any: ...
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __gt__(self, other: Any) -> Any: ...
        def __ge__(self, other: Any) -> Any: ...
        def __lt__(self, other: Any) -> Any: ...
        def __le__(self, other: Any) -> Any: ...
        def __eq__(self, other: Any) -> Any: ...
        def __ne__(self, other: Any) -> Any: ...
        def sum(self, *args: Any, **kwargs: Any) -> Any: ...
        def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any: ...
        def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any: ...
        def __matmul__(self, other: Any) -> Any: ...
        def __rmatmul__(self, other: Any) -> Any: ...
        def __floordiv__(self, other: Any) -> Any: ...
        def __rfloordiv__(self, other: Any) -> Any: ...
        def __mod__(self, other: Any) -> Any: ...
        def __rmod__(self, other: Any) -> Any: ...
        def __pow__(self, other: Any) -> Any: ...
        def __rpow__(self, other: Any) -> Any: ...
        def mean(self, *args: Any, **kwargs: Any) -> Any: ...
        def max(self, *args: Any, **kwargs: Any) -> Any: ...
        def min(self, *args: Any, **kwargs: Any) -> Any: ...


class _Fresh(Tracked):
    """A fresh product ``A @ B`` (or its negation): its bound is left unevaluated until first read, so that a bias
    added next can re-charge the product as an inner product of n + 1 terms (:func:`rule_add`) instead."""

    __slots__ = ("_bound",)

    def __init__(self, v: Array, k: int, acc: Accumulation | None, amb: Ambiguity) -> None:  # sets every field
        self.v, self.k, self.acc, self.mag, self.amb, self._abs = v, k, acc, None, amb, None
        self._base, self._views, self._writable = None, None, False
        self._bound: Array | None = None

    @property
    def e(self) -> Array:  # Tracked's slot, computed here (the setter is for copy.copy and pickle)
        r"""The product's bound :math:`\gamma_n M + P`, evaluated on first read and kept."""
        e = self._bound
        if e is None:
            acc = cast("Product", self.acc)
            e = acc.bound(acc.gamma_n())
            if _CAREFUL.get():
                e = e + (acc.cost + 2) * tiny(self.v.dtype)  # the slack of _result, for the product's roundings
            _check_bound("numpy.matmul", self.v, e)
            self._bound = e
        return e

    @e.setter
    def e(self, e: Array) -> None:  # copy.copy and pickle restore it
        self._bound = e


def _refused_attribute(name: str) -> property:
    """NumPy's attribute ``name``, which has no rule: refused outside a run; in a run NumPy's own attribute of the
    plain value, its results untracked (``x.cumsum()``: "ndarray.cumsum at twin.py:9")."""
    def refused(self: Any) -> Any:
        op = f"{'mask' if isinstance(self, TrackedMask) else 'ndarray'}.{name}"
        if _RUN.get() is None:
            refuse(op)
        return untracked(getattr(self.v, name), f"{op} at {where_in_twin()}")
    return property(refused)


class _Input0d(Tracked):
    """A 0-d ndarray input: ``**`` on it takes NumPy's array loop, as in the plain twin."""

    __slots__ = ()
    array_0d = True



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

    def plain(self) -> Any:
        """The value as plain NumPy holds it."""
        return self.v


    if TYPE_CHECKING:  # attached by .dispatch: each calls dispatch(NumPy's name of the operation, operands)
        def __getitem__(self, key: Any) -> Any: ...
        def __add__(self, other: Any) -> Any: ...
        def __radd__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __rsub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __rmul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __rtruediv__(self, other: Any) -> Any: ...
        def __gt__(self, other: Any) -> Any: ...
        def __ge__(self, other: Any) -> Any: ...
        def __lt__(self, other: Any) -> Any: ...
        def __le__(self, other: Any) -> Any: ...
        def __eq__(self, other: Any) -> Any: ...
        def __ne__(self, other: Any) -> Any: ...
        def sum(self, *args: Any, **kwargs: Any) -> Any: ...
        def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any: ...
        def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any: ...

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

    __hash__ = None  # type: ignore[assignment]

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

    def __bool__(self) -> bool:
        if self.ambiguous is None and self.v.ndim == 0:
            return bool(self.v)
        if self.v.size != 1:
            refuse(f"bool() of a mask of shape {self.v.shape}")
        if self.ambiguous is not None and bool(self.ambiguous.reshape(-1)[0]):
            return escape("bool() of a comparison that another correct evaluation could decide the other way",
                          lambda: bool(self.v.reshape(-1)[0]))
        return bool(self.v.reshape(-1)[0])

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return escape("a conversion of a tracked mask to a plain ndarray",
                      lambda: self.v if dtype is None else self.v.astype(dtype), "it would drop which entries are ambiguous")


class UntrackedArray(_Fields):
    """A value the tracker cannot bound, inside a run: NumPy's plain value ``v`` and why (``reason``, the first cause).

    Every operation with it gives NumPy's plain result, untracked with the same reason (:func:`.dispatch.dispatch`);
    NumPy's attributes and methods are the plain value's, their results untracked too. A conversion to a plain
    number or array is an :func:`escape`.
    """

    __slots__ = ()  # v and reason (_Fields); a tracked array made untracked in place has its bound fields deleted
    __array_priority__ = 1000.0

    def __init__(self, v: Any, reason: str) -> None:
        self.v = v
        self.reason = reason

    def __repr__(self) -> str:
        return f"UntrackedArray(value={self.v!r}, reason={self.reason!r})"

    def plain(self) -> Any:
        """The value as plain NumPy holds it."""
        return self.v

    def __len__(self) -> int:
        return len(self.v)

    def __iter__(self) -> Iterator[Any]:
        return (self[j] for j in range(len(self)))

    def __getattr__(self, name: str) -> Any:  # NumPy's other attributes (.T, .cumsum, .real): the plain value's
        if name.startswith("__"):
            raise AttributeError(name)
        return untracked(getattr(self.v, name), self.reason)

    def _escape(self, plain: Callable[[], Any]) -> Any:
        run = _RUN.get()
        if run is not None and run.escaped is None:
            run.escaped = self.reason
        return plain()

    def __float__(self) -> float:
        return self._escape(lambda: float(self.v))

    def __int__(self) -> int:
        return self._escape(lambda: int(self.v))

    def __index__(self) -> int:
        return self._escape(self.v.__index__)

    def __bool__(self) -> bool:
        return self._escape(lambda: bool(self.v))

    def item(self, *args: Any) -> Any:
        return self._escape(lambda: np.asarray(self.v).item(*args))

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self._escape(lambda: np.asarray(self.v, dtype=dtype))

    __hash__ = None  # type: ignore[assignment]

    if TYPE_CHECKING:  # attached by .dispatch, as Tracked's
        def __getitem__(self, key: Any) -> Any: ...


def untracked(value: Any, reason: str) -> Any:
    """``value`` (a plain result) as untracked with ``reason``: arrays and numbers (booleans and ints too: a
    comparison or an argmax of untracked values may differ as well), each entry of a tuple or list; a method of
    the plain value as one whose results are untracked; anything else (text, None, a shape) as it is."""
    if isinstance(value, (int, float, complex)):  # a Python number: as NumPy's scalar, which has a shape
        return UntrackedArray(np.asarray(value)[()], reason)
    if isinstance(value, (np.ndarray, np.generic)):
        return UntrackedArray(value, reason)
    if isinstance(value, (tuple, list)):  # np.linalg.eigh's pair, np.shape's tuple
        return type(value)(untracked(x, reason) for x in value) if not hasattr(value, "_fields") else \
            type(value)(*(untracked(x, reason) for x in value))
    if callable(value) and not isinstance(value, type):
        return lambda *args, **kwargs: untracked(value(*_plain(args), **_plain(kwargs)), reason)
    return value


def _plain(x: Any) -> Any:
    """``x`` with every tracked value replaced by its plain value (in tuples, lists and dicts, as arguments are)."""
    if isinstance(x, (Tracked, TrackedMask, UntrackedArray)):
        return x.plain()
    if type(x) in (tuple, list):
        return type(x)(_plain(y) for y in x)
    if type(x) is dict:
        return {k: _plain(y) for k, y in x.items()}
    return x


def _viewed(source: Tracked, out: Tracked) -> Tracked:
    """Record ``out`` as a view of ``source``'s memory when its value shares it (slices, ``.T``, reshapes): a write
    into either must then change both, which a write refuses (see :func:`~.operations.setitem`)."""
    if np.may_share_memory(out.v, source.v):
        root = source if source._base is None else source._base
        out._base = root
        if root._views is None:
            root._views = []
        root._views.append(weakref.ref(out))
    return out


def whole_numbers(op: str, x: Tracked, f: Callable[[Any], Any]) -> Array:
    r"""``f(x)`` for f a rounding to integers that never decreases (``np.trunc``, ``np.floor``, ``np.ceil``,
    ``np.rint``), exact: NumPy's value where every value in :math:`[x - E, x + E]` rounds to it; refused naming
    the first entry where the bound reaches another integer (the interval's ends are taken outward, one ulp
    each, so their own rounding cannot hide a crossing)."""
    v = f(x.v)
    e = x.e
    if e is not None:
        lo, hi = np.nextafter(x.v - e, -np.inf), np.nextafter(x.v + e, np.inf)
        differ = f(lo) != f(hi)
        if differ.any():
            at = tuple(int(i) for i in np.argwhere(differ)[0])
            refuse(f"{op} of a value whose bound reaches another integer",
                   f"entry {list(at)}: {x.v[at]!r} with bound {e[at]!r}")
    if v.size and not np.isfinite(v).all():
        refuse(f"{op} of a value that is not finite")
    return np.asarray(v)


# -- helpers ----------------------------------------------------------------------------------------

#: the constant +0.0, shared (a Tracked is never written: rules make new arrays)
_ZERO: Tracked = weak_scalar(Tracked(np.array(0.0)))


def _const(x: Any, op: str) -> Tracked:
    """A plain operand (Python number, NumPy scalar or array): a constant, exact as given. A comparison mask
    stands for its 0.0 / 1.0 with E = 1 where another evaluation may flip it (:meth:`TrackedMask.astype`)."""
    kind = type(x)
    if kind is TrackedMask:
        return x.astype(np.float64)
    if (kind is int or kind is float) and x == 0 and math.copysign(1.0, x) > 0:  # the 0 of max(0, z), z > 0
        return _ZERO
    if kind is float or (kind is int and -(2**53) <= x <= 2**53):  # as the 0 of max(0, z) and z > 0
        return weak_scalar(Tracked(np.array(float(x))))  # the float64 that asarray(x).astype(float64) gives; weak
    if isinstance(x, int) and not isinstance(x, bool) and not (abs(x) <= 2**1023 and float(x) == x):
        refuse(f"{op} with the integer {x}", "float64 cannot hold it exactly, so the constant would be rounded")
    arr = np.asarray(x)
    dkind = arr.dtype.kind
    if dkind not in "biuf":
        refuse(f"{op} with a {arr.dtype} operand", "only real numbers are tracked")
    if (dkind == "f" and arr.dtype.itemsize > 8) or (
            dkind in "iu" and arr.dtype.itemsize >= 8 and arr.size and not np.all(np.abs(arr.astype(object)) <= 2**53)):
        refuse(f"{op} with a {arr.dtype} operand float64 cannot hold exactly", "it would be rounded as a constant")
    if arr.dtype.itemsize <= (4 if dkind == "f" else 2):  # float32 (and what NumPy computes with it in float32:
        return Tracked(arr.astype(np.float32, copy=False))  # float16, bool, small ints), exactly
    return Tracked(arr.astype(np.float64, copy=False))


def _wrap(x: Any, op: str) -> Tracked:
    return x if type(x) is Tracked or isinstance(x, Tracked) else _const(x, op)


def _all_finite(x: Array) -> bool:
    """No inf or NaN in x: a finite sum proves it (an inf or NaN term makes the sum inf or NaN); only a
    sum that overflows needs the entrywise test."""
    return math.isfinite(np.add.reduce(x, None)) or bool(np.isfinite(x).all())


def _void_after(op: str) -> NoReturn:
    """Refuse: after ``op`` a value or bound is not finite, and first-order bounds are void past overflow."""
    raise BoundVoid(
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
        e = e + (roundings + 2) * tiny(v.dtype)
    _check_bound(op, v, e)
    return Tracked(v, e, k, acc, mag, amb)


def _check_exact_operands(op: str, *operands: Tracked) -> None:
    """Refuse an exact operand holding inf or NaN where the operation could hide it (a comparison, a choice):
    a rounding rule would show it as a non-finite bound, these would not."""
    for t in operands:
        if t.e is None and t.acc is None and t.v.size and not _all_finite(t.v):
            raise BoundVoid(
                f"the bound tracker's first-order bounds are void at {op}: an operand is not finite; {_ADVICE}.")


def _abs(t: Tracked) -> Array:
    """``np.abs(t.v)``, computed once per tracked value (several rules read it; values are never written)."""
    a = t._abs
    if a is None:
        a = t._abs = np.abs(t.v)
        if a.dtype is not _F64:  # float32: |v| in float64, exactly, as every bound is evaluated
            a = t._abs = a.astype(np.float64)
    return a


def _abs_diff(a: Tracked, b: Tracked) -> Array:
    """``|a - b|``; against an exact 0-d zero (``z > 0``, ``max(0, z)``) that is ``|a|`` bit for bit, as
    ``a - 0 = a`` and ``0 - b = -b`` exactly."""
    if b is _ZERO or (b.v.ndim == 0 and b.acc is None and b.e is None and b.v == 0):
        return _abs(a)
    if a.v.ndim == 0 and a.acc is None and a.e is None and a.v == 0:
        return _abs(b)
    if a.v.dtype is _F64 and b.v.dtype is _F64:
        return np.abs(a.v - b.v)
    return np.abs(np.asarray(a.v, dtype=np.float64) - np.asarray(b.v, dtype=np.float64))  # float32: in float64



def _is_bool(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.bool_)) and x.dtype == np.bool_

def _mask_float(mask: TrackedMask) -> Array:
    """The mask as float64 0.0 / 1.0, converted once: ``x * m`` then runs NumPy's float loop, bit for bit
    what ``x * mask`` gives (NumPy casts the bool operand to float64 the same way)."""
    f = mask._f
    if f is None:
        f = mask._f = mask.v.astype(np.float64)
    return f

def _value_of(x: Any) -> Any:
    return x.v if isinstance(x, (Tracked, TrackedMask)) else x


def _as_mask(x: Any, op: str) -> TrackedMask:
    if isinstance(x, TrackedMask):
        return x
    if _is_bool(x) or isinstance(x, bool):
        return TrackedMask(np.asarray(x), None, _NO_AMBIGUITY)
    refuse(f"{op} of a tracked number", "logical operations take comparison masks or boolean arrays")


