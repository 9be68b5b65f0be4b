"""The command line used as a hostile user would, continued (issue 9's faults 7 and 9, and compare's
exits 1 and 3): inputs that overflow, numbers written ``1_000``, odd stored ``batch_size``, CSV files
with another separator or of a size that the loader must not copy many times over.
"""

from __future__ import annotations

import argparse
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import dlparity_process, one_sentence, run_cli

import dlparity.blocks
from dlparity.cli.args import load_case
from dlparity.training import data as data_module
from dlparity.training.data import load_csv
from dlparity.validation import InputError

ROOT = Path(__file__).resolve().parent.parent


def case_of(path: Path, scale: dict[str, float], **extra: Any) -> Path:
    """An --inputs archive of the default shapes (N=8, sizes 5,7,3) with every entry of each array ``scale``."""
    shapes = {"X": (8, 5), "y": (8, 1), "W1": (7, 5), "b1": (7, 1), "W2": (3, 7), "b2": (3, 1), "W3": (1, 3),
              "b3": (1, 1)}
    np.savez(path, **{k: np.full(s, scale.get(k, 1.0)) for k, s in shapes.items()}, **extra)
    return path


# -- fault 7: inputs that overflow double precision ---------------------------------------------

@pytest.mark.usefixtures("no_octave")  # the overflow is found on the NumPy side, before Octave starts
@pytest.mark.parametrize("value", [1e308, 1e200], ids=["1e308", "1e200"])
def test_overflowing_inputs_are_one_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             value: float) -> None:
    inputs = case_of(tmp_path / "big.npz", dict.fromkeys(("X", "y", "W1", "b1", "W2", "b2", "W3", "b3"), value))
    code, out, err = run_cli(capsys, "compare", "--inputs", str(inputs))  # a RuntimeWarning is an error here
    line = one_sentence(err)
    assert code == 2 and out == "", (code, out)
    assert "overflow double precision" in line and "NumPy's z1 (section 1.3)" in line, line


@pytest.mark.usefixtures("no_octave")
def test_overflow_names_the_first_quantity_that_overflows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # z1 = 5 x 1e150 x 1e150 + 1 = 5e300 is finite; z2 = 7 x 1e10 x 5e300 is not
    inputs = case_of(tmp_path / "big.npz", {"X": 1e150, "W1": 1e150, "W2": 1e10})
    code, _, err = run_cli(capsys, "compare", "--inputs", str(inputs), "--form", "manual")
    line = one_sentence(err)
    assert code == 2 and "NumPy's z2 (section 1.3)" in line, line


def test_overflow_sentence_without_warnings_in_a_process(tmp_path: Path) -> None:
    """As a user runs it: no RuntimeWarning lines on stderr, only the sentence (stored Octave results)."""
    inputs = case_of(tmp_path / "big.npz", dict.fromkeys(("X", "y", "W1", "b1", "W2", "b2", "W3", "b3"), 1e308))
    proc = dlparity_process("compare", "--inputs", str(inputs), cwd=ROOT, env={"DLPARITY_OCTAVE": "stored"})
    assert proc.returncode == 2, proc.stderr
    assert "Warning" not in proc.stderr and "overflow double precision" in one_sentence(proc.stderr)


@pytest.mark.usefixtures("no_octave")  # refused before Octave starts
@pytest.mark.parametrize("which", ["--data", "--valid"])
def test_training_data_that_overflows_is_refused_not_called_divergence(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, which: str) -> None:
    """A CSV whose first feature is 1e200: the first pass overflows whatever the learning rate, so exit 2
    naming the data, not 'training itself diverged ... try a smaller learning rate' (exit 1)."""
    rng = np.random.default_rng(3)
    rows = np.column_stack([rng.uniform(0, 1, (40, 3)), rng.uniform(0, 1, 40)])
    for name, scaled in (("train.csv", which == "--data"), ("valid.csv", which == "--valid")):
        body = rows.copy()
        if scaled:
            body[:, 0] *= 1e200
        np.savetxt(tmp_path / name, body, delimiter=",", header="a,b,c,price", comments="")
    code, out, err = run_cli(capsys, "train", "--data", str(tmp_path / "train.csv"), "--valid",
                         str(tmp_path / "valid.csv"), "--epochs", "2")
    line = one_sentence(err, "train")
    assert code == 2 and out == "", (code, out, err)
    assert "data overflow double precision" in line and "diverged" not in line, line
    assert ("training set" if which == "--data" else "validation set") in line, line


