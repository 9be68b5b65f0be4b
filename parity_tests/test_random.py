"""dlparity.random against live GNU Octave: every draw bit for bit (0 ULP), for every seeding form.

One Octave call per seeding form (``random_mfiles/dlparity_test_draws.m``) draws, for each of three
seeds, 40,000 uniforms, 40,000 normals (the two interleaved, so the separate states are tested),
40,000 ``randi`` values over four ranges and 40,000 ``randperm`` entries, then returns both states;
the twin draws the same through ``dlparity.random``, statement for statement. 120,000 draws per
function per form; the seeds include the ones Octave rounds (12345.5) and clamps (4294967295, -3).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from dlparity import random as mr
from dlparity.bridge import OctaveBridge
from dlparity.validation import InputError

N = 40_000  # draws per function per seed (three seeds: 120,000 per function per form)
Q = N // 4
SEEDS = {  # the seeds include rounding (12345.5), clamping (4294967295.0, -3.0), a double's halves (0.1)
    "state": [0.0, 42.0, 4294967295.0],
    "twister": [12345.5, 7.0, -3.0],
    "seed": [42.0, 0.1, 2.0**40],
    "rng": [0.0, 5489.0, 1e6],
    "default": [1.0, 2.0, 3.0],
    "v5": [3.0, 99.0, 1234567.0],
    "vector": [5.0, 6.0, 2.0**31],
    "saved": [11.0, 12.0, 13.0],
    "rngsaved": [21.0, 22.0, 23.0],
}
MFILES = Path(__file__).parent / "random_mfiles"


def _seed_as_octave_does(form: str, c: float) -> None:
    """The seeding of dlparity_test_draws.m for one form."""
    if form == "state":
        mr.rand("state", c)
        mr.randn("state", c + 1)
    elif form == "twister":
        mr.rand("twister", c)
        mr.randn("twister", c + 1)
    elif form == "seed":
        mr.rand("seed", c)
        mr.randn("seed", c + 1)
    elif form == "rng":
        mr.rng(c)
    elif form == "default":
        mr.rng("default")
    elif form == "v5":
        mr.rng(c, "v5uniform")
        mr.rng(c + 1, "v5normal")
    elif form == "vector":
        mr.rand("state", [c, 7, c + 3])
        mr.randn("state", np.array([[1], [c]]))
    elif form == "rngsaved":
        mr.rng(c)
        mr.rand(1, 100)
        mr.randn(1, 50)
        saved = mr.rng()
        mr.rand(1, 7)
        mr.randn(2, 2)
        mr.rng(saved)
    elif form == "saved":
        mr.rand("state", c)
        mr.rand(1, 1000)
        s = mr.rand("state")
        mr.rand(1, 50)
        mr.rand("state", s)
        mr.randn("state", c)
        mr.randn(1, 999)
        s = mr.randn("state")
        mr.randn(3, 5)
        mr.randn("state", s)


def twin_draws(form: str, seeds: list[float]) -> tuple[NDArray[np.float64], ...]:
    """The twin of dlparity_test_draws.m, line for line."""
    cols: list[list[NDArray[np.float64]]] = [[], [], [], [], []]
    for c in seeds:
        mr.rand("seed", 1)
        mr.randn("seed", 2)
        mr.rand("state", 3)
        mr.randn("state", 4)
        _seed_as_octave_does(form, c)
        a = mr.rand(50, Q // 50)
        b = mr.randn(Q, 1)
        c2 = mr.rand(1, Q)
        d = mr.randn(Q // 100, 50, 2)
        e = mr.rand(2 * Q, 1)
        f = mr.randn(2 * Q, 1)
        flat = [x.reshape(-1, order="F") for x in (a, b, c2, d, e, f)]
        cols[0].append(np.concatenate([flat[0], flat[2], flat[4]]))
        cols[1].append(np.concatenate([flat[1], flat[3], flat[5]]))
        cols[2].append(np.concatenate([
            mr.randi(10, Q, 1).ravel(), mr.randi([-5, 5], 1, Q).ravel(),
            mr.randi(2.0**40, Q // 50, 50).reshape(-1, order="F"), mr.randi([7, 7], Q, 1).ravel(),
        ]))
        cols[3].append(np.concatenate([
            mr.randperm(Q).ravel(), mr.randperm(2 * Q, Q).ravel(), mr.randperm(Q, 2 * Q // 5).ravel(),
            mr.randperm(Q, 3 * Q // 5).ravel(), mr.randperm(Q).ravel(),
        ]))
        cols[4].append(np.concatenate([mr.rand("state"), mr.randn("state")]).ravel())
    return tuple(np.stack(col, axis=1) for col in cols)


def ulps(mine: NDArray[np.float64], gold: NDArray[np.float64]) -> int:
    """The largest distance in units in the last place (0: the same bits everywhere)."""
    a = np.asarray(mine, dtype=np.float64).view(np.int64).astype(object)
    b = np.asarray(gold, dtype=np.float64).view(np.int64).astype(object)
    return int(max((abs(x - y) for x, y in zip(a.ravel(), b.ravel(), strict=True)), default=0))


@pytest.mark.octave
@pytest.mark.parametrize("form", list(SEEDS))
def test_draws_are_octaves_bit_for_bit(octave_bridge: OctaveBridge, form: str) -> None:
    octave_bridge.call("addpath", str(MFILES), nout=0)
    gold = octave_bridge.call("dlparity_test_draws", form, np.array(SEEDS[form])[None, :], float(N), nout=5)
    mine = twin_draws(form, SEEDS[form])
    for name, m, octave_value in zip(("rand", "randn", "randi", "randperm", "states"), mine, gold, strict=True):
        g = np.asarray(octave_value, dtype=np.float64)
        assert m.shape == g.shape, f"{form}: {name} shape mine {m.shape}, gold (Octave) {g.shape}"
        differ = int(np.count_nonzero(m.view(np.int64) != g.view(np.int64)))
        assert differ == 0, (
            f"{form}: {name}: {differ} of {g.size} draws differ from Octave's, up to {ulps(m, g)} ULP; "
            f"first at {np.argwhere(m.view(np.int64) != g.view(np.int64))[0]}"
        )


def test_seeding_maps_a_double_as_octave_does() -> None:
    """Octave rounds a seed half away from zero and clamps it to [0, 2^32 - 1]; NaN and Inf seed 0."""
    assert [mr._seed_word(s) for s in (41.5, 42.5, -0.6, 1e10, math.nan, math.inf, -math.inf)] == [
        42, 43, 0, 4294967295, 0, 0, 0]


def test_the_issues_numbers() -> None:
    """issue 18, measured in Octave: rng(42) then rand(1, 3)."""
    mr.rng(42)
    assert mr.rand(1, 3).tolist() == [[0.63942679845788375, 0.025010755222666936, 0.27502931836911926]]


def test_shapes_follow_matlab() -> None:
    mr.seed_case(1)
    assert mr.rand(3).shape == (3, 3)
    assert mr.rand(2, 3).shape == (2, 3)
    assert mr.rand([2, 3]).shape == (2, 3)
    assert mr.rand((2, 3, 4)).shape == (2, 3, 4)
    assert mr.rand(2, 3, 1).shape == (2, 3)
    assert mr.rand(2, -1).shape == (2, 0)
    assert isinstance(mr.rand(), float)
    assert isinstance(mr.randi(6), float)
    assert mr.randperm(5).shape == (1, 5)
    assert mr.randn(2, 2, "double").dtype == np.float64


def test_fill_is_column_major() -> None:
    mr.rand("state", 9)
    m = mr.rand(3, 4)
    mr.rand("state", 9)
    v = mr.rand(12, 1)
    assert np.array_equal(m, v.reshape(3, 4, order="F"))


@pytest.mark.parametrize(("call", "words"), [
    (lambda: mr.rand(2.5), "finite whole number"),
    (lambda: mr.rand("single", 2), "generator keyword"),
    (lambda: mr.rand(2, "single"), "'single'"),
    (lambda: mr.randi(0), "imax must be at least 1"),
    (lambda: mr.randi([5, 2]), "imin must not exceed imax"),
    (lambda: mr.randperm(3, 4), "must not exceed n"),
    (lambda: mr.rand("state", "reset"), "cannot reproduce"),
    (lambda: mr.rng("shuffle"), "cannot reproduce"),
    (lambda: mr.rng(1, "philox"), "not in Octave"),
    (lambda: mr.rng(-1), ">= 0"),
])
def test_bad_arguments_get_one_sentence(call: object, words: str) -> None:
    mr.set_mode("octave")
    with pytest.raises(InputError, match=words) as err:
        call()  # type: ignore[operator]
    assert str(err.value).count(". ") == 0


def _dropout_twin(a: object, p: object) -> dict[str, object]:
    mask = mr.rand(*np.shape(a)) > p  # type: ignore[operator]
    return {"mask": mask, "out": a * mask / (1 - p), "h": mr.randn(3, 4) @ mr.randn(4, 5)}  # type: ignore[operator]


def test_draws_are_exact_inputs_to_the_tracker() -> None:
    """Inside draws_tracked, a draw is an exact input: its comparison with an exact p is certain, arithmetic
    among draws alone is tracked (a product of two randn arrays gets a bound), and the values are the plain run's."""
    from dlparity.bounds.tracked import track  # noqa: PLC0415

    a = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    mr.seed_case(5)
    plain = _dropout_twin(a, 0.5)
    with mr.draws_tracked():
        mr.seed_case(5)
        exact_p = track(_dropout_twin, {"a": a, "p": 0.5})
        mr.seed_case(5)
        rough_p = track(_dropout_twin, {"a": a, "p": 0.5}, errors={"p": 0.05})
    for name in ("mask", "out", "h"):
        assert np.array_equal(np.asarray(exact_p[name].value), np.asarray(plain[name])), name
    assert exact_p["mask"].ambiguous == 0
    assert float(np.max(exact_p["h"].error)) > 0  # randn @ randn: rounded, so bounded
    mr.seed_case(5)
    u = mr.rand(3, 4)
    within = int(np.count_nonzero(np.abs(u - 0.5) <= 2 * 0.05))
    assert rough_p["mask"].ambiguous == within > 0


