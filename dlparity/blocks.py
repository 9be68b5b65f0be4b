"""The document's two blocks as the harness sees them: forms, the variables each assigns, checked runs, Octave runs.

The port (:mod:`python_impl.run_block`) checks nothing, as the MATLAB; this module puts the
input checks of :mod:`dlparity.validation` in front of it. It also holds what is particular to
section 1 on the Octave side: running many block cases in one call (``matlab_ref/run_cases.m``),
and how those calls are filed in a store (:data:`dlparity.store.RECORDED_CALLS`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from dlparity.bridge import OctaveSide, matlab_ref_dir
from dlparity.store import (
    PAIR_ANSWERS,
    RECORDED_CALLS,
    NotRecorded,
    RecordedCall,
    RecordingBridge,
    StoredBridge,
    key_of,
)
from dlparity.validation import BlockInputs, InputError, check_block_inputs

Array = NDArray[np.float64]
#: The twin module (not the function ``python_impl`` re-exports): tests plant bugs in its ``backprop``.
_twin = importlib.import_module("python_impl.run_block")
Form = Literal["backprop", "manual"]
FORMS: tuple[Form, ...] = ("backprop", "manual")

#: Variables each form assigns, in statement order (the order of the MATLAB struct in run_block.m).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "backprop": ("x", "y_true", "z1", "a1", "z2", "a2", "z3", "y_pred", "error", "delta3",
                 "dW3", "db3", "delta2", "dW2", "db2", "delta1", "dW1", "db1"),
    "manual": ("x", "y_true", "y_pred", "error", "dW3", "db3", "dW2", "db2", "dW1", "db1"),
}


def check_form(form: Any) -> Form:
    if form not in FORMS:
        raise InputError(f"form is {form!r}; expected one of {', '.join(FORMS)}.")
    return cast(Form, form)


def run_checked(form: Form, inp: BlockInputs) -> dict[str, Array]:
    """Run one form of the NumPy port on inputs already checked by :func:`check_block_inputs`."""
    out: dict[str, Array] = _twin.run_block(form, inp.X, inp.y, inp.W1, inp.b1, inp.W2, inp.b2, inp.W3, inp.b3,
                                            inp.i, inp.batch_size)
    return out


def run_block(
    form: Form, X: Any, y: Any, W1: Any, b1: Any, W2: Any, b2: Any, W3: Any, b3: Any,
    i: Any, batch_size: Any,
) -> dict[str, Array]:
    """Check the inputs, then run the section 1.3 (``'backprop'``) or 1.2 (``'manual'``) block in NumPy.

    Parameters and returns as ``matlab_ref/run_block.m``: X (N, d), y (N, 1) (a 1-D y is taken
    as a column), W1 (h1, d), b1 (h1, 1), W2 (h2, h1), b2 (h2, 1), W3 (1, h2), b3 (1, 1), the
    1-based start ``i`` and ``batch_size``; returns every assigned variable, see :data:`OUTPUTS`.
    """
    form = check_form(form)
    return run_checked(form, check_block_inputs(X, y, W1, b1, W2, b2, W3, b3, i, batch_size))


# -- on the Octave side -------------------------------------------------------------------------------------

def run_octave_cases(octave: OctaveSide, form: Form, cases: Sequence[BlockInputs]) -> list[dict[str, Array]]:
    """Run one block in Octave on many checked cases in a single call.

    Cases that share every shape and the same ``i`` and ``batch_size`` are stacked along a
    third dimension (see ``matlab_ref/run_cases.m``); results come back in the order given.
    """
    form = check_form(form)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for k, case in enumerate(cases):
        key = (case.X.shape, case.W1.shape, case.W2.shape, case.i, case.batch_size)
        groups.setdefault(key, []).append(k)
    payload = []
    for members in groups.values():
        first = cases[members[0]]
        group: dict[str, Any] = {name: np.stack([cases[k].arrays()[name] for k in members], axis=2)
                                 for name in first.arrays()}
        group["i"] = float(first.i)
        group["batch_size"] = float(first.batch_size)
        payload.append(group)
    if not payload:
        return []
    outs = octave.call("run_cases", form, payload)
    results: list[dict[str, Array]] = [{} for _ in cases]
    for members, out in zip(groups.values(), _groups(outs, len(payload)), strict=True):
        for j, values in enumerate(_unstack(form, out, len(members))):
            results[members[j]] = values
    return results


def _groups(outs: Any, count: int) -> list[Any]:
    """run_cases.m's answer, one struct per group: a lone struct when there is one group, else a cell."""
    is_cell = isinstance(outs, np.ndarray) and outs.dtype == object
    return [outs] if count == 1 and not is_cell else list(np.ravel(outs))


