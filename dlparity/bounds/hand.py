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

The same bound serves both forms: the section 1.2 lines evaluate the same products in another
grouping (the scale 2/batch_size multiplies ``W3' * error`` instead of ``error``), which changes
nothing at first order. The derivation is written out in ``docs/error-bounds.md``.
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
    d, h1, h2 = inp.sizes
    B = v["x"].shape[1]
    aW1, ab1, aW2, ab2, aW3, ab3 = (np.abs(w) for w in (inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3))
    ax, a_a1, a_a2 = np.abs(v["x"]), np.abs(v["a1"]), np.abs(v["a2"])
    E: dict[str, Array] = {"x": np.zeros_like(v["x"]), "y_true": np.zeros_like(v["y_true"])}  # slices: exact
    amb: dict[str, NDArray[np.bool_]] = {}

    # forward: z = W a + b is a product with inner dimension n plus one addition: gamma(n + 1)
    E["z1"] = gamma(d + 1) * (aW1 @ ax + ab1)
    E["a1"] = relu_bound(v["z1"], E["z1"])
    E["z2"] = gamma(h1 + 1) * (aW2 @ (a_a1 + E["a1"]) + ab2) + aW2 @ E["a1"]
    E["a2"] = relu_bound(v["z2"], E["z2"])
    E["z3"] = gamma(h2 + 1) * (aW3 @ (a_a2 + E["a2"]) + ab3) + aW3 @ E["a2"]
    E["y_pred"] = E["z3"]

    # loss: one subtraction
    E["error"] = E["z3"] + U * (np.abs(v["y_pred"]) + np.abs(v["y_true"]))

    # delta3 = (2/batch_size) * error: the quotient and the product each round once: gamma(2); when
    # batch_size is a power of two, 2/batch_size is exact and only the product rounds: gamma(1)
    c = 2.0 / inp.batch_size
    c_exact = inp.batch_size & (inp.batch_size - 1) == 0  # a power of two
    E["delta3"] = c * E["error"] + gamma(1 if c_exact else 2) * c * np.abs(v["error"])

    # gradients of layer k: dW = delta * a', inner dimension B; db = sum over B terms
    def grads(delta: Array, e_delta: Array, act: Array, e_act: Array) -> tuple[Array, Array]:
        a_delta = np.abs(delta)
        dW = gamma(B) * (a_delta @ act.T) + e_delta @ act.T + (a_delta + e_delta) @ e_act.T
        db = gamma(max(B - 1, 0)) * np.sum(a_delta, axis=1, keepdims=True) + np.sum(e_delta, axis=1, keepdims=True)
        return dW, db

    E["dW3"], E["db3"] = grads(v["delta3"], E["delta3"], a_a2, E["a2"])

    # delta = (W' * delta_next) .* ReLU_deriv(z): the product has inner dimension n_next
    def masked(W_abs: Array, n_inner: int, d_next: Array, e_next: Array, z: Array, e_z: Array,
               name: str) -> Array:
        other_z = None if other is None else other[name]
        a_next = np.abs(d_next)
        p_mag = W_abs.T @ a_next  # |W'| |delta_next|
        e_p = gamma(n_inner) * p_mag + W_abs.T @ e_next
        ambiguous = (np.abs(z) <= 2.0 * e_z) & (e_z > 0)
        amb[name] = ambiguous
        on = z > 0 if other_z is None else (z > 0) | (other_z > 0)
        widen = ambiguous if other_z is None else ambiguous & ((z > 0) != (other_z > 0))
        # certain entries: the mask is the same on both sides; ambiguous ones whose masks differ:
        # the difference can be the whole product. A side whose mask is on computes
        # fl(W' delta_next) with its own delta_next, within E_next of exact and so within 2 E_next
        # of these values: |W'|(|delta_next| + 2 E_next)(1 + gamma) = p_mag + e_p + |W'| E_next.
        whole = p_mag + e_p + W_abs.T @ e_next
        return np.where(widen, whole, np.where(on, e_p, 0.0))

    E["delta2"] = masked(aW3, 1, v["delta3"], E["delta3"], v["z2"], E["z2"], "z2")
    E["dW2"], E["db2"] = grads(v["delta2"], E["delta2"], a_a1, E["a1"])
    E["delta1"] = masked(aW2, h2, v["delta2"], E["delta2"], v["z1"], E["z1"], "z1")
    E["dW1"], E["db1"] = grads(v["delta1"], E["delta1"], ax, E["x"])

    # The bounds are themselves evaluated in floating point. Every one is a sum of non-negative
    # products, so rounding can only make it smaller, by a factor no worse than (1 - u)^k with k
    # the roundings along its longest chain of operations: at most n + 3 per stage of inner
    # dimension n, so k <= d + h1 + h2 + 2 B + 32. Dividing by (1 - u)^k, i.e. multiplying by
    # at most 1 + 2 gamma(k), makes each bound a true upper bound on what it stands for.
    widen = 1.0 + 2.0 * gamma(d + h1 + h2 + 2 * B + 32)
    return Bounds(error={name: widen * e for name, e in E.items()}, ambiguous=amb)
