"""Each rule of the bound tracker on its own: true at both ends of the input intervals, tight, and the refusals.

"exact" is the operation on ``x + s E`` (s = -1 and +1, the ends of each input's interval) in
rational arithmetic, or with mpmath at 60 digits for the transcendental functions; "mine" is the
tracked value and bound. A rule must cover the worst end (true) and the propagated part must be
reached by it to within a factor 2 (tight: a rule 10x too large fails).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest

import dlparity.bounds.tracked as tr
from dlparity.bounds.tracked import UnsupportedOperation, track

mpmath.mp.dps = 60
RNG_SEED = 8  # any seed: the inputs only need to be generic

_F = np.vectorize(Fraction, otypes=[object])


def _distance(value: np.ndarray, exact: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v, e: float(abs(Fraction(float(v)) - e)) if isinstance(e, Fraction)
                        else float(abs(mpmath.mpf(float(v)) - e)), otypes=[float])(value, exact)


RULES: dict[str, tuple[Callable[..., Any], Callable[..., Any], str, tuple[tuple[float, float], ...]]] = {
    # name: (twin on tracked/plain arrays, exact version, arithmetic, input ranges)
    "add": (lambda a, b: a + b, lambda a, b: a + b, "fraction", ((-2, 2), (-2, 2))),
    "subtract": (lambda a, b: a - b, lambda a, b: a - b, "fraction", ((-2, 2), (-2, 2))),
    "multiply": (lambda a, b: a * b, lambda a, b: a * b, "fraction", ((-2, 2), (-2, 2))),
    "divide": (lambda a, b: a / b, lambda a, b: a / b, "fraction", ((-2, 2), (0.5, 2))),
    "square": (lambda a: a ** 2, lambda a: a * a, "fraction", ((-2, 2),)),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, "fraction", ((-2, 2), (-2, 2))),
    "sum": (lambda a: np.sum(a, axis=1, keepdims=True), lambda a: a.sum(axis=1, keepdims=True), "fraction", ((-2, 2),)),
    "sum axis 0": (lambda a: np.sum(a, axis=0), lambda a: a.sum(axis=0), "fraction", ((-2, 2),)),
    "sum axis -2 keepdims": (lambda a: np.sum(a, axis=-2, keepdims=True), lambda a: a.sum(axis=0, keepdims=True),
                             "fraction", ((-2, 2),)),
    "sum all": (np.sum, lambda a: a.sum(), "fraction", ((-2, 2),)),
    "mean": (lambda a: np.mean(a, axis=0), lambda a: a.sum(axis=0) / a.shape[0], "fraction", ((-2, 2),)),
    "mean axis -1 keepdims": (lambda a: np.mean(a, axis=-1, keepdims=True),
                              lambda a: a.sum(axis=1, keepdims=True) / a.shape[1], "fraction", ((-2, 2),)),
    "maximum": (lambda a: np.maximum(0, a), np.vectorize(lambda t: max(t, 0), otypes=[object]),
                "fraction", ((-2, 2),)),
    "max": (lambda a: np.max(a, axis=0), lambda a: a.max(axis=0), "fraction", ((-2, 2),)),
    "sqrt": (np.sqrt, np.vectorize(mpmath.sqrt, otypes=[object]), "mpmath", ((0.1, 4),)),
    "exp": (np.exp, np.vectorize(mpmath.exp, otypes=[object]), "mpmath", ((-5, 5),)),
    "expm1": (np.expm1, np.vectorize(mpmath.expm1, otypes=[object]), "mpmath", ((-5, 5),)),
    "log": (np.log, np.vectorize(mpmath.log, otypes=[object]), "mpmath", ((0.1, 5),)),
    "log1p": (np.log1p, np.vectorize(lambda t: mpmath.log(1 + t), otypes=[object]), "mpmath", ((-0.5, 5),)),
    "tanh": (np.tanh, np.vectorize(mpmath.tanh, otypes=[object]), "mpmath", ((-3, 3),)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), np.vectorize(lambda t: 1 / (1 + mpmath.exp(-t)), otypes=[object]),
                "mpmath", ((-5, 5),)),
}


def _inputs(name: str, ranges: tuple[tuple[float, float], ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    shapes = {"matmul": [(3, 4), (4, 2)]}.get(name, [(4, 3)] * len(ranges))
    return [rng.uniform(lo, hi, size=s) for (lo, hi), s in zip(ranges, shapes, strict=True)]


def check_rule(name: str, relative_error: float) -> float:
    """Run one rule with inputs of the given relative error; assert it is true at every end; return the tightness.

    The tightness is the largest |value - exact| / bound over the ends: near 1 when the propagated
    part dominates (large input errors), so a rule 10x too large shows as 0.1.
    """
    twin, gold, kind, ranges = RULES[name]
    xs = _inputs(name, ranges)
    errors = {f"x{k}": relative_error * np.abs(x) for k, x in enumerate(xs)}
    result = track(lambda **kw: {"out": twin(*kw.values())}, {f"x{k}": x for k, x in enumerate(xs)}, errors)["out"]
    plain = np.asarray(twin(*xs))
    assert np.array_equal(result.value, plain), f"{name}: tracked value differs from plain NumPy's"
    used = 0.0
    for signs in np.ndindex(*(2,) * len(xs)):
        ends = []
        for x, e, s in zip(xs, errors.values(), signs, strict=True):
            ends.append(np.vectorize(lambda t, d, s=s: Fraction(t) + (1 if s else -1) * Fraction(d), otypes=[object])(x, e))
        if kind == "mpmath":
            ends = [np.vectorize(lambda q: mpmath.mpf(q.numerator) / q.denominator, otypes=[object])(t) for t in ends]
        exact = np.asarray(gold(*ends), dtype=object)
        dist = _distance(result.value, exact)
        bound = result.error
        ratio = float(np.max(np.divide(dist, bound, out=np.where(dist > 0, np.inf, 0.0), where=bound > 0), initial=0.0))
        assert ratio <= 1.0, f"{name}: |mine - exact| / bound = {ratio:.3g} > 1 at input end {signs}"
        used = max(used, ratio)
    return used


@pytest.mark.parametrize("name", list(RULES))
def test_rule_true_with_exact_inputs(name: str) -> None:
    check_rule(name, 0.0)


@pytest.mark.parametrize("name", list(RULES))
def test_rule_true_and_tight_with_input_errors(name: str) -> None:
    """Input errors of 1e-6 relative: the propagated part dominates, and the worst end uses over half the bound."""
    used = check_rule(name, 1e-6)
    assert used > 0.5, f"{name}: the worst input end uses only {used:.3g} of the bound (too loose)"


RULE_MUTATIONS: dict[str, tuple[str, Any, str]] = {
    "elementary drops max|f'| E": ("DERIVATIVE_BOUNDS", {k: (lambda x, e: 0 * e) for k in tr.DERIVATIVE_BOUNDS}, "exp"),
    "elementary derivative 10x": ("DERIVATIVE_BOUNDS",
                                  {k: (lambda x, e, f=f: 10 * f(x, e)) for k, f in tr.DERIVATIVE_BOUNDS.items()}, "tanh"),
    "divide drops the divisor's E": ("rule_divide", lambda a, b, v, rule=tr.rule_divide: rule(a, tr.Tracked(b.v), v),
                                     "divide"),
    "sqrt 10x": ("rule_sqrt", lambda x, v, rule=tr.rule_sqrt: (10 * rule(x, v)[0], 8), "sqrt"),
    "power drops 2|x| E": ("rule_power", lambda x, p, v: (tr.U * v, 5), "square"),
}


@pytest.mark.parametrize("mutation", list(RULE_MUTATIONS), ids=list(RULE_MUTATIONS))
def test_a_changed_elementwise_rule_is_caught(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    attribute, replacement, rule = RULE_MUTATIONS[mutation]
    monkeypatch.setattr(tr, attribute, replacement)
    with pytest.raises(AssertionError):
        test_rule_true_and_tight_with_input_errors(rule)


def test_tracked_scalars_index_and_compare_exactly() -> None:
    """i and batch_size tracked: i - 1 and min(i + batch_size - 1, N) stay exact and index; 2 / 3 is tracked."""
    def twin(X: Any, i: Any, batch_size: Any) -> dict[str, Any]:
        batch_end = min(i + batch_size - 1, X.shape[0])
        return {"x": X[i - 1:batch_end, :], "c": 2 / batch_size, "batch_end": batch_end}
    out = track(twin, {"X": np.arange(12.0).reshape(6, 2), "i": 5, "batch_size": 3})
    assert out["x"].value.shape == (2, 2) and out["batch_end"].value == 6 and out["batch_end"].error == 0
    assert out["c"].value == 2 / 3 and 0 < out["c"].error <= 2 * tr.U * (2 / 3)


def test_integer_arithmetic_is_exact_only_below_2_53() -> None:
    """Whole numbers add exactly while the result stays below 2^53; 2^53 + 1 rounds to 2^53 and gets a bound."""
    def twin(i: Any, j: Any) -> dict[str, Any]:
        return {"s": i + j, "d": i - j, "p": i * j}
    below = track(twin, {"i": 2**52, "j": 2**52 - 1})  # the product 2^104 - 2^52 is a double too (53 bits)
    assert below["s"].error == 0 and below["d"].error == 0 and below["p"].error == 0
    wide = track(twin, {"i": 2**53 - 1, "j": 2**53 - 1})  # (2^53 - 1)^2 needs 106 bits; 2^54 - 2 is a double
    assert wide["p"].error > 0 and wide["s"].error == 0 and wide["d"].error == 0
    at = track(twin, {"i": 2**53, "j": 1})
    assert at["s"].value == 2.0**53 and at["s"].error > 0, "2^53 + 1 is not a double: the sum must carry a bound"
    exact = track(twin, {"i": 2**52, "j": 2**52})
    assert exact["s"].value == 2.0**53 and exact["s"].error == 0, "2^52 + 2^52 = 2^53 exactly"


def test_a_negative_zero_constant_keeps_its_sign() -> None:
    """max(-0.0, z) and max(0, z) differ only in the sign of zero; the tracked value matches plain NumPy bit for bit."""
    z = np.array([[-1.0, 0.0, 2.0], [-0.0, -3.0, 1.0]])
    for zero in (0, 0.0, -0.0):
        got = track(lambda z, zero=zero: {"a": np.maximum(zero, z)}, {"z": z})["a"].value
        assert np.array_equal(got.view(np.int64), np.maximum(zero, z).view(np.int64)), zero


def test_an_overflowing_product_is_refused_naming_matmul() -> None:
    """The value of W @ x is not tested for finiteness; its bound is, when first read, naming numpy.matmul."""
    big = np.full((2, 2), 1e200)
    with np.errstate(over="ignore"):  # the value overflows as plain NumPy's does (and warns as it does)
        message = _refusal(lambda: track(lambda a, b: {"p": a @ b}, {"a": big, "b": big}))
    assert "numpy.matmul" in message and "not finite" in message, message


def _refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(UnsupportedOperation) as info:
        call()
    return str(info.value)


def _tracked(error: float = 1e-3) -> Any:
    return tr.Tracked(np.array([[1.0, -2.0], [3.0, 0.5]]), np.full((2, 2), error))


REFUSALS: dict[str, tuple[Callable[[], Any], str]] = {
    "linalg.solve": (lambda: np.linalg.solve(_tracked(), _tracked()), "numpy.linalg.solve"),
    "sort": (lambda: np.sort(_tracked()), "numpy.sort"),
    "out=": (lambda: np.add(_tracked(), 1.0, out=np.zeros((2, 2))), "out="),
    "in-place +=": (lambda: _tracked().__iadd__(1.0), "in-place"),
    "asarray": (lambda: np.asarray(_tracked()), "np.asarray"),
    "item assignment": (lambda: _tracked().__setitem__(0, 1.0), "item assignment"),
    "float of inexact": (lambda: float(_tracked()[0, 0]), "float()"),
    "bool of ambiguous": (lambda: bool(_tracked(1.0)[1, 1] > 0), "bool()"),
    "ufunc.reduce": (lambda: np.add.reduce(_tracked()), "numpy.add.reduce"),
    "division by an interval with 0": (lambda: 1.0 / _tracked(1.0), "division"),
    "log of an interval with 0": (lambda: np.log(tr.Tracked(np.array([0.5]), np.array([1.0]))), "numpy.log"),
    "overflow": (lambda: np.exp(tr.Tracked(np.array([800.0]))), "numpy.exp"),
    "unknown method": (lambda: _tracked().cumsum(), "ndarray.cumsum"),
    "complex operand": (lambda: _tracked() * (1 + 2j), "complex128"),
    "non-integer power": (lambda: _tracked() ** 0.5, "numpy.power"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_unsupported_operation_refused_in_one_sentence(name: str) -> None:
    call, op = REFUSALS[name]
    message = _refusal(call)
    assert op in message, f"{name}: the message does not name {op!r}: {message}"
    assert message.endswith(".") and ". " not in message, f"{name}: not one sentence: {message}"


def test_inputs_and_returns_refused_clearly() -> None:
    with pytest.raises(TypeError, match="integer and complex arrays are refused"):
        track(lambda x: {"x": x}, {"x": np.arange(3)})
    with pytest.raises(TypeError, match="expects a dict"):
        track(lambda x: (x,), {"x": np.ones(2)})


def test_a_non_finite_input_is_named_where_the_twin_computes_with_it() -> None:
    """Inputs are not scanned up front: inf or NaN in an entry the twin computes with (or returns) is refused
    naming the input, and rows the twin never reads are not looked at."""
    X = np.ones((4, 2))
    X[3, 0] = np.inf
    W = np.full((2, 2), 0.5)
    arithmetic = (lambda X, W: {"z": W @ X.T}, "X")
    copied = (lambda X, W: {"x": X.T}, "X")
    for twin, name in (arithmetic, copied):
        with pytest.raises(ValueError, match=f"input '{name}' is not finite"):
            track(twin, {"X": X, "W": W})
    first_rows = track(lambda X, W: {"z": W @ X[:2, :].T}, {"X": X, "W": W})["z"]  # row 3 is never read
    assert np.array_equal(first_rows.value, W @ X[:2, :].T) and (first_rows.error > 0).all()
    nan_weight = np.array([[np.nan, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="inputs 'X' and 'W' are not finite"):  # every input holding one is named
        track(lambda X, W: {"z": W @ X[:2, :].T}, {"X": X, "W": nan_weight})


def test_an_integer_input_float64_cannot_hold_is_refused() -> None:
    """2^53 + 1 would reach the twin as 2^53: refused before the twin runs; 2^60 itself is a double and is taken."""
    with pytest.raises(ValueError, match=r"input 'i' is the integer 9007199254740993, which float64 cannot hold"):
        track(lambda i: {"i": i * 1.0}, {"i": 2**53 + 1})
    assert track(lambda i: {"i": i * 1.0}, {"i": 2**60})["i"].value == 2.0**60


def test_a_subtraction_is_charged_u_times_its_result() -> None:
    """fl(a - b) = (a - b)/(1 + delta): one rounding is at most u|computed result|, so 1 - c with c within 1e-10 of 1
    (exact, by Sterbenz's lemma) gets a bound some 1e-26, not u(|a| + |b|) ~ 2e-16, which let 1e-6 relative errors pass."""
    c = np.array([1 - 1e-10, 1 - 3e-11])
    h = track(lambda one, c: {"h": one - c}, {"one": np.ones(2), "c": c})["h"]
    exact = np.array([float(Fraction(1) - Fraction(x)) for x in c])
    assert np.array_equal(h.value, exact)  # Sterbenz: the double result is the exact one
    assert (h.error <= 1.01 * tr.U * np.abs(h.value)).all() and (h.error > 0).all()
