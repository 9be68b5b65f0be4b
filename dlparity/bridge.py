"""The Octave side: one oct2py session, started on first use and reused, with ``matlab_ref`` on its path.

``import oct2py`` itself starts a default Octave session (``oct2py.octave``). Rather than pay
for a second one, the first bridge to start takes that session over (later bridges start their
own) and gives it our settings: MATLAB shapes kept (a 1-by-1 stays (1, 1), a column stays
(N, 1)), 1-D arrays sent as columns, and core dumps off.

What a user can do to Octave is bounded here, each ending in one sentence:

- **Start-up.** The executable is first asked for its version (``--eval 'disp(version)'``) in
  a process group of its own with :data:`STARTUP_TIMEOUT`; one that does not answer, or answers
  with something other than a version (``/bin/true``, a script), is refused naming it. The
  session itself must be up within the same bound, or it is killed.
- **Its own folder from the first instant.** Octave is started with its working directory
  already in a private folder ``dlparity_octave_<pid>_*`` (``/dev/shm`` where writable, as
  oct2py's exchange files), which also holds oct2py's MAT-file exchange folder and octave_kernel's
  plot folder: an ``octave-workspace`` crash dump never lands in the user's folder, even when Octave is
  killed while starting. Folders of this kind (and oct2py's ``oct2py_*``) left by processes that
  died without cleaning up are swept at the next start.
- **Time.** Every call has the bridge's ``timeout`` (``OctaveBridge(timeout=...)``, else
  ``$DLPARITY_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`); past it Octave's process group is killed
  at once (a stopped or hung Octave answers no interrupt) and :class:`OctaveError` says so.
- **Interrupts.** A KeyboardInterrupt (or any other BaseException, such as the command line's
  SIGTERM) during a call kills Octave and is raised again: an interrupted call never returns a
  result, and no call returns ``None`` where a value was asked for.
- **Deaths.** A call during which Octave dies is retried once in a restarted Octave; the restart
  is written to stderr and counted in :attr:`OctaveBridge.restarts`.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import math
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dlparity.validation import DECIMAL_TEXT, InputError

#: Seconds one Octave call may take before Octave is stopped. A 1,000-case batch takes about
#: 0.5 s and a 100-epoch training run about 5-15 s here; 600 s leaves room for slow machines.
DEFAULT_TIMEOUT = 600.0

#: Environment variable that sets the timeout of bridges created without one (``--timeout`` wins).
TIMEOUT_ENV = "DLPARITY_TIMEOUT"

#: Longest Octave start-up (asking its version, then the session) before it is given up: it takes
#: 0.1 s and 0.7 s here. A shorter call timeout also shortens this.
STARTUP_TIMEOUT = 60.0

#: Folders of ours are named ``dlparity_octave_<pid>_<random>``; stale ones are swept at start.
WORKDIR_PREFIX = "dlparity_octave_"

#: Neither a sweep nor a start races a process that is itself starting: folders younger than this are kept.
SWEEP_MIN_AGE = 60.0

INSTALL_HINT = ("install it with 'sudo apt-get install -y --no-install-recommends octave' "
                "(Debian/Ubuntu), or set OCTAVE_EXECUTABLE to its path")


@runtime_checkable
class OctaveSide(Protocol):
    """Whatever answers for Octave: live (:class:`OctaveBridge`), recording (:class:`dlparity.store.RecordingBridge`)
    or recorded results (:class:`dlparity.store.StoredBridge`).

    ``source`` is ``"live"`` or ``"stored"``; ``call`` runs (or answers) one Octave function as
    :meth:`OctaveBridge.call`; ``describe`` is the ``"octave"`` field of ``--json``: source,
    version, when recorded (None when live), and what else the side knows (restarts, BLAS).
    """

    @property
    def source(self) -> str: ...

    def call(self, func: str, *args: Any, nout: int = 1, stream_handler: Callable[[str], None] | None = None) -> Any: ...

    def describe(self) -> dict[str, Any]: ...


class OctaveUnavailable(RuntimeError):  # noqa: N818 (reads as a state: 'Octave unavailable')
    """GNU Octave (or oct2py) is not installed or cannot start."""


class OctaveError(RuntimeError):
    """Octave raised an error, timed out, or died; the message carries Octave's own words."""


