"""The Octave side: one oct2py session, started on first use and reused, with ``matlab_ref`` on its path.

``import oct2py`` itself starts a default Octave session (``oct2py.octave``). Rather than pay
for a second one, the first bridge to start takes that session over (later bridges start their
own) and gives it our settings: MATLAB shapes
kept (a 1-by-1 stays (1, 1), a column stays (N, 1)), 1-D arrays sent as columns, an explicit
timeout (oct2py's default waits forever), Octave's working directory in a private temporary
folder (so an ``octave-workspace`` crash dump never lands in the user's directory) and core
dumps off. The session is closed at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.blocks import OUTPUTS, Form, check_form
from dlparity.validation import BlockInputs

Array = NDArray[np.float64]

#: Seconds one Octave call may take before it is interrupted. A 1,000-case batch takes about
#: 0.5 s and a 100-epoch training run about 5-15 s here; 600 s leaves room for slow machines.
DEFAULT_TIMEOUT = 600.0

INSTALL_HINT = ("install it with 'sudo apt-get install -y --no-install-recommends octave' "
                "(Debian/Ubuntu), or set OCTAVE_EXECUTABLE to its path")


class OctaveUnavailable(RuntimeError):  # noqa: N818 (reads as a state: 'Octave unavailable')
    """GNU Octave (or oct2py) is not installed or cannot start."""


class OctaveError(RuntimeError):
    """Octave raised an error, timed out, or died; the message carries Octave's own words."""


#: Whether a bridge has taken over oct2py's default session (only the first one may).
_default_adopted = False


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


