"""Seeded test cases: the same inputs go to Octave and to NumPy, drawn once, in NumPy.

Every case records its seed and how it was built, so a failure can be replayed with
``dlparity compare --seed S --sizes d,h1,h2 --samples N --batch B --start i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlparity.validation import BlockInputs, check_block_inputs

#: The upstream network of kapshaul/DeepLearning: 37 inputs, hidden widths 128 and 64, batch 32.
UPSTREAM_SIZES = (37, 128, 64)
UPSTREAM_BATCH = 32


@dataclass(frozen=True)
class Case:
    """One block evaluation's inputs, with the recipe that made them."""

    label: str
    seed: int
    inputs: BlockInputs

    def describe(self) -> str:
        return f"{self.label} (seed={self.seed}, {self.inputs.describe()})"

    def replay(self) -> str:
        """The ``dlparity compare`` command that draws the same inputs (for random cases)."""
        d, h1, h2 = self.inputs.sizes
        return (f"dlparity compare --seed {self.seed} --sizes {d},{h1},{h2} --samples {self.inputs.N} "
                f"--batch {self.inputs.batch_size} --start {self.inputs.i}")


def draw_case(
    seed: int, sizes: tuple[int, int, int], samples: int, batch: int, start: int, label: str = "random",
) -> Case:
    """Draw X, y, W and b from ``numpy.random.default_rng(seed)``, all standard normal.

    Standard-normal weights are what upstream's ``randn`` gives; the biases are drawn too (upstream
    starts them at zero) so that every bias term is exercised. Draw order: X, y, W1, b1, W2, b2, W3, b3.
    """
    d, h1, h2 = sizes
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((samples, d))
    y = rng.standard_normal((samples, 1))
    W1, b1 = rng.standard_normal((h1, d)), rng.standard_normal((h1, 1))
    W2, b2 = rng.standard_normal((h2, h1)), rng.standard_normal((h2, 1))
    W3, b3 = rng.standard_normal((1, h2)), rng.standard_normal((1, 1))
    return Case(label, seed, check_block_inputs(X, y, W1, b1, W2, b2, W3, b3, start, batch))


def zero_preactivation_case(seed: int, sizes: tuple[int, int, int] = (4, 6, 5), samples: int = 12,
                            batch: int = 8, start: int = 1) -> Case:
    """A case where some pre-activations of z1 and z2 are exactly 0 on any correct machine.

    Everything is a small integer (the biases too), so every product and sum is exact in double
    and both sides compute the same z. Some biases are then set to minus a row's product for
    one sample, so that entry of z1 (and of z2) is exactly 0 and ``ReLU_deriv`` must give 0 there.
    """
    d, h1, h2 = sizes
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(samples, d)).astype(np.float64)
    y = rng.integers(-3, 4, size=(samples, 1)).astype(np.float64)
    W1 = rng.integers(-2, 3, size=(h1, d)).astype(np.float64)
    W2 = rng.integers(-2, 3, size=(h2, h1)).astype(np.float64)
    W3 = rng.integers(-2, 3, size=(1, h2)).astype(np.float64)
    b3 = np.array([[1.0]])
    x = X[start - 1:min(start + batch - 1, samples), :].T  # the minibatch, d-by-B
    b1 = rng.integers(-2, 3, size=(h1, 1)).astype(np.float64)
    rows1 = np.arange(0, h1, 2)  # every other unit of layer 1 hits exactly 0 on sample 0 of the batch
    b1[rows1, 0] = -(W1[rows1, :] @ x[:, 0])
    a1 = np.maximum(0.0, W1 @ x + b1)  # exact: small integers
    b2 = rng.integers(-2, 3, size=(h2, 1)).astype(np.float64)
    rows2 = np.arange(0, h2, 2)
    col = x.shape[1] - 1  # layer 2 hits exactly 0 on the batch's last sample
    b2[rows2, 0] = -(W2[rows2, :] @ a1[:, col])
    return Case("zero pre-activations", seed, check_block_inputs(X, y, W1, b1, W2, b2, W3, b3, start, batch))
