"""Rules of issue 17 for ports as people write them: writes (x[idx] = v, += -= *= /= @=), exact integers, column-major layout.

For each: "gold" is exact rational arithmetic (fractions.Fraction) on the same inputs, or the same
computation written without the construct (``x = x + y`` for ``x += y``), whose bound the rule must
give bit for bit; "mine" is what the tracker returns. Each rule is also shown tight: 3 x the
tolerance (2 x the bound) at one entry is flagged by the comparison, 0.3 x is not.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from dlparity.bounds.tracked import TrackedValue, UnsupportedOperation, Untracked, track
from dlparity.comparison.compare import compare_quantity

RNG_SEED = 23  # any seed: the inputs only need to be generic
_F = np.vectorize(Fraction, otypes=[object])


def _rng() -> np.random.Generator:
    return np.random.default_rng(RNG_SEED)


def check_true(name: str, tv: Any, exact: np.ndarray) -> float:
    """|mine - exact| <= bound at every entry (exact: an object array of Fractions); returns the largest ratio."""
    assert isinstance(tv, TrackedValue), f"{name}: {type(tv).__name__}, expected TrackedValue"
    dist = np.vectorize(lambda v, g: float(abs(Fraction(float(v)) - g)), otypes=[float])(tv.value, exact)
    ratio = np.divide(dist, tv.error, out=np.where(dist > 0, np.inf, 0.0), where=tv.error > 0)
    at = np.unravel_index(int(np.argmax(ratio)), ratio.shape) if ratio.size else ()
    assert ratio.size == 0 or ratio.max() <= 1.0, (
        f"{name}{list(at)}: mine {tv.value[at]!r} exact {float(exact[at])!r}, |diff| / bound = {ratio[at]:.3g}")
    return float(ratio.max(initial=0.0))


def check_tight(name: str, tv: TrackedValue) -> None:
    """3 x the tolerance (2 x the bound) at the entry with the largest one is flagged, 0.3 x passes (one ulp and 0
    where the bound is 0)."""
    tolerance = 2.0 * tv.error
    at = np.unravel_index(int(np.argmax(tolerance)), tolerance.shape)
    for multiple, flagged in ((3.0, True), (0.3, False)):
        step = multiple * tolerance[at] if tolerance[at] > 0 else (np.spacing(abs(tv.value[at])) if flagged else 0.0)
        planted = tv.value.copy()
        planted[at] += step
        report = compare_quantity("writes", "tracked", name, tv.value, planted, tolerance, tv.ambiguous,
                                  gold_label="numpy", mine_label="planted")
        assert report.ok is not flagged, f"{name}{list(at)} moved by {multiple} x its tolerance: {report.message()}"


def same_bits(name: str, mine: TrackedValue, gold: TrackedValue) -> None:
    for field in ("value", "error"):
        m, g = np.asarray(getattr(mine, field)), np.asarray(getattr(gold, field))
        assert m.shape == g.shape and m.tobytes() == g.tobytes(), f"{name}.{field}: mine {m!r} gold {g!r}"


# -- writes ----------------------------------------------------------------------------------------------

def per_example_loop(X: Any, D: Any, A: Any, W: Any, lam: Any) -> dict[str, Any]:
    """A course-style backward pass: D2 += d @ a.T per example, G[:, k] = ... into np.zeros, G1[:, 1:] += ..."""
    m = X.shape[0]
    D2 = np.zeros((D.shape[0], A.shape[0]))
    G = np.zeros((D.shape[0], m))
    for t in range(m):
        d = D[:, t:t + 1] * X[t, 0]
        D2 += d @ A[:, t:t + 1].T
        G[:, t] = d[:, 0] - 1.0  # a row of d, minus one: the subtraction rounds
    G1 = D2 / m
    G1[:, 1:] = G1[:, 1:] + lam * W[:, 1:]  # no regularisation of the bias column
    scaled = G.copy()
    scaled *= 0.5
    scaled -= G
    scaled /= 3.0
    return {"D2": D2, "G": G, "G1": G1, "scaled": scaled}


def rebinding_loop(X: Any, D: Any, A: Any, W: Any, lam: Any) -> dict[str, Any]:
    """The same arithmetic, every write as a rebinding and a join."""
    m = X.shape[0]
    D2 = 0.0 * (D[:, 0:1] @ A[:, 0:1].T)  # an exact zero of the right shape
    cols = []
    for t in range(m):
        d = D[:, t:t + 1] * X[t, 0]
        D2 = D2 + d @ A[:, t:t + 1].T
        cols.append(d - 1.0)
    G = np.concatenate(cols, axis=1)
    G1 = D2 / m
    G1 = np.concatenate([G1[:, :1], G1[:, 1:] + lam * W[:, 1:]], axis=1)
    scaled = (G * 0.5 - G) / 3.0
    return {"D2": D2, "G": G, "G1": G1, "scaled": scaled}


def _loop_inputs() -> dict[str, Any]:
    rng = _rng()
    return {"X": rng.standard_normal((6, 2)), "D": rng.standard_normal((3, 6)), "A": rng.standard_normal((4, 6)),
            "W": rng.standard_normal((3, 4)), "lam": 0.25}


def exact_loop(X: Any, D: Any, A: Any, W: Any, lam: Any) -> dict[str, np.ndarray]:
    X, D, A, W, lam = _F(X), _F(D), _F(A), _F(W), Fraction(lam)
    m = X.shape[0]
    D2 = np.full((D.shape[0], A.shape[0]), Fraction(0), dtype=object)
    G = np.full((D.shape[0], m), Fraction(0), dtype=object)
    for t in range(m):
        d = D[:, t:t + 1] * X[t, 0]
        D2 = D2 + d @ A[:, t:t + 1].T
        G[:, t] = d[:, 0] - 1
    G1 = D2 / m
    G1[:, 1:] = G1[:, 1:] + lam * W[:, 1:]
    return {"D2": D2, "G": G, "G1": G1, "scaled": (G * Fraction(1, 2) - G) / 3}


def test_writes_and_in_place_operators_are_true_tight_and_as_rebinding() -> None:
    inputs = _loop_inputs()
    mine, gold, plain = track(per_example_loop, inputs), track(rebinding_loop, inputs), per_example_loop(**inputs)
    exact = exact_loop(**inputs)
    for name in ("D2", "G", "G1", "scaled"):
        assert np.array_equal(mine[name].value, plain[name]), f"{name}: tracked value differs from plain NumPy's"
        same_bits(name, mine[name], gold[name])
        used = check_true(name, mine[name], exact[name])
        assert used > 0.05, f"{name}: uses only {used:.3g} of its bound"
        check_tight(name, mine[name])


def test_a_write_of_a_plain_or_exact_value_is_exact_there() -> None:
    def twin(x: Any) -> dict[str, Any]:
        y = x * 3.0  # rounded: a bound everywhere
        y[0, :] = 7.0  # a plain constant: exact in row 0
        y[1, 1] = x[1, 1]  # an input entry: exact there
        y[x > 0.5] = 0.0  # a certain mask: exact where it holds
        return {"y": y}
    x = np.array([[0.1, 0.2], [0.3, 0.7], [0.9, 0.4]])
    y = track(twin, {"x": x})["y"]
    assert np.array_equal(y.value, twin(x.copy())["y"])
    assert (y.error[0] == 0).all() and y.error[1, 1] == 0 and y.error[2, 0] == 0 and y.error[1, 0] > 0
    exact = _F(x) * 3
    exact[0, :] = Fraction(7)
    exact[1, 1] = Fraction(x[1, 1])
    exact[x > 0.5] = Fraction(0)
    check_true("y", y, exact)
    check_tight("y", y)


def test_an_input_is_not_changed_by_a_write_in_the_tracked_run() -> None:
    x = np.array([1.0, 2.0, 3.0])
    out = track(lambda x: (x.__setitem__(0, 5.0), {"x": x})[1], {"x": x})
    assert out["x"].value.tolist() == [5.0, 2.0, 3.0] and x.tolist() == [1.0, 2.0, 3.0]


def _through_view(x: Any) -> dict[str, Any]:
    y = x * 1.0
    v = y[1:]
    v[0] = 9.0
    return {"y": y * 1.0, "v": v}


def _into_base(x: Any) -> dict[str, Any]:
    y = x * 1.0
    v = y[1:].T
    y[1] = 9.0
    return {"y": y * 1.0, "v": v * 1.0}


def _in_place_view(x: Any) -> dict[str, Any]:
    y = x * 1.0
    v = y[0:2]
    v += 1.0
    return {"y": y * 1.0, "v": v}


ALIASES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "through a live view": _through_view, "into a base with a live view": _into_base,
    "in place through a view": _in_place_view,
}


@pytest.mark.parametrize("name", list(ALIASES))
def test_a_write_shared_with_a_live_view_untracks_the_run(name: str) -> None:
    """NumPy changes a view's base (and a base's views) when either is written: the tracker does not follow that
    sharing, so the write is an escape: every output Untracked, naming it; the values stay NumPy's."""
    twin = ALIASES[name]
    x = np.array([0.5, 1.5, 2.5])
    out = track(twin, {"x": x})
    assert all(isinstance(v, Untracked) and "shares memory" in v.reason for v in out.values()), out
    plain = twin(x)
    for k, v in plain.items():
        assert np.array_equal(out[k].value, v), k
    assert x.tolist() == [0.5, 1.5, 2.5]


