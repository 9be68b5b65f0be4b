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

``octave`` starts one GNU Octave per test process (one per xdist worker). Where Octave is
missing it answers from **recorded** Octave results instead: the package's own store and, beside
each test file, a ``dlparity_reference/`` folder written by ``pytest --dlparity-record`` (run once
where Octave is installed, without ``-n``; the pytest-regressions habit, plus provenance: the
Octave version, BLAS, platform, date and the SHA-256 of every ``.m`` file involved). Each Octave
call is filed under the test file whose setup, call or teardown made it (so a fixture's calls too),
and recording part of a file (``pytest test_x.py::test_one --dlparity-record``, ``-k``) merges into
its record: new results replace those of the same inputs, the other tests' stay, except those whose
``.m`` files changed since (they could only be refused). A recorded
result whose ``.m`` files changed since is refused, never used; a test whose Octave calls were
not recorded is skipped with the reason (failed under ``DLPARITY_REQUIRE_OCTAVE=1``, as CI sets
it, so a run can never pass by skipping). ``DLPARITY_OCTAVE=stored`` uses the records even where
Octave is installed. pytest's header says which Octave the run uses.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dlparity.bridge import OctaveSide
from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.pair import OBSERVERS, ParityResult
from dlparity.fileio import OutputError
from dlparity.validation import InputError

_RECORDER = pytest.StashKey["_Records"]()
_PLANTED = pytest.StashKey[list[bool]]()
_FOLDERS = pytest.StashKey[list[Path]]()


@dataclass
class _Records:
    """Under ``--dlparity-record``: the recording bridge (once the ``octave`` fixture has started it), the test
    file whose setup, call or teardown is running (None between them), and the entries noted for each file."""

    bridge: Any = None
    current: Path | None = None
    files: dict[Path, dict[str, Any]] = field(default_factory=dict)
    collected: dict[Path, set[str]] = field(default_factory=dict)  # the tests selected in each file
    ran: dict[Path, set[str]] = field(default_factory=dict)  # those whose call phase ran
    partial: set[Path] = field(default_factory=set)  # files only part of whose tests were selected

    def whole(self, path: Path) -> bool:
        """Every test of ``path`` was selected and ran: its record can be replaced rather than merged into."""
        return path not in self.partial and self.ran.get(path, set()) == self.collected.get(path, set())

    def switch(self, path: Path | None) -> None:
        """File what Octave evaluates from now on under ``path``'s record (under none when ``path`` is None)."""
        self.current = path
        if self.bridge is None:
            return
        if path is None:
            self.bridge.entries = {}  # outside any test's setup, call and teardown: kept nowhere
        else:
            self.bridge.base = path.parent
            self.bridge.entries = self.files.setdefault(path, {})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dlparity", "MATLAB/NumPy parity (dlparity)")
    group.addoption("--dlparity-record", action="store_true", default=False,
                    help="record every Octave result the tests use into dlparity_reference/ beside each test file, "
                         "for runs where Octave is missing (needs Octave; run without -n)")
    group.addoption("--dlparity-html", metavar="DIR", default=None,
                    help="write an HTML report (both files side by side, each variable's verdict on its line) into DIR "
                         "for every parity check that fails, and name it in the test's failure message")


def pytest_report_header(config: pytest.Config) -> list[str]:
    from dlparity.bridge import find_octave  # noqa: PLC0415
    from dlparity.store import PACKAGE_STORE  # noqa: PLC0415

    mode = os.environ.get("DLPARITY_OCTAVE", "auto") or "auto"
    exe = find_octave()
    meta = PACKAGE_STORE / "section1.json"
    try:
        with meta.open(encoding="utf-8") as f:
            provenance = json.load(f)
        stored = (f"stored results of GNU Octave {provenance.get('octave_version', '?')}, "
                  f"recorded {provenance.get('recorded', '?')}")
    except FileNotFoundError:
        stored = "no stored results"
    except (OSError, ValueError, AttributeError) as exc:  # a header line never stops the run; using them says why
        stored = f"stored results that cannot be read ({type(exc).__name__})"
    if config.getoption("dlparity_record", False):
        return [f"dlparity: Octave live at {exe} (recording into dlparity_reference/ beside each test file)"]
    if mode == "stored" or exe is None:
        why = "DLPARITY_OCTAVE=stored" if mode == "stored" else "no Octave found"
        return [f"dlparity: Octave side from {stored} ({why})"]
    return [f"dlparity: Octave live at {exe}; {stored} used only where Octave is missing"]

_REPORTS = pytest.StashKey[list[Any]]()
_NOTES = pytest.StashKey[list[str]]()
_NOTES_KEY = "dlparity_notes"
_WORKER_PARTS = pytest.StashKey[list[Any]]()
_OBSERVER = pytest.StashKey[Any]()
_KEY = "dlparity_bound_ratio"
_CURRENT = pytest.StashKey[list[str | None]]()  # the test whose setup, call or teardown is running
_HTML = pytest.StashKey[dict[str, list[str]]]()  # test node id -> a line per HTML report its failing checks wrote


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("dlparity_record", False) and (getattr(config.option, "numprocesses", None) or
                                                        hasattr(config, "workerinput")):
        raise pytest.UsageError("--dlparity-record writes one record per test file from one process; run it "
                                "without -n (pytest-xdist).")
    config.stash[_FOLDERS] = []
    if config.getoption("dlparity_record", False):
        config.stash[_RECORDER] = _Records()
    reports: list[QuantityReport] = config.stash.setdefault(_REPORTS, [])

    config.addinivalue_line("markers", "dlparity_planted: the test plants a fault on purpose; its checks do not "
                                       "count in dlparity's end-of-run bound line")
    planted = config.stash.setdefault(_PLANTED, [False])

    html_dir = _html_folder(config)
    current: list[str | None] = config.stash.setdefault(_CURRENT, [None])
    written: dict[str, list[str]] = config.stash.setdefault(_HTML, {})

    def observe(result: ParityResult) -> None:
        if result.ok and not planted[0]:  # a failed check is reported by its test; planted faults set no figure
            reports.extend(result.reports)
        if not result.ok and html_dir is not None:
            nodeid = current[0] or "outside-a-test"
            mine = written.setdefault(nodeid, [])
            stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.rpartition("/")[2]).strip("_")[:150]
            path = html_dir / f"{stem}{'-' + str(len(mine) + 1) if mine else ''}.html"
            try:
                result.save_html(path)
                mine.append(f"open in a browser: {path}")
            except (OutputError, InputError) as exc:  # the check's own failure stays the test's message
                mine.append(f"not written: {exc}")

    config.stash[_OBSERVER] = observe
    OBSERVERS.append(observe)


