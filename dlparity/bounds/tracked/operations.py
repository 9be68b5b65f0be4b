r"""The operations: each computes NumPy's value, asks :mod:`.rules` for its bound, and is registered in the one
table of :mod:`.dispatch` under NumPy's name (``add``, ``matmul``, ``sum``, ``linalg.norm``...) by
:func:`~dlparity.bounds.tracked.dispatch.implements`; the operators (``a + b``, ``x[i]``) reach the same entries.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dlparity.bounds.tracked import rules
from dlparity.bounds.tracked.dispatch import dispatch, implements
from dlparity.bounds.tracked.integers import _int_operand, _int_quotient, _Integer
from dlparity.bounds.tracked.rules import Product, _sum_along
from dlparity.bounds.tracked.values import (
    _F64,
    _NO_AMBIGUITY,
    _RUN,
    _ZERO,
    Array,
    Magnitude,
    Tracked,
    TrackedMask,
    UnsupportedOperation,
    UntrackedArray,
    _abs_diff,
    _as_mask,
    _check,
    _check_exact_operands,
    _const,
    _Fresh,
    _is_bool,
    _mag,
    _mask_float,
    _mask_ids,
    _merge,
    _plain,
    _result,
    _value_of,
    _viewed,
    _wrap,
    escape,
    gamma_of,
    is_weak,
    refuse,
    refuse_run,
    unit_roundoff,
    weak_scalar,
    whole_numbers,
)

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
    if x is None or y is None or (op == "divide" and y == 0.0) or _has_float32(a) or _has_float32(b):
        return None
    r = _PY_OPS[op](x, y)
    # integers below 2^53 add, subtract and multiply exactly while the result stays below 2^53
    integral = op != "divide" and x.is_integer() and y.is_integer() and -(2.0**53) < r < 2.0**53
    if not (integral or _exact_in_rationals(op, x, y, r)):
        return None
    out = Tracked(np.array(r), None, ka if ka > kb else kb, None, None, amb)
    return weak_scalar(out) if _is_weak(a) and _is_weak(b) else out


def _has_float32(x: Any) -> bool:
    return type(x) is Tracked and x.v.dtype == np.float32


def binary(op: str, a: Any, b: Any) -> Tracked:  # noqa: PLR0911 (one path per kind of operand)
    """``a op b`` for op in add, subtract, multiply, divide, with broadcasting; either side may be plain."""
    kind_a, kind_b = type(a), type(b)
    if (kind_a is Tracked or kind_a is _Fresh) and (kind_b is Tracked or kind_b is _Fresh) and (a.v.ndim or b.v.ndim):  # tracked, one an array
        return _binary_arrays(op, a, b, _UFUNCS[op](*_operands(a, b)))
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
    v = _UFUNCS[op](*_operands(ta, tb))
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    if v.dtype is not _F64 and v.dtype != np.float32:
        refuse(f"{name} giving {v.dtype}", "only float64 and float32 are tracked")
    out = _binary_arrays(op, ta, tb, v)
    return weak_scalar(out) if _is_weak(ta) and _is_weak(tb) else out  # Python number op Python number: one too


def _is_weak(t: Any) -> bool:
    """A Python number of the plain twin (an int input, a constant ``0.5``): weak in NumPy's promotion (NEP 50)."""
    return type(t) in (int, float, _Integer) or is_weak(t)


def _operands(ta: Tracked, tb: Tracked) -> tuple[Any, Any]:
    """What NumPy computes ``ta op tb`` with: the values; where a float32 is involved, a Python number of the plain
    twin as that number (weak: ``x32 * 0.5`` stays float32), as the plain twin's NumPy sees it."""
    if ta.v.dtype is _F64 and tb.v.dtype is _F64:
        return ta.v, tb.v
    return _plain_number(ta), _plain_number(tb)


def _plain_number(t: Tracked) -> Any:
    if type(t) is _Integer:
        return t.n
    return float(t.v) if is_weak(t) else t.v


