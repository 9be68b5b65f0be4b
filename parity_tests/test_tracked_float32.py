"""float32 throughout (MATLAB's ``single``): a float32 input is tracked with u = 2^-24, its values bit for bit NumPy's
float32 results (Python numbers stay weak: ``x32 * 0.5`` is float32), and float32 with float64 promoted as NumPy
promotes (that operation rounds to float64's u = 2^-53).

Each rule of ``test_tracked_rules.py`` and ``test_tracked_everyday.py`` is run again on its inputs rounded to float32:
NumPy's float32 value bit for bit, the bound true at every end of the input intervals against exact rationals or
60-digit mpmath, and with 1e-6 relative input errors the worst end over half the bound (tight).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
import test_tracked_everyday as everyday_tests
import test_tracked_rules as rule_tests
from tracked_support import bound_used, distance_from_exact

import dlparity.bounds.tracked as tr
from dlparity.bounds.tracked import track, values

# rules whose float32 loops NumPy has (the convolutions' SciPy C loops too); the libm-style ones at 4 ulp as float64
FLOAT32_RULES = {
    **{f"rules: {k}": ("rules", k) for k in ("add", "subtract", "multiply", "divide", "square", "matmul", "sum",
                                              "sum axis 0", "mean", "maximum", "max", "sqrt", "exp", "log", "tanh",
                                              "sigmoid", "reciprocal power", "where", "clip")},
    **{f"everyday: {k}": ("everyday", k) for k in ("cumsum axis 0", "cumprod", "prod axis 1", "diff", "var ddof=1",
                                                   "std ddof=1", "norm 2 vector", "norm 1 matrix", "kron", "inner",
                                                   "einsum batched", "sort", "hypot", "sin", "cube", "convolve same",
                                                   "convolve2d same")},
}


def _run_float32(key: str, relative_error: float) -> float:
    """One rule on float32 inputs: NumPy's float32 value bit for bit, the bound true at every end; the tightness."""
    module, name = FLOAT32_RULES[key]
    if module == "rules":
        twin, gold, kind, ranges = rule_tests.RULES[name]
        xs = [x.astype(np.float32) for x in rule_tests._inputs(name, ranges)]
        patterns = [[np.full(x.shape, 1 if s else -1) for x, s in zip(xs, signs, strict=True)]
                    for signs in np.ndindex(*(2,) * len(xs))]
    else:
        twin, gold, kind, _, _, extra = everyday_tests.RULES[name]
        xs = [x.astype(np.float32) for x in everyday_tests._inputs(name)]
        patterns = [[np.full(x.shape, 1 if s else -1) for x, s in zip(xs, signs, strict=True)]
                    for signs in np.ndindex(*(2,) * len(xs))]
        if extra is not None:
            for pattern in extra(xs):
                patterns += [pattern, [-p for p in pattern]]
    errors = {f"x{k}": relative_error * np.abs(x).astype(np.float64) for k, x in enumerate(xs)}
    result = track(lambda **kw: {"out": twin(*kw.values())}, {f"x{k}": x for k, x in enumerate(xs)}, errors)["out"]
    assert isinstance(result, tr.TrackedValue), f"{key}: not tracked: {result}"
    plain = np.asarray(twin(*xs))
    mine = np.asarray(result.value)
    assert plain.dtype == np.float32 and mine.dtype == np.float32, f"{key}: {mine.dtype}, plain {plain.dtype}"
    assert np.array_equal(mine.view(np.int32), plain.view(np.int32)), f"{key}: tracked value differs from NumPy's"
    used = 0.0
    for pattern in patterns:
        ends = [everyday_tests._end(x.astype(np.float64), e, s, kind)
                for x, e, s in zip(xs, errors.values(), pattern, strict=True)]
        exact = np.asarray(gold(*ends), dtype=object)
        used = max(used, bound_used(mine.astype(np.float64), exact, result.error, key, "at an input end"))
    return used


@pytest.mark.parametrize("key", list(FLOAT32_RULES))
def test_float32_rule_true_with_exact_inputs(key: str) -> None:
    """Exact float32 inputs: the bound is the float32 rounding alone (u = 2^-24), and covers the exact result."""
    _run_float32(key, 0.0)


@pytest.mark.parametrize("key", list(FLOAT32_RULES))
def test_float32_rule_true_and_tight_with_input_errors(key: str) -> None:
    used = _run_float32(key, 1e-6)
    assert used > 0.5, f"{key}: the worst input end uses only {used:.3g} of the bound (too loose)"