def test_a_write_through_a_view_of_an_input_is_refused_in_one_sentence() -> None:
    """The plain twin would write into the caller's array there; the tracker refuses rather than do that."""
    def twin(x: Any) -> dict[str, Any]:
        v = x[1:]
        v[0] = 9.0
        return {"x": x}
    with pytest.raises(UnsupportedOperation, match="through a view of an input array") as info:
        track(twin, {"x": np.array([0.5, 1.5, 2.5])})
    assert ". " not in str(info.value)


def test_a_write_after_the_view_is_gone_is_followed() -> None:
    def twin(x: Any) -> dict[str, Any]:
        y = x * 3.0
        total = np.sum(y[0:2])  # a temporary view, gone before the write
        y[2] = total
        return {"y": y}
    x = np.array([0.1, 0.2, 0.3])
    y = track(twin, {"x": x})["y"]
    exact = _F(x) * 3
    exact[2] = exact[0] + exact[1]
    assert np.array_equal(y.value, twin(x)["y"])
    check_true("y", y, exact)


def test_outside_a_run_writes_are_followed_and_escapes_refused() -> None:
    import dlparity.bounds.tracked as tr  # noqa: PLC0415
    t = tr.Tracked(np.array([1.0, 2.0]), np.array([1e-3, 1e-3]))
    t[0] = 5.0
    assert t.v.tolist() == [5.0, 2.0] and t.error.tolist() == [0.0, 1e-3]
    with pytest.raises(UnsupportedOperation, match="shares memory"):
        view = t[0:1]
        view[0] = 1.0


