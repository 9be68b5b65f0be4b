"""The coverage corpus (corpus/): every routine against Octave on 20 seeds, and planted slips caught where they are.

Each routine's 20 seeded cases (sizes vary with the seed) go to Octave in one call, at the automatic
tolerance (2 x the bound tracked through the twin). The routines with variables the tracker does not
bound yet are listed in AWAITING with the operation; those variables are checked at the explicit,
documented ``EXPLICIT_TOLERANCE`` as the fallback until that rule lands. Flipping one is deleting
its AWAITING entry: ``test_awaiting_routines_still_await`` fails (on purpose) the day every variable
of a routine still listed gets a derived bound, and says so.

Slips are planted one line at a time in a temporary copy of the twin, and one character at a time in
a temporary copy of the MATLAB; each must be caught at the variable the slip first changes, no earlier.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpus import coverage
from corpus.cases import (
    ROUTINES,
    Routine,
    corpus_cases,
    matlab_inputs,
    renamed_matlab_copy,
    routine,
    uses_keyword_argument,
)
from corpus.coverage import EXPLICIT_TOLERANCE, RoutineCoverage, operation, table
from dlparity import InputError, ParityResult, check_parity
from dlparity.bounds.tracked import UnsupportedOperation, track

SEEDS = range(20)

#: Routines with variables the tracker does not bound yet, with the operation (a fragment of the tracker's
#: reason) and the rule of issue 17 that lifts it. Their untracked variables are checked at EXPLICIT_TOLERANCE
#: as the fallback (the derived ones at the automatic tolerance). FLIP: delete the entry once the rule is in
#: main; test_awaiting_routines_still_await says when.
AWAITING: dict[str, tuple[str, str]] = {}  # none: np.var/np.std, np.linalg.norm, np.convolve and scipy.signal's
# convolve2d/correlate2d (layer_norm, standardize_clip, smooth_conv1d, conv2d_forward, conv2d_backward) have rules


def tolerance_today(name: str) -> dict[str, float]:
    """The automatic tolerance; for an AWAITING routine, with EXPLICIT_TOLERANCE as the fallback for the
    variables the tracker leaves untracked (its derived variables keep their derived tolerance)."""
    if name not in AWAITING:
        return {}
    return {"fallback_rtol": EXPLICIT_TOLERANCE["rtol"], "fallback_atol": EXPLICIT_TOLERANCE["atol"]}


#: FLIP to True once dlparity hands MATLAB's ``lambda`` to the twin as ``lambda_`` (issue 16, item 5): the
#: routines declaring ``lambda`` are then checked from their unmodified .m with the inputs keyed ``lambda``.
#: Until then, from a copy whose only change is ``lambda`` -> ``lambda_`` (a valid MATLAB name).
LAMBDA_REACHES_THE_TWIN = True  # issue 16 item 5 landed (the matio branch): the unmodified .m is checked


def check(r: Routine, cases: list[dict[str, Any]], tmp_path: Path, octave: Any, matlab: Path | None = None,
          python: Any = None) -> ParityResult:
    """check_parity of routine ``r`` (or a slipped MATLAB/twin in its place) at today's tolerance for it;
    ``cases`` keyed as the twin takes them."""
    if uses_keyword_argument(r) and LAMBDA_REACHES_THE_TWIN:
        cases = [matlab_inputs(c) for c in cases]
    elif uses_keyword_argument(r) and matlab is None:
        matlab = renamed_matlab_copy(r, tmp_path)
    return check_parity(matlab or r.matlab, python if python is not None else r.twin(), cases, bridge=octave,
                        **tolerance_today(r.name))


@pytest.mark.octave
@pytest.mark.parametrize("name", [r.name for r in ROUTINES])
def test_routine_matches_octave_on_20_seeds(name: str, octave: Any, tmp_path: Path) -> None:
    r = routine(name)
    result = check(r, r.cases(SEEDS), tmp_path, octave)
    assert result.ok, f"{name} (seeds 0-19, tolerance {result.tolerance}):\n{result.table()}"
    assert result.tolerance.startswith("automatic")
    fallback = {n for (n, _), src in result.tolerance_from.items() if src.startswith("fallback")}
    assert bool(fallback) == (name in AWAITING), (name, fallback)  # a fallback exactly where a rule is awaited
    out = r.twin()(**r.build(0))
    compared = [x.name for x in result.by_variable()]
    assert compared and set(compared) <= set(out), compared  # something compared, and only what the twin returns


@pytest.mark.parametrize("name", [r.name for r in ROUTINES])
def test_awaiting_routines_still_await(name: str) -> None:
    """AWAITING describes the tracker: a routine listed there has some variable with no derived bound, untracked
    (or refused) at the operation its entry names; every other routine has every variable derived. When a
    listed routine fails, every variable is derived: delete its AWAITING entry so it is checked at the automatic
    tolerance everywhere in this file."""
    r = routine(name)
    status = coverage.classify(r.twin(), r.cases(SEEDS), coverage.compared_variables(r, r.build(0)))
    waiting = {n: s for n, s in status.items() if s[0] != coverage.DERIVED}
    if name not in AWAITING:
        assert not waiting, (f"{name} has variables without a derived bound: {waiting}")
        return
    fragment, rule = AWAITING[name]
    assert waiting, (f"every variable of {name} is now derived (it awaited: {rule}): delete its AWAITING entry in "
                     "parity_tests/test_corpus.py so it is checked at the automatic tolerance")
    assert any(fragment in why for _, why in waiting.values()), (name, fragment, waiting)


# -- planted slips --------------------------------------------------------------------------------

def _slipped_twin(r: Routine, tmp_path: Path, old: str, new: str) -> str:
    source = r.python.read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the line to plant the slip in is gone from {r.python.name}: {old!r}"
    path = tmp_path / f"slipped_{r.name}.py"
    path.write_text(source.replace(old, new), encoding="utf-8")
    return f"{path}:{r.name}"


def _slipped_matlab(r: Routine, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the .m in a folder of its own with one change (and lambda -> lambda_ until LAMBDA_REACHES_THE_TWIN)."""
    source = r.matlab.read_text(encoding="utf-8")
    assert source.count(old) == 1, f"the statement to plant the slip in is gone from {r.matlab.name}: {old!r}"
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1, "one character"
    source = source.replace(old, new)
    if uses_keyword_argument(r) and not LAMBDA_REACHES_THE_TWIN:
        source = re.sub(r"\blambda\b", "lambda_", source)
    folder = tmp_path / "slipped_matlab"
    folder.mkdir()
    path = folder / r.matlab.name  # a function file keeps its function's name
    path.write_text(source, encoding="utf-8")
    return path


