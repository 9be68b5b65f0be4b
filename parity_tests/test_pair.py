"""The pair mode: reading .m files, every bad input as one sentence before Octave, and the comparison's verdicts.

Pairs are written here, fresh, in a temporary folder: scripts and function files with their
NumPy twins. Octave is real (the plugin's ``octave`` fixture); where a test must show that
nothing reached Octave, it passes a bridge that fails the test if it is called.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NoOctave, dlparity_process

from dlparity import InputError, MatlabError, assert_parity, check_parity
from dlparity.matlab_file import read_matlab_file, statements

# -- reading .m files ----------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_script_assignments_in_statement_order(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "s.m", """% header comment: x = 1 is not code
a = 1;  b = 'it''s % not a comment'; c = a';
%{
d = 4;
%}
e = [1, 2, ...
     3];            % continued
if a == 1, f = 2; end
[g, ~, h] = size(ones(2, 3, 4));
k(3) = 1; s.field = 2; t{2} = 3;
for n = 1:3
  a = a + n;  # Octave comment
end
x == 2;
"""))
    assert m.kind == "script"
    assert m.order() == ["a", "b", "c", "e", "f", "g", "h", "k", "s", "t", "n"]
    assert m.where("e").line == 6 and m.where("e").source == "e = [1, 2, ..."  # type: ignore[union-attr]
    assert m.where("f").line == 8  # type: ignore[union-attr]


def test_function_file_declarations_and_body(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "f.m", """function [p, q] = f(a, b)
% F  help text
  q = a - b;
  p = helper(a) + b;
end

function r = helper(x)
  r = 2 * x;
end
"""))
    assert (m.kind, m.name, m.arguments, m.outputs) == ("function", "f", ("a", "b"), ("p", "q"))
    assert m.order() == ["q", "p"]  # statement order of the body, not of the declaration
    assert "r" not in m.assigned  # a local function's variables are not the main function's


def test_script_local_functions_are_not_its_variables(tmp_path: Path) -> None:
    """Local functions at the end of a script (with outputs, or bare) end its statements: their bodies' names
    are the functions' own, not the script's."""
    m = read_matlab_file(write(tmp_path, "s.m", """y = 2 * a;

function out = helper(x)
  h = x;
  out = h;
end

function report
  k = 1;
end
"""))
    assert m.kind == "script"
    assert m.order() == ["y"]


def test_function_lines_without_a_space_before_the_bracket(tmp_path: Path) -> None:
    """'function[out] = f(x)' is a function line for Octave and MATLAB: a local function of a script, and
    a function file's declaration."""
    script = read_matlab_file(write(tmp_path, "s.m", "y = 2 * a;\n\nfunction[out] = helper(x)\n  h = x;\n  out = h;\nend\n"))
    assert script.kind == "script" and script.order() == ["y"]
    function = read_matlab_file(write(tmp_path, "f.m", "function[y, z] = f(a)\n  y = 2 * a;\n  z = y + 1;\nend\n"))
    assert function.kind == "function" and function.outputs == ("y", "z") and function.arguments == ("a",), function


@pytest.mark.octave
def test_a_local_functions_body_does_not_give_a_later_scripts_line(octave: Any, tmp_path: Path) -> None:
    """Two scripts in one workspace: h, assigned inside first.m's local function and then by second.m, is
    second.m's variable, and its divergence quotes second.m's line."""
    first = write(tmp_path, "first.m", "y = 2 * a;\n\nfunction out = helper(x)\n  h = x;\n  out = h;\nend\n")
    second = write(tmp_path, "second.m", "h = y + 1;\n")
    result = check_parity([first, second], lambda a: {"y": 2 * a, "h": 2 * a}, {"a": np.ones((1, 2))},
                          bridge=octave, rtol=1e-12)
    assert result.matlab.order() == ["y", "h"]
    d = result.first_divergence
    assert d is not None and (d.name, d.matlab_file, d.matlab_line, d.matlab_text) == ("h", "second.m", 1, "h = y + 1;")
    assert not result.matlab_only and not result.python_only


def test_statements_split_and_join() -> None:
    got = [(s.line, s.text) for s in statements(["x = 1; y = [1; 2]", "z = f(1, ...", "  2), w = 'a;b'"])]
    assert got == [(1, "x = 1"), (1, "y = [1; 2]"), (2, "z = f(1,    2)"), (2, "w = 'a;b'")]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("missing.m", None, "does not exist"),
    ("script.txt", "x = 1;", "is not a .m file"),
    ("empty.m", "% only a comment\n", "holds no MATLAB statements"),
    ("bad-name.m", "x = 1;", "is not a valid MATLAB name"),
    ("latin1.m", b"x = '\xe9';", "is not UTF-8 text"),
])
def test_bad_matlab_files_are_one_sentence(tmp_path: Path, name: str, text: str | bytes | None, expected: str) -> None:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=expected) as err:
        read_matlab_file(path)
    assert "\n" not in str(err.value)