class OctaveBridge:
    """A lazily started Octave session with ``matlab_ref`` on its path.

    Use :func:`get_bridge` for the shared one. ``call`` runs an Octave function; if Octave dies
    during a call, the session is restarted once (path and settings restored) and the call
    retried, and a second death raises :class:`OctaveError`.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._session: Any = None
        self._workdir: str | None = None
        self._lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._session is not None

    def _start(self) -> Any:
        exe = find_octave()
        if exe is None:
            env = os.environ.get("OCTAVE_EXECUTABLE") or os.environ.get("OCTAVE")
            where = f"at OCTAVE_EXECUTABLE={env!r}" if env else "on PATH (as octave-cli or octave)"
            raise OctaveUnavailable(f"GNU Octave was not found {where}; {INSTALL_HINT}.")
        # octave-cli avoids the GUI build's "X11 DISPLAY" chatter; oct2py reads this at import.
        os.environ.setdefault("OCTAVE_EXECUTABLE", exe)
        with _octave_environment(), _stderr_captured() as chatter, contextlib.redirect_stdout(io.StringIO()):
            try:
                import oct2py  # noqa: PLC0415 (starts oct2py's default session: we adopt it below)
            except ImportError as exc:
                raise OctaveUnavailable(f"oct2py is not installed ({exc}); install it with 'pip install oct2py'.") from None
            global _default_adopted  # noqa: PLW0603
            session = None if _default_adopted else getattr(oct2py, "octave", None)
            _default_adopted = True
            if session is None or session._engine is None:  # taken already, or it failed to start
                try:
                    session = oct2py.Oct2Py()
                except oct2py.Oct2PyError as exc:
                    reason = _octave_message(str(exc))
                    said = [line.strip() for line in chatter().splitlines() if line.strip()]
                    last = f"; it printed {said[-1]!r}" if said and reason not in said[-1] else ""
                    raise OctaveUnavailable(f"GNU Octave at {exe} did not start ({reason}{last}); {INSTALL_HINT}.") from None
        session.settings = session.settings.model_copy(
            update={"keep_matlab_shapes": True, "oned_as": "column", "timeout": self.timeout})
        self._workdir = tempfile.mkdtemp(prefix="dlparity_octave_")
        self._session = session
        self._configure()
        atexit.register(self.close)
        return session

    def _configure(self) -> None:
        """Path, working directory and crash-dump settings; run again after a restart."""
        ref = matlab_ref_dir().as_posix()
        self._session.eval(
            f"addpath('{ref}'); cd('{self._workdir}'); crash_dumps_octave_core(false); more off;",
            nout=0, timeout=self.timeout)

    def session(self) -> Any:
        """The oct2py session, started on first use."""
        with self._lock:
            if self._session is None:
                self._start()
            return self._session

    def _alive(self) -> bool:
        engine = self._session._engine
        return engine is not None and bool(engine.repl.child.isalive())

    def _revive(self) -> None:
        """Restart Octave in our environment and restore our path and settings.

        oct2py may already have restarted it after a death, but without :data:`OCTAVE_ENV`, so
        it is restarted again here (a death costs one more start-up, about 0.7 s).
        """
        with _octave_environment():
            self._session.restart()
        self._configure()

    def call(self, func: str, *args: Any, nout: int = 1, stream_handler: Callable[[str], None] | None = None) -> Any:
        """Run Octave function ``func`` with ``args`` and return its result.

        ``stream_handler``, when given, receives each line Octave prints while ``func`` runs
        (``dlparity train`` reads its per-epoch progress that way).

        Raises
        ------
        OctaveError
            Octave reported an error (its message is included), timed out, or died twice.
        """
        session = self.session()  # first: it sets OCTAVE_EXECUTABLE before oct2py is imported
        import oct2py  # noqa: PLC0415
        from pexpect.exceptions import EOF  # noqa: PLC0415 (oct2py's transport)

        for attempt in (1, 2):
            if not self._alive():
                self._revive()
            try:
                return session.feval(func, *args, nout=nout, timeout=self.timeout, stream_handler=stream_handler)
            except (oct2py.Oct2PyError, EOF) as exc:
                msg = _octave_message(str(exc))
                died = isinstance(exc, EOF) or "Session died" in msg or not self._alive()
                if not died:
                    if "Timed out" in msg:
                        raise OctaveError(f"Octave did not finish {func} within the {self.timeout:g} s timeout.") from None
                    raise OctaveError(f"Octave failed in {func}: {msg}") from None
                self._revive()  # leave a working session behind either way
                if attempt == 2:
                    raise OctaveError(f"Octave died twice while running {func}, even after a restart; giving up.") from None
            except (TypeError, ValueError, KeyError) as exc:  # oct2py failing to decode Octave's reply
                raise OctaveError(f"oct2py could not read Octave's reply to {func}: {exc}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop Octave and remove its working directory."""
        if self._session is not None:
            try:
                self._session.exit()
            finally:
                self._session = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def pid(self) -> int:
        """Process id of the running Octave (for tests that kill it)."""
        return int(self.session()._engine.repl.child.pid)

    def workdir(self) -> str | None:
        """Octave's private working directory (removed by :meth:`close`)."""
        return self._workdir

    # -- the blocks --------------------------------------------------------------------------

    def run_cases(self, form: Form, cases: Sequence[BlockInputs]) -> list[dict[str, Array]]:
        """Run one block in Octave on many checked cases in a single call.

        Cases that share every shape and the same ``i`` and ``batch_size`` are stacked along a
        third dimension (see ``matlab_ref/run_cases.m``); results come back in the order given.
        """
        form = check_form(form)
        groups: dict[tuple[Any, ...], list[int]] = {}
        for k, case in enumerate(cases):
            key = (case.X.shape, case.W1.shape, case.W2.shape, case.i, case.batch_size)
            groups.setdefault(key, []).append(k)
        payload = []
        for members in groups.values():
            first = cases[members[0]]
            group: dict[str, Any] = {
                name: np.stack([cases[k].arrays()[name] for k in members], axis=2)
                for name in first.arrays()
            }
            group["i"] = float(first.i)
            group["batch_size"] = float(first.batch_size)
            payload.append(group)
        if not payload:
            return []
        outs = self.call("run_cases", form, payload)
        outs = [outs] if len(payload) == 1 and not _is_cell(outs) else list(np.ravel(outs))
        results: list[dict[str, Array]] = [{} for _ in cases]
        for members, out in zip(groups.values(), outs, strict=True):
            for name in OUTPUTS[form]:
                value = np.asarray(out[name], dtype=np.float64)
                if value.ndim == 2:  # Octave drops a trailing singleton third dimension (K = 1)
                    value = value[:, :, np.newaxis]
                for j, k in enumerate(members):
                    results[k][name] = np.ascontiguousarray(value[:, :, j])
        return results


def _octave_message(text: str) -> str:
    """oct2py's "Octave evaluation error:\nerror: ..." as one line: "..." plus where it was called from."""
    lines = [line.strip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line and line != "Octave evaluation error:"]
    return "; ".join(line.removeprefix("error: ") for line in lines)


def _is_cell(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype == object


_bridge: OctaveBridge | None = None


def get_bridge() -> OctaveBridge:
    """The shared bridge (one Octave per process, so one per pytest-xdist worker)."""
    global _bridge  # noqa: PLW0603
    if _bridge is None:
        _bridge = OctaveBridge()
    return _bridge
