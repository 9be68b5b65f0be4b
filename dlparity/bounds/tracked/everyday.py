r"""Everyday NumPy beyond arithmetic, as ports use it: prefix sums and products, ``prod``, ``diff``, ``var``/``std``,
``any``/``all``, norms, the products (``outer``, ``kron``, ``inner``, ``dot``, ``tensordot``, ``einsum``), ``sort`` and
``argsort``, and the elementwise ``sign``, ``hypot`` and ``arctan2``; each registered in the one table of
:mod:`.dispatch` under NumPy's name, with its formula in ``docs/error-bounds.md`` §11.

The values are NumPy's own calls on the plain values (bit for bit what the plain twin computes), or, where NumPy
itself is a composition of tracked operations (``diff``, ``outer``), that composition. Every formula is first order
in the operands' bounds, as the rest of the tracker (Higham, *Accuracy and Stability of Numerical Algorithms*).
"""

from __future__ import annotations

import contextlib
import math
import string
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from dlparity.bounds.tracked import dispatch as _dispatch
from dlparity.bounds.tracked import operations
from dlparity.bounds.tracked.dispatch import implements
from dlparity.bounds.tracked.integers import _Integer
from dlparity.bounds.tracked.rules import _sum_along
from dlparity.bounds.tracked.values import (
    _NO_AMBIGUITY,
    LIBM_ULP,
    Ambiguity,
    Array,
    Tracked,
    TrackedMask,
    _abs,
    _check_exact_operands,
    _mag,
    _mask_ids,
    _merge,
    _result,
    _wrap,
    gamma_of,
    refuse,
    unit_roundoff,
)


def _merged(ts: Sequence[Tracked]) -> Ambiguity:
    amb = _NO_AMBIGUITY
    for t in ts:
        amb = _merge(amb, t.amb)
    return amb


def _plain_options(name: str, kwargs: dict[str, Any], allowed: Sequence[str]) -> None:
    """Refuse options beyond ``allowed`` that are given a value (``out=``, ``dtype=`` other than float64)."""
    extra = sorted(k for k, v in kwargs.items() if k not in allowed and v is not None
                   and not (k == "dtype" and np.dtype(v) == np.float64))
    if extra:
        refuse(f"numpy.{name} with {', '.join(extra)}=", "out=, dtype= and the like are not tracked")


# -- multilinear contractions: every product whose entries are sums of products of the operands' entries -------

def rule_contraction(f: Callable[..., Array], operands: Sequence[Tracked], n_terms: int) -> Array:
    r"""Each entry a sum of ``n_terms`` products of one entry of each of the m operands (``f`` multilinear:
    a matrix product, ``einsum``, ``kron``, a convolution):

    .. math:: E = \gamma_{n + m - 2}\, f(|\hat X_1|, \dots, |\hat X_m|)
              + \sum_k f(|\hat X_1| + E_1, \dots, |\hat X_{k-1}| + E_{k-1}, E_k, |\hat X_{k+1}|, \dots, |\hat X_m|)

    The first term is the rounding of the evaluation in any order (each product m - 1 roundings, the
    sum n - 1; Higham §3.1, FMA or not), the second the telescoped propagation
    :math:`f(\hat X) - f(X) = \sum_k f(X_1, \dots, X_{k-1}, \hat X_k - X_k, \hat X_{k+1}, \dots)`,
    each factor bounded entrywise (``f`` of non-negative arrays is non-negative).
    """
    mags = [_abs(t) for t in operands]  # float64, also for float32 operands (whose result rounds to u = 2^-24)
    u = unit_roundoff(np.result_type(*(t.v.dtype for t in operands)))
    roundings = n_terms + len(operands) - 2
    e = gamma_of(roundings, u) * f(*mags) if roundings > 0 else np.zeros(np.shape(f(*mags)))
    for k, t in enumerate(operands):
        if t.e is not None:
            wide = [a if s.e is None else a + s.e for a, s in zip(mags[:k], operands[:k], strict=True)]
            e = e + f(*wide, t.e, *mags[k + 1:])
    return np.asarray(e, dtype=np.float64)