# -- bad input: one sentence, before Octave ----------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    script = write(tmp_path, "scaled.m", "y = 2 * a;\nz = sum(y, 2);\n")
    twin = write(tmp_path, "scaled.py", "import numpy as np\n\n\ndef scaled(a):\n    y = 2 * a\n"
                                        "    z = np.sum(y, axis=1, keepdims=True)\n    return {'y': y, 'z': z}\n")
    return script, twin


BAD = [
    (lambda s, t: (s, f"{t}:nope", {"a": np.ones((2, 2))}), "has no function 'nope'; it defines scaled"),
    (lambda s, t: (s, f"{t}", {"a": np.ones((2, 2))}), "expected MODULE:FUNCTION"),
    (lambda s, t: (s, "no_such_module_xyz:f", {"a": np.ones((2, 2))}), "cannot be imported"),
    (lambda s, t: (s, f"{t}:scaled", {"lambda": np.ones((2, 2)), "lambda_": np.ones((2, 2))}),
     "inputs hold both 'lambda' and 'lambda_'; the Python twin takes MATLAB's 'lambda' as 'lambda_'"),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([1, None])}), "an object"),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([1 + 2j])}), "a complex array"),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([1.0, np.nan])}), "expected finite numbers"),
    # 2**53 + 1 becomes 2**53 as a double: the check must be on the integers themselves
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([[1, 2**53 + 1]])}),
     "input a holds the integer 9007199254740993 at index (0, 1), beyond 2**53, which a MATLAB double cannot hold "
     "exactly; expected integers of magnitude at most 2**53 = 9007199254740992."),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([[-(2**53) - 1]])}), "holds the integer -9007199254740993 at"),
    # a uint64 array is MATLAB's uint64 (dlparity.values), so only NumPy's default int64 is held to 2**53
    (lambda s, t: (s, f"{t}:scaled", {"a": np.array([2**62], dtype=np.int64)}), "integer 4611686018427387904"),
    # nested inputs are checked leaf by leaf, each refusal naming the MATLAB path
    (lambda s, t: (s, f"{t}:scaled", {"a": {"W": [np.ones(2), np.array([1j])]}}), "input a.W{2} is a complex array"),
    (lambda s, t: (s, f"{t}:scaled", {"a": {"W": (np.ones(2),)}}), "input a.W is a tuple; expected a list"),
    (lambda s, t: (s, f"{t}:scaled", {"a": {"1x": 1.0}}), "input a has a field named '1x'"),
    (lambda s, t: (s, f"{t}:scaled", {"a": [{"k": [np.inf]}]}), "input a{1}.k{1} is inf; expected a finite number"),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.int64(2**53 + 1)}), "is the integer 9007199254740993, beyond 2**53"),
    (lambda s, t: (s, f"{t}:scaled", {"a": np.ones(2), "b": np.ones(2)}), "cannot take the inputs a, b"),
    (lambda s, t: (s, f"{t}:scaled", {}), "cannot take the inputs"),
    (lambda s, t: (s, f"{t}:scaled", {"dlparity_a": np.ones(2)}), "reserves"),
    (lambda s, t: (s, f"{t}:scaled", []), "inputs is empty"),
]


@pytest.mark.parametrize(("build", "expected"), BAD)
def test_bad_input_is_one_sentence_before_octave(pair: tuple[Path, Path], build: Any, expected: str) -> None:
    matlab, python, inputs = build(*pair)
    with pytest.raises(InputError) as err:
        check_parity(matlab, python, inputs, bridge=NoOctave(), rtol=1e-12)
    assert expected in str(err.value)
    assert "\n" not in str(err.value) and str(err.value).endswith(".")


def test_tolerance_flags_are_checked(pair: tuple[Path, Path]) -> None:
    for bad in (-1.0, float("nan"), float("inf"), "1e-9"):
        with pytest.raises(InputError, match="expected a finite number >= 0"):
            check_parity(pair[0], f"{pair[1]}:scaled", {"a": np.ones((1, 2))}, rtol=bad, bridge=NoOctave())


