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


#: Seeds of the suite's cases are consecutive from here, one per case, so any failure replays with its own seed.
SUITE_FIRST_SEED = 20_240_000


def suite_cases() -> list[Case]:
    """The parity suite's 240 cases: every situation the foundation issue names, then random shapes.

    Upstream's 37 -> 128 -> 64 shape at batch 32 (first and second minibatch), its ragged last
    minibatch (i = 9,985 of 10,000: 16 rows), a ragged 8 of 32, batches of 1, hidden and input
    widths of 1, exact-zero pre-activations, then random shapes drawn from one generator.
    """
    cases: list[Case] = []

    def add(sizes: tuple[int, int, int], samples: int, batch: int, start: int, label: str) -> None:
        cases.append(draw_case(SUITE_FIRST_SEED + len(cases), sizes, samples, batch, start, label))

    for start in (1, 33):  # upstream 37 -> 128 -> 64 -> 1, batch 32: first and second minibatch
        for _ in range(5):
            add(UPSTREAM_SIZES, 64, UPSTREAM_BATCH, start, "upstream shape")
    for _ in range(2):  # upstream's ragged last minibatch: 10,000 = 312 * 32 + 16, so i = 9,985 has 16 rows
        add(UPSTREAM_SIZES, 10_000, UPSTREAM_BATCH, 9_985, "ragged last batch (16 of 32)")
    for _ in range(5):
        add((6, 9, 4), 40, 32, 33, "ragged last batch (8 of 32)")
    for k in range(10):
        add((3 + k, 5, 4), 20, 1, 1 + k, "batch of 1")
    for sizes in ((5, 1, 4), (5, 4, 1), (5, 1, 1), (1, 1, 1)):
        for _ in range(3):
            add(sizes, 24, 8, 9, "hidden width 1")
    for _ in range(5):
        add((1, 7, 3), 30, 10, 11, "input width 1")
    for _ in range(10):
        cases.append(zero_preactivation_case(SUITE_FIRST_SEED + len(cases)))
    rng = np.random.default_rng(SUITE_FIRST_SEED)  # shapes of the random cases; their values use each case's seed
    while len(cases) < 240:
        d, h1, h2 = (int(v) for v in rng.integers(1, 21, size=3))
        samples = int(rng.integers(1, 61))
        batch = int(rng.integers(1, samples + 4))
        start = int(rng.integers(1, samples + 1))
        add((d, h1, h2), samples, batch, start, "random shape")
    return cases


def default_case() -> Case:
    """The case ``dlparity compare`` draws without flags: seed 0, sizes 5,7,3, 40 rows, batch 8, the last minibatch."""
    return draw_case(0, (5, 7, 3), 40, 8, 33, label="seeded")


def reference_cases() -> list[Case]:
    """The cases the package's store holds: ``dlparity compare``'s default, and the suite's cases with the
    upstream-shaped ones thinned to one per minibatch position and ragged end (4 of 12: each holds 47,000
    numbers, and the store is kept small); every other suite case is there."""
    kept: list[Case] = []
    seen: set[tuple[int, int]] = set()
    for case in suite_cases():
        if case.inputs.sizes == UPSTREAM_SIZES:
            where = (case.inputs.N, case.inputs.i)
            if where in seen and case.inputs.N != 10_000:
                continue
            seen.add(where)
            if case.inputs.N == 10_000 and sum(c.inputs.N == 10_000 for c in kept) >= 1:
                continue
        kept.append(case)
    return [default_case(), *kept]