# (routine, the twin line, its slip, the first variable it changes). Each is a slip ports really make.
TWIN_SLIPS = [
    ("softmax_xent", "p = e / np.sum(e, axis=0, keepdims=True)", "p = e / np.sum(e, axis=1, keepdims=True)", "p"),
    ("lstm_step", "c = fg * c_prev + ig * gg", "c = fg * c_prev + og * gg", "c"),
    ("batchnorm_backward", "dsigma2 = 0.5 / np.sqrt(sigma2 + epsilon) * dsqrtvar",
     "dsigma2 = 0.5 / np.sqrt(sigma2) * dsqrtvar", "dsigma2"),  # epsilon forgotten: a few parts in 1e6
    ("conv2d_backward", 'dK[:, :, k - 1] = correlate2d(X, dZ[:, :, k - 1], mode="valid")',
     'dK[:, :, k - 1] = convolve2d(X, dZ[:, :, k - 1], mode="valid")', "dK"),  # the 180-degree turn forgotten
    ("kmeans", "idx = np.argmin(D2, axis=1).reshape(-1, 1) + 1", "idx = np.argmin(D2, axis=1).reshape(-1, 1)", "idx"),
    ("im2col_conv", 'Y = y.reshape(Ho, Wo, order="F")', "Y = y.reshape(Ho, Wo)", "Y"),  # MATLAB's reshape is column-major
    ("logsumexp", "lse = m + np.log(s)", "lse = np.log(s)", "lse"),  # the shift never added back
    ("layer_norm", "sigma2 = np.var(x, axis=1, keepdims=True)", "sigma2 = np.var(x, axis=1, keepdims=True, ddof=1)",
     "sigma2"),  # MATLAB's var(x) default (N - 1) where the MATLAB says var(x, 1, 2)
    ("batchnorm_forward", "sigma2 = np.sum(sq, axis=0, keepdims=True) / N",
     "sigma2 = np.sum(sq, axis=0, keepdims=True) / (N - 1)", "sigma2"),
    ("conv2d_forward", 'convolve2d(X, np.rot90(K[:, :, k - 1], 2), mode="valid")', 'convolve2d(X, K[:, :, k - 1], mode="valid")',
     "Z"),  # the 180-degree turn dropped
    ("maxpool", 'idx = np.argmax(patch.ravel(order="F")) + 1', "idx = np.argmax(patch.ravel()) + 1", "Y"),  # row-major
    ("lrCostFunction", "temp[0] = 0", "temp[1] = 0", "grad"),  # MATLAB's temp(1), off by one
    ("adam_update", "vhat = v / (1 - beta2 ** t)", "vhat = v / (1 - beta1 ** t)", "vhat"),
    ("standardize_clip", "sigma = np.std(X, axis=0, ddof=1, keepdims=True)", "sigma = np.std(X, axis=0, keepdims=True)",
     "sigma"),  # NumPy's std divides by N, MATLAB's by N - 1
    ("rnn_forward", "h = np.tanh(Wx @ X[:, t - 1:t] + Wh @ h + b)", "h = np.tanh(Wx @ X[:, t - 1:t] + Wh @ h0 + b)", "H"),
    ("smooth_conv1d", 'np.convolve(x.ravel(), k.ravel(), mode="same")', 'np.convolve(x.ravel(), k.ravel()[::-1], mode="same")',
     "y"),  # a correlation where MATLAB convolves
]