def contraction(name: str, f: Callable[..., Any], operands: Sequence[Tracked], n_terms: int,
                value: Any = None) -> Tracked:
    """NumPy's ``f`` of the plain values (or the given value), bound by :func:`rule_contraction`."""
    v = np.asarray(f(*(t.v for t in operands)) if value is None else value)
    if v.dtype not in (np.float64, np.float32):
        refuse(f"{name} giving {v.dtype}", "only float64 and float32 are tracked")
    e = rule_contraction(f, operands, n_terms)
    cost = n_terms + 2 * len(operands) + 4
    return _result(name, v, e, cost, max(t.k for t in operands) + cost, _merged(operands))


@implements("outer")
def _outer(a: Any, b: Any, out: Any = None) -> Tracked:
    """``np.outer(a, b)`` is NumPy's ``multiply(a.ravel()[:, None], b.ravel()[None, :])``: that product, tracked."""
    if out is not None:
        refuse("numpy.outer with out=")
    ta, tb = _wrap(a, "numpy.outer"), _wrap(b, "numpy.outer")
    return operations.binary("multiply", ta.reshape(-1)[:, None], tb.reshape(-1)[None, :])


@implements("kron")
def _kron(a: Any, b: Any) -> Tracked:
    """``np.kron``: each entry one product :math:`a_{ij} b_{kl}`."""
    return contraction("numpy.kron", np.kron, [_wrap(a, "numpy.kron"), _wrap(b, "numpy.kron")], 1)


@implements("inner")
def _inner(a: Any, b: Any) -> Tracked:
    """``np.inner``: sums over the last axis of both (a product by a 0-d operand is ``multiply``)."""
    ta, tb = _wrap(a, "numpy.inner"), _wrap(b, "numpy.inner")
    if not ta.v.ndim or not tb.v.ndim:
        return operations.binary("multiply", ta, tb)
    return contraction("numpy.inner", np.inner, [ta, tb], ta.v.shape[-1])


@implements("dot")
def _dot(a: Any, b: Any, out: Any = None) -> Tracked:
    """``np.dot``: the matrix product for 1-D and 2-D operands (:func:`~.operations.matmul`, which keeps a product
    fresh for the bias added next); ``multiply`` for a 0-d one; for N-D the sum over a's last and b's
    second-to-last axis."""
    if out is not None:
        refuse("numpy.dot with out=")
    ta, tb = _wrap(a, "numpy.dot"), _wrap(b, "numpy.dot")
    if not ta.v.ndim or not tb.v.ndim:
        return operations.binary("multiply", ta, tb)
    if ta.v.ndim <= 2 and tb.v.ndim <= 2:
        return operations.matmul(ta, tb)
    return contraction("numpy.dot", np.dot, [ta, tb], ta.v.shape[-1])


@implements("tensordot")
def _tensordot(a: Any, b: Any, axes: Any = 2) -> Tracked:
    """``np.tensordot``: the summed terms are the product of the contracted axes' lengths."""
    ta, tb = _wrap(a, "numpy.tensordot"), _wrap(b, "numpy.tensordot")
    if isinstance(axes, (int, np.integer)):
        summed = [ta.v.shape[ta.v.ndim - 1 - j] for j in range(int(axes))]
    else:
        first = axes[0]
        summed = [ta.v.shape[j] for j in ([first] if isinstance(first, (int, np.integer)) else first)]
    return contraction("numpy.tensordot", lambda x, y: np.tensordot(x, y, axes), [ta, tb], math.prod(summed))