def test_draws_sentence_says_what_each_side_drew() -> None:
    assert mr.draws_sentence({"uniforms": 120, "normals": 12}, {"uniforms": 96, "normals": 0}) == (
        "the MATLAB drew 120 uniforms and 12 normals; the twin 96 uniforms")
    assert mr.draws_sentence({"uniforms": 1, "normals": 0}, {"uniforms": 0, "normals": 0}) == (
        "the MATLAB drew 1 uniform; the twin nothing")
    assert mr.draws_sentence({"uniforms": 5, "normals": 2}, {"uniforms": 5, "normals": 2}) is None


def test_case_seed_is_documented_hash() -> None:
    import hashlib  # noqa: PLC0415

    assert mr.case_seed("1") == int(hashlib.sha256(b"dlparity case 1").hexdigest()[:8], 16)
    assert mr.case_seed("1") != mr.case_seed("2")


def test_draws_are_counted_randi_by_the_uniforms_it_draws() -> None:
    mr.seed_case(3, "octave")
    mr.rand(2, 3)
    mr.randn(4)
    mr.randperm(10, 4)
    mr.randi(10, 1, 5)  # Octave's randi.m draws M = ceil(N/p + 10 sqrt(N/p - N)) uniforms, here 6
    assert mr.draw_counts() == {"uniforms": 6 + 4 + 6, "normals": 16}
    mr.set_mode("stream")
    mr.reset_draw_counts()
    mr.randi(10, 1, 5)  # the stream: one uniform per value
    assert mr.draw_counts() == {"uniforms": 5, "normals": 0}
    mr.set_mode("octave")


