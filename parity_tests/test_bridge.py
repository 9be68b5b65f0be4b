"""The Octave bridge: errors carry Octave's words, a dead Octave is restarted once, nothing is left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlparity.blocks import run_checked
from dlparity.bridge import OctaveBridge, OctaveError, OctaveUnavailable, matlab_ref_dir
from dlparity.cases import draw_case


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
    case = draw_case(11, (3, 4, 2), 10, 4, 5)
    octave = bridge.run_cases("backprop", [case.inputs])[0]
    numpy = run_checked("backprop", case.inputs)
    assert octave["dW1"].shape == numpy["dW1"].shape == (4, 3)
    assert np.max(np.abs(octave["dW1"] - numpy["dW1"])) < 1e-12  # a sanity check that the path is restored


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
    bridge = OctaveBridge(timeout=1.0)  # its own session: the shared one keeps its timeout
    try:
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
def test_octave_gets_one_blas_thread_without_touching_our_environment(octave_bridge: Any) -> None:
    from dlparity.bridge import OCTAVE_ENV  # noqa: PLC0415

    for key, value in OCTAVE_ENV.items():
        expected = os.environ.get(key, value)  # a user's own setting wins
        assert octave_bridge.call("getenv", key) == expected, f"Octave's {key}"
        if key not in os.environ:
            continue
        assert os.environ[key] == expected