def _rounded_to_float32(t: Tracked) -> Tracked:
    r"""A weak Python number (a constant ``0.1``, a float input ``lr``, an int ``n``) met by a float32: NumPy rounds it to
    float32 before the operation (NEP 50), as Octave rounds a double to ``single``. That rounding is charged, exactly:
    :math:`E + |c - \mathrm{fl}_{32}(c)|` (the difference of two nearby doubles, exact by Sterbenz)."""
    if not _is_weak(t) or t.v.dtype != _F64:
        return t
    if type(t) is _Integer:  # an int input: exact in integers (float32's whole numbers are Python ints)
        r = float(abs(t.n - int(np.float32(t.n)))) if abs(t.n) < 2**127 else math.inf
    else:
        c = float(t.v)
        r = abs(c - float(np.float32(c)))
    if r == 0.0 or not math.isfinite(r):  # representable in single; or beyond it: the value overflows, refused later
        return t
    return Tracked(t.v, np.asarray(r if t.e is None else t.e + r), t.k + 1, None, None, t.amb)


def _binary_arrays(op: str, ta: Tracked, tb: Tracked, v: Array) -> Tracked:
    """The bound of ``v = ta op tb`` (float64 or float32), by :func:`rule_add`, :func:`rule_multiply` or :func:`rule_divide`."""
    if v.dtype is not _F64:  # float32: a weak Python number was rounded to float32 first
        ta, tb = _rounded_to_float32(ta), _rounded_to_float32(tb)
    amb, amb_b = ta.amb, tb.amb
    if amb_b:
        amb = amb | amb_b if amb else amb_b
    ka, kb = ta.k, tb.k
    ka = ka if ka > kb else kb
    if ta.acc is None and tb.acc is None and ta.e is None and tb.e is None and _exact_scalar_result(op, ta, tb, v):
        return Tracked(v, None, ka, None, None, amb)
    mag: Magnitude = None
    if op in ("add", "subtract"):
        e, cost = rules.rule_add(ta, tb, v)
    elif op == "multiply":
        e, cost = rules.rule_multiply(ta, tb, v)
        if ta.mag is not None or tb.mag is not None or isinstance(ta.acc, Product) or isinstance(tb.acc, Product):
            mag = (ta, tb)  # |ta|max |tb|max, only if a mask ambiguity reaches this product (see _abs_max)
    else:
        e, cost = rules.rule_divide(ta, tb, v)
    if e.shape != v.shape:
        e = np.broadcast_to(e, v.shape).copy()
    return _result(_OP_NAMES[op], v, e, cost, ka + cost, amb, None, mag)


def _times_mask(a: Any, b: Any, mask_first: bool | None = None) -> Tracked:
    if mask_first is False and (type(a) is Tracked or type(a) is _Fresh):  # Tracked.__mul__ with a TrackedMask: x .* mask
        m = b._f
        if m is None:
            m = _mask_float(b)
        e = rules.rule_mask(a, b)
        v = a.v * (m if a.v.dtype is _F64 else m.astype(a.v.dtype))  # NumPy keeps float32 times booleans float32
        if e is not None and e.shape != v.shape:
            e = np.broadcast_to(e, v.shape).copy()
        return Tracked(v, e, a.k + 2, None, None, _merge(a.amb, b.amb))
    if isinstance(a, TrackedMask) and isinstance(b, TrackedMask):
        refuse("a product of two comparison masks")
    first_is_mask = isinstance(a, TrackedMask) if mask_first is None else mask_first
    mask: TrackedMask = a if isinstance(a, TrackedMask) else b
    x = _wrap(b if mask is a else a, "numpy.multiply")
    m = _mask_float(mask)
    if x.v.dtype is not _F64:
        m = m.astype(x.v.dtype)
    v = np.multiply(m, x.v) if first_is_mask else np.multiply(x.v, m)
    e = rules.rule_mask(x, mask)
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
        e, cost = rules.rule_power(x, int(q), v)
    else:
        e, cost = rules.rule_power_real(x, q, v)
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
    v = ufunc(*_operands(ta, tb))
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
    v = ufunc(*_operands(ta, tb))
    if type(v) is not np.ndarray:
        v = np.asarray(v)
    e = rules.rule_extreme(ta, tb, ufunc is np.maximum or ufunc is np.fmax)
    if e is None:
        _check_exact_operands(f"numpy.{ufunc.__name__}", ta, tb)
    # no finiteness check: each entry of e is 0 or one operand's E (or their max), each already finite
    ka, kb = ta.k, tb.k
    out = Tracked(v, e, (ka if ka > kb else kb) + 2, None, None, _merge(ta.amb, tb.amb))
    if ta is _ZERO and ufunc is np.maximum and v.dtype is _F64:  # max(+0, z) >= 0 entrywise: its value serves as |value| in the bounds
        out._abs = v  # (NumPy may give -0.0 where z = -0.0: the same magnitude; __abs__ does not use this array)
    return out


