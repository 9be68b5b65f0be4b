"""``dlparity compare``: the table, --json, --save, --inputs, and one-sentence errors before Octave starts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import run_cli

from dlparity.blocks import OUTPUTS
from dlparity.cli import main as cli

ISSUE_ARGS = ["--sizes", "5,7,3", "--samples", "40", "--batch", "8", "--start", "33"]


@pytest.mark.octave
def test_compare_json(capsys: pytest.CaptureFixture[str], octave_bridge: Any) -> None:
    code, out, _ = run_cli(capsys, "compare", "--json", *ISSUE_ARGS)
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    pairs = [(q["form"], q["name"]) for q in report["quantities"]]
    for form in ("backprop", "manual"):
        assert [n for f, n in pairs if f == form] == list(OUTPUTS[form])
    for q in report["quantities"]:
        assert {"form", "name", "shape", "max_abs_diff", "max_rel_diff", "max_ulp", "tolerance", "ok"} <= set(q)
        assert q["ok"] is True, q
    dW1 = next(q for q in report["quantities"] if q["form"] == "backprop" and q["name"] == "dW1")
    assert dW1["shape"] == [7, 5]
    x = next(q for q in report["quantities"] if q["form"] == "backprop" and q["name"] == "x")
    assert x["shape"] == [5, 8]  # rows 33..40: a full batch of 8


@pytest.mark.octave
def test_compare_table(capsys: pytest.CaptureFixture[str], octave_bridge: Any) -> None:
    code, out, _ = run_cli(capsys, "compare", "--form", "backprop", "--seed", "4")
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("form"))
    for column in ("quantity", "shape", "octave", "numpy", "max|Δ|", "max rel Δ", "max ULP", "tolerance", "verdict"):
        assert column in header
    assert "seed=4" in out and "all 18 comparisons match" in out


@pytest.mark.octave
def test_save_and_replay(capsys: pytest.CaptureFixture[str], octave_bridge: Any, tmp_path: Path) -> None:
    path = tmp_path / "case.npz"
    code, _, _ = run_cli(capsys, "compare", "--json", *ISSUE_ARGS, "--save", str(path))
    assert code == 0
    with np.load(path) as saved:
        keys = set(saved.files)
        assert {"X", "y", "W1", "b1", "W2", "b2", "W3", "b3", "i", "batch_size"} <= keys
        assert saved["X"].shape == (40, 5) and saved["y"].shape == (40, 1)
        assert int(saved["i"]) == 33 and int(saved["batch_size"]) == 8
        for side in ("octave", "numpy"):
            for form in ("backprop", "manual"):
                for name in OUTPUTS[form]:
                    assert f"{side}/{form}/{name}" in keys
        assert saved["octave/backprop/dW1"].shape == (7, 5)
        saved_y = saved["y"].copy()
    code, out, _ = run_cli(capsys, "compare", "--json", "--inputs", str(path))
    assert code == 0 and json.loads(out)["ok"] is True
    with np.load(path) as again:
        np.testing.assert_array_equal(again["y"], saved_y)


def test_save_never_overwrites(capsys: pytest.CaptureFixture[str], tmp_path: Path, no_octave: None) -> None:
    path = tmp_path / "mine.npz"
    path.write_bytes(b"precious")
    code, out, err = run_cli(capsys, "compare", "--save", str(path))
    assert code == 2 and out == ""
    assert "--save" in err and "already exists" in err and "--overwrite" in err
    assert path.read_bytes() == b"precious"


def test_start_zero_is_one_sentence(capsys: pytest.CaptureFixture[str], no_octave: None) -> None:
    code, out, err = run_cli(capsys, "compare", "--start", "0")
    assert code == 2 and out == ""
    assert err.strip() == ("dlparity compare: error: --start is 0; expected a 1-based row with 1 <= --start <= "
                           "--samples (40), as MATLAB's i in X(i:batch_end, :).")


def test_row_y_is_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path, no_octave: None) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "row_y.npz"
    np.savez(path, X=rng.standard_normal((6, 2)), y=rng.standard_normal((1, 6)), W1=np.ones((3, 2)),
             b1=np.ones((3, 1)), W2=np.ones((2, 3)), b2=np.ones((2, 1)), W3=np.ones((1, 2)), b3=np.ones((1, 1)),
             i=1, batch_size=4)
    code, out, err = run_cli(capsys, "compare", "--inputs", str(path))
    assert code == 2 and out == ""
    assert "y has shape (1, 6), a row; expected a column of shape (6, 1)" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--sizes", "5,7"], "--sizes is '5,7'; expected 3 whole numbers >= 1"),
    (["--sizes", "5,0,3"], "--sizes is '5,0,3'"),
    (["--batch", "0"], "--batch is 0; expected a whole number >= 1"),
    (["--samples", "many"], "--samples is 'many'"),
    (["--save", "out.mat"], "expected a file name ending in .npz"),
    (["--form", "adjoint"], "invalid choice: 'adjoint'"),
    (["--random-seed", "-3"], "--random-seed is '-3'; expected a whole number from 0 to 4294967295"),
    (["--random-seed", "4294967296"], "--random-seed is '4294967296'"),
    (["--random-mode", "matlab"], "invalid choice: 'matlab'"),
], ids=["sizes-two", "sizes-zero", "batch-zero", "samples-text", "save-suffix", "form", "random-seed-negative",
        "random-seed-big", "random-mode"])
def test_bad_flags(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str, no_octave: None) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["compare", *argv])
    assert info.value.code == 2
    assert fragment in capsys.readouterr().err


def test_missing_inputs_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, no_octave: None) -> None:
    code, _, err = run_cli(capsys, "compare", "--inputs", str(tmp_path / "nope.npz"))
    assert code == 2 and "does not exist" in err


@pytest.mark.octave
def test_default_start_is_the_last_minibatch(capsys: pytest.CaptureFixture[str], octave_bridge: Any) -> None:
    """Without --start, the case is the last minibatch upstream's loop reaches: 38 rows in 8s end with 6."""
    code, out, _ = run_cli(capsys, "compare", "--json", "--samples", "38", "--batch", "8")
    report = json.loads(out)
    assert code == 0 and "i=33" in report["case"] and "batch_end=38" in report["case"]
    x = next(q for q in report["quantities"] if q["form"] == "backprop" and q["name"] == "x")
    assert x["shape"] == [5, 6]