# -- exact integers ---------------------------------------------------------------------------------

def labels_twin(X: Any, y: Any, theta: Any) -> dict[str, Any]:
    """Logistic-regression style: labels as y.astype(int), a one-hot by indexing, counts and order - 1 as indices."""
    labels = y.astype(int)
    K = int(np.max(y)) + 1
    Y = np.eye(K)[labels]  # one-hot rows, indexed by exact integers
    z = X @ theta
    picked = z[np.arange(len(labels)), labels]
    n_pos = int(np.sum(z[:, 0] > 0))
    return {"Y": Y, "picked": picked, "first": z[: n_pos + 1, 0], "floor": np.floor(z * 4), "rint": np.round(z),
            "trunc": np.trunc(z), "ceil": np.ceil(z * 2), "r": round(z[0, 0] * 8) * 1.0}


def test_exact_integers_index_and_round_with_bound_zero() -> None:
    rng = _rng()
    inputs = {"X": rng.standard_normal((5, 3)), "y": rng.integers(0, 3, size=5).astype(np.float64),
              "theta": rng.standard_normal((3, 3))}
    out, plain = track(labels_twin, inputs), labels_twin(**inputs)
    exact_z = _F(inputs["X"]) @ _F(inputs["theta"])
    for name, v in plain.items():
        assert np.array_equal(out[name].value, np.asarray(v, dtype=float)), name
    for name in ("Y", "floor", "rint", "trunc", "ceil", "r"):
        assert (out[name].error == 0).all(), f"{name}: an exact integer carries no bound"
    # exact: the integers of the exact z are the computed ones (the rule's claim)
    assert np.array_equal(np.vectorize(lambda q: float(q.__floor__()), otypes=[float])(exact_z * 4),
                          out["floor"].value)
    assert np.array_equal(np.vectorize(lambda q: float(q.__ceil__()), otypes=[float])(exact_z * 2), out["ceil"].value)
    assert np.array_equal(np.vectorize(lambda q: float(round(q)), otypes=[float])(exact_z), out["rint"].value)
    check_true("picked", out["picked"], exact_z[np.arange(5), inputs["y"].astype(int)])