def _einsum_terms(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> int | None:
    """Terms summed per output entry of ``einsum(subscripts)``: the product of the summed letters' lengths; None
    where a letter's length is unclear (an ellipsis that is summed, a malformed signature)."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    parts = inputs.split(",")
    if len(parts) != len(shapes):
        return None
    letters = [c for part in parts for c in part if c in string.ascii_letters]
    if not arrow:  # implicit mode: the letters that occur once, in order
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if "..." in inputs:
            output = "..." + output
    if "..." in inputs and "..." not in output:
        return None
    length: dict[str, int] = {}
    for part, shape in zip(parts, shapes, strict=True):
        named = part.replace("...", "")
        if any(c not in string.ascii_letters for c in named):
            return None
        axes = list(named) if "..." not in part else (
            list(part.split("...")[0]) + [""] * (len(shape) - len(named)) + list(part.split("...")[1]))
        if len(axes) != len(shape):
            return None
        for c, n in zip(axes, shape, strict=True):
            if c:
                length[c] = n
    return math.prod(n for c, n in length.items() if c not in output)


@implements("einsum")
def _einsum(subscripts: Any, *operands: Any, **kwargs: Any) -> Any:
    """``np.einsum`` with a signature in letters (matrix products, batched, trace, elementwise-and-sum, outer):
    a multilinear contraction (:func:`rule_contraction`); a signature it cannot read is not tracked."""
    if not isinstance(subscripts, str) or set(kwargs) - {"optimize"}:
        return NotImplemented
    ts = [_wrap(x, "numpy.einsum") for x in operands]
    n = _einsum_terms(subscripts, [t.v.shape for t in ts])
    if n is None:
        return NotImplemented
    optimize = kwargs.get("optimize", False)
    value = np.einsum(subscripts, *(t.v for t in ts), optimize=optimize)
    return contraction("numpy.einsum", lambda *xs: np.einsum(subscripts, *xs), ts, max(n, 1), value)


# -- prefix sums and products, products, differences ------------------------------------------------------

def _prefix_gamma(n: int, shape: tuple[int, ...], u: float) -> Array:
    r""":math:`\gamma_{j-1}` for the j-th prefix (j = 1..n) along the last axis, broadcastable to ``shape``."""
    j = np.arange(n, dtype=np.float64)
    return np.broadcast_to(j * u / (1.0 - j * u), shape)


def rule_cumsum(x: Tracked, axis: int) -> Array:
    r"""The j-th prefix sum: :math:`\gamma_{j-1} \sum_{i \le j} |x_i| + \sum_{i \le j} E_i` (Higham §4.2)."""
    a, e = np.moveaxis(_abs(x), axis, -1), None if x.e is None else np.moveaxis(x.e, axis, -1)
    bound = _prefix_gamma(a.shape[-1], a.shape, unit_roundoff(x.v.dtype)) * np.cumsum(a, axis=-1)
    if e is not None:
        bound = bound + np.cumsum(e, axis=-1)
    return np.moveaxis(bound, -1, axis)


def rule_cumprod(x: Tracked, axis: int) -> Array:
    r"""The j-th prefix product: :math:`\gamma_{j-1} P_j + D_j`, :math:`P_j = \prod_{i \le j} |x_i|`,
    :math:`D_j = \prod_{i \le j} (|x_i| + E_i) - P_j`, by :math:`D_j = (|x_j| + E_j) D_{j-1} + E_j P_{j-1}`
    (no subtraction: every term is non-negative)."""
    a = np.moveaxis(_abs(x), axis, -1)
    P = np.cumprod(a, axis=-1)
    bound = _prefix_gamma(a.shape[-1], a.shape, unit_roundoff(x.v.dtype)) * P
    if x.e is not None:
        e = np.moveaxis(x.e, axis, -1)
        D = np.empty_like(P)
        if D.shape[-1]:
            D[..., 0] = e[..., 0]
        for j in range(1, D.shape[-1]):
            D[..., j] = (a[..., j] + e[..., j]) * D[..., j - 1] + e[..., j] * P[..., j - 1]
        bound = bound + D
    return np.moveaxis(bound, -1, axis)


def _prefix(name: str, func: Any) -> Callable[..., Tracked]:
    """``cumsum`` / ``cumprod`` along one axis (or flattened), bound by ``rule_cumsum`` / ``rule_cumprod`` (read from
    this module on each call, so that the tests can change one)."""
    def prefix(x: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tracked:
        _plain_options(name, {"dtype": dtype, "out": out}, ())
        t = _wrap(x, f"numpy.{name}")
        if axis is None:
            t = t.reshape(-1)
        ax = 0 if axis is None else int(axis)
        v = np.asarray(func(t.v, axis=ax))
        n = t.v.shape[ax] if t.v.ndim else 1
        e = globals()[f"rule_{name}"](t, ax)
        return _result(f"numpy.{name}", v, e, n + 6, t.k + n + 6, t.amb)
    return prefix


implements("cumsum")(_prefix("cumsum", np.cumsum))
implements("cumprod")(_prefix("cumprod", np.cumprod))


@implements("prod")
def _prod(x: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
          **kwargs: Any) -> Tracked:
    """``np.prod`` along one axis or all: the last prefix product's bound (:func:`rule_cumprod`), any order."""
    _plain_options("prod", {"dtype": dtype, "out": out, **kwargs}, ())
    t = _wrap(x, "numpy.prod")
    v = np.asarray(np.prod(t.v, axis=axis, keepdims=keepdims))
    if axis is None:
        flat = t.reshape(-1)
        e = rule_cumprod(flat, 0)[-1] if flat.v.size else np.float64(0.0)
        e = np.full(v.shape, e)
    elif isinstance(axis, (int, np.integer)):
        ax = int(axis) % max(t.v.ndim, 1)
        e = np.take(rule_cumprod(t, ax), [-1], axis=ax) if t.v.shape[ax] else np.zeros(v.shape)
        e = e.reshape(v.shape)
    else:
        return NotImplemented
    n = t.v.size // max(v.size, 1) if t.v.size else 0
    return _result("numpy.prod", v, np.asarray(e, dtype=np.float64), n + 6, t.k + n + 6, t.amb)


@implements("diff")
def _diff(a: Any, n: int = 1, axis: int = -1, **kwargs: Any) -> Any:
    """``np.diff`` is ``a[1:] - a[:-1]`` along the axis, n times: those subtractions, tracked."""
    if kwargs:  # prepend= / append=
        return NotImplemented
    t = _wrap(a, "numpy.diff")
    ax = int(axis) % t.v.ndim
    later = tuple(slice(1, None) if j == ax else slice(None) for j in range(t.v.ndim))
    earlier = tuple(slice(None, -1) if j == ax else slice(None) for j in range(t.v.ndim))
    for _ in range(int(n)):
        t = operations.binary("subtract", t[later], t[earlier])
    return t


# -- variance and standard deviation -----------------------------------------------------------------------

def _count(shape: tuple[int, ...], axis: Any) -> int:
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return math.prod(shape[int(j)] for j in axes)


def rule_var(x: Tracked, axis: Any, ddof: int, keepdims: bool) -> Array:
    r"""``var`` of n entries with N = n - ddof, deviations :math:`\hat d_i = fl(\hat x_i - \hat m)`:

    .. math:: E = \frac{\gamma_{n+2} \sum \hat d_i^2 + n\mu^2
                  + 2 \sum ((1 + u)|\hat d_i| + \mu) E_i + \sum E_i^2}{N} + u\,\hat V

    The computed mean's own error μ (:math:`(\gamma_{n-1} \sum |\hat x| + \sum)/n + u|\hat m|`) enters
    only squared: :math:`\sum (\hat x_i - \hat m)^2 = \sum (\hat x_i - m)^2 + n(\hat m - m)^2`. The
    propagated part is exact up to the bound :math:`\sum (\Delta_i - \bar\Delta)^2 \le \sum E_i^2`:
    :math:`N(V(\hat x) - V(x)) = 2\sum (\hat x_i - m)\Delta_i - \sum (\Delta_i - \bar\Delta)^2`.
    """
    u = unit_roundoff(x.v.dtype)
    v = np.asarray(x.v, dtype=np.float64)  # the bound's arithmetic in float64, also for a float32 variance
    n = _count(v.shape, axis)
    total = _sum_along(v, axis=axis, keepdims=True)
    m = total / n
    d = np.abs(v - m)
    mu = (gamma_of(max(n - 1, 0), u) * _sum_along(_abs(x), axis=axis, keepdims=True) + u * np.abs(total)) / n \
        + u * np.abs(m)
    N = max(n - ddof, 0)
    num = gamma_of(n + 2, u) * _sum_along(d * d, axis=axis, keepdims=True) + n * mu * mu
    if x.e is not None:
        num = num + _sum_along(2.0 * ((1.0 + u) * d + mu) * x.e + x.e * x.e, axis=axis, keepdims=True)
    e = num / N
    if not keepdims:
        e = e.reshape(np.asarray(np.var(v, axis=axis)).shape)
    return np.asarray(e, dtype=np.float64)


def _var_tracked(name: str, x: Any, axis: Any, ddof: Any, keepdims: bool, kwargs: dict[str, Any]) -> Tracked:
    _plain_options(name, kwargs, ())
    t = _wrap(x, f"numpy.{name}")
    ddof = int(ddof)
    if _count(t.v.shape, axis) - ddof <= 0:
        refuse(f"numpy.{name} with ddof={ddof} over {_count(t.v.shape, axis)} entries", "no degrees of freedom")
    v = np.asarray(np.var(t.v, axis=axis, ddof=ddof, keepdims=keepdims))
    e = rule_var(t, axis, ddof, keepdims) + unit_roundoff(v.dtype) * _mag(v)
    n = t.v.size // max(v.size, 1)
    return _result(f"numpy.{name}", v, e, n + 12, t.k + n + 12, t.amb)


@implements("var")
def _var(x: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False,
         **kwargs: Any) -> Tracked:
    """``np.var`` with ``ddof`` (MATLAB's ``var`` is ddof=1): :func:`rule_var`."""
    return _var_tracked("var", x, axis, ddof, keepdims, {"dtype": dtype, "out": out, **kwargs})


@implements("std")
def _std(x: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False,
         **kwargs: Any) -> Tracked:
    """``np.std`` is NumPy's ``sqrt(var)`` (MATLAB's ``std`` is ddof=1): the variance, then the square root's rule."""
    return operations.elementary("sqrt", _var_tracked("std", x, axis, ddof, keepdims,
                                                      {"dtype": dtype, "out": out, **kwargs}))


# -- any / all -------------------------------------------------------------------------------------------

def _truth(x: Any, name: str) -> TrackedMask:
    """``x != 0`` as a mask: booleans as they are; a tracked number ambiguous where ``|x| <= 2E`` (E > 0)."""
    if isinstance(x, TrackedMask):
        return x
    if isinstance(x, np.ndarray) and x.dtype == np.bool_:
        return TrackedMask(x, None, _NO_AMBIGUITY)
    t = _wrap(x, name)
    v = t.v != 0
    if t.e is None:
        _check_exact_operands(name, t)
        return TrackedMask(np.asarray(v), None, t.amb)
    near = (np.abs(t.v) <= 2.0 * t.e) & (t.e > 0)
    return TrackedMask(np.asarray(v), near if near.any() else None, t.amb)


def logical_reduce(name: str, x: Any, axis: Any = None, keepdims: bool = False) -> TrackedMask:
    r"""``any``/``all`` of a mask: certain where a certain entry decides (a certain True for ``any``, a certain
    False for ``all``) or every entry is certain; ambiguous (counted) otherwise."""
    m = _truth(x, f"numpy.{name}")
    func = np.any if name == "any" else np.all
    v = np.asarray(func(m.v, axis=axis, keepdims=keepdims))
    if m.ambiguous is None:
        return TrackedMask(v, None, m.amb)
    sure = ~m.ambiguous
    deciding = m.v if name == "any" else ~m.v
    decided = np.any(sure & deciding, axis=axis, keepdims=keepdims)
    all_sure = np.all(sure, axis=axis, keepdims=keepdims)
    ambiguous = np.asarray(~(decided | all_sure))
    count = int(np.count_nonzero(ambiguous))
    if not count:
        return TrackedMask(v, None, m.amb)
    return TrackedMask(v, ambiguous, _merge(m.amb, frozenset({(next(_mask_ids), count)})))


for _name in ("any", "all"):
    implements(_name)(lambda x, axis=None, out=None, keepdims=False, *, where=None, name=_name:
                      logical_reduce(name, x, axis, keepdims) if out is None and where is None else NotImplemented)


# -- norms -------------------------------------------------------------------------------------------------

def rule_norm2(x: Tracked, v: Array, axis: Any, keepdims: bool) -> Array:
    r"""2-norm (Frobenius), NumPy's ``sqrt(x · x)``: :math:`\gamma_{n+1} \|\hat x\| + \|E\|_2` (the sum of
    squares within :math:`\gamma_n`, the square root halves it and adds u; the norm is 1-Lipschitz)."""
    n = _count(x.v.shape, axis)
    e = gamma_of(n + 1, unit_roundoff(v.dtype)) * _mag(v)
    if x.e is not None:
        e = e + np.sqrt(_sum_along(x.e * x.e, axis=axis, keepdims=keepdims))
    return np.asarray(e, dtype=np.float64)


@implements("linalg.norm")
def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    r"""``np.linalg.norm``: vectors (ord None, 2, 1, inf), matrices (None, 'fro', 1, inf); NumPy's value."""
    t = _wrap(x, "numpy.linalg.norm")
    v = np.asarray(np.linalg.norm(t.v, ord, axis, keepdims))
    vector = (axis is None and t.v.ndim == 1) or isinstance(axis, (int, np.integer))
    matrix = (axis is None and t.v.ndim == 2) or (isinstance(axis, tuple) and len(axis) == 2)
    axes = axis if axis is not None else tuple(range(t.v.ndim))
    if (vector and ord in (None, 2)) or ((matrix or (axis is None and ord is None)) and ord in (None, "fro")):
        e = rule_norm2(t, v, axes, keepdims)
    elif vector and ord in (1, math.inf):
        a = _abs(t)
        if ord == 1:  # the sum of |x|: gamma_(n-1) sum |x| + sum E
            n = _count(t.v.shape, axes)
            e = gamma_of(max(n - 1, 0), unit_roundoff(v.dtype)) * _sum_along(a, axis=axes, keepdims=keepdims)
            if t.e is not None:
                e = e + _sum_along(t.e, axis=axes, keepdims=keepdims)
        else:  # max |x|: exact, the largest E (1-Lipschitz)
            e = np.zeros(v.shape) if t.e is None else np.max(t.e, axis=axes, keepdims=keepdims)
    elif matrix and ord in (1, math.inf) and t.v.ndim == 2:
        along = 0 if ord == 1 else 1  # 1: the largest column sum; inf: the largest row sum
        sums = gamma_of(max(t.v.shape[along] - 1, 0), unit_roundoff(v.dtype)) * _sum_along(_abs(t), axis=along)
        if t.e is not None:
            sums = sums + _sum_along(t.e, axis=along)
        e = np.max(sums).reshape(v.shape)
    else:
        return NotImplemented
    n = t.v.size
    return _result("numpy.linalg.norm", v, np.asarray(e, dtype=np.float64), n + 10, t.k + n + 10, t.amb)


# -- ordering ------------------------------------------------------------------------------------------------

def _clusters(s: Array, e: Array, margin: float) -> Any:
    """Along the last axis of sorted values ``s`` with bounds ``e``: each entry's cluster number, a new cluster
    starting where the entry's interval ``s - margin e`` lies above every earlier ``s + margin e``."""
    top = np.maximum.accumulate(s + margin * e, axis=-1)
    start = np.ones(s.shape, dtype=bool)
    start[..., 1:] = (s[..., 1:] - margin * e[..., 1:]) > top[..., :-1]
    return np.cumsum(start, axis=-1)


def rule_sort(s: Array, e: Array) -> Array:
    r"""The sorted values' bounds along the last axis (bounds already in sorted order): E of the entry itself
    where its interval :math:`[\hat x - E, \hat x + E]` meets no other's; where intervals chain together, the
    largest E of that cluster (the exact values keep the cluster's positions, and sorting is 1-Lipschitz
    in the largest entry)."""
    ids = _clusters(s, e, 1.0)
    out = np.empty_like(e)
    for index in np.ndindex(*s.shape[:-1]):
        row, ids_row = e[index], ids[index]
        largest = np.zeros(int(ids_row[-1]) + 1 if ids_row.size else 1)
        np.maximum.at(largest, ids_row, row)
        out[index] = largest[ids_row]
    return out


def _sorted_bound(t: Tracked, ax: int) -> tuple[Array, Any, Array]:
    """NumPy's sorted values (moved to the last axis), the stable order, and the bounds in that order."""
    v = np.moveaxis(t.v, ax, -1)
    order = np.argsort(v, axis=-1, kind="stable")
    e = np.take_along_axis(np.moveaxis(t.error, ax, -1), order, axis=-1)
    return np.take_along_axis(v, order, axis=-1), order, e


@implements("sort")
def _sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, **kwargs: Any) -> Any:
    """``np.sort``: NumPy's sorted values; each bound :func:`rule_sort`."""
    if order is not None or kwargs:
        return NotImplemented
    t = _wrap(a, "numpy.sort")
    if axis is None:
        t, axis = t.reshape(-1), -1
    ax = int(axis) % max(t.v.ndim, 1)
    v = np.asarray(np.sort(t.v, axis=ax, kind=kind))
    if t.e is None:
        _check_exact_operands("numpy.sort", t)
        return Tracked(v, None, t.k, amb=t.amb)
    s, _, e = _sorted_bound(t, ax)
    return Tracked(v, np.moveaxis(rule_sort(s, e), -1, ax), t.k + 2, amb=t.amb)


