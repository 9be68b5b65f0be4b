"""Each entry of docs/errata.md, demonstrated: where the document and the truth differ.

The equations of sections 1.2 and 1.3 are evaluated here as the document writes them, in its
own notation: X is N-by-d (one sample per row), the model applies W1 X^T, and Y, Y_hat are
1-by-N. Shapes are chosen pairwise different (N=7, d=3, h1=4, h2=5) so that any product whose
shapes do not conform fails instead of passing by accident. "The truth" is the finite-difference
gradient of the loss (dlparity.oracles.finite_differences), within its derived tolerance.

The text entries (typos, encoding) are checked against the document itself, found at
../shared/seed/000_448bc44601b0e5f7.txt beside the checkout or at $DLPARITY_SPEC.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from ci_requirements import require_spec
from oracle_support import require_torch

from dlparity.blocks import FORMS, run_checked, run_octave_cases
from dlparity.bounds.hand import U, block_error_bounds
from dlparity.cases import Case, draw_case
from dlparity.oracles.autodiff import autodiff_gradients
from dlparity.oracles.finite_differences import FiniteDifferences, finite_differences
from dlparity.validation import BlockInputs

GRADIENTS = ("dW3", "db3", "dW2", "db2", "dW1", "db1")


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def relu_deriv(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)


def whole_dataset(seed: int, sizes: tuple[int, int, int], samples: int) -> Case:
    """One minibatch holding all N rows (i = 1, batch_size = N): the code's loss is then the document's J."""
    return draw_case(seed, sizes, samples, samples, 1, label="whole dataset")


def document_terms(inp: BlockInputs) -> dict[str, np.ndarray]:
    r"""The pieces of section 1.2's equations in the document's notation, for the whole dataset.

    :math:`A_1 = \sigma(W_1 X^T + b_1)`, :math:`S_1 = \sigma'(W_1 X^T + b_1)`,
    :math:`A_2 = \sigma(W_2 A_1 + b_2)`, :math:`S_2 = \sigma'(W_2 A_1 + b_2)`,
    :math:`\hat Y = W_3 A_2 + b_3` and :math:`R = \hat Y - Y` with :math:`Y = y^T`.
    """
    X, Y = inp.X, inp.y.T  # X: N-by-d; Y: 1-by-N
    Z1 = inp.W1 @ X.T + inp.b1
    A1 = relu(Z1)
    Z2 = inp.W2 @ A1 + inp.b2
    A2 = relu(Z2)
    Y_hat = inp.W3 @ A2 + inp.b3
    return {"X": X, "Y": Y, "A1": A1, "S1": relu_deriv(Z1), "A2": A2, "S2": relu_deriv(Z2),
            "Y_hat": Y_hat, "R": Y_hat - Y, "N": np.array(float(inp.N))}


def assert_equals_truth(name: str, mine: np.ndarray, fd: FiniteDifferences, error: np.ndarray, case: Case) -> None:
    """``mine`` (an evaluation of a formula) equals the finite-difference gradient within tolerance.

    Tolerance: the formula's own rounding bound (the same products as the blocks, so the blocks'
    bound ``error``) plus the finite difference's derived error.
    """
    ok = fd.checked(name)
    assert mine.shape == fd.grad[name].shape, f"{name}: shape {mine.shape}, the gradient has {fd.grad[name].shape}"
    assert ok.sum() > 0, f"{name}: every coordinate crossed a kink in {case.describe()}"
    diff = np.abs(mine - fd.grad[name])[ok]
    tol = (error + fd.error[name])[ok]
    k = int(np.argmax(diff / tol))
    assert np.all(diff <= tol), (f"{name}: formula={mine[ok][k]!r} finite difference={fd.grad[name][ok][k]!r} "
                                 f"|diff|={diff[k]:.3g} > tolerance {tol[k]:.3g} in case {case.describe()}")


@pytest.fixture(scope="module")
def dataset() -> tuple[Case, dict[str, np.ndarray], FiniteDifferences, dict[str, np.ndarray]]:
    case = whole_dataset(2024, (3, 4, 5), 7)  # N=7, d=3, h1=4, h2=5: all different
    bounds = block_error_bounds(case.inputs, run_checked("backprop", case.inputs))
    return case, document_terms(case.inputs), finite_differences(case.inputs), bounds.error


# -- (a) the ragged last minibatch ------------------------------------------------------------------

def ragged_case() -> Case:
    return draw_case(77, (4, 6, 5), 38, 8, 33, label="ragged last batch (6 of 8)")


def assert_scaled_mean_gradient(side: str, form: str, values: dict[str, np.ndarray], case: Case) -> None:
    inp = case.inputs
    n = inp.batch_end - inp.i + 1
    assert n < inp.batch_size, "the case must be a ragged batch"
    bounds = block_error_bounds(inp, run_checked("backprop", inp))
    fd_code = finite_differences(inp)  # L = sum(e^2) / batch_size: what 2/batch_size differentiates
    fd_mean = finite_differences(inp, loss_divisor=n)  # J on the batch: the mean over the n rows present
    for name in GRADIENTS:
        g = values[name]
        assert_equals_truth(name, g, fd_code, bounds.error[name], case)
        ok = fd_mean.checked(name)
        scaled = n / inp.batch_size * fd_mean.grad[name]
        # tolerance: the block's bound, the scaled FD error, and 2 roundings of the scaling itself
        tol = bounds.error[name] + n / inp.batch_size * fd_mean.error[name] + 2 * U * np.abs(scaled)
        diff = np.abs(g - scaled)
        assert np.all(diff[ok] <= tol[ok]), (
            f"{side}/{form} {name}: gradient {g[ok]} is not (n/batch_size) = {n}/{inp.batch_size} times the "
            f"mean-loss gradient {fd_mean.grad[name][ok]} in case {case.describe()}")
        gap = np.abs(g - fd_mean.grad[name])[ok]
        # the gap is 1 - n/batch_size = 1 - 6/8 = 0.25 of the mean-loss gradient; 0.2 leaves room for rounding
        assert gap.max() >= 0.2 * np.abs(fd_mean.grad[name][ok]).max(), (
            f"{side}/{form} {name}: the gradient should miss the mean-loss gradient by 1 - n/batch_size = "
            f"{1 - n / inp.batch_size:.2f} of it, but the largest gap is {gap.max():.3g}")


@pytest.mark.parametrize("form", FORMS)
def test_a_ragged_batch_scales_by_n_over_batch_size(form: str) -> None:
    case = ragged_case()
    assert_scaled_mean_gradient("numpy", form, run_checked(form, case.inputs), case)


@pytest.mark.octave
def test_a_ragged_batch_scales_by_n_over_batch_size_in_octave(octave_bridge: Any) -> None:
    """The document's MATLAB itself, run by Octave, has the (n / batch_size) factor."""
    case = ragged_case()
    for form in FORMS:
        (values,) = run_octave_cases(octave_bridge, form, [case.inputs])
        assert_scaled_mean_gradient("octave", form, values, case)


