"""The derivation itself, checked by two oracles that share no code with it.

Parity with Octave proves the port is the MATLAB; it cannot prove the MATLAB is the gradient.
Here both blocks, in NumPy and in Octave, are compared with central finite differences of the
loss and with reverse-mode autodiff (HIPS autograd always; PyTorch too where it is installed, the
tests marked ``oracle``), each within a tolerance derived from rounding-error analysis
(``docs/error-bounds.md``). The finite-difference oracle is itself checked against exact rational
arithmetic: its truncation error is exactly 0 away from kinks, its rounding stays within the
derived bound, and a step that crosses a kink is excluded, counted, and would indeed be wrong.
"""

from __future__ import annotations

import ast
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from oracle_support import assert_checks_ok, exact_block, exact_excess, fractions, require_torch

import dlparity.oracles
from dlparity.blocks import run_checked
from dlparity.bounds.hand import block_error_bounds
from dlparity.cases import UPSTREAM_BATCH, UPSTREAM_SIZES, Case, draw_case, zero_preactivation_case
from dlparity.oracles.autodiff import OracleUnavailable, autodiff_gradients, import_torch
from dlparity.oracles.autograd_oracle import AutogradUnavailable, autograd_gradients, import_autograd
from dlparity.oracles.finite_differences import PARAMETERS, finite_differences
from dlparity.oracles.finite_differences import loss as fd_loss
from dlparity.oracles.gradcheck import GRADIENTS, gradcheck
from dlparity.validation import BlockInputs, check_block_inputs


def oracle_cases() -> list[Case]:
    return [
        draw_case(0, (5, 7, 3), 40, 8, 33, "compare's default"),
        draw_case(1, (1, 1, 1), 1, 1, 1, "widths 1, one sample"),
        draw_case(2, (6, 9, 4), 38, 8, 33, "ragged last batch (6 of 8)"),
        draw_case(3, (4, 5, 6), 10, 15, 1, "batch_size > N"),
        draw_case(4, (3, 8, 2), 30, 1, 17, "batch of 1"),
        zero_preactivation_case(5),
        zero_preactivation_case(6, sizes=(7, 9, 8), samples=20, batch=6, start=13),
        draw_case(7, UPSTREAM_SIZES, 64, UPSTREAM_BATCH, 33, "upstream shape"),
    ]


CASES = oracle_cases()
IDS = [f"{c.label}-seed{c.seed}" for c in CASES]
#: Finite differences on the upstream shape (8,321 parameters) take ~3 s in full; 40 seeded
#: coordinates per parameter keep the test fast and still reach every parameter.
COORDS = 40

#: Gradients finite differences cannot check at all in a case, by test id. In the integer case
#: of seed 5 every entry of W1 reaches a pre-activation that is exactly 0: rows 1, 3 and 5 of z1
#: (1-based) are 0 on the batch's first sample by construction, rows 4 and 6 by the draw (z1(4, 2),
#: z1(6, 8)); rows 2 and 4 are positive on the last sample, where they feed z2(1, 8) = 0 through
#: W2(1, 2) = W2(1, 4) = -1 (this covers W1(4, 1:2) too, which z1(4, 2) does not see: x(1:2, 2) = 0).
#: So every step of W1 and b1 crosses a kink and is excluded; dW1 and db1 there are checked by
#: autodiff on every entry (test_numpy_blocks_match_autodiff) and, at the kink, by
#: test_parity.py::test_exact_zero_preactivations_have_zero_derivative.
FD_UNREACHABLE = {"zero pre-activations-seed5": {"dW1", "db1"}}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_numpy_blocks_match_finite_differences(case: Case) -> None:
    """Every gradient within tolerance of the differences, on at least one compared coordinate each."""
    (result,) = gradcheck([case], oracles=("fd",), coords=COORDS)
    assert_checks_ok(result.checks, "numpy vs finite differences")
    assert result.fd is not None
    unreachable = FD_UNREACHABLE.get(f"{case.label}-seed{case.seed}", set())
    for name in GRADIENTS:
        compared, excluded = int(result.fd.checked(name).sum()), result.fd.excluded(name)
        verdicts = {c.verdict for c in result.checks if c.name == name}
        if name in unreachable:  # stays listed only while it really is out of reach, and then reads n/a
            assert compared == 0 and verdicts == {"n/a"}, (
                f"{name}: {compared} coordinates compared (verdicts {verdicts}) although listed in FD_UNREACHABLE "
                f"for {case.describe()}: update the list")
        else:
            assert compared > 0 and verdicts == {"ok"}, (
                f"{name}: {compared} coordinates compared, {excluded} excluded as kink crossings (verdicts "
                f"{verdicts}): the finite differences checked nothing of it in {case.describe()}")