def test_python_side_raising_is_one_line(pair: tuple[Path, Path], tmp_path: Path) -> None:
    write(tmp_path, "raises.py", "def raises(a):\n    return {'y': a / undefined_name}\n")
    with pytest.raises(InputError) as err:
        check_parity(pair[0], f"{tmp_path / 'raises.py'}:raises", {"a": np.ones((1, 2))}, bridge=NoOctave(), rtol=1e-9)
    assert "raised NameError: name 'undefined_name' is not defined (raises.py line 2)" in str(err.value)
    write(tmp_path, "broken.py", "import numpy as np\nx = 1 / 0\n")
    with pytest.raises(InputError, match=r"importing .*broken.py raised ZeroDivisionError: division by zero \(broken.py line 2\)"):
        check_parity(pair[0], f"{tmp_path / 'broken.py'}:f", {"a": np.ones((1, 2))}, bridge=NoOctave())
    with pytest.raises(InputError, match="returned a list; expected a dict"):
        check_parity(pair[0], lambda a: [a], {"a": np.ones((1, 2))}, bridge=NoOctave(), rtol=1e-9)


def test_function_file_arguments_must_match_the_inputs(tmp_path: Path) -> None:
    f = write(tmp_path, "f.m", "function [p] = f(a, b)\n  p = a + b;\nend\n")
    with pytest.raises(InputError, match=r"the inputs lack b, which f.m declares as arguments \(a, b\)"):
        check_parity(f, lambda a, b=0: {"p": a}, {"a": np.ones(2)}, bridge=NoOctave(), rtol=1e-9)
    with pytest.raises(InputError, match=r"the inputs hold c, which f\.m does not declare"):
        check_parity(f, lambda a, b, c: {"p": a}, {"a": np.ones(2), "b": np.ones(2), "c": np.ones(2)},
                     bridge=NoOctave(), rtol=1e-9)
    g = write(tmp_path, "g.m", "function p = other_name(a)\n  p = a;\nend\n")
    with pytest.raises(InputError, match="declares function 'other_name'"):
        check_parity(g, lambda a: {"p": a}, {"a": np.ones(2)}, bridge=NoOctave(), rtol=1e-9)


@pytest.mark.octave
def test_trailing_arguments_a_function_defaults_by_nargin_may_be_left_out(octave: Any, tmp_path: Path) -> None:
    # the course's idiom: function J = cost(theta, X, lambda) ... if nargin < 3, lambda = 0; end
    f = write(tmp_path, "cost.m", "function J = cost(theta, X, lambda)\n  if nargin < 3\n    lambda = 0.5;\n  end\n"
                                  "  J = sum(X * theta) + lambda;\nend\n")
    case = {"theta": np.array([[1.0], [2.0]]), "X": np.array([[1.0, 2.0], [3.0, 4.0]])}
    ok = check_parity(f, lambda theta, X, lambda_=0.5: {"J": np.sum(X @ theta) + lambda_}, case, bridge=octave)
    assert ok.ok and [r.name for r in ok.reports] == ["J"], ok.table()
    # the MATLAB really ran with nargin 2: a twin defaulting to another lambda is a MISMATCH
    bad = check_parity(f, lambda theta, X, lambda_=0.0: {"J": np.sum(X @ theta) + lambda_}, case, bridge=octave)
    assert not bad.ok and bad.first_divergence is not None and bad.first_divergence.name == "J"
    # only trailing ones: leaving out X (the middle) is still refused before Octave
    with pytest.raises(InputError, match=r"the inputs lack X, which cost.m declares as arguments \(theta, X, lambda\)"):
        check_parity(f, lambda theta, lambda_: {"J": theta}, {"theta": case["theta"], "lambda": 1.0},
                     bridge=NoOctave(), rtol=1e-9)


# -- errors in the user's MATLAB: Octave's words, with the line -------------------------------------------


@pytest.mark.octave
@pytest.mark.parametrize(("text", "expected"), [
    ("y = 2 * a;\nz = y + ;\n", "parse error near line 2"),
    ("y = 2 * a;\nz = [1 2 3] * [4 5 6];\n", "nonconformant arguments (op1 is 1x3, op2 is 1x3) (bad.m line 2)"),
    ("y = 2 * a + b;\n", "'b' undefined"),
])
def test_errors_in_the_matlab_come_back_as_one_sentence(octave: Any, tmp_path: Path, text: str, expected: str) -> None:
    script = write(tmp_path, "bad.m", text)
    with pytest.raises(MatlabError) as err:
        check_parity(script, lambda a: {"y": 2 * a}, {"a": np.ones((1, 3))}, bridge=octave, rtol=1e-12)
    assert expected in str(err.value) and "\n" not in str(err.value)
    if "undefined" in expected:
        assert "add it to the inputs (they hold a)" in str(err.value)


