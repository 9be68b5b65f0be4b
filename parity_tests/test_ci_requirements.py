"""Missing upstream data or document: a skip with the reason locally, a one-sentence failure under CI=true."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_requirements import require_house_data, require_spec


@pytest.mark.parametrize("ci", ["true", None], ids=["ci", "local"])
@pytest.mark.parametrize("what", ["data-unset", "data-incomplete", "spec-missing"])
def test_missing_upstream_input_fails_in_ci_and_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              ci: str | None, what: str) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    if what == "data-unset":
        monkeypatch.delenv("DLPARITY_DATA_DIR", raising=False)
        call, words = require_house_data, "DLPARITY_DATA_DIR is not set"
    elif what == "data-incomplete":
        (tmp_path / "train_house.csv").write_text("a,price\n1,2\n")
        monkeypatch.setenv("DLPARITY_DATA_DIR", str(tmp_path))
        call, words = require_house_data, f"DLPARITY_DATA_DIR={tmp_path} lacks test_house.csv"
    else:
        monkeypatch.setenv("DLPARITY_SPEC", str(tmp_path / "nowhere.txt"))
        call, words = require_spec, f"the derivation document is not at {tmp_path / 'nowhere.txt'}"
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected) as info:
        call()
    message = str(info.value.msg)
    assert words in message and "\n" not in message and message.endswith("."), message
    assert message.startswith("CI=true: ") is bool(ci), message


def test_present_inputs_are_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CI", "true")
    for name in ("train_house.csv", "test_house.csv", "doc.txt"):
        (tmp_path / name).write_text("x\n")
    monkeypatch.setenv("DLPARITY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DLPARITY_SPEC", str(tmp_path / "doc.txt"))
    assert require_house_data() == tmp_path
    assert require_spec() == tmp_path / "doc.txt"
