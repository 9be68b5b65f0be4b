"""Structs, cells, struct arrays and MATLAB's classes: on the wire, through Octave, compared leaf by leaf, stored.

The wire (dlparity.wire) is checked on its own first, then through a real Octave (what MATLAB computes
with each class, written out by hand here, never taken from the code under test), then the leaf-by-leaf
comparison (each structure and class rule shown failing on a planted difference), then the store
(record, then replay, equals live).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import dlparity_process

from dlparity import check_parity, wire
from dlparity.store import RecordingBridge, StoredBridge
from dlparity.validation import InputError
from dlparity.values import Cell, Opaque, StructArray


def same(a: Any, b: Any) -> bool:
    """Exactly the same value: type, class (dtype), shape and bits, to any depth (dicts also in field order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return (getattr(a, "shape", None) == getattr(b, "shape", None) and getattr(a, "fields", None)
                == getattr(b, "fields", None) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True)))
    return bool(a == b)


def col(*values: float, dtype: Any = np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


def one(value: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.array([[value]], dtype=dtype)


# -- the wire, without Octave ------------------------------------------------------------------------------------

NESTS = {
    "struct of cells": {"W": [np.ones((2, 3)), np.arange(6.0).reshape(3, 2)], "e": np.zeros((0, 0)), "name": "sigm"},
    "column cell": Cell([one(1.0), "two", Cell([], (0, 0))], shape=(3, 1)),
    "2-D cell": Cell([one(k) for k in range(6)], shape=(2, 3)),
    "struct array": StructArray([{"w": one(1.0), "k": [one(2.0)]}, {"w": one(3.0), "k": []}], shape=(2, 1)),
    "empty struct array": StructArray([], shape=(0, 0), fields=("a", "b")),
    "empties": {"dbl": np.zeros((0, 0)), "cell": Cell([], (0, 0)), "text": "", "struct": {}, "row": [],
                "col0": np.zeros((3, 0))},
    "classes": {c: np.array([[1, 0], [2, 3]], dtype=c) for c in
                ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64")}
    | {"logical": np.array([[True, False]]), "int64_max": one(2**63 - 1, np.int64),
       "uint64_max": one(2**64 - 1, np.uint64), "nan": one(np.nan), "minus_zero": one(-0.0)},
    "N-D": np.arange(24.0).reshape(2, 3, 4),
    "complex": np.array([[1 + 2j, -0.0 - 3j]]),
    "text with bytes beyond ASCII": "é\x00 ∑\n",
    "deep": {"net": {"layers": [{"k": [[one(1.0), one(2.0), {"x": [np.ones((1, 1), np.int8)]}]]}]}},
}


@pytest.mark.parametrize("value", list(NESTS.values()), ids=list(NESTS))
def test_the_wire_gives_back_exactly_what_it_was_given(value: Any) -> None:
    assert same(wire.decode(*wire.encode(value)), value)
    assert same(wire.from_octave(*wire.to_octave(value)), value)  # the words Octave is sent


def test_python_numbers_and_1d_arrays_go_as_matlab_would_hold_them() -> None:
    """A Python number is a 1x1 double (a MATLAB literal), a bool a 1x1 logical, a NumPy scalar a 1x1 of its
    class, a 1-D array a column (oct2py's oned_as)."""
    back = wire.decode(*wire.encode({"i": 3, "f": 0.5, "b": True, "s": np.float32(1.5), "v": np.array([1.0, 2.0])}))
    assert same(back, {"i": one(3.0), "f": one(0.5), "b": one(True, bool), "s": one(1.5, np.float32),
                       "v": col(1.0, 2.0)})


def test_what_has_no_matlab_class_is_not_sent() -> None:
    with pytest.raises(TypeError, match="not a MATLAB field name"):
        wire.encode({"a b": 1.0})
    with pytest.raises(TypeError, match="has no MATLAB class"):
        wire.encode({"x": np.array([1.0], dtype=np.float16)})
    with pytest.raises(TypeError, match="no MATLAB class"):
        wire.encode({"x": object()})


# -- through Octave -----------------------------------------------------------------------------------------------

def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.octave
def test_nested_inputs_reach_octave_and_come_back_exactly(octave: Any, tmp_path: Path) -> None:
    """A script that assigns nothing new gives back its inputs: every nest, class, shape and orientation is kept,
    and Octave sees them as MATLAB values (class() and size() asked in Octave, answers written by hand)."""
    script = write(tmp_path, "look.m", "cls = class(nn.W{2}); sz = size(nn.c); isc = iscell(nn.c); "
                                       "iss = isstruct(s) && numel(s) == 2; w2 = s(2).w; e = isempty(nn.e);\n")
    inputs = {"nn": {"W": [np.ones((2, 3)), np.arange(4, dtype=np.int32).reshape(2, 2)], "e": np.zeros((0, 0)),
                     "c": Cell(["a", one(2.0)], shape=(2, 1)), "t": "", "u": {}, "z": Cell([], (0, 0))},
              "s": StructArray([{"w": one(1.0)}, {"w": one(5.0)}])}

    def twin(nn: dict[str, Any], s: StructArray) -> dict[str, Any]:
        return {"cls": "int32", "sz": np.array([[2.0, 1.0]]), "isc": True, "iss": True, "w2": 5.0, "e": True}

    result = check_parity(script, twin, inputs, bridge=octave, rtol=0.0)
    assert result.ok, result.table()
    back = result.values[0]["octave"]
    assert same(back["nn"], {"W": [np.ones((2, 3)), np.arange(4, dtype=np.int32).reshape(2, 2)],
                             "e": np.zeros((0, 0)), "c": Cell(["a", one(2.0)], shape=(2, 1)), "t": "", "u": {},
                             "z": Cell([], (0, 0))})
    assert same(back["s"], StructArray([{"w": one(1.0)}, {"w": one(5.0)}]))


MATLAB_CLASSES = """\
q = int32(7) / int32(2);
sat = int8(100) + int8(100);
low = uint8(3) - 5;
third = single(1) / 3;
flag = [true false] & [true true];
text = 'abc';
ec = {};
es = struct();
et = '';
ed = [];
column = {1; 'two'};
sa = struct('w', {1, 2});
fh = @sin;
"""

MATLAB_VALUES = {  # what MATLAB gives, class for class (MATLAB's integer division rounds, its overflow saturates)
    "q": one(4, np.int32), "sat": one(127, np.int8), "low": one(0, np.uint8), "third": one(np.float32(1) / 3, np.float32),
    "flag": np.array([[True, False]]), "text": "abc", "ec": Cell([], (0, 0)), "es": {}, "et": "",
    "ed": np.zeros((0, 0)), "column": Cell([one(1.0), "two"], shape=(2, 1)),
    "sa": StructArray([{"w": one(1.0)}, {"w": one(2.0)}]), "fh": Opaque("function_handle"),
}


@pytest.mark.octave
def test_every_matlab_class_comes_back_as_its_numpy_type(octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "classes.m", MATLAB_CLASSES)
    twin_values = {**MATLAB_VALUES, "fh": np.sin}
    result = check_parity(script, lambda: dict(twin_values), {}, bridge=octave, rtol=0.0)
    back = result.values[0]["octave"]
    for name, expected in MATLAB_VALUES.items():
        assert same(back[name], expected), (name, back[name])
    assert result.ok, result.table()
    assert result.not_compared == {"fh": "MATLAB function_handle"}


# -- leaf by leaf: each rule, failing on a planted difference ---------------------------------------------------------

@pytest.mark.octave
def test_integer_results_compare_exactly_with_matlab_rounding(octave: Any, tmp_path: Path) -> None:
    """int32(7) / int32(2) is 4 in MATLAB; a twin truncating as C does (7 // 2 = 3) is a MISMATCH even with a
    generous rtol, since integer leaves compare exactly."""
    script = write(tmp_path, "q.m", "q = a ./ b;\n")
    inputs = {"a": np.array([[7, -7]], dtype=np.int32), "b": np.array([[2, 2]], dtype=np.int32)}
    good = check_parity(script, lambda a, b: {"q": np.array([[4, -4]], dtype=np.int32)}, inputs, bridge=octave,
                        rtol=1.0)
    assert good.ok, good.table()
    bad = check_parity(script, lambda a, b: {"q": a // b}, inputs, bridge=octave, rtol=1.0)
    assert not bad.ok and [r.ok for r in bad.reports] == [False]
    assert bad.first_divergence is not None and bad.first_divergence.name == "q"


@pytest.mark.octave
@pytest.mark.parametrize(("matlab", "twin_value", "reason"), [
    ("r = int32(a);", lambda a: a.astype(np.float64),
     'class differs: MATLAB int32, NumPy float64; use r.astype(np.int32).'),
    ("r = a > 1;", lambda a: (a > 1).astype(np.float64), "class differs: MATLAB logical, NumPy float64; use r.astype(bool)."),
    ("r = a * 2;", lambda a: (a * 2).astype(np.float32),
     "class differs: MATLAB double, NumPy float32; use r.astype(np.float64)."),
], ids=["int32", "logical", "double"])
def test_a_class_difference_is_reported_with_the_dtype_to_use(octave: Any, tmp_path: Path, matlab: str,
                                                               twin_value: Any, reason: str) -> None:
    """The class is compared apart from the value: the values agree (their report is ok), the class does not."""
    script = write(tmp_path, "r.m", matlab + "\n")
    result = check_parity(script, lambda a: {"r": twin_value(a)}, {"a": np.array([[1.0, 2.0]])}, bridge=octave,
                          rtol=1e-6)
    assert not result.ok
    assert [r.ok for r in result.reports] == [True]
    assert [(d.path, d.kind, d.reason) for d in result.differences] == [("r", "class", reason)]
    assert f"class of r: {reason}" in result.table()


@pytest.mark.octave
def test_structure_differences_name_the_path_and_the_fix(octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "s.m", "s.c = {1, 2};\ns.k = {1; 2};\ns.g = {1, 2; 3, 4};\nsa = struct('w', {1, 2});\n"
                                    "t = 'on';\nn.inner = 1;\n")
    right = {"s": {"c": [1.0, 2.0], "k": [1.0, 2.0], "g": Cell([1.0, 3.0, 2.0, 4.0], shape=(2, 2))},
             "sa": StructArray([{"w": 1.0}, {"w": 2.0}]), "t": "on", "n": {"inner": 1.0}}
    ok = check_parity(script, lambda: right, {}, bridge=octave, rtol=0.0)
    assert ok.ok, ok.table()  # a plain list matches the row {1, 2} and the column {1; 2}
    wrong = {"s": {"c": {"x": 1.0}, "k": [1.0], "g": [1.0, 3.0, 2.0, 4.0], "extra": 1.0},
             "sa": [{"w": 1.0}, {"w": 2.0}], "t": "off", "n": [1.0]}
    bad = check_parity(script, lambda: wrong, {}, bridge=octave, rtol=0.0)
    reasons = {d.path: (d.kind, d.reason) for d in bad.differences}
    assert reasons == {
        "s.c": ("structure", 'MATLAB has a 1x2 cell, Python a struct (dict): return a list as s["c"].'),
        "s.k": ("structure", 'cell s.k has 2 elements in MATLAB, 1 in Python: s["k"] needs 2.'),
        "s.g": ("structure", "MATLAB has a 2x2 cell, Python a plain list: return dlparity.values.Cell(items, "
                             "shape=(2, 2)) (column-major order)."),
        "s.extra": ("structure", 'field extra is only in Python: MATLAB\'s struct s has no field extra; remove '
                                 's["extra"] (or assign it in the MATLAB).'),
        "sa": ("structure", "MATLAB has a 1x2 struct array (sa(k).f), Python a cell (list of 2): return "
                            "dlparity.values.StructArray([...], shape=(1, 2)) (a list is a cell array, {s1, s2})."),
        "t": ("text", "text differs: MATLAB 'on', Python 'off'."),
        "n": ("structure", 'MATLAB has a struct, Python a cell (list of 1): return a dict with the fields inner as n.'),
    }
    assert bad.first_divergence is not None and bad.first_divergence.name == "s.c"
    assert [r.name for r in bad.reports] == ["s.k{1}"]  # the one leaf both sides have, compared on its own


@pytest.mark.octave
def test_a_field_spelt_in_another_case_is_one_difference_saying_rename(octave: Any, tmp_path: Path) -> None:
    # MATLAB's nn.W ported as nn["w"]: one difference at nn.W saying to rename, not two unrelated ones
    script = write(tmp_path, "s.m", "nn.W = 2;\nnn.b = 1;\n")
    bad = check_parity(script, lambda: {"nn": {"w": 2.0, "b": 1.0}}, {}, bridge=octave, rtol=0.0)
    assert [(d.path, d.kind, d.reason) for d in bad.differences] == [
        ("nn.W", "structure", 'field W is spelt w in Python (MATLAB\'s names are case-sensitive): rename nn["w"] '
                              'to nn["W"].')]
    assert bad.first_divergence is not None and bad.first_divergence.name == "nn.W"
    # where MATLAB has both W and w, nothing is guessed
    both = write(tmp_path, "t.m", "nn.W = 2;\nnn.w = 1;\n")
    two = check_parity(both, lambda: {"nn": {"W": 2.0}}, {}, bridge=octave, rtol=0.0)
    assert [d.reason for d in two.differences] == ['field w is only in MATLAB: set nn["w"] in the twin.']


@pytest.mark.octave
def test_none_where_matlab_has_a_number_is_a_mismatch(octave: Any, tmp_path: Path) -> None:
    # nn["dW"] = [None] * (n - 1) with one slot never filled, or a variable returned as None: a port's slip,
    # never "not compared" (that passed the check)
    script = write(tmp_path, "s.m", "nn.dW = {1, 2};\nJ = 3;\n")
    bad = check_parity(script, lambda: {"nn": {"dW": [1.0, None]}, "J": None}, {}, bridge=octave, rtol=0.0)
    assert not bad.ok
    assert [(d.path, d.kind, d.reason) for d in bad.differences] == [
        ("nn.dW{2}", "structure", 'MATLAB has a double array, Python a NoneType: return an array as nn["dW"][1].'),
        ("J", "structure", "MATLAB has a double array, Python a NoneType: return an array as J.")]
    assert bad.first_divergence is not None and bad.first_divergence.name == "nn.dW{2}"
    assert not bad.not_compared
    # a set (a typo for a list or an array) is named the same way, under the automatic tolerance too
    auto = check_parity(script, lambda: {"nn": {"dW": [1.0, {2.0}]}, "J": 3.0}, {}, bridge=octave)
    assert [(d.path, d.reason) for d in auto.differences] == [
        ("nn.dW{2}", 'MATLAB has a double array, Python a set: return an array as nn["dW"][1].')]


@pytest.mark.octave
def test_a_char_matrix_result_is_compared_as_text_under_the_automatic_tolerance(octave: Any, tmp_path: Path) -> None:
    # docs/harness.md's table: a char matrix is a NumPy array of one-character strings, MATLAB's shape
    script = write(tmp_path, "s.m", "t = ['ab'; 'cd'];\nz = 2 * x;\n")
    chars = np.array([["a", "b"], ["c", "d"]])
    ok = check_parity(script, lambda x: {"t": chars, "z": 2 * x}, {"x": 1.5}, bridge=octave)
    assert ok.ok and ok.texts_compared == 1, ok.table()
    bad = check_parity(script, lambda x: {"t": chars[::-1], "z": 2 * x}, {"x": 1.5}, bridge=octave)
    assert [(d.path, d.kind) for d in bad.differences] == [("t", "text")]


@pytest.mark.octave
def test_leaves_are_named_as_matlab_writes_them(octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "net.m", "net.layers{2}.k{1}{3} = x;\ns(2).w = 2 * x;\n")
    def port(x: np.ndarray) -> dict[str, Any]:
        empty = np.zeros((0, 0))  # the cells and struct elements MATLAB fills in as []
        net = {"layers": [empty, {"k": [[empty, empty, x]]}]}
        s = StructArray([{"w": empty}, {"w": 2 * x}])
        return {"net": net, "s": s}

    result = check_parity(script, port, {"x": np.array([[1.5]])}, bridge=octave)
    assert result.ok, result.table()
    assert [r.name for r in result.reports] == ["net.layers{1}", "net.layers{2}.k{1}{1}", "net.layers{2}.k{1}{2}",
                                                "net.layers{2}.k{1}{3}", "s(1).w", "s(2).w"]


@pytest.mark.octave
def test_nested_inputs_are_refused_naming_the_path_before_octave(octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "f.m", "y = 1;\n")
    with pytest.raises(InputError, match=r"^input nn\.W\{2\} holds nan at index \(0,\); expected finite numbers"):
        check_parity(script, lambda nn: {"y": 1.0}, {"nn": {"W": [np.ones(1), np.array([np.nan])]}}, bridge=octave)


# -- stored: record, then replay, equals live ------------------------------------------------------------------------

@pytest.mark.octave
def test_record_then_replay_equals_live(live_octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "classes.m", MATLAB_CLASSES + "nested = {nn, {nn.W{1}'}};\n")
    twin_values = {k: v for k, v in MATLAB_VALUES.items() if k != "fh"}

    def twin(nn: dict[str, Any]) -> dict[str, Any]:
        return {**twin_values, "nested": [nn, [nn["W"][0].T]]}

    inputs = [{"nn": {"W": [np.arange(6.0).reshape(2, 3) + k, np.ones((2, 2), np.int16)], "name": "n"}}
              for k in range(2)]  # two cases of the same shapes: each must replay its own numbers
    recording = RecordingBridge(live_octave, tmp_path, "pytest --dlparity-record")
    live = check_parity(script, twin, inputs, bridge=recording, rtol=0.0)
    assert live.ok, live.table()
    recording.part(tmp_path / "dlparity_reference" / "structs").save()
    stored = StoredBridge([(tmp_path / "dlparity_reference" / "structs", tmp_path)], "a test")
    replay = check_parity(script, twin, inputs, bridge=stored, rtol=0.0)
    assert replay.octave["source"] == "stored"
    for k in range(2):
        assert same(replay.values[k]["octave"], live.values[k]["octave"]), k
    assert not same(replay.values[0]["octave"]["nested"], replay.values[1]["octave"]["nested"])


@pytest.mark.octave
def test_single_is_compared_as_single(octave: Any, tmp_path: Path) -> None:
    """A single input reaches MATLAB as single; a float32 twin matches within a chosen tolerance, a float64 twin
    is a class difference; the automatic tolerance is derived in single (u = 2^-24), and a slip of a few single
    roundings is caught by it."""
    script = write(tmp_path, "s.m", "r = a * 3 + a .* a;\n")
    a = np.array([[0.1, 0.7]], dtype=np.float32)
    single = check_parity(script, lambda a: {"r": a * 3 + a * a}, {"a": a}, bridge=octave, rtol=1e-6)
    assert single.ok, single.table()
    double = check_parity(script, lambda a: {"r": a.astype(np.float64) * 3 + a.astype(np.float64) ** 2}, {"a": a},
                          bridge=octave, rtol=1e-6)
    assert [(d.path, d.reason) for d in double.differences] == [
        ("r", "class differs: MATLAB single, NumPy float64; use r.astype(np.float32).")]
    derived = check_parity(script, lambda a: {"r": a * 3 + a * a}, {"a": a}, bridge=octave)
    assert derived.ok, derived.table()
    slipped = check_parity(script, lambda a: {"r": a * np.float32(3.00003) + a * a}, {"a": a}, bridge=octave)
    assert not slipped.ok, slipped.table()


@pytest.mark.octave
def test_command_line_compares_and_saves_a_struct_leaf_by_leaf(live_octave: Any, tmp_path: Path) -> None:
    """dlparity compare on a function file returning a struct of cells: --json names every leaf by its MATLAB
    path, --save keeps each side's leaves under those paths, and a slip in the twin names its leaf."""
    import json  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    write(tmp_path, "mk.m", "function s = mk(x)\n  s.W = {x, 2 * x};\n  s.name = 'n';\nend\n")
    write(tmp_path, "mk.py", "def mk(x):\n    return {'s': {'W': [x, 2 * x], 'name': 'n'}}\n\n\n"
                             "def slipped(x):\n    return {'s': {'W': [x, 3 * x], 'name': 'n'}}\n")
    np.savez(tmp_path / "case.npz", x=np.array([[0.5, 1.5]]))

    def run(func: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return dlparity_process("compare", "--matlab", str(tmp_path / "mk.m"), "--python", f"{tmp_path / 'mk.py'}:{func}",
                                "--inputs", str(tmp_path / "case.npz"), *extra)

    good = run("mk", "--json", "--save", str(tmp_path / "out.npz"))
    assert good.returncode == 0, good.stdout + good.stderr
    report = json.loads(good.stdout)
    assert [q["name"] for q in report["quantities"]] == ["s.W{1}", "s.W{2}"] and report["differences"] == []
    with np.load(tmp_path / "out.npz") as saved:
        assert np.array_equal(saved["octave/s.W{2}"], [[1.0, 3.0]]) and np.array_equal(saved["numpy/s.W{2}"],
                                                                                     [[1.0, 3.0]])
    bad = run("slipped")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "first diverging leaf: s.W{2} in case case.npz" in bad.stdout
    assert "mk.py:6  return {'s': {'W': [x, 3 * x], 'name': 'n'}}" in bad.stdout, bad.stdout  # the field's literal


@pytest.mark.octave
def test_integer_inputs_keep_the_automatic_tolerance_for_the_rest(octave: Any, tmp_path: Path) -> None:
    """An int32 leaf inside a struct reaches the twin as it is (exact, outside the tracker): its integer result is
    compared exactly, the floating leaves with their tracked tolerance; a slip in the integer one shows."""
    script = write(tmp_path, "mixed.m", "function out = mixed(s)\n  out.k = s.c + 1;\n  out.y = s.x / 3;\nend\n")
    inputs = {"s": {"c": np.array([[1, 2]], dtype=np.int32), "x": np.array([[1.0, 2.0]])}}
    good = check_parity(script, lambda s: {"out": {"k": s["c"] + np.int32(1), "y": s["x"] / 3}}, inputs,
                        bridge=octave)
    assert good.ok, good.table()
    assert good.tolerance_from[("out.k", "1")] == "exact" and good.tolerance_from[("out.y", "1")] == "derived"
    bad = check_parity(script, lambda s: {"out": {"k": s["c"] + np.int32(2), "y": s["x"] / 3}}, inputs,
                       bridge=octave)
    assert [r.name for r in bad.reports if not r.ok] == ["out.k"]
