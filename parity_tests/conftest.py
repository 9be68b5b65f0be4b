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
