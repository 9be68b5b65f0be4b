"""matlab_ref keeps the document's MATLAB byte for byte, and the port keeps its names and statement order."""

from __future__ import annotations

import ast
import hashlib
import inspect
import re

import numpy as np
import pytest
from ci_requirements import require_spec

from dlparity.blocks import OUTPUTS, run_block
from dlparity.bridge import matlab_ref_dir
from python_impl.backprop import backprop
from python_impl.gradient_forward import gradient_forward
from python_impl.manual_gradients import manual_gradients

# SHA-256 of each MATLAB block exactly as the document prints it: the text between the line
# "```MATLAB" and the closing "```" of ../shared/seed/000_448bc44601b0e5f7.txt, including the
# block's final newline. Computed once from the document, not from our files.
BLOCK_SHA256 = {
    "manual_gradients.m": "d19b6aafd07ff62534c1aa708c78aabb44dff6ae808f1fbc214173093f12f50b",  # section 1.2
    "backprop.m": "dd564e07a2e75694ea8f7466a31e7b5fe9a6882df6f0f5f8d218f451408840bf",  # section 1.3
}
HEADER_END = "Do not edit below this header.\n\n"


def block_text(name: str) -> str:
    raw = (matlab_ref_dir() / name).read_bytes()
    text = raw.decode("utf-8")
    assert HEADER_END in text, f"matlab_ref/{name} lost its header line {HEADER_END!r}"
    return text.split(HEADER_END, 1)[1]


@pytest.mark.parametrize("name", sorted(BLOCK_SHA256))
def test_block_is_verbatim(name: str) -> None:
    block = block_text(name)
    digest = hashlib.sha256(block.encode("utf-8")).hexdigest()
    assert digest == BLOCK_SHA256[name], (
        f"matlab_ref/{name}: the text below the header is no longer the document's block "
        f"(sha256 {digest}, expected {BLOCK_SHA256[name]})")


def test_document_blocks_match_recorded_hashes() -> None:
    spec = require_spec()  # skips locally without it; fails in CI
    blocks = re.findall(r"```MATLAB\n(.*?)```", spec.read_text(encoding="utf-8"), re.S)
    digests = [hashlib.sha256(b.encode("utf-8")).hexdigest() for b in blocks]
    assert digests == [BLOCK_SHA256["manual_gradients.m"], BLOCK_SHA256["backprop.m"]]


def matlab_assignments(text: str) -> list[str]:
    return re.findall(r"^\s*(\w+) = ", text, re.M)


def python_assignments(func: object) -> list[str]:
    tree = ast.parse(inspect.getsource(func))  # type: ignore[arg-type]
    body = tree.body[0].body  # type: ignore[attr-defined]
    return [t.id for node in body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)]


def test_backprop_port_keeps_names_and_order() -> None:
    assert python_assignments(backprop) == matlab_assignments(block_text("backprop.m"))


def test_manual_port_keeps_names_and_order() -> None:
    assert python_assignments(manual_gradients) == matlab_assignments(block_text("manual_gradients.m"))


def test_outputs_list_every_assignment() -> None:
    assert list(OUTPUTS["backprop"]) == matlab_assignments(block_text("backprop.m"))
    forward = matlab_assignments((matlab_ref_dir() / "gradient_forward.m").read_text(encoding="utf-8"))
    assert list(OUTPUTS["manual"]) == forward + matlab_assignments(block_text("manual_gradients.m"))


def test_gradient_forward_port_keeps_names_and_order() -> None:
    forward = (matlab_ref_dir() / "gradient_forward.m").read_text(encoding="utf-8")
    assert python_assignments(gradient_forward) == matlab_assignments(forward) == ["x", "y_true", "y_pred", "error"]


def test_run_block_m_returns_outputs_in_order() -> None:
    text = (matlab_ref_dir() / "run_block.m").read_text(encoding="utf-8")
    structs = re.findall(r"out = struct\((.*?)\);", text, re.S)
    fields = [re.findall(r"'(\w+)', \{\1\}", s) for s in structs]
    assert fields == [list(OUTPUTS["backprop"]), list(OUTPUTS["manual"])]


def test_numpy_returns_outputs_in_order() -> None:
    rng = np.random.default_rng(5)
    args = (rng.standard_normal((6, 3)), rng.standard_normal((6, 1)), rng.standard_normal((4, 3)),
            rng.standard_normal((4, 1)), rng.standard_normal((2, 4)), rng.standard_normal((2, 1)),
            rng.standard_normal((1, 2)), rng.standard_normal((1, 1)), 2, 3)
    for form in ("backprop", "manual"):
        assert list(run_block(form, *args)) == list(OUTPUTS[form])
