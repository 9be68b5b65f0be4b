r"""The rules: for each operation, the bound of its result from its operands' values and bounds (before the final
widening), in the notation of ``docs/error-bounds.md`` (Higham; :math:`u = 2^{-53}`, :math:`\gamma_n = nu/(1-nu)`).

Each ``rule_*`` takes the operands (and the computed value) and returns the bound, and mostly the roundings of
its own evaluation (the chain k). They are module-level so that the tests can weaken or inflate one at a time
(``monkeypatch.setattr(rules, "rule_add", ...)``): :mod:`.operations` reads them from this module on each call.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlparity.bounds.tracked.values import (
    _F64,
    _ZERO,
    LIBM_ULP,
    Array,
    Tracked,
    TrackedMask,
    U,
    _abs,
    _abs_diff,
    _gamma,
    _mag,
    _mask_float,
    gamma_of,
    refuse,
    unit_roundoff,
)

#: what ``np.sum`` calls for an ndarray, without its Python wrapper (typed loosely: keepdims is a plain bool here)
_sum_along: Callable[..., Any] = np.add.reduce


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
            g = fresh.acc.gamma(max(fresh.acc.n, other.acc.n) + 1)
            return g * (fresh.acc.M + other.acc.M) + fresh.acc.bound(0.0) + other.acc.bound(0.0), \
                max(fresh.acc.n, other.acc.n) + 5
        g = fresh.acc.gamma(fresh.acc.n + 1)
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
    e = _mag(v)  # a fresh array of the result's shape (a scalar for 0-d): added to in place
    e *= unit_roundoff(v.dtype)
    if ea is not None:
        e += ea
    if eb is not None:
        e += eb
    return e, 4


def rule_multiply(a: Tracked, b: Tracked, v: Array) -> tuple[Array, int]:
    r"""``a * b``: :math:`u|ab| + (|a| + E_a) E_b + E_a |b|` (one rounding, then propagation)."""
    ea, eb = a.e, b.e
    e = _mag(v)  # a fresh array of the result's shape (a scalar for 0-d): added to in place
    e *= unit_roundoff(v.dtype)
    if eb is not None:
        e += (_abs(a) if ea is None else _abs(a) + ea) * eb
    if ea is not None:
        e += ea * _abs(b)
    return e, 5


def rule_divide(a: Tracked, b: Tracked, v: Array) -> tuple[Array, int]:
    r"""``a / b``: :math:`u|a/b| + (E_a + |a/b| E_b) / (|b| - E_b)`, for ``|b| > E_b`` (rigorous, not only first order)."""
    av = _mag(v)
    e = unit_roundoff(v.dtype) * av
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
    u: float = U  # the unit roundoff of the result's dtype

    def gamma(self, n: int) -> float:
        r""":math:`\gamma_n` in the result's dtype: :func:`matmul_gamma` for float64."""
        return matmul_gamma(n) if self.u == U else gamma_of(n, self.u)

    def gamma_n(self) -> float:
        return self.gamma(self.n)

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

    __slots__ = ("_M", "aA", "bA", "eA", "eB", "n", "u")

    def __init__(self, A: Tracked, B: Tracked, n: int) -> None:
        self.n = n
        self.u = U if A.v.dtype is B.v.dtype is _F64 else unit_roundoff(np.result_type(A.v, B.v))
        aA = A._abs
        if aA is None:
            aA = _abs(A)
        bA = B._abs
        if bA is None:
            bA = _abs(B)
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

    __slots__ = ("P", "_M", "n", "u")

    def __init__(self, M: Array, P: Array | None, n: int, u: float = U) -> None:
        self._M, self.P, self.n, self.u = M, P, n, u

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
    return Sum(M, P, n - 1 if n > 1 else 0, unit_roundoff(x.v.dtype)), n + 3


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


def _df_log_base(name: str, ln_base: float) -> Callable[[Array, Array], Array]:
    """log2 / log10: 1 / ((x - E) ln b), ln b rounded as math.log gives it (within an ulp: the chain k covers it)."""
    def df(x: Array, e: Array) -> Array:
        low = x - e
        if not (low > 0).all():
            refuse(f"numpy.{name} of a value whose bound reaches 0", f"{name} has no finite bound there")
        return 1.0 / (low * ln_base)
    return df


