"""The everyday and convolution rules against Octave, as ports use them: MATLAB's ``conv``, ``conv2``, ``filter2``,
``std``/``var`` (N - 1), ``cumsum``, ``cumprod``, ``prod``, ``diff``, ``norm``, ``kron``, ``sort``, ``sign``,
``hypot``, ``atan2``, ``log2``/``log10``, ``sin``/``cos`` and ``single`` beside their NumPy twins, compared with the
automatic tolerance: each pair passes, and a slip of 1e-9 relative in one operand is caught on the NumPy side and on
the MATLAB side alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.signal

from dlparity import check_parity

RNG_SEED = 23  # any seed: generic inputs

Pair = tuple[str, Any, dict[str, np.ndarray]]


def _inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    return {"a": rng.uniform(0.5, 2.0, (1, 9)), "k": rng.uniform(-1.0, 1.0, (1, 3)), "A": rng.uniform(-1, 1, (6, 5)),
            "K": rng.uniform(-1, 1, (3, 3)), "X": rng.uniform(0.5, 2.0, (5, 3))}


# MATLAB statement (``SLIP`` marks where the slipped version multiplies by 1 + 1e-9) -> NumPy twin (slip as s)
PAIRS: dict[str, tuple[str, Any, list[str]]] = {
    "conv": ("c = conv(a, k SLIP);", lambda a, k, s: {"c": np.convolve(a[0], k[0] * s)[None, :]}, ["a", "k"]),
    "conv2 same": ("C = conv2(A, K SLIP, 'same');",  # an odd kernel: MATLAB's and SciPy's 'same' centre alike
                   lambda A, K, s: {"C": scipy.signal.convolve2d(A, K * s, "same")}, ["A", "K"]),
    "filter2 valid": ("F = filter2(K SLIP, A, 'valid');",  # filter2 is a correlation: correlate2d
                      lambda A, K, s: {"F": scipy.signal.correlate2d(A, K * s, "valid")}, ["A", "K"]),
    "std var": ("s = std(X SLIP); v = var(X);",  # MATLAB's std and var are N - 1 along the first dimension
                lambda X, s: {"s": np.std(X * s, axis=0, ddof=1, keepdims=True),
                              "v": np.var(X, axis=0, ddof=1, keepdims=True)}, ["X"]),
    "prefix and products": ("c = cumsum(X SLIP); p = cumprod(X); q = prod(X); d = diff(X);",
                            lambda X, s: {"c": np.cumsum(X * s, axis=0), "p": np.cumprod(X, axis=0),
                                          "q": np.prod(X, axis=0, keepdims=True), "d": np.diff(X, axis=0)}, ["X"]),
    "norms and kron": ("n = norm(a SLIP); n1 = norm(A, 1); f = norm(A, 'fro'); R = kron(K, X);",
                       lambda a, A, K, X, s: {"n": np.linalg.norm(a * s), "n1": np.linalg.norm(A, 1),
                                              "f": np.linalg.norm(A, "fro"), "R": np.kron(K, X)}, ["a", "A", "K", "X"]),
    "sort and elementwise": ("S = sort(A SLIP); g = sign(A); h = hypot(A, K(1)); t = atan2(A, X(1) + 2); "
                             "l = log2(X) + log10(X); w = sin(A) .* cos(A);",
                             lambda A, X, K, s: {"S": np.sort(A * s, axis=0), "g": np.sign(A), "h": np.hypot(A, K[0, 0]),
                                                 "t": np.arctan2(A, X[0, 0] + 2), "l": np.log2(X) + np.log10(X),
                                                 "w": np.sin(A) * np.cos(A)}, ["A", "X", "K"]),
    "single": ("y = single(A) * 3 + single(A) .^ 2 SLIP;",
               lambda A, s: {"y": A.astype(np.float32) * 3 + A.astype(np.float32) ** 2 * np.float32(s)}, ["A"]),
}


def _script(tmp_path: Path, name: str, statement: str) -> Path:
    path = tmp_path / f"{name}.m"
    path.write_text(statement + "\n", encoding="utf-8")
    return path


@pytest.mark.octave
@pytest.mark.parametrize("name", list(PAIRS))
def test_everyday_pair_passes_and_a_slip_on_either_side_is_caught(live_octave: Any, tmp_path: Path,
                                                                  name: str) -> None:
    statement, twin, used = PAIRS[name]
    inputs = {k: v for k, v in _inputs().items() if k in used}
    slip = 1.0 + 1e-9 if name != "single" else 1.0 + 1e-5  # single's own roundings are some 6e-8 each
    good_m = _script(tmp_path, "good", statement.replace(" SLIP", ""))
    if name == "single":
        slipped_m = _script(tmp_path, "slipped", statement.replace(" SLIP", " * single(1 + 1e-5)"))
    else:
        slipped_m = _script(tmp_path, "slipped", statement.replace(" SLIP", " * (1 + 1e-9)"))

    def numpy_twin(**kw: Any) -> dict[str, Any]:
        return twin(**kw, s=1.0)

    def slipped_twin(**kw: Any) -> dict[str, Any]:
        return twin(**kw, s=slip)

    result = check_parity(good_m, numpy_twin, inputs, bridge=live_octave)
    assert result.ok, f"{name}: the pair fails with the automatic tolerance\n{result.table()}"
    assert set(result.tolerance_from.values()) == {"derived"}, result.tolerance_from
    numpy_side = check_parity(good_m, slipped_twin, inputs, bridge=live_octave)
    assert not numpy_side.ok, f"{name}: a 1e-9 slip in the NumPy twin passed\n{numpy_side.table()}"
    matlab_side = check_parity(slipped_m, numpy_twin, inputs, bridge=live_octave)
    assert not matlab_side.ok, f"{name}: a 1e-9 slip in the MATLAB code passed\n{matlab_side.table()}"


@pytest.mark.octave
def test_single_differences_are_counted_in_singles_ulps(live_octave: Any, tmp_path: Path) -> None:
    """Both sides single: the report's ULP column counts float32 steps (a 1e-5 slip is some 10^2 of them), not the
    2^29 doubles between two neighbouring singles (found by review R2: a 2-ULP single difference showed 1073741824)."""
    statement, twin, _ = PAIRS["single"]
    A = _inputs()["A"]
    result = check_parity(_script(tmp_path, "good", statement.replace(" SLIP", "")), lambda A: twin(A, s=1.0 + 1e-5),
                          {"A": A}, bridge=live_octave)
    (report,) = result.reports
    octave_y = (A.astype(np.float32) * 3 + A.astype(np.float32) ** 2).astype(np.float32)  # Octave's y, as NumPy computes it
    numpy_y = twin(A, s=1.0 + 1e-5)["y"]
    steps = np.abs(octave_y.view(np.int32).astype(np.int64) - numpy_y.view(np.int32).astype(np.int64))  # same signs here
    assert not result.ok and report.max_ulp == int(steps.max()) and 10 < report.max_ulp < 10**4, report.max_ulp
