r"""Elementwise rounding-error bounds for every quantity of one block evaluation.

Each side (Octave, NumPy) computes in IEEE double with its own BLAS and summation order, so the
two never agree bit for bit. How far apart may they be? First-order forward error analysis
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., section 3.5) bounds each
side's distance from the exact result; the two sides may then differ by at most twice that.

For a product with inner dimension n, in any summation order and with or without FMA,

.. math:: |\mathrm{fl}(AB) - AB| \le \gamma_n |A|\,|B|, \qquad \gamma_n = \frac{n u}{1 - n u},
          \quad u = 2^{-53}.

A computed operand carries its own error :math:`E`, which the next product propagates as
:math:`|A|\,E_B + E_A\,|B|`. So the bound of every quantity is the same expression as the
quantity itself, evaluated on magnitudes. ReLU is 1-Lipschitz and ``max`` is exact, so
:math:`E_{a} \le E_{z}` (and 0 where z is surely negative). ``ReLU_deriv`` is not continuous: where a computed pre-activation lies
within twice its bound of 0 (``|z| <= 2 E_z`` with ``E_z > 0``) the two sides may legitimately
take different masks. Those entries are *mask-ambiguous*: they are reported, and the bound
there is widened to the whole product the mask multiplies, which keeps it a true bound.
Finally every bound is multiplied by :math:`1 + 2\gamma_k` (k the longest chain of roundings)
so that it stays an upper bound although it is itself evaluated in floating point.

The section 1.2 lines evaluate the same products in another grouping (the scale 2/batch_size
multiplies ``W3' * error`` or a sum instead of ``error``): :func:`manual_error_bounds` derives
their bound for that grouping. The derivation is written out in ``docs/error-bounds.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import BlockInputs

Array = NDArray[np.float64]

#: Unit roundoff of IEEE double, u = 2**-53 (round to nearest).
U = 2.0**-53


def gamma(n: int) -> float:
    r""":math:`\gamma_n = n u / (1 - n u)` (Higham, Lemma 3.1); valid while n u < 1."""
    nu = n * U
    if nu >= 1:
        raise ValueError(f"gamma({n}) is undefined: n * u must be < 1.")
    return nu / (1 - nu)


@dataclass(frozen=True)
class Bounds:
    """Per-quantity elementwise bounds on one side's distance from exact arithmetic.

    Attributes
    ----------
    error : dict of str to ndarray
        ``error[name]`` has the shape of quantity ``name``; ``|computed - exact| <= error[name]``.
    ambiguous : dict of str to ndarray of bool
        For ``delta2`` and ``delta1`` (and the gradients computed from them), the entries of
        ``z2``/``z1`` whose ReLU mask may legitimately differ between two correct sides.
    """

    error: dict[str, Array]
    ambiguous: dict[str, NDArray[np.bool_]]

    def tolerance(self, name: str) -> Array:
        """Allowed elementwise difference between two sides: each is within ``error`` of exact."""
        return 2.0 * self.error[name]


def relu_bound(z: Array, e_z: Array) -> Array:
    r"""Bound for ``a = max(0, z)`` from the bound on ``z``.

    ReLU is 1-Lipschitz and ``max`` is exact, so :math:`E_a \le E_z`. Where the computed
    ``z < -2 E_z``, the exact z is below :math:`-E_z` and every correct side computes a negative
    z, so ``a`` is exactly 0 everywhere: :math:`E_a = 0`.
    """
    return np.where(z < -2.0 * e_z, 0.0, e_z)


def _forward_bounds(inp: BlockInputs, v: dict[str, Array]) -> dict[str, Array]:
    """Bounds (before the final widening) of x, y_true, z1, a1, z2, a2, z3, y_pred and error: both forms share them."""
    d, h1, h2 = inp.sizes
    aW1, ab1, aW2, ab2, aW3, ab3 = (np.abs(w) for w in (inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3))
    E: dict[str, Array] = {"x": np.zeros_like(v["x"]), "y_true": np.zeros_like(v["y_true"])}  # slices: exact
    # forward: z = W a + b is a product with inner dimension n plus one addition: gamma(n + 1)
    E["z1"] = gamma(d + 1) * (aW1 @ np.abs(v["x"]) + ab1)
    E["a1"] = relu_bound(v["z1"], E["z1"])
    E["z2"] = gamma(h1 + 1) * (aW2 @ (np.abs(v["a1"]) + E["a1"]) + ab2) + aW2 @ E["a1"]
    E["a2"] = relu_bound(v["z2"], E["z2"])
    E["z3"] = gamma(h2 + 1) * (aW3 @ (np.abs(v["a2"]) + E["a2"]) + ab3) + aW3 @ E["a2"]
    E["y_pred"] = E["z3"]
    # loss: one subtraction, whose rounding is at most u times its computed result (Higham (2.5))
    E["error"] = E["z3"] + U * np.abs(v["error"])
    return E


def _scale(inp: BlockInputs) -> tuple[float, float]:
    """``c = 2/batch_size`` and the gamma charged to ``fl(fl(c) * s)``: the quotient and the product each
    round once, gamma(2); when batch_size is a power of two, c is exact and only the product rounds: gamma(1)."""
    c_exact = inp.batch_size & (inp.batch_size - 1) == 0
    return 2.0 / inp.batch_size, gamma(1 if c_exact else 2)


def _gradients(delta: Array, e_delta: Array, act: Array, e_act: Array) -> tuple[Array, Array]:
    """``dW = delta * act'`` (inner dimension B) and ``db = sum(delta, 2)`` (B - 1 additions), ``act`` = |a|."""
    B = delta.shape[1]
    a_delta = np.abs(delta)
    dW = gamma(B) * (a_delta @ act.T) + e_delta @ act.T + (a_delta + e_delta) @ e_act.T
    db = gamma(max(B - 1, 0)) * np.sum(a_delta, axis=1, keepdims=True) + np.sum(e_delta, axis=1, keepdims=True)
    return dW, db


