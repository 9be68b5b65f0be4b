"""Shared fixtures. Parity tests talk to a real GNU Octave through one session per pytest process.

Where Octave is missing they skip with the reason; with DLPARITY_REQUIRE_OCTAVE=1 (CI sets it)
a missing Octave is a failure instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os

import pytest

from python_impl.octave_bridge import OctaveBridge, OctaveUnavailable, get_bridge


@pytest.fixture(scope="session")
def octave_bridge() -> OctaveBridge:
    bridge = get_bridge()
    try:
        bridge.session()
    except OctaveUnavailable as exc:
        if os.environ.get("DLPARITY_REQUIRE_OCTAVE") == "1":
            pytest.fail(f"Octave is required here (DLPARITY_REQUIRE_OCTAVE=1): {exc}")
        pytest.skip(f"GNU Octave is not available: {exc}")
    return bridge


# -- the largest observed |difference| / tolerance of the run, printed at the end ---------------

_RATIOS = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def ratio_log(request: pytest.FixtureRequest) -> list:
    """Tests append QuantityReports here; the terminal summary prints the largest bound ratio."""
    return request.config.stash.setdefault(_RATIOS, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    reports = config.stash.get(_RATIOS, [])
    finite = [r for r in reports if r.bound_ratio == r.bound_ratio]
    if not finite:
        return
    worst = max(finite, key=lambda r: r.bound_ratio)
    terminalreporter.write_sep("-", "rounding-error bounds")
    terminalreporter.write_line(
        f"{len(reports)} comparisons; largest |difference| / tolerance = {worst.bound_ratio:.3g} "
        f"({worst.form} {worst.name}, {worst.gold_label} vs {worst.mine_label}, {worst.max_ulp} ulp) in {worst.case}")
