"""Toolbox layouts (issue 16 item 7): ``path=[...]`` / ``--path DIR`` put more folders on Octave's path for the call.

A toolbox keeps its network code in ``NN/`` and its helpers in ``util/``; the function file in
``NN/`` calls ``util/sigm.m``. Octave's path is the same after the call as before it, also when
the MATLAB fails; a bad folder is one sentence before Octave starts; recorded results key on
the folders, and an edited helper in them makes a record stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NoOctave, dlparity_process

from dlparity import InputError, MatlabError, check_parity
from dlparity.store import NotRecorded, RecordingBridge, StaleReference, StoredBridge


def sigm(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def layer(W: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    z = W @ x
    a = sigm(z)
    return {"z": z, "a": a}


@pytest.fixture
def toolbox(tmp_path: Path) -> Path:
    (tmp_path / "NN").mkdir()
    (tmp_path / "util").mkdir()
    (tmp_path / "NN" / "layer.m").write_text("function [z, a] = layer(W, x)\n  z = W * x;\n  a = sigm(z);\nend\n",
                                             encoding="utf-8")
    (tmp_path / "NN" / "broken.m").write_text("function a = broken(W, x)\n  a = sigm(W * x);\n  error('stop');\nend\n",
                                              encoding="utf-8")
    (tmp_path / "util" / "sigm.m").write_text("function a = sigm(z)\n  a = 1 ./ (1 + exp(-z));\nend\n",
                                              encoding="utf-8")
    return tmp_path


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal((4, 2))}


def octave_path(octave: Any) -> str:
    return str(octave.call("path"))


@pytest.mark.octave
def test_a_helper_in_another_folder_is_found_and_the_path_restored(live_octave: Any, toolbox: Path) -> None:
    before = octave_path(live_octave)
    with pytest.raises(MatlabError, match="sigm"):  # without the folder, the helper is not found
        check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=live_octave)
    assert octave_path(live_octave) == before
    result = check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=live_octave, path=[toolbox / "util"])
    assert result.ok and [r.name for r in result.reports] == ["z", "a"], result.table()
    assert octave_path(live_octave) == before, "Octave's path changed after the call"
    assert str(toolbox / "util") not in octave_path(live_octave)


@pytest.mark.octave
def test_the_path_is_restored_after_an_error_in_the_matlab(live_octave: Any, toolbox: Path) -> None:
    before = octave_path(live_octave)

    def broken(W: np.ndarray, x: np.ndarray) -> dict[str, Any]:
        return {"a": sigm(W @ x)}

    with pytest.raises(MatlabError, match="stop"):
        check_parity(toolbox / "NN" / "broken.m", broken, inputs(), bridge=live_octave, path=str(toolbox / "util"))
    assert octave_path(live_octave) == before, "Octave's path changed after a failed call"


def test_a_bad_folder_is_one_sentence_before_octave(toolbox: Path) -> None:
    for bad, what in ((toolbox / "utils", "does not exist"), (toolbox / "util" / "sigm.m", "is a file")):
        with pytest.raises(InputError, match=rf"^path '.*' {what}; expected a folder of \.m files") as err:
            check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=NoOctave(), path=[toolbox / "util", bad])
        assert "\n" not in str(err.value) and str(err.value).endswith(".")


@pytest.mark.octave
def test_recorded_results_key_on_the_folders_and_their_files_count(live_octave: Any, toolbox: Path) -> None:
    recorder = RecordingBridge(live_octave, toolbox, "this test")
    assert check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=recorder, path=[toolbox / "util"]).ok
    (entry,) = recorder.entries.values()
    assert "../util/sigm.m" not in entry.mfiles and "util/sigm.m" in entry.mfiles, entry.mfiles
    assert entry.spec["path"] == ["util"]
    recorder.part(toolbox / "dlparity_reference" / "layer").save()

    def stored() -> StoredBridge:
        return StoredBridge([(toolbox / "dlparity_reference" / "layer", toolbox)], "this test")

    replay = check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=stored(), path=[toolbox / "util"])
    assert replay.ok and replay.octave["source"] == "stored"
    with pytest.raises(NotRecorded, match=r"do not hold layer\.m"):  # another path is another call: not this record
        check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=stored())
    (toolbox / "util" / "sigm.m").write_text("function a = sigm(z)\n  a = 1 ./ (1 + exp(-z)); % edited\nend\n",
                                             encoding="utf-8")
    with pytest.raises(StaleReference, match=r"sigm\.m changed since it was recorded"):
        check_parity(toolbox / "NN" / "layer.m", layer, inputs(), bridge=stored(), path=[toolbox / "util"])


@pytest.mark.octave
def test_the_command_line_takes_path_repeatedly(live_octave: Any, toolbox: Path) -> None:
    (toolbox / "layer.py").write_text("import numpy as np\n\n\ndef layer(W, x):\n    z = W @ x\n"
                                      "    return {'z': z, 'a': 1 / (1 + np.exp(-z))}\n", encoding="utf-8")
    (toolbox / "more").mkdir()
    case = toolbox / "case.npz"
    np.savez(case, **inputs())
    base = ["compare", "--matlab", str(toolbox / "NN" / "layer.m"), "--python", f"{toolbox / 'layer.py'}:layer",
            "--inputs", str(case)]
    ok = dlparity_process(*base, "--path", str(toolbox / "more"), "--path", str(toolbox / "util"))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    missing = dlparity_process(*base)
    assert missing.returncode == 2 and "sigm" in missing.stderr, missing.stderr
    bad = dlparity_process(*base, "--path", str(toolbox / "nope"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert f"--path '{toolbox / 'nope'}' does not exist" in bad.stderr
