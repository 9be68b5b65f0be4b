"""``dlparity gradcheck``: exit 0 on the default seed and the smallest network, 1 on a planted wrong
gradient, 2 on bad input and 3 when a tool is missing, each with one sentence on stderr; ``n/a``,
never ``ok``, for a gradient whose finite-difference steps all cross a ReLU kink."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

import numpy as np
import pytest
from oracle_support import require_torch

from dlparity.blocks import run_checked
from dlparity.cases import Case, draw_case
from dlparity.cli import gradcheck as gradcheck_cli
from dlparity.cli.gradcheck import add_gradcheck_parser, run_gradcheck
from dlparity.oracles.finite_differences import finite_differences
from dlparity.validation import check_block_inputs

run_block_module = importlib.import_module("python_impl.run_block")  # the twin module: blocks.run_checked calls its backprop


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
    """The fd rows report the finite-difference oracle's own numbers, computed here again from the oracle.

    The default case (compare's: seed 0, sizes 5,7,3, 40 rows, batch 8, start 33) is rebuilt and
    ``finite_differences`` run on it directly; each row's relative error must be the one between
    the block's gradient and THAT output, and it is never 0 (a central difference is not bit-equal
    to the analytic gradient), so a command that compared the block with itself would fail here.
    """
    status, out, err = run(capsys, "--side", "numpy", "--oracle", "fd", "--json")
    report = json.loads(out)
    assert status == 0 and report["ok"], err
    assert {(q["side"], q["oracle"]) for q in report["quantities"]} == {("numpy", "fd")}
    # the default case's steps cross no kink: every coordinate compared, none excluded
    assert all(q["excluded"] == 0 and q["checked"] > 0 for q in report["quantities"]), report["quantities"]

    case = draw_case(0, (5, 7, 3), 40, 8, 33)
    assert report["case"]["replay"] == case.replay(), report["case"]
    fd = finite_differences(case.inputs)
    for q in report["quantities"]:
        mine = run_checked(q["form"], case.inputs)[q["name"]]
        gold = fd.grad[q["name"]]
        expected = float(np.max(np.abs(mine - gold))) / max(float(np.max(np.abs(mine))), float(np.max(np.abs(gold))))
        assert q["checked"] == gold.size, q
        assert 0 < q["max_rel_err"] == expected, (
            f"{q['form']} {q['name']}: reported rel err {q['max_rel_err']!r}, the oracle's own output gives "
            f"{expected!r} (fd={gold.ravel()[:3]} block={mine.ravel()[:3]})")


def drop_relu_deriv_z1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plant a wrong section 1.3 port: delta1 = W2' * delta2, the ReLU'(z1) factor forgotten."""
    original = run_block_module.backprop

    def planted(*args: Any) -> dict[str, np.ndarray]:
        v = original(*args)
        W2 = args[4]  # backprop(X, y, W1, b1, W2, ...)
        delta1 = W2.T @ v["delta2"]  # the planted bug: no .* ReLU_deriv(z1)
        return {**v, "delta1": delta1, "dW1": delta1 @ v["x"].T, "db1": np.sum(delta1, axis=1, keepdims=True)}

    monkeypatch.setattr(run_block_module, "backprop", planted)


@pytest.mark.parametrize("oracle", ["fd", pytest.param("autodiff", marks=pytest.mark.oracle)])
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
    status, out, err = run(capsys, "--side", "numpy", "--oracle", "autodiff")
    assert status == 3 and out == ""
    assert err.count("\n") == 1 and "PyTorch is not installed" in err and "--oracle fd" in err, err


def test_without_torch_the_default_autodiff_oracle_is_autograd(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    status, out, err = run(capsys, "--side", "numpy")
    assert status == 0, err
    assert "HIPS autograd" in out and "PyTorch" not in out.splitlines()[1]
    rows = [line for line in out.splitlines() if line.startswith(("backprop ", "manual "))]
    assert len(rows) == 12 and all(line.split()[-3] != "-" for line in rows)  # the autodiff column is filled


def all_z1_at_zero() -> Case:
    """The default case (seed 0, sizes 5,7,3, rows 33..40 of 40, batch 8) with W1 = 0 and b1 = 0.

    Then z1 = W1 x + b1 is exactly 0 in every entry (sums of products of zeros are exact), so
    every unit of layer 1 sits on its ReLU kink for every sample.
    """
    base = draw_case(0, (5, 7, 3), 40, 8, 33, "seeded")
    arrays = {**base.inputs.arrays(), "W1": np.zeros((7, 5)), "b1": np.zeros((7, 1))}
    return Case("every z1 exactly 0", 0, check_block_inputs(*arrays.values(), 33, 8))


@pytest.mark.parametrize("oracle", ["fd", pytest.param("both", marks=pytest.mark.oracle)])
def test_gradient_with_every_step_across_a_kink_reads_n_a(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], oracle: str) -> None:
    """Every finite-difference coordinate of dW1 and db1 is excluded: the verdict is n/a, not ok.

    Why exactly dW1 and db1: a step h in W1(r, c) makes z1(r, j) = +-h x(c, j) at the two ends,
    opposite signs wherever x(c, j) != 0 (standard-normal x: everywhere), and a step in b1(r)
    makes z1(r, :) = +-h; both cross the kink at 0, so all 35 + 7 coordinates are excluded and
    nothing of dW1 or db1 is compared. Layers 2 and 3 keep their comparisons: z1 does not move
    when they step (a1 = 0 enters z2 only through W2, so W2's steps move nothing), and
    z2 = b2, z3 are standard-normal sized, far from 0 on the step's scale. With autodiff as well,
    the row still reads n/a: one oracle checked nothing.
    """
    if oracle == "both":
        require_torch()
    case = all_z1_at_zero()
    monkeypatch.setattr(gradcheck_cli, "case_from_args", lambda _args: case)
    expect_na = {"dW1": 35, "db1": 7}  # gradient: coordinates, all excluded

    status, out, _ = run(capsys, "--side", "numpy", "--oracle", oracle)
    assert status == 0, f"nothing failed, so exit 0; got {status}:\n{out}"  # n/a is not a failure
    rows = {(line.split()[0], line.split()[2]): line for line in out.splitlines() if line.startswith(("backprop", "manual"))}
    assert len(rows) == 2 * 6, out  # form x gradient
    for (form, name), line in rows.items():
        if name in expect_na:
            n = expect_na[name]
            assert line.endswith("  n/a") and f" {n}/{n} " in line and "n/a" in line.split()[3], (
                f"{form} {name}: every FD coordinate excluded, expected 'n/a' and {n}/{n}: {line!r}")
        else:
            assert line.endswith("  ok") and " 0/" in line, f"{form} {name}: expected ok with nothing excluded: {line!r}"
    summary = out.rstrip().splitlines()[-1]
    assert summary.startswith("ok: ") and "4 compared no entry (n/a" in summary and "ok: all" not in summary, summary

    status, out, _ = run(capsys, "--side", "numpy", "--oracle", oracle, "--json")
    report = json.loads(out)
    assert status == 0 and report["ok"] is True, out
    for q in report["quantities"]:
        if q["oracle"] == "fd" and q["name"] in expect_na:
            n = expect_na[q["name"]]
            # "ok" is vacuously true (no compared entry exceeds its tolerance); "verdict" says nothing was checked
            assert (q["checked"], q["excluded"], q["ok"], q["verdict"]) == (0, n, True, "n/a"), q
        else:
            assert q["checked"] > 0 and q["ok"] is True and q["verdict"] == "ok", q