class _Masks:
    """The ReLU masks of one evaluation (and, given, of another side's): where a bound is E, 0 or the whole product."""

    def __init__(self, v: dict[str, Array], E: dict[str, Array], other: dict[str, Array] | None) -> None:
        self.v, self.E, self.other = v, E, other
        self.ambiguous: dict[str, NDArray[np.bool_]] = {}

    def apply(self, name: str, e: Array, whole: Array) -> Array:
        """The bound of ``p .* (z > 0)`` from p's bound ``e``; ``whole`` bounds |p| on any correct side plus ``e``.

        Certain entries: the mask is the same on both sides (E where on, 0 where off); ambiguous entries
        whose masks may differ: the difference can be the whole product.
        """
        z, e_z = self.v[name], self.E[name]
        other_z = None if self.other is None else self.other[name]
        ambiguous = (np.abs(z) <= 2.0 * e_z) & (e_z > 0)
        self.ambiguous[name] = ambiguous
        on = z > 0 if other_z is None else (z > 0) | (other_z > 0)
        widen = ambiguous if other_z is None else ambiguous & ((z > 0) != (other_z > 0))
        return np.where(widen, whole, np.where(on, e, 0.0))


def _widened(inp: BlockInputs, v: dict[str, Array], E: dict[str, Array], masks: _Masks) -> Bounds:
    # The bounds are themselves evaluated in floating point. Every one is a sum of non-negative
    # products, so rounding can only make it smaller, by a factor no worse than (1 - u)^k with k
    # the roundings along its longest chain of operations: at most n + 3 per stage of inner
    # dimension n, along z1 (d), z2 (h1), z3 (h2), delta2 (1), delta1 (h2 again), dW1 (B) or db1
    # (B - 1), and the scalings and additions between: k <= d + h1 + 2 h2 + 2 B + 40 (section 1.2's
    # chain is no longer: P (1), R (h2), the sums (B)). Dividing by (1 - u)^k, i.e. multiplying by
    # at most 1 + 2 gamma(k), makes each bound a true upper bound on what it stands for.
    d, h1, h2 = inp.sizes
    widen = 1.0 + 2.0 * gamma(d + h1 + 2 * h2 + 2 * v["x"].shape[1] + 40)
    return Bounds(error={name: widen * e for name, e in E.items()}, ambiguous=masks.ambiguous)


