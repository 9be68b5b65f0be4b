"""The CSV loader and the synthetic set (dlparity/training/data.py); bad files through ``dlparity train``.

No Octave here: every bad file must be refused before anything is trained, so the training
runners are replaced by tripwires that fail the test if they are ever reached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ci_requirements import require_house_data
from conftest import run_cli

from dlparity.cli import train as train_cli
from dlparity.training.data import SYNTHETIC_FEATURES, load_csv, synthetic_regression
from dlparity.validation import InputError

GOOD = "a,b,price\n1,2.5,10\n-3,4e-2,11.25\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- reading good files ---------------------------------------------------------------------

def test_load_csv_splits_features_and_target(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "good.csv", GOOD))
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    assert data.X.shape == (2, 2), f"X shape {data.X.shape}, expected (2, 2)"
    assert data.y.shape == (2, 1), f"y shape {data.y.shape}, expected (2, 1): a column, as MATLAB's y"
    # Decimal literals read by float(): exact for these values.
    np.testing.assert_array_equal(data.X, [[1.0, 2.5], [-3.0, 0.04]])
    np.testing.assert_array_equal(data.y, [[10.0], [11.25]])
    assert data.columns == ("a", "b", "price")


def test_load_csv_skips_blank_lines_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,price\r\n\r\n1,2\r\n\r\n3,4\r\n\r\n")
    data = load_csv(path)
    np.testing.assert_array_equal(data.X, [[1.0], [3.0]])
    np.testing.assert_array_equal(data.y, [[2.0], [4.0]])
    assert data.columns == ("a", "price")


def test_load_csv_never_writes_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "good.csv", GOOD)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_csv(path)
    path.chmod(0o444)  # and it reads a read-only file
    try:
        load_csv(path)
    finally:
        path.chmod(0o644)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_load_csv_reads_the_house_data() -> None:
    folder = require_house_data()  # skips locally without it; fails in CI
    train = load_csv(folder / "train_house.csv")
    valid = load_csv(folder / "test_house.csv", n_features=train.d)
    # ../shared/data/README.md: 10,000 and 5,597 rows, 37 features (column 1 all ones), then price.
    assert train.X.shape == (10000, 37) and train.y.shape == (10000, 1)
    assert valid.X.shape == (5597, 37) and valid.y.shape == (5597, 1)
    assert np.all(train.X[:, 0] == 1.0), "column 1 ('dummy') should be all ones"
    assert train.columns[0] == "dummy" and train.columns[-1] == "price"


# -- bad files: one sentence each -----------------------------------------------------------

BAD_FILES = [
    # id, file name (None: not created), contents, expected fragments of the message
    ("missing", None, None, ["missing.csv does not exist", "expected a CSV file"]),
    ("empty", "empty.csv", "", ["empty.csv is empty", "expected a header row"]),
    ("blank-only", "blank.csv", "\n  \n\n", ["blank.csv is empty"]),
    ("header-only", "header.csv", "a,b,price\n", ["header.csv has a header row but no data rows"]),
    ("no-header", "nohead.csv", "1,2,3\n4,5,6\n", ["line 1 of", "holds only numbers", "expected a header row"]),
    ("one-column", "one.csv", "price\n1\n2\n", ["one.csv has 1 column ('price')", "expected at least 2"]),
    ("ragged", "ragged.csv", "a,b,price\n1,2,3\n4,5\n", ["line 3 of", "has 2 cells; expected 3"]),
    ("non-numeric", "text.csv", "a,b,price\n1,2,3\n4,abc,6\n",
     ["line 3, column 2 ('b')", "is 'abc'; expected a number"]),
    ("empty-cell", "hole.csv", "a,b,price\n1,,3\n", ["line 2, column 2 ('b')", "is 'empty'; expected a number"]),
    ("nan", "nan.csv", "a,b,price\n1,2,3\n4,5,NaN\n",
     ["line 3, column 3 ('price')", "'NaN'", "expected a finite number"]),
    ("inf", "inf.csv", "a,b,price\n-inf,2,3\n", ["line 2, column 1 ('a')", "'-inf'", "expected a finite number"]),
]


@pytest.mark.parametrize(("name", "contents", "fragments"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_load_csv_refuses_a_bad_file_in_one_sentence(
    tmp_path: Path, name: str | None, contents: str | None, fragments: list[str],
) -> None:
    path = tmp_path / (name or "missing.csv")
    if contents is not None:
        path.write_text(contents, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_csv(path)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"message {message!r} lacks {fragment!r}"
    assert "\n" not in message and message.endswith("."), f"not one sentence: {message!r}"


def test_load_csv_refuses_a_feature_count_that_does_not_match_the_network(tmp_path: Path) -> None:
    path = write(tmp_path, "narrow.csv", "a,b,price\n1,2,3\n")
    with pytest.raises(InputError, match=r"narrow\.csv has 2 feature columns \(then the target\); expected 37, "
                                         r"the network's input size \(set by train\.csv\)\."):
        load_csv(path, n_features=37, n_features_from="set by train.csv")


def test_load_csv_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a file"):
        load_csv(tmp_path)


# -- bad files through the command: refused before anything is trained --------------------

@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any training (either side) or any Octave start fail the test."""
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started although the input was bad")
    monkeypatch.setattr(train_cli, "run_octave", never)
    monkeypatch.setattr(train_cli, "run_numpy", never)
    monkeypatch.setattr(train_cli, "get_bridge", never)


