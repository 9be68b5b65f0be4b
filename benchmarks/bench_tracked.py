"""Benchmark: the section 1.3 twin on bound-tracking arrays vs the plain twin, at the upstream shape.

Run: ``.venv/bin/python benchmarks/bench_tracked.py [--cases 20] [--repeat 5] [--number 50] [--rows 64]
[--corpus-seeds 3]`` from the repository's root.
Both run side by side in one process on the same seeded cases (37 -> 128 -> 64, batch 32, ``--rows``
samples in X of which one minibatch is read), and the cost is reported as a ratio (issue 17 asks for at
most 5x); the best of ``--repeat`` runs is kept for each. :func:`corpus_median` gives the median ratio over
any list of (twin, inputs), for the coverage corpus.
"""

from __future__ import annotations

import argparse
import statistics
import timeit
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from dlparity.bounds.tracked import track
from dlparity.cases import UPSTREAM_BATCH, UPSTREAM_SIZES, draw_case
from python_impl.run_block import run_block


def ratio(twin: Callable[..., Any], inputs: dict[str, Any], repeat: int = 5, number: int = 20) -> float:
    """Time of ``track(twin, inputs)`` over time of ``twin(**inputs)``, the best of ``repeat`` runs of each."""
    t_plain = min(timeit.repeat(lambda: twin(**inputs), number=number, repeat=repeat))
    t_tracked = min(timeit.repeat(lambda: track(twin, inputs), number=number, repeat=repeat))
    return t_tracked / t_plain


def corpus_median(corpus: Sequence[tuple[Callable[..., Any], dict[str, Any]]], repeat: int = 5,
                  number: int = 20) -> float:
    """The median of :func:`ratio` over a corpus of (twin, inputs): issue 17's second figure of cost."""
    return statistics.median(ratio(twin, inputs, repeat, number) for twin, inputs in corpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=50)
    parser.add_argument("--rows", type=int, default=64, help="samples in X (the twin reads one minibatch of them)")
    parser.add_argument("--corpus-seeds", type=int, default=3, help="seeds per corpus routine for the median (0: skip)")
    args = parser.parse_args()
    for form in ("backprop", "manual"):
        ratios = []
        t_plain_all = t_tracked_all = 0.0
        for seed in range(args.cases):
            inp = draw_case(seed, UPSTREAM_SIZES, args.rows, UPSTREAM_BATCH, 33).inputs
            kwargs = {**inp.arrays(), "i": inp.i, "batch_size": inp.batch_size}
            t_plain = min(timeit.repeat(lambda kw=kwargs, form=form: run_block(form, **kw), number=args.number,
                                        repeat=args.repeat)) / args.number
            t_tracked = min(timeit.repeat(lambda kw=kwargs, form=form: track(partial(run_block, form), kw), number=args.number,
                                          repeat=args.repeat)) / args.number
            ratios.append(t_tracked / t_plain)
            t_plain_all += t_plain
            t_tracked_all += t_tracked
        ratios.sort()
        n = args.cases
        print(f"{form}, upstream 37-128-64, B=32, N={args.rows}, {n} cases: plain {1e6 * t_plain_all / n:7.1f} us/case, "
              f"tracked {1e6 * t_tracked_all / n:7.1f} us/case -> tracked / plain = {t_tracked_all / t_plain_all:.2f} "
              f"(per case {ratios[0]:.2f} .. {ratios[-1]:.2f}; issue 17 target <= 5)")
    if args.corpus_seeds:
        from corpus.cases import corpus_cases  # noqa: PLC0415 (the repository's corpus: not part of the package)

        cases = corpus_cases(range(args.corpus_seeds))
        by_routine: dict[str, list[float]] = {}
        for name, twin, inputs in cases:
            by_routine.setdefault(name, []).append(ratio(twin, inputs, args.repeat, 5))
        medians = {name: statistics.median(r) for name, r in by_routine.items()}
        print(f"corpus, {len(medians)} routines x {args.corpus_seeds} seeds: median tracked / plain "
              f"{statistics.median(r for rs in by_routine.values() for r in rs):.2f} (per routine "
              + ", ".join(f"{name} {m:.1f}" for name, m in medians.items()) + ")")


if __name__ == "__main__":
    main()