def test_the_first_pass_check_holds_a_block_not_the_data_set() -> None:
    """The overflow check runs the block FIRST_PASS_ROWS rows at a time: preparing a run of 80000 rows peaks at
    under 2.5x the data's size (the checked copy of X is one), not a whole-set block's ~17x."""
    from dlparity.training.runs import TrainConfig, prepare_run  # noqa: PLC0415
    rng = np.random.default_rng(5)
    X, y = rng.uniform(0, 1, (80000, 37)), rng.uniform(0, 1, (80000, 1))
    tracemalloc.start()
    try:
        prepare_run(TrainConfig(epochs=1), X, y, X[:500], y[:500])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * X.nbytes, f"peak {peak / X.nbytes:.2f}x the data's size"


def test_training_data_that_only_diverges_later_still_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The first-pass check is about the data: moderate data with a huge learning rate passes it (and is
    judged by the training comparison, which reports the divergence)."""
    from dlparity.training.runs import TrainConfig, prepare_run  # noqa: PLC0415
    rng = np.random.default_rng(3)
    X, y = rng.uniform(0, 1, (40, 3)), rng.uniform(0, 1, (40, 1))
    run_ = prepare_run(TrainConfig(sizes=(4, 3), learning_rate=1e6, epochs=2, batch_size=8, form="backprop",
                                   shuffle=False, seed=0), X, y, X, y)
    assert run_.X.shape == (40, 3)


# -- compare's exits 1 (a mismatch) and 3 (Octave missing) ------------------------------------------

def test_compare_planted_bug_exits_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug planted in the NumPy twin (dW1 one part in 1e9 off) against the stored Octave results."""
    monkeypatch.setenv("DLPARITY_OCTAVE", "stored")
    honest = dlparity.blocks._twin.run_block

    def planted(form: str, *args: Any) -> dict[str, Any]:
        out = dict(honest(form, *args))
        out["dW1"] = out["dW1"] * (1 + 1e-9)
        return out
    monkeypatch.setattr(dlparity.blocks._twin, "run_block", planted)
    code, out, err = run_cli(capsys, "compare")
    assert code == 1, (out, err)
    assert "MISMATCH; first: backprop dW1" in out, out


def test_compare_without_octave_exits_3(tmp_path: Path) -> None:
    proc = dlparity_process("compare", cwd=tmp_path,
                            env={"OCTAVE_EXECUTABLE": "/nonexistent/octave-cli", "DLPARITY_OCTAVE": "live"})
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "" and "/nonexistent/octave-cli" in one_sentence(proc.stderr), proc.stderr


# -- fault 9: numbers written 1_000, odd stored batch_size ------------------------------------------

@pytest.mark.usefixtures("no_octave")
@pytest.mark.parametrize("argv", [
    ["compare", "--samples", "1_000"], ["compare", "--batch", "1_0"], ["compare", "--start", "3_3"],
    ["compare", "--seed", "1_2"], ["compare", "--sizes", "5,7_0,3"], ["gradcheck", "--coords", "1_0"],
    ["train", "--epochs", "1_0"], ["train", "--lr", "1_0e-4"], ["train", "--batch", "3_2"],
    ["train", "--sizes", "12_8,64"], ["train", "--seed", "1_2"],
], ids=" ".join)
def test_underscores_in_numbers_are_refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Python's int() and float() read '1_000' as 1000; the flags refuse it in one sentence (argparse's exit 2)."""
    with pytest.raises(SystemExit) as info:
        run_cli(capsys, *argv)
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    line = err.strip().splitlines()[-1]
    assert f"{argv[1]} is {argv[2]!r}" in line and "without '_'" in line and line.endswith("."), err


@pytest.mark.usefixtures("no_octave")
def test_other_digits_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """int() also reads other scripts' digits ('\u0661\u0662' is 12); only ASCII digits are a number here."""
    with pytest.raises(SystemExit):
        run_cli(capsys, "compare", "--samples", "\u0661\u0662")
    assert "expected a whole number >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("batch", [np.int64(8), np.float64(8.0), 8.0], ids=["int64", "float64", "float"])