@pytest.mark.oracle
def test_a_autodiff_of_the_mean_loss_agrees() -> None:
    """A second oracle for (a): autograd of the mean loss over the n rows equals (batch_size/n) x the blocks' gradient."""
    require_torch()
    case = ragged_case()
    inp = case.inputs
    n = inp.batch_end - inp.i + 1
    ad = autodiff_gradients(inp, loss_divisor=n)
    values = run_checked("backprop", inp)
    bounds = block_error_bounds(inp, values)
    for name in GRADIENTS:
        scaled = n / inp.batch_size * ad[name]
        # both within the bound E of their exact values; the scaling rounds twice
        tol = 2 * bounds.error[name] + 2 * U * np.abs(scaled)
        assert np.all(np.abs(values[name] - scaled) <= tol), f"{name}: {values[name]} vs {scaled} in {case.describe()}"


# -- (b) dJ/dW1 ends in X, not X^T -----------------------------------------------------------------

def dw1_prefix(inp: BlockInputs, t: dict[str, np.ndarray]) -> np.ndarray:
    """Everything in section 1.2's dJ/dW1 before the trailing factor, grouped left to right: h1-by-N."""
    return 2 / t["N"] * (inp.W2.T @ (inp.W3.T @ t["R"] * t["S2"])) * t["S1"]


