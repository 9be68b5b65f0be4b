"""Helpers for the oracle, error-bound and property tests (not a test module).

* :func:`require_torch`: skip with the reason when PyTorch is missing, or fail under
  ``DLPARITY_REQUIRE_ORACLE=1`` (CI sets it), so CI can never pass by skipping.
* :func:`exact_block`: the section 1.3 block in exact rational arithmetic (``fractions.Fraction``)
  on the very doubles the blocks receive, the reference the rounding-error bounds are checked
  against. It is written here from the equations, sharing no code with the port or the oracles.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from dlparity.oracles.autodiff import OracleUnavailable, import_torch
from dlparity.oracles.gradcheck import OracleCheck
from dlparity.validation import BlockInputs

ObjArray = np.ndarray  # arrays of Fraction (dtype object)


def require_torch() -> None:
    """Skip (or, with DLPARITY_REQUIRE_ORACLE=1, fail) when PyTorch is not installed."""
    try:
        import_torch()
    except OracleUnavailable as exc:
        if os.environ.get("DLPARITY_REQUIRE_ORACLE") == "1":
            pytest.fail(f"the autodiff oracle is required here (DLPARITY_REQUIRE_ORACLE=1): {exc}")
        pytest.skip(str(exc))


_to_fraction = np.vectorize(Fraction, otypes=[object])
_relu = np.vectorize(lambda t: t if t > 0 else Fraction(0), otypes=[object])
_step = np.vectorize(lambda t: Fraction(1) if t > 0 else Fraction(0), otypes=[object])


def fractions(a: Any) -> ObjArray:
    """Every double of ``a`` as the exact rational it is."""
    return _to_fraction(np.asarray(a, dtype=np.float64))


def exact_block(inp: BlockInputs, loss_divisor: int | None = None) -> dict[str, ObjArray]:
    r"""Section 1.3 in exact arithmetic: every quantity of ``backprop.m`` (and the loss) as Fractions.

    .. math::

        z_1 = W_1 x + b_1,\ a_1 = \max(0, z_1),\ z_2 = W_2 a_1 + b_2,\ a_2 = \max(0, z_2),\
        \hat y = W_3 a_2 + b_3,\ e = \hat y - y

        \delta_3 = \tfrac{2}{\text{batch\_size}} e,\ \delta_2 = (W_3^T\delta_3)\circ[z_2 > 0],\
        \delta_1 = (W_2^T\delta_2)\circ[z_1 > 0],\ dW_k = \delta_k a_{k-1}^T,\ db_k = \textstyle\sum_j \delta_k

    The scale is the exact rational 2/batch_size (MATLAB rounds it); ``loss`` is
    :math:`\sum e^2 / \text{divisor}` (divisor ``batch_size`` unless given).
    """
    divisor = inp.batch_size if loss_divisor is None else loss_divisor
    rows = slice(inp.i - 1, inp.batch_end)
    x, y_true = fractions(inp.X[rows, :].T), fractions(inp.y[rows, :].T)
    W1, b1, W2, b2, W3, b3 = (fractions(getattr(inp, k)) for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    q: dict[str, ObjArray] = {"x": x, "y_true": y_true}
    q["z1"] = W1 @ x + b1
    q["a1"] = _relu(q["z1"])
    q["z2"] = W2 @ q["a1"] + b2
    q["a2"] = _relu(q["z2"])
    q["z3"] = W3 @ q["a2"] + b3
    q["y_pred"] = q["z3"]
    q["error"] = q["y_pred"] - y_true
    q["loss"] = np.array([[sum(e * e for e in q["error"].ravel()) / divisor]], dtype=object)
    q["delta3"] = Fraction(2, inp.batch_size) * q["error"]
    q["dW3"] = q["delta3"] @ q["a2"].T
    q["db3"] = q["delta3"].sum(axis=1, keepdims=True)
    q["delta2"] = (W3.T @ q["delta3"]) * _step(q["z2"])
    q["dW2"] = q["delta2"] @ q["a1"].T
    q["db2"] = q["delta2"].sum(axis=1, keepdims=True)
    q["delta1"] = (W2.T @ q["delta2"]) * _step(q["z1"])
    q["dW1"] = q["delta1"] @ x.T
    q["db1"] = q["delta1"].sum(axis=1, keepdims=True)
    return q


def exact_excess(computed: Any, exact: ObjArray, bound: Any) -> tuple[float, tuple[int, ...]]:
    """Largest ``|computed - exact| / bound`` with the subtraction done exactly; and where it is.

    A ratio > 1 means the bound is violated (compared exactly: a zero bound allows only an exact
    match, which gives ratio 0; a mismatch against a zero bound gives inf).
    """
    c, e, b = fractions(computed), exact, np.asarray(bound, dtype=np.float64)
    worst, where = 0.0, (0,) * e.ndim
    for idx in np.ndindex(e.shape):
        diff = abs(c[idx] - e[idx])
        if diff == 0:
            continue
        ratio = float(diff / Fraction(b[idx])) if b[idx] > 0 else float("inf")
        if ratio > worst:
            worst, where = ratio, idx
    return worst, where


def assert_checks_ok(checks: list[OracleCheck], what: str) -> None:
    """Every comparison within tolerance; the message names the first failure's quantity, case and values."""
    assert checks, f"{what}: nothing was compared"
    bad = [c for c in checks if not c.ok]
    assert not bad, f"{what}: {len(bad)} of {len(checks)} comparisons exceed their tolerance; first: {bad[0].message()}"
