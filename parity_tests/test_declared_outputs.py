"""A function file's declared outputs are its contract: a twin that leaves one out is a MISMATCH, not a pass.

A script's other variables may be left out of the twin (listed as only in MATLAB); ``[J, grad] = cost(...)`` with
a twin returning only ``J`` used to pass with ``grad`` listed as "only in MATLAB" (found by review R1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity import assert_parity, check_parity

MATLAB = """function [J, grad] = cost(theta, X, y)
  m = size(X, 1);
  h = X * theta;
  J = sum((h - y) .^ 2) / (2 * m);
  grad = X' * (h - y) / m;
end
"""
TWIN = """import numpy as np

def cost(theta, X, y):
    m = X.shape[0]
    h = X @ theta
    J = np.sum((h - y) ** 2, axis=0, keepdims=True) / (2 * m)
    grad = X.T @ (h - y) / m
    return {"J": J, "grad": grad}
"""


def case(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"theta": rng.standard_normal((3, 1)), "X": rng.standard_normal((8, 3)), "y": rng.standard_normal((8, 1))}


@pytest.mark.octave
def test_a_declared_output_the_twin_leaves_out_is_a_mismatch(octave: Any, tmp_path: Path) -> None:
    (tmp_path / "cost.m").write_text(MATLAB, encoding="utf-8")
    (tmp_path / "whole.py").write_text(TWIN, encoding="utf-8")
    (tmp_path / "partial.py").write_text(TWIN.replace('{"J": J, "grad": grad}', '{"J": J}'), encoding="utf-8")
    cases = [case(s) for s in range(2)]
    assert_parity(tmp_path / "cost.m", f"{tmp_path / 'whole.py'}:cost", cases, bridge=octave)
    result = check_parity(tmp_path / "cost.m", f"{tmp_path / 'partial.py'}:cost", cases, bridge=octave)
    assert not result.ok
    assert [(d.path, d.kind) for d in result.differences][:1] == [("grad", "structure")]
    assert "cost.m declares, and the twin does not return it" in result.differences[0].reason
    assert "grad" not in result.matlab_only
    assert all(r.ok for r in result.reports)  # J, which both return, still matches
