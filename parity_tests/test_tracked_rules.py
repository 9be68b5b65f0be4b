"""Each rule of the bound tracker on its own: true at both ends of the input intervals, tight, and the refusals.

"exact" is the operation on ``x + s E`` (s = -1 and +1, the ends of each input's interval) in
rational arithmetic, or with mpmath at 60 digits for the transcendental functions; "mine" is the
tracked value and bound. A rule must cover the worst end (true) and the propagated part must be
reached by it to within a factor 2 (tight: a rule 10x too large fails).
"""

from __future__ import annotations

import copy
import math
import pickle
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
from tracked_support import bound_used

import dlparity.bounds.tracked as tr
from dlparity.bounds.tracked import UnsupportedOperation, Untracked, rules, track

mpmath.mp.dps = 60
RNG_SEED = 8  # any seed: the inputs only need to be generic

_F = np.vectorize(Fraction, otypes=[object])


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
    "reciprocal power": (lambda a: a ** -1, lambda a: 1 / a, "fraction", ((0.5, 2),)),
    "negative power": (lambda a: a ** -2, lambda a: 1 / (a * a), "fraction", ((-2, -0.5),)),
    "square root power": (lambda a: a ** 0.5, np.vectorize(mpmath.sqrt, otypes=[object]), "mpmath", ((0.1, 4),)),
    "fractional power": (lambda a: a ** 1.5, np.vectorize(lambda t: t ** mpmath.mpf(1.5), otypes=[object]), "mpmath",
                         ((0.1, 4),)),
    "where": (lambda a, b: np.where(a > 0, 2 * a, b - 1), lambda a, b: np.where(a > 0, 2 * a, b - 1), "fraction",
              ((-2, 2), (-2, 2))),
    "concatenate": (lambda a, b: np.concatenate([a * b, a], axis=1), lambda a, b: np.concatenate([a * b, a], axis=1),
                    "fraction", ((-2, 2), (-2, 2))),
    "clip": (lambda a: np.clip(a * 3, -1, 1), lambda a: np.clip(a * 3, -1, 1), "fraction", ((-2, 2),)),
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
        used = max(used, bound_used(result.value, exact, result.error, name, f"at input end {signs}"))
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
    monkeypatch.setattr(rules, attribute, replacement)  # where the operations read each rule
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


def test_integer_inputs_keep_every_result_tracked() -> None:
    """Python int inputs compute with ints as Python ints and with anything else as tracked values: arithmetic on
    them stays tracked, and a rounding is charged where one happens."""
    def twin(i: Any, n: Any) -> dict[str, Any]:
        flag = (i > 3) + 2  # a certain comparison, then arithmetic: 3, exact, tracked
        return {"flag": flag, "third": 1 / (n - i), "neg": -i, "rsub": 10 - i, "half": i * 0.5, "sq": i ** 2,
                "rows": np.arange(6.0)[range(i - 4, n - 5)].sum() * 1.0, "scaled": flag / 3}
    out = track(twin, {"i": 5, "n": 8})
    exact = {"flag": 3.0, "neg": -5.0, "rsub": 5.0, "half": 2.5, "sq": 25.0, "rows": 3.0}
    for name, value in exact.items():
        assert out[name].value == value and out[name].error == 0, name
    assert out["third"].value == 1 / 3 and 0 < out["third"].error <= 2 * tr.U / 3
    assert out["scaled"].value == 1.0 and out["scaled"].error == 0  # 3 / 3 is exact: no bound, rightly
    assert track(lambda i: {"t": (i + 1) / 7}, {"i": 5})["t"].error > 0  # i + 1 is no plain int: 6 / 7 rounds