# (routine, the MATLAB statement, the same with one character changed, the first variable it changes)
MATLAB_SLIPS = [
    ("adam_update", "v = beta2 * v + (1 - beta2) * g .^ 2;", "v = beta2 * v + (1 - beta1) * g .^ 2;", "v"),
    ("lstm_step", "h = og .* tanh(c);", "h = fg .* tanh(c);", "h"),
    ("logsumexp", "lse = m + log(s);", "lse = m - log(s);", "lse"),
    ("softmax_xent", "dz = (p - Y) / B;", "dz = (p - Y) / K;", "dz"),
    ("conv2d_backward", "db(k) = sum(sum(dZ(:, :, k)));", "db(k) = sum(sum(dZ(:, :, 1)));", "db"),
    ("maxpool", "dX(2*i-2+r, 2*j-2+c) = dY(i, j);", "dX(2*i-2+r, 2*j-2+r) = dY(i, j);", "dX"),
    ("layer_norm", "sigma2 = var(x, 1, 2);", "sigma2 = var(x, 0, 2);", "sigma2"),  # N - 1 where the twin has N
    ("batchnorm_forward", "xhat = xmu .* ivar;", "xhat = xmu ./ ivar;", "xhat"),
    ("batchnorm_backward", "dx = dx1 + dx2;", "dx = dx1 - dx2;", "dx"),
    ("conv2d_forward", "'valid') + b(k);", "'valid') - b(k);", "Z"),
    ("kmeans", "counts(k) = size(members, 1);", "counts(k) = size(members, 2);", "counts"),
    ("im2col_conv", "cols(:, (j-1)*Ho + i) = patch(:);", "cols(:, (j-1)*Ho + 1) = patch(:);", "cols"),
    ("lrCostFunction", "temp(1) = 0;", "temp(2) = 0;", "grad"),
    ("standardize_clip", "sigma = std(X, 0, 1);", "sigma = std(X, 1, 1);", "sigma"),
    ("rnn_forward", "h = tanh(Wx * X(:, t) + Wh * h + b);", "h = tanh(Wx * X(:, 1) + Wh * h + b);", "H"),
    ("smooth_conv1d", "r = x - y;", "r = x + y;", "r"),
]


def _assert_caught_at(result: ParityResult, name: str, expected: str) -> None:
    assert not result.ok, f"the slip in {name} went unnoticed:\n{result.table()}"
    first = result.first_divergence
    assert first is not None and first.name == expected, f"{name}: expected {expected} first\n{result.table()}"


@pytest.mark.octave
@pytest.mark.parametrize(("name", "old", "new", "expected"), TWIN_SLIPS, ids=[f"{s[0]}-{s[3]}" for s in TWIN_SLIPS])
def test_a_slip_in_the_twin_is_caught_where_it_is(name: str, old: str, new: str, expected: str, octave: Any,
                                                  tmp_path: Path) -> None:
    r = routine(name)
    result = check(r, r.cases(range(5)), tmp_path, octave, python=_slipped_twin(r, tmp_path, old, new))
    _assert_caught_at(result, name, expected)


@pytest.mark.octave
@pytest.mark.parametrize(("name", "old", "new", "expected"), MATLAB_SLIPS,
                         ids=[f"{s[0]}-{s[3]}" for s in MATLAB_SLIPS])
def test_a_slip_in_the_matlab_is_caught_where_it_is(name: str, old: str, new: str, expected: str, octave: Any,
                                                    tmp_path: Path) -> None:
    r = routine(name)
    result = check(r, r.cases(range(5)), tmp_path, octave, matlab=_slipped_matlab(r, tmp_path, old, new))
    _assert_caught_at(result, name, expected)


# -- the course-style classifier: a slipped regularisation ---------------------------------------

