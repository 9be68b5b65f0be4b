"""The package works installed as a wheel, not only from the checkout: matlab_ref ships inside it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True)
    (path,) = out.glob("dlparity-*.whl")
    return path


def test_wheel_carries_matlab_ref_byte_for_byte(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for m_file in sorted((ROOT / "matlab_ref").glob("*.m")):
            inside = f"dlparity/matlab_ref/{m_file.name}"
            assert inside in names, f"{inside} is missing from {wheel.name}"
            assert zf.read(inside) == m_file.read_bytes(), f"{inside} differs from matlab_ref/{m_file.name}"
        assert any(n.endswith("entry_points.txt") and b"dlparity = dlparity.cli.main:main" in zf.read(n) for n in names)
        entry_points = next(zf.read(n) for n in names if n.endswith("entry_points.txt"))
        assert b"[pytest11]" in entry_points and b"dlparity = dlparity.pytest_plugin" in entry_points
        # the pair mode's Octave runner and the stored Octave results travel with the code
        assert "dlparity/mfiles/dlparity_run_mfile.m" in names
        for part in ("section1", "training"):
            for suffix in (".npz", ".json"):
                inside = f"dlparity/reference/{part}{suffix}"
                assert inside in names, f"{inside} is missing from {wheel.name}"
                assert zf.read(inside) == (ROOT / inside).read_bytes()


def test_wheel_carries_the_license_and_upstreams_notice(wheel: Path) -> None:
    """MIT for dlparity, and upstream's MIT notice for the MATLAB matlab_ref/ keeps verbatim, byte for byte."""
    with zipfile.ZipFile(wheel) as zf:
        for name in ("LICENSE", "NOTICE"):
            inside = [n for n in zf.namelist() if n.endswith(f".dist-info/licenses/{name}")]
            assert inside, f"{name} is missing from {wheel.name}"
            assert zf.read(inside[0]) == (ROOT / name).read_bytes(), f"{inside[0]} differs from {name}"
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    assert "kapshaul/DeepLearning" in notice and "Copyright (c) 2024 Yong" in notice and "MIT License" in notice
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.octave
def test_installed_wheel_runs_compare(wheel: Path, tmp_path: Path, octave_bridge: object) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import json, dlparity.bridge as b, dlparity.cli.main as c; "
            "print(json.dumps(str(b.matlab_ref_dir()))); raise SystemExit(c.main(['compare', '--json']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    first, rest = proc.stdout.split("\n", 1)
    assert json.loads(first) == str(site / "dlparity" / "matlab_ref")
    assert json.loads(rest)["ok"] is True
    assert not (tmp_path / "octave-workspace").exists()
