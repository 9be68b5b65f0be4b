"""NumPy's integer results stand for MATLAB's double holding whole numbers; the values are still compared.

``[v, idx] = max(x, [], 2)`` gives a double ``idx`` in MATLAB; its natural port ``np.argmax(x, axis=1) + 1`` is
int64. That is no class difference (the corpus counted four such false alarms on correct ports: k-means' idx,
max pooling's idx, r, c); a wrong index still is a MISMATCH, and a float for MATLAB's int32 is still a class
difference.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity import check_parity

MATLAB = """function [v, idx, k] = pick(x)
  [v, idx] = max(x, [], 2);
  k = int32(idx);
end
"""
TWIN = """import numpy as np

def pick(x):
    v = np.max(x, axis=1, keepdims=True)
    idx = np.argmax(x, axis=1)[:, None] + 1
    k = idx.astype(np.int32)
    return {"v": v, "idx": idx, "k": k}
"""


def run(tmp_path: Path, octave: Any, twin: str) -> Any:
    (tmp_path / "pick.m").write_text(MATLAB, encoding="utf-8")
    (tmp_path / "twin.py").write_text(twin, encoding="utf-8")
    cases = [{"x": np.random.default_rng(s).standard_normal((5, 7))} for s in range(3)]
    return check_parity(tmp_path / "pick.m", f"{tmp_path / 'twin.py'}:pick", cases, bridge=octave)


@pytest.mark.octave
def test_int64_index_for_matlab_double_is_compared_by_value(octave: Any, tmp_path: Path) -> None:
    result = run(tmp_path, octave, TWIN)
    assert result.ok, result.table()
    assert not result.differences
    assert {r.name for r in result.reports} == {"v", "idx", "k"}


@pytest.mark.octave
def test_an_index_off_by_one_is_still_caught(octave: Any, tmp_path: Path) -> None:
    result = run(tmp_path, octave, TWIN.replace("axis=1)[:, None] + 1", "axis=1)[:, None]"))
    assert not result.ok
    assert sorted({r.name for r in result.reports if not r.ok}) == ["idx", "k"]
    first = result.first_divergence
    assert first is not None and first.name == "idx"
    assert re.search(r"at \([1-5],1\)", first.describe()), first.describe()  # MATLAB's 1-based (row,1) of a column


@pytest.mark.octave
def test_a_float_for_matlab_int32_is_still_a_class_difference(octave: Any, tmp_path: Path) -> None:
    result = run(tmp_path, octave, TWIN.replace("idx.astype(np.int32)", "idx.astype(np.float64)"))
    assert not result.ok
    assert [(d.path, d.kind) for d in result.differences][:1] == [("k", "class")], result.table()
    assert "np.int32" in result.differences[0].reason
