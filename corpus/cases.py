r"""The corpus's routines and their seeded inputs: one place that names every pair and draws its cases.

Each routine is a folder ``corpus/<name>/`` holding ``<name>.m`` (the MATLAB, a script or a function
file) and ``<name>.py`` (its NumPy twin, line for line, MATLAB names). Each has a seeded input
builder here: ``seed`` picks the sizes as well as the values, so 20 seeds cover 20 shapes.

Inputs are keyed as the twin takes them. MATLAB's argument ``lambda`` is a Python keyword: the twin
takes ``lambda_`` (PEP 8); :func:`matlab_inputs` gives the same case keyed as the MATLAB declares it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SEEDS = range(20)

Inputs = dict[str, Any]


@dataclass(frozen=True)
class Routine:
    """One MATLAB routine of the corpus and its seeded input builder."""

    name: str  # the folder, the .m file's stem (a function file's function) and the twin's function name
    build: Callable[[int], Inputs]
    what: str  # one line: what it is and the porting idioms it exercises

    @property
    def matlab(self) -> Path:
        return HERE / self.name / f"{self.name}.m"

    @property
    def python(self) -> Path:
        return HERE / self.name / f"{self.name}.py"

    def twin(self) -> Callable[..., dict[str, Any]]:
        """The twin function, imported from its file."""
        return _load_twin(self.python, self.name)

    def cases(self, seeds: range | list[int] = SEEDS) -> list[Inputs]:
        return [self.build(s) for s in seeds]


@cache
def _load_twin(path: Path, function: str) -> Callable[..., dict[str, Any]]:
    module_name = f"corpus_twin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so tracebacks and inspect.getsource find it
    spec.loader.exec_module(module)
    func: Callable[..., dict[str, Any]] = getattr(module, function)
    return func


#: MATLAB names that are Python keywords, as the corpus's twins take them (PEP 8's trailing underscore).
KEYWORD_RENAMES = {"lambda_": "lambda"}


def matlab_inputs(case: Mapping[str, Any]) -> Inputs:
    """The case keyed as the MATLAB declares it (``lambda_`` -> ``lambda``)."""
    return {KEYWORD_RENAMES.get(k, k): v for k, v in case.items()}


def uses_keyword_argument(routine: Routine) -> bool:
    """Whether the MATLAB declares an argument named like a Python keyword (``lambda``)."""
    return any(k in routine.build(0) for k in KEYWORD_RENAMES)


def renamed_matlab_copy(routine: Routine, folder: Path) -> Path:
    """A copy of the routine's .m in ``folder`` with ``lambda`` renamed ``lambda_`` (a valid MATLAB name).

    For checking the lambda-taking routines until dlparity maps a Python-keyword argument to its
    twin's ``name_`` by itself (issue 16, item 5): the copy's only change is that name.
    """
    text = routine.matlab.read_text(encoding="utf-8")
    for python_name, matlab_name in KEYWORD_RENAMES.items():
        text = re.sub(rf"\b{matlab_name}\b", python_name, text)
    copy = folder / routine.matlab.name
    copy.write_text(text, encoding="utf-8")
    return copy


# -- the seeded input builders --------------------------------------------------------------------
# Sizes come from the seed too: small enough that 20 cases of every routine run in seconds, from 1
# (a batch of one, a single feature) up to a few dozen.

def _rng(name: str, seed: int) -> np.random.Generator:
    # one stream per (routine, seed): the routines never share draws
    return np.random.default_rng([sum(name.encode()), seed])


def softmax_xent_case(seed: int) -> Inputs:
    rng = _rng("softmax_xent", seed)
    K, B = int(rng.integers(2, 11)), int(rng.integers(1, 33))
    scale = [1.0, 3.0, 10.0][seed % 3]  # wide spreads make some p tiny
    return {"z": scale * rng.standard_normal((K, B)), "y": rng.integers(1, K + 1, size=(B, 1)).astype(float)}


def logsumexp_case(seed: int) -> Inputs:
    rng = _rng("logsumexp", seed)
    K, B = int(rng.integers(1, 13)), int(rng.integers(1, 21))
    scale = [1.0, 5.0, 30.0][seed % 3]
    return {"x": scale * rng.standard_normal((K, B))}


def layer_norm_case(seed: int) -> Inputs:
    rng = _rng("layer_norm", seed)
    B, D = int(rng.integers(1, 17)), int(rng.integers(2, 33))
    return {"x": 2.0 * rng.standard_normal((B, D)) + rng.standard_normal(), "gamma": rng.standard_normal((1, D)),
            "beta": rng.standard_normal((1, D)), "epsilon": 1e-5}


def batchnorm_forward_case(seed: int) -> Inputs:
    rng = _rng("batchnorm_forward", seed)
    N, D = int(rng.integers(2, 33)), int(rng.integers(1, 11))
    return {"x": 2.0 * rng.standard_normal((N, D)) + rng.standard_normal((1, D)), "gamma": rng.standard_normal((1, D)),
            "beta": rng.standard_normal((1, D)), "epsilon": 1e-5}


def batchnorm_backward_case(seed: int) -> Inputs:
    rng = _rng("batchnorm_backward", seed)
    N, D = int(rng.integers(2, 33)), int(rng.integers(1, 11))
    return {"x": 2.0 * rng.standard_normal((N, D)) + rng.standard_normal((1, D)), "gamma": rng.standard_normal((1, D)),
            "epsilon": 1e-5, "dout": rng.standard_normal((N, D))}


def conv2d_forward_case(seed: int) -> Inputs:
    rng = _rng("conv2d_forward", seed)
    H, W = int(rng.integers(3, 15)), int(rng.integers(3, 15))
    kh, kw, nf = int(rng.integers(1, min(H, 5) + 1)), int(rng.integers(1, min(W, 5) + 1)), int(rng.integers(2, 5))
    return {"X": rng.standard_normal((H, W)), "K": rng.standard_normal((kh, kw, nf)) / np.sqrt(kh * kw),
            "b": 0.1 * rng.standard_normal((nf, 1))}


def conv2d_backward_case(seed: int) -> Inputs:
    rng = _rng("conv2d_backward", seed)
    H, W = int(rng.integers(3, 15)), int(rng.integers(3, 15))
    kh, kw, nf = int(rng.integers(1, min(H, 5) + 1)), int(rng.integers(1, min(W, 5) + 1)), int(rng.integers(2, 5))
    return {"X": rng.standard_normal((H, W)), "K": rng.standard_normal((kh, kw, nf)),
            "dZ": rng.standard_normal((H - kh + 1, W - kw + 1, nf))}


def maxpool_case(seed: int) -> Inputs:
    rng = _rng("maxpool", seed)
    H, W = 2 * int(rng.integers(1, 6)), 2 * int(rng.integers(1, 6))
    return {"X": rng.standard_normal((H, W)), "dY": rng.standard_normal((H // 2, W // 2))}


def lstm_step_case(seed: int) -> Inputs:
    rng = _rng("lstm_step", seed)
    D, Hn, B = int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 6))
    return {"x": rng.standard_normal((D, B)), "h_prev": np.tanh(rng.standard_normal((Hn, B))),
            "c_prev": rng.standard_normal((Hn, B)), "Wx": rng.standard_normal((4 * Hn, D)) / np.sqrt(D),
            "Wh": rng.standard_normal((4 * Hn, Hn)) / np.sqrt(Hn), "b": 0.1 * rng.standard_normal((4 * Hn, 1))}


def kmeans_case(seed: int) -> Inputs:
    rng = _rng("kmeans", seed)
    N, D, K = int(rng.integers(10, 61)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    centres = 3.0 * rng.standard_normal((K, D))
    X = centres[rng.integers(0, K, size=N)] + rng.standard_normal((N, D))
    C = X[rng.choice(N, size=K, replace=False)] + 0.1 * rng.standard_normal((K, D))  # started at points, moved a little
    return {"X": X, "C": C}


def lrCostFunction_case(seed: int) -> Inputs:  # noqa: N802 (named after its routine)
    rng = _rng("lrCostFunction", seed)
    m, n = int(rng.integers(5, 51)), int(rng.integers(2, 7))
    X = np.hstack([np.ones((m, 1)), rng.standard_normal((m, n - 1))])
    return {"theta": 0.5 * rng.standard_normal((n, 1)), "X": X, "y": (rng.random((m, 1)) < 0.5).astype(float),
            "lambda_": [0.0, 0.1, 1.0, 3.0][seed % 4]}


def nnCostFunction_case(seed: int) -> Inputs:  # noqa: N802 (named after its routine)
    rng = _rng("nnCostFunction", seed)
    n, h, K, m = int(rng.integers(2, 9)), int(rng.integers(2, 7)), int(rng.integers(2, 6)), int(rng.integers(3, 21))
    size = h * (n + 1) + K * (h + 1)
    return {"nn_params": 0.5 * rng.standard_normal((size, 1)), "input_layer_size": n, "hidden_layer_size": h,
            "num_labels": K, "X": rng.standard_normal((m, n)), "y": rng.integers(1, K + 1, size=(m, 1)).astype(float),
            "lambda_": [0.0, 0.1, 1.0, 3.0][seed % 4]}


def im2col_conv_case(seed: int) -> Inputs:
    rng = _rng("im2col_conv", seed)
    H, W = int(rng.integers(3, 13)), int(rng.integers(3, 13))
    kh, kw = int(rng.integers(1, min(H, 4) + 1)), int(rng.integers(1, min(W, 4) + 1))
    return {"X": rng.standard_normal((H, W)), "K": rng.standard_normal((kh, kw))}


def adam_update_case(seed: int) -> Inputs:
    rng = _rng("adam_update", seed)
    r, c = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    g = rng.standard_normal((r, c))
    return {"theta": rng.standard_normal((r, c)), "g": g, "m": 0.1 * rng.standard_normal((r, c)),
            "v": 0.01 * rng.random((r, c)), "alpha": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
            "t": int(rng.integers(1, 101))}


def standardize_clip_case(seed: int) -> Inputs:
    rng = _rng("standardize_clip", seed)
    N, D, n = int(rng.integers(2, 31)), int(rng.integers(1, 9)), int(rng.integers(1, 21))
    g = rng.standard_normal((n, 1))
    return {"X": 3.0 * rng.standard_normal((N, D)) + rng.standard_normal((1, D)), "g": g,
            "maxnorm": float(np.linalg.norm(g)) * [0.5, 2.0][seed % 2]}  # clipped on even seeds, not on odd ones


def rnn_forward_case(seed: int) -> Inputs:
    rng = _rng("rnn_forward", seed)
    D, Hn, T = int(rng.integers(1, 7)), int(rng.integers(1, 9)), int(rng.integers(1, 13))
    return {"X": rng.standard_normal((D, T)), "h0": np.tanh(rng.standard_normal((Hn, 1))),
            "Wx": rng.standard_normal((Hn, D)) / np.sqrt(D), "Wh": rng.standard_normal((Hn, Hn)) / np.sqrt(Hn),
            "b": 0.1 * rng.standard_normal((Hn, 1))}


def smooth_conv1d_case(seed: int) -> Inputs:
    rng = _rng("smooth_conv1d", seed)
    n = int(rng.integers(1, 41))
    m = 2 * int(rng.integers(0, (n - 1) // 2 + 1)) + 1  # odd, at most n
    return {"x": rng.standard_normal((n, 1)), "k": rng.random((m, 1)) / m}


ROUTINES: list[Routine] = [
    Routine("softmax_xent", softmax_xent_case,
            "softmax with cross-entropy: column max with keepdims, labels by astype(int), fancy-index write of one-hots"),
    Routine("logsumexp", logsumexp_case, "a stable log-sum-exp: max, exp, sum, log along an axis"),
    Routine("layer_norm", layer_norm_case, "layer norm: mean and np.var along rows, sqrt, scale and shift"),
    Routine("batchnorm_forward", batchnorm_forward_case,
            "batch norm forward, staged: mean, squares, sum / N, sqrt, reciprocal"),
    Routine("batchnorm_backward", batchnorm_backward_case,
            "batch norm backward, staged: column sums, products, ones(...) / N"),
    Routine("conv2d_forward", conv2d_forward_case,
            "conv2(X, rot90(K, 2), 'valid') as scipy.signal.convolve2d, per filter into a preallocated 3-D array, ReLU"),
    Routine("conv2d_backward", conv2d_backward_case,
            "conv2 backward as correlate2d 'valid' and convolve2d 'full', += accumulation, slice writes"),
    Routine("maxpool", maxpool_case,
            "2x2 max pooling and its argmax backward: loops, ravel(order='F'), argmax, unravel_index, item writes"),
    Routine("lstm_step", lstm_step_case, "an LSTM cell step: stacked products, row slices, sigmoid, tanh"),
    Routine("kmeans", kmeans_case,
            "k-means assignment and update: expanded distances, min/argmin, boolean row selection, per-cluster mean writes"),
    Routine("lrCostFunction", lrCostFunction_case,
            "course-style logistic regression: y.astype(int), lambda as lambda_, temp[0] = 0, reshape order='F'"),
    Routine("nnCostFunction", nnCostFunction_case,
            "course-style two-layer classifier: order='F' reshapes, y.astype(int), per-example loop with +=, "
            "slice assignment of the regularisation"),
    Routine("im2col_conv", im2col_conv_case,
            "im2col: window columns written by ravel(order='F'), K(:)' @ cols, reshape order='F'"),
    Routine("adam_update", adam_update_case, "an Adam step: powers of an int step count, sqrt, division"),
    Routine("standardize_clip", standardize_clip_case,
            "column z-scores with np.std(ddof=1), gradient clipping by np.linalg.norm and Python's min"),
    Routine("rnn_forward", rnn_forward_case,
            "a vanilla RNN over a sequence: a preallocated H filled column by column in a loop"),
    Routine("smooth_conv1d", smooth_conv1d_case, "MATLAB conv(x, k, 'same') as np.convolve(mode='same')"),
]


def routine(name: str) -> Routine:
    """The routine called ``name``."""
    for r in ROUTINES:
        if r.name == name:
            return r
    raise KeyError(f"no corpus routine {name!r}; expected one of {', '.join(r.name for r in ROUTINES)}.")


def corpus_cases(seeds: range | list[int] = SEEDS) -> list[tuple[str, Callable[..., dict[str, Any]], Inputs]]:
    """(routine name, twin, inputs keyed as the twin takes them) for every routine and seed.

    For benchmarks/bench_tracked.py: time ``twin(**inputs)`` against ``track(twin, inputs)``.
    """
    return [(r.name, r.twin(), case) for r in ROUTINES for case in r.cases(seeds)]
