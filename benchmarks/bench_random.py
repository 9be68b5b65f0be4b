"""Benchmark: dlparity.random's draws against GNU Octave's own, 10^6 of each function, as ratios.

Run: ``.venv/bin/python benchmarks/bench_random.py [--n 1000000] [--repeat 3]``. Octave times itself
inside one call (``tic``/``toc`` around each draw, best of ``--repeat``), so the bridge's transport is not
counted; the twin is timed the same way in this process. This machine is small and shared: read the
ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_bridge import best_of  # the same best-of-n timer (benchmarks/ is on sys.path when run)

from dlparity import random as mr
from dlparity.bridge import get_bridge

DRAWS: dict[str, tuple[Callable[[int], object], str]] = {
    "rand": (lambda n: mr.rand(n, 1), "rand(n, 1)"),
    "randn": (lambda n: mr.randn(n, 1), "randn(n, 1)"),
    "randi": (lambda n: mr.randi(10, n, 1), "randi(10, n, 1)"),
    "randperm": (mr.randperm, "randperm(n)"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bridge = get_bridge()
    folder = Path(tempfile.mkdtemp(prefix="bench_random_"))
    (folder / "bench_random_octave.m").write_text(
        "function t = bench_random_octave(code, n, repeat)\n"
        "  % the best of REPEAT timings of the draw CODE (an expression in n), timed inside Octave\n"
        "  t = inf;\n"
        "  for k = 1:repeat\n"
        "    tic; x = eval(code); t = min(t, toc);\n"
        "  end\n"
        "end\n", encoding="utf-8")
    bridge.call("addpath", folder.as_posix(), nout=0)
    mr.seed_case(1)
    print(f"{'draw':<10} {'twin s':>9} {'Octave s':>9} {'twin/Octave':>12}")
    for name, (twin, octave_call) in DRAWS.items():
        t_twin = best_of(args.repeat, lambda twin=twin: twin(args.n))
        t_octave = float(np.asarray(bridge.call("bench_random_octave", octave_call, float(args.n),
                                                float(args.repeat))).reshape(-1)[0])
        print(f"{name:<10} {t_twin:9.4f} {t_octave:9.4f} {t_twin / t_octave:12.1f}")


if __name__ == "__main__":
    main()