def block_error_bounds(inp: BlockInputs, v: dict[str, Array], other: dict[str, Array] | None = None) -> Bounds:
    r"""Bounds for every quantity of the section 1.3 block, from computed values ``v``.

    Parameters
    ----------
    inp : BlockInputs
        The checked inputs (X (N, d), W1 (h1, d), ..., ``batch_size``).
    v : dict of str to ndarray
        One side's values of the section 1.3 block (``python_impl.backprop.backprop``):
        x (d, B), z1, a1 (h1, B), z2, a2 (h2, B), z3, y_pred, y_true, error, delta3 (1, B),
        delta2 (h2, B), delta1 (h1, B). Where an exact operand's magnitude is needed it is
        bounded by ``|computed| + E``; the remaining second-order terms are covered by the final
        widening, so the result bounds the distance of ANY correct double-precision evaluation
        (NumPy, Octave, PyTorch) from exact arithmetic: ``parity_tests/test_error_bounds.py``
        checks it against rational arithmetic.
    other : dict of str to ndarray, optional
        A second side's section 1.3 values. With it, mask-ambiguous entries are widened only
        where the two sides' masks really differ, and ``error`` becomes half the allowed
        difference BETWEEN the two sides (:meth:`Bounds.tolerance`), no longer a bound on each
        side's distance from exact (where both sides took the same wrong mask, both are far
        from exact but close to each other). Use it for side-vs-side comparisons only.

    Returns
    -------
    Bounds
        ``error`` for x, y_true, z1, a1, z2, a2, z3, y_pred, error, delta3, dW3, db3, delta2,
        dW2, db2, delta1, dW1, db1; ``ambiguous`` masks for z1 and z2.
    """
    E = _forward_bounds(inp, v)
    masks = _Masks(v, E, other)
    aW2, aW3 = np.abs(inp.W2), np.abs(inp.W3)
    c, g_c = _scale(inp)
    E["delta3"] = c * E["error"] + g_c * c * np.abs(v["error"])  # delta3 = (2/batch_size) * error
    E["dW3"], E["db3"] = _gradients(v["delta3"], E["delta3"], np.abs(v["a2"]), E["a2"])

    # delta = (W' * delta_next) .* ReLU_deriv(z): the product has inner dimension n_next
    def masked(W_abs: Array, n_inner: int, d_next: Array, e_next: Array, name: str) -> Array:
        p_mag = W_abs.T @ np.abs(d_next)  # |W'| |delta_next|
        e_p = gamma(n_inner) * p_mag + W_abs.T @ e_next
        # A side whose mask is on computes fl(W' delta_next) with its own delta_next, within E_next of
        # exact and so within 2 E_next of these values: |W'|(|delta_next| + 2 E_next)(1 + gamma).
        return masks.apply(name, e_p, p_mag + e_p + W_abs.T @ e_next)

    E["delta2"] = masked(aW3, 1, v["delta3"], E["delta3"], "z2")
    E["dW2"], E["db2"] = _gradients(v["delta2"], E["delta2"], np.abs(v["a1"]), E["a1"])
    E["delta1"] = masked(aW2, inp.sizes[2], v["delta2"], E["delta2"], "z1")
    E["dW1"], E["db1"] = _gradients(v["delta1"], E["delta1"], np.abs(v["x"]), E["x"])
    return _widened(inp, v, E, masks)


