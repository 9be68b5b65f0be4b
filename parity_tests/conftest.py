"""Shared fixtures. Parity tests talk to a real GNU Octave through one session per pytest process.

The ``octave`` fixture and the end-of-run bound line come from dlparity's own pytest plugin
(``dlparity/pytest_plugin.py``, registered by installing the package), as for any user's suite:
where Octave is missing the tests skip with the reason; with DLPARITY_REQUIRE_OCTAVE=1 (CI sets
it) a missing Octave is a failure instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dlparity.bridge import OctaveBridge
from dlparity.cli import main as cli


def _torch_missing() -> bool:
    return importlib.util.find_spec("torch") is None


def pytest_report_header(config: pytest.Config) -> str:
    if not _torch_missing():
        return "autodiff oracles: HIPS autograd and PyTorch"
    return ("autodiff oracles: HIPS autograd (PyTorch, the optional second oracle, is not installed: its tests, "
            "marked 'oracle', are deselected; DLPARITY_ORACLE=1 bash scripts/bootstrap.sh installs it)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort): under pytest-xdist (--dist loadgroup, as scripts/test.sh runs it)
    each starts on its own worker at once, and the rest are shared out around them.

    Without PyTorch the tests of the optional second oracle are deselected, and the header says so
    (the default oracle, autograd, always runs); where it is required (DLPARITY_REQUIRE_ORACLE=1, CI)
    they stay, and fail if PyTorch is missing."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if _torch_missing() and os.environ.get("DLPARITY_REQUIRE_ORACLE") != "1":
        torch_tests = [item for item in items if item.get_closest_marker("oracle") is not None]
        if torch_tests:
            config.hook.pytest_deselected(items=torch_tests)
            items[:] = [item for item in items if item.get_closest_marker("oracle") is None]


@pytest.fixture(scope="session")
def octave_bridge(live_octave: OctaveBridge) -> OctaveBridge:
    """Live Octave (the plugin's ``live_octave``), under the name these tests have always used: they kill it,
    time it, run the command line against it, or use cases beyond the store. Tests that can run on the
    stored results take the plugin's ``octave`` fixture instead."""
    return live_octave


@pytest.fixture(scope="session")
def ratio_log(dlparity_reports: list) -> list:
    """Tests append QuantityReports here; the plugin's end-of-run line prints the largest bound ratio."""
    return dlparity_reports


# -- helpers the test files share (imported by name: ``from conftest import run_cli``) -------------------------

def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``dlparity ARGV`` in this process: (exit status, stdout, stderr)."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def dlparity_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                     timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m dlparity ARGS`` in a process of its own (``env`` added to this one's environment)."""
    return subprocess.run([sys.executable, "-m", "dlparity", *args], capture_output=True, text=True, timeout=timeout,
                          check=False, env={**os.environ, **(env or {})}, cwd=cwd)


def one_sentence(err: str, command: str = "compare") -> str:
    """The one line a failed ``dlparity COMMAND`` writes to stderr (asserted: one line, the prefix, no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dlparity {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def assert_one_sentence(message: str) -> None:
    """An error message is one sentence: one line, ending in a full stop, no second sentence."""
    assert "\n" not in message and message.endswith("."), f"not one sentence: {message!r}"
    assert message.count(". ") == 0 or "e.g." in message, f"more than one sentence: {message!r}"


class NoOctave:
    """An Octave side that fails the test if anything reaches it: bad input must be refused before Octave."""

    source = "live"

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"Octave was called ({args[:1]}) although the input was bad")

    def describe(self) -> dict[str, Any]:
        raise AssertionError("Octave was asked to describe itself although the input was bad")


@pytest.fixture
def no_octave(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad input must be rejected before anything reaches Octave: make reaching it a failure."""
    def refuse(*args: Any) -> Any:
        raise AssertionError("Octave was reached despite bad input")
    monkeypatch.setattr(cli, "octave_for_comparison", refuse)  # live Octave or the stored results: neither


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (we run as root; elsewhere the test skips with the reason)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({done.stderr.strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