class _OctaveStopped(Exception):  # noqa: N818
    """Raised where oct2py would interrupt Octave (after a timeout or a KeyboardInterrupt): Octave was killed."""

    def __init__(self, interrupt: BaseException | None) -> None:
        super().__init__("Octave was stopped")
        self.interrupt = interrupt


#: Whether a bridge has taken over oct2py's default session (only the first one may).
_default_adopted = False

#: Start-up changes process-wide state for a moment (the working directory, tempfile's folder); one at a time.
_start_lock = threading.RLock()

#: Set by :func:`stop_for_good` (a signal is ending the process): from then on no Octave starts or restarts in
#: this process, so an Octave a waiting thread would start is not left running after it, in a removed folder.
_stopping = threading.Event()


def stop_for_good(bridge: OctaveBridge) -> None:
    """Close ``bridge`` and let no Octave start again in this process (the command line's SIGINT/SIGTERM path).

    A start under way in another thread (dlparity train's Octave side) is let finish first (it holds
    ``_start_lock``; a few seconds at most): removing its folder under it would leave an Octave starting in a
    directory that no longer exists ("fatal: unable to find current directory"). That thread then sees
    ``_stopping`` and closes what it started.
    """
    _stopping.set()
    with _start_lock:
        bridge.close()


#: The longest timeout taken: pexpect adds it to the clock, and 1e10 s overflows the platform's time_t.
MAX_TIMEOUT = 1e7


def parse_timeout(name: str, text: str) -> float:
    """Seconds from ``--timeout`` or ``$DLPARITY_TIMEOUT``: a finite number > 0, else InputError (one sentence)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if DECIMAL_TEXT.fullmatch(text) is None or not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise InputError(f"{name} is {text!r}; expected a number of seconds > 0 and at most {MAX_TIMEOUT:g} "
                         "(about 115 days; written in ASCII digits), e.g. 600.")
    return value


def default_timeout() -> float:
    """``$DLPARITY_TIMEOUT`` when set, else :data:`DEFAULT_TIMEOUT`."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    return parse_timeout(TIMEOUT_ENV, text) if text else DEFAULT_TIMEOUT


#: Folder of the harness's own Octave functions (``dlparity_run_mfile.m``): on the path from start-up, as matlab_ref.
MFILES = Path(__file__).resolve().parent / "mfiles"