DRAWING_SCRIPT = """\
rng(7);
W = randn(3, 4);
idx = randperm(5);
mask = rand(size(W)) > 0.5;
y = randi(10, 1, 6);
u = rand(2);
"""


def _twin_of_drawing_script() -> dict[str, NDArray[np.float64]]:
    mr.rng(7)
    W = mr.randn(3, 4)
    idx = mr.randperm(5)
    mask = mr.rand(*W.shape) > 0.5
    y = mr.randi(10, 1, 6)
    u = mr.rand(2)
    return {"W": W, "idx": idx, "mask": mask, "y": y, "u": u}


def _run(octave_bridge: OctaveBridge, script: Path, cases: list[dict[str, object]], random: dict[str, object]
         ) -> dict[str, object]:
    """dlparity_run_mfile on a script, its cases and its reply in dlparity.wire's form."""
    from dlparity import wire  # noqa: PLC0415

    text, words = wire.to_octave(cases)
    reply = octave_bridge.call("dlparity_run_mfile", "script", script.as_posix(), text, words, [], [], random, nout=2)
    answer = wire.from_octave(str(reply[0]), reply[1])
    assert isinstance(answer, dict) and "results" in answer, answer
    return answer


@pytest.mark.octave
@pytest.mark.parametrize("mode", ["octave", "stream"])
def test_runner_seeds_each_case_and_counts_draws(octave_bridge: OctaveBridge, tmp_path: Path, mode: str) -> None:
    """dlparity_run_mfile with a random struct: each case from dlparity_seed_case, the shims behind the user's
    folder, the draws counted; the twin in the same mode draws the same bits; the path is restored exactly."""
    from dlparity.bridge import MFILES  # noqa: PLC0415

    script = tmp_path / "draws.m"
    script.write_text(DRAWING_SCRIPT, encoding="utf-8")
    octave_bridge.call("addpath", MFILES.as_posix(), nout=0)
    path_before = octave_bridge.call("path")
    reply = _run(octave_bridge, script, [{}, {}], {"mode": mode, "seeds": np.array([[11.0, 4294967295.0]])})
    assert octave_bridge.call("path") == path_before
    assert octave_bridge.call("exist", "rand") == 5  # Octave's built-in again after the call
    for k, (gold, seed) in enumerate(zip(reply["results"], (11, 4294967295), strict=True)):
        mr.seed_case(seed, mode)
        mine = _twin_of_drawing_script()
        for name, value in mine.items():
            g = np.asarray(gold[name], dtype=np.float64)
            m = np.asarray(value, dtype=np.float64)
            assert np.array_equal(m.view(np.int64), g.view(np.int64)), f"{mode} seed {seed}: {name} mine {m} gold {g}"
        counts = np.asarray(reply["draws"])[k].tolist()
        assert counts == [mr.draw_counts()["uniforms"], mr.draw_counts()["normals"]], (mode, counts, mr.draw_counts())
    mr.set_mode("octave")