@implements("argsort")
def _argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, **kwargs: Any) -> Any:
    """``np.argsort``: NumPy's plain indices, where every correct evaluation gives the same permutation: no two
    entries (one with E > 0) within ``2(E_a + E_b)`` of each other, as ``argmax`` asks of its best two;
    refused where two may swap."""
    if order is not None or kwargs:
        return NotImplemented
    t = _wrap(a, "numpy.argsort")
    flat = axis is None
    if flat:
        t = t.reshape(-1)
    ax = -1 if flat else int(axis) % max(t.v.ndim, 1)
    idx = np.argsort(t.v, axis=ax, kind=kind)
    if t.e is None:
        _check_exact_operands("numpy.argsort", t)
        return idx
    s, _, e = _sorted_bound(t, ax)
    ids = _clusters(s, e, 2.0)
    shared = np.zeros(s.shape, dtype=bool)  # in a cluster of two or more
    same = ids[..., 1:] == ids[..., :-1]
    shared[..., 1:] |= same
    shared[..., :-1] |= same
    if np.any(shared & (e > 0)):
        refuse("numpy.argsort of values two of which are within rounding of each other",
               "another correct evaluation could order them the other way")
    return idx


# -- elementwise -----------------------------------------------------------------------------------------------

@implements("sign")
def _sign(x: Any) -> Tracked:
    r"""``np.sign``: exact where ``|x| > 2E`` (every correct evaluation has the exact sign there); elsewhere
    (E > 0) the whole jump, 2, and the entry counted ambiguous, as a comparison with 0 is."""
    t = _wrap(x, "numpy.sign")
    v = np.asarray(np.sign(t.v))
    if t.e is None:
        _check_exact_operands("numpy.sign", t)
        return Tracked(v, None, t.k, amb=t.amb)
    near = (np.abs(t.v) <= 2.0 * t.e) & (t.e > 0)
    count = int(np.count_nonzero(near))
    amb = t.amb if not count else _merge(t.amb, frozenset({(next(_mask_ids), count)}))
    return Tracked(v, np.where(near, 2.0, 0.0), t.k + 2, amb=amb)


