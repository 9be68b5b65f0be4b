"""The dlparity pytest plugin: an ``octave`` fixture, ``assert_parity`` in any test, and an end-of-run bound line.

Installing the package registers it (entry point ``pytest11``), so a project's own suite can
write::

    from dlparity import assert_parity

    def test_my_port(octave):
        assert_parity("my_routine.m", my_port.my_routine, {"X": X, "w": w}, bridge=octave)

On a mismatch the failure message is the side-by-side table, ending with the first diverging
variable and its MATLAB and Python lines. At the end of the run pytest prints the largest
observed |difference| / tolerance over the checks that passed (under pytest-xdist, over all
workers): how close correct evaluations came to their tolerance.

``octave`` starts one GNU Octave per test process (one per xdist worker) and skips the tests
that use it when Octave is missing, with the reason; with ``DLPARITY_REQUIRE_OCTAVE=1`` (CI)
a missing Octave fails them instead, so a run can never pass by skipping.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest

from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.pair import OBSERVERS, ParityResult

_REPORTS = pytest.StashKey[list[Any]]()
_WORKER_PARTS = pytest.StashKey[list[Any]]()
_OBSERVER = pytest.StashKey[Any]()
_KEY = "dlparity_bound_ratio"


def pytest_configure(config: pytest.Config) -> None:
    reports: list[QuantityReport] = config.stash.setdefault(_REPORTS, [])

    def observe(result: ParityResult) -> None:
        if result.ok:  # a check that failed is reported by its test; planted bugs must not set the figure
            reports.extend(result.reports)

    config.stash[_OBSERVER] = observe
    OBSERVERS.append(observe)


def pytest_unconfigure(config: pytest.Config) -> None:
    observe = config.stash.get(_OBSERVER, None)
    if observe in OBSERVERS:
        OBSERVERS.remove(observe)


@pytest.fixture(scope="session")
def octave() -> Any:
    """The shared Octave session (:class:`dlparity.bridge.OctaveBridge`), started once per test process."""
    from dlparity.bridge import OctaveUnavailable, get_bridge  # noqa: PLC0415

    bridge = get_bridge()
    try:
        bridge.session()
    except OctaveUnavailable as exc:
        if os.environ.get("DLPARITY_REQUIRE_OCTAVE") == "1":
            pytest.fail(f"Octave is required here (DLPARITY_REQUIRE_OCTAVE=1): {exc}")
        pytest.skip(f"GNU Octave is not available: {exc}")
    return bridge


@pytest.fixture(scope="session")
def dlparity_reports(request: pytest.FixtureRequest) -> list[QuantityReport]:
    """Append :class:`~dlparity.comparison.compare.QuantityReport` objects made outside ``check_parity`` here;
    the end-of-run line counts them too (``check_parity``'s own are counted already)."""
    return request.config.stash.setdefault(_REPORTS, [])


def _summary(config: pytest.Config) -> dict[str, Any] | None:
    reports = config.stash.get(_REPORTS, [])
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
def pytest_testnodedown(node: Any, error: object) -> None:
    text = getattr(node, "workeroutput", {}).get(_KEY)
    if text:
        node.config.stash.setdefault(_WORKER_PARTS, []).append(json.loads(text))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stored: list[Any] = config.stash.get(_WORKER_PARTS, [])
    parts = list(stored)
    own = _summary(config)
    if own is not None:
        parts.append(own)
    if not parts:
        return
    worst = max(parts, key=lambda p: p["ratio"])
    terminalreporter.write_sep("-", "dlparity: rounding-error bounds")
    terminalreporter.write_line(
        f"{sum(p['count'] for p in parts)} comparisons; largest |difference| / tolerance = "
        f"{worst['ratio']:.3g} ({worst['where']}) in {worst['case']}")