@pytest.mark.parametrize("op", ["astype", "int", "round", "floor", "ceil", "trunc", "rint"])
@pytest.mark.parametrize(("multiple", "certain"), [(3.0, True), (0.3, False)], ids=["3x-certain", "0.3x-refused"])
def test_an_integer_is_refused_exactly_where_its_bound_reaches_another(op: str, multiple: float, certain: bool) -> None:
    """A value whose distance to the next integer boundary is 3 x its bound converts, with bound 0; at 0.3 x the
    bound reaches the other integer and the result is Untracked, naming the entry."""
    boundary = {"astype": 2.0, "int": 2.0, "trunc": 2.0, "floor": 2.0, "ceil": 2.0, "round": 2.5, "rint": 2.5}[op]
    e = 1e-9
    below = boundary - multiple * e  # just below the boundary: floor/trunc/astype give 1, ceil gives 2
    twins: dict[str, Callable[[Any], Any]] = {
        "astype": lambda x: x.astype(np.int64) * 1.0, "int": lambda x: int(x[0]) * 1.0,
        "round": lambda x: round(x[0]) * 1.0, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "rint": np.rint}
    out = track(lambda x: {"n": twins[op](x), "other": x * 3}, {"x": np.array([below, 7.25])}, {"x": e})
    if certain:
        assert isinstance(out["n"], TrackedValue) and (np.asarray(out["n"].error) == 0).all()
        exact_int = {"ceil": 2.0, "round": 2.0, "rint": 2.0}.get(op, 1.0)
        assert np.asarray(out["n"].value).reshape(-1)[0] == exact_int
    else:
        assert isinstance(out["n"], Untracked) and "another integer" in out["n"].reason, out["n"]
        if op in ("floor", "ceil", "trunc", "rint", "astype"):  # an array result: only it, naming entry [0]
            assert "entry [0]" in out["n"].reason and isinstance(out["other"], TrackedValue)


# -- column-major layout ------------------------------------------------------------------------------

def column_major_twin(A: Any, B: Any) -> dict[str, Any]:
    """MATLAB's reshape and (:) as ports write them."""
    C = A @ B
    return {"col": C.reshape(-1, 1, order="F"), "np": np.reshape(C, (2, -1), order="F"), "flat": C.flatten("F"),
            "ravel": np.ravel(C, order="F"), "back": C.ravel(order="F").reshape(C.shape, order="F")}


def test_column_major_reshapes_move_the_bound_with_the_value() -> None:
    rng = _rng()
    A, B = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    out, plain = track(column_major_twin, {"A": A, "B": B}), column_major_twin(A, B)
    C = track(lambda A, B: {"C": A @ B}, {"A": A, "B": B})["C"]
    exact = _F(A) @ _F(B)
    for name, v in plain.items():
        assert np.array_equal(out[name].value, v), name
        moved = {"col": C.error.reshape(-1, 1, order="F"), "np": np.reshape(C.error, (2, -1), order="F"),
                 "flat": C.error.flatten("F"), "ravel": C.error.ravel("F"), "back": C.error}[name]
        assert out[name].error.tobytes() == moved.tobytes(), f"{name}: the bound did not move as the value"
        gold = {"col": exact.reshape(-1, 1, order="F"), "np": exact.reshape((2, -1), order="F"),
                "flat": exact.flatten("F"), "ravel": exact.ravel("F"), "back": exact}[name]
        check_true(name, out[name], gold)
        check_tight(name, out[name])


# -- a course-style port, as issue 17 found it ----------------------------------------------------------

def sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-z))