@implements("hypot")
def _hypot(a: Any, b: Any) -> Tracked:
    r"""``np.hypot``, libm's (:data:`LIBM_ULP` ulp) and 1-Lipschitz in the 2-norm:
    :math:`k\,\mathrm{ulp} + \sqrt{E_a^2 + E_b^2}`."""
    ta, tb = _wrap(a, "numpy.hypot"), _wrap(b, "numpy.hypot")
    v = np.asarray(np.hypot(ta.v, tb.v))
    e = (2 * LIBM_ULP * unit_roundoff(v.dtype)) * _mag(v) + np.hypot(ta.error, tb.error)
    return _result("numpy.hypot", v, np.asarray(e), 2 * LIBM_ULP + 8, max(ta.k, tb.k) + 2 * LIBM_ULP + 8,
                   _merge(ta.amb, tb.amb))


@implements("arctan2")
def _arctan2(y: Any, x: Any) -> Tracked:
    r"""``np.arctan2(y, x)``: :data:`LIBM_ULP` ulp plus the largest gradient on the box of inputs,
    :math:`((|x| + E_x) E_y + (|y| + E_y) E_x) / r_{min}^2` with
    :math:`r_{min}^2 = \max(|x| - E_x, 0)^2 + \max(|y| - E_y, 0)^2`; refused where the box reaches the
    origin or crosses the branch cut (x < 0, y = 0), where the angle jumps by 2π."""
    ty, tx = _wrap(y, "numpy.arctan2"), _wrap(x, "numpy.arctan2")
    v = np.asarray(np.arctan2(ty.v, tx.v))
    e = (2 * LIBM_ULP * unit_roundoff(v.dtype)) * _mag(v)
    if ty.e is not None or tx.e is not None:
        ey, ex = ty.error, tx.error
        ay, ax = _abs(ty), _abs(tx)
        r2 = np.maximum(ax - ex, 0.0) ** 2 + np.maximum(ay - ey, 0.0) ** 2
        moved = (ey > 0) | (ex > 0)
        if np.any(moved & (r2 <= 0)):
            refuse("numpy.arctan2 of a point whose bound reaches the origin", "the angle has no bound there")
        if np.any(moved & (ay <= ey) & (tx.v - ex < 0)):
            refuse("numpy.arctan2 of a point whose bound crosses the branch cut (x < 0, y = 0)",
                   "the angle jumps by 2 pi there")
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(moved, ((ax + ex) * ey + (ay + ey) * ex) / np.where(moved, r2, 1.0), 0.0)
        e = e + grad
    return _result("numpy.arctan2", v, np.asarray(e), 2 * LIBM_ULP + 12,
                   max(ty.k, tx.k) + 2 * LIBM_ULP + 12, _merge(ty.amb, tx.amb))


