"""The everyday NumPy rules and the convolutions (``tracked/everyday.py``, ``tracked/convolution.py``): true against
exact arithmetic at the ends of the input intervals, tight, NumPy's values bit for bit, and the refusals.

As ``test_tracked_rules.py``: "exact" is the operation on ``x + s E`` in rational arithmetic (``Fraction``), or with
mpmath at 60 digits for the transcendental functions; "mine" is the tracked value and bound. A rule must cover
every end (true), and with input errors of 1e-6 relative (the propagated part dominates) the worst end must use
over half the bound: the bound is within 2x of the worst error a correct evaluation shows, so a difference of
3x the bound is beyond every correct evaluation and is flagged, and the worst correct one (within the bound)
passes. The ends are every uniform sign pattern and, where a rule's worst direction is not uniform (the
variance, a difference, a cube of mixed signs), that direction too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import pytest
import scipy.signal
from scipy.signal import convolve2d
from tracked_support import bound_used, distance_from_exact

import dlparity.bounds.tracked as tr
from dlparity.bounds.tracked import UnsupportedOperation, everyday, track

mpmath.mp.dps = 60
RNG_SEED = 17  # any seed: the inputs only need to be generic

SCIPY_CONVOLVE2D = scipy.signal.convolve2d  # SciPy's own, to check the routing puts it back


def _mp(f: Callable[..., Any]) -> Callable[..., Any]:
    return np.vectorize(f, otypes=[object])


def _conv_full(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The full N-D convolution of object arrays: out[i + j] += a[i] b[j] (the definition, no shared code)."""
    out = np.full(tuple(p + q - 1 for p, q in zip(a.shape, b.shape, strict=True)), Fraction(0), dtype=object)
    for i in np.ndindex(*a.shape):
        for j in np.ndindex(*b.shape):
            out[tuple(p + q for p, q in zip(i, j, strict=True))] += a[i] * b[j]
    return out


def _central(full: np.ndarray, shape: tuple[int, ...], starts: tuple[int, ...]) -> np.ndarray:
    return full[tuple(slice(s, s + n) for s, n in zip(starts, shape, strict=True))]


def _var_exact(a: np.ndarray, ddof: int) -> np.ndarray:
    n = a.shape[0]
    d = a - a.sum(axis=0) / n
    return (d * d).sum(axis=0) / (n - ddof)


def _deviation_signs(xs: list[np.ndarray]) -> list[list[np.ndarray]]:
    """The variance's worst direction: each entry moved away from its column's mean."""
    x = xs[0]
    return [[np.sign(x - x.mean(axis=0))]]


Rule = tuple[Callable[..., Any], Callable[..., Any], str, tuple[tuple[float, float], ...], list[tuple[int, ...]],
             Callable[[list[np.ndarray]], list[list[np.ndarray]]] | None]
POS = (0.5, 2.0)  # positive inputs: the uniform ends are the worst direction of a sum of products

