"""The MATLAB reader on files as people write them (issue 16, item 6): continuations, block comments, Octave's
syntax, ``end`` as an index, subfunctions and a script's local functions.

Each construct is read (what the reader finds: kind, names, statement order, lines), and the
files where it matters are run for real in Octave against their twins, a planted slip on each side
shown to fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_pair import write

from dlparity import check_parity
from dlparity.matlab_file import read_matlab_file, statements

# A function file as a course or toolbox writes it: a signature spread over three lines with comments after
# each '...', a block comment (nested, holding code-like text and an unbalanced bracket), both comment
# characters, Octave's endfunction, and a subfunction the entry calls.
LOGREG_M = """\
function [J, grad] = ...        the outputs; the rest of a '...' line is a comment
    logreg(theta, X, ...        % the parameters, then the data
           y, lambda)
%{
  LOGREG  Regularised logistic regression: cost J and its gradient.
  J = (1/m) * sum(...)          <- not code, and this ( is never closed
  %{
    a nested block: grad = 0;
  %}
%}
# Octave's comment character, and MATLAB's:
m = numel(y);  % examples
h = sigmoid(X * theta);
J = (-y' * log(h) - (1 - y)' * log(1 - h)) / m + lambda / (2 * m) * sum(theta(2:end) .^ 2);
grad = X' * (h - y) / m + lambda / m * [0; theta(2:end)];
endfunction

function g = sigmoid(z)
  % SIGMOID  The logistic function; a subfunction, not the entry.
  J = 0;  # a name of the entry's, assigned here: not the entry's statement
  g = 1 ./ (1 + exp(-z));
endfunction
"""

LOGREG_PY = """\
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logreg(theta, X, y, lambda_):
    m = y.size  # examples
    h = sigmoid(X @ theta)
    J = (-y.T @ np.log(h) - (1 - y).T @ np.log(1 - h)) / m + lambda_ / (2 * m) * np.sum(theta[1:] ** 2)
    grad = X.T @ (h - y) / m + lambda_ / m * np.vstack([np.zeros((1, 1)), theta[1:]])
    return {"J": J, "grad": grad}
"""

# A script in Octave's dialect: +=, !=, !, endwhile, endif, endfor, end as an index, and a local function.
OCTAVE_M = """\
total = 0;
k = 0;
while k != n
  k += 1;
  total += x(k);
endwhile
if !(total == 0)
  last = x(end) * 2;
  y = x;
  y(end-1, :) = 0;  # end inside an index: not the end of the if
endif
for j = 1:2
  acc(j) = twice(j);
endfor

function r = twice(v)
  r = 2 * v;
endfunction
"""

OCTAVE_PY = """\
import numpy as np


def octave_style(x, n):
    total = 0.0
    k = 0
    while k != n:
        k += 1
        total = total + x[k - 1, 0]  # MATLAB's total += x(k), 1-based
    last = x[-1, 0] * 2
    y = np.vstack([x[:-2], np.zeros((1, 1)), x[-1:]])  # y(end-1, :) = 0, built whole
    acc = np.array([[2.0 * 1, 2.0 * 2]])
    j = 2
    return {"total": total, "k": k, "last": last, "y": y, "j": j, "acc": acc}
"""


def logreg_case(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    X = np.hstack([np.ones((9, 1)), rng.standard_normal((9, 2))])
    return {"theta": rng.standard_normal((3, 1)), "X": X, "y": (rng.random((9, 1)) < 0.5) * 1.0, "lambda": 0.3}


# -- reading -------------------------------------------------------------------------------------------

def test_a_signature_over_three_lines_and_a_nested_block_comment(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "logreg.m", LOGREG_M))
    assert (m.kind, m.name, m.arguments, m.outputs) == ("function", "logreg", ("theta", "X", "y", "lambda"),
                                                        ("J", "grad"))
    assert m.order() == ["J", "grad"]
    assert list(m.assigned) == ["m", "h", "J", "grad"]  # the subfunction's J = 0 is not the entry's
    assert m.last_assignment("J").line == 14  # type: ignore[union-attr]
    assert "g" not in m.assigned


# Octave's script-file idiom: '1;' first (so the file is not a function file), then the functions the
# script uses, each closed by endfunction, then the script itself.
OCTAVE_DEFINES_FIRST_M = """\
1;
function y = sq(x)
  y = x .^ 2;
endfunction

function [a, b] = two(x)
  if x > 0
    a = x;
  end
  b = x;
endfunction

z = sq(3);
[p, q] = two(z);
k = 0;
k++;
"""


def test_an_octave_script_defining_its_functions_first(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "defines_first.m", OCTAVE_DEFINES_FIRST_M))
    assert m.kind == "script"
    assert m.order() == ["z", "p", "q", "k"]  # the functions' y, a and b are theirs
    assert m.last_assignment("z").line == 13  # type: ignore[union-attr]
    assert m.last_assignment("k").line == 16  # type: ignore[union-attr]  # k++ assigns k


def test_octave_dialect_script(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "octave_style.m", OCTAVE_M))
    assert m.kind == "script"
    assert m.order() == ["total", "k", "last", "y", "j", "acc"]  # the local function's r is not the script's
    assert m.last_assignment("total").line == 5 and m.last_assignment("k").line == 4  # type: ignore[union-attr]
    assert m.last_assignment("y").line == 10  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "assigned"), [
    ("s = 'wait...'; t = 1;", ["s", "t"]),  # '...' inside a string is text
    ('s = "50% done..."; t = 1;', ["s", "t"]),
    ('s = "a\\"b % still text"; u = 2;', ["s", "u"]),  # Octave's backslash escape inside "..."
    ("s = 'it''s % text'; u = 2;", ["s", "u"]),
    ("x = [1, 2, ... first row\n     3]; z = 1;", ["x", "z"]),
    ("x(end) = 1; y(end-1, :) = 2; z{end+1} = 3; w(end, end) = 4;", ["x", "y", "z", "w"]),
    ("a += 1; b -= 2; c *= 3; d /= 4; e ^= 2; f(2) += 1;", ["a", "b", "c", "d", "e", "f"]),
    ("a != b; a ~= b; a == b; a <= b; a >= b; !a;", []),
    ("if a != 1, b = 2; endif\nwhile !c, c = 1; endwhile", ["b", "c"]),
    ("#{\nx = 1;\n#}\ny = 2;", ["y"]),
    ("%{\n%{\nx = 1;\n%}\nz = 3;\n%}\ny = 2;", ["y"]),  # nested: z = 3 is still inside the outer block
    ("%{ not a block: text follows on its line\ny = 2;", ["y"]),
    ("x = 1 + ...", ["x"]),  # a last line ending in '...'
])
def test_statements_as_matlab_reads_them(text: str, assigned: list[str]) -> None:
    from dlparity.matlab_file import assigned_names  # noqa: PLC0415

    found = [n for st in statements(text.splitlines()) for n in assigned_names(st.text)]
    assert found == assigned


def test_a_continued_statement_is_quoted_from_its_first_line(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "s.m", "a = 1;\nb = a + ...  first part\n    2;\nc = b;\n"))
    st = m.where("b")
    assert st is not None and (st.line, st.source) == (2, "b = a + ...  first part")
    assert " ".join(st.text.split()) == "b = a + 2"  # the two lines joined, the comment after '...' gone


# -- run for real -----------------------------------------------------------------------------------------

@pytest.mark.octave
@pytest.mark.parametrize("seed", [0, 1])
def test_the_multiline_signature_file_runs_against_its_twin(live_octave: Any, tmp_path: Path, seed: int) -> None:
    matlab, twin = write(tmp_path, "logreg.m", LOGREG_M), write(tmp_path, "logreg_twin.py", LOGREG_PY)
    result = check_parity(matlab, f"{twin}:logreg", logreg_case(seed), bridge=live_octave)
    assert result.ok and [r.name for r in result.reports] == ["J", "grad"], result.table()


@pytest.mark.octave
@pytest.mark.parametrize(("side", "slip"), [
    ("matlab", ("g = 1 ./ (1 + exp(-z));", "g = 1 ./ (1 + exp(z));")),  # in the subfunction
    ("numpy", ("return 1 / (1 + np.exp(-z))", "return 1 / (1 + np.exp(z))")),
])
def test_a_slip_in_the_subfunction_is_caught(live_octave: Any, tmp_path: Path, side: str,
                                             slip: tuple[str, str]) -> None:
    m_text, p_text = LOGREG_M, LOGREG_PY
    if side == "matlab":
        m_text = m_text.replace(*slip)
    else:
        p_text = p_text.replace(*slip)
    assert (m_text, p_text) != (LOGREG_M, LOGREG_PY)
    matlab, twin = write(tmp_path, "logreg.m", m_text), write(tmp_path, "logreg_twin.py", p_text)
    result = check_parity(matlab, f"{twin}:logreg", logreg_case(0), bridge=live_octave)
    assert not result.ok and result.first_divergence is not None
    assert (result.first_divergence.name, result.first_divergence.matlab_line) == ("J", 14)


@pytest.mark.octave
def test_the_octave_dialect_script_runs_against_its_twin(live_octave: Any, tmp_path: Path) -> None:
    script, twin = write(tmp_path, "octave_style.m", OCTAVE_M), write(tmp_path, "octave_twin.py", OCTAVE_PY)
    case = {"x": np.array([[0.5], [1.25], [2.0], [3.0]]), "n": 3}
    result = check_parity(script, f"{twin}:octave_style", case, bridge=live_octave)
    assert result.ok, result.table()
    assert [r.name for r in result.reports] == ["total", "k", "last", "y", "j", "acc"]
    slipped = write(tmp_path, "octave_slip.m", OCTAVE_M.replace("y(end-1, :) = 0;", "y(end, :) = 0;"))
    result = check_parity(slipped, f"{twin}:octave_style", case, bridge=live_octave)
    assert not result.ok and [r.name for r in result.reports if not r.ok] == ["y"]
    assert result.first_divergence is not None and result.first_divergence.matlab_line == 10
    twin_slip = write(tmp_path, "twin_slip.py", OCTAVE_PY.replace("x[k - 1, 0]", "x[k, 0]"))
    result = check_parity(script, f"{twin_slip}:octave_style", case, bridge=live_octave)
    assert not result.ok and result.first_divergence is not None and result.first_divergence.name == "total"


# A function whose blocks close with 'end' (if, for, its own), 'end' used as an index, a nested function
# the entry calls, statements of the entry after it, and a subfunction after the entry's end.
NESTED_M = """\
function [y, z] = outer(x)
  scale = 3;
  y = x(end) * 2;
  if y > 0
    for k = 1:2
      y = y + k;
    end
  end
  z = helper(x);
  function r = helper(v)
    r = v * scale;
  end
  y = y + z(end);
end

function unused = sub(a)
  unused = a;
end
"""


def test_blocks_nested_functions_and_end_as_an_index(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "outer.m", NESTED_M))
    assert (m.name, m.outputs, m.order()) == ("outer", ("y", "z"), ["y", "z"])
    assert list(m.assigned) == ["scale", "y", "k", "z"]  # not the nested r, not the subfunction's unused
    assert m.last_assignment("y").line == 13  # type: ignore[union-attr]  # after the nested function


def test_a_file_without_closing_ends_stops_at_the_next_function(tmp_path: Path) -> None:
    m = read_matlab_file(write(tmp_path, "f.m", "function y = f(x)\nif x(end) > 0\n  y = x;\nelse\n  y = -x;\nend\n"
                                                "y = y * 2;\n\nfunction r = g(v)\nr = v;\ny = 0;\n"))
    assert list(m.assigned) == ["y"] and m.last_assignment("y").line == 7  # type: ignore[union-attr]


@pytest.mark.octave
def test_a_slip_after_a_nested_function_is_quoted_at_its_line(live_octave: Any, tmp_path: Path) -> None:
    def twin(x: Any) -> dict[str, Any]:
        scale = 3
        y = x[-1, -1] * 2
        y = y + 1 + 2  # MATLAB's for k = 1:2 (y > 0 here)
        z = x * scale
        y = y + z[-1, -1]
        return {"y": y, "z": z}

    x = np.array([[1.0, 2.0]])
    result = check_parity(write(tmp_path, "outer.m", NESTED_M), twin, {"x": x}, bridge=live_octave)
    assert result.ok and [r.name for r in result.reports] == ["y", "z"], result.table()
    (tmp_path / "slip").mkdir()
    slipped = write(tmp_path / "slip", "outer.m", NESTED_M.replace("y = y + z(end);", "y = y + z(1);"))
    result = check_parity(slipped, twin, {"x": x}, bridge=live_octave)
    assert not result.ok and result.first_divergence is not None
    assert (result.first_divergence.name, result.first_divergence.matlab_line) == ("y", 13)