@pytest.mark.octave
def test_runner_leaves_the_users_own_rand_alone(octave_bridge: OctaveBridge, tmp_path: Path) -> None:
    from dlparity.bridge import MFILES  # noqa: PLC0415

    (tmp_path / "rand.m").write_text("function r = rand(varargin)\n  r = 0.25 * ones(varargin{:});\nend\n",
                                     encoding="utf-8")
    script = tmp_path / "mine.m"
    script.write_text("u = rand(2, 3);\n", encoding="utf-8")
    octave_bridge.call("addpath", MFILES.as_posix(), nout=0)
    reply = _run(octave_bridge, script, [{}], {"mode": "stream", "seeds": np.array([[1.0]])})
    assert np.array_equal(np.asarray(reply["results"][0]["u"]), np.full((2, 3), 0.25))
    assert np.ravel(reply["draws"]).tolist() == [0, 0]  # the user's rand is not the shim: nothing counted
    assert octave_bridge.call("exist", "rand") == 5  # Octave's built-in again after the call


NEVER_SEEDS = """\
function [a1d, mask] = dropout_layer(a1, p)
  % A dropout layer that never seeds: the harness's per-case seeding makes it reproducible.
  mask = rand(size(a1)) > p;
  a1d = a1 .* mask / (1 - p);
end
"""


def _dropout_layer(a1: NDArray[np.float64], p: float) -> dict[str, object]:
    mask = mr.rand(*np.shape(a1)) > p
    return {"a1d": a1 * mask / (1 - p), "mask": mask}


@pytest.mark.octave
def test_matlab_that_never_seeds_passes_in_every_case(octave_bridge: OctaveBridge, tmp_path: Path) -> None:
    from dlparity import check_parity  # noqa: PLC0415

    (tmp_path / "dropout_layer.m").write_text(NEVER_SEEDS, encoding="utf-8")
    cases = [{"a1": np.abs(np.random.default_rng(k).standard_normal((6, 9))), "p": 0.3} for k in range(3)]
    result = check_parity(tmp_path / "dropout_layer.m", _dropout_layer, cases, bridge=octave_bridge)
    assert result.ok, result.table()
    assert result.random["seeds"] == [mr.case_seed(str(k + 1)) for k in range(3)]
    assert [d["matlab"] for d in result.random["draws"]] == [{"uniforms": 54, "normals": 0}] * 3
    masks = [np.asarray(v["numpy"]["mask"]) for v in result.values]
    assert not np.array_equal(masks[0], masks[1])  # each case its own seed
    assert result.to_json()["random"]["mode"] == "octave"


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"random_mode": "fast"}, "random_mode 'fast' is not known"),
    ({"random_seed": -1}, "random_seed must be a whole number from 0 to 2\\^32 - 1"),
    ({"random_seed": 2.5}, "random_seed must be a whole number"),
])
def test_bad_random_options_are_one_sentence_before_octave(tmp_path: Path, kwargs: dict[str, object],
                                                          words: str) -> None:
    from dlparity import check_parity  # noqa: PLC0415

    (tmp_path / "dropout_layer.m").write_text(NEVER_SEEDS, encoding="utf-8")

    class NoOctave:
        def call(self, *args: object, **kw: object) -> object:
            raise AssertionError("Octave was reached")

    with pytest.raises(InputError, match=words):
        check_parity(tmp_path / "dropout_layer.m", _dropout_layer, {"a1": np.ones((2, 2)), "p": 0.5},
                     bridge=NoOctave(), **kwargs)  # type: ignore[arg-type]