def matlab_ref_dir() -> Path:
    """The folder holding the ``.m`` files: inside the package when installed as a wheel,
    beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "matlab_ref", here.parent / "matlab_ref"):
        if (candidate / "run_block.m").is_file():
            return candidate
    raise OctaveUnavailable(f"the MATLAB reference files (matlab_ref/run_block.m) were not found next to {here}.")


def find_octave() -> str | None:
    """Path of the Octave executable oct2py will use: $OCTAVE_EXECUTABLE, else octave-cli, else octave."""
    env = os.environ.get("OCTAVE_EXECUTABLE") or os.environ.get("OCTAVE")
    if env:
        return shutil.which(env) or (env if Path(env).is_file() else None)
    return shutil.which("octave-cli") or shutil.which("octave")


#: Environment Octave is started with, unless the user set these: one BLAS thread. The products
#: here are small (at most 128 x 37 by 37 x 32 upstream), where threads cost more than they
#: give, and ``dlparity train`` runs Octave beside NumPy on the same cores. Measured on the
#: 100-epoch house run: Octave 13.8 s with OpenBLAS's threads, 14.7 s with one, while NumPy
#: beside it drops from 14.7 s to 5.8 s.
OCTAVE_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@contextlib.contextmanager
def _octave_environment() -> Iterator[None]:
    """Set :data:`OCTAVE_ENV` (where unset) while Octave starts; the child inherits it, we do not."""
    added = {k: v for k, v in OCTAVE_ENV.items() if k not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


@contextlib.contextmanager
def _stderr_captured() -> Iterator[Callable[[], str]]:
    """Hold back what is written to file descriptor 2 while Octave starts.

    oct2py checks the executable with ``octave --eval "disp(version)"``, and Octave 7.3 then
    prints "error: ignoring const execution_exception& while preparing to exit" on every run,
    a known harmless shutdown message. It would look like a failure, so it is captured here
    and shown only inside the error if the start fails.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)

        def text() -> str:
            sink.seek(0)
            return sink.read().decode(errors="replace").strip()

        try:
            yield text
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def _inside(folder: str) -> Iterator[None]:
    """Start Octave inside ``folder``: this process's working directory for the moment of a start
    (Octave's child inherits it), and the folder octave_kernel makes for plots put inside it too
    (its ``_get_temp_dir``, replaced for the moment of the start). Under :data:`_start_lock`."""
    from octave_kernel.kernel import OctaveEngine  # noqa: PLC0415 (oct2py's engine)

    def private_temp_dir(_engine: Any) -> str:
        made = tempfile.mkdtemp(dir=folder)
        os.mkdir(os.path.join(made, "plots"))
        atexit.register(shutil.rmtree, made, True)  # as octave_kernel does, but quiet once close() removed it
        return made

    with _start_lock:
        cwd, original = os.getcwd(), OctaveEngine.__dict__["_get_temp_dir"]
        os.chdir(folder)
        OctaveEngine._get_temp_dir = private_temp_dir  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            OctaveEngine._get_temp_dir = original  # type: ignore[method-assign]
            os.chdir(cwd)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM while Octave starts, then act on them (main thread only).

    octave_kernel answers a KeyboardInterrupt during its start-up by interrupting Octave and
    carrying on, which can swallow the interrupt or leave the session out of step with its
    prompt; so a signal arriving then is recorded and its handler run once the start is over.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    handled = {sig: h for sig, h in previous.items() if callable(h)}
    for sig in handled:
        signal.signal(sig, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in handled.items():
            signal.signal(sig, handler)
    if pending:
        handled[signal.Signals(pending[0])](pending[0], None)  # raises KeyboardInterrupt (or the command line's Terminated)


def _scratch_base() -> str:
    """Where private folders go: ``/dev/shm`` (RAM, as oct2py prefers for its exchange files) when writable."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _paths_in_use() -> list[str] | None:
    """Working directories and open files of every process we can see (Linux ``/proc``); None elsewhere."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    used: list[str] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            used.append(os.readlink(entry / "cwd"))
        with contextlib.suppress(OSError):
            used.extend(os.readlink(fd) for fd in (entry / "fd").iterdir())
    return used


def sweep_stale_folders(bases: Sequence[str] | None = None, min_age: float = SWEEP_MIN_AGE) -> list[str]:
    """Remove ``dlparity_octave_<pid>_*`` folders whose process is gone, and ``oct2py_*`` ones (and ours
    without a pid) older than ``min_age`` s that no process uses (an oct2py session keeps its exchange
    file open).

    Returns the folders removed.
    """
    bases = bases if bases is not None else sorted({_scratch_base(), tempfile.gettempdir()})
    candidates: list[tuple[Path, int | None]] = []
    now = time.time()
    for base in bases:
        for prefix in (WORKDIR_PREFIX, "oct2py_"):
            for folder in Path(base).glob(prefix + "*"):
                with contextlib.suppress(OSError):
                    match = re.fullmatch(re.escape(WORKDIR_PREFIX) + r"(\d+)_.*", folder.name)
                    young = now - folder.stat().st_mtime < min_age  # only matters where no pid says whose it is
                    if not folder.is_dir() or folder.is_symlink() or (match is None and young):
                        continue
                    candidates.append((folder, int(match.group(1)) if match else None))
    if not candidates:
        return []
    in_use = None
    removed = []
    for folder, pid in candidates:
        if pid is not None:
            stale = not _pid_alive(pid)
        else:
            in_use = _paths_in_use() if in_use is None else in_use
            inside = str(folder) + os.sep
            stale = in_use is not None and not any(p == str(folder) or p.startswith(inside) for p in in_use)
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(str(folder))
    return removed


def _kill_group(pid: int) -> None:
    """SIGKILL Octave's process group (pexpect starts it as a session leader), or Octave alone."""
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except ProcessLookupError:
            return
        except OSError:
            continue


def _kill_inside(folder: str) -> None:
    """SIGKILL every process whose working directory is ``folder`` (an Octave that never came up)."""
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if os.readlink(entry / "cwd") == folder:
                    _kill_group(int(entry.name))


class _StartWatchdog:
    """After ``limit`` seconds, kill every process inside ``folder``, and keep doing so until cancelled.

    Once is not enough: oct2py (through its kernel) starts Octave again when the first process dies,
    and then waits 30 s of its own for the second one.
    """

    def __init__(self, limit: float, folder: str) -> None:
        self.limit = limit
        self.folder = folder
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="dlparity-octave-start-watchdog")

    def _run(self) -> None:
        if self._stop.wait(self.limit):
            return
        self.fired = True
        while not self._stop.is_set():
            _kill_inside(self.folder)
            self._stop.wait(0.1)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)


