"""One operation the tracker has no rule for no longer costs the whole check (issue 17 item 3, the report side).

The twin below solves a linear system with ``np.linalg.solve``, which the tracker has no rule for:
``x`` (and what is computed from it) is untracked, while ``r`` keeps its derived tolerance. Without
a fallback tolerance the untracked variables are listed as not checked and the verdict is not a
pass (``status`` "not checked", exit 5 on the command line); with ``fallback_rtol``/``fallback_atol``
they are compared against it, and the report says per variable "derived" or "fallback (REASON)".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NoOctave, dlparity_process

from dlparity import InputError, assert_parity, check_parity

MATLAB = """function [r, x, s] = solved(A, b)
  r = A * b + 1;
  x = A \\ b;
  s = 2 * x;
end
"""

TWIN = """import numpy as np


def solved(A, b):
    r = A @ b + 1
    x = np.linalg.solve(A, b)
    s = 2 * x
    return {"r": r, "x": x, "s": s}
"""

#: What the tracker names as the cause: the operation and the twin's line (line 6 of solved.py).
REASON = "at solved.py:6"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "solved.m").write_text(MATLAB, encoding="utf-8")
    (tmp_path / "solved.py").write_text(TWIN, encoding="utf-8")
    return tmp_path / "solved.m", tmp_path / "solved.py"


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((4, 4)) + 4 * np.eye(4), "b": rng.standard_normal((4, 1))}


@pytest.mark.octave
def test_without_a_fallback_the_untracked_are_not_checked_and_it_is_not_a_pass(octave: Any,
                                                                               pair: tuple[Path, Path]) -> None:
    result = check_parity(pair[0], f"{pair[1]}:solved", inputs(), bridge=octave)
    assert [r.name for r in result.reports] == ["r"], "only the tracked variable may be compared"
    assert result.reports[0].ok and result.tolerance_from[("r", "1")] == "derived"
    assert set(result.not_checked) == {"x", "s"} and all(REASON in why for why in result.not_checked.values())
    assert "solve" in result.not_checked["x"], result.not_checked
    assert result.ok is False and result.status == "not checked"
    table = result.table()
    assert "not checked (the automatic tolerance cannot bound them" in table and "x, s (" in table, table
    assert table.count(result.not_checked["x"]) == 1, "one reason for both is said once"
    assert table.splitlines()[-1].startswith("NOT CHECKED: 2 variables not checked (x, s)"), table
    report = result.to_json()
    assert report["ok"] is False and report["status"] == "not checked" and set(report["not_checked"]) == {"x", "s"}
    assert [q["tolerance_from"] for q in report["quantities"]] == ["derived"]
    with pytest.raises(AssertionError, match="NOT CHECKED"):
        assert_parity(pair[0], f"{pair[1]}:solved", inputs(), bridge=octave)


@pytest.mark.octave
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_with_a_fallback_they_are_compared_and_the_report_says_which(octave: Any, pair: tuple[Path, Path],
                                                                     seed: int) -> None:
    result = check_parity(pair[0], f"{pair[1]}:solved", inputs(seed), bridge=octave, fallback_rtol=1e-12)
    assert result.ok and result.status == "match", result.table()
    assert [r.name for r in result.reports] == ["r", "x", "s"] and not result.not_checked
    assert result.tolerance_from[("r", "1")] == "derived"
    for name in ("x", "s"):
        source = result.tolerance_from[(name, "1")]
        assert source.startswith("fallback (") and "solve" in source and REASON in source, source
    rows = {line.split()[0]: line for line in result.table().splitlines() if line.split()[:1] in (["r"], ["x"])}
    assert rows["r"].rstrip().endswith("derived") and "fallback (" in rows["x"], rows
    quantities = {q["name"]: q for q in result.to_json()["quantities"]}
    assert quantities["r"]["tolerance_from"] == "derived" and quantities["x"]["tolerance_from"].startswith("fallback")
    assert result.to_json()["tolerance"]["fallback"] == {"rtol": 1e-12, "atol": 0.0}


@pytest.mark.octave
@pytest.mark.dlparity_planted
def test_a_slip_in_an_untracked_variable_is_caught_by_the_fallback(octave: Any, tmp_path: Path) -> None:
    """A planted slip in ``s`` (2.000001 for 2): the fallback catches it, and ``r`` still passes on its own bound."""
    (tmp_path / "solved.m").write_text(MATLAB, encoding="utf-8")
    (tmp_path / "slipped.py").write_text(TWIN.replace("def solved", "def slipped").replace("2 * x", "2.000001 * x"),
                                         encoding="utf-8")
    result = check_parity(tmp_path / "solved.m", f"{tmp_path / 'slipped.py'}:slipped", inputs(), bridge=octave,
                          fallback_rtol=1e-12)
    assert result.status == "mismatch" and not result.ok
    assert {r.name: r.ok for r in result.reports} == {"r": True, "x": True, "s": False}
    assert result.first_divergence is not None and result.first_divergence.name == "s"


@pytest.mark.octave
def test_a_slip_on_the_matlab_side_is_caught_too(octave: Any, tmp_path: Path) -> None:
    """The same check planted on the MATLAB side: x = A \\ b with b doubled in s, against a right twin."""
    (tmp_path / "solved.m").write_text(MATLAB.replace("s = 2 * x;", "s = 2.000001 * x;"), encoding="utf-8")
    (tmp_path / "solved.py").write_text(TWIN, encoding="utf-8")
    result = check_parity(tmp_path / "solved.m", f"{tmp_path / 'solved.py'}:solved", inputs(), bridge=octave,
                          fallback_atol=1e-12)
    assert [r.name for r in result.reports if not r.ok] == ["s"], result.table()


def test_fallback_flags_are_checked_before_anything_runs(pair: tuple[Path, Path]) -> None:
    with pytest.raises(InputError, match=r"^fallback_rtol is -1\.0; expected a finite number >= 0\.$"):
        check_parity(pair[0], f"{pair[1]}:solved", inputs(), bridge=NoOctave(), fallback_rtol=-1.0)
    with pytest.raises(InputError, match="give one or the other"):
        check_parity(pair[0], f"{pair[1]}:solved", inputs(), bridge=NoOctave(), rtol=1e-9, fallback_rtol=1e-9)


@pytest.mark.octave
def test_the_command_line_exits_5_when_variables_are_not_checked(live_octave: Any, pair: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    case = tmp_path / "case.npz"
    np.savez(case, **inputs())
    base = ["compare", "--matlab", str(pair[0]), "--python", f"{pair[1]}:solved", "--inputs", str(case)]
    unchecked = dlparity_process(*base)
    assert unchecked.returncode == 5, unchecked.stderr
    assert "NOT CHECKED: 2 variables not checked (x, s)" in unchecked.stdout
    as_json = dlparity_process(*base, "--json")
    assert as_json.returncode == 5 and json.loads(as_json.stdout)["status"] == "not checked"
    checked = dlparity_process(*base, "--fallback-rtol", "1e-12")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "fallback (" in checked.stdout
    bad = dlparity_process(*base, "--fallback-atol", "-1")
    assert bad.returncode == 2 and "--fallback-atol is '-1'" in bad.stderr
