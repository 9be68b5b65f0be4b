"""MATLAB names that are Python keywords (issue 16, item 5): ``lambda`` reaches the twin as ``lambda_``, unmodified.

The MATLAB is a course-style regularised logistic regression cost, written as such courses write
it (``function [J, grad] = cost(theta, X, y, lambda)``) and never edited for the harness; its twin
is ``def cost(theta, X, y, lambda_)``. Octave is real. Each pair is shown to fail on a planted slip,
on the MATLAB side and on the NumPy side.
"""

from __future__ import annotations

import json
import keyword
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import dlparity_process as dlparity
from test_pair import write

from dlparity import InputError, check_parity
from dlparity.names import for_twin, from_twin, matlab_name, python_name

COST_M = """\
function [J, grad] = cost(theta, X, y, lambda)
%COST Compute cost and gradient for logistic regression with regularization
%   J = COST(theta, X, y, lambda) computes the cost of using theta as the
%   parameter for regularized logistic regression and the gradient of the cost
%   w.r.t. to the parameters.

m = length(y); % number of training examples

h = 1 ./ (1 + exp(-X * theta));
J = (1 / m) * (-y' * log(h) - (1 - y)' * log(1 - h)) + (lambda / (2 * m)) * sum(theta(2:end) .^ 2);

grad = (1 / m) * (X' * (h - y));
grad(2:end) = grad(2:end) + (lambda / m) * theta(2:end);

end
"""

COST_PY = """\
import numpy as np


def cost(theta, X, y, lambda_):
    m = len(y)  # number of training examples

    h = 1 / (1 + np.exp(-X @ theta))
    J = (1 / m) * (-y.T @ np.log(h) - (1 - y).T @ np.log(1 - h)) + (lambda_ / (2 * m)) * np.sum(theta[1:] ** 2)

    grad = (1 / m) * (X.T @ (h - y))
    # MATLAB's grad(2:end) = grad(2:end) + ... in place; whole (the bound tracker has no item assignment), 2:end is 1:
    grad = grad + np.vstack([np.zeros((1, 1)), (lambda_ / m) * theta[1:]])
    return {"J": J, "grad": grad}
"""


def cost_case(seed: int, m: int = 12, n: int = 4) -> dict[str, Any]:
    """A seeded case: X with a column of ones (the intercept), labels 0/1, theta, and lambda."""
    rng = np.random.default_rng(seed)
    X = np.hstack([np.ones((m, 1)), rng.standard_normal((m, n - 1))])
    return {"theta": rng.standard_normal((n, 1)) * 0.5, "X": X, "y": (rng.random((m, 1)) < 0.5).astype(np.float64),
            "lambda": 0.75}


@pytest.fixture
def cost_pair(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, "cost.m", COST_M), write(tmp_path, "cost_twin.py", COST_PY)


def test_every_python_keyword_gets_a_trailing_underscore_and_back() -> None:
    for word in keyword.kwlist:
        assert python_name(word) == word + "_"
        assert matlab_name(word + "_", [word]) == word
    for plain in ("theta", "X", "match", "case", "type", "lambda_"):  # soft keywords are valid parameter names
        assert python_name(plain) == plain
    assert matlab_name("lambda_", ["lambda_"]) == "lambda_"  # MATLAB's own lambda_ stays itself
    assert for_twin({"lambda": 1, "X": 2}) == {"lambda_": 1, "X": 2}
    with pytest.raises(InputError, match="returned both 'lambda' and 'lambda_'"):
        from_twin({"lambda": 1, "lambda_": 2}, ["lambda"], "f")


@pytest.mark.octave
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_cost_with_lambda_is_checked_unmodified(live_octave: Any, cost_pair: tuple[Path, Path], seed: int) -> None:
    matlab, twin = cost_pair
    result = check_parity(matlab, f"{twin}:cost", cost_case(seed), bridge=live_octave)
    assert result.ok, result.table()
    assert [r.name for r in result.reports] == ["J", "grad"]
    assert "lambda" not in result.matlab_only + result.python_only


@pytest.mark.octave
@pytest.mark.parametrize(("side", "slip"), [
    ("matlab", ("(lambda / m) * theta(2:end)", "(lambda / (2 * m)) * theta(2:end)")),
    ("numpy", ("(lambda_ / m) * theta[1:]", "(lambda_ / (2 * m)) * theta[1:]")),
])
def test_a_slip_in_the_regularisation_is_a_mismatch_in_grad(live_octave: Any, tmp_path: Path,
                                                             side: str, slip: tuple[str, str]) -> None:
    m_text, p_text = COST_M, COST_PY
    if side == "matlab":
        assert slip[0] in m_text
        m_text = m_text.replace(*slip)
    else:
        assert slip[0] in p_text
        p_text = p_text.replace(*slip)
    matlab, twin = write(tmp_path, "cost.m", m_text), write(tmp_path, "cost_twin.py", p_text)
    result = check_parity(matlab, f"{twin}:cost", cost_case(0), bridge=live_octave)
    assert not result.ok
    assert result.first_divergence is not None and result.first_divergence.name == "grad"
    assert [r.name for r in result.reports if not r.ok] == ["grad"]  # J does not see the gradient's term
    line = result.first_divergence.describe()
    assert "grad(2:end) = grad(2:end)" in line and "grad = grad + np.vstack" in line