RULES: dict[str, Rule] = {
    # name: (twin, exact version, arithmetic, input ranges, shapes, extra sign patterns)
    "cumsum axis 0": (lambda a: np.cumsum(a, axis=0), lambda a: np.cumsum(a, axis=0), "fraction", (POS,), [(5, 3)], None),
    "cumsum flat": (lambda a: a.cumsum(), lambda a: np.cumsum(a.reshape(-1)), "fraction", (POS,), [(3, 4)], None),
    "cumprod": (lambda a: np.cumprod(a, axis=1), lambda a: np.cumprod(a, axis=1), "fraction", (POS,), [(3, 5)], None),
    "prod axis 1": (lambda a: np.prod(a, axis=1), lambda a: np.prod(a, axis=1), "fraction", (POS,), [(4, 3)], None),
    "prod all keepdims": (lambda a: np.prod(a, keepdims=True), lambda a: np.prod(a, keepdims=True), "fraction",
                          (POS,), [(3, 3)], None),
    "diff": (lambda a: np.diff(a, axis=0), lambda a: a[1:] - a[:-1], "fraction", ((-2, 2),), [(5, 3)],
             lambda xs: [[np.concatenate([np.ones((1, 3)), -np.ones((4, 3))]) * np.where(
                 np.arange(5)[:, None] % 2, -1, 1)]]),
    "diff n=2": (lambda a: np.diff(a, n=2), lambda a: a[:, 2:] - 2 * a[:, 1:-1] + a[:, :-2], "fraction", ((-2, 2),),
                 [(2, 6)], lambda xs: [[np.where(np.arange(6) % 2, -1.0, 1.0) * np.ones((2, 6))]]),
    "var ddof=1": (lambda a: np.var(a, axis=0, ddof=1), lambda a: _var_exact(a, 1), "fraction", ((-2, 2),), [(6, 3)],
                   _deviation_signs),
    "var ddof=0": (lambda a: a.var(axis=0), lambda a: _var_exact(a, 0), "fraction", ((1, 3),), [(5, 2)],
                   _deviation_signs),
    "std ddof=1": (lambda a: np.std(a, axis=0, ddof=1), lambda a: _mp(mpmath.sqrt)(_var_exact(a, 1)), "mpmath",
                   ((-2, 2),), [(6, 3)], _deviation_signs),
    "norm 2 vector": (np.linalg.norm, lambda a: mpmath.sqrt(sum(t * t for t in a)), "mpmath", (POS,), [(7,)], None),
    "norm fro": (lambda a: np.linalg.norm(a, "fro"), lambda a: mpmath.sqrt(sum(t * t for t in a.reshape(-1))),
                 "mpmath", (POS,), [(3, 4)], None),
    "norm 1 vector": (lambda a: np.linalg.norm(a, 1), lambda a: sum(abs(t) for t in a), "fraction", (POS,), [(6,)],
                      None),
    "norm inf vector": (lambda a: np.linalg.norm(a, np.inf), lambda a: max(abs(t) for t in a), "fraction", (POS,),
                        [(6,)], None),
    "norm 1 matrix": (lambda a: np.linalg.norm(a, 1), lambda a: max(sum(abs(t) for t in c) for c in a.T), "fraction",
                      (POS,), [(4, 3)], None),
    "norm inf matrix": (lambda a: np.linalg.norm(a, np.inf), lambda a: max(sum(abs(t) for t in r) for r in a),
                        "fraction", (POS,), [(4, 3)], None),
    "norm 2 along axis": (lambda a: np.linalg.norm(a, axis=1), lambda a: _mp(mpmath.sqrt)((a * a).sum(axis=1)),
                          "mpmath", (POS,), [(3, 4)], None),
    "outer": (np.outer, np.outer, "fraction", ((-2, 2), (-2, 2)), [(4,), (3,)], None),
    "kron": (np.kron, np.kron, "fraction", ((-2, 2), (-2, 2)), [(2, 3), (2, 2)], None),
    "inner": (np.inner, lambda a, b: np.dot(a, b.T), "fraction", (POS, POS), [(3, 4), (2, 4)], None),
    "dot 3-D": (np.dot, lambda a, b: np.stack([np.dot(a[j], b) for j in range(a.shape[0])]), "fraction", (POS, POS),
                [(2, 3, 4), (4, 2)], None),
    "tensordot": (lambda a, b: np.tensordot(a, b, axes=([0, 1], [1, 0])),
                  lambda a, b: np.array([sum(a[i, j, k] * b[j, i] for i in range(a.shape[0]) for j in range(a.shape[1]))
                                         for k in range(a.shape[2])], dtype=object),
                  "fraction", (POS, POS), [(2, 3, 2), (3, 2)], None),
    "einsum matmul": (lambda a, b: np.einsum("ij,jk->ik", a, b), np.dot, "fraction", (POS, POS),
                      [(3, 4), (4, 2)], None),
    "einsum batched": (lambda a, b: np.einsum("bij,bjk->bik", a, b),
                       lambda a, b: np.stack([np.dot(a[j], b[j]) for j in range(a.shape[0])]), "fraction", (POS, POS),
                       [(2, 3, 4), (2, 4, 2)], None),
    "einsum trace": (lambda a: np.einsum("ii", a), lambda a: sum(a[j, j] for j in range(a.shape[0])), "fraction",
                     (POS,), [(4, 4)], None),
    "einsum elementwise and sum": (lambda a, b: np.einsum("ij,ij->i", a, b), lambda a, b: (a * b).sum(axis=1),
                                   "fraction", (POS, POS), [(3, 4), (3, 4)], None),
    "einsum outer": (lambda a, b: np.einsum("i,j", a, b), np.outer, "fraction", ((-2, 2), (-2, 2)),
                     [(3,), (2,)], None),
    "sort": (lambda a: np.sort(a, axis=0), lambda a: np.sort(a, axis=0), "fraction", ((-2, 2),), [(6, 3)], None),
    "hypot": (np.hypot, _mp(lambda a, b: mpmath.sqrt(a * a + b * b)), "mpmath", (POS, POS), [(4, 3), (4, 3)], None),
    "sin": (np.sin, _mp(mpmath.sin), "mpmath", ((-1.2, 1.2),), [(4, 3)], None),
    "cos": (np.cos, _mp(mpmath.cos), "mpmath", ((0.3, 1.4),), [(4, 3)], None),
    "arctan2": (np.arctan2, _mp(mpmath.atan2), "mpmath", (POS, POS), [(4, 3), (4, 3)],
                lambda xs: [[np.ones_like(xs[0]), -np.ones_like(xs[1])]]),
    "log2": (np.log2, _mp(lambda t: mpmath.log(t, 2)), "mpmath", ((0.1, 5),), [(4, 3)], None),
    "log10": (np.log10, _mp(lambda t: mpmath.log(t, 10)), "mpmath", ((0.1, 5),), [(4, 3)], None),
    "cube": (lambda a: a ** 3, lambda a: a * a * a, "fraction", ((-2, 2),), [(4, 3)],
             lambda xs: [[np.sign(xs[0])]]),
    "convolve full": (np.convolve, _conv_full, "fraction", (POS, POS), [(7,), (3,)], None),
    "convolve same": (lambda a, b: np.convolve(a, b, "same"), lambda a, b: _central(_conv_full(a, b), (7,), (1,)),
                      "fraction", (POS, POS), [(7,), (4,)], None),
    "convolve valid": (lambda a, b: np.convolve(a, b, "valid"), lambda a, b: _central(_conv_full(a, b), (5,), (2,)),
                       "fraction", (POS, POS), [(7,), (3,)], None),
    "correlate": (np.correlate, lambda a, b: _central(_conv_full(a, b[::-1]), (5,), (2,)), "fraction", (POS, POS),
                  [(7,), (3,)], None),
    "convolve2d full": (lambda a, b: scipy.signal.convolve2d(a, b, "full"),  # looked up at the call: routed
                        _conv_full, "fraction", (POS, POS), [(5, 4), (2, 3)], None),
    "convolve2d same": (lambda a, b: scipy.signal.convolve2d(a, b, "same"),
                        lambda a, b: _central(_conv_full(a, b), (5, 4), (1, 1)), "fraction", (POS, POS),
                        [(5, 4), (3, 3)], None),
    "convolve2d valid": (lambda a, b: scipy.signal.convolve2d(a, b, "valid"),
                         lambda a, b: _central(_conv_full(a, b), (4, 2), (1, 2)), "fraction", (POS, POS),
                         [(5, 4), (2, 3)], None),
    "correlate2d same": (lambda a, b: scipy.signal.correlate2d(a, b, "same"),
                         lambda a, b: _central(_conv_full(a, b[::-1, ::-1]), (5, 4), (1, 1)), "fraction", (POS, POS),
                         [(5, 4), (3, 3)], None),
    "signal.convolve direct": (lambda a, b: scipy.signal.convolve(a, b, method="direct"), _conv_full, "fraction",
                               (POS, POS), [(4, 3, 2), (2, 2, 2)], None),
    "signal.correlate direct valid": (lambda a, b: scipy.signal.correlate(a, b, "valid", method="direct"),
                                      lambda a, b: _central(_conv_full(a, b[::-1, ::-1]), (3, 3), (2, 1)), "fraction",
                                      (POS, POS), [(5, 4), (3, 2)], None),
}