def nn_cost(nn_params: Any, input_layer_size: Any, hidden_layer_size: Any, num_labels: Any, X: Any, y: Any,
            lam: Any, slip: float = 1.0) -> dict[str, Any]:
    """A two-layer classifier's cost and gradient ported the usual way: order="F" reshapes, y.astype(int) labels,
    += in a per-example loop, np.zeros preallocation and slice assignment (``slip`` scales one regularisation)."""
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]
    labels = y.astype(int)
    Y = np.eye(num_labels)[labels - 1]
    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    z2 = a1 @ Theta1.T
    a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
    h = sigmoid(a2 @ Theta2.T)
    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J = J + lam / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    D1 = np.zeros(Theta1.shape)
    D2 = np.zeros(Theta2.shape)
    for t in range(m):
        a1t = a1[t:t + 1, :].T
        a2t = a2[t:t + 1, :].T
        ht = h[t:t + 1, :].T
        d3 = ht - Y[t:t + 1, :].T
        d2 = (Theta2.T @ d3)[1:, :] * (a2t[1:, :] * (1 - a2t[1:, :]))
        D2 += d3 @ a2t.T
        D1 += d2 @ a1t.T
    G1 = D1 / m
    G2 = D2 / m
    G1[:, 1:] = G1[:, 1:] + slip * lam / m * Theta1[:, 1:]
    G2[:, 1:] = G2[:, 1:] + lam / m * Theta2[:, 1:]
    grad = np.concatenate([G1.ravel(order="F"), G2.ravel(order="F")])
    return {"J": J, "grad": grad, "G1": G1, "G2": G2}


def _course_inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_in, n_h, K, m = (int(v) for v in rng.integers(2, 7, size=4))
    return {"nn_params": rng.standard_normal(n_h * (n_in + 1) + K * (n_h + 1)) * 0.5, "input_layer_size": n_in,
            "hidden_layer_size": n_h, "num_labels": K, "X": rng.standard_normal((m, n_in)),
            "y": rng.integers(1, K + 1, size=m).astype(float), "lam": 1.0}


@pytest.mark.parametrize("seed", range(10))
def test_a_course_style_port_is_derived_throughout_and_a_slip_is_caught_where_it_is(seed: int) -> None:
    """Every output has a derived bound (no Untracked), NumPy's values bit for bit; a regularisation slipped by
    1 % in G1 is flagged at G1 (and grad, which holds it) against 2 x the bound, and not at J or G2."""
    inputs = _course_inputs(seed)
    out, plain = track(nn_cost, inputs), nn_cost(**inputs)
    slipped = nn_cost(**inputs, slip=1.01)
    for name, tv in out.items():
        assert isinstance(tv, TrackedValue), f"{name}: {tv}"
        assert np.array_equal(tv.value, plain[name]), name
        report = compare_quantity(f"seed {seed}", "course", name, tv.value, np.asarray(slipped[name]),
                                  2.0 * tv.error, tv.ambiguous, gold_label="numpy", mine_label="slipped")
        assert report.ok is (name in ("J", "G2")), f"{name}: {report.message()}"
        check_tight(name, tv)


def test_an_untracked_value_written_into_an_array_untracks_that_array_only() -> None:
    """Preallocate-then-fill with an operation that has no rule (``V[:, k] = np.linalg.solve(S, X[:, k])``): ``V`` is
    untracked, ``before`` (computed earlier, from X only) and ``after`` (later, from X only) keep derived bounds."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 3))

    def twin(X: Any, S: Any) -> dict[str, Any]:
        before = X + 1
        V = np.zeros((3, 3))
        for k in range(3):
            V[:, k] = np.linalg.solve(S, X[:, k])
        after = X * 2
        return {"before": before, "V": V, "after": after}
    out = track(twin, {"X": X, "S": X @ X.T + 3 * np.eye(3)})
    assert isinstance(out["V"], Untracked) and "numpy.linalg.solve" in str(out["V"])
    assert isinstance(out["before"], TrackedValue), out["before"]
    assert isinstance(out["after"], TrackedValue), out["after"]
    V_reason = out["V"].reason
    assert V_reason.startswith("numpy.linalg.solve") and "test_tracked_writes.py:" in V_reason, V_reason

    def without_write(X: Any, S: Any) -> dict[str, Any]:
        return {"before": X + 1, "after": X * 2}
    alone = track(without_write, {"X": X, "S": X @ X.T + 3 * np.eye(3)})
    for name in ("before", "after"):  # bit for bit the bound of a run that never wrote the untracked value
        assert out[name].value.view(np.int64).tolist() == alone[name].value.view(np.int64).tolist(), name
        assert out[name].error.view(np.int64).tolist() == alone[name].error.view(np.int64).tolist(), name
        assert out[name].ambiguous == alone[name].ambiguous, name


def test_an_array_made_untracked_by_a_write_hands_out_no_bound_through_any_path() -> None:
    """Once ``V[:, 0] = np.linalg.solve(...)`` made V untracked, every way of reading V (a second name, ``.T``, a
    slice, a reshape, a copy, ravel, squeeze, ``+=``, arithmetic, a later tracked write) is untracked with the
    solve's reason, and a value from X alone is not."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 3))

    def twin(X: Any, S: Any) -> dict[str, Any]:
        V = np.zeros((3, 3))
        alias = V
        V[:, 0] = np.linalg.solve(S, X[:, 0])
        V[:, 1] = X[:, 1] * 2  # a tracked value written into it afterwards: still untracked
        grown = V.copy()
        grown += X
        return {"alias": alias, "T": V.T, "slice": V[1:, :2], "reshape": V.reshape(9), "copy": V.copy(),
                "ravel": V.ravel(), "squeeze": V[:1].squeeze(), "grown": grown, "sum": X + V, "product": V @ X,
                "entry": V[0, 2], "free": X - 1}
    out = track(twin, {"X": X, "S": X @ X.T + 3 * np.eye(3)})
    for name, value in out.items():
        if name == "free":
            assert isinstance(value, TrackedValue), value
        else:
            assert isinstance(value, Untracked), f"{name}: {value}"
            assert value.reason.startswith("numpy.linalg.solve"), f"{name}: {value.reason}"


