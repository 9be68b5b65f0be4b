"""A twin that writes into its inputs in place (``x -= y``) is a correct port of ``x = x - y``.

The plain run, the tracked run and Octave must each see the inputs as given: when the plain run's update
leaked into the tracked run, the bound was that of ``sum(x - 2y)`` (tiny, as x is about 2y here) and the
correct port was a MISMATCH at 6.3e8 times its tolerance (found by the corpus, docs/corpus.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity import check_parity

SCRIPT = "x = x - y;\ns = sum(x);\n"
TWIN = '''import numpy as np

def in_place(x, y):
    x -= y
    s = np.sum(x, axis=0, keepdims=True)
    return {"x": x, "s": s}
'''


def case(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((4000, 1))
    return {"x": 2 * y + 1e-13 * rng.standard_normal((4000, 1)), "y": y}


@pytest.mark.octave
def test_in_place_twin_is_checked_on_the_inputs_as_given(octave: Any, tmp_path: Path) -> None:
    (tmp_path / "in_place.m").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "in_place.py").write_text(TWIN, encoding="utf-8")
    cases = [case(s) for s in range(3)]
    given = [{k: v.copy() for k, v in c.items()} for c in cases]
    result = check_parity(tmp_path / "in_place.m", f"{tmp_path / 'in_place.py'}:in_place", cases, bridge=octave)
    assert result.ok, result.table()
    assert set(result.tolerance_from.values()) == {"derived"}
    for c, g in zip(cases, given, strict=True):  # the caller's arrays are untouched
        assert all(np.array_equal(c[k], g[k]) for k in g)
    # and the check still bites: the same twin with x += y is caught at x and s
    (tmp_path / "slipped.py").write_text(TWIN.replace("x -= y", "x += y"), encoding="utf-8")
    slipped = check_parity(tmp_path / "in_place.m", f"{tmp_path / 'slipped.py'}:in_place", cases, bridge=octave)
    assert sorted({r.name for r in slipped.reports if not r.ok}) == ["s", "x"]