def _html_folder(config: pytest.Config) -> Path | None:
    """``--dlparity-html DIR``, made if missing; a usage error if it names a file."""
    given = config.getoption("dlparity_html", None)
    if not given:
        return None
    folder = Path(given)
    if folder.exists() and not folder.is_dir():
        raise pytest.UsageError(f"--dlparity-html {given} is a file; expected a folder for the HTML reports.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test names the HTML reports its failing parity checks wrote (``--dlparity-html``)."""
    outcome = yield
    report = outcome.get_result()
    lines = item.config.stash.get(_HTML, {}).get(item.nodeid)
    if report.when != "call" or not report.failed or not lines:
        return
    text = "\n".join(lines)
    if hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("dlparity HTML report", text)
    else:
        report.sections.append(("dlparity HTML report", text))


def pytest_unconfigure(config: pytest.Config) -> None:
    observe = config.stash.get(_OBSERVER, None)
    if observe in OBSERVERS:
        OBSERVERS.remove(observe)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    """Note each test file's folder: its dlparity_reference/ holds the Octave results recorded for it."""
    folders = parent.config.stash.get(_FOLDERS, None)
    if folders is not None and file_path.suffix == ".py" and file_path.parent not in folders:
        folders.append(file_path.parent)


@pytest.fixture(scope="session")
def octave(request: pytest.FixtureRequest) -> OctaveSide:
    """The Octave side, once per test process: live GNU Octave (:class:`dlparity.bridge.OctaveBridge`),
    a recording one under ``--dlparity-record``, or the recorded results where Octave is missing."""
    from dlparity.bridge import OctaveUnavailable, get_bridge  # noqa: PLC0415
    from dlparity.store import REFERENCE_FOLDER, RecordingBridge, octave_for_comparison  # noqa: PLC0415

    config = request.config
    if config.getoption("dlparity_record", False):
        live = get_bridge()
        try:
            live.session()
        except OctaveUnavailable as exc:
            pytest.fail(f"--dlparity-record needs GNU Octave: {exc}")
        recorder = RecordingBridge(live, Path.cwd(), "'pytest --dlparity-record' where Octave is installed")
        records = config.stash[_RECORDER]
        records.bridge = recorder
        records.switch(records.current)  # started inside some test's setup: its file from the first call on
        return recorder
    folders = [f / REFERENCE_FOLDER for f in config.stash.get(_FOLDERS, [])]
    try:
        return octave_for_comparison(folders)
    except OctaveUnavailable as exc:
        if os.environ.get("DLPARITY_REQUIRE_OCTAVE") == "1":
            pytest.fail(f"Octave is required here (DLPARITY_REQUIRE_OCTAVE=1): {exc}")
        pytest.skip(f"GNU Octave is not available: {exc}")


@pytest.fixture(scope="session")
def live_octave(octave: OctaveSide) -> OctaveSide:
    """Live GNU Octave only (tests that kill it, time it, or record it); skipped with the reason where the
    Octave side would come from stored results (a failure under DLPARITY_REQUIRE_OCTAVE=1)."""
    if getattr(octave, "source", "live") == "live":
        return octave
    reason = f"needs live GNU Octave, not stored results ({getattr(octave, 'why', '')})"
    if os.environ.get("DLPARITY_REQUIRE_OCTAVE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _file_under(item: pytest.Item, path: Path | None) -> None:
    """Under --dlparity-record, file what Octave evaluates from now on under ``path``'s record (None: nowhere);
    the test running is noted for ``--dlparity-html``'s file names."""
    current = item.config.stash.get(_CURRENT, None)
    if current is not None:
        current[0] = item.nodeid if path is not None else None
    records = item.config.stash.get(_RECORDER, None)
    if records is not None:
        records.switch(path)


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        records = item.config.stash.get(_RECORDER, None)
        if records is not None:
            records.partial.add(item.path)


def pytest_collection_finish(session: pytest.Session) -> None:
    records = session.config.stash.get(_RECORDER, None)
    if records is None:
        return
    for item in session.items:
        records.collected.setdefault(item.path, set()).add(item.nodeid)
    for arg in session.config.args:  # file.py::test_one selects part of a file without deselecting anything
        if "::" in arg:
            records.partial.add(Path(arg.split("::", 1)[0]).resolve())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """Fixtures' Octave results are filed under the test file being set up; a fixture whose Octave calls were not
    recorded is skipped with the reason, as in the test itself."""
    from dlparity.store import NotRecorded  # noqa: PLC0415

    _file_under(item, item.path)
    outcome = yield
    _file_under(item, None)
    _skip_if_not_recorded(outcome, NotRecorded)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Under --dlparity-record, file each Octave result under the test that asked for it; without Octave,
    a test whose Octave calls were not recorded is skipped with the reason (failed where Octave is required)."""
    from dlparity.store import NotRecorded  # noqa: PLC0415

    _file_under(item, item.path)
    records = item.config.stash.get(_RECORDER, None)
    if records is not None:
        records.ran.setdefault(item.path, set()).add(item.nodeid)
    planted = item.config.stash.get(_PLANTED, [False])
    planted[0] = item.get_closest_marker("dlparity_planted") is not None
    outcome = yield
    planted[0] = False
    _file_under(item, None)
    _skip_if_not_recorded(outcome, NotRecorded)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Any:
    """Fixtures torn down after ``item`` file their Octave results under its test file, never the next one's."""
    _file_under(item, item.path)
    yield
    _file_under(item, None)


def _skip_if_not_recorded(outcome: Any, not_recorded: type[BaseException]) -> None:
    excinfo = outcome.excinfo
    if excinfo is None or not isinstance(excinfo[1], not_recorded):
        return
    if os.environ.get("DLPARITY_REQUIRE_OCTAVE") == "1":
        return  # where Octave is required, a missing record is a failure, never a skip
    outcome.force_exception(pytest.skip.Exception(f"needs live GNU Octave: {excinfo[1]}", _use_item_location=True))


def _write_records(config: pytest.Config) -> None:
    """Each test file's recorded results. When every test of the file was selected and ran, they replace its
    record (results no test asks for any more go). Otherwise they are merged into it by key: a result of this run
    replaces the recorded one of the same inputs, the rest stays (the tests not run this time), except entries
    whose ``.m`` files changed since (never usable again, and one part holds one SHA-256 per ``.m`` file). A record
    made by another Octave, BLAS or platform (one part carries one provenance), or that cannot be read (another
    format, a damaged or missing file, ``.npz`` and ``.json`` that do not belong together), is replaced."""
    records = config.stash.get(_RECORDER, None)
    if records is None or records.bridge is None:
        return
    import zipfile  # noqa: PLC0415

    from dlparity.store import REFERENCE_FOLDER, Part, StaleReference, changed_mfile  # noqa: PLC0415

    for path, entries in records.files.items():
        if not entries:
            continue
        target = path.parent / REFERENCE_FOLDER / path.stem
        records.bridge.entries = dict(entries)
        part = records.bridge.part(target)
        if not records.whole(path) and target.with_suffix(".json").is_file():
            try:
                old = Part.load(target)
            except (StaleReference, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
                old = None  # unreadable (e.g. a merge conflict in the .json): replaced
            same_octave = old is not None and all(old.provenance.get(k) == part.provenance.get(k)
                                                  for k in ("octave_version", "blas", "platform"))
            if old is not None and same_octave:
                kept = {k: e for k, e in old.entries.items() if changed_mfile(e, path.parent) is None}
                part.entries = {**kept, **entries}
        part.save()


@pytest.fixture(scope="session")
def dlparity_reports(request: pytest.FixtureRequest) -> list[QuantityReport]:
    """Append :class:`~dlparity.comparison.compare.QuantityReport` objects made outside ``check_parity`` here;
    the end-of-run line counts them too (``check_parity``'s own are counted already)."""
    return request.config.stash.setdefault(_REPORTS, [])


@pytest.fixture(scope="session")
def dlparity_notes(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test wants printed in the end-of-run summary (e.g. a table of measured ratios); under
    pytest-xdist every worker's lines reach the controller."""
    return request.config.stash.setdefault(_NOTES, [])


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
    _write_records(session.config)
    output = getattr(session.config, "workeroutput", None)  # set on xdist workers only
    summary = _summary(session.config)
    if output is not None and summary is not None:
        output[_KEY] = json.dumps(summary)
    if output is not None and session.config.stash.get(_NOTES, []):
        output[_NOTES_KEY] = json.dumps(session.config.stash[_NOTES])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    text = getattr(node, "workeroutput", {}).get(_KEY)
    if text:
        node.config.stash.setdefault(_WORKER_PARTS, []).append(json.loads(text))
    notes = getattr(node, "workeroutput", {}).get(_NOTES_KEY)
    if notes:
        node.config.stash.setdefault(_NOTES, []).extend(json.loads(notes))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    notes = config.stash.get(_NOTES, [])
    if notes:
        terminalreporter.write_sep("-", "dlparity: notes")
        for line in notes:
            terminalreporter.write_line(line)
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
