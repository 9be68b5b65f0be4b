"""Octave treated as a hostile user would (issue 9's list): stopped, hung, killed while starting,
interrupted with Ctrl-C or SIGTERM, replaced by something that is not Octave. Real Octave and real
signals throughout; the not-Octave executables are small shell scripts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlparity.bridge import (
    WORKDIR_PREFIX,
    OctaveBridge,
    OctaveError,
    OctaveUnavailable,
    parse_timeout,
    sweep_stale_folders,
)
from dlparity.cli import main as cli
from dlparity.validation import InputError

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ("/dev/shm", tempfile.gettempdir())  # where the bridge's private folders go

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def gone(pid: int, within: float = 5.0) -> bool:
    """True once ``pid`` no longer exists (or is a zombie nobody will reap: it runs no more)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition: Callable[[], Any], within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {condition}")


def folders_of(pid: int) -> list[Path]:
    return [p for base in SCRATCH for p in Path(base).glob(f"{WORKDIR_PREFIX}{pid}_*")]


def dlparity(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dlparity", *argv], cwd=cwd, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def octave_child(proc: subprocess.Popen[str]) -> int:
    """The pid of the Octave session a ``dlparity`` process started (not the version check)."""
    def find() -> int | None:
        for pid in children(proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--interactive" in cmd:
                return pid
        return None
    return int(wait_for(find))


# -- fault 1: a stopped or hung Octave ---------------------------------------------------------

@pytest.mark.octave
def test_stopped_octave_ends_in_one_sentence_within_the_timeout(octave_bridge: Any) -> None:
    bridge = OctaveBridge(timeout=2.0)
    try:
        assert bridge.call("plus", 1.0, 2.0) == 3.0
        pid, workdir = bridge.pid(), bridge.workdir()
        os.kill(pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(OctaveError) as info:
            bridge.call("plus", 1.0, 2.0)
        seconds = time.monotonic() - t0
        message = str(info.value)
        assert message.startswith("Octave did not finish plus within the 2 s timeout") and "\n" not in message
        assert seconds < 5.0, f"took {seconds:.1f} s for a 2 s timeout"
        assert gone(pid), "the stopped Octave is still there"
        assert workdir is not None and not Path(workdir).exists()
        assert bridge.call("plus", 2.0, 2.0) == 4.0  # the next call starts a fresh Octave
    finally:
        bridge.close()


def test_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLPARITY_TIMEOUT", "2.5")
    assert OctaveBridge().timeout == 2.5
    assert OctaveBridge(timeout=7).timeout == 7.0  # an explicit timeout wins
    for bad in ("0", "-1", "nan", "1_000", "soon", "inf", "1e10", "\u0661\u0660", "\uff11\uff10"):  # Arabic-Indic, fullwidth 10
        monkeypatch.setenv("DLPARITY_TIMEOUT", bad)
        with pytest.raises(InputError, match=r"DLPARITY_TIMEOUT is .*; expected a number of seconds > 0"):
            OctaveBridge()


@pytest.mark.parametrize("command", ["compare", "gradcheck", "train", "record", "selfcheck"])
def test_every_subcommand_takes_timeout(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--timeout", "0"])
    assert info.value.code == 2
    assert "--timeout is '0'; expected a number of seconds > 0" in capsys.readouterr().err


def test_timeout_takes_ascii_digits_only(capsys: pytest.CaptureFixture[str]) -> None:
    """float() reads other scripts' digits ('\u0661\u0660' as 10); the flag, like every number flag, does not."""
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", "--timeout", "\u0661\u0660"])
    assert info.value.code == 2
    assert "expected a number of seconds > 0" in capsys.readouterr().err
    with pytest.raises(InputError, match="at most 1e"):  # pexpect's clock overflowed at 1e10 s (a traceback)
        OctaveBridge(timeout=1e10)
    assert parse_timeout("--timeout", " 1.5e1 ") == 15.0  # what is accepted: ASCII digits, spaces, an exponent


@pytest.mark.octave
def test_train_with_a_stopped_octave_exits_3(tmp_path: Path, octave_bridge: Any) -> None:
    proc = dlparity("train", "--epochs", "3000", "--sizes", "8,4", "--timeout", "3", cwd=tmp_path)
    pid = octave_child(proc)
    time.sleep(1.0)  # started and set up: training
    os.kill(pid, signal.SIGSTOP)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    lines = [line for line in err.splitlines() if line.startswith("dlparity train")]
    assert lines == ["dlparity train: error: Octave did not finish train_sgd within the 3 s timeout (stopped or hung), "
                     "so it was ended; a longer --timeout or DLPARITY_TIMEOUT allows more."], err
    assert "Traceback" not in err
    assert gone(pid)
    assert not folders_of(proc.pid)


# -- fault 8: an Octave that is not one --------------------------------------------------------

def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize("kind", ["silent", "true", "hello", "version-then-silent", "version-then-exit"])
def test_not_octave_is_one_sentence_naming_it(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = {
        "silent": lambda: script(tmp_path, "octave-silent", "sleep 300\n"),
        "true": lambda: "/bin/true",
        "hello": lambda: script(tmp_path, "octave-hello", "echo hello\n"),
        # answers the version check, then never gives a prompt / exits at once
        "version-then-silent": lambda: script(tmp_path, "octave-fake", """\
            case "$*" in *--eval*) echo 7.3.0; exit 0;; esac
            sleep 300
            """),
        "version-then-exit": lambda: script(tmp_path, "octave-fake2", """\
            case "$*" in *--eval*) echo 7.3.0; exit 0;; esac
            echo 'not a REPL'; exit 1
            """),
    }[kind]()
    monkeypatch.setenv("OCTAVE_EXECUTABLE", exe)
    monkeypatch.chdir(tmp_path)
    t0 = time.monotonic()
    bridge = OctaveBridge(timeout=2.0)
    with pytest.raises(OctaveUnavailable) as info:
        bridge.session()
    seconds = time.monotonic() - t0
    message = str(info.value)
    assert exe in message and "\n" not in message and len(message) < 400, message
    assert seconds < 6.0, f"{seconds:.1f} s for a 2 s start-up bound"
    assert bridge.workdir() is None
    assert not (tmp_path / "octave-workspace").exists()
    time.sleep(0.2)
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline") if exe.encode() in _read(p) and "sleep" in kind]
    assert not leftovers, "a process of the fake Octave is still running"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


# -- fault 6: SIGKILL at start-up, SIGTERM, stale folders --------------------------------------

KILL_SELF = """\
import os, signal, sys, threading, time
from dlparity.bridge import OctaveBridge
bridge = OctaveBridge()
threading.Timer(float(sys.argv[1]), lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
bridge.session()
time.sleep(30)
"""


@pytest.mark.octave
def test_killed_at_start_leaves_nothing_in_the_users_folder(tmp_path: Path, octave_bridge: Any) -> None:
    """SIGKILL of the Python process in Octave's first instants: Octave (hung up) writes its crash dump
    where it stands, which must be its private folder; the next start sweeps that folder."""
    (tmp_path / "kill.py").write_text(KILL_SELF)
    dead = []
    for delay in (0.12, 0.2, 0.3, 0.45):
        proc = subprocess.Popen([sys.executable, "kill.py", str(delay)], cwd=tmp_path,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        dead.append(proc.pid)
    time.sleep(1.0)  # the orphaned Octaves see the hang-up and exit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kill.py"], "something was left in the user's folder"
    left = [f for pid in dead for f in folders_of(pid)]
    bridge = OctaveBridge()
    try:
        bridge.session()  # sweeps the folders of the dead processes
        assert not [f for f in left if f.exists()], "stale folders of dead processes were not swept"
    finally:
        bridge.close()


def test_sweep_removes_only_unused_old_folders(tmp_path: Path) -> None:
    old = time.time() - 3600
    stale = tmp_path / "oct2py_stale"
    fresh = tmp_path / "oct2py_fresh"
    busy = tmp_path / "oct2py_busy"
    dead = tmp_path / f"{WORKDIR_PREFIX}999999999_x"
    mine = tmp_path / f"{WORKDIR_PREFIX}{os.getpid()}_x"
    for folder in (stale, fresh, busy, dead, mine):
        folder.mkdir()
    for folder in (stale, busy, dead, mine):
        os.utime(folder, (old, old))
    with (busy / "writer.mat").open("wb"):  # an oct2py session keeps its exchange file open
        removed = sweep_stale_folders([str(tmp_path)])
    assert sorted(removed) == sorted([str(stale), str(dead)])
    assert fresh.exists() and busy.exists() and mine.exists()


@pytest.mark.octave
@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                      (signal.SIGINT, 130, "interrupted")], ids=["SIGTERM", "SIGINT"])
def test_signal_during_train_cleans_up(signum: int, code: int, word: str, tmp_path: Path, octave_bridge: Any) -> None:
    proc = dlparity("train", "--epochs", "3000", "--sizes", "8,4", cwd=tmp_path)
    pid = octave_child(proc)
    time.sleep(1.0)
    os.kill(proc.pid, signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1].startswith(f"dlparity train: {word}")
    assert "Traceback" not in err and sum("dlparity train" in line for line in err.splitlines()) == 1, err
    assert gone(pid), "Octave outlived the command"
    assert not folders_of(proc.pid), "the private folder was left"
    assert list(tmp_path.iterdir()) == []


# -- fault 2: Ctrl-C during an Octave call -----------------------------------------------------

@pytest.mark.octave
@pytest.mark.parametrize("delay", [0.1, 0.4])
def test_ctrl_c_during_compare_is_130_and_never_a_result(delay: float, tmp_path: Path, octave_bridge: Any) -> None:
    """A large case, interrupted while Octave works on it (or receives it): 130, one line, nothing left."""
    proc = dlparity("compare", "--samples", "400000", "--sizes", "37,128,64", "--batch", "32", "--json", cwd=tmp_path,
                    env={"DLPARITY_OCTAVE": "live"})
    pid = octave_child(proc)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, out[-300:], err)
    assert out == "", "a result was printed after the interrupt"
    assert err.strip() == ("dlparity compare: interrupted (Ctrl-C); Octave was stopped and no result was "
                           "reported."), err
    assert gone(pid)
    assert not folders_of(proc.pid)


@pytest.mark.octave
def test_interrupted_call_raises_and_kills_octave(tmp_path: Path, octave_bridge: Any) -> None:
    """The bridge alone: SIGINT during a call raises KeyboardInterrupt (oct2py's own handling returned the
    previous call's reply file, or None), and the Octave it interrupted is gone."""
    (tmp_path / "interrupt.py").write_text(textwrap.dedent("""\
        import os, signal, threading
        from dlparity.bridge import OctaveBridge
        bridge = OctaveBridge()
        print(bridge.call("plus", 1.0, 2.0))
        pid = bridge.pid()
        threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        try:
            print("RESULT", bridge.call("pause", 5.0, nout=0), bridge.call("eval", "sleep(3); 7"))
        except KeyboardInterrupt:
            print("INTERRUPTED", pid)
        """))
    done = subprocess.run([sys.executable, "interrupt.py"], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60, check=False)
    lines = done.stdout.split()
    assert "INTERRUPTED" in lines and "RESULT" not in lines, done
    assert gone(int(lines[lines.index("INTERRUPTED") + 1]))


# -- fault 9: a restart is reported ------------------------------------------------------------

@pytest.mark.octave
def test_restart_is_reported(octave_bridge: Any, capsys: pytest.CaptureFixture[str]) -> None:
    before = len(octave_bridge.restarts)
    os.kill(octave_bridge.pid(), signal.SIGKILL)
    code = cli.main(["compare", "--json", "--form", "backprop"])
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["octave"]["restarts"] == before + 1
    # the kill may land before the next call looks (died since the last call) or during it (died while running)
    assert re.search(r"dlparity: Octave (had died since the last call|died while running \w+); it was restarted", err), err



@pytest.mark.octave
@pytest.mark.parametrize("when", [0.2, 1.5], ids=["while-starting", "while-waiting"])
def test_a_signal_while_a_thread_uses_octave_leaves_no_octave_behind(octave_bridge: Any, when: float,
                                                                      capfd: pytest.CaptureFixture[str]) -> None:
    """dlparity train talks to Octave from a thread; SIGINT/SIGTERM reach the main thread, which stops everything
    (stop_for_good). An Octave that thread was still starting, or would restart after the kill, must not be left
    running: one was, in the folder being removed, and its 'fatal: unable to find current directory' became the
    command's last line."""
    import threading  # noqa: PLC0415

    from dlparity import bridge as bridge_module  # noqa: PLC0415

    fresh = bridge_module.OctaveBridge(timeout=60)
    box: dict[str, BaseException] = {}

    def talking() -> None:
        try:
            fresh.call("ones", 2.0)
            fresh.call("pause", 30.0, nout=0)
        except BaseException as exc:  # whatever ended the calls is the result
            box["error"] = exc

    thread = threading.Thread(target=talking, daemon=True)
    thread.start()
    time.sleep(when)
    try:
        bridge_module.stop_for_good(fresh)
        thread.join(timeout=40)
        assert not thread.is_alive() and "error" in box, "the thread's calls neither ended nor failed"
        time.sleep(1.0)
        octaves = [pid for pid in children(os.getpid()) if pid != octave_bridge.pid()
                   and b"--interactive" in _read(Path(f"/proc/{pid}/cmdline"))]
        assert not octaves, f"an Octave is still running after stop_for_good: {octaves}"
        assert fresh.workdir() is None
        assert "unable to find current directory" not in capfd.readouterr().err
    finally:
        bridge_module._stopping.clear()  # this process goes on: other tests start Octave
        fresh.close()
