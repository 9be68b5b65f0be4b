"""The command line used as a hostile user would (issue 9's list): corrupt and oversized files, full
disks, concurrent runs. Each test reproduces one fault of the list; the Octave ones (stopped, killed,
interrupted Octave, start-up) are in ``test_hostile_octave.py``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import one_sentence, run_cli

from dlparity.cli import main as cli
from dlparity.fileio import MAX_NPZ_BYTES, OutputError, read_npz, write_atomic
from dlparity.validation import InputError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def stored_octave(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default case from the package's stored Octave results: these tests are about files, not Octave."""
    monkeypatch.setenv("DLPARITY_OCTAVE", "stored")


def good_case(path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(path, X=rng.standard_normal((6, 2)), y=rng.standard_normal((6, 1)), W1=np.ones((3, 2)),
             b1=np.ones((3, 1)), W2=np.ones((2, 3)), b2=np.ones((2, 1)), W3=np.ones((1, 2)), b3=np.ones((1, 1)),
             i=1, batch_size=4)


# -- fault 3: corrupt, truncated and oversized .npz --------------------------------------------

@pytest.mark.usefixtures("no_octave")
def test_corrupt_crc_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    good_case(path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("X.npy")
    # the last byte of X's data (stored uncompressed by savez): the CRC no longer matches
    end = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size - 1
    raw[end] ^= 0xFF
    path.write_bytes(bytes(raw))
    code, out, err = run_cli(capsys, "compare", "--inputs", str(path))
    assert (code, out) == (2, "")
    assert "not a readable .npz" in one_sentence(err)


@pytest.mark.usefixtures("no_octave")
def test_truncated_npz_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    good_case(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    code, out, err = run_cli(capsys, "compare", "--inputs", str(path))
    assert (code, out) == (2, "")
    one_sentence(err)


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 5 MB .npz whose one array inflates to 1 GiB + 1 MiB of zeros (above MAX_NPZ_BYTES)."""
    n = (MAX_NPZ_BYTES + 2**20) // 8
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (n,)})
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    chunk = bytes(2**24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
            z.open("X.npy", "w", force_zip64=True) as f:
        f.write(head.getvalue())
        left = n * 8
        while left > 0:
            f.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


@pytest.mark.usefixtures("no_octave")
def test_zip_bomb_refused_before_decompressing(capsys: pytest.CaptureFixture[str], zip_bomb: Path) -> None:
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        code, out, err = run_cli(capsys, "compare", "--inputs", str(zip_bomb))
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (code, out) == (2, "")
    assert "declares 1,074,790,528 bytes" in one_sentence(err)
    # decompressing would take seconds and a GiB; reading the zip directory takes neither
    assert seconds < 1.0 and peak < 50 * 2**20, (seconds, peak)


def test_read_npz_never_inflates_beyond_the_declared_size(tmp_path: Path) -> None:
    """A member whose directory entry understates its size is cut off at that size, then refused."""
    path = tmp_path / "liar.npz"
    buf = io.BytesIO()
    np.save(buf, np.zeros(1000))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", buf.getvalue())
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        true_size = z.getinfo("X.npy").file_size
    small = (200).to_bytes(4, "little")
    for at in (raw.find(b"PK\x03\x04") + 22, raw.find(b"PK\x01\x02") + 24):  # local header, central directory
        assert raw[at:at + 4] == true_size.to_bytes(4, "little")
        raw[at:at + 4] = small
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"is not a readable \.npz|not the size its header declares|could not be read"):
        read_npz("--inputs", path)


# -- fault 4: writes on a full disk ------------------------------------------------------------

def test_overwrite_on_a_full_disk_keeps_the_original(capsys: pytest.CaptureFixture[str], full_disk: Path,
                                                     stored_octave: None) -> None:
    path = full_disk / "case.npz"
    good_case(path)
    original = path.read_bytes()
    (full_disk / "filler").write_bytes(bytes(64 * 1024 - len(original) - 8192))  # leave less than a save needs
    code, out, err = run_cli(capsys, "compare", "--save", str(path), "--overwrite")
    assert code == 4, err  # ran, results shown, file not written: neither "nothing run" (2) nor success
    assert "all 48 comparisons match" in out and "saved" not in out
    assert "could not be written (No space left on device)" in one_sentence(err)
    assert path.read_bytes() == original
    assert sorted(p.name for p in full_disk.iterdir()) == ["case.npz", "filler"]  # no temporary file left


def test_failed_save_leaves_nothing_partial(capsys: pytest.CaptureFixture[str], full_disk: Path,
                                            stored_octave: None) -> None:
    (full_disk / "filler").write_bytes(bytes(60 * 1024))
    code, out, err = run_cli(capsys, "compare", "--json", "--save", str(full_disk / "new.npz"))
    assert code == 4
    assert json.loads(out)["ok"] is True  # the results are still printed
    one_sentence(err)
    assert [p.name for p in full_disk.iterdir()] == ["filler"]


@pytest.mark.octave
def test_failed_train_save_and_plot_keep_the_table(capsys: pytest.CaptureFixture[str], full_disk: Path,
                                                   octave_bridge: Any) -> None:
    """A training run whose --save and --plot hit a full disk: the table, both sentences, exit 4, no files."""
    pytest.importorskip("matplotlib")
    (full_disk / "filler").write_bytes(bytes(60 * 1024))
    code = cli.main(["train", "--epochs", "3", "--sizes", "4,3", "--batch", "64", "--save",
                     str(full_disk / "run.npz"), "--plot", str(full_disk / "run.png")])
    out, err = capsys.readouterr()
    assert code == 4, err
    assert "loss octave" in out and "wall time" in out
    sentences = [line for line in err.splitlines() if "error:" in line]
    assert len(sentences) == 2 and "--save" in sentences[0] and "--plot" in sentences[1], err
    assert [p.name for p in full_disk.iterdir()] == ["filler"]


def test_write_atomic_interrupted_leaves_original(tmp_path: Path) -> None:
    path = tmp_path / "out.npz"
    path.write_bytes(b"precious")

    def writer(f: Any) -> None:
        f.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, writer, overwrite=True)
    assert path.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.npz"]
    with pytest.raises(OutputError):
        write_atomic(tmp_path / "nofolder" / "x.npz", lambda f: f.write(b"x"), overwrite=False)


# -- fault 5: concurrent saves to one new name -------------------------------------------------

def test_concurrent_saves_one_wins(tmp_path: Path) -> None:
    path = tmp_path / "same.npz"
    env = {**os.environ, "DLPARITY_OCTAVE": "stored"}
    procs = [subprocess.Popen([sys.executable, "-m", "dlparity", "compare", "--seed", "0", "--save", str(path)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2, 2], results
    serial = f"dlparity compare: error: --save {path} already exists; choose another name or pass --overwrite."
    for code, out, err in results:
        if code == 2:
            assert err.strip() == serial and out == ""
        else:
            assert f"saved inputs and outputs to {path}" in out
    assert [p.name for p in tmp_path.iterdir()] == ["same.npz"]
    with np.load(path) as saved:
        assert "octave/backprop/dW1" in saved.files