def test_b_dw1_as_written_has_nonconformant_shapes(dataset: Any) -> None:
    case, t, _, _ = dataset
    prefix = dw1_prefix(case.inputs, t)
    assert prefix.shape == (4, 7)  # h1-by-N
    with pytest.raises(ValueError, match="mismatch"):
        _ = prefix @ t["X"].T  # ... X^T: (h1 x N) times (d x N)


def test_b_dw1_with_trailing_x_is_the_gradient(dataset: Any) -> None:
    case, t, fd, error = dataset
    assert_equals_truth("dW1", dw1_prefix(case.inputs, t) @ t["X"], fd, error["dW1"], case)


def test_b_dw1_as_written_is_wrong_even_when_shapes_conform() -> None:
    """With N = d the product X^T conforms, and gives a wrong value: the error is not only one of shape."""
    case = whole_dataset(2025, (6, 4, 5), 6)
    t = document_terms(case.inputs)
    fd = finite_differences(case.inputs)
    as_written = dw1_prefix(case.inputs, t) @ t["X"].T
    ok = fd.checked("dW1")
    gap = np.abs(as_written - fd.grad["dW1"])[ok]
    # X^T for X mixes up samples and input features: an O(1) error, not rounding (which is ~1e-15)
    assert gap.max() > 0.1 * np.abs(fd.grad["dW1"][ok]).max(), f"as written {as_written} vs gradient {fd.grad['dW1']}"
    bounds = block_error_bounds(case.inputs, run_checked("backprop", case.inputs))
    assert_equals_truth("dW1", dw1_prefix(case.inputs, t) @ t["X"], fd, bounds.error["dW1"], case)


# -- (c) dJ/db3 needs its parentheses -----------------------------------------------------------

def test_c_db3_as_typeset_is_not_a_scalar(dataset: Any) -> None:
    """Read as typeset, (2/N) (sum_i y_hat_i) - y_i leaves i free: a 1-by-N row, not the scalar db3."""
    case, t, fd, error = dataset
    as_typeset = 2 / t["N"] * np.sum(t["Y_hat"]) - t["Y"]
    assert as_typeset.shape == (1, 7) != fd.grad["db3"].shape == (1, 1)
    parenthesised = 2 / t["N"] * np.sum(t["Y_hat"] - t["Y"], axis=1, keepdims=True)
    assert_equals_truth("db3", parenthesised, fd, error["db3"], case)


# -- (d) grouping of the Hadamard product and the chain-rule lines ----------------------------------

def test_d_hadamard_then_product_grouping(dataset: Any) -> None:
    """dJ/dW2 = (2/N)(W3^T (Y_hat - Y)) o sigma'(.) sigma(.)^T only makes sense grouped left to right.

    With the matrix product taken first, (W3^T R) o (sigma'(.) sigma(.)^T) multiplies h2-by-N by
    h2-by-h1 elementwise and fails; grouped ((W3^T R) o sigma'(.)) sigma(.)^T, as MATLAB's
    equal-precedence, left-to-right ``.*`` and ``*`` evaluate it, it is the gradient.
    """
    case, t, fd, error = dataset
    inp = case.inputs
    with pytest.raises(ValueError, match="broadcast"):
        _ = 2 / t["N"] * (inp.W3.T @ t["R"]) * (t["S2"] @ t["A1"].T)
    left_to_right = (2 / t["N"] * (inp.W3.T @ t["R"]) * t["S2"]) @ t["A1"].T
    assert_equals_truth("dW2", left_to_right, fd, error["dW2"], case)