@pytest.mark.parametrize(("make", "argv", "fragment"), [
    (lambda d: (d / "out.npz").mkdir(), ["--save", "{d}/out.npz", "--overwrite"], "is a folder; expected a file name"),
    (lambda d: (d / "nz.npz").write_text("not a zip"), ["--inputs", "{d}/nz.npz"], "is not an .npz (zip) file"),
    (lambda d: np.savez(d / "i2.npz", X=np.ones((6, 2)), y=np.ones((6, 1)), W1=np.ones((3, 2)), b1=np.ones((3, 1)),
                        W2=np.ones((2, 3)), b2=np.ones((2, 1)), W3=np.ones((1, 2)), b3=np.ones((1, 1)), i=[1, 2]),
     ["--inputs", "{d}/i2.npz"], "i has shape (2,); expected a single whole number"),
    (lambda d: None, ["--seed", "-1"], "--seed is -1; expected a whole number >= 0"),
    (lambda d: None, ["--samples", "1000000000000"], "not enough memory"),
], ids=["save-folder", "inputs-not-zip", "inputs-i-vector", "negative-seed", "huge"])
def test_odd_arguments_are_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path, no_octave: None,
                                        make: Any, argv: list[str], fragment: str) -> None:
    make(tmp_path)
    try:
        code = cli.main(["compare", *(a.format(d=tmp_path) for a in argv)])
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and fragment in err, f"exit {code}, stderr {err!r}"
    assert "Traceback" not in err