@pytest.mark.octave
def test_a_returned_lambda_underscore_is_matlabs_lambda(live_octave: Any, tmp_path: Path) -> None:
    matlab = write(tmp_path, "decay.m", "function [lambda, class] = decay(in)\n  lambda = in * 0.5;\n"
                                        "  class = in + 1;\nend\n")
    good = write(tmp_path, "decay_twin.py", "def decay(in_):\n    lambda_ = in_ * 0.5\n    class_ = in_ + 1\n"
                                            "    return {'lambda_': lambda_, 'class': class_}\n")
    result = check_parity(matlab, f"{good}:decay", {"in": np.array([[1.0, 2.0]])}, bridge=live_octave)
    assert result.ok, result.table()
    assert [r.name for r in result.reports] == ["lambda", "class"]  # MATLAB's names, in its order
    table = result.table().replace(str(tmp_path), "")  # the folder's name holds the test's name
    assert "lambda_" not in table and "class_" not in table and "lambda" in table
    bad = write(tmp_path, "decay_bad.py", "def decay(in_):\n    return {'lambda_': in_ * 0.25, 'class': in_ + 1}\n")
    result = check_parity(matlab, f"{bad}:decay", {"in": np.array([[1.0, 2.0]])}, bridge=live_octave)
    assert not result.ok and result.first_divergence is not None and result.first_divergence.name == "lambda"


@pytest.mark.octave
def test_a_script_reading_lambda_from_its_workspace(live_octave: Any, tmp_path: Path) -> None:
    script = write(tmp_path, "shrink.m", "w = w * (1 - lambda);\n")
    twin = write(tmp_path, "shrink_twin.py", "def shrink(w, lambda_):\n    w = w * (1 - lambda_)\n"
                                             "    return {'w': w}\n")
    result = check_parity(script, f"{twin}:shrink", {"w": np.array([[2.0, 4.0]]), "lambda": 0.125},
                          bridge=live_octave)
    assert result.ok and [r.name for r in result.reports] == ["w"], result.table()


@pytest.mark.octave
def test_lambda_from_the_command_line(live_octave: Any, cost_pair: tuple[Path, Path], tmp_path: Path) -> None:
    matlab, twin = cost_pair
    case = tmp_path / "case.npz"
    np.savez(case, **cost_case(3))
    run = dlparity("compare", "--matlab", str(matlab), "--python", f"{twin}:cost", "--inputs", str(case), "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert [q["name"] for q in json.loads(run.stdout)["quantities"]] == ["J", "grad"]
    slipped = write(tmp_path, "slipped.py", COST_PY.replace("(lambda_ / m) * theta[1:]", "lambda_ * theta[1:]"))
    run = dlparity("compare", "--matlab", str(matlab), "--python", f"{slipped}:cost", "--inputs", str(case))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "first diverging variable: grad" in run.stdout


def test_a_twin_taking_lambda_under_another_name_is_told_the_rule(cost_pair: tuple[Path, Path], tmp_path: Path) -> None:
    from test_pair import NoOctave  # noqa: PLC0415

    twin = write(tmp_path, "lam_twin.py", COST_PY.replace("lambda_", "lam"))
    with pytest.raises(InputError) as err:
        check_parity(cost_pair[0], f"{twin}:cost", cost_case(0), bridge=NoOctave())
    assert str(err.value).endswith("its parameters are theta, X, y, lam; MATLAB's 'lambda' reaches it as 'lambda_', "
                                   "since a Python keyword cannot be a parameter.")


@pytest.mark.octave
def test_a_struct_field_named_lambda_stays_a_dict_key(live_octave: Any, tmp_path: Path) -> None:
    """Field names reach the twin as dict keys, which may be any string: opts.lambda is opts["lambda"], no rename."""
    import scipy.io  # noqa: PLC0415

    matlab = write(tmp_path, "reg.m", "function [J, in] = reg(theta, opts)\n  J = opts.lambda * sum(theta .^ 2);\n"
                                      "  in = opts.class + 1;\nend\n")
    twin = write(tmp_path, "reg_twin.py", "import numpy as np\n\n\ndef reg(theta, opts):\n"
                                          "    J = opts['lambda'] * np.sum(theta ** 2)\n    in_ = opts['class'] + 1\n"
                                          "    return {'J': J, 'in_': in_}\n")
    case = {"theta": np.array([[1.0], [2.0]]), "opts": {"lambda": 0.5, "class": 2.0}}
    result = check_parity(matlab, f"{twin}:reg", case, bridge=live_octave)
    assert result.ok and [r.name for r in result.reports] == ["J", "in"], result.table()
    scipy.io.savemat(tmp_path / "case.mat", case)
    result = check_parity(matlab, f"{twin}:reg", tmp_path / "case.mat", bridge=live_octave)
    assert result.ok and [r.name for r in result.reports] == ["J", "in"], result.table()
    slipped = write(tmp_path, "slipped.py", (tmp_path / "reg_twin.py").read_text().replace("opts['class'] + 1",
                                                                                          "opts['class'] + 2"))
    result = check_parity(matlab, f"{slipped}:reg", case, bridge=live_octave)
    assert not result.ok and result.first_divergence is not None and result.first_divergence.name == "in"
    assert "in_ = opts['class'] + 2" in result.first_divergence.describe()