#: The two autodiff oracles: HIPS autograd runs everywhere (a dependency); PyTorch is the optional extra.
AUTODIFF = [pytest.param("autograd", id="autograd"), pytest.param("autodiff", id="torch", marks=pytest.mark.oracle)]
AUTODIFF_NAMES = {"autograd": "HIPS autograd", "autodiff": "PyTorch autograd"}


def autodiff_of(oracle: str, inp: BlockInputs, loss_divisor: int | None = None) -> dict[str, np.ndarray]:
    """The gradients of ``oracle`` ('autograd' or 'autodiff', PyTorch; skipped or failed as required when missing)."""
    if oracle == "autodiff":
        require_torch()
        return autodiff_gradients(inp, loss_divisor)
    return autograd_gradients(inp, loss_divisor)


@pytest.mark.parametrize("oracle", AUTODIFF)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_numpy_blocks_match_autodiff(case: Case, oracle: str) -> None:
    autodiff_of(oracle, case.inputs)  # skips (or fails) first when the library is missing
    (result,) = gradcheck([case], oracles=(oracle,))  # type: ignore[list-item]
    assert {c.oracle for c in result.checks} == {oracle}
    assert_checks_ok(result.checks, f"numpy vs {AUTODIFF_NAMES[oracle]}")


@pytest.mark.octave
def test_octave_blocks_match_finite_differences(octave_bridge: Any) -> None:
    """The document's MATLAB itself, both blocks, against the finite differences (one Octave call per form)."""
    results = gradcheck(CASES, oracles=("fd",), bridge=octave_bridge, coords=COORDS)
    checks = [c for r in results for c in r.checks if c.side == "octave"]
    assert len(checks) == len(CASES) * 2 * len(GRADIENTS)
    assert_checks_ok(checks, "octave vs finite differences")


@pytest.mark.octave
@pytest.mark.parametrize("oracle", AUTODIFF)
def test_octave_blocks_match_autodiff(octave_bridge: Any, oracle: str) -> None:
    autodiff_of(oracle, CASES[0].inputs)
    results = gradcheck(CASES, oracles=(oracle,), bridge=octave_bridge)  # type: ignore[list-item]
    checks = [c for r in results for c in r.checks if c.side == "octave"]
    assert len(checks) == len(CASES) * 2 * len(GRADIENTS)
    assert_checks_ok(checks, f"octave vs {AUTODIFF_NAMES[oracle]}")


@pytest.mark.parametrize("oracle", AUTODIFF)
@pytest.mark.parametrize("case", CASES[:5], ids=IDS[:5])
def test_oracles_agree_with_each_other(case: Case, oracle: str) -> None:
    """Without the port: finite differences within (autodiff's bound + their own) of autodiff."""
    ad = autodiff_of(oracle, case.inputs)
    fd = finite_differences(case.inputs, coords=COORDS, seed=case.seed)
    # the port's values only size the rounding bound (first-order: any correct evaluation would do)
    bounds = block_error_bounds(case.inputs, run_checked("backprop", case.inputs))
    for name in GRADIENTS:
        ok = fd.checked(name)
        diff = np.abs(fd.grad[name] - ad[name])[ok]
        tol = (bounds.error[name] + fd.error[name])[ok]  # autograd within E of exact, FD within its error
        k = int(np.argmax(diff - tol)) if diff.size else 0
        assert np.all(diff <= tol), (f"{name}: fd={fd.grad[name][ok][k]!r} autodiff={ad[name][ok][k]!r} "
                                     f"|diff|={diff[k]:.3g} > {tol[k]:.3g} in case {case.describe()}")


