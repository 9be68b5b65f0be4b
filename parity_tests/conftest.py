"""Shared fixtures. Parity tests talk to a real GNU Octave through one session per pytest process.

Where Octave is missing they skip with the reason; with DLPARITY_REQUIRE_OCTAVE=1 (CI sets it)
a missing Octave is a failure instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import json
import math
import os

import pytest

from dlparity.bridge import OctaveBridge, OctaveUnavailable, get_bridge


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort): under pytest-xdist (--dist loadgroup, as scripts/test.sh runs it)
    each starts on its own worker at once, and the rest are shared out around them."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
# Under pytest-xdist each worker hands its worst comparison to the controller through
# ``workeroutput``; the controller's summary takes the worst of all.

_RATIOS = pytest.StashKey[list]()
_WORKER_PARTS = pytest.StashKey[list]()
_KEY = "dlparity_bound_ratio"


@pytest.fixture(scope="session")
def ratio_log(request: pytest.FixtureRequest) -> list:
    """Tests append QuantityReports here; the terminal summary prints the largest bound ratio."""
    return request.config.stash.setdefault(_RATIOS, [])


def _summary(config: pytest.Config) -> dict | None:
    reports = config.stash.get(_RATIOS, [])
    finite = [r for r in reports if not math.isnan(r.bound_ratio)]
    if not finite:
        return None
    worst = max(finite, key=lambda r: r.bound_ratio)
    return {"count": len(reports), "ratio": worst.bound_ratio,
            "where": f"{worst.form} {worst.name}, {worst.gold_label} vs {worst.mine_label}, {worst.max_ulp} ulp",
            "case": worst.case}


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)  # set on xdist workers only
    summary = _summary(session.config)
    if output is not None and summary is not None:
        output[_KEY] = json.dumps(summary)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    text = getattr(node, "workeroutput", {}).get(_KEY)
    if text:
        node.config.stash.setdefault(_WORKER_PARTS, []).append(json.loads(text))  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    parts = list(config.stash.get(_WORKER_PARTS, []))
    own = _summary(config)
    if own is not None:
        parts.append(own)
    if not parts:
        return
    worst = max(parts, key=lambda p: p["ratio"])
    terminalreporter.write_sep("-", "rounding-error bounds")
    terminalreporter.write_line(
        f"{sum(p['count'] for p in parts)} comparisons; largest |difference| / tolerance = "
        f"{worst['ratio']:.3g} ({worst['where']}) in {worst['case']}")