# -- the methods ports call on arrays ---------------------------------------------------------------------------

for _name in ("cumsum", "cumprod", "prod", "var", "std", "any", "all", "argsort", "dot"):
    setattr(Tracked, _name, _dispatch._method(_name))
for _name in ("any", "all"):
    setattr(TrackedMask, _name, _dispatch._method(_name))


# -- np.arange of int inputs -----------------------------------------------------------------------------------

def _arange(original: Callable[..., Any]) -> Callable[..., Any]:
    def arange(*args: Any, **kwargs: Any) -> Any:
        """``np.arange`` with int inputs (``np.arange(n)``, ``np.arange(1, n + 1)``) as their ints: NumPy's exact
        plain array, as in the plain twin (NumPy would otherwise divide the tracked ints as numbers)."""
        return original(*(a.n if type(a) is _Integer else a for a in args),
                        **{k: a.n if type(a) is _Integer else a for k, a in kwargs.items()})
    arange.__wrapped__ = original  # type: ignore[attr-defined]
    return arange


@contextlib.contextmanager
def arange_takes_int_inputs() -> Iterator[None]:
    """For one run: ``np.arange`` takes int inputs as their ints (``np.arange`` is no NumPy function a tracked
    value can intercept: it has no ``__array_function__`` dispatch); NumPy's own again on exit."""
    original = np.arange
    if hasattr(original, "__wrapped__"):  # a run inside a run: already in place
        yield
        return
    np.arange = _arange(original)
    try:
        yield
    finally:
        np.arange = original
