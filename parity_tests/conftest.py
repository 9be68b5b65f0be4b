"""Shared fixtures. Parity tests talk to a real GNU Octave through one session per pytest process.

The ``octave`` fixture and the end-of-run bound line come from dlparity's own pytest plugin
(``dlparity/pytest_plugin.py``, registered by installing the package), as for any user's suite:
where Octave is missing the tests skip with the reason; with DLPARITY_REQUIRE_OCTAVE=1 (CI sets
it) a missing Octave is a failure instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import pytest

from dlparity.bridge import OctaveBridge


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort): under pytest-xdist (--dist loadgroup, as scripts/test.sh runs it)
    each starts on its own worker at once, and the rest are shared out around them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