def ask_version(exe: str, folder: str, timeout: float) -> str:
    """Octave's version, from ``exe --eval 'disp(version)'`` run in ``folder`` within ``timeout`` s.

    Raises
    ------
    OctaveUnavailable
        One sentence naming ``exe``: it did not answer in time, failed, or printed no version.
    """
    try:
        child = subprocess.Popen([*shlex.split(exe), "--no-gui", "--eval", "disp(version)"], cwd=folder,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
    except OSError as exc:
        raise OctaveUnavailable(f"{exe} could not be run ({exc.strerror or exc}); {INSTALL_HINT}.") from None
    try:
        out, err = child.communicate(timeout=timeout)
    except BaseException as exc:
        _kill_group(child.pid)  # the whole group: a script's own children would keep its pipes open
        child.communicate()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise OctaveUnavailable(f"{exe} did not answer within {timeout:g} s when asked for its version "
                                    f"(--eval 'disp(version)'), so it was stopped; expected GNU Octave, which "
                                    f"answers in about a second; {INSTALL_HINT}.") from None
        raise
    lines = [line.strip() for line in out.decode(errors="replace").splitlines() if line.strip()]
    version = lines[-1] if lines else ""
    if child.returncode != 0 or not re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", version):
        said = (f"printed {version[:60]!r}" if version else "printed nothing")
        errs = [line.strip() for line in err.decode(errors="replace").splitlines() if line.strip()]
        if not version and errs:
            said += f" (stderr: {errs[-1][:80]!r})"
        raise OctaveUnavailable(f"{exe} does not look like GNU Octave: asked for its version (--eval "
                                f"'disp(version)') it {said} and exited with status {child.returncode}; "
                                f"{INSTALL_HINT}.")
    return version


class OctaveBridge:
    """A lazily started Octave session with ``matlab_ref`` on its path.

    Use :func:`get_bridge` for the shared one. ``call`` runs an Octave function; if Octave dies
    during a call, the session is restarted once (path and settings restored) and the call
    retried, and a second death raises :class:`OctaveError`. A call that outlasts ``timeout``
    seconds, or is interrupted, kills Octave (the next call starts a new one).

    Attributes
    ----------
    timeout : float
        Seconds per call (and the bound of a start-up, at most :data:`STARTUP_TIMEOUT`).
    restarts : list of str
        One sentence per restart after a death, in order (``--json`` reports their number).
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = default_timeout() if timeout is None else float(timeout)
        if not (math.isfinite(self.timeout) and 0 < self.timeout <= MAX_TIMEOUT):
            raise InputError(f"timeout is {timeout!r}; expected a number of seconds > 0 and at most {MAX_TIMEOUT:g}.")
        self.restarts: list[str] = []
        self._expired = False  # set by the watchdog of call() when it killed Octave
        self._closing = False  # set by close(): a call still waiting on Octave (another thread) must not restart it
        self._session: Any = None
        self._workdir: str | None = None
        self._lock = threading.Lock()
        self._version: str | None = None

    source = "live"

    @property
    def started(self) -> bool:
        return self._session is not None

    @property
    def version(self) -> str:
        """GNU Octave's version (asked once; ``?`` if it cannot be had: the version is a label, never a reason to fail)."""
        if self._version is None:
            try:
                self._version = str(self.call("OCTAVE_VERSION"))
            except (OctaveError, OctaveUnavailable):
                return "?"
        return self._version

    def describe(self) -> dict[str, Any]:
        """The ``"octave"`` field of ``--json``; restarts: Octave died during a call and the call was run again in a
        new Octave (also said on stderr)."""
        return {"source": "live", "version": self.version, "recorded": None, "restarts": len(self.restarts)}

    def _start(self) -> Any:
        if _stopping.is_set():
            raise OctaveError("Octave is not started: this process is stopping (interrupted or terminated).")
        exe = find_octave()
        if exe is None:
            env = os.environ.get("OCTAVE_EXECUTABLE") or os.environ.get("OCTAVE")
            where = f"at OCTAVE_EXECUTABLE={env!r}" if env else "on PATH (as octave-cli or octave)"
            raise OctaveUnavailable(f"GNU Octave was not found {where}; {INSTALL_HINT}.")
        sweep_stale_folders()
        self._closing = False
        workdir = tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}_", dir=_scratch_base())
        self._workdir = workdir
        exchange = os.path.join(workdir, "exchange")  # oct2py's MAT files
        os.mkdir(exchange)
        try:
            with _signals_deferred():
                session = self._start_session(exe, workdir, exchange)
                self._session = session
                if _stopping.is_set():  # the signal came while this thread was starting Octave: undo the start
                    raise OctaveError("Octave was stopped as it started: this process is stopping.")
                self._configure()
        except BaseException:
            self.close()  # Octave (if it started) and the folder
            raise
        atexit.register(self.close)
        return session

    def _startup_timeout(self) -> float:
        return min(self.timeout, STARTUP_TIMEOUT)

    def _start_session(self, exe: str, workdir: str, exchange: str) -> Any:
        """Ask ``exe`` its version, then start (or adopt) the oct2py session, all inside ``workdir``."""
        limit = self._startup_timeout()
        with _octave_environment():
            ask_version(exe, workdir, limit)
        # octave-cli avoids the GUI build's "X11 DISPLAY" chatter; oct2py reads this at import.
        os.environ.setdefault("OCTAVE_EXECUTABLE", exe)
        watchdog = _StartWatchdog(limit, workdir)
        with _octave_environment(), _inside(workdir), _stderr_captured() as chatter, \
                contextlib.redirect_stdout(io.StringIO()):
            watchdog.start()
            try:
                try:
                    os.environ.setdefault("OCT2PY_TEMP_DIR", exchange)  # the default session made at import
                    import oct2py  # noqa: PLC0415 (starts oct2py's default session: we adopt it below)
                except ImportError as exc:
                    raise OctaveUnavailable(
                        f"oct2py is not installed ({exc}); install it with 'pip install oct2py'.") from None
                finally:
                    if os.environ.get("OCT2PY_TEMP_DIR") == exchange:
                        del os.environ["OCT2PY_TEMP_DIR"]
                global _default_adopted  # noqa: PLW0603
                session = None if _default_adopted else getattr(oct2py, "octave", None)
                _default_adopted = True
                if session is not None and session._engine is not None and session.settings.temp_dir != exchange:
                    session.exit()  # started elsewhere (imported before us): not in our folder
                    session = None
                if session is None or session._engine is None:  # taken already, or it failed to start
                    try:
                        session = oct2py.Oct2Py(temp_dir=exchange)
                    except oct2py.Oct2PyError as exc:
                        if watchdog.fired:
                            raise OctaveUnavailable(f"GNU Octave at {exe} did not start within {limit:g} s, so it "
                                                    f"was stopped; {INSTALL_HINT}.") from None
                        reason = _octave_message(str(exc)).split("; ")[0][:120]
                        said = [line.strip() for line in chatter().splitlines() if line.strip()]
                        last = f"; it printed {said[-1][:120]!r}" if said and reason not in said[-1] else ""
                        raise OctaveUnavailable(
                            f"GNU Octave at {exe} did not start ({reason}{last}); {INSTALL_HINT}.") from None
            finally:
                watchdog.cancel()
        session.settings = session.settings.model_copy(
            update={"keep_matlab_shapes": True, "oned_as": "column", "timeout": self.timeout})
        self._guard(session)
        return session

    def _guard(self, session: Any) -> None:
        """Make oct2py's interrupts (after a timeout or a KeyboardInterrupt) kill Octave and raise at once,
        and its own restart after a death happen in our folder and environment."""
        engine = session._engine

        def stop(*_args: Any, **_kwargs: Any) -> str:
            interrupt = sys.exc_info()[1]  # oct2py calls this inside its except clause
            _kill_group(int(engine.repl.child.pid))
            raise _OctaveStopped(interrupt if not isinstance(interrupt, Exception) else None)

        engine.repl.interrupt = stop
        engine._interrupt = stop
        if "restart" not in vars(session):
            original = type(session).restart

            def restart() -> None:
                # killed by the watchdog of call(), or by close() (as a signal's handler does while the training's
                # Octave thread still waits): not a death to recover from; a restart then would start an Octave
                # in the folder close() is removing, left running after this process
                if self._expired or self._closing or _stopping.is_set():
                    raise _OctaveStopped(None)
                workdir = self._workdir or tempfile.gettempdir()
                with _signals_deferred(), _octave_environment(), _inside(workdir):
                    original(session)
                self._guard(session)

            session.restart = restart

    def _configure(self) -> None:
        """Path, working directory and crash-dump settings; run again after a restart."""
        ref = matlab_ref_dir().as_posix()
        try:
            self._session.eval(
                f"addpath('{ref}'); addpath('{MFILES.as_posix()}'); cd('{self._workdir}'); "
                "crash_dumps_octave_core(false); more off;",
                nout=0, timeout=self.timeout)
        except _OctaveStopped as exc:
            self.close()
            if exc.interrupt is not None:
                raise exc.interrupt from None
            raise OctaveError(f"Octave did not answer within the {self.timeout:g} s timeout while being set up "
                              "(stopped or hung), so it was ended.") from None

    def session(self) -> Any:
        """The oct2py session, started on first use."""
        with self._lock:
            if self._session is None:
                self._start()
            return self._session

    def _alive(self) -> bool:
        engine = self._session._engine
        return engine is not None and bool(engine.repl.child.isalive())

    def _revive(self, note: str) -> None:
        """Restart Octave in our folder and environment, restore our path and settings, and say so."""
        self._restarted(note)
        try:
            with _signals_deferred():
                self._session.restart()  # _guard's wrapper: in our folder and environment
                self._configure()
        except BaseException:
            self.close()
            raise

    def _restarted(self, note: str) -> None:
        self.restarts.append(note)
        print(f"dlparity: {note}", file=sys.stderr, flush=True)

    def call(self, func: str, *args: Any, nout: int = 1, stream_handler: Callable[[str], None] | None = None) -> Any:
        """Run Octave function ``func`` with ``args`` and return its result.

        ``stream_handler``, when given, receives each line Octave prints while ``func`` runs
        (``dlparity train`` reads its per-epoch progress that way).

        Raises
        ------
        OctaveError
            Octave reported an error (its message is included), timed out (Octave is then
            stopped), died twice, or gave no value where ``nout`` asked for one.
        KeyboardInterrupt
            (or any BaseException) raised again after Octave is stopped: never a partial result.
        """
        session = self.session()  # first: it sets OCTAVE_EXECUTABLE before oct2py is imported
        for attempt in (1, 2):
            if not self._alive():
                self._revive(f"Octave had died since the last call; it was restarted to run {func}.")
            died, result = self._attempt(session, func, args, nout, stream_handler)
            if not died:
                if result is None and nout > 0:
                    raise OctaveError(f"Octave returned no value from {func}, where {nout} was asked for.")
                return result
            if attempt == 2:
                self.close()
                raise OctaveError(f"Octave died twice while running {func}, even after a restart; giving up.")
            note = (f"Octave died while running {func}; it was restarted and {func} run again (the Octave "
                    "time reported includes the failed attempt).")
            if self._alive():  # oct2py restarted it already (in our folder): say so, restore our settings
                self._restarted(note)
                self._configure()
            else:
                self._revive(note)
        raise AssertionError("unreachable")

    def _attempt(self, session: Any, func: str, args: tuple[Any, ...], nout: int,
                 stream_handler: Callable[[str], None] | None) -> tuple[bool, Any]:
        """One try of :meth:`call`: (False, result), or (True, None) when Octave died during it."""
        import oct2py  # noqa: PLC0415
        from pexpect.exceptions import EOF  # noqa: PLC0415 (oct2py's transport)

        # oct2py waits without a timeout in places (each call first sets the plot settings), so
        # the timeout is kept here: past it, Octave is killed wherever oct2py is waiting.
        self._expired = False
        watchdog = threading.Timer(self.timeout, self._expire, (session,))
        watchdog.daemon = True
        watchdog.start()
        try:
            result = session.feval(func, *args, nout=nout, timeout=self.timeout, stream_handler=stream_handler)
        except _OctaveStopped as exc:
            self.close()
            if exc.interrupt is not None:
                raise exc.interrupt from None
            raise self._timed_out(func) from None
        except (oct2py.Oct2PyError, EOF, TypeError, ValueError, KeyError) as exc:
            if self._expired:
                self.close()
                raise self._timed_out(func) from None
            if isinstance(exc, (TypeError, ValueError, KeyError)):  # oct2py failing to decode Octave's reply
                raise OctaveError(f"oct2py could not read Octave's reply to {func}: {exc}") from exc
            msg = _octave_message(str(exc))
            if isinstance(exc, EOF) or "Session died" in msg or not self._alive():
                return True, None
            raise OctaveError(f"Octave failed in {func}: {msg}") from None
        except BaseException:  # KeyboardInterrupt, SIGTERM outside Octave's wait: stop Octave too
            self.close()
            raise
        finally:
            watchdog.cancel()
        if self._expired:  # the reply came as time ran out: Octave was killed, so start afresh next time
            self.close()
        return False, result

    def _expire(self, session: Any) -> None:
        """The watchdog of :meth:`call`: time is up, kill Octave (oct2py then sees it gone wherever it waits)."""
        self._expired = True
        engine = session._engine
        if engine is not None:
            _kill_group(int(engine.repl.child.pid))

    def _timed_out(self, func: str) -> OctaveError:
        return OctaveError(f"Octave did not finish {func} within the {self.timeout:g} s timeout (stopped or hung), "
                           f"so it was ended; a longer --timeout or {TIMEOUT_ENV} allows more.")

    def close(self) -> None:
        """Stop Octave (its whole process group, at once) and remove its private folder."""
        self._closing = True
        session, self._session = self._session, None
        if session is not None:
            engine = session._engine
            if engine is not None:
                with contextlib.suppress(Exception):
                    _kill_group(int(engine.repl.child.pid))
            with contextlib.suppress(Exception):
                session.exit()
        self._remove_workdir()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def pid(self) -> int:
        """Process id of the running Octave (for tests that kill it)."""
        return int(self.session()._engine.repl.child.pid)

    def workdir(self) -> str | None:
        """Octave's private working directory (removed by :meth:`close`)."""
        return self._workdir


def _octave_message(text: str) -> str:
    """oct2py's "Octave evaluation error:\nerror: ..." as one line: "..." plus where it was called from."""
    lines = [line.strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line and line != "Octave evaluation error:"]
    return "; ".join(line.removeprefix("error: ") for line in lines)


_bridge: OctaveBridge | None = None


def get_bridge() -> OctaveBridge:
    """The shared bridge (one Octave per process, so one per pytest-xdist worker)."""
    global _bridge  # noqa: PLW0603
    if _bridge is None:
        _bridge = OctaveBridge()
    return _bridge
