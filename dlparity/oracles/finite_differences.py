r"""Central finite differences of the loss the code differentiates: an oracle that shares no code with the port.

The MATLAB blocks scale by ``2/batch_size``, so the function they differentiate is

.. math:: L(\theta) = \frac{1}{\text{batch\_size}} \sum_{j=i}^{\text{batch\_end}} (\hat y_j - y_j)^2,

which equals the document's :math:`J = \frac1N \sum (\hat y - y)^2` only when the minibatch is
full (see ``docs/errata.md``). This module writes that loss down again from section 1.1, without
importing the port, and differentiates it numerically one coordinate at a time.

Why the difference is exact up to rounding
    Along one coordinate :math:`\theta` every pre-activation is piecewise affine, so when no
    pre-activation changes sign between :math:`\theta - h_-` and :math:`\theta + h_+` the network
    output is affine and :math:`L` is a quadratic in :math:`\theta` on that interval
    (:math:`L''' = 0`). The usual truncation error :math:`\tfrac{h^2}{6}|L'''|` of the central
    difference is then exactly 0, and what is left is rounding:

    .. math:: |\widehat{g}_{FD} - g| \le \frac{\varepsilon_+ + \varepsilon_-}{h_+ + h_-}
              + \gamma_3 |\widehat{g}_{FD}| + (\text{asymmetry terms, 0 when } h_+ = h_-),

    where :math:`\varepsilon_\pm` bounds the rounding error of the computed loss (Higham's
    :math:`\gamma_n` analysis, evaluated on magnitudes, below). This is the error model
    :math:`O(h^2)|f'''| + u|f|/h` with its first term proven zero and its second made precise.
    The derivation is in ``docs/error-bounds.md``.

Kinks
    Coordinates whose step may cross a ReLU kink (a pre-activation of z1 or z2 that may have
    opposite signs at the two ends, given its own rounding bound) are excluded from the
    comparison and counted, never dropped silently.

Step
    :math:`h = 2^{\lfloor \log_2(u^{1/3} \max(|\theta|, s)) \rfloor}`: relative to the larger of
    the parameter's magnitude and its characteristic scale :math:`s`, the change that moves its
    layer's pre-activations by their own size (:func:`characteristic_scales`).
    :math:`u^{1/3} \approx 4.8 \times 10^{-6}` is the step that balances truncation
    :math:`h^2 |f'''| / 6` against rounding :math:`u |f| / h` for a smooth function of unit
    scale. Here truncation is 0, so a larger step would only lower the rounding term, but it
    would cross more kinks; at :math:`u^{1/3}` a pre-activation is crossed only when it lies
    within about 5e-6 of its row's size from 0, so exclusions stay rare. A step on the
    parameter's magnitude alone fails for a small parameter with a large effect (a bias of 1e-3
    added to pre-activations of 1e9: both :math:`L(\theta \pm h)` round to the same double).
    A power of two makes :math:`\theta \pm h` exact in most cases; where it is not, the true
    steps :math:`h_\pm` are measured exactly and a quadratic correction makes the formula exact
    again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dlparity.validation import BlockInputs

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]

#: Unit roundoff of IEEE double.
U = 2.0**-53

#: The parameters of section 1.1, in the order of the blocks' gradients.
PARAMETERS: tuple[str, ...] = ("W3", "b3", "W2", "b2", "W1", "b1")

#: u^(1/3): the classic central-difference step relative to the parameter's magnitude.
STEP_FACTOR = U ** (1.0 / 3.0)

#: Perturbed copies evaluated at once, capped so one chunk's pre-activations stay below ~2 M numbers.
_CHUNK_ELEMENTS = 2_000_000


def _gamma(n: int) -> float:
    r""":math:`\gamma_n = n u / (1 - n u)`."""
    return n * U / (1 - n * U)


@dataclass(frozen=True)
class FiniteDifferences:
    r"""Central differences of :math:`L` for each parameter.

    All dictionaries are keyed by gradient name (``dW1``, ``db1``, ...) and hold arrays of the
    parameter's shape.

    Attributes
    ----------
    grad : dict of str to ndarray
        The finite-difference gradient; NaN where not computed (not sampled, or a kink).
    error : dict of str to ndarray
        Bound on ``|grad - exact gradient|`` from the rounding model (truncation is 0);
        NaN where not computed.
    kink : dict of str to ndarray of bool
        Sampled coordinates excluded because the step may cross a ReLU kink.
    sampled : dict of str to ndarray of bool
        Coordinates that were differenced (all, unless ``coords`` limited them).
    step : dict of str to ndarray
        The step :math:`(h_+ + h_-)/2` used per coordinate; NaN where not sampled.
    loss_divisor : int
        The divisor of the loss that was differenced (``batch_size`` for the code's loss).
    """

    grad: dict[str, Array]
    error: dict[str, Array]
    kink: dict[str, Mask]
    sampled: dict[str, Mask]
    step: dict[str, Array]
    loss_divisor: int

    def checked(self, name: str) -> Mask:
        """Coordinates compared: sampled and not excluded."""
        return self.sampled[name] & ~self.kink[name]

    def excluded(self, name: str) -> int:
        """How many sampled coordinates of ``name`` were excluded as kink crossings."""
        return int(self.kink[name].sum())


@dataclass(frozen=True)
class _Evaluation:
    """Loss and its rounding bound at K parameter points, with the pre-activations (stacked on axis 0)."""

    loss: Array  # (K,)
    rounding: Array  # (K,)
    z1: Array  # (K, h1, B)
    z2: Array  # (K, h2, B)
    e_z1: Array
    e_z2: Array
    z3: Array  # (K, 1, B)


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def _evaluate(W1: Array, b1: Array, W2: Array, b2: Array, W3: Array, b3: Array,
              x: Array, y_true: Array, divisor: int) -> _Evaluation:
    r"""Forward pass of section 1.1 and :math:`L`, on parameters that may carry a leading stack axis.

    With every array of the network written as its own expression (no code of the port), the
    rounding bound of the computed loss follows Higham's model, evaluated on magnitudes:

    .. math::

        E_{z_1} = \gamma_{d+1}(|W_1||x| + |b_1|),\quad
        E_{z_2} = \gamma_{h_1+1}(|W_2||a_1| + |b_2|) + |W_2| E_{z_1},\quad
        E_{z_3} = \gamma_{h_2+1}(|W_3||a_2| + |b_3|) + |W_3| E_{z_2}

        E_e = E_{z_3} + \gamma_1 |e|,\qquad
        \varepsilon = \gamma_{B+1} L + \tfrac{1}{\text{divisor}} \textstyle\sum_j (2|e_j| E_{e,j} + E_{e,j}^2)

    (ReLU is 1-Lipschitz and exact, so :math:`E_a \le E_z`.)
    """
    d, B = x.shape
    h1, h2 = W1.shape[-2], W2.shape[-2]
    z1 = W1 @ x + b1
    a1 = _relu(z1)
    z2 = W2 @ a1 + b2
    a2 = _relu(z2)
    y_hat = W3 @ a2 + b3
    e = y_hat - y_true
    loss = np.sum(e * e, axis=(-2, -1)) / divisor

    e_z1 = _gamma(d + 1) * (np.abs(W1) @ np.abs(x) + np.abs(b1))
    e_z2 = _gamma(h1 + 1) * (np.abs(W2) @ a1 + np.abs(b2)) + np.abs(W2) @ e_z1
    e_z3 = _gamma(h2 + 1) * (np.abs(W3) @ a2 + np.abs(b3)) + np.abs(W3) @ e_z2
    e_e = e_z3 + _gamma(1) * np.abs(e)
    rounding = _gamma(B + 1) * loss + np.sum(2.0 * np.abs(e) * e_e + e_e * e_e, axis=(-2, -1)) / divisor
    # the bound is itself evaluated in floating point (sums of non-negative terms): widen it
    # by 1 + 2 gamma(k), k the longest chain of roundings, so that it stays an upper bound.
    rounding = rounding * (1.0 + 2.0 * _gamma(d + h1 + h2 + 2 * B + 32))
    z1_s = np.broadcast_to(z1, np.broadcast_shapes(z1.shape, (1, h1, B)))
    z2_s = np.broadcast_to(z2, np.broadcast_shapes(z2.shape, (1, h2, B)))
    return _Evaluation(np.atleast_1d(loss), np.atleast_1d(rounding), z1_s, z2_s,
                       np.broadcast_to(e_z1, z1_s.shape), np.broadcast_to(e_z2, z2_s.shape), y_hat)


def minibatch(inp: BlockInputs) -> tuple[Array, Array]:
    r"""The minibatch the blocks see: ``x`` (d, B) and ``y_true`` (1, B), rows ``i..batch_end`` (1-based, inclusive)."""
    rows = slice(inp.i - 1, inp.batch_end)
    return inp.X[rows, :].T.copy(), inp.y[rows, :].T.copy()


def loss(inp: BlockInputs, divisor: int | None = None) -> float:
    r"""The loss the code differentiates, :math:`L = \frac{1}{\text{divisor}} \sum_j (\hat y_j - y_j)^2`.

    ``divisor`` defaults to ``batch_size`` (the code's ``2/batch_size``); pass the number of rows
    actually present to get the mean loss over the minibatch (the document's :math:`J` on it).
    """
    x, y_true = minibatch(inp)
    ev = _evaluate(inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3, x, y_true,
                   inp.batch_size if divisor is None else divisor)
    return float(ev.loss[0])


def _rms(a: Array, axis: int) -> Array:
    return np.sqrt(np.mean(a * a, axis=axis))


def characteristic_scales(name: str, P: Array, z: Array, a_prev: Array) -> Array:
    r"""The scale on which the loss varies with each entry of parameter ``name``, shape of ``P``.

    A parameter of layer k enters the loss only through :math:`z_k = W_k a_{k-1} + b_k`. A change
    of :math:`b_k[r]` by :math:`s = \mathrm{rms}_j\, z_k[r, j]`, or of :math:`W_k[r, c]` by
    :math:`s = \mathrm{rms}_j\, z_k[r, j] / \mathrm{rms}_j\, a_{k-1}[c, j]`, moves that row of
    pre-activations by its own size: that is the distance over which :math:`L` changes
    appreciably. (Where a row or an input column is all zero, the matrix's mean magnitude, or 1,
    stands in: the loss does not depend on such an entry at all, or only linearly.)

    Parameters
    ----------
    name : str
        ``'W1'``, ``'b1'``, ... .
    P : ndarray
        The parameter, (h_k, n) for a weight or (h_k, 1) for a bias.
    z : ndarray of shape (h_k, B)
        The layer's pre-activations at the unperturbed parameters.
    a_prev : ndarray of shape (n, B)
        The layer's input (``x`` for layer 1).
    """
    fallback = float(np.mean(np.abs(P))) or 1.0
    rows = _rms(z, axis=1)[:, np.newaxis]  # (h_k, 1)
    if name.startswith("b"):
        scale = rows
    else:
        cols = _rms(a_prev, axis=1)[np.newaxis, :]  # (1, n)
        scale = np.divide(rows, cols, out=np.zeros(P.shape), where=cols > 0)
    return np.where((scale > 0) & np.isfinite(scale), scale, fallback)


def step_sizes(theta: Array, scale: Array) -> Array:
    r"""Power-of-two steps :math:`h = 2^{\lfloor \log_2(u^{1/3} \max(|\theta|, s)) \rfloor}`, elementwise.

    ``scale`` is :func:`characteristic_scales` at the same coordinates: the step is relative to
    the larger of the parameter's magnitude and the scale on which the loss depends on it.
    """
    return np.exp2(np.floor(np.log2(STEP_FACTOR * np.maximum(np.abs(theta), scale))))


def _may_cross(z_m: Array, e_m: Array, z_p: Array, e_p: Array) -> Mask:
    """Per stacked point: may some pre-activation have strictly opposite signs at the two ends?

    Each computed end is within its bound of the exact one. An entry that did not move at all
    (bitwise equal ends) crossed nothing at working precision.
    """
    moved = z_m != z_p
    opposite = ((z_m - e_m < 0) & (z_p + e_p > 0)) | ((z_m + e_m > 0) & (z_p - e_p < 0))
    return np.any(moved & opposite, axis=(-2, -1))


def _difference(theta: Array, theta_p: Array, theta_m: Array, p: _Evaluation, m: _Evaluation,
                L0: float, eps0: float) -> tuple[Array, Array, Array]:
    r"""The difference quotient, exact for a quadratic, and its rounding bound; also :math:`h_+ + h_-`.

    :math:`\varepsilon_\pm` are the loss's rounding bounds at the two ends; the bound is
    :math:`(\varepsilon_+ + \varepsilon_-)/(h_+ + h_-) + \gamma_3 |\text{central}|`, plus, only where
    :math:`h_+ \ne h_-`, the error of the curvature correction.
    """
    # the steps actually taken, each correctly rounded from its exact value (fsum)
    hp = np.array([math.fsum((a, -b)) for a, b in zip(theta_p, theta, strict=True)])
    hm = np.array([math.fsum((b, -a)) for a, b in zip(theta_m, theta, strict=True)])
    dh = np.array([math.fsum((a, c, -b, -b)) for a, b, c in zip(theta_p, theta, theta_m, strict=True)])
    span = hp + hm
    central = (p.loss - m.loss) / span
    curvature = ((p.loss - L0) / hp - (L0 - m.loss) / hm) / span
    correction = np.where(dh != 0, curvature * dh, 0.0)
    err = ((p.rounding + m.rounding) / span + _gamma(3) * np.abs(central)
           + np.abs(dh) / span * (p.rounding / hp + m.rounding / hm + eps0 * (1 / hp + 1 / hm))
           + _gamma(4) * np.abs(correction))
    return central - correction, err * (1.0 + 2.0 * _gamma(8)), span


def finite_differences(
    inp: BlockInputs, coords: int | None = None, seed: int = 0, loss_divisor: int | None = None,
) -> FiniteDifferences:
    r"""Central differences of :math:`L` with respect to every parameter (or a seeded sample).

    .. math::

        \widehat g = \frac{L(\theta + h_+) - L(\theta - h_-)}{h_+ + h_-} - \hat c\,(h_+ - h_-),\qquad
        \hat c = \frac{1}{h_+ + h_-}\Big(\frac{L(\theta+h_+) - L(\theta)}{h_+}
                 - \frac{L(\theta) - L(\theta-h_-)}{h_-}\Big)

    which is exact for a quadratic; :math:`h_\pm` are the steps actually taken (equal, and the
    correction 0, whenever :math:`\theta \pm h` are representable).

    Parameters
    ----------
    inp : BlockInputs
        Checked inputs; the minibatch is rows ``i..batch_end``.
    coords : int, optional
        At most this many coordinates per parameter, drawn without replacement from
        ``numpy.random.default_rng(seed)``; all coordinates when None.
    seed : int
        Seed for the coordinate sample.
    loss_divisor : int, optional
        Divisor of the loss; ``batch_size`` (the code's loss) when None.

    Returns
    -------
    FiniteDifferences
    """
    divisor = inp.batch_size if loss_divisor is None else int(loss_divisor)
    x, y_true = minibatch(inp)
    params = {"W1": inp.W1, "b1": inp.b1, "W2": inp.W2, "b2": inp.b2, "W3": inp.W3, "b3": inp.b3}
    rng = np.random.default_rng(seed)
    center = _evaluate(inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3, x, y_true, divisor)
    L0, eps0 = float(center.loss[0]), float(center.rounding[0])
    z1, z2, z3 = center.z1[0], center.z2[0], center.z3.reshape(1, -1)
    layers = {"1": (z1, x), "2": (z2, _relu(z1)), "3": (z3, _relu(z2))}  # pre-activation, input
    out: dict[str, dict[str, np.ndarray]] = {k: {} for k in ("grad", "error", "kink", "sampled", "step")}
    B = x.shape[1]
    h1, h2 = inp.W1.shape[0], inp.W2.shape[0]
    chunk = max(1, _CHUNK_ELEMENTS // max(1, (h1 + h2) * B))

    for pname in PARAMETERS:
        P = params[pname]
        gname = "d" + pname
        scales = characteristic_scales(pname, P, *layers[pname[1]])
        flat = np.arange(P.size)
        if coords is not None and coords < P.size:
            flat = np.sort(rng.choice(P.size, size=coords, replace=False))
        grad = np.full(P.shape, np.nan)
        error = np.full(P.shape, np.nan)
        step = np.full(P.shape, np.nan)
        kink = np.zeros(P.shape, dtype=bool)
        sampled = np.zeros(P.shape, dtype=bool)
        for start in range(0, flat.size, chunk):
            idx = flat[start:start + chunk]
            K = idx.size
            rc = np.unravel_index(idx, P.shape)
            theta = P[rc]
            h = step_sizes(theta, scales[rc])
            theta_p, theta_m = theta + h, theta - h
            ends = []
            for t in (theta_m, theta_p):
                stack = np.repeat(P[np.newaxis], K, axis=0)
                stack[(np.arange(K), *rc)] = t
                args = {k: (stack if k == pname else v) for k, v in params.items()}
                ends.append(_evaluate(args["W1"], args["b1"], args["W2"], args["b2"], args["W3"], args["b3"],
                                      x, y_true, divisor))
            m, p = ends
            crosses = _may_cross(m.z1, m.e_z1, p.z1, p.e_z1) | _may_cross(m.z2, m.e_z2, p.z2, p.e_z2)
            g, err, span = _difference(theta, theta_p, theta_m, p, m, L0, eps0)
            sampled[rc] = True
            kink[rc] = crosses
            step[rc] = span / 2
            grad[rc] = np.where(crosses, np.nan, g)
            error[rc] = np.where(crosses, np.nan, err)
        for key, arr in (("grad", grad), ("error", error), ("kink", kink), ("sampled", sampled), ("step", step)):
            out[key][gname] = arr
    return FiniteDifferences(grad=out["grad"], error=out["error"], kink=out["kink"], sampled=out["sampled"],
                             step=out["step"], loss_divisor=divisor)