def test_stored_float_batch_size_keeps_the_default_start(tmp_path: Path, batch: Any) -> None:
    """batch_size 8.0 (an integral float) is 8: without i, the last minibatch of 40 rows starts at 33, as for 8."""
    rng = np.random.default_rng(0)
    shapes = {"X": (40, 5), "y": (40, 1), "W1": (7, 5), "b1": (7, 1), "W2": (3, 7), "b2": (3, 1), "W3": (1, 3),
              "b3": (1, 1)}
    path = tmp_path / "case.npz"
    np.savez(path, **{k: rng.standard_normal(s) for k, s in shapes.items()}, batch_size=batch)
    case = load_case(path, argparse.Namespace(start=None, batch=5, seed=0))  # --batch is not used: stored
    assert (case.inputs.i, case.inputs.batch_size) == (33, 8), case.describe()


@pytest.mark.usefixtures("no_octave")
@pytest.mark.parametrize("batch", [1e300, 2.0**53 + 2], ids=["1e300", "2^53+2"])
def test_huge_stored_batch_size_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, batch: float) -> None:
    inputs = case_of(tmp_path / "huge.npz", {}, batch_size=np.float64(batch))
    code, out, err = run_cli(capsys, "compare", "--inputs", str(inputs))
    line = one_sentence(err)
    assert code == 2 and out == "", (code, out)
    assert f"batch_size = {batch:g} is out of range" in line and "2^53" in line and len(line) < 300, line


# -- fault 9: CSV files with another separator, large files, the order files are checked in -------

@pytest.mark.parametrize(("separator", "named"), [(";", "semicolons (';')"), ("\t", "tabs"), ("|", "vertical bars")],
                         ids=["semicolon", "tab", "bar"])
def test_csv_with_another_separator_names_it(tmp_path: Path, separator: str, named: str) -> None:
    path = tmp_path / "europe.csv"
    path.write_text(separator.join(("dummy", "x1", "price")) + "\n" + separator.join(("1", "2,5", "3")) + "\n")
    with pytest.raises(InputError) as info:
        load_csv(path)
    message = str(info.value)
    assert "has 1 column" in message and f"separated by {named}" in message and "comma-separated" in message, message
    assert "\n" not in message and message.endswith(".")


def test_csv_numbers_are_ascii_decimals(tmp_path: Path) -> None:
    """float() reads '1_000' as 1000; the loader (NumPy's parser) does not, and names the cell."""
    path = tmp_path / "under.csv"
    path.write_text("a,price\n1,2\n1_000,3\n")
    with pytest.raises(InputError, match=r"line 3, column 1 \('a'\) of .* is '1_000'; expected a number\."):
        load_csv(path)


def large_csv(path: Path, rows: int) -> np.ndarray:
    """A CSV of realistic cells (17 significant digits, as np.savetxt writes a double in full)."""
    data = np.random.default_rng(0).standard_normal((rows, 38))
    with path.open("w") as f:
        f.write(",".join(f"c{k}" for k in range(38)) + "\n")
        np.savetxt(f, data, delimiter=",", fmt="%.17g")
    return data


def test_csv_loader_memory_is_not_a_multiple_of_the_file(tmp_path: Path) -> None:
    """Peak memory while loading below 1.5 x the file's size (it was 7-16 x: text, lines, a str per cell).

    Parsing 20 000 rows of 38 doubles (~15 MB): the array is 6 MB, X and y a copy of it.
    """
    path = tmp_path / "big.csv"
    data = large_csv(path, 20_000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        loaded = load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(np.hstack([loaded.X, loaded.y]), data)  # every double read back exactly
    assert peak < 1.5 * size, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_train_checks_both_headers_before_parsing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A --valid with a bad header is refused before a row of --data is parsed."""
    def never(*args: Any) -> Any:
        raise AssertionError("--data's rows were parsed although --valid's header is bad")
    monkeypatch.setattr(data_module, "_parse_rows", never)
    train = tmp_path / "train.csv"
    train.write_text("a,b,price\n1,2,3\n")
    for valid_text, fragment in (("a;b;price\n1;2;3\n", "separated by semicolons"),
                                 ("a,price\n1,2\n", "has 1 feature column (then the target); expected 2")):
        valid = tmp_path / "valid.csv"
        valid.write_text(valid_text)
        code, out, err = run_cli(capsys, "train", "--data", str(train), "--valid", str(valid))
        assert code == 2 and out == "" and fragment in one_sentence(err, "train"), err