def manual_error_bounds(inp: BlockInputs, v: dict[str, Array], other: dict[str, Array] | None = None) -> Bounds:
    r"""Bounds for every quantity of the section 1.2 lines, derived for THEIR grouping.

    Section 1.2 applies :math:`c = 2/\text{batch\_size}` at other points than section 1.3 does::

        dW3 = (c error) a2'                          as section 1.3
        db3 = c sum(error, 2)                        c after the sum
        P = W3' error,   dW2 = ((c P) .* m2) a1',    db2 = c sum(P .* m2, 2)
        R = W2' (P .* m2),  dW1 = ((c R) .* m1) x',  db1 = c sum(R .* m1, 2)

    (m2, m1 the masks ``z2 > 0``, ``z1 > 0``). A scaling ``fl(fl(c) s)`` is charged
    :math:`c E_s + \gamma_{1|2} c |s|`, a product or sum as in :func:`block_error_bounds`, and a mask
    as there (widened to the whole product where ambiguous). The unscaled intermediates P, R and the
    sums are recomputed here from ``v`` for their magnitudes only (second-order differences between
    sides are covered by the final widening). The section 1.3 bound is also true for these lines, but
    up to 1/0.6 times looser (``db3``: one rounding after the sum instead of one per term).

    Parameters and ``other`` as :func:`block_error_bounds` (``v`` holds the section 1.3 values, whose
    forward part the section 1.2 lines recompute bit for bit). Returns bounds for x, y_true, y_pred,
    error, dW3, db3, dW2, db2, dW1, db1 and the forward quantities; ``ambiguous`` for z1 and z2.
    """
    E = _forward_bounds(inp, v)
    masks = _Masks(v, E, other)
    aW2, aW3 = np.abs(inp.W2), np.abs(inp.W3)
    c, g_c = _scale(inp)
    B, h2 = v["x"].shape[1], inp.sizes[2]
    err, e_err = v["error"], E["error"]
    a_err = np.abs(err)

    def scaled(s: Array, e_s: Array) -> Array:
        """fl(fl(c) * s): c E_s + gamma c |s|."""
        return c * e_s + g_c * c * np.abs(s)

    def summed(s: Array, e_s: Array) -> tuple[Array, Array]:
        """sum(s, 2) and its bound, B - 1 additions."""
        total = np.sum(s, axis=1, keepdims=True)
        return total, gamma(max(B - 1, 0)) * np.sum(np.abs(s), axis=1, keepdims=True) + np.sum(e_s, axis=1, keepdims=True)

    # dW3 = (c error) a2', db3 = c sum(error, 2)
    E["dW3"] = _gradients(c * err, scaled(err, e_err), np.abs(v["a2"]), E["a2"])[0]
    E["db3"] = scaled(*summed(err, e_err))

    # P = W3' error (inner dimension 1); dW2 = ((c P) .* m2) a1'; db2 = c sum(P .* m2, 2)
    P = inp.W3.T @ err
    P_mag = aW3.T @ (a_err + e_err)  # bounds |P| on any correct side, less its own rounding
    e_P = gamma(1) * (aW3.T @ a_err) + aW3.T @ e_err
    m2 = v["z2"] > 0
    e_cP = scaled(P, e_P)
    e_D2 = masks.apply("z2", e_cP, c * P_mag + e_cP)
    E["dW2"] = _gradients(c * P * m2, e_D2, np.abs(v["a1"]), E["a1"])[0]
    Q = P * m2
    e_Q = masks.apply("z2", e_P, P_mag + e_P)
    E["db2"] = scaled(*summed(Q, e_Q))

    # R = W2' Q (inner dimension h2); dW1 = ((c R) .* m1) x'; db1 = c sum(R .* m1, 2)
    R = inp.W2.T @ Q
    R_mag = aW2.T @ (np.abs(Q) + e_Q)
    e_R = gamma(h2) * (aW2.T @ np.abs(Q)) + aW2.T @ e_Q
    m1 = v["z1"] > 0
    e_cR = scaled(R, e_R)
    e_D1 = masks.apply("z1", e_cR, c * R_mag + e_cR)
    E["dW1"] = _gradients(c * R * m1, e_D1, np.abs(v["x"]), E["x"])[0]
    E["db1"] = scaled(*summed(R * m1, masks.apply("z1", e_R, R_mag + e_R)))
    return _widened(inp, v, E, masks)


def form_error_bounds(form: str, inp: BlockInputs, v: dict[str, Array], other: dict[str, Array] | None = None) -> Bounds:
    """The bound derived for ``form``'s own grouping: :func:`block_error_bounds` ("backprop", section 1.3)
    or :func:`manual_error_bounds` ("manual", section 1.2); ``v`` (and ``other``) are section 1.3 values."""
    derive = {"backprop": block_error_bounds, "manual": manual_error_bounds}[form]
    return derive(inp, v, other)