def _inputs(name: str) -> list[np.ndarray]:
    _, _, _, ranges, shapes, _ = RULES[name]
    rng = np.random.default_rng(RNG_SEED)
    return [rng.uniform(lo, hi, size=s) for (lo, hi), s in zip(ranges, shapes, strict=True)]


def _end(x: np.ndarray, e: np.ndarray, signs: np.ndarray, kind: str) -> np.ndarray:
    end = np.vectorize(lambda t, d, s: Fraction(t) + int(s) * Fraction(d), otypes=[object])(x, e, signs)
    if kind == "mpmath":
        end = np.vectorize(lambda q: mpmath.mpf(q.numerator) / q.denominator, otypes=[object])(end)
    return end


def check_rule(name: str, relative_error: float) -> float:
    """Run one rule with inputs of the given relative error; assert NumPy's value bit for bit and the bound true at
    every end; return the largest |value - exact| / bound (its tightness)."""
    twin, gold, kind, _, _, extra = RULES[name]
    xs = _inputs(name)
    errors = {f"x{k}": relative_error * np.abs(x) for k, x in enumerate(xs)}
    result = track(lambda **kw: {"out": twin(*kw.values())}, {f"x{k}": x for k, x in enumerate(xs)}, errors)["out"]
    assert isinstance(result, tr.TrackedValue), f"{name}: not tracked: {result}"
    plain = np.asarray(twin(*xs))
    assert np.array_equal(np.asarray(result.value).view(np.int64), plain.view(np.int64)), \
        f"{name}: tracked value differs from plain NumPy's"
    patterns = [[np.full(x.shape, 1 if s else -1) for x, s in zip(xs, signs, strict=True)]
                for signs in np.ndindex(*(2,) * len(xs))]
    if extra is not None:
        for pattern in extra(xs):
            patterns += [pattern, [-p for p in pattern]]
    used = 0.0
    for pattern in patterns:
        ends = [_end(x, e, s, kind) for x, e, s in zip(xs, errors.values(), pattern, strict=True)]
        exact = np.asarray(gold(*ends), dtype=object)
        used = max(used, bound_used(np.asarray(result.value), exact, result.error, name, "at an input end"))
    return used