# -- the finite-difference oracle against exact arithmetic ----------------------------------------

def tiny_cases() -> list[Case]:
    return [draw_case(41, (3, 4, 2), 6, 4, 1, "tiny"), draw_case(42, (2, 3, 3), 7, 4, 5, "tiny ragged"),
            zero_preactivation_case(43, sizes=(2, 3, 2), samples=5, batch=3)]


def with_parameter(inp: BlockInputs, name: str, index: tuple[int, ...], value: float) -> BlockInputs:
    arrays = inp.arrays()
    arrays[name] = arrays[name].copy()
    arrays[name][index] = value
    return check_block_inputs(*arrays.values(), inp.i, inp.batch_size)


@pytest.mark.parametrize("case", tiny_cases(), ids=lambda c: f"{c.label}-seed{c.seed}")
def test_central_difference_has_no_truncation_error(case: Case) -> None:
    """In exact arithmetic the central difference IS the gradient wherever no kink is crossed.

    Along one coordinate the network output is affine between kinks, so the loss is a quadratic
    and (L(t + h) - L(t - h)) / 2h = L'(t) exactly: the truncation term h^2 |L'''| / 6 is 0.
    The same doubles t +- h that the oracle uses are evaluated here with Fractions.
    """
    exact = exact_block(case.inputs)
    fd = finite_differences(case.inputs)
    compared = 0
    for pname in PARAMETERS:
        P = getattr(case.inputs, pname)
        for index in np.ndindex(P.shape):
            if fd.kink["d" + pname][index]:
                continue
            t = P[index]
            h = float(fd.step["d" + pname][index])  # the step the oracle took
            up, down = t + h, t - h
            loss_up = exact_block(with_parameter(case.inputs, pname, index, up))["loss"][0, 0]
            loss_down = exact_block(with_parameter(case.inputs, pname, index, down))["loss"][0, 0]
            assert Fraction(up) - Fraction(t) == Fraction(t) - Fraction(down), "asymmetric step: use the general formula"
            central = (loss_up - loss_down) / (Fraction(up) - Fraction(down))
            gradient = exact["d" + pname][index]
            assert central == gradient, (f"d{pname}{list(index)}: exact central difference {float(central)!r} != "
                                         f"exact gradient {float(gradient)!r} in case {case.describe()}")
            compared += 1
    assert compared >= 10


@pytest.mark.parametrize("case", tiny_cases(), ids=lambda c: f"{c.label}-seed{c.seed}")
def test_finite_differences_within_their_error_bound(case: Case) -> None:
    """The computed differences lie within their derived error bound of the exact gradient (distance taken exactly)."""
    exact = exact_block(case.inputs)
    fd = finite_differences(case.inputs)
    for name in GRADIENTS:
        ok = fd.checked(name)
        error = np.where(ok, fd.error[name], 0.0)
        mine = np.where(ok, fd.grad[name], 0.0)
        gold = np.where(ok, exact[name], Fraction(0))
        ratio, at = exact_excess(mine, gold, error)
        assert ratio <= 1.0, (f"{name}{list(at)}: fd={mine[at]!r} exact={float(gold[at])!r}, |diff| / bound = "
                              f"{ratio:.3g} in case {case.describe()}")


