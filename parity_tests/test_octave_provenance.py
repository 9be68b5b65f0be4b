"""The numbers labelled Octave's come from the Octave process: change the MATLAB, and they change.

test_planted_bugs.py plants bugs in the NumPy port; here the same bugs are planted on the MATLAB
side, and must be caught the same way, naming the same quantity. Each plant is a modified copy of
one ``.m`` file written to a temporary folder that is put first on the path of an Octave session
of this module's own (``OctaveBridge()``), so the real ``matlab_ref/`` files are never touched and
the shared session's path stays clean. Then an Octave whose arithmetic is made wrong in a
controlled way (a ``ReLU.m`` that scales its result by 1 + 2^-46, about 64 u) must be a mismatch,
while an unmodified copy of the same file in the same place must not: the shadowing alone
changes nothing. A bridge that still ran Octave but handed back NumPy's own values would pass
none of these tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlparity.bridge import OctaveBridge, matlab_ref_dir
from dlparity.cases import Case, draw_case, zero_preactivation_case
from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.section1 import evaluate

pytestmark = pytest.mark.octave

# the same cases as test_planted_bugs.py: h1 == h2 so that a dropped transpose of W2 keeps its shape
CASES: list[Case] = [draw_case(777 + k, (4, 6, 6), 30, 8, 1 + 3 * k, "square hidden layers") for k in range(8)]
CASES += [zero_preactivation_case(900 + k, sizes=(4, 6, 6)) for k in range(4)]


@pytest.fixture(scope="module")
def own_octave(octave_bridge: OctaveBridge) -> Iterator[OctaveBridge]:
    """An Octave session for this module alone (``octave_bridge`` first: it skips or fails where Octave is missing)."""
    bridge = OctaveBridge()
    try:
        yield bridge
    finally:
        bridge.close()


def planted_copy(folder: Path, name: str, old: str, new: str) -> Path:
    """A copy of ``matlab_ref/<name>`` in ``folder`` with ``old`` (which must occur once) replaced by ``new``."""
    text = (matlab_ref_dir() / name).read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path = folder / name
    path.write_text(text.replace(old, new))
    return path


def reports_with(bridge: OctaveBridge, folder: Path, forms: tuple[str, ...]) -> list[QuantityReport]:
    """Octave vs NumPy on CASES with ``folder`` first on Octave's path (removed again afterwards)."""
    bridge.call("addpath", folder.as_posix(), nout=0)  # addpath puts it in front of matlab_ref
    try:
        bridge.call("rehash", nout=0)
        for planted in folder.glob("*.m"):  # Octave resolves each planted name to the copy
            resolved = Path(bridge.call("which", planted.stem))
            assert resolved == planted, f"Octave's {planted.stem} is {resolved}, not the planted {planted}"
        results = evaluate(CASES, forms, bridge=bridge)  # type: ignore[arg-type]
    finally:
        bridge.call("rmpath", folder.as_posix(), nout=0)
        bridge.call("rehash", nout=0)
    return [r for result in results for r in result.reports() if r.form != "manual-vs-backprop"]


def failures(reports: list[QuantityReport]) -> list[str]:
    return [r.message() for r in reports if not r.ok]


def test_relu_deriv_ge_in_octave_is_caught_on_exact_zeros(own_octave: OctaveBridge, tmp_path: Path) -> None:
    planted_copy(tmp_path, "ReLU_deriv.m", "d = z > 0;", "d = z >= 0;")
    found = failures(reports_with(own_octave, tmp_path, ("backprop", "manual")))
    assert found, "a ReLU_deriv.m of z >= 0 on Octave's path went unnoticed"
    assert all("zero pre-activations" in f for f in found), found[:3]
    assert any(f.startswith("backprop delta") for f in found), found[:3]
    assert any(f.startswith("manual dW") for f in found), found[:3]


