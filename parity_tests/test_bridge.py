"""The Octave bridge: errors carry Octave's words, a dead Octave is restarted once, nothing is left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from dlparity.blocks import OUTPUTS
from dlparity.bridge import OctaveBridge, OctaveError, OctaveUnavailable, matlab_ref_dir
from dlparity.cases import draw_case
from dlparity.comparison.section1 import evaluate


def test_missing_octave_is_one_sentence_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCTAVE_EXECUTABLE", "/nonexistent/octave-cli")
    with pytest.raises(OctaveUnavailable) as info:
        OctaveBridge().session()
    message = str(info.value)
    assert "OCTAVE_EXECUTABLE='/nonexistent/octave-cli'" in message
    assert "apt-get install -y --no-install-recommends octave" in message
    assert "\n" not in message


def test_matlab_ref_is_found() -> None:
    assert (matlab_ref_dir() / "backprop.m").is_file()


@pytest.mark.octave
def test_octave_error_carries_octaves_message(octave_bridge: Any) -> None:
    with pytest.raises(OctaveError, match=r"Octave failed in error: .*boom 3"):
        octave_bridge.call("error", "dlparity:test", "boom %d", 3.0, nout=0)


@pytest.mark.octave
def test_octave_works_in_a_private_folder(octave_bridge: Any) -> None:
    assert octave_bridge.call("pwd") == octave_bridge.workdir()
    assert octave_bridge.call("crash_dumps_octave_core") is False or octave_bridge.call("crash_dumps_octave_core") == 0


def one_case_runs(bridge: Any) -> None:
    """One case through the (restarted) bridge: every quantity within its bound of NumPy's.

    Run through :func:`dlparity.comparison.section1.evaluate`, the parity check itself, so the
    tolerance is the derived one (2 x the rounding-error bound, docs/error-bounds.md), not a guess.
    """
    case = draw_case(11, (3, 4, 2), 10, 4, 5, "after a restart")
    (result,) = evaluate([case], ("backprop",), bridge=bridge)
    reports = [r for r in result.reports() if r.form == "backprop"]
    assert len(reports) == len(OUTPUTS["backprop"]), [r.name for r in reports]
    bad = [r.message() for r in reports if not r.ok]
    assert not bad, f"the restarted Octave disagrees with NumPy: {bad[0]}"


@pytest.mark.octave
def test_killed_octave_is_restarted_with_its_path(octave_bridge: Any) -> None:
    old = octave_bridge.pid()
    os.kill(old, signal.SIGKILL)
    one_case_runs(octave_bridge)  # restarted, matlab_ref back on the path
    assert octave_bridge.pid() != old
    assert octave_bridge.call("pwd") == octave_bridge.workdir()


@pytest.mark.octave
def test_octave_dying_twice_is_a_clear_error(octave_bridge: Any) -> None:
    with pytest.raises(OctaveError, match="Octave died twice while running exit, even after a restart"):
        octave_bridge.call("exit", 3.0, nout=0)
    one_case_runs(octave_bridge)  # and the next call starts a fresh Octave


@pytest.mark.octave
def test_timeout_interrupts(octave_bridge: Any) -> None:
    bridge = OctaveBridge()  # its own session: the shared one keeps its timeout
    try:
        bridge.call("ones", 1.0)  # started under the default limit: on a loaded machine a start can take over 1 s
        bridge.timeout = 1.0
        with pytest.raises(OctaveError, match=r"did not finish pause within the 1 s timeout"):
            bridge.call("pause", 30.0, nout=0)
    finally:
        bridge.close()


@pytest.mark.octave
def test_no_octave_workspace_left_behind(octave_bridge: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    bridge = OctaveBridge()
    bridge.call("ones", 2.0)
    os.kill(bridge.pid(), signal.SIGTERM)  # a crash signal: Octave would dump octave-workspace into its cwd
    bridge.call("ones", 2.0)
    workdir = bridge.workdir()
    bridge.close()
    assert not (tmp_path / "octave-workspace").exists()
    assert workdir is not None and not Path(workdir).exists(), "the private folder was not removed"


@pytest.mark.octave
def test_octave_gets_one_blas_thread_without_touching_our_environment(octave_bridge: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset here: Octave gets OCTAVE_ENV's value and this process still has none. Set by the user: theirs wins.

    A bridge of its own (the shared one started long ago, in whatever environment the run had),
    started with one variable of OCTAVE_ENV unset and the other set to a value OCTAVE_ENV never uses.
    """
    from dlparity.bridge import OCTAVE_ENV  # noqa: PLC0415

    unset, user_set = sorted(OCTAVE_ENV)[:2]
    users_value = "3"
    assert OCTAVE_ENV[user_set] != users_value
    monkeypatch.delenv(unset, raising=False)
    monkeypatch.setenv(user_set, users_value)
    bridge = OctaveBridge()
    try:
        assert bridge.call("getenv", unset) == OCTAVE_ENV[unset], f"Octave's {unset} (unset here)"
        assert bridge.call("getenv", user_set) == users_value, f"Octave's {user_set}: the user's setting must win"
    finally:
        bridge.close()
    assert unset not in os.environ, f"{unset} leaked into this process's environment"
    assert os.environ[user_set] == users_value, f"{user_set} was changed in this process's environment"