def test_kink_crossing_is_excluded_counted_and_would_be_wrong() -> None:
    """A pre-activation 1e-9 above 0 (row 0 of z1, first sample): every step of W1's row 0 crosses it.

    Those coordinates are excluded and counted, and gradcheck reports the count. The plain
    central difference there is off by about half the jump in slope: far outside any tolerance,
    so the exclusion is necessary, not cosmetic.
    """
    base = draw_case(11, (4, 5, 3), 12, 6, 1, "kink")
    inp = base.inputs
    b1 = inp.b1.copy()
    b1[0, 0] = 1e-9 - float(inp.W1[0, :] @ inp.X[0, :])
    arrays = {**inp.arrays(), "b1": b1}
    case = Case("z1[0, 0] = 1e-9", 11, check_block_inputs(*arrays.values(), inp.i, inp.batch_size))
    values = run_checked("backprop", case.inputs)
    assert 0 < values["z1"][0, 0] < 1e-8, "the construction did not put z1[0, 0] just above 0"
    if values["delta1"][0, 0] == 0:  # the unit's slope must reach the loss for the kink to matter
        pytest.fail(f"delta1[0, 0] is 0 in {case.describe()}; choose another seed")

    (result,) = gradcheck([case], oracles=("fd",))
    assert result.fd is not None
    kinks = result.fd.kink["dW1"]
    assert kinks[0, :].all(), f"steps of W1[0, :] cross the kink but only {kinks[0].sum()} were excluded"
    check = next(c for c in result.checks if c.side == "numpy" and c.form == "backprop" and c.name == "dW1")
    assert check.excluded == int(kinks.sum()) >= inp.W1.shape[1]
    assert_checks_ok(result.checks, "the remaining coordinates")

    t = inp.W1[0, 1]
    h = float(result.fd.step["dW1"][0, 1])
    naive = (fd_loss(with_parameter(case.inputs, "W1", (0, 1), t + h))
             - fd_loss(with_parameter(case.inputs, "W1", (0, 1), t - h))) / (2 * h)
    tolerance = float(np.nanmax(result.fd.error["dW1"]) + result.bounds.error["dW1"].max())  # E_FD + E_g
    assert abs(naive - values["dW1"][0, 1]) > 1e3 * tolerance, (
        f"the kink-crossing difference {naive!r} is within 1e3 tolerances of the gradient {values['dW1'][0, 1]!r}")


# -- independence and error messages --------------------------------------------------------------

ORACLE_MODULES = ("finite_differences.py", "autodiff.py", "autograd_oracle.py")
ALLOWED_IMPORTS = {"__future__", "math", "dataclasses", "typing", "numpy", "numpy.typing",
                   "dlparity.validation", "torch", "autograd", "autograd.numpy"}


@pytest.mark.parametrize("module", ORACLE_MODULES)
def test_oracles_share_no_code_with_the_port(module: str) -> None:
    """The oracles import nothing of the port (backprop, manual_gradients, relu, run_block) or of error_bounds."""
    source = (Path(dlparity.oracles.__file__).parent / module).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= ALLOWED_IMPORTS, f"{module} imports {sorted(imported - ALLOWED_IMPORTS)}"


def test_missing_torch_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(OracleUnavailable) as info:
        import_torch()
    message = str(info.value)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0, message
    assert "torch==2.13.0" in message, message


def test_missing_autograd_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "autograd", None)  # makes `import autograd` raise ImportError
    monkeypatch.setitem(sys.modules, "autograd.numpy", None)
    with pytest.raises(AutogradUnavailable) as info:
        import_autograd()
    message = str(info.value)
    assert "\n" not in message and message.endswith(".") and message.count(". ") == 0, message
    assert "pip install autograd" in message, message


@pytest.mark.parametrize("oracle", AUTODIFF)
def test_autodiff_relu_derivative_at_zero_is_zero(oracle: str) -> None:
    """At an exact 0 pre-activation both libraries take ReLU's slope as 0, as ReLU_deriv (z > 0) does.

    On the integer case every value is exact, so the blocks and the oracle agree bit for bit;
    a rectifier whose slope at 0 were 1/2 (autograd's own ``maximum``) or 1 would differ there.
    """
    case = zero_preactivation_case(8)
    values = run_checked("backprop", case.inputs)
    assert (values["z1"] == 0).any() and (values["z2"] == 0).any(), "the case lost its exact zeros"
    ad = autodiff_of(oracle, case.inputs)
    for name in GRADIENTS:
        assert np.array_equal(ad[name], values[name]), f"{name}: {AUTODIFF_NAMES[oracle]} {ad[name]} vs blocks {values[name]}"


