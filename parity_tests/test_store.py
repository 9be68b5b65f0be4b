"""The recorded Octave results: deterministic, still Octave's, refused when stale, and used where Octave is missing.

The package's store (``dlparity/reference``) is checked against live Octave within the
rounding-error bound, so a changed Octave or BLAS that moves results is noticed. Freshness is
checked on copies (the real ``.m`` files are never edited). Commands run as a user runs them: the
real ``dlparity`` entry point in a subprocess, with Octave hidden where the test says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import dlparity_process

from dlparity.blocks import FORMS, OUTPUTS, run_octave_cases
from dlparity.bounds.hand import block_error_bounds
from dlparity.bridge import matlab_ref_dir
from dlparity.cases import default_case, draw_case, reference_cases
from dlparity.comparison.compare import compare_quantity
from dlparity.store import PACKAGE_STORE, NotRecorded, Part, StaleReference, StoredBridge, package_store

HIDDEN = {"OCTAVE_EXECUTABLE": "/nonexistent/octave-cli", "DLPARITY_OCTAVE": "auto"}


@pytest.mark.octave
def test_record_twice_gives_bit_identical_arrays(live_octave: Any, tmp_path: Path) -> None:
    for out in ("a", "b"):
        proc = dlparity_process("record", "section1", "--out", str(tmp_path / out))
        assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "a/section1.npz") as a, np.load(tmp_path / "b/section1.npz") as b:
        assert sorted(a.files) == sorted(b.files)
        for name in a.files:
            assert a[name].tobytes() == b[name].tobytes() and a[name].dtype == b[name].dtype, name
    meta_a = json.loads((tmp_path / "a/section1.json").read_text())
    meta_b = json.loads((tmp_path / "b/section1.json").read_text())
    meta_a.pop("recorded")
    meta_b.pop("recorded")
    assert meta_a == meta_b  # only the date may differ


@pytest.mark.octave
def test_store_still_agrees_with_live_octave(live_octave: Any) -> None:
    """Every stored block result against live Octave now, within 2x the rounding-error bound: a changed
    Octave, BLAS or .m file that moves results beyond that is noticed here."""
    octave = live_octave
    stored = package_store()
    cases = reference_cases()
    worst = 0.0
    for form in FORMS:
        live = run_octave_cases(octave, form, [c.inputs for c in cases])
        kept = run_octave_cases(stored, form, [c.inputs for c in cases])
        for case, mine, gold in zip(cases, live, kept, strict=True):
            bounds = block_error_bounds(case.inputs, mine if form == "backprop" else run_octave_cases(
                octave, "backprop", [case.inputs])[0])
            for name in OUTPUTS[form]:
                r = compare_quantity(case.describe(), form, name, gold[name], mine[name], bounds.tolerance(name),
                                     gold_label="stored", mine_label="live")
                assert r.ok, r.message()
                worst = max(worst, r.bound_ratio)
    assert worst <= 1.0


def copy_store(tmp_path: Path) -> tuple[StoredBridge, Path]:
    ref = tmp_path / "matlab_ref"
    shutil.copytree(matlab_ref_dir(), ref)
    shutil.copytree(PACKAGE_STORE, tmp_path / "store")
    return StoredBridge([(tmp_path / "store" / "section1", ref)], "a test"), ref


def test_an_edited_m_file_makes_the_store_refuse_with_the_regenerate_command(tmp_path: Path) -> None:
    stored, ref = copy_store(tmp_path)
    case = default_case()
    assert set(run_octave_cases(stored, "backprop", [case.inputs])[0]) == set(OUTPUTS["backprop"])
    original = (ref / "backprop.m").read_text(encoding="utf-8")
    (ref / "backprop.m").write_text(original.replace("% Section 1.3", "% section 1.3", 1), encoding="utf-8")
    with pytest.raises(StaleReference) as err:
        run_octave_cases(stored, "backprop", [case.inputs])
    message = str(err.value)
    assert "backprop.m changed since it was recorded" in message and "'dlparity record section1'" in message
    assert "\n" not in message
    (ref / "backprop.m").write_text(original, encoding="utf-8")  # restored: used again
    run_octave_cases(stored, "backprop", [case.inputs])


def test_a_case_the_store_does_not_hold_is_one_sentence() -> None:
    with pytest.raises(NotRecorded) as err:
        run_octave_cases(package_store("no Octave in this test"), "manual", [draw_case(123456, (3, 4, 2), 9, 4, 1).inputs])
    assert "do not hold the manual block on N=9" in str(err.value) and "install GNU Octave" in str(err.value)


def test_the_store_names_its_provenance() -> None:
    part = Part.load(PACKAGE_STORE / "section1")
    for key in ("octave_version", "blas", "platform", "recorded", "package_version", "mfiles", "regenerate"):
        assert part.provenance.get(key), key
    assert set(part.provenance["mfiles"]) >= {"backprop.m", "manual_gradients.m", "ReLU.m", "ReLU_deriv.m"}
    specs = [e.spec for e in part.entries.values()]
    assert all({"form", "seed", "label", "sizes", "N", "i", "batch_size"} <= set(s) for s in specs)
    assert len(part.entries) == 2 * len(reference_cases())
    size = sum(p.stat().st_size for p in PACKAGE_STORE.iterdir())
    assert size < 5_000_000, f"the store is {size / 1e6:.1f} MB"


def test_compare_without_octave_uses_the_store_and_says_so() -> None:
    proc = dlparity_process("compare", "--json", env=HIDDEN)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True
    assert report["octave"]["source"] == "stored"
    assert report["octave"]["version"] and report["octave"]["recorded"]
    table = dlparity_process("compare", env=HIDDEN)
    assert table.returncode == 0 and table.stdout.startswith("octave: stored results of GNU Octave")
    missing = dlparity_process("compare", "--seed", "31337", env=HIDDEN)
    assert missing.returncode == 3
    assert missing.stderr.count("\n") == 1 and "install GNU Octave" in missing.stderr
    live_only = dlparity_process("compare", env={**HIDDEN, "DLPARITY_OCTAVE": "live"})
    assert live_only.returncode == 3 and "Octave was not found" in live_only.stderr


@pytest.mark.octave
def test_both_modes_give_the_same_comparison(live_octave: Any) -> None:
    live = json.loads(dlparity_process("compare", "--json").stdout)
    kept = json.loads(dlparity_process("compare", "--json", env={"DLPARITY_OCTAVE": "stored"}).stdout)
    assert live["octave"]["source"] == "live" and kept["octave"]["source"] == "stored"
    assert live["quantities"] == kept["quantities"]  # same numbers, same tolerances, same verdicts


def test_selfcheck_runs_without_octave() -> None:
    proc = dlparity_process("selfcheck", env=HIDDEN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("octave: stored results")
    assert "section 1 blocks: 232 cases" in proc.stdout and "all match" in proc.stdout
    assert proc.stdout.count(": agree") == 2


@pytest.mark.octave
def test_plugin_records_beside_the_test_and_replays_without_octave(live_octave: Any, tmp_path: Path) -> None:
    """A user's own pair: pytest --dlparity-record writes dlparity_reference/, a run without Octave replays it,
    the pytest header says which, and an edited .m is refused (never silently used)."""
    (tmp_path / "halve.m").write_text("function h = halve(v)\n  h = v / 2;\nend\n", encoding="utf-8")
    (tmp_path / "halve.py").write_text("def halve(v):\n    return {'h': v / 2}\n", encoding="utf-8")
    (tmp_path / "test_halve.py").write_text(textwrap.dedent("""
        import numpy as np
        from halve import halve
        from dlparity import assert_parity

        def test_halve(octave):
            assert_parity("halve.m", halve, {"v": np.arange(6.0).reshape(2, 3)}, bridge=octave)
    """), encoding="utf-8")
    pytest_cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_halve.py"]  # not -q: the header

    def run(*extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DLPARITY_REQUIRE")}
        return subprocess.run([*pytest_cmd, *extra], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              check=False, env={**clean, **(env or {})})

    recorded = run("--dlparity-record")
    assert recorded.returncode == 0, recorded.stdout
    assert (tmp_path / "dlparity_reference" / "test_halve.json").is_file()
    replay = run(env=HIDDEN)
    assert replay.returncode == 0, replay.stdout
    assert "dlparity: Octave side from stored results" in replay.stdout and "1 passed" in replay.stdout
    (tmp_path / "halve.m").write_text("function h = halve(v)\n  % edited\n  h = v / 2;\nend\n", encoding="utf-8")
    stale = run(env=HIDDEN)
    assert stale.returncode == 1 and "halve.m changed since it was recorded" in stale.stdout


def write_halve_pair(folder: Path, tests: str, name: str = "test_halve.py") -> None:
    """halve.m, its twin halve.py, and a test file ``name`` holding ``tests`` (the pair of the test above)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "halve.m").write_text("function h = halve(v)\n  h = v / 2;\nend\n", encoding="utf-8")
    (folder / "halve.py").write_text("def halve(v):\n    return {'h': v / 2}\n", encoding="utf-8")
    head = ("from pathlib import Path\nimport numpy as np\nimport pytest\nfrom halve import halve\n"
            "from dlparity import assert_parity\nHALVE = Path(__file__).parent / 'halve.m'\n")
    (folder / name).write_text(head + textwrap.dedent(tests), encoding="utf-8")


