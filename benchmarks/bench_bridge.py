"""Benchmark: one batched Octave call for many cases vs one call per case, and NumPy alongside.

Run: ``.venv/bin/python benchmarks/bench_bridge.py [--cases 200] [--repeat 3]``. Everything is timed
side by side in one process on the same cases, and reported as ratios, because this machine is
small and noisy; the best of ``--repeat`` runs is kept for each.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from dlparity.blocks import run_checked, run_octave_cases
from dlparity.bridge import get_bridge
from dlparity.cases import draw_case


def best_of(repeat: int, work: Callable[..., object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bridge = get_bridge()
    start = time.perf_counter()
    bridge.session()
    print(f"Octave start: {time.perf_counter() - start:.2f} s")
    for label, sizes, samples, batch in (("small 5-7-3, B=8", (5, 7, 3), 40, 8),
                                         ("upstream 37-128-64, B=32", (37, 128, 64), 64, 32)):
        cases = [draw_case(k, sizes, samples, batch, 1).inputs for k in range(args.cases)]
        t_batch = best_of(args.repeat, lambda cases=cases: run_octave_cases(bridge, "backprop", cases))
        t_single = best_of(args.repeat, lambda cases=cases: [run_octave_cases(bridge, "backprop", [c]) for c in cases])
        t_numpy = best_of(args.repeat, lambda cases=cases: [run_checked("backprop", c) for c in cases])
        n = args.cases
        print(f"{label}, {n} cases, section 1.3 block:")
        print(f"  Octave, one call for all : {t_batch:8.3f} s  ({1e3 * t_batch / n:6.2f} ms/case)")
        print(f"  Octave, one call per case: {t_single:8.3f} s  ({1e3 * t_single / n:6.2f} ms/case)"
              f"  -> batching is {t_single / t_batch:5.1f}x faster")
        print(f"  NumPy                    : {t_numpy:8.3f} s  ({1e3 * t_numpy / n:6.2f} ms/case)"
              f"  -> Octave batched / NumPy = {t_batch / t_numpy:5.1f}")


if __name__ == "__main__":
    main()