@pytest.mark.parametrize("name", list(RULES))
def test_rule_true_with_exact_inputs(name: str) -> None:
    check_rule(name, 0.0)


@pytest.mark.parametrize("name", list(RULES))
def test_rule_true_and_tight_with_input_errors(name: str) -> None:
    """Input errors of 1e-6 relative: the worst end uses over half the bound (a rule 2x too loose fails)."""
    used = check_rule(name, 1e-6)
    assert used > 0.5, f"{name}: the worst input end uses only {used:.3g} of the bound (too loose)"


RULE_MUTATIONS: dict[str, tuple[str, Any, str]] = {
    "contraction drops the propagated terms": (
        "rule_contraction", lambda f, ops, n, rule=everyday.rule_contraction: rule(f, [tr.Tracked(t.v) for t in ops], n),
        "kron"),
    "contraction 10x": ("rule_contraction", lambda f, ops, n, rule=everyday.rule_contraction: 10 * rule(f, ops, n),
                        "convolve2d same"),
    "variance drops 2 sum |d| E": ("rule_var", lambda x, a, d, k, rule=everyday.rule_var: rule(tr.Tracked(x.v), a, d, k),
                                   "var ddof=1"),
    "cumprod drops D": ("rule_cumprod", lambda x, ax, rule=everyday.rule_cumprod: rule(tr.Tracked(x.v), ax), "cumprod"),
    "cumsum 10x": ("rule_cumsum", lambda x, ax, rule=everyday.rule_cumsum: 10 * rule(x, ax), "cumsum axis 0"),
    "sort without clusters": ("rule_sort", lambda s, e: 0 * e, "sort"),
}