def test_integer_inputs_behave_as_the_plain_twins_ints() -> None:
    """What a Python int does in the plain twin, an int input does in the tracked one, bit for bit: comparisons
    are Python bools ((i > 3) + (j > 2) is 2, not NumPy's True), // % divmod, bit operations, int powers and
    abs stay exact ints (no -0.0 where plain Python has 0), int methods are the int's, it indexes a tracked
    array, and np.tile/np.roll/np.repeat take it as a count."""
    def twin(i: Any, j: Any, k: Any, x: Any) -> dict[str, Any]:
        return {"bools": ((i > 3) + (j > 2)) * 1.0, "inv": ~(i > 3) * 1.0, "eq": ((i == j) + (i == 5)) * 1.0,
                "intops": (i // 2 + i % 3 + divmod(i, 2)[1] + (i & 1) + (i >> 1) + (i << 1) + (i ^ j)) * 1.0,
                "zero": k * (j ** k) * 1.0, "negabs": -abs(k) * 1.0, "cmp0": ((k > 3) * -4) * 1.0,
                "pow": 10 ** i * 1.0, "bits": i.bit_length() * 1.0, "index": x[i - 5] + x[k],
                "tile": np.tile(x, i)[:3], "roll": np.roll(x, j), "rep": np.repeat(x, k + 1), "big": (i * j) ** 13 - 1}
    inputs = {"i": 5, "j": 5, "k": 0, "x": np.array([1.5, -2.0, 3.25])}
    out = track(twin, inputs)
    plain = twin(**inputs)
    for name, value in plain.items():
        got = out[name].value
        assert np.array_equal(np.asarray(got, dtype=float).view(np.int64), np.asarray(value, dtype=float).view(np.int64)), name
    assert all(out[name].error.max(initial=0) == 0 for name in plain if name != "big"), "exact results carry no bound"
    assert out["big"].error > 0  # 25^13 - 1 (61 bits) as a float64 is rounded: the conversion is charged


def test_integer_inputs_divide_repeat_and_convert_as_python_does() -> None:
    """int / int rounds the exact quotient once, as Python does (bound u|q|, 0 where exact: 2 / 32); a list, tuple
    or text times an int input repeats; NumPy ints count as ints; a plain int returned is its float64; bitwise
    operations, divmod with a float, round() of a tracked float are one sentence each."""
    def twin(i: Any, k: Any, n: Any, x: Any) -> dict[str, Any]:
        return {"q": i / 7, "q2": (k + 2) / 10 ** n, "c": 2 / (k * 16), "rep": len([0.5] * k) + len((0.5,) * k) * 1.0,
                "sum": sum([0.1] * (10 * k)), "np": (i + np.int64(1)) * 1.0, "idx": x[np.argmax(x) + k - 2] * 1.0,
                "floor": math.floor(i), "pow": pow(k, 5, 3) * 1.0, "fl": x * float(k), "pw": np.power(x, k)}
    inputs = {"i": 2**53 + 1, "k": 2, "n": 23, "x": np.array([0.5, -1.5, 2.25])}
    out, plain = track(twin, inputs), twin(**inputs)
    for name, value in plain.items():
        assert np.array_equal(np.asarray(out[name].value, dtype=float).view(np.int64),
                              np.asarray(value, dtype=float).view(np.int64)), name
    for name in ("q", "q2"):
        assert 0 < out[name].error <= 2 * tr.U * abs(out[name].value), name
    assert out["c"].error == 0 and out["rep"].error == 0 and out["floor"].error >= 1  # 2^53 + 1 as a float64
    assert "of a tracked number" in _refusal(lambda: track(lambda x: {"y": x.sum() & 1}, {"x": np.ones(2)}))
    by_float = track(lambda i: {"y": divmod(i, 2.5)[0], "z": i / 3}, {"i": 5})  # Python's float divmod: no rule
    assert "numpy.divmod" in _untracked(by_float, "y") and by_float["y"].value == 2.0
    assert "round()" in _untracked(track(lambda x: {"y": round(x.sum() / 3, 2), "z": x * 2}, {"x": np.ones(2)}))


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


def test_a_product_whose_value_overflows_under_a_finite_bound_is_refused() -> None:
    """The bound of A @ B is scaled by gamma before the product, so it can stay finite where the value overflows
    (1e160 x 1e160, or a partial sum 1e308 + 1e308 that later terms bring back below 1e308 exactly): a bound that
    large gets a look at the value, and the product is refused, also read through a comparison or max(0, .)."""
    one = {"A": np.array([[1e160]]), "B": np.array([[1e160]])}
    partial = {"A": np.array([[1e308, 1e308, -1e308, -1e308, -1e308]]), "B": np.ones((5, 1))}
    twins = [(lambda A, B: {"p": A @ B}, one, "numpy.matmul"),
             (lambda A, B, b: {"p": A @ B + b}, {**one, "b": np.array([[1.0]])}, "numpy.add"),
             (lambda A, B, b: {"p": A @ B + b}, {"A": np.array([[1e308]]), "B": np.array([[1.0]]),
                                                 "b": np.array([[1e308]])}, "numpy.add"),
             (lambda A, B: {"m": ((A @ B) > 0) * 1.0}, partial, "numpy.matmul"),
             (lambda A, B: {"r": np.maximum(0, A @ B)}, partial, "numpy.matmul")]
    for twin, inputs, op in twins:
        with np.errstate(over="ignore", invalid="ignore"):
            message = _refusal(lambda twin=twin, inputs=inputs: track(twin, inputs))
        assert op in message and "not finite" in message, message


def test_a_fresh_product_copies_and_pickles() -> None:
    def twin(A: Any, B: Any) -> dict[str, Any]:
        product = A @ B
        return {"c": copy.copy(product), "d": copy.deepcopy(-product), "p": pickle.loads(pickle.dumps(product))}
    out = track(twin, {"A": np.array([[1.5, 2.0]]), "B": np.array([[3.0], [0.1]])})
    for name in ("c", "p"):
        assert out[name].value == 1.5 * 3.0 + 2.0 * 0.1 and out[name].error > 0
    assert out["d"].value == -out["c"].value and out["d"].error == out["c"].error


def _refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(UnsupportedOperation) as info:
        call()
    return str(info.value)


def _untracked(out: dict[str, Any], *names: str) -> str:
    """The one reason the named outputs of a track() run (all of them when none is named) are Untracked; it must
    name this file's line, where the twin did it."""
    names = names or tuple(out)
    kinds = {n: type(out[n]).__name__ for n in names}
    assert all(isinstance(out[n], Untracked) for n in names), f"expected Untracked: {kinds}"
    reasons = {out[n].reason for n in names}
    assert len(reasons) == 1, reasons
    reason = reasons.pop()
    assert re.search(r" at test_tracked_rules\.py:\d+$", reason), f"the reason does not name the twin's line: {reason}"
    return str(reason)


def _tracked(error: float = 1e-3) -> Any:
    return tr.Tracked(np.array([[1.0, -2.0], [3.0, 0.5]]), np.full((2, 2), error))


REFUSALS: dict[str, tuple[Callable[[], Any], str]] = {
    "linalg.solve": (lambda: np.linalg.solve(_tracked(), _tracked()), "numpy.linalg.solve"),
    "linalg.svd": (lambda: np.linalg.svd(_tracked()), "numpy.linalg.svd"),
    "out=": (lambda: np.add(_tracked(), 1.0, out=np.zeros((2, 2))), "out="),
    "asarray": (lambda: np.asarray(_tracked()), "np.asarray"),
    "float of inexact": (lambda: float(_tracked()[0, 0]), "float()"),
    "bool of ambiguous": (lambda: bool(_tracked(1.0)[1, 1] > 0), "bool()"),
    "ufunc.reduce": (lambda: np.add.reduce(_tracked()), "numpy.add.reduce"),
    "division by an interval with 0": (lambda: 1.0 / _tracked(1.0), "division"),
    "log of an interval with 0": (lambda: np.log(tr.Tracked(np.array([0.5]), np.array([1.0]))), "numpy.log"),
    "overflow": (lambda: np.exp(tr.Tracked(np.array([800.0]))), "numpy.exp"),
    "unknown method": (lambda: _tracked().searchsorted(0.5), "ndarray.searchsorted"),
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
    with pytest.raises(TypeError, match="integer, complex and other float arrays are refused"):
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


def test_a_python_int_stays_exact_and_charges_its_conversion_to_float64() -> None:
    """A Python int input computes with ints exactly at any size, as the plain twin does; where it meets a float it
    becomes the nearest float64, charged the conversion's error (2^53 + 1 -> 2^53, error 1). A NumPy int64 input
    float64 cannot hold is refused before the twin runs; 2^60 itself is a double and is taken exactly."""
    def twin(i: Any, j: Any) -> dict[str, Any]:
        return {"one": (i * j + 1) - i * j, "sq": i**2 + 1 - i**2, "f": (i * j + 1) * 1.0}
    out = track(twin, {"i": 2**30, "j": 2**30})
    assert out["one"].value == 1 and out["one"].error == 0 and out["sq"].value == 1 and out["sq"].error == 0
    assert out["f"].value == 2.0**60 and out["f"].error >= 1  # the exact 2^60 + 1 is within the bound
    big = track(lambda i: {"i": i * 1.0, "same": i}, {"i": 2**53 + 1})
    assert big["i"].value == 2.0**53 and big["i"].error >= 1 and big["same"].error >= 1
    with pytest.raises(ValueError, match=r"input 'i' is the integer 9007199254740993, which float64 cannot hold"):
        track(lambda i: {"i": i * 1.0}, {"i": np.int64(2**53 + 1)})
    assert track(lambda i: {"i": i * 1.0}, {"i": 2**60})["i"].error == 0
    with pytest.raises(UnsupportedOperation, match="beyond float64's range"):
        track(lambda i: {"i": i * 1.0}, {"i": 2**1100})


def test_an_integer_input_prints_hashes_and_rounds_as_its_int() -> None:
    def twin(i: Any) -> dict[str, Any]:
        assert f"{i}" == "5" and str(i) == "5" and f"{i:03d}" == "005" and round(i) == 5
        assert {5: "five"}[i] == "five" and i in {4, 5} and i == 5 and (i != 4) and not (i != 5)  # noqa: SIM202
        return {"i": i}
    assert track(twin, {"i": 5})["i"].value == 5.0


def test_a_subtraction_is_charged_u_times_its_result() -> None:
    """fl(a - b) = (a - b)/(1 + delta): one rounding is at most u|computed result|, so 1 - c with c within 1e-10 of 1
    (exact, by Sterbenz's lemma) gets a bound some 1e-26, not u(|a| + |b|) ~ 2e-16, which let 1e-6 relative errors pass."""
    c = np.array([1 - 1e-10, 1 - 3e-11])
    h = track(lambda one, c: {"h": one - c}, {"one": np.ones(2), "c": c})["h"]
    exact = np.array([float(Fraction(1) - Fraction(x)) for x in c])
    assert np.array_equal(h.value, exact)  # Sterbenz: the double result is the exact one
    assert (h.error <= 1.01 * tr.U * np.abs(h.value)).all() and (h.error > 0).all()


# -- found by a review that fuzzed the tracker ------------------------------------------------------

def _exact_distance(value: float, exact: Fraction) -> Fraction:
    return abs(Fraction(value) - exact)


UNDERFLOWS: dict[str, tuple[Callable[..., Any], dict[str, Any], Callable[..., Any]]] = {
    # a product that flushes to 0 decides a mask: exact 1, computed 0 (the bound was 0)
    "mask of a flushed product": (lambda a, b, y: {"z": y * (a * b > 0)},
                                  {"a": np.array([1e-200]), "b": np.array([1e-200]), "y": np.array([1.0])},
                                  lambda a, b, y: y[0] if a[0] * b[0] > 0 else Fraction(0)),
    # a subnormal divisor: the quotient is off by a factor 1 + 1e-5 (the bound was 1e-16 relative)
    "subnormal divisor": (lambda x: {"z": x ** 2 / x ** 3}, {"x": np.array([-3.9e-107])}, lambda x: 1 / x[0]),
    # the flushed product scaled up by 1e600: exact 1e260, computed 0
    "amplified": (lambda a, b, c: {"z": (a * b) * c * c},
                  {"a": np.array([1e-170]), "b": np.array([1e-170]), "c": np.array([1e300])},
                  lambda a, b, c: a[0] * b[0] * c[0] * c[0]),
    "subnormal product": (lambda A, B: {"z": A @ B}, {"A": np.full((2, 3), 1e-160), "B": np.full((3, 2), 1.3e-160)},
                          lambda A, B: 3 * A[0] * B[0]),
}


@pytest.mark.parametrize("name", list(UNDERFLOWS))
def test_an_underflow_gets_a_true_bound(name: str) -> None:
    """Where a result underflows the relative model misses up to 2^-1075 per rounding (a product flushed to 0 got
    bound 0): track notices NumPy's underflow flag and runs again with absolute slack on every rounding."""
    twin, inputs, exact = UNDERFLOWS[name]
    out = track(twin, inputs)["z"]
    with np.errstate(under="ignore"):
        assert np.array_equal(out.value, np.asarray(twin(**inputs)["z"]))  # still plain NumPy's value
    truth = exact(*[[Fraction(float(t)) for t in np.ravel(v)] for v in inputs.values()])
    for value, bound in zip(np.ravel(out.value), np.ravel(out.error), strict=True):
        assert _exact_distance(float(value), truth) <= Fraction(float(bound)), (name, value, bound, float(truth))


def test_exp_into_the_subnormals_gets_a_true_bound() -> None:
    out = track(lambda a: {"z": np.exp(a)}, {"a": np.array([-740.0, -745.0, -10.0])})["z"]
    exact = [mpmath.exp(mpmath.mpf(t)) for t in (-740.0, -745.0, -10.0)]
    assert all(abs(mpmath.mpf(float(v)) - x) <= float(e) for v, x, e in zip(out.value, exact, out.error, strict=True))


def test_without_underflow_nothing_is_added() -> None:
    """The second, slack-carrying run happens only after an underflow: normal data gets the relative bound only."""
    out = track(lambda a, b: {"z": a * b}, {"a": np.array([3.0]), "b": np.array([1 / 3])})["z"]
    assert out.error[0] <= 1.01 * tr.U * abs(out.value[0])


ESCAPES: dict[str, tuple[Callable[..., Any], str]] = {
    "float()": (lambda x: {"y": float(x) / 3, "z": x * 3}, "float()"),
    ".item()": (lambda x: {"y": x.item() / 3, "z": x * 3}, ".item()"),
    "np.asarray": (lambda x: {"y": np.asarray(x) / 3, "z": x * 3}, "np.asarray"),
    "out=": (lambda x: {"y": np.multiply(x, 3.0, out=np.zeros(())), "z": x * 3}, "out="),
    "bool() of an ambiguous comparison": (lambda x: {"y": x * 3 if x * 3 - 0.3 > 0 else x, "z": x * 3}, "bool()"),
    "an ambiguous count as an index": (lambda x: {"y": np.arange(3.0)[:np.sum(x * 3 - 0.3 > 0)], "z": x * 3},
                                       "use as an index"),
}


@pytest.mark.parametrize("name", list(ESCAPES))
def test_a_value_leaving_the_tracker_untracks_every_output(name: str) -> None:
    """A tracked value turned into a plain number or array (float(), .item(), np.asarray, out=) does the rest of its
    arithmetic where the tracker cannot see it, and a branch on an ambiguous comparison may go the other way on
    another correct evaluation: every output of that run is Untracked, naming the conversion and the twin's line
    (they once gave bound 0, then refused the whole run). The twin gets NumPy's plain value, as the plain twin."""
    twin, named = ESCAPES[name]
    out = track(twin, {"x": 0.1})
    assert named in _untracked(out)
    plain = twin(np.float64(0.1))  # what the plain twin holds for a 0-d value
    for k in ("y", "z"):
        assert np.array_equal(out[k].value, np.asarray(plain[k], dtype=float)), k


UNRULED: dict[str, tuple[Callable[..., Any], str]] = {
    "linalg.det": (lambda x: {"y": np.linalg.det(np.eye(2) * x)}, "numpy.linalg.det"),
    "an int constant float64 cannot hold": (lambda x: {"y": x + (2**53 + 1)}, "the integer 9007199254740993"),
    "a long double constant": (lambda x: {"y": x + np.longdouble(1) / 3}, "float128"),
    "linalg.solve": (lambda x: {"y": np.linalg.solve(np.eye(2) * x, np.ones(2))}, "numpy.linalg.solve"),
    "an ndarray method": (lambda x: {"y": (np.ones(3) * x).searchsorted(0.5)}, "ndarray.searchsorted"),
    "a ufunc method": (lambda x: {"y": np.add.reduce(np.ones(3) * x)}, "numpy.add.reduce"),
}


@pytest.mark.parametrize("name", list(UNRULED))
def test_an_operation_without_a_rule_untracks_what_depends_on_it_only(name: str) -> None:
    """np.dot of N-D arrays (not matmul), a constant float64 cannot hold (it would be rounded unseen), a function or
    method without a rule: NumPy's plain result, Untracked naming the operation and the twin's line; what is
    computed from it too (same reason), and every other output keeps its bound."""
    twin, named = UNRULED[name]

    def twice(x: Any) -> dict[str, Any]:
        y = twin(x)["y"]
        return {"y": y, "after": y * 2 + x, "other": x * 3}
    out = track(twice, {"x": 0.1})
    assert named in _untracked(out, "y", "after")
    assert isinstance(out["other"], tr.TrackedValue) and out["other"].error > 0
    plain = twice(0.1)
    for k in ("y", "after"):
        assert np.array_equal(out[k].value, np.asarray(plain[k], dtype=float)), k


@pytest.mark.parametrize(("name", "value"), [("float16", np.float16([0.1])),
                                             ("longdouble", np.array([1], dtype=np.longdouble))])
def test_float_inputs_other_than_float64_and_float32_are_refused(name: str, value: Any) -> None:
    with pytest.raises(TypeError, match=f"input 'x' has dtype {np.asarray(value).dtype}"):
        track(lambda x: {"y": x * x}, {"x": value})


def test_an_int_input_beyond_float_range_is_one_sentence() -> None:
    """Exact as an int (its comparisons are), refused in one short sentence where it would become a float64, as
    plain Python raises OverflowError there."""
    with pytest.raises(UnsupportedOperation, match="an integer of 1329 bits as a float64") as info:
        track(lambda i: {"i": i * 1.0 if i > 10**399 else i}, {"i": 10**400})
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(("name", "twin"), [
    ("comparison", lambda x, y: {"z": y * (x > 0)}),
    ("fmin", lambda x, y: {"z": np.fmin(x, 1.0) * y}),
    ("minimum", lambda x, y: {"z": np.minimum(x, 1.0) * y}),
    ("where", lambda x, y: {"z": np.where(y > 0, y, x)}),
])
def test_a_non_finite_input_read_only_by_a_choice_is_named(name: str, twin: Any) -> None:
    """A comparison or a choice could hide an input's NaN or inf (NaN > 0 is False, fmin drops NaN): refused,
    naming the input, instead of a finite result with bound 0."""
    with pytest.raises(ValueError, match="input 'x' is not finite"):
        track(twin, {"x": np.array([np.nan, 1.0, np.inf]), "y": np.array([3.0, 2.0, 1.0])})


def test_a_power_of_a_reduced_scalar_is_numpys_value() -> None:
    """np.sum(x) is a NumPy scalar, whose ** takes libm's pow, not the array loop: the tracked value is the same."""
    rng = np.random.default_rng(11)
    xs = rng.uniform(0.5, 2.0, size=400)
    for x in xs:
        got = track(lambda x: {"y": np.sum(x) ** 3}, {"x": np.array([x])})["y"].value
        assert np.float64(got) == np.sum(np.array([x])) ** 3, x


# -- operations beyond the blocks: masks, choices, joins ----------------------------------------------

def test_where_at_an_ambiguous_entry_covers_either_choice() -> None:
    """z = a - b computed exactly 0 with a bound: another evaluation may take the other branch; the bound of
    where(z > 0, p, q) there covers both |p - q| + E_p + E_q."""
    a, b = np.array([0.1 + 0.2, 1.0]), np.array([0.30000000000000004, 0.5])
    out = track(lambda a, b, p, q: {"w": np.where(a - b > 0, p, q)},
                {"a": a, "b": b, "p": np.array([5.0, 5.0]), "q": np.array([-1.0, -1.0])}, errors={"a": 1e-16})["w"]
    assert out.ambiguous == 1 and out.error[0] >= 6.0 and out.error[1] == 0.0


def test_masks_index_count_combine_and_convert() -> None:
    x = np.array([[-1.0, 2.0, 3.0], [4.0, -5.0, 0.5]])

    def twin(x: Any) -> dict[str, Any]:
        m = x > 1
        return {"picked": x[m] * 2, "count": np.sum(m) + 0.0, "both": (m & (x < 4)).astype(float),
                "neither": (~m | (x > 3)).astype(np.float64), "flat": (x * 2).flatten(), "z": np.zeros_like(x) + x,
                "stacked": np.vstack([x, 2 * x]), "tiled": np.tile(x, (1, 2)), "pow0": x ** 0}

    out = track(twin, {"x": x})
    plain = {"picked": x[x > 1] * 2, "count": np.sum(x > 1) + 0.0, "both": ((x > 1) & (x < 4)).astype(float),
             "neither": (~(x > 1) | (x > 3)).astype(float), "flat": (x * 2).flatten(), "z": x + 0.0,
             "stacked": np.vstack([x, 2 * x]), "tiled": np.tile(x, (1, 2)), "pow0": x ** 0}
    for name, value in plain.items():
        assert np.array_equal(out[name].value, value), name
    assert (out["both"].error == 0).all() and (out["picked"].error > 0).all()
    assert (out["stacked"].error[:2] == 0).all() and (out["stacked"].error[2:] > 0).all()  # x exact, 2x rounded


def test_an_ambiguous_mask_as_an_index_is_refused_and_as_floats_carries_one() -> None:
    z = np.array([1e-17, 1.0])
    twin_index = lambda z, y: {"p": y[(z - 1e-17) > 0]}  # noqa: E731
    reason = _untracked(track(twin_index, {"z": z, "y": np.ones(2)}, errors={"z": 1e-16}))
    assert "indexing with a comparison another correct evaluation could decide otherwise" in reason
    f = track(lambda z: {"m": (z > 0).astype(np.float64)}, {"z": z}, errors={"z": 1e-16})["m"]
    assert f.value.tolist() == [1.0, 1.0] and f.ambiguous == 1
    assert 1.0 <= f.error[0] <= 1 + 1e-12 and f.error[1] == 0.0  # the flip, 1, widened


# -- found by a second review with pairs of its own --------------------------------------------------

def test_a_count_of_a_mask_is_a_number_to_compute_with() -> None:
    """npos = np.sum(x > 0), then x / npos, x * npos, x / (npos - 1): NumPy's 0-d integer as an exact constant (it
    crashed with "'bool' object has no attribute 'all'")."""
    x = np.array([[1.5], [-2.0], [3.25], [0.5]])

    def twin(x: Any) -> dict[str, Any]:
        m = x > 0
        npos = np.sum(m)
        return {"npos": npos, "mpos": np.sum(x * m) / npos, "scaled": x * npos, "inv": x / (npos - 1),
                "n64": x * np.int64(3)}

    out, plain = track(twin, {"x": x}), twin(x)
    for name, value in plain.items():
        assert np.array_equal(out[name].value, np.asarray(value, dtype=float)), name
    assert out["npos"].error == 0 and out["mpos"].error > 0


def test_arithmetic_on_masks_treats_them_as_zero_one_with_their_flips() -> None:
    """1 - mask, mask + mask, mask / 2, mask * mask, np.mean(mask), np.maximum(mask, 0), mask.T, mask[0:1]: the mask
    as 0.0 / 1.0 with E = 1 where another evaluation may flip it (they were an internal TypeError or a refusal
    of a conversion the twin never made)."""
    z = np.array([[1.0, -2.0], [1e-17, 3.0]])

    def twin(z: Any, da: Any) -> dict[str, Any]:
        return {"dz": da * (1 - (z <= 0)), "frac": np.mean(z <= 0), "s": (z > 0) + (z < 1), "h": (z > 0) / 2,
                "mm": (z > 0) * (z < 1), "mx": np.maximum(z > 0, 0), "t": (z > 0).T * da, "sl": (z > 0)[0:1] * da[0:1]}

    inputs = {"z": z, "da": np.full((2, 2), 0.5)}
    out, plain = track(twin, inputs, errors={"z": 1e-16}), twin(**inputs)
    for name, value in plain.items():
        assert np.array_equal(out[name].value, np.asarray(value, dtype=float)), name
    # z[1, 0] = 1e-17 is within its bound of 0: the masks may flip there, by 1 (scaled as each expression scales it)
    assert out["dz"].error[1, 0] >= 0.5 and out["frac"].error >= 0.25
    assert out["s"].ambiguous == 2 and out["s"].error[1, 0] == 0  # "or" with (z < 1), certain there: stays 1
    assert out["dz"].error[0, 0] <= 1e-15 and out["t"].error[0, 1] >= 0.5  # certain there: a rounding's worth


def test_a_tracked_whole_number_as_an_exponent() -> None:
    """Adam's bias correction b1 ** t with the step t an input: an exact whole tracked number is the plain twin's int."""
    out = track(lambda b1, t: {"c": 1 - b1 ** t}, {"b1": 0.9, "t": 3})["c"]
    assert float(out.value) == 1 - 0.9 ** 3 and isinstance(out.error, np.ndarray) and out.error > 0
    assert "numpy.power with exponent" in _untracked(track(lambda b, t: {"c": b ** t}, {"b": 0.9, "t": 2.5},
                                                           errors={"t": 1e-3}))


def test_storing_into_a_preallocated_array_is_followed() -> None:
    """np.zeros called by the twin gives a tracked array inside a run, so y[0] = x[0] keeps x's (zero) bound."""
    def twin(x: Any) -> dict[str, Any]:
        y = np.zeros(x.shape)
        y[0] = x[0]
        y[1] = x[1] * 3
        return {"y": y}

    y = track(twin, {"x": np.arange(1.0, 4.0).reshape(3, 1)})["y"]
    assert y.value.tolist() == [[1.0], [6.0], [0.0]] and (y.error == 0).all()  # 2 * 3 is exact: E = 0


# -- found by a second fuzzing review ------------------------------------------------------------------

def test_a_negative_power_of_a_large_value_is_bounded() -> None:
    """|p| m^(p-1) E with m ~ 1e170: m^(p-1) alone underflows though the term does not (the bound was 5x to 1e12x
    too small)."""
    def twin(a: Any, b: Any) -> dict[str, Any]:
        x = a
        for _ in range(40):
            x = x + b  # 2^553 + 2^500 rounds back to 2^553 each time
        return {"y": x ** -1, "y2": x ** -2}

    out = track(twin, {"a": np.array([2.0**553]), "b": np.array([2.0**500])})
    exact = Fraction(2**553) + 40 * Fraction(2**500)
    assert _exact_distance(float(out["y"].value[0]), 1 / exact) <= Fraction(float(out["y"].error[0]))
    assert _exact_distance(float(out["y2"].value[0]), 1 / exact**2) <= Fraction(float(out["y2"].error[0]))


def test_a_scalars_square_is_libms_pow_and_values_stay_numpys() -> None:
    """np.sum(x) ** 2 is NumPy's scalar pow (not correctly rounded: 1.0035 u|v| off here, past a u|v| bound);
    np.square is the x * x loop; a 0-d array input's ** 2 is the array loop. Values as plain NumPy's, bounds true."""
    x0 = 0.5007621047678139
    square = Fraction(x0) ** 2
    cases: list[tuple[Callable[..., Any], dict[str, Any], Fraction | None]] = [
        (lambda x: {"y": x ** 2}, {"x": x0}, square),
        (lambda x: {"y": np.sum(x) ** 2}, {"x": np.array([x0])}, square),
        (lambda x: {"y": np.square(x[0])}, {"x": np.array([x0])}, square),
        (lambda x: {"y": x ** 2}, {"x": np.array(x0)}, square),
        (lambda x: {"y": x ** 0.5}, {"x": np.array(-0.0)}, None),  # the array loop's sqrt keeps -0.0
    ]
    for twin, inputs, exact in cases:
        out = track(twin, inputs)["y"]
        plain = twin(**inputs)["y"]
        assert np.array_equal(np.asarray(out.value), np.asarray(plain)) and np.signbit(out.value) == np.signbit(plain)
        if exact is not None:
            assert _exact_distance(float(out.value), exact) <= Fraction(float(out.error)), (float(out.value), out.error)


def test_masks_compare_and_combine_as_numpy_does() -> None:
    x, y = np.array([1.0, -2.0, 3.0]), np.array([1.0, 2.0, -3.0])

    def twin(x: Any, y: Any) -> dict[str, Any]:
        a, b = x > 0, y > 0
        return {"eq": np.sum(a == b), "ne": np.sum(a != b), "one": np.sum(a == 1), "gt": np.sum(a > 0),
                "andp": np.sum(np.array([True, True, False]) & a), "land": np.sum(np.logical_and(a, b)),
                "acc": np.sum(a) / 3}

    out, plain = track(twin, {"x": x, "y": y}), twin(x, y)
    for name, value in plain.items():
        assert float(out[name].value) == float(value), name
    assert _exact_distance(float(out["acc"].value), Fraction(2, 3)) <= Fraction(float(out["acc"].error))
    assert out["acc"].error > 0  # the count is tracked: its division is charged


def test_a_boolean_input_stays_tracked_and_clip_keeps_numpys_zero() -> None:
    b = np.array([True, False, True, True])
    xs = np.array([1.5, 1.25, 1.75, 1.125])
    out = track(lambda x, b: {"z": x * np.mean(b)}, {"x": xs, "b": b})["z"]
    for v, e, x in zip(out.value, out.error, xs, strict=True):
        assert _exact_distance(float(v), Fraction(x) * Fraction(3, 4)) <= Fraction(float(e))
    clipped = track(lambda x: {"y": np.clip(x * (x > 0), 0.0, 1.0), "h": np.clip(x, None, 1.0)},
                    {"x": np.array([-2.0, 0.5, 3.0])})
    assert np.array_equal(np.signbit(clipped["y"].value), [True, False, False])  # NumPy keeps -0.0
    assert clipped["h"].value.tolist() == [-2.0, 0.5, 1.0]


def test_an_infinite_where_bound_is_refused() -> None:
    message = _refusal(lambda: track(lambda x: {"y": np.where(x * 1.0000001 > x, 1e308, -1e308)},
                                     {"x": np.array([1.0])}, {"x": 1e-3}))
    assert "numpy.where" in message and "not finite" in message


def test_argmin_where_the_choice_is_certain_and_refused_at_a_near_tie() -> None:
    """k-means' assignment [~, idx] = min(D, [], 2): NumPy's indices where every correct evaluation picks the same
    entry (the best leads the runner-up by more than twice the bounds), refused at a near tie."""
    rng = np.random.default_rng(0)
    X, C = rng.standard_normal((6, 2)), rng.standard_normal((3, 2))

    def kmeans(X: Any, C: Any) -> dict[str, Any]:
        D = np.sum(X ** 2, axis=1, keepdims=True) - 2 * X @ C.T + np.sum(C ** 2, axis=1, keepdims=True).T
        return {"idx": np.argmin(D, axis=1) + 1, "far": np.argmax(D)}

    out, plain = track(kmeans, {"X": X, "C": C}), kmeans(X, C)
    assert out["idx"].value.tolist() == plain["idx"].tolist() and float(out["far"].value) == plain["far"]
    assert (out["idx"].error == 0).all()
    reason = _untracked(track(lambda x: {"i": np.argmin(x * 1.0000000000000002)},
                              {"x": np.array([1.0, 1.0 + 2**-52, 3.0])}))
    assert "numpy.argmin of values whose best two are within rounding" in reason


def test_a_mask_through_shape_join_like_and_where_stays_a_mask() -> None:
    """NumPy keeps booleans boolean through tile, flip, concatenate, *_like and where(cond, m, n): a later + is "or".
    They used to become float 0/1, so m + m gave 2 where NumPy gives True."""
    a = np.array([1.0, -2.0, 3.0])

    def twin(a: Any) -> dict[str, Any]:
        m = a > 0
        return {"tile": np.tile(m, 2) + np.tile(m, 2), "ones": np.ones_like(m) + np.ones_like(m),
                "full": np.full_like(m, 2) * a, "cat": np.concatenate([m, a > 1]) + np.concatenate([a > 2, m]),
                "flip": np.flip(m) + m, "bcast": np.broadcast_to(m, (2, 3)) + (a > -5),
                "where": np.where(m, a > 1, a < -1) + (a > 2), "inv": (~np.flip(m)) * a}

    out, plain = track(twin, {"a": a}), twin(a)
    for name, value in plain.items():
        assert np.array_equal(out[name].value, np.asarray(value, dtype=float)), name
    reason = _untracked(track(lambda x: {"y": np.full_like(x, 2**53 + 1) - 2.0**53}, {"x": np.ones(2)}))
    assert "the integer 9007199254740993" in reason