def _df_sin(x: Array, e: Array) -> Array:
    return np.minimum(1.0, np.abs(np.cos(x)) + e)  # |cos| is 1-Lipschitz: at most |cos x| + E on the interval


def _df_cos(x: Array, e: Array) -> Array:
    return np.minimum(1.0, np.abs(np.sin(x)) + e)


#: max |f'| on [x - E, x + E] for each libm-style function
DERIVATIVE_BOUNDS: dict[str, Callable[[Array, Array], Array]] = {
    "exp": _df_exp, "expm1": _df_exp, "log": _df_log, "log1p": _df_log1p, "tanh": _df_tanh,
    "log2": _df_log_base("log2", math.log(2.0)), "log10": _df_log_base("log10", math.log(10.0)),
    "sin": _df_sin, "cos": _df_cos,
}


def rule_elementary(name: str, x: Tracked, v: Array) -> tuple[Array, int]:
    r"""``f(x)`` for f in exp, expm1, log, log1p, log2, log10, tanh, sin, cos: :math:`\max_{[x-E, x+E]} |f'| \cdot E + k\,\mathrm{ulp}(f(x))`.

    k = :data:`LIBM_ULP` for every function (glibc's published maxima are lower; NumPy's AVX-512
    SVML loops are within 4 ULP); one ULP of y is at most 2u|y|.
    """
    e = (2 * LIBM_ULP * unit_roundoff(v.dtype)) * _mag(v)
    if x.e is not None:
        e = e + DERIVATIVE_BOUNDS[name](x.v, x.e) * x.e
    return e, 2 * LIBM_ULP + 8


def rule_sqrt(x: Tracked, v: Array) -> tuple[Array, int]:
    r"""``sqrt``, correctly rounded: :math:`u\sqrt{x} + \min(E / (\sqrt{x} + \sqrt{\max(x - E, 0)}), \sqrt{E})`."""
    e = U * v if v.dtype is _F64 else unit_roundoff(v.dtype) * _mag(v)
    if x.e is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            lipschitz = x.e / (v + np.sqrt(np.maximum(x.v - x.e, 0.0)))
        e = e + np.fmin(lipschitz, np.sqrt(x.e))
    return e, 8


def rule_power(x: Tracked, p: int, v: Array) -> tuple[Array, int]:
    r"""``x ** p``, p a positive integer: ``x**2`` is one product (:math:`u x^2 + (2|x| + E)E`); other p
    call libm's pow: :math:`k\,\mathrm{ulp} + p(|x| + E)^{p-1} E`."""
    if p == 2:
        e = U * v if v.dtype is _F64 else unit_roundoff(v.dtype) * _mag(v)
        return (e if x.e is None else e + (2.0 * _abs(x) + x.e) * x.e), 5
    e = (2 * LIBM_ULP * unit_roundoff(v.dtype)) * _mag(v)
    if x.e is not None:
        e = e + p * (_abs(x) + x.e) ** (p - 1) * x.e
    return e, 2 * LIBM_ULP + 8


def rule_power_real(x: Tracked, p: float, v: Array) -> tuple[Array, int]:
    r"""``x ** p``, p negative or not whole (``x ** -1``, ``x ** 0.5``): libm's pow, 4 ulp (NumPy may take
    ``1/x`` or ``sqrt`` instead, each within that), plus :math:`|p| \max_{|t| \in [|x| - E, |x| + E]} |t|^{p-1} E`
    (the largest derivative on the interval: at its small end when p < 1); an interval reaching 0 is refused."""
    e = (2 * LIBM_ULP * unit_roundoff(v.dtype)) * _mag(v)
    if x.e is None:
        return e, 2 * LIBM_ULP + 4
    low = _abs(x) - x.e
    if not (low > 0).all():
        refuse(f"numpy.power with exponent {p!r} of a value whose bound reaches 0", "its derivative is unbounded there")
    if p < 1:  # |p| m^(p-1) E as |p| (E / m) m^p: m^(p-1) alone underflows where the whole does not (m ~ 1e170)
        return e + abs(p) * (x.e / low) * low ** p, 4 * LIBM_ULP + 12
    m = _abs(x) + x.e
    return e + abs(p) * m ** (p - 1) * x.e, 4 * LIBM_ULP + 12


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