def test_exact_reference_matches_the_equations_on_integers() -> None:
    """The exact reference itself, on small integers where float64 is exact too: it must equal NumPy bit for bit."""
    case = zero_preactivation_case(8)
    exact = exact_block(case.inputs)
    values = run_checked("backprop", case.inputs)
    for name in ("z1", "z2", "y_pred", "error", "dW1", "db1", "dW2", "db2", "dW3", "db3"):
        assert np.array_equal(fractions(values[name]), exact[name]), f"{name}: numpy {values[name]} vs exact"


def test_step_follows_the_parameters_effect_not_only_its_size() -> None:
    """A bias of ~1e-3 added to outputs of ~1e7: a step of u^(1/3) |b3| would leave L unchanged in double.

    The step is scaled by the output's size instead, so the difference stays informative: its
    derived error bound is a small fraction of the gradient, and the port agrees within it.
    """
    base = draw_case(12, (5, 7, 3), 16, 8, 9)
    arrays = {k: v * s for (k, v), s in zip(base.inputs.arrays().items(), (1e3, 1e3, 1e3, 1e3, 1.0, 1.0, 1e2, 1e-3),
                                               strict=True)}
    case = Case("tiny b3, huge outputs", 12, check_block_inputs(*arrays.values(), 9, 8))
    fd = finite_differences(case.inputs)
    values = run_checked("backprop", case.inputs)
    assert abs(values["y_pred"]).max() > 1e7 and abs(case.inputs.b3[0, 0]) < 1e-2
    assert fd.checked("db3")[0, 0]
    b3 = case.inputs.b3[0, 0]
    small = 2.0 ** np.floor(np.log2(4.8e-6 * abs(b3)))  # u^(1/3) |b3|: the step on b3's size alone
    assert (fd_loss(with_parameter(case.inputs, "b3", (0, 0), b3 + small))
            == fd_loss(with_parameter(case.inputs, "b3", (0, 0), b3 - small))), "the small step should see no change"
    # 1e-6: the bound is ~ u L / (h |g|) times the sums' condition, here ~1e-7; the small step's is infinite
    assert fd.error["db3"][0, 0] < 1e-6 * abs(fd.grad["db3"][0, 0]), (
        f"db3: fd={fd.grad['db3'][0, 0]!r} with error bound {fd.error['db3'][0, 0]:.3g}: uninformative")
    bounds = block_error_bounds(case.inputs, values)
    assert abs(values["db3"][0, 0] - fd.grad["db3"][0, 0]) <= bounds.error["db3"][0, 0] + fd.error["db3"][0, 0]


TORCH_CALLS = {"require_torch", "autodiff_gradients", "autodiff_of", "import_torch"}


def test_every_torch_using_test_is_marked_oracle() -> None:
    """A test that reaches PyTorch carries the ``oracle`` mark (on itself, or on the parameter that reaches it).

    ``-m "not oracle"`` must then run everything that works without PyTorch, and nothing that needs
    it. Read from the source: a test function that calls one of TORCH_CALLS must have
    ``@pytest.mark.oracle`` or a ``pytest.param(..., marks=pytest.mark.oracle)`` among its decorators.
    ``test_missing_torch_is_one_sentence`` is the exception: it hides PyTorch on purpose.
    """
    unmarked = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        # module-level parameter lists that carry the mark themselves (AUTODIFF here)
        marked_lists = {t.id for n in tree.body if isinstance(n, ast.Assign) and "marks=pytest.mark.oracle" in ast.unparse(n)
                        for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            if not called & TORCH_CALLS or node.name in ("test_missing_torch_is_one_sentence",):
                continue
            decorators = " ".join(ast.unparse(d) for d in node.decorator_list)
            used = {n.id for d in node.decorator_list for n in ast.walk(d) if isinstance(n, ast.Name)}
            if "pytest.mark.oracle" not in decorators and not used & marked_lists:
                unmarked.append(f"{path.name}::{node.name}")
    assert not unmarked, f"tests that use PyTorch without the oracle mark: {unmarked}"