@pytest.mark.parametrize("key", ["rules: matmul", "rules: sum", "rules: multiply", "everyday: cumsum axis 0",
                                 "everyday: var ddof=1"])
def test_float64_u_for_a_float32_result_is_caught(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Charging a float32 result float64's u (the bug float32 support must not have) fails the exact check."""
    monkeypatch.setitem(values.UNIT_ROUNDOFF, np.dtype(np.float32), 2.0**-53)
    values.gamma_of.cache_clear()
    try:
        with pytest.raises(AssertionError, match="> 1 at an input end"):
            _run_float32(key, 0.0)
    finally:
        values.gamma_of.cache_clear()


def test_a_float32_twin_is_bit_for_bit_numpys_float32_and_mixed_promotes_as_numpy_does() -> None:
    """A layer in single precision with Python-number constants and inputs (weak: the results stay float32), a mask,
    a reduction and a float64 weight (promoted: that product is float64, charged float64's u)."""
    rng = np.random.default_rng(5)
    inputs = {"W": rng.normal(size=(6, 4)).astype(np.float32), "x": rng.normal(size=(4, 3)).astype(np.float32),
              "b": rng.normal(size=(6, 1)).astype(np.float32), "lr": 0.1, "n": 3, "V": rng.normal(size=(2, 6))}

    def twin(W: Any, x: Any, b: Any, lr: Any, n: Any, V: Any) -> dict[str, Any]:
        z = W @ x + b
        a = np.maximum(0, z)
        loss = np.sum(a ** 2) / n * 0.5
        return {"z": z, "a": a, "d": a * (z > 0) - lr * z, "loss": loss, "step": W - lr * (a @ x.T), "mixed": V @ a}
    out, plain = track(twin, inputs), twin(**inputs)
    for name, value in plain.items():
        mine = np.asarray(out[name].value)
        assert mine.dtype == np.asarray(value).dtype, name
        assert np.array_equal(mine, value), name
    assert plain["mixed"].dtype == np.float64 and plain["z"].dtype == np.float32
    # the float64 product V @ a of exact float64 V and a's bound: its own rounding at 2^-53, far below a's
    a_bound = out["a"].error
    mixed_rounding = out["mixed"].error - np.abs(inputs["V"]) @ a_bound
    assert (mixed_rounding <= 8 * 2.0**-53 * (np.abs(inputs["V"]) @ np.abs(plain["a"]))).all()
    # and the exact result of z from the float32 inputs is within z's bound, entry by entry
    W, x, b = (np.vectorize(Fraction, otypes=[object])(inputs[k].astype(np.float64)) for k in ("W", "x", "b"))
    exact = W.dot(x) + b
    dist = distance_from_exact(out["z"].value.astype(np.float64), exact)
    assert (dist <= out["z"].error).all()
    assert (out["z"].error > 2.0**-40 * np.abs(out["z"].value)).all()  # float32's rounding is charged, not float64's


def test_unit_roundoff_is_looked_up_in_one_place() -> None:
    assert values.unit_roundoff(np.dtype(np.float64)) == 2.0**-53 == tr.U
    assert values.unit_roundoff(np.dtype(np.float32)) == 2.0**-24
    assert mpmath.mpf(values.gamma_of(3, 2.0**-24)) >= 3 * mpmath.mpf(2) ** -24 / (1 - 3 * mpmath.mpf(2) ** -24) * (
        1 - mpmath.mpf(2) ** -52)


def test_single_of_a_double_is_one_rounding_and_double_of_a_single_is_exact() -> None:
    """``x.astype(np.float32)`` (MATLAB's ``single(x)``) rounds once: within u32 |y| of the exact x, a bound the
    worst of 2000 random conversions reaches to within a factor 2; ``.astype(np.float64)`` of a single is exact."""
    x = np.random.default_rng(3).uniform(-4, 4, 2000)
    out = track(lambda x: {"y": x.astype(np.float32), "back": x.astype(np.float32).astype(np.float64)}, {"x": x})
    y = out["y"]
    assert y.value.dtype == np.float32 and np.array_equal(y.value, x.astype(np.float32))
    dist = np.array([float(abs(Fraction(float(a)) - Fraction(b))) for a, b in zip(y.value, x, strict=True)])
    assert (dist <= y.error).all() and float(np.max(dist / y.error)) > 0.5
    assert out["back"].value.dtype == np.float64 and np.array_equal(out["back"].error, y.error)


def test_a_float32_underflow_gets_float32s_subnormal_slack() -> None:
    """1e-30 * 1e-15 underflows float32 (its subnormals are 2^-149 apart): the careful run adds float32's slack,
    so the exact product is within the bound (float64's 2^-1074 would not cover it)."""
    a, b = np.array([1e-30], dtype=np.float32), np.array([1.3e-15], dtype=np.float32)
    with np.errstate(under="ignore"):
        out = track(lambda a, b: {"z": a * b}, {"a": a, "b": b})["z"]
        assert np.array_equal(out.value, a * b)
    exact = Fraction(float(a[0])) * Fraction(float(b[0]))
    assert abs(Fraction(float(out.value[0])) - exact) <= Fraction(float(out.error[0]))
    assert out.error[0] >= 2.0**-149


def test_a_float32_array_preallocated_and_filled_stays_tracked() -> None:
    """``G = np.zeros(shape, dtype=np.float32)`` then ``G[:, k] = ...`` (MATLAB's ``zeros(m, n, 'single')`` and a
    loop): the array is tracked as float32, bit for bit, and the filled bound covers the exact products."""
    x = np.random.default_rng(9).uniform(-2, 2, (3, 4)).astype(np.float32)

    def twin(x: Any) -> dict[str, Any]:
        G = np.zeros((3, 4), dtype=np.float32)
        for k in range(4):
            G[:, k] = x[:, k] * x[:, k]
        return {"G": G}
    out, plain = track(twin, {"x": x})["G"], twin(x)["G"]
    assert isinstance(out, tr.TrackedValue) and out.value.dtype == np.float32 and np.array_equal(out.value, plain)
    exact = np.vectorize(lambda t: Fraction(float(t)) ** 2, otypes=[object])(x)
    assert (distance_from_exact(out.value.astype(np.float64), exact) <= out.error).all() and out.error.max() > 0


def test_a_double_written_into_a_single_array_is_charged_its_rounding() -> None:
    """``G32[:] = x64`` rounds each double to single, as NumPy's assignment does: u32 |G| on top of x's bound."""
    x = np.random.default_rng(4).uniform(-2, 2, 5)

    def twin(x: Any) -> dict[str, Any]:
        G = np.zeros(5, dtype=np.float32)
        G[:] = x
        return {"G": G}
    out = track(twin, {"x": x})["G"]
    assert out.value.dtype == np.float32 and np.array_equal(out.value, twin(x)["G"])
    dist = np.array([float(abs(Fraction(float(g)) - Fraction(t))) for g, t in zip(out.value, x, strict=True)])
    assert (dist <= out.error).all() and float(np.max(dist / out.error)) > 0.25


@pytest.mark.parametrize("op", ["add", "multiply", "divide"])
def test_a_python_number_met_by_a_single_is_charged_its_rounding_to_single(op: str) -> None:
    """``x32 * 0.1``, ``x32 + lr``, ``x32 / n``: NumPy rounds the weak Python number to float32 first (NEP 50), as Octave
    rounds a double to ``single``. Against the exact double constant (and int), the bound must hold: without the
    charge |c - fl32(c)| the worst of 300 entries was 1.2x (multiply) to 9.8x (add) the bound. Tight: over 0.4 used."""
    x = np.random.default_rng(5).standard_normal(300).astype(np.float32) * np.float32(1e-3)
    func = {"add": np.add, "multiply": np.multiply, "divide": np.divide}[op]
    exact_op = {"add": lambda a, b: a + b, "multiply": lambda a, b: a * b, "divide": lambda a, b: a / b}[op]
    for c in (0.1, 1 / 3, 2**24 + 1):
        out = track(lambda x, lr: {"y": func(x, 1 / 3), "z": func(x, lr)}, {"x": x, "lr": c})
        for name, const in (("y", 1 / 3), ("z", c)):
            y = out[name]
            assert y.value.dtype == np.float32 and np.array_equal(y.value, func(x, const))
            dist = np.array([float(abs(Fraction(float(v)) - exact_op(Fraction(float(t)), Fraction(const))))
                             for v, t in zip(y.value, x, strict=True)])
            used = float(np.max(dist / y.error))
            assert used <= 1.0, f"{op} {name} with {const!r}: |float32 - exact| / bound = {used:.3g} > 1"
            assert used > 0.4, f"{op} {name} with {const!r}: only {used:.3g} of the bound used"  # 3x loose: < 0.34