@pytest.mark.parametrize(("name", "contents", "fragments"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
@pytest.mark.parametrize("which", ["data", "valid"])
def test_train_refuses_a_bad_file_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tripwires: None, which: str,
    name: str | None, contents: str | None, fragments: list[str],
) -> None:
    good = write(tmp_path, "good.csv", GOOD)
    bad = tmp_path / (name or "missing.csv")
    if contents is not None:
        bad.write_text(contents, encoding="utf-8")
    save = tmp_path / "run.npz"
    files = ["--data", str(bad), "--valid", str(good)] if which == "data" else ["--data", str(good), "--valid", str(bad)]
    code, out, err = run_cli(capsys, "train", *[*files, "--save", str(save)])
    assert code == train_cli.EXIT_BAD_INPUT, f"exit status {code}, expected 2 (bad input); stderr {err!r}"
    assert out == "", f"nothing should be printed on stdout, got {out!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlparity train: error: "), f"stderr is not one line: {err!r}"
    for fragment in fragments:
        assert fragment in err, f"stderr {err!r} lacks {fragment!r}"
    assert "Traceback" not in err
    assert not save.exists(), "--save wrote a file although nothing was trained"


def test_train_refuses_a_validation_file_with_another_feature_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tripwires: None,
) -> None:
    train = write(tmp_path, "train.csv", GOOD)
    valid = write(tmp_path, "valid.csv", "a,price\n1,2\n")
    code, _, err = run_cli(capsys, "train", *["--data", str(train), "--valid", str(valid)])
    assert code == train_cli.EXIT_BAD_INPUT
    assert f"valid.csv has 1 feature column (then the target); expected 2, the network's input size (set by {train})." in err


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--data", "x.csv"], "--data was given without --valid"),
    (["--valid", "x.csv"], "--valid was given without --data"),
], ids=["data-only", "valid-only"])
def test_train_needs_both_files(
    capsys: pytest.CaptureFixture[str], tripwires: None, argv: list[str], fragment: str,
) -> None:
    code, _, err = run_cli(capsys, "train", *argv)
    assert code == train_cli.EXIT_BAD_INPUT and fragment in err, f"exit {code}, stderr {err!r}"


def test_train_refuses_to_overwrite_without_permission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tripwires: None,
) -> None:
    save = tmp_path / "old.npz"
    save.write_bytes(b"keep me")
    code, _, err = run_cli(capsys, "train", *["--save", str(save)])
    assert code == train_cli.EXIT_BAD_INPUT and "already exists" in err and "--overwrite" in err
    assert save.read_bytes() == b"keep me"


def test_train_plot_without_matplotlib_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tripwires: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = train_cli.importlib.util.find_spec
    monkeypatch.setattr(train_cli.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    code, _, err = run_cli(capsys, "train", *["--plot", str(tmp_path / "p.png")])
    assert code == train_cli.EXIT_BAD_INPUT
    assert "--plot needs matplotlib" in err and "dlparity[plot]" in err and len(err.strip().splitlines()) == 1


# -- the synthetic set ----------------------------------------------------------------------

def test_synthetic_set_is_deterministic_and_shaped_like_the_house_data() -> None:
    train, valid = synthetic_regression()
    again, _ = synthetic_regression()
    np.testing.assert_array_equal(train.X, again.X)  # same seed, same bits
    np.testing.assert_array_equal(train.y, again.y)
    assert train.X.shape == (1024, SYNTHETIC_FEATURES) and train.y.shape == (1024, 1)
    assert valid.X.shape == (256, SYNTHETIC_FEATURES) and valid.y.shape == (256, 1)
    both = np.vstack([train.X, valid.X])
    assert np.all(both[:, 0] == 1.0), "column 1 is the constant 'dummy'"
    assert np.all((both[:, 1:19] >= 0) & (both[:, 1:19] < 1)), "columns 2..19 are uniform on [0, 1)"
    for group in (both[:, 19:28], both[:, 28:37]):
        assert set(np.unique(group)) == {0.0, 1.0}
        np.testing.assert_array_equal(group.sum(axis=1), 1.0)  # one-hot: exactly one 1 per row
    y = np.vstack([train.y, valid.y])
    # The target is standardised to mean 5 and spread 3 before 0.1-sigma noise is added, so over
    # 1,280 rows the sample mean is within 0.02 of 5 and the spread within 0.01 of 3.
    assert abs(y.mean() - 5.0) < 0.02, f"target mean {y.mean()}"
    assert abs(y.std() - 3.0) < 0.01, f"target spread {y.std()}"