REGULARISED = [s for s in SEEDS if routine("nnCostFunction").build(s)["lambda_"] > 0]


def _reports(result: ParityResult, name: str) -> list[Any]:
    return [x for x in result.reports if x.name == name]


def _assert_caught_at_grad_only(result: ParityResult) -> None:
    """A slipped regularisation: grad mismatches on exactly the seeds with lambda > 0 (lambda = 0 hides it), the
    cost J passes on every seed."""
    _assert_caught_at(result, "nnCostFunction", "grad")
    assert all(x.ok for x in _reports(result, "J")), result.table()
    caught = {int(x.case) - 1 for x in _reports(result, "grad") if not x.ok}
    assert caught == set(REGULARISED), (caught, REGULARISED)


@pytest.mark.octave
def test_a_slipped_regularisation_in_the_twin_is_caught_at_grad_and_not_at_cost(octave: Any, tmp_path: Path) -> None:
    """lambda_ / m -> lambda_ / (2 * m) in the gradient's regularisation (the cost's own 2m, misplaced)."""
    r = routine("nnCostFunction")
    slipped = _slipped_twin(r, tmp_path, "Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + lambda_ / m * Theta1[:, 1:]",
                            "Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + lambda_ / (2 * m) * Theta1[:, 1:]")
    _assert_caught_at_grad_only(check(r, r.cases(SEEDS), tmp_path, octave, python=slipped))


@pytest.mark.octave
def test_a_slipped_regularisation_in_the_matlab_is_caught_at_grad_and_not_at_cost(octave: Any, tmp_path: Path) -> None:
    r = routine("nnCostFunction")
    matlab = _slipped_matlab(r, tmp_path, "+ lambda / m * Theta2(:, 2:end);",
                             "+ lambda * m * Theta2(:, 2:end);")
    _assert_caught_at_grad_only(check(r, r.cases(SEEDS), tmp_path, octave, matlab=matlab))


# -- MATLAB's lambda, unmodified ------------------------------------------------------------------

@pytest.mark.octave
@pytest.mark.xfail(not LAMBDA_REACHES_THE_TWIN, raises=InputError, strict=True,
                   reason="issue 16, item 5: dlparity does not yet hand MATLAB's lambda to the twin as lambda_ "
                          "(FLIP: LAMBDA_REACHES_THE_TWIN = True when it does)")
@pytest.mark.parametrize("name", [r.name for r in ROUTINES if uses_keyword_argument(r)])
def test_lambda_reaches_the_twin_as_lambda_(name: str, octave: Any) -> None:
    """The unmodified .m (declaring ``lambda``) with the inputs keyed as MATLAB declares them."""
    r = routine(name)
    cases = [matlab_inputs(c) for c in r.cases(range(3))]
    result = check_parity(r.matlab, r.twin(), cases, bridge=octave, **tolerance_today(name))
    assert result.ok, result.table()


# -- the coverage table's own logic (no Octave) -------------------------------------------------------

def test_operation_is_what_a_refusal_names() -> None:
    assert operation("the bound tracker has no rule for astype(int64) (only float64 is tracked); pass rtol=/atol= "
                     "(or --rtol/--atol) to compare with a chosen tolerance instead.") == "astype(int64)"
    assert operation("the automatic tolerance is unavailable for f: the bound tracker has no rule for numpy.var; "
                     "pass rtol=/atol=") == "numpy.var"
    assert operation("a conversion to a plain ndarray (np.asarray, np.array, or storing a tracked value into a plain "
                     "array as y[i] = x[i]) at kmeans.py:37") == "a conversion to a plain ndarray at kmeans.py:37"
    assert operation("the bound tracker has no rule for a conversion to a plain ndarray (np.asarray, np.array, or "
                     "storing a tracked value into a plain array as y[i] = x[i]) (it would drop the bound silently; "
                     "build arrays from tracked pieces); pass rtol=/atol=") == "a conversion to a plain ndarray"