def run_pytest(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in a subprocess as a user runs it (no DLPARITY_REQUIRE_OCTAVE: a missing record is a skip)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DLPARITY_REQUIRE")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False, env={**clean, **(env or {})})


def recorded_entries(part: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(part.with_suffix(".json").read_text(encoding="utf-8"))["entries"]
    return entries


@pytest.mark.octave
def test_recording_one_test_of_a_file_keeps_the_others_records(live_octave: Any, tmp_path: Path) -> None:
    """pytest test_x.py::test_one --dlparity-record merges into test_x's record: test_two's entry stays and replays."""
    write_halve_pair(tmp_path, """
        def test_one(octave):
            assert_parity("halve.m", halve, {"v": np.arange(6.0).reshape(2, 3)}, bridge=octave)

        def test_two(octave):
            assert_parity(HALVE, halve, {"v": np.ones((2, 2))}, bridge=octave)
    """)
    part = tmp_path / "dlparity_reference" / "test_halve"
    both = run_pytest(tmp_path, "test_halve.py", "--dlparity-record")
    assert both.returncode == 0, both.stdout
    first = {e["key"]: e for e in recorded_entries(part)}
    assert len(first) == 2
    one = run_pytest(tmp_path, "test_halve.py::test_one", "--dlparity-record")
    assert one.returncode == 0 and "1 passed" in one.stdout, one.stdout
    again = {e["key"]: e for e in recorded_entries(part)}
    assert again == first, "re-recording test_one alone changed test_halve's record"
    replay = run_pytest(tmp_path, "test_halve.py", "-rs", env=HIDDEN)
    assert replay.returncode == 0 and "2 passed" in replay.stdout and "skipped" not in replay.stdout, replay.stdout


@pytest.mark.octave
def test_recording_a_whole_file_replaces_its_record(live_octave: Any, tmp_path: Path) -> None:
    """Every test of the file selected and run: results no test asks for any more go (with -k they stay);
    a record pytest cannot read (a merge conflict in the .json) or made by another Octave is replaced, not
    a traceback, and the entries kept under a merge carry the provenance of one Octave."""
    write_halve_pair(tmp_path, """
        def test_one(octave):
            assert_parity(HALVE, halve, {"v": np.ones((2, 2))}, bridge=octave)

        def test_two(octave):
            assert_parity(HALVE, halve, {"v": np.ones((1, 3))}, bridge=octave)
    """)
    part = tmp_path / "dlparity_reference" / "test_halve"
    assert run_pytest(tmp_path, "test_halve.py", "--dlparity-record").returncode == 0
    live = {e["key"] for e in recorded_entries(part)}
    (tmp_path / "test_halve.py").write_text((tmp_path / "test_halve.py").read_text(encoding="utf-8").replace(
        "np.ones((1, 3))", "np.ones((1, 4))"), encoding="utf-8")  # test_two now asks for other inputs
    assert run_pytest(tmp_path, "test_halve.py", "-k", "test_one", "--dlparity-record").returncode == 0
    assert {e["key"] for e in recorded_entries(part)} == live, "-k: the other test's old result must stay"
    assert run_pytest(tmp_path, "test_halve.py", "--dlparity-record").returncode == 0
    now = {e["key"] for e in recorded_entries(part)}
    assert len(now) == 2 and len(now & live) == 1, "a whole-file recording keeps a result no test asks for"

    index = part.with_suffix(".json")
    index.write_text("<<<<<<< HEAD\n" + index.read_text(encoding="utf-8"), encoding="utf-8")
    conflicted = run_pytest(tmp_path, "test_halve.py::test_one", "--dlparity-record")
    assert conflicted.returncode == 0 and "Traceback" not in conflicted.stdout + conflicted.stderr, conflicted.stdout
    assert len(recorded_entries(part)) == 1, "an unreadable record is replaced by this run's results"

    meta = json.loads(index.read_text(encoding="utf-8"))
    meta["octave_version"] = "6.4.0"
    index.write_text(json.dumps(meta), encoding="utf-8")  # the .npz digest still matches: readable, other Octave
    assert run_pytest(tmp_path, "test_halve.py::test_two", "--dlparity-record").returncode == 0
    meta = json.loads(index.read_text(encoding="utf-8"))
    assert meta["octave_version"] != "6.4.0" and len(meta["entries"]) == 1, "another Octave's results were kept"


@pytest.mark.octave
def test_octave_calls_in_fixtures_are_recorded_beside_their_test_file(live_octave: Any, tmp_path: Path) -> None:
    """A fixture's Octave calls (setup and teardown) go to its own test file's record, not the file run before it."""
    write_halve_pair(tmp_path / "a", """
        def test_in_the_body(octave):
            assert_parity(HALVE, halve, {"v": np.ones((3, 2))}, bridge=octave)
    """, "test_body.py")
    write_halve_pair(tmp_path / "b", """
        @pytest.fixture
        def halved(octave):
            yield assert_parity(HALVE, halve, {"v": np.ones((1, 3))}, bridge=octave)
            assert_parity(HALVE, halve, {"v": np.ones((1, 5))}, bridge=octave)  # in teardown

        def test_in_a_fixture(halved):
            assert halved.ok
    """, "test_fixture.py")
    recorded = run_pytest(tmp_path, "a/test_body.py", "b/test_fixture.py", "--dlparity-record")
    assert recorded.returncode == 0, recorded.stdout
    assert len(recorded_entries(tmp_path / "a" / "dlparity_reference" / "test_body")) == 1
    assert (tmp_path / "b" / "dlparity_reference" / "test_fixture.json").is_file(), "the fixture's calls were " \
        "not recorded beside b/test_fixture.py"
    assert len(recorded_entries(tmp_path / "b" / "dlparity_reference" / "test_fixture")) == 2
    replay = run_pytest(tmp_path / "b", "test_fixture.py", "-rs", env=HIDDEN)
    assert replay.returncode == 0 and "1 passed" in replay.stdout and "skipped" not in replay.stdout, replay.stdout


def test_an_npz_that_is_not_the_json_s_own_is_refused(tmp_path: Path) -> None:
    """A part's .json names its .npz's SHA-256: another .npz (a save stopped between the two files) is refused."""
    from dlparity.store import Entry  # noqa: PLC0415

    def save(name: str, value: float) -> Part:
        entry = Entry("k", "pair", {"files": ["f.m"]}, {}, {"h": np.full((2, 3), value)})
        part = Part(tmp_path / name, {"regenerate": "'dlparity record section1'"}, {"k": entry})
        part.save()
        return part

    save("old", 1.0)
    save("new", 2.0)
    np.testing.assert_array_equal(Part.load(tmp_path / "old").entries["k"].result["h"], np.full((2, 3), 1.0))
    shutil.copyfile(tmp_path / "new.npz", tmp_path / "old.npz")  # new arrays beside the old index
    with pytest.raises(StaleReference) as err:
        Part.load(tmp_path / "old")
    message = str(err.value)
    assert "old.npz" in message and "old.json" in message and "do not belong together" in message, message
    assert message.endswith("regenerate them with 'dlparity record section1'.") and "\n" not in message, message
    np.testing.assert_array_equal(Part.load(tmp_path / "new").entries["k"].result["h"], np.full((2, 3), 2.0))


def test_pytest_header_reads_the_stores_provenance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    """The header's 'stored results of GNU Octave V, recorded D' comes from the store's JSON (json.load), and a
    store that cannot be read is said, never a crash of the whole run."""
    import dlparity.store  # noqa: PLC0415
    from dlparity.pytest_plugin import pytest_report_header  # noqa: PLC0415

    provenance = json.loads((PACKAGE_STORE / "section1.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("DLPARITY_OCTAVE", "stored")
    (line,) = pytest_report_header(request.config)
    assert f"stored results of GNU Octave {provenance['octave_version']}, recorded {provenance['recorded']}" in line
    (tmp_path / "section1.json").write_text('{"octave_version": "7.3.0", <<<<<<< merge conflict', encoding="utf-8")
    monkeypatch.setattr(dlparity.store, "PACKAGE_STORE", tmp_path)
    (line,) = pytest_report_header(request.config)
    assert "stored results that cannot be read (JSONDecodeError)" in line, line