@pytest.mark.parametrize("mutation", list(RULE_MUTATIONS), ids=list(RULE_MUTATIONS))
def test_a_changed_rule_is_caught(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    attribute, replacement, rule = RULE_MUTATIONS[mutation]
    monkeypatch.setattr(everyday, attribute, replacement)
    with pytest.raises(AssertionError):
        test_rule_true_and_tight_with_input_errors(rule)


# -- ties, masks, signs: the decisions ------------------------------------------------------------------------

def test_sort_of_near_ties_takes_the_largest_bound_of_the_cluster() -> None:
    """x = [1, 1 + 1e-9, 5] with E = [0, 1e-6, 0]: the first two may swap, so each sorted entry there is within the
    cluster's largest E of exact (the exact sorted [1 - ..., ...] checked at both ends); 5 keeps its own E, 0."""
    x, e = np.array([1 + 1e-9, 5.0, 1.0]), np.array([1e-6, 0.0, 0.0])
    out = track(lambda x: {"s": np.sort(x)}, {"x": x}, {"x": e})["s"]
    assert np.array_equal(out.value, np.sort(x))
    assert out.error[0] >= 1e-6 and out.error[1] >= 1e-6 and out.error[2] == 0
    for s in (-1, 1):
        exact = sorted(Fraction(t) + s * Fraction(d) for t, d in zip(x, e, strict=True))
        for value, bound, gold in zip(out.value, out.error, exact, strict=True):
            assert abs(Fraction(float(value)) - gold) <= Fraction(float(bound))


def test_argsort_gives_the_plain_indices_and_refuses_a_near_tie() -> None:
    """Certain where every pair is more than 2(E_a + E_b) apart (also for exact ties, whose order NumPy's own
    algorithm decides alike); a near tie with an error is refused in one sentence, as argmax does."""
    x = np.array([3.0, 1.0, 2.0, 1.0])
    out = track(lambda x: {"i": np.argsort(x, kind="stable") * 1.0, "j": x.argsort(kind="stable") * 1.0}, {"x": x})
    assert np.array_equal(out["i"].value, np.argsort(x, kind="stable")) and out["j"].error.max() == 0
    near = track(lambda x: {"i": np.argsort(x) * 1.0}, {"x": np.array([1.0, 1.0 + 1e-12, 3.0])}, {"x": 1e-12})["i"]
    assert isinstance(near, tr.Untracked) and "numpy.argsort" in near.reason
    with pytest.raises(UnsupportedOperation, match=r"numpy\.argsort of values two of which are within rounding"):
        np.argsort(tr.Tracked(np.array([1.0, 1.0 + 1e-12]), np.array([1e-12, 0.0])))


def test_any_and_all_are_certain_where_a_certain_entry_decides() -> None:
    """any(z > 0): certain True where a certain entry is True, certain False where every entry is certainly False;
    an ambiguous entry that could decide makes the result ambiguous (counted), and bool() of it is refused."""
    z = tr.Tracked(np.array([[1.0, -1.0], [1e-9, -1e-9], [-1.0, 1e-9]]), np.full((3, 2), 1e-8))
    rows_any = np.any(z > 0, axis=1)
    assert np.array_equal(rows_any.v, [True, True, True]) and np.array_equal(rows_any.ambiguous, [False, True, True])
    rows_all = np.all(z > 0, axis=1)
    assert np.array_equal(rows_all.v, [False, False, False]) and np.array_equal(rows_all.ambiguous,
                                                                               [False, True, False])
    assert bool(np.any(z > 0)) and not bool((z > 0).all())  # the certain 1.0 decides any, the certain -1.0 all
    with pytest.raises(UnsupportedOperation, match="bool"):
        bool(np.all(z[1] > 0))
    counted = track(lambda z: {"a": np.any(z > 0, axis=1) * 1.0}, {"z": z.v}, {"z": 1e-8})["a"]
    assert counted.ambiguous >= 1


def test_sign_is_exact_away_from_zero_and_jumps_near_it() -> None:
    """sign(x) where |x| > 2E is the exact sign (bound 0); near 0 the bound is the whole jump 2, and the exact
    sign at either end of the interval is within it."""
    x, e = np.array([0.5, 1e-9, -1e-9, 0.0, -3.0]), np.full(5, 1e-8)
    out = track(lambda x: {"s": np.sign(x)}, {"x": x}, {"x": e})["s"]
    assert np.array_equal(out.value, np.sign(x)) and np.array_equal(out.error > 0, [False, True, True, True, False])
    assert out.ambiguous == 3
    for s in (-1, 1):
        for value, bound, t, d in zip(out.value, out.error, x, e, strict=True):
            exact = Fraction(t) + s * Fraction(d)
            assert abs(Fraction(float(value)) - (exact > 0) + (exact < 0)) <= Fraction(float(bound))


def test_reductions_along_every_axis_and_keepdims() -> None:
    """sum, mean, max, min along every axis, several, or all, with and without keepdims: NumPy's values and a
    bound covering the exact result (the twin on exact inputs: the rounding part alone)."""
    x = np.random.default_rng(RNG_SEED).uniform(-2, 2, size=(3, 4, 2))
    exact = np.vectorize(Fraction, otypes=[object])(x)
    for axis in (None, 0, 1, 2, -1, (0, 2), (1, 2)):
        for keepdims in (False, True):
            def twin(x: Any, axis: Any = axis, keepdims: bool = keepdims) -> dict[str, Any]:
                return {"sum": np.sum(x, axis=axis, keepdims=keepdims), "mean": x.mean(axis=axis, keepdims=keepdims),
                        "max": np.max(x, axis=axis, keepdims=keepdims), "min": x.min(axis=axis, keepdims=keepdims)}
            out, plain = track(twin, {"x": x}), twin(x)
            golds = {"sum": exact.sum(axis=axis, keepdims=keepdims),
                     "mean": exact.sum(axis=axis, keepdims=keepdims) / (x.size // np.size(plain["sum"])),
                     "max": exact.max(axis=axis, keepdims=keepdims), "min": exact.min(axis=axis, keepdims=keepdims)}
            for name, gold in golds.items():
                mine = out[name]
                assert np.array_equal(np.asarray(mine.value), np.asarray(plain[name])), (name, axis, keepdims)
                dist = distance_from_exact(np.asarray(mine.value), np.asarray(gold, dtype=object))
                assert (dist <= np.asarray(mine.error)).all(), (name, axis, keepdims)


# -- convolution: FFT refused, scipy.signal routed for the run only --------------------------------------------

def test_an_fft_convolution_is_refused_in_one_sentence() -> None:
    """method='fft', and method='auto' where SciPy would pick the FFT (large operands), round differently from the
    direct sums: refused in one sentence naming the method (in a run: that output untracked, naming it and the
    twin's line); 'auto' on small operands is direct and tracked."""
    big, small = np.random.default_rng(1).uniform(0, 1, (2, 300, 300)), np.ones((2, 3, 3))
    for method, a in (("fft", small), ("auto", big)):
        assert scipy.signal.choose_conv_method(a, small) == ("fft" if method == "auto" else "direct")
        with pytest.raises(UnsupportedOperation) as info:
            tr.RULES["scipy.signal.convolve"](tr.Tracked(a, np.full(a.shape, 1e-9)), tr.Tracked(small), method=method)
        message = str(info.value)
        assert "scipy.signal.convolve by FFT (method='fft')" in message and message.endswith(".") and ". " not in message
        out = track(lambda a, b, method=method: {"c": scipy.signal.convolve(a, b, method=method), "d": a * 2},
                    {"a": a, "b": small}, {"a": 1e-9})
        assert isinstance(out["c"], tr.Untracked) and "scipy.signal.convolve by FFT" in out["c"].reason
        assert re.search(r" at test_tracked_everyday\.py:\d+$", out["c"].reason), out["c"].reason
        assert isinstance(out["d"], tr.TrackedValue)  # every other variable keeps its bound
    out = track(lambda a, b: {"c": scipy.signal.convolve(a, b)}, {"a": small * 2, "b": small})["c"]
    assert np.array_equal(out.value, scipy.signal.convolve(small * 2, small))


def test_scipy_signal_is_routed_for_the_run_and_restored() -> None:
    """A twin calling scipy.signal.convolve2d by attribute, or by a name its module imported
    (``from scipy.signal import convolve2d``, as this module does), is tracked; after the run scipy.signal and the
    module hold SciPy's own functions again."""
    def twin(a: Any, k: Any) -> dict[str, Any]:
        return {"attr": scipy.signal.convolve2d(a, k, "same"), "name": convolve2d(a, k, "valid")}
    a, k = np.arange(20.0).reshape(4, 5) / 7, np.array([[1.0, -2.0], [0.5, 3.0]])
    out = track(twin, {"a": a, "k": k})
    assert isinstance(out["attr"], tr.TrackedValue) and isinstance(out["name"], tr.TrackedValue)
    assert np.array_equal(out["name"].value, convolve2d(a, k, "valid")) and (out["name"].error > 0).all()
    assert scipy.signal.convolve2d is SCIPY_CONVOLVE2D and convolve2d is SCIPY_CONVOLVE2D
    filled = track(lambda a, k: {"c": scipy.signal.convolve2d(a, k, fillvalue=1.0)}, {"a": a, "k": k})["c"]
    assert isinstance(filled, tr.Untracked) and "fillvalue" in filled.reason


def test_convolve_bound_counts_the_overlap_not_the_output_length() -> None:
    """The rounding part is gamma_n with n the kernel's length (each entry an inner product of at most n terms),
    so a long signal does not widen it."""
    a, k = np.ones(200), np.ones(3)
    out = track(lambda a, k: {"c": np.convolve(a, k, "valid")}, {"a": a, "k": k})["c"]
    assert np.all(out.value == 3.0) and float(np.max(out.error)) < 4 * math.ulp(3.0) * 3


def test_arange_of_int_inputs_is_numpys_exact_array() -> None:
    """np.arange(n), np.arange(1, n + 1, 2) with int inputs: NumPy's exact integers (bound 0), bit for bit, in a run
    only (np.arange is NumPy's own again after it)."""
    def twin(n: Any, x: Any) -> dict[str, Any]:
        return {"k": np.arange(n) * 1.0, "odd": np.arange(1, n + 1, 2) * 1.0, "f": np.arange(n, dtype=float) * x}
    out, plain = track(twin, {"n": 5, "x": np.array(0.5)}), twin(5, np.array(0.5))
    for name, value in plain.items():
        assert isinstance(out[name], tr.TrackedValue) and np.array_equal(out[name].value, value), name
    assert out["k"].error.max() == 0 and out["odd"].error.max() == 0
    assert not hasattr(np.arange, "__wrapped__")