# -- what is compared, and how ---------------------------------------------------------------------------------


@pytest.mark.octave
def test_names_on_one_side_are_listed_and_shapes_come_first(octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "shapes.m", "row = sum(A, 1);\ncol = sum(A, 2);\nonly_m = 1;\nlabel = 'text';\n")

    def twin(A: np.ndarray) -> dict[str, Any]:
        return {"row": np.sum(A, axis=0), "col": np.sum(A, axis=1, keepdims=True), "only_py": A,
                "label": "text"}

    result = check_parity(script, twin, {"A": np.arange(6.0).reshape(2, 3)}, bridge=octave, rtol=1e-15)
    assert not result.ok
    assert result.matlab_only == ["only_m"] and result.python_only == ["only_py"]
    assert not result.not_compared and result.texts_compared == 1  # text is compared: 'text' on both sides
    assert result.first_divergence is not None and result.first_divergence.name == "row"
    table = result.table()
    assert "MATLAB gives a 1x3 row, NumPy a 1-D (3,): keep it 2-D in the twin" in table
    assert "only in MATLAB (not compared): only_m" in table and "only in Python (not compared): only_py" in table
    assert "chosen by the user: atol 0 + rtol 1e-15" in table
    col = next(r for r in result.reports if r.name == "col")
    assert col.ok and col.max_abs_diff == 0.0


@pytest.mark.octave
@pytest.mark.parametrize(("where", "python_value"), [
    ("numpy NaN", np.array([[np.nan, 2.0]])),
    ("numpy Inf", np.array([[1.0, np.inf]])),
])
def test_non_finite_on_one_side_is_a_mismatch(octave: Any, tmp_path: Path, where: str, python_value: Any) -> None:
    script = write(tmp_path, "v.m", "v = a;\n")
    result = check_parity(script, lambda a: {"v": python_value}, {"a": np.array([[1.0, 2.0]])}, bridge=octave,
                          rtol=1.0)
    assert not result.ok, where


@pytest.mark.octave
def test_integers_up_to_2_53_reach_both_sides(octave: Any, pair: tuple[Path, Path]) -> None:
    """The largest whole numbers a double holds exactly are accepted, and doubled exactly on both sides."""
    result = check_parity(pair[0], f"{pair[1]}:scaled", {"a": np.array([[2**53 - 1, -(2**53)]])}, bridge=octave,
                          rtol=0.0)
    assert result.ok, result.table()


COMPLEX = [  # (MATLAB, twin's r, why): y = 2 * a is real and equal on both sides, r is complex on one side or both
    ("r = sqrt(a);", lambda a: np.sqrt(np.maximum(a, 0.0)),  # the real part of MATLAB's r: a wrong port
     "complex on the MATLAB side; the NumPy side is real"),
    ("r = abs(a);", lambda a: np.abs(a) + 1j, "complex on the NumPy side; the MATLAB side is real"),
    ("r = sum(abs(a(:)));", lambda a: complex(np.sum(np.abs(a)), 1.0),
     "complex on the NumPy side; the MATLAB side is real"),
    ("r = sqrt(a);", lambda a: np.sqrt(a.astype(np.complex128)), "complex on both sides"),
]


@pytest.mark.octave
@pytest.mark.parametrize(("matlab", "twin_r", "why"), COMPLEX,
                         ids=["matlab complex", "numpy complex", "numpy complex scalar", "both complex"])
def test_complex_on_either_side_is_a_mismatch(octave: Any, tmp_path: Path, matlab: str, twin_r: Any,
                                              why: str) -> None:
    """Complex values are never compared (casting to float64 would compare real parts only): a MISMATCH that
    says which side is complex."""
    script = write(tmp_path, "c.m", f"y = 2 * a;\n{matlab}\n")
    result = check_parity(script, lambda a: {"y": 2 * a, "r": twin_r(a)}, {"a": np.array([[-4.0, 9.0]])},
                          bridge=octave, rtol=1e-12)
    assert not result.ok
    assert [(r.name, r.ok) for r in result.reports] == [("y", True), ("r", False)]
    assert result.complex_values == {"r": why} and not result.not_compared
    d = result.first_divergence
    assert d is not None and d.name == "r" and d.reason == f"{why}, and only real values are compared"
    table = result.table()
    assert f"complex, so MISMATCH (only real values are compared): r ({why})" in table
    assert "1 of 2 variables MISMATCH" in table
    assert result.to_json()["complex"] == {"r": why}