TOOLBOX_DROPOUT = """\
function nn = nnff_dropout(nn, x)
%NNFF_DROPOUT  feed-forward of a toolbox-style network (a struct of cell arrays) with dropout on the hidden
%   layers, as DeepLearnToolbox's nnff draws it; it never seeds.
    n = nn.n;
    m = size(x, 1);
    x = [ones(m, 1) x];
    nn.a{1} = x;
    for i = 2 : n - 1
        nn.a{i} = sigm(nn.a{i - 1} * nn.W{i - 1}');
        nn.dropOutMask{i} = (rand(size(nn.a{i})) > nn.dropoutFraction);
        nn.a{i} = nn.a{i} .* nn.dropOutMask{i};
        nn.a{i} = [ones(m, 1) nn.a{i}];
    end
    nn.a{n} = sigm(nn.a{n - 1} * nn.W{n - 1}');
end

function X = sigm(P)
    X = 1 ./ (1 + exp(-P));
end
"""


def _nnff_dropout(nn: dict[str, object], x: NDArray[np.float64], transposed: bool = False) -> dict[str, object]:
    nn = dict(nn)
    n = nn["n"]
    m = x.shape[0]
    x = np.hstack([np.ones((m, 1)), x])
    nn["a"] = [None] * n  # nn.a{1..n}
    nn["a"][0] = x
    nn["dropOutMask"] = [np.zeros((0, 0))] * (n - 1)  # nn.dropOutMask{2..n-1}; {1} stays []
    for i in range(1, n - 1):  # MATLAB i = 2 : n - 1
        nn["a"][i] = 1 / (1 + np.exp(-(nn["a"][i - 1] @ nn["W"][i - 1].T)))
        shape = nn["a"][i].shape
        draw = mr.rand(*shape[::-1]).T if transposed else mr.rand(*shape)
        nn["dropOutMask"][i] = draw > nn["dropoutFraction"]
        nn["a"][i] = nn["a"][i] * nn["dropOutMask"][i]
        nn["a"][i] = np.hstack([np.ones((m, 1)), nn["a"][i]])
    nn["a"][n - 1] = 1 / (1 + np.exp(-(nn["a"][n - 2] @ nn["W"][n - 2].T)))
    return {"nn": nn}


@pytest.mark.octave
def test_a_toolbox_feed_forward_with_dropout_that_never_seeds(octave_bridge: OctaveBridge, tmp_path: Path) -> None:
    """issue 18: a struct-based toolbox's feed-forward with dropout passes though its MATLAB never seeds; the twin
    drawing each mask transposed is caught (the masks and the activations after them differ; within one struct
    the leaves have no statement order, so the first named is nn.a{2})."""
    from dlparity import check_parity  # noqa: PLC0415

    (tmp_path / "nnff_dropout.m").write_text(TOOLBOX_DROPOUT, encoding="utf-8")
    rng = np.random.default_rng(3)
    nn = {"n": 4, "W": [0.5 * rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((5, 7)),
                        0.5 * rng.standard_normal((2, 6))], "dropoutFraction": 0.4}
    cases = [{"nn": nn, "x": rng.standard_normal((10, 3))}, {"nn": nn, "x": rng.standard_normal((4, 3))}]
    result = check_parity(tmp_path / "nnff_dropout.m", _nnff_dropout, cases, bridge=octave_bridge)
    assert result.ok, result.table()
    assert [d["matlab"]["uniforms"] for d in result.random["draws"]] == [10 * 6 + 10 * 5, 4 * 6 + 4 * 5]
    slipped = check_parity(tmp_path / "nnff_dropout.m", lambda nn, x: _nnff_dropout(nn, x, transposed=True),
                           cases, bridge=octave_bridge)
    assert not slipped.ok and slipped.first_divergence is not None, slipped.table()
    failing = {r.name for r in slipped.reports if not r.ok}
    assert {"nn.dropOutMask{2}", "nn.dropOutMask{3}"} <= failing, slipped.table()
    assert "nn.W{1}" not in failing and "nn.a{1}" not in failing
