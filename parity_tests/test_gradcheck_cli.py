"""``dlparity gradcheck``: exit 0 on the default seed and the smallest network, 1 on a planted wrong
gradient, 2 on bad input and 3 when a tool is missing, each with one sentence on stderr."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

import numpy as np
import pytest
from oracle_support import require_torch

from python_impl.gradcheck_cli import add_gradcheck_parser, run_gradcheck

run_block_module = importlib.import_module("python_impl.run_block")  # the module, not the re-exported function


def parse(*argv: str) -> argparse.Namespace:
    """Parse as ``dlparity gradcheck ARGV`` would, through the subcommand's own parser."""
    parser = argparse.ArgumentParser(prog="dlparity")
    add_gradcheck_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["gradcheck", *argv])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = run_gradcheck(parse(*argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.octave
@pytest.mark.oracle
def test_default_seed_passes_with_table(octave_bridge: Any, capsys: pytest.CaptureFixture[str]) -> None:
    require_torch()
    status, out, err = run(capsys)
    assert status == 0, f"exit {status}; stdout:\n{out}\nstderr:\n{err}"
    rows = [line for line in out.splitlines() if line.startswith(("backprop", "manual"))]
    assert len(rows) == 2 * 2 * 6, out  # form x side x gradient
    assert all(line.endswith("ok") for line in rows), out
    assert "ok: all 48 comparisons" in out


@pytest.mark.octave
@pytest.mark.oracle
def test_smallest_network_passes_with_json(octave_bridge: Any, capsys: pytest.CaptureFixture[str]) -> None:
    require_torch()
    status, out, _ = run(capsys, "--sizes", "1,1,1", "--samples", "1", "--batch", "1", "--json")  # the command: --start defaults to the last minibatch
    report = json.loads(out)
    assert status == 0 and report["ok"] is True, out
    quantities = report["quantities"]
    assert len(quantities) == 2 * 2 * 6 * 2  # form x side x gradient x oracle
    assert {q["oracle"] for q in quantities} == {"fd", "autodiff"}
    assert {q["side"] for q in quantities} == {"numpy", "octave"}
    for q in quantities:
        assert {"form", "name", "oracle", "max_rel_err", "excluded", "ok"} <= q.keys(), q
        # finite differences reach ~u^(2/3) ~ 1e-11 relative here, autodiff ~u; 1e-6 only flags nonsense
        assert q["ok"] is True and 0 <= q["max_rel_err"] < 1e-6, q


def test_numpy_with_finite_differences_needs_neither_octave_nor_torch(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--side", "numpy", "--oracle", "fd", "--json")
    report = json.loads(out)
    assert status == 0 and report["ok"], err
    assert {(q["side"], q["oracle"]) for q in report["quantities"]} == {("numpy", "fd")}
    # the default case's steps cross no kink: every coordinate compared, none excluded
    assert all(q["excluded"] == 0 and q["checked"] > 0 for q in report["quantities"]), report["quantities"]


def drop_relu_deriv_z1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plant a wrong section 1.3 port: delta1 = W2' * delta2, the ReLU'(z1) factor forgotten."""
    original = run_block_module.backprop

    def planted(*args: Any) -> dict[str, np.ndarray]:
        v = original(*args)
        W2 = args[4]  # backprop(X, y, W1, b1, W2, ...)
        delta1 = W2.T @ v["delta2"]  # the planted bug: no .* ReLU_deriv(z1)
        return {**v, "delta1": delta1, "dW1": delta1 @ v["x"].T, "db1": np.sum(delta1, axis=1, keepdims=True)}

    monkeypatch.setattr(run_block_module, "backprop", planted)


@pytest.mark.parametrize("oracle", ["fd", "autodiff"])
def test_planted_wrong_gradient_exits_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        oracle: str) -> None:
    if oracle == "autodiff":
        require_torch()
    drop_relu_deriv_z1(monkeypatch)
    status, out, _ = run(capsys, "--side", "numpy", "--form", "backprop", "--oracle", oracle)
    assert status == 1, out
    failed = {line.split()[2] for line in out.splitlines() if line.startswith("backprop") and line.endswith("FAIL")}
    assert failed == {"dW1", "db1"}, out  # exactly the gradients the bug touches, nothing else
    assert f"vs {oracle}" in out and "replay: dlparity compare --seed 0" in out, out


def test_planted_wrong_scale_in_closed_form_exits_1(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Section 1.2 with 1/batch_size instead of 2/batch_size on dW3: caught by finite differences."""
    original = run_block_module.manual_gradients

    def planted(*args: Any) -> dict[str, np.ndarray]:
        v = original(*args)
        return {**v, "dW3": v["dW3"] / 2}

    monkeypatch.setattr(run_block_module, "manual_gradients", planted)
    status, out, _ = run(capsys, "--side", "numpy", "--form", "manual", "--oracle", "fd", "--json")
    report = json.loads(out)
    assert status == 1 and report["ok"] is False
    assert [q["name"] for q in report["quantities"] if not q["ok"]] == ["dW3"], out


@pytest.mark.parametrize(("argv", "needle"), [
    (("--start", "41"), "--start"),
    (("--coords", "0"), "--coords"),
])
def test_bad_input_exits_2_with_one_sentence(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                             needle: str) -> None:
    status, out, err = run(capsys, "--side", "numpy", "--oracle", "fd", *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and err.rstrip().endswith("."), err


def test_bad_sizes_are_rejected_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse("--sizes", "5,0,3")
    assert info.value.code == 2
    assert "--sizes" in capsys.readouterr().err


def test_missing_torch_exits_3_with_one_sentence(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    status, out, err = run(capsys, "--side", "numpy")
    assert status == 3 and out == ""
    assert err.count("\n") == 1 and "PyTorch is not installed" in err and "--oracle fd" in err, err