@pytest.mark.octave
def test_a_live_runs_header_has_no_recorded_date(live_octave: Any, pair: tuple[Path, Path]) -> None:
    result = check_parity(pair[0], f"{pair[1]}:scaled", {"a": np.ones((2, 3))}, bridge=live_octave, rtol=0.0)
    header = result.table().splitlines()[0]
    assert header.startswith("octave: live, GNU Octave ") and "recorded" not in header, header


@pytest.mark.octave
def test_many_cases_go_to_octave_in_one_call(octave: Any, pair: tuple[Path, Path]) -> None:
    calls: list[str] = []

    class Counting:
        """The ``octave`` fixture, counting the calls made to it (an OctaveSide)."""

        source = octave.source

        def call(self, func: str, *args: Any, **kwargs: Any) -> Any:
            calls.append(func)
            return octave.call(func, *args, **kwargs)

        def describe(self) -> dict[str, Any]:
            return dict(octave.describe())

    cases = [{"a": np.full((2, 3), float(k))} for k in range(50)]
    result = check_parity(pair[0], f"{pair[1]}:scaled", cases, bridge=Counting(), rtol=0.0)
    assert result.ok and len(result.reports) == 100
    assert calls.count("dlparity_run_mfile") == 1


@pytest.mark.octave
def test_assert_parity_message_is_the_table(octave: Any, pair: tuple[Path, Path]) -> None:
    def off(a: np.ndarray) -> dict[str, Any]:
        y = 2 * a
        z = np.sum(y, axis=1, keepdims=True) + 1e-9
        return {"y": y, "z": z}

    with pytest.raises(AssertionError) as err:
        assert_parity(pair[0], off, {"a": np.ones((2, 3))}, bridge=octave, atol=1e-12)
    message = str(err.value)
    assert "first diverging variable: z" in message
    assert "scaled.m:2  z = sum(y, 2);" in message
    assert "z = np.sum(y, axis=1, keepdims=True) + 1e-9" in message
    assert "1 of 2 variables MISMATCH" in message


# -- the command line ---------------------------------------------------------------------------------------------