def test_an_untracked_value_written_into_a_view_or_an_input_is_still_an_escape() -> None:
    """Where the write would reach memory another tracked array shares (a view, the array a view was taken of) the
    tracker cannot untrack the other name in place, nor a fresh product (another layout): the run's outputs are
    all Untracked (the escape), never stale."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((3, 3))

    def into_view(X: Any, S: Any) -> dict[str, Any]:
        G = np.zeros((3, 3))
        row = G[0]
        row[:] = np.linalg.solve(S, X[:, 0])
        return {"G": G, "free": X - 1}

    def into_viewed(X: Any, S: Any) -> dict[str, Any]:
        G = np.zeros((3, 3))
        row = G[0]
        G[0] = np.linalg.solve(S, X[:, 0])
        return {"row": row, "free": X - 1}

    def into_product(X: Any, S: Any) -> dict[str, Any]:
        P = X @ X  # a fresh product (its bound unevaluated): not made untracked in place either
        P[0] = np.linalg.solve(S, X[:, 0])
        return {"P": P, "free": X - 1}
    for twin in (into_view, into_viewed, into_product):
        out = track(twin, {"X": X, "S": X @ X.T + 3 * np.eye(3)})
        assert all(isinstance(v, Untracked) for v in out.values()), (twin.__name__, out)


def test_a_product_taken_before_the_write_keeps_the_magnitude_of_the_old_value() -> None:
    """``P = V * (X @ y)`` reads V's magnitude lazily (only if a mask ambiguity reaches P): after V is made untracked
    by ``V[:] = np.linalg.solve(...)`` that read still gives the old value's bound, bit for bit as without the
    write (it failed with an AttributeError, or would read the new value)."""
    from dlparity.bounds.tracked import rules  # noqa: PLC0415 (the lazy read itself is what is checked)
    X, y, S = np.array([[1.0, 1e-17], [0.5, 0.25]]), np.array([1.0, -1.0]), 2 * np.eye(2)
    seen: list[np.ndarray] = []

    def twin(X: Any, y: Any, S: Any, write: bool) -> dict[str, Any]:
        V = np.zeros(2)
        V[:] = X[0] * 3.0
        P = V * (X @ y)
        if write:
            V[:] = np.linalg.solve(S, y)
        seen.append(rules._abs_max(P))
        return {"P": P, "V": V}
    written = track(partial_twin(twin, True), {"X": X, "y": y, "S": S})
    plain = track(partial_twin(twin, False), {"X": X, "y": y, "S": S})
    assert isinstance(written["V"], Untracked) and isinstance(plain["V"], TrackedValue)
    assert seen[0].view(np.int64).tolist() == seen[1].view(np.int64).tolist(), seen
    assert written["P"].error.view(np.int64).tolist() == plain["P"].error.view(np.int64).tolist()


def partial_twin(twin: Callable[..., dict[str, Any]], write: bool) -> Callable[..., dict[str, Any]]:
    """``twin`` with its ``write`` argument fixed (track passes the inputs by name)."""
    return lambda X, y, S: twin(X, y, S, write)