def test_d_chain_rule_lines_do_not_conform(dataset: Any) -> None:
    """Section 1.3 writes dJ/dY_hat . dY_hat/dW3 = dJ/dW3: as matrices (1 x N)(h2 x N) does not conform (and so for W2).

    The transpose appears only on the right-hand side; the gradient is dJ/dY_hat (dY_hat/dW3)^T.
    """
    case, t, fd, error = dataset
    dJ_dYhat = 2 / t["N"] * t["R"]  # 1-by-N
    dYhat_dW3 = t["A2"]  # sigma(W2 sigma(W1 X^T + b1) + b2): h2-by-N, as the document states
    with pytest.raises(ValueError, match="mismatch"):
        _ = dJ_dYhat @ dYhat_dW3
    assert_equals_truth("dW3", dJ_dYhat @ dYhat_dW3.T, fd, error["dW3"], case)

    # the layer-2 line likewise: dJ/dz2 (h2 x N) times dz2/dW2 = sigma(W1 X^T + b1) (h1 x N)
    dJ_dz2 = (case.inputs.W3.T @ dJ_dYhat) * t["S2"]
    with pytest.raises(ValueError, match="mismatch"):
        _ = dJ_dz2 @ t["A1"]
    assert_equals_truth("dW2", dJ_dz2 @ t["A1"].T, fd, error["dW2"], case)

    # layer 1: with the document's dz1/dW1 = X the chain-rule product conforms and IS the
    # gradient; it is the right-hand side, ending in X^T, that is wrong (erratum b)
    dJ_dz1 = (case.inputs.W2.T @ dJ_dz2) * t["S1"]
    assert_equals_truth("dW1", dJ_dz1 @ t["X"], fd, error["dW1"], case)


# -- text: what the document says, checked against the document ----------------------------------

@pytest.fixture(scope="module")
def document() -> str:
    return require_spec().read_text(encoding="utf-8")  # skips locally without it; fails in CI


def equation_lines(document: str, lhs: str) -> list[str]:
    return [line for line in document.splitlines() if line.startswith(r"$\hspace{20pt}") and lhs in line]


def test_text_dw1_ends_in_x_transpose_in_both_sections(document: str) -> None:
    lines = equation_lines(document, r"\frac{dJ}{dW_1} = ")
    assert len(lines) == 2 and all(line.endswith("X^T$") for line in lines), lines
    assert r"Since $\frac{dz_1}{dW_1} = X$" in document


def test_text_db3_has_no_parentheses(document: str) -> None:
    lines = equation_lines(document, r"\frac{dJ}{db_3} = ")
    assert len(lines) == 2 and all(r"\sum_{i=1}^{N}{\hat{y}_i - y_i}$" in line for line in lines), lines


def test_text_unsubscripted_names_in_dw1(document: str) -> None:
    lines = equation_lines(document, r"\frac{dJ}{dW_1} = ")
    assert all(r"\sigma(W1 X^T + b1) + b2)" in line for line in lines), lines


def test_text_sigma_prime_is_typed_as_a_grave_accent(document: str) -> None:
    assert document.count("\\sigma\\`") == 14 and "\\sigma'" not in document


def test_text_typo_and_mojibake(document: str) -> None:
    assert "$b_i$ enotes the bias vectors" in document
    assert "modelâ€™s" in document
    # the bytes of U+2019 (right single quotation mark) in UTF-8, read back as Windows-1252:
    assert "\u2019".encode().decode("cp1252") == "â€™"


def test_text_leftover_editing_note(document: str) -> None:
    assert ("### 4. Table of Contents\nIf the document is long, adding a Table of Contents at the beginning "
            "can help readers navigate.") in document


def test_dataset_fixture_is_the_whole_dataset(dataset: Any) -> None:
    """The fixture is all N rows in one minibatch, so the loss differenced is the document's J itself."""
    case, _, fd, _ = dataset
    assert (case.inputs.i, case.inputs.batch_end, case.inputs.batch_size, case.inputs.N) == (1, 7, 7, 7)
    assert fd.loss_divisor == case.inputs.N