def test_missing_transpose_in_octave_is_caught(own_octave: OctaveBridge, tmp_path: Path) -> None:
    planted_copy(tmp_path, "backprop.m", "delta1 = (W2' * delta2)", "delta1 = (W2 * delta2)")
    found = failures(reports_with(own_octave, tmp_path, ("backprop",)))
    assert found, "W2 * delta2 instead of W2' * delta2 in Octave's backprop.m went unnoticed"
    assert found[0].startswith("backprop delta1"), found[0]
    assert "seed=777" in found[0] and "sizes d,h1,h2=4,6,6" in found[0], found[0]


def test_wrong_scale_in_octave_is_caught_and_is_octaves(own_octave: OctaveBridge, tmp_path: Path) -> None:
    """1/batch_size in Octave's dW3 line: only dW3 differs, and it is Octave's value that is halved."""
    planted_copy(tmp_path, "manual_gradients.m", "dW3 = 2/batch_size * (error)", "dW3 = 1/batch_size * (error)")
    reports = reports_with(own_octave, tmp_path, ("manual",))
    found = failures(reports)
    assert found, "1/batch_size instead of 2/batch_size in Octave's manual_gradients.m went unnoticed"
    assert all(f.startswith("manual dW3") for f in found), found[:3]
    for r in reports:
        if r.name == "dW3" and not r.ok:
            # the halving is on the Octave side: 2 x octave equals numpy to within rounding (1e-12 relative
            # is ~10,000 u, far above the few u of two evaluations and far below the factor 2 of the bug)
            assert abs(2 * r.gold_sample - r.mine_sample) <= 1e-12 * abs(r.mine_sample), r.message()


def relu_scaled(folder: Path, factor: str) -> None:
    planted_copy(folder, "ReLU.m", "a = max(0, z);", f"a = max(0, z){factor};")


def test_octave_arithmetic_off_by_64_u_is_a_mismatch(own_octave: OctaveBridge, tmp_path: Path) -> None:
    """Octave's ReLU scaled by 1 + 2^-46: a1 is the first quantity flagged, everything before it still agrees.

    2^-46 = 64 u relative. a1's tolerance is 2 gamma_{d+1} (|W1||x| + |b1|), at least (d + 1) 2u = 10 u
    relative to |z1| where z1 does not cancel (d = 4): so the change is over 6 times the tolerance
    on most positive entries, while x, y_true and z1, computed before ReLU, are untouched.
    """
    relu_scaled(tmp_path, " * (1 + 2^-46)")
    reports = reports_with(own_octave, tmp_path, ("backprop", "manual"))
    found = failures(reports)
    assert found, "an Octave whose ReLU is off by 64 u went unnoticed"
    backprop = [r for r in reports if r.form == "backprop"]
    first = next(r for r in backprop if not r.ok)
    assert first.name == "a1", f"expected a1 to be flagged first, got {first.message()}"
    assert all(r.ok for r in backprop if r.name in ("x", "y_true", "z1")), found[:3]
    assert any(f.startswith("manual y_pred") for f in found), found[:3]
    # the octave side is the scaled one: its sample is numpy's times (1 + 2^-46), to within rounding
    assert re.search(r"octave=\S+ numpy=\S+", first.message())
    assert abs(first.gold_sample / first.mine_sample - (1 + 2.0**-46)) < 2.0**-48, first.message()


def test_an_unmodified_copy_on_the_path_changes_nothing(own_octave: OctaveBridge, tmp_path: Path) -> None:
    """The control: the same shadowing, with ReLU.m copied unchanged, agrees everywhere."""
    relu_scaled(tmp_path, "")
    found = failures(reports_with(own_octave, tmp_path, ("backprop", "manual")))
    assert not found, f"an unmodified ReLU.m copy on the path gave mismatches: {found[:3]}"


def test_the_planted_folder_is_gone_from_octaves_path(own_octave: OctaveBridge, tmp_path: Path) -> None:
    """After a plant, the session's ReLU is matlab_ref's again (the shared session never saw the folder)."""
    relu_scaled(tmp_path, " * 2")
    reports_with(own_octave, tmp_path, ("backprop",))
    assert Path(own_octave.call("which", "ReLU")).parent == matlab_ref_dir()