@pytest.mark.octave
def test_cli_pair_exit_codes(live_octave: Any, pair: tuple[Path, Path], tmp_path: Path) -> None:
    case = tmp_path / "case.npz"
    np.savez(case, a=np.arange(6.0).reshape(2, 3))
    base = ["compare", "--matlab", str(pair[0]), "--python", f"{pair[1]}:scaled", "--inputs", str(case)]
    ok = dlparity_process(*base, "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] is True and [q["name"] for q in report["quantities"]] == ["y", "z"]
    assert set(report["quantities"][0]) >= {"name", "shape", "max_abs_diff", "max_rel_diff", "max_ulp", "tolerance",
                                            "bound_ratio", "ok"}
    assert report["octave"]["source"] == "live"
    write(tmp_path, "off.py", "import numpy as np\n\n\ndef scaled(a):\n    y = 2 * a\n"
                              "    z = np.sum(y, axis=0, keepdims=True)\n    return {'y': y, 'z': z}\n")
    mismatch = dlparity_process(*base[:4], f"{tmp_path / 'off.py'}:scaled", *base[5:])
    assert mismatch.returncode == 1, mismatch.stderr
    assert "first diverging variable: z" in mismatch.stdout
    missing = dlparity_process(*base[:2], str(tmp_path / "nope.m"), *base[3:])
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr
    mixed = dlparity_process(*base, "--seed", "3")
    assert mixed.returncode == 2 and "--seed belong to the document's blocks" in mixed.stderr
    no_octave = dlparity_process(*base, env={"OCTAVE_EXECUTABLE": str(tmp_path / "no-octave-here")})
    assert no_octave.returncode == 3, no_octave.stdout + no_octave.stderr
    assert "Octave was not found" in no_octave.stderr


@pytest.mark.octave
def test_cli_pair_save_on_a_full_disk_shows_the_results_then_exit_4(
        live_octave: Any, pair: tuple[Path, Path], tmp_path: Path, full_disk: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from dlparity.cli.main import main  # noqa: PLC0415

    case = tmp_path / "case.npz"
    np.savez(case, a=np.arange(20_000.0).reshape(100, 200))  # 160 kB of outputs: more than the 64 kB disk
    target = full_disk / "out.npz"
    status = main(["compare", "--matlab", str(pair[0]), "--python", f"{pair[1]}:scaled", "--inputs", str(case),
                   "--save", str(target)])
    out, err = capsys.readouterr()
    assert status == 4, err
    assert "all 2 variables match" in out and "saved" not in out
    assert err.count("\n") == 1 and "--save" in err
    assert not target.exists() and not [p for p in full_disk.iterdir() if p.name != "out.npz"]  # nothing partial


def test_cli_pair_needs_all_three(pair: tuple[Path, Path]) -> None:
    only_matlab = dlparity_process("compare", "--matlab", str(pair[0]))
    assert only_matlab.returncode == 2 and "--matlab needs --python" in only_matlab.stderr
    no_inputs = dlparity_process("compare", "--matlab", str(pair[0]), "--python", f"{pair[1]}:scaled")
    assert no_inputs.returncode == 2 and "need --inputs CASE.npz" in no_inputs.stderr


# -- the Octave column is Octave's: an Octave whose arithmetic is off by a few bounds is caught --------------------

SOFTMAX = Path(__file__).resolve().parents[1] / "examples" / "softmax_cross_entropy"


def _softmax_with_log_scaled_by(tmp_path: Path, factor: float) -> Path:
    """A copy of the softmax pair whose Octave 'log' (a log.m beside it, shadowing the builtin) is off by ``factor``."""
    folder = tmp_path / f"scaled_{factor!r}".replace(".", "_").replace("-", "m")
    folder.mkdir()
    (folder / "softmax_cross_entropy.m").write_bytes((SOFTMAX / "softmax_cross_entropy.m").read_bytes())
    (folder / "log.m").write_text(f"function y = log(x)\n  y = builtin('log', x) * {factor!r};\nend\n",
                                  encoding="utf-8")
    return folder / "softmax_cross_entropy.m"


@pytest.mark.octave
@pytest.mark.dlparity_planted
@pytest.mark.parametrize(("multiple", "caught"), [(3.0, True), (0.3, False)])
def test_octave_arithmetic_off_by_a_multiple_of_the_bound(octave: Any, tmp_path: Path, multiple: float,
                                                            caught: bool) -> None:
    """Every log Octave takes is scaled by 1 + delta, which scales the loss by 1 + delta: delta = 3x the loss's
    relative tolerance must be a mismatch, 0.3x must pass (the tolerance is tight and the numbers are Octave's)."""
    sys.path.insert(0, str(SOFTMAX))
    try:
        from softmax_cross_entropy import softmax_cross_entropy  # noqa: PLC0415
    finally:
        sys.path.remove(str(SOFTMAX))
    rng = np.random.default_rng(3)
    z = rng.standard_normal((6, 16))
    Y = np.eye(6)[:, rng.integers(0, 6, size=16)]
    inputs = {"z": z, "Y": Y}
    honest = check_parity(SOFTMAX / "softmax_cross_entropy.m", softmax_cross_entropy, inputs, bridge=octave)
    loss = next(r for r in honest.reports if r.name == "loss")
    assert honest.ok and loss.tolerance > 0
    delta = multiple * loss.tolerance / abs(loss.gold_sample)
    shadowed = _softmax_with_log_scaled_by(tmp_path, 1.0 + delta)
    result = check_parity(shadowed, softmax_cross_entropy, inputs, bridge=octave)
    off = next(r for r in result.reports if r.name == "loss")
    assert off.bound_ratio == pytest.approx(multiple, rel=0.2)  # the shift is Octave's, as planted
    assert result.ok is not caught
    if caught:
        assert result.first_divergence is not None and result.first_divergence.name == "loss"


# -- found by a review with pairs of its own -------------------------------------------------------

def test_a_comparison_inside_an_index_is_still_an_assignment(tmp_path: Path) -> None:
    """MATLAB's masked assignment x(x >= 0.5) = 0.5 assigns x: the = of >=, <=, == or ~= inside the index is not
    the statement's (it used to hide the input x from the comparison altogether)."""
    m = read_matlab_file(write(tmp_path, "clip.m", """x(x >= 0.5) = 0.5;
X(X <= 0) = 0; m(a == b) = 1; n(a ~= b) = 2; p(strcmp(s, 'b=c')) = 3; q(idx(max(1, k))) = 4;
r == 2; disp(x); s.f(2).g = 1; t.(name) = 2;
"""))
    assert m.order() == ["x", "X", "m", "n", "p", "q", "s", "t"]


@pytest.mark.octave
@pytest.mark.parametrize(("clip", "ok"), [(0.5, True), (0.4, False)], ids=["right-twin", "wrong-twin"])
def test_an_input_clipped_in_place_is_compared(octave: Any, tmp_path: Path, clip: float, ok: bool) -> None:
    script = write(tmp_path, "clipin.m", "x(x >= 0.5) = 0.5;\nw = 2 * v;\n")
    rng = np.random.default_rng(4)
    inputs = {"x": rng.standard_normal((3, 4)), "v": rng.standard_normal((2, 2))}
    result = check_parity(script, lambda x, v: {"x": np.minimum(x, clip), "w": 2 * v}, inputs, bridge=octave)
    assert [r.name for r in result.reports] == ["x", "w"] and result.ok is ok, result.table()
    if not ok:
        assert result.first_divergence is not None and result.first_divergence.name == "x"


@pytest.mark.octave
def test_empty_variables_compare_as_equal(octave: Any, tmp_path: Path) -> None:
    """An empty result (x(1:0, :)) or an empty input on both sides is compared by shape and matches; it used to end
    in a traceback from np.unravel_index."""
    script = write(tmp_path, "emptyres.m", "y = x(1:0, :);\nz = x * 2;\ne = E * 2;\n")
    twin = lambda x, E: {"y": x[0:0, :], "z": x * 2, "e": E * 2}  # noqa: E731
    result = check_parity(script, twin, {"x": np.arange(6.0).reshape(2, 3), "E": np.zeros((0, 3))}, bridge=octave)
    assert result.ok, result.table()
    assert [(r.name, r.shape, r.ok) for r in result.reports] == [("y", (0, 3), True), ("z", (2, 3), True),
                                                                   ("e", (0, 3), True)]
    wrong = check_parity(script, lambda x, E: {"y": x[0:1, :], "z": x * 2, "e": E * 2}, {"x": np.ones((2, 3)),
                         "E": np.zeros((0, 3))}, bridge=octave)
    assert not wrong.ok and wrong.first_divergence is not None and wrong.first_divergence.name == "y"


@pytest.mark.octave
@pytest.mark.parametrize("planted", [False, True], ids=["right-twin", "planted-bug"])
def test_text_and_boolean_inputs_under_the_automatic_tolerance(octave: Any, tmp_path: Path, planted: bool) -> None:
    """Strings, booleans and boolean arrays are exact: the bound tracker hands them to the twin as they are (they
    used to be refused as 'dtype <U6' or 'dtype bool', blamed on the twin)."""
    script = write(tmp_path, "modes.m", """if strcmp(mode, "double")
  y = x * 2;
else
  y = x;
end
if flag
  y = y + 1;
end
z = m .* x;
""")

    def twin(x: Any, mode: str, flag: bool, m: Any) -> dict[str, Any]:
        y = x * 2 if mode == "double" else x
        if flag:
            y = y + (1 + 1e-12 if planted else 1)
        return {"y": y, "z": m * x}

    x = np.random.default_rng(5).standard_normal((3, 4))
    result = check_parity(script, twin, {"x": x, "mode": "double", "flag": True, "m": x > 0}, bridge=octave)
    assert result.ok is not planted, result.table()
    z = next(r for r in result.reports if r.name == "z")
    assert z.ok and z.max_abs_diff == 0.0


@pytest.mark.octave
@pytest.mark.parametrize(("relative", "ok"), [(1e-6, False), (0.0, True)], ids=["1e-6-flagged", "exact-passes"])
def test_a_relative_slip_in_a_cancelling_subtraction_is_flagged(octave: Any, tmp_path: Path, relative: float,
                                                                 ok: bool) -> None:
    """h = 1 - c with c within 1e-10 of 1 is exact on both sides; its tolerance is u|h|, so a twin off by 1e-6
    relatively is a MISMATCH (it passed at 0.44x the old tolerance u(|1| + |c|))."""
    script = write(tmp_path, "loose.m", "h = 1 - c;\n")
    c = 1 - 1e-10 * np.random.default_rng(6).uniform(1, 2, size=(1, 4))
    result = check_parity(script, lambda c: {"h": (1 - c) * (1 + relative)}, {"c": c}, bridge=octave)
    assert result.ok is ok, result.table()


@pytest.mark.octave
def test_a_script_calls_the_local_functions_at_its_end(octave: Any, tmp_path: Path) -> None:
    """MATLAB lets a script call the local functions defined at its end; Octave 7 alone fails there ('sq'
    undefined). The runner defines them first and clears them after: the script runs as written, its local
    functions' variables stay out of its workspace, and nothing is left defined in the session."""
    script = write(tmp_path, "scriptlocal.m", """y = sq(x) + 1;
z = twice(y)';

function r = sq(t)
  r = t .* t;
end

function w = twice(v)
  w = 2 * sq(sqrt(v));
end
""")
    x = np.arange(1.0, 7.0).reshape(2, 3)
    result = check_parity(script, lambda x: {"y": x * x + 1, "z": (2 * np.sqrt(x * x + 1) ** 2).T}, {"x": x},
                          bridge=octave)
    assert result.ok, result.table()
    assert [r.name for r in result.reports] == ["y", "z"] and not result.matlab_only
    assert octave.call("exist", "sq") == 0 and octave.call("exist", "twice") == 0


@pytest.mark.octave
def test_a_refusal_is_one_sentence_without_numpy_warnings(octave: Any, tmp_path: Path) -> None:
    """A twin whose tracked run is refused (0/0 making a bound non-finite: np.sort, which has no rule, only makes y
    untracked since issue 17) gives one sentence with the rtol/atol advice once, and no RuntimeWarning is printed
    before it."""
    script = write(tmp_path, "s.m", "y = sort(x);\nz = x ./ x;\n")
    import warnings  # noqa: PLC0415

    for twin, named in ((lambda x: {"y": np.sort(x), "z": x / x}, "numpy.divide"),
                        (lambda x: {"y": x, "z": x / x}, "numpy.divide")):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning would raise here instead of printing
            with pytest.raises(InputError) as info:
                check_parity(script, twin, {"x": np.zeros((1, 3))}, bridge=octave)
        message = str(info.value)
        assert named in message and message.count("rtol=") == 1 and ". " not in message, message


@pytest.mark.octave
def test_a_reassigned_variable_is_quoted_at_its_last_assignment(octave: Any, tmp_path: Path) -> None:
    """A slip in `acc = acc / (m - 1)` is quoted there on both sides, not at the initialiser `acc = zeros(n, 1)`."""
    script = write(tmp_path, "loopacc.m", """n = size(x, 1);
m = size(x, 2);
acc = zeros(n, 1);
for k = 1:m
  acc = acc + x(:, k);
end
acc = acc / m;
""")
    twin_file = write(tmp_path, "loopacc.py", '''import numpy as np


def loopacc(x):
    n = x.shape[0]
    m = x.shape[1]
    acc = np.zeros((n, 1))
    for k in range(m):
        acc = acc + x[:, k:k + 1]
    acc = acc / (m - 1)
    return {"n": n, "m": m, "acc": acc, "k": k + 1}
''')
    result = check_parity(script, f"{twin_file}:loopacc", {"x": np.arange(12.0).reshape(3, 4)}, bridge=octave)
    d = result.first_divergence
    assert d is not None and d.name == "acc", result.table()
    assert (d.matlab_line, d.matlab_text) == (7, "acc = acc / m;")
    assert (d.python_line, d.python_text) == (10, "acc = acc / (m - 1)")


@pytest.mark.octave
def test_an_output_never_assigned_is_named_as_such(octave: Any, tmp_path: Path) -> None:
    """Octave says "'b' undefined near line 1, column 14" (the declaration) for an output the path taken never
    assigned; the sentence says which output, and that it was never assigned."""
    fn = write(tmp_path, "unas.m", "function [a, b] = unas(x)\n  a = x * 2;\n  if any(x(:) > 100)\n    b = 1;\n  end\nend\n")
    with pytest.raises(MatlabError) as err:
        check_parity(fn, lambda x: {"a": 2 * x, "b": 1.0}, {"x": np.ones((1, 3))}, bridge=octave, rtol=1e-12)
    message = str(err.value)
    assert "declared output 'b' was never assigned" in message and "\n" not in message, message
    assert "add it to the inputs" not in message


@pytest.mark.octave
def test_an_edited_function_file_or_helper_is_read_again(octave: Any, tmp_path: Path) -> None:
    """One Octave serves every check of a process; it parses a function file once. An edited helper or function
    file must be run as it now is: the old text made a check pass on code that was gone."""
    fn = write(tmp_path, "scale2.m", "function y = scale2(x)\n  y = twice(x) + 1;\nend\n")
    write(tmp_path, "twice.m", "function t = twice(x)\n  t = 2 * x;\nend\n")
    twin = lambda x: {"y": 2 * x + 1}  # noqa: E731
    x = {"x": np.array([[1.0], [2.0]])}
    assert check_parity(fn, twin, x, bridge=octave).ok
    write(tmp_path, "twice.m", "function t = twice(x)\n  t = 3 * x;\nend\n")
    helper_edited = check_parity(fn, twin, x, bridge=octave)
    assert not helper_edited.ok and helper_edited.reports[0].gold_sample in (4.0, 7.0)
    write(tmp_path, "twice.m", "function t = twice(x)\n  t = 2 * x;\nend\n")
    write(tmp_path, "scale2.m", "function y = scale2(x)\n  y = twice(x) + 1.5;\nend\n")
    assert not check_parity(fn, twin, x, bridge=octave).ok