def _unstack(form: str, out: Mapping[str, Any], count: int) -> list[dict[str, Array]]:
    """One group's stacked outputs as one dict per case."""
    cases: list[dict[str, Array]] = [{} for _ in range(count)]
    for name in OUTPUTS[form]:
        value = np.asarray(out[name], dtype=np.float64)
        if value.ndim == 2:  # Octave drops a trailing singleton third dimension (K = 1)
            value = value[:, :, np.newaxis]
        for j in range(count):
            cases[j][name] = np.ascontiguousarray(value[:, :, j])
    return cases


def _group_cases(group: Mapping[str, Any]) -> list[BlockInputs]:
    """The cases a stacked group of run_cases.m holds."""
    count = np.asarray(group["X"]).shape[2]
    return [BlockInputs(**{name: np.ascontiguousarray(np.asarray(group[name])[:, :, j]) for name in _INPUT_NAMES},
                        i=int(group["i"]), batch_size=int(group["batch_size"])) for j in range(count)]


_INPUT_NAMES = ("X", "y", "W1", "b1", "W2", "b2", "W3", "b3")


def block_mfiles() -> list[Path]:
    """The .m files a section 1 block evaluation runs: every file of matlab_ref but the training loop."""
    return [p for p in matlab_ref_dir().glob("*.m") if p.name != "train_sgd.m"]


def block_key(form: str, case: BlockInputs) -> str:
    """The key of one section 1 block case in a store: the form and the workspace run_block.m sets up."""
    return key_of("run_block", form, case.arrays(), case.i, case.batch_size)


def _record_blocks(recorder: RecordingBridge, args: tuple[Any, ...], out: Any) -> None:
    form, payload = args[0], args[1]
    mfiles = block_mfiles()
    for group, group_out in zip(payload, _groups(out, len(payload)), strict=True):
        cases = _group_cases(group)
        for case, values in zip(cases, _unstack(form, group_out, len(cases)), strict=True):
            spec = {"form": form, "N": case.N, "sizes": list(case.sizes), "i": case.i, "batch_size": case.batch_size}
            recorder.note(block_key(form, case), "block", spec, mfiles, values)


def _replay_blocks(stored: StoredBridge, args: tuple[Any, ...]) -> Any:
    form, payload = args[0], args[1]
    answers = np.empty(len(payload), dtype=object)
    for g, group in enumerate(payload):
        found = [stored.find(block_key(form, case), f"the {form} block on {case.describe()}",
                             "the store holds dlparity compare's default case and the test suite's cases, "
                             "recorded with 'dlparity record section1'") for case in _group_cases(group)]
        answers[g] = {name: np.stack([np.asarray(f[name], dtype=np.float64) for f in found], axis=2)
                      for name in OUTPUTS[form]}
    return answers.reshape(1, -1)


RECORDED_CALLS["run_cases"] = RecordedCall(_record_blocks, _replay_blocks)


def _document_block(kind: str, paths: Sequence[Path]) -> Form | None:
    """'backprop' or 'manual' when the pair mode runs the document's scripts from the package's matlab_ref."""
    ref = matlab_ref_dir().resolve()
    if kind != "script" or any(Path(p).resolve().parent != ref for p in paths):
        return None
    names = tuple(Path(p).name for p in paths)
    form = {("backprop.m",): "backprop", ("gradient_forward.m", "manual_gradients.m"): "manual"}.get(names)
    return cast(Form, form) if form else None


def _document_script(stored: StoredBridge, kind: str, paths: list[Path], case: Mapping[str, Any]) -> Any:
    """The document's scripts run by the pair mode on a workspace X, y, W1..b3, i, batch_size, batch_end: the same
    statements run_block.m runs, so its recorded outputs are their variables (None for any other pair)."""
    form = _document_block(kind, paths)
    if form is None:
        return None
    inp = check_block_inputs(case["X"], case["y"], case["W1"], case["b1"], case["W2"], case["b2"], case["W3"],
                             case["b3"], _whole(case["i"]), _whole(case["batch_size"]))
    what = f"the {form} block on {inp.describe()}"
    if _whole(case.get("batch_end", inp.batch_end)) != inp.batch_end:
        raise NotRecorded(f"GNU Octave is not available ({stored.why}) and {what} was recorded with "
                          f"batch_end = min(i + batch_size - 1, N), not {case['batch_end']}; install GNU Octave.")
    values = stored.find(block_key(form, inp), what, "the store holds the test suite's cases, recorded with "
                                                     "'dlparity record section1'")
    return dict(values)


def _whole(value: Any) -> int:
    """A whole number sent to Octave (a 1x1 array once decoded from the wire) as an int."""
    return int(np.asarray(value).reshape(-1)[0])


PAIR_ANSWERS.append(_document_script)
