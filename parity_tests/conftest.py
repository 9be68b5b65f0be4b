"""Shared fixtures. Parity tests talk to a real GNU Octave through one session per pytest process.

The ``octave`` fixture and the end-of-run bound line come from dlparity's own pytest plugin
(``dlparity/pytest_plugin.py``, registered by installing the package), as for any user's suite:
where Octave is missing the tests skip with the reason; with DLPARITY_REQUIRE_OCTAVE=1 (CI sets
it) a missing Octave is a failure instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from dlparity.bridge import OctaveBridge


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
