r"""Bound-tracking arrays: run an unmodified NumPy twin and get a rounding-error bound for every value.

Each :class:`Tracked` carries the value NumPy computes (float64, bit for bit what plain NumPy gives
on the plain inputs) and an elementwise bound :math:`E \ge 0` on its distance from the exact result,
first order, in the notation of ``docs/error-bounds.md`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed.; :math:`u = 2^{-53}`, :math:`\gamma_n = nu/(1-nu)`). The twin is
not edited: operators, ``__array_ufunc__`` and ``__array_function__`` (NEP 13, NEP 18) bring every
operation to one table (:mod:`.dispatch`), where each operation (:mod:`.operations`) is registered with the
rule for its bound (:mod:`.rules`). An operation
without a rule gives, inside :func:`track`, an :class:`Untracked` value naming it and the twin's line
(outside a run it raises :class:`UnsupportedOperation`, one sentence naming it); nothing passes through
with a made-up bound.

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
``x[idx] = v``, ``x op= y``            written entries take E_v (``x op y`` by its rule first), others keep
                                       theirs (exact); a write shared with a live view is an escape
``astype(int)``, ``int``, ``round``,   E = 0 where every value in [x - E, x + E] rounds to the same integer;
``floor ceil trunc rint fix``          Untracked (naming the entry) where the bound reaches another one
``reshape``/``ravel``/``flatten``      E moved with the value, in the same order (``order="F"`` too)
=====================================  ===========================================================

Operations on exact scalars (size 1, E = 0) whose result is exactly representable keep E = 0
(checked in rational arithmetic). Python int inputs compute with ints as Python ints while exact
(:class:`_Integer`): this is what lets ``X[i - 1:batch_end, :]`` and
``min(i + batch_size - 1, X.shape[0])`` index with tracked integers.

Every bound is itself computed in floating point; each result counts the roundings along the
longest chain of its bound's evaluation (k) and :func:`track` multiplies the final bounds by
``1 + 2gamma_k``. A value or bound that stops being finite voids the first-order analysis: refused.

The package: :mod:`.values` (the types), :mod:`.rules` (the bound formulas), :mod:`.dispatch` (the table and the
one path to it), :mod:`.operations` (the operations, registered), :mod:`.everyday` (prefix sums and products,
``var``/``std``, norms, ``kron``/``tensordot``/``einsum``, ``sort``, ``sign``, ``hypot``, ``arctan2``),
:mod:`.convolution` (``np.convolve`` and ``scipy.signal``'s direct convolutions), :mod:`.integers` (Python int
inputs), :mod:`.run` (:func:`track`).
"""

from dlparity.bounds.tracked import convolution, everyday, operations  # noqa: F401  (fill the dispatch table)
from dlparity.bounds.tracked.dispatch import RULES, dispatch, implements
from dlparity.bounds.tracked.integers import _Integer
from dlparity.bounds.tracked.rules import (
    DERIVATIVE_BOUNDS,
    Accumulation,
    Product,
    Sum,
    matmul_gamma,
    rule_add,
    rule_divide,
    rule_elementary,
    rule_extreme,
    rule_mask,
    rule_matmul,
    rule_multiply,
    rule_power,
    rule_power_real,
    rule_sqrt,
    rule_sum,
    rule_where,
)
from dlparity.bounds.tracked.run import ambiguous_count, finish, track
from dlparity.bounds.tracked.values import (
    LIBM_ULP,
    TINY,
    Tracked,
    TrackedMask,
    TrackedValue,
    U,
    UnsupportedOperation,
    Untracked,
    refuse,
)

__all__ = [
    "DERIVATIVE_BOUNDS",
    "LIBM_ULP",
    "RULES",
    "TINY",
    "Accumulation",
    "Product",
    "Sum",
    "Tracked",
    "TrackedMask",
    "TrackedValue",
    "U",
    "UnsupportedOperation",
    "Untracked",
    "_Integer",
    "ambiguous_count",
    "dispatch",
    "finish",
    "implements",
    "matmul_gamma",
    "refuse",
    "rule_add",
    "rule_divide",
    "rule_elementary",
    "rule_extreme",
    "rule_mask",
    "rule_matmul",
    "rule_multiply",
    "rule_power",
    "rule_power_real",
    "rule_sqrt",
    "rule_sum",
    "rule_where",
    "track",
]