def test_classify_reads_derived_untracked_and_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's tracker refuses whole runs; the coming one returns Untracked(value, reason) leaves. Both are read.

    The tracker is stood in for here (only the reading of its answers is under test, not Octave or bounds)."""

    class Untracked:  # the shape issue 17 item 3 gives an untracked result: its value and why
        def __init__(self, value: Any, reason: str) -> None:
            self.value, self.reason = value, reason

    def fake_track(twin: Any, case: dict[str, Any]) -> dict[str, Any]:
        if case["seed"] == 1:
            raise UnsupportedOperation("the bound tracker has no rule for numpy.sort; pass rtol=/atol= instead.")
        real = track(lambda x, seed: {"a": x * 2.0, "b": x + 1.0}, case)
        return {"a": real["a"], "b": Untracked(real["b"].value, "np.linalg.solve at twin.py:14")}

    monkeypatch.setattr(coverage, "track", fake_track)
    cases = [{"x": np.ones((2, 2)), "seed": 0}, {"x": np.ones((2, 2)), "seed": 0}]
    assert coverage.classify(print, cases, ["a", "b"]) == {"a": ("derived", ""),
                                                          "b": ("untracked", "np.linalg.solve at twin.py:14")}
    worst = coverage.classify(print, [*cases, {"x": np.ones((2, 2)), "seed": 1}], ["a", "b"])
    assert worst == {"a": ("refused", "numpy.sort"), "b": ("refused", "numpy.sort")}  # the worst over the seeds


def test_the_table_counts_what_it_says() -> None:
    rows = [RoutineCoverage("r1", ["a", "b"], {"a": ("derived", ""), "b": ("untracked", "numpy.sort")},
                            false_alarms=["a (seed 3)"], explicit_ok=True),
            RoutineCoverage("r2", ["c"], {"c": ("derived", "")}, explicit_ok=True)]
    text = table(rows, timed=False)
    assert "derived: 2 of 3 variables (66.7 %; target >= 95 %)" in text
    assert "false alarms: 1 (r1: a (seed 3))" in text
    assert "untracked: numpy.sort" in text


def test_corpus_cases_are_seeded_and_vary_in_size() -> None:
    """corpus_cases() (for benchmarks/bench_tracked.py): every routine on every seed, the same arrays for the
    same seed, and the seeds drawing many shapes (issue 17: ports checked over seeds of varying sizes)."""
    cases = corpus_cases()
    assert len(cases) == len(ROUTINES) * len(SEEDS)
    for r in ROUTINES:
        mine = [inputs for name, _, inputs in cases if name == r.name]
        again = r.build(7)
        assert all(np.array_equal(np.asarray(mine[7][k]), np.asarray(v)) for k, v in again.items()), r.name
        shapes = {tuple(np.shape(v) for v in case.values()) for case in mine}
        assert len(shapes) >= 10, (r.name, len(shapes))  # at least 10 different shapes over the 20 seeds
        out = r.twin()(**mine[0])  # the twin takes the inputs as keyword arguments and returns a dict
        assert isinstance(out, dict) and out, r.name


@pytest.mark.octave
def test_numpy_same_is_not_matlab_same_for_an_even_length_filter(octave: Any, tmp_path: Path) -> None:
    """A real porting pitfall, not a planted one: for an even-length k, np.convolve(mode="same") keeps the
    central part shifted by one from MATLAB's conv(x, k, 'same'). The corpus's builder draws odd lengths (where
    the twin is right); with even ones the same twin must be caught at y."""
    r = routine("smooth_conv1d")
    rng = np.random.default_rng(17)
    cases = [{"x": rng.standard_normal((n, 1)), "k": rng.random((m, 1)) + 0.1} for n, m in [(9, 2), (16, 4), (5, 2)]]
    result = check(r, cases, tmp_path, octave)
    _assert_caught_at(result, "smooth_conv1d", "y")
    assert all(not x.ok for x in _reports(result, "y")), result.table()


@pytest.mark.octave
def test_the_derived_tolerance_names_the_slip_a_picked_rtol_hides(octave: Any, tmp_path: Path) -> None:
    """batchnorm_backward with epsilon forgotten in dsigma2 moves it by a few parts in a million. The automatic
    tolerance names dsigma2. A hand-picked rtol=1e-5 (atol=1e-8), the kind the issue's user was left with, passes
    dsigma2 on every seed and sends the reader downstream, to where cancellation amplified the change."""
    assert "batchnorm_backward" not in AWAITING  # the automatic tolerance is the one under test here
    r = routine("batchnorm_backward")
    slipped = _slipped_twin(r, tmp_path, "dsigma2 = 0.5 / np.sqrt(sigma2 + epsilon) * dsqrtvar",
                            "dsigma2 = 0.5 / np.sqrt(sigma2) * dsqrtvar")
    cases = r.cases(SEEDS)
    _assert_caught_at(check(r, cases, tmp_path, octave, python=slipped), "batchnorm_backward", "dsigma2")
    picked = check_parity(r.matlab, slipped, cases, bridge=octave, rtol=1e-5, atol=1e-8)
    assert all(x.ok for x in _reports(picked, "dsigma2")), picked.table()  # the slip's own variable passes
    first = picked.first_divergence
    assert first is None or first.name in {"dx1", "dx"}, picked.table()  # missed, or found downstream