def elementary(name: str, x: Tracked) -> Tracked:
    """exp, expm1, log, log1p, tanh (:func:`rule_elementary`) and sqrt (:func:`rule_sqrt`)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # refused below; underflow stays watched
        v = np.asarray(getattr(np, name)(x.v))
    if not np.isfinite(v).all():
        _check(f"numpy.{name}", Tracked(v))
    if name == "sqrt":
        e, cost = rules.rule_sqrt(x, v)
    else:
        e, cost = rules.rule_elementary(name, x, v)
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
    acc, cost = rules.rule_sum(t, axis, keepdims)
    return _result("numpy.sum", v, acc.bound(gamma_of(acc.n, acc.u)), cost, t.k + cost, t.amb, acc)


def reduce_mean(x: Any, axis: Any = None, keepdims: bool = False, kwargs: Mapping[str, Any] | None = None) -> Tracked:
    """``numpy.mean``: the sum's bound divided by n, plus the division's own rounding u|mean|."""
    _reduce_kwargs("numpy.mean", kwargs or {})
    t = _wrap(x, "numpy.mean")
    v = np.asarray(np.mean(t.v, axis=axis, keepdims=keepdims))
    acc, cost = rules.rule_sum(t, axis, keepdims)
    e_sum = acc.bound(gamma_of(acc.n, acc.u))
    n = t.v.size // max(v.size, 1) if t.v.size else 0
    e = e_sum / max(n, 1) + unit_roundoff(v.dtype) * _mag(v)
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
    v = np.asarray(np.where(mask.v, *_operands(ta, tb)))
    if v.dtype not in (np.float64, np.float32):
        v = v.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite bound is refused by _check
        e = rules.rule_where(mask, ta, tb, v)
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


def _mask_logic(a: Any, b: Any, op: Callable[[Any, Any], Any]) -> TrackedMask:
    """``np.logical_and(m, n)``, ``plain_bool & m`` and the like: :meth:`TrackedMask._logical`."""
    name = {operator.and_: "numpy.logical_and", operator.or_: "numpy.logical_or"}.get(op, "numpy.logical_xor")
    return _as_mask(a, name)._logical(_as_mask(b, name), op)


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


def getitem(x: Any, key: Any) -> Tracked | TrackedMask:
    """``x[key]``: value and bound (a mask: its ambiguous entries) moved alike, exact. Slices, ints (an int input as
    its int: ``X[i - 1:batch_end, :]``), integer arrays and certain comparison masks index as they are."""
    if type(key) is tuple:
        for k in key:
            if isinstance(k, (Tracked, TrackedMask)):
                key = _plain_key(key)
                break
    elif isinstance(key, (Tracked, TrackedMask)):
        key = _plain_key(key)
    if type(x) is TrackedMask:
        return x._moved(lambda a: a[key])
    e = x.e
    return _viewed(x, Tracked(x.v[key], None if e is None else e[key], x.k, None, None, x.amb))


def setitem(x: Any, key: Any, value: Any) -> None:
    r"""``x[key] = value`` into a tracked array, ``value`` tracked or plain: exact (values are moved, not rounded),
    so each written entry takes the written value's bound and every other entry keeps its own.

    NumPy's aliasing: a view (``x = G[0]``, ``G.T``) shares its base's memory, so a write through either changes
    both. The tracker follows a write when the array shares memory with no other live tracked array; otherwise
    (and for a write into a mask) the write is made on the plain values and is an escape (every output of the run
    Untracked, naming it). An input's memory is the caller's: the first write copies it (the plain twin writes into
    the caller's array; the tracked run leaves it as it was).

    An untracked value written (in a run) into a tracked array of its own memory that no other live tracked array
    views and that is not an input makes that array untracked, with the value's reason, in place
    (:func:`_untrack_in_place`): every name for it, and everything later computed from it, is untracked; the run's
    other values keep their bounds. Into a view, a viewed array or an input it is an escape, as above.
    """
    if type(x) is UntrackedArray:  # untracked stays untracked: NumPy's plain write
        x.v[_plain(key)] = _plain(value)
        return
    if type(x) is TrackedMask:  # (its memory may be an input's: no plain write either)
        refuse_run("item assignment into a comparison mask", "build the mask by comparing, or write into a float array")
    try:
        if type(value) is UntrackedArray:
            run = _RUN.get()
            if (run is not None and type(x) is Tracked and x._base is None and not run.is_input(x)
                    and not (x._views and any(view() is not None for view in x._views))):
                _untrack_in_place(x, key, value)
                return
            refuse("item assignment of an untracked value", value.reason)
        if isinstance(key, (Tracked, TrackedMask, tuple)):
            key = _plain_key(key)
        t = _wrap(value, "item assignment")
        if x._base is not None or (x._views and any(view() is not None for view in x._views)):
            refuse("item assignment into a tracked array that shares memory with another live one (a view: NumPy "
                   "changes both)", "copy it first (x = x.copy()) or write into the array itself")
    except UnsupportedOperation as exc:
        run = _RUN.get()
        if run is not None and isinstance(x, Tracked) and run.is_input(x if x._base is None else x._base):
            refuse_run("item assignment through a view of an input array", "NumPy would change the caller's array; "
                       "copy the input first (x = x.copy())")
        escape(exc.op, lambda: x.v.__setitem__(_plain(key), _plain(value)), exc.why)
        return
    write(x, key, t)


#: the fields of a Tracked that hold its bound and its sharing, deleted when it becomes untracked in place
_BOUND_FIELDS = ("e", "k", "acc", "mag", "amb", "_abs", "_base", "_views", "_writable")


def _untrack_in_place(x: Tracked, key: Any, value: UntrackedArray) -> None:
    """``x[key] = value`` as NumPy's plain write, and x an :class:`UntrackedArray` (``value.reason``) from now on.

    The object itself changes class (Tracked and UntrackedArray share their layout, values._Fields), so no name for
    it can hand out its bound: every operation, attribute and method then takes UntrackedArray's path, and the run's
    output is Untracked. Its bound fields are deleted, except ``mag``, set to the bound on the *old* exact
    ``|value|``: a product computed earlier (``P = x * y``) reads its operands' magnitudes lazily
    (:func:`.rules._abs_max`), and those are the old value's.
    """
    v = np.array(x.v, copy=True)  # its own memory: no other value, lazy or not, sees the write
    v[_plain(key)] = value.v  # NumPy's write, raising as NumPy does before anything here changes
    old_mag = rules._abs_max(x) if hasattr(x, "e") or x.mag is not None or x.acc is not None else None
    for name in _BOUND_FIELDS:
        if hasattr(x, name):
            delattr(x, name)
    x.mag = old_mag
    x.v = v
    x.reason = value.reason
    x.__class__ = UntrackedArray  # type: ignore[assignment]


def write(x: Tracked, key: Any, t: Tracked) -> None:
    """``x.v[key] = t.v`` in place, with the bounds alike; x is no longer a fresh product or sum."""
    e_old = x.e  # a fresh product's bound is evaluated here, before it stops being fresh
    if not x._writable:  # the value may be an input's memory or shared with a cache: x's own from now on
        x.v = np.array(x.v, copy=True)  # float64, or float32 (MATLAB's single) kept as it is
        x._writable = True
    x.v[key] = t.v
    rounded = x.v.dtype != t.v.dtype and x.v.dtype == np.float32  # a double written into a single rounds once
    if e_old is not None or t.e is not None or rounded:  # a new array: other values may share the old one (-x, abs(x))
        e = np.zeros(x.v.shape) if e_old is None else np.array(e_old, copy=True)
        e[key] = t.error + unit_roundoff(x.v.dtype) * _mag(x.v[key]) if rounded else t.error
        x.e = e
    x.acc, x.mag, x._abs, x._views = None, None, None, None
    x.k = max(x.k, t.k)
    x.amb = _merge(x.amb, t.amb)


def inplace(name: str, plain: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``x op= y`` (``+= -= *= /= @=``): ``x op y`` by its rule, written into x (:func:`setitem` with ``...``), so
    every name for x sees it, as NumPy's in-place operators do; a 0-d value that stands for a NumPy scalar is
    rebound instead (NumPy's scalars are immutable)."""
    def operator_(x: Any, y: Any) -> Any:
        r = dispatch(name, plain, (x, y))
        if type(x) is UntrackedArray or (isinstance(x, Tracked) and x.v.ndim == 0 and not x.array_0d):
            return r
        if np.shape(_value_of(r)) != x.v.shape:
            raise ValueError(f"non-broadcastable output operand with shape {x.v.shape} doesn't match the broadcast "
                             f"shape {np.shape(_value_of(r))}")
        dispatch("setitem", operator.setitem, (x, Ellipsis, r))
        return x
    return operator_


implements("setitem")(setitem)
for _dunder, _name, _plain_op in (("__iadd__", "add", operator.add), ("__isub__", "subtract", operator.sub),
                                  ("__imul__", "multiply", operator.mul), ("__itruediv__", "divide", operator.truediv),
                                  ("__imatmul__", "matmul", operator.matmul)):
    setattr(Tracked, _dunder, inplace(_name, _plain_op))
    setattr(UntrackedArray, _dunder, inplace(_name, _plain_op))


# -- the table: each operation under NumPy's name, and the operators' (see dispatch.OPERATORS) -----------------

implements("getitem")(getitem)
for _name, _op in (("add", "add"), ("subtract", "subtract"), ("multiply", "multiply"), ("divide", "divide"),
                   ("true_divide", "divide")):
    implements(_name)(functools.partial(binary, _op))
implements("matmul")(matmul)
for _choice in (np.maximum, np.minimum, np.fmax, np.fmin):
    implements(_choice.__name__)(functools.partial(extreme, _choice))
for _comparison in (np.greater, np.greater_equal, np.less, np.less_equal):
    implements(_comparison.__name__)(functools.partial(compare, _comparison))
for _name in ("exp", "expm1", "log", "log1p", "log2", "log10", "tanh", "sin", "cos", "sqrt"):
    implements(_name)(lambda x, name=_name: elementary(name, _wrap(x, f"numpy.{name}")))
for _name, _logic in (("bitwise_and", operator.and_), ("logical_and", operator.and_), ("bitwise_or", operator.or_),
                      ("logical_or", operator.or_), ("bitwise_xor", operator.xor), ("logical_xor", operator.xor)):
    implements(_name)(functools.partial(_mask_logic, op=_logic))
for _name in ("invert", "logical_not"):
    implements(_name)(lambda a, name=_name: ~_as_mask(a, f"numpy.{name}"))


def _equality_rule(ufunc: np.ufunc) -> Callable[[Any, Any], TrackedMask]:
    """``==`` / ``!=``: of two masks (or a mask and booleans) the logical "not xor" / "xor", certain where both are;
    otherwise a comparison (:func:`compare`), a mask as its 0.0 / 1.0."""
    def rule(a: Any, b: Any) -> TrackedMask:
        if isinstance(b, TrackedMask) and not isinstance(a, TrackedMask) and (_is_bool(a) or isinstance(a, bool)):
            a, b = b, a
        if isinstance(a, TrackedMask) and (isinstance(b, TrackedMask) or _is_bool(b) or isinstance(b, bool)):
            differ = a._logical(b, operator.xor)
            return differ if ufunc is np.not_equal else ~differ
        return compare(ufunc, a, b)
    return rule


implements("equal")(_equality_rule(np.equal))
implements("not_equal")(_equality_rule(np.not_equal))


@implements("negative")
def _negative(x: Any) -> Tracked:
    return -_wrap(x, "numpy.negative")


@implements("positive")
def _positive(x: Any) -> Tracked:
    return _wrap(x, "numpy.positive")


@implements("absolute")
def _absolute(x: Any) -> Tracked:
    return abs(_wrap(x, "numpy.absolute"))


@implements("square")
def _square(x: Any) -> Tracked:
    t = _wrap(x, "numpy.square")
    return binary("multiply", t, t)  # x * x


@implements("power")
def _power(x: Any, p: Any) -> Tracked:
    """``x ** p`` and ``np.power(x, p)``: :func:`power` takes the exponents it can (a plain real number, an exact
    whole tracked one) and refuses the rest."""
    return power(_wrap(x, "numpy.power"), p)


@implements("sum")
def _sum(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
    return reduce_sum(x, axis, keepdims, kwargs)


@implements("mean")
def _mean(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
    return reduce_mean(x, axis, keepdims, kwargs)


@implements("max", "amax")
def _max(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
    return reduce_extreme(np.max, x, axis, keepdims, kwargs)


@implements("min", "amin")
def _min(x: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Tracked:
    return reduce_extreme(np.min, x, axis, keepdims, kwargs)


_JOINS = ("concatenate", "stack", "hstack", "vstack", "column_stack")
_STRUCTURAL = ("transpose", "reshape", "copy", "squeeze", "ravel", "expand_dims", "atleast_2d", "atleast_1d", "tile",
               "repeat", "flip", "fliplr", "flipud", "rot90", "roll", "swapaxes", "moveaxis", "broadcast_to")
for _name in _STRUCTURAL:
    implements(_name)(functools.partial(_structural, getattr(np, _name)))


def _join_rule(func: Any) -> Callable[..., Any]:
    def rule(*a: Any, **k: Any) -> Any:
        return _joined(func, a[0], k) if len(a) == 1 else NotImplemented
    return rule


for _name in _JOINS:
    implements(_name)(_join_rule(getattr(np, _name)))
for _name in ("zeros_like", "ones_like", "full_like"):
    implements(_name)(functools.partial(_like, getattr(np, _name)))
for _name in ("shape", "ndim", "size"):
    implements(_name)(lambda x, name=_name: getattr(_wrap(x, name), name))


def integral(f: Any) -> Callable[..., Any]:
    """``np.floor``, ``ceil``, ``trunc``, ``rint``, ``fix`` and ``round``/``around`` with 0 decimals: exact integers
    (:func:`~.values.whole_numbers`), refused naming the entry where the bound reaches another integer."""
    def rule(x: Any, *args: Any, **kwargs: Any) -> Any:
        decimals = args[0] if args else kwargs.pop("decimals", 0)
        if kwargs or len(args) > 1 or decimals != 0:
            return NotImplemented
        if isinstance(x, TrackedMask):
            x = _wrap(x, f"numpy.{f.__name__}")
        t = _wrap(x, f"numpy.{f.__name__}")
        return Tracked(whole_numbers(f"numpy.{f.__name__}", t, f), None, t.k, amb=t.amb)
    return rule


for _name in ("floor", "ceil", "trunc", "rint", "fix"):
    implements(_name)(integral(getattr(np, _name)))
implements("round", "around")(integral(np.rint))  # NumPy's round to 0 decimals is rint (half to even)


@implements("astype")
def astype(x: Any, dtype: Any, **kwargs: Any) -> Any:
    r"""``x.astype(float64)``: a copy (of a float32 value: exact). ``x.astype(float32)`` (MATLAB's ``single``): one
    rounding, :math:`u_{32}|\hat y| + E`. ``x.astype(int)`` (any integer dtype): NumPy's integers, truncated toward 0, as
    a plain array (exact: bound 0) where every value in :math:`[x - E, x + E]` truncates to the same integer (labels
    ``y.astype(int)``); where the bound reaches another integer, refused naming the entry (Untracked in a run)."""
    t = _wrap(x, "ndarray.astype")
    if np.dtype(dtype).kind in "iu":
        return whole_numbers(f"astype({np.dtype(dtype)})", t, np.trunc).astype(dtype, **kwargs)
    if np.dtype(dtype) == np.float32 and t.v.dtype != np.float32:  # MATLAB's single(x): one rounding to float32
        v = t.v.astype(np.float32, **kwargs)
        e = unit_roundoff(v.dtype) * _mag(v)
        return _result("astype(float32)", v, e if t.e is None else e + t.e, 3, t.k + 3, t.amb)
    if np.dtype(dtype) == np.float64 and t.v.dtype != np.float64:  # double(x) of a single: exact
        return Tracked(t.v.astype(np.float64, **kwargs), t.e, t.k, amb=t.amb)
    if np.dtype(dtype) not in (np.float64, np.float32):
        refuse(f"astype({np.dtype(dtype)})", "only float64, float32 and integer dtypes are tracked")
    return t._same(np.copy)


@implements("where")
def _where(*a: Any, **k: Any) -> Any:
    return where(*a) if len(a) == 3 and not k else NotImplemented


@implements("clip")
def _clip(*a: Any, **k: Any) -> Any:
    return clip(*a) if len(a) == 3 and not k else NotImplemented


@implements("count_nonzero")
def _count_nonzero(x: Any, axis: Any = None, *, keepdims: bool = False, **kwargs: Any) -> Any:
    return count_mask(x, axis, keepdims, kwargs) if isinstance(x, TrackedMask) else NotImplemented


for _func in (np.argmin, np.argmax):
    implements(_func.__name__)(
        lambda x, *a, func=_func, **k: arg_extreme(func, x, k.get("axis"), k.get("keepdims", False))
        if not a and set(k) <= {"axis", "keepdims"} else NotImplemented)
