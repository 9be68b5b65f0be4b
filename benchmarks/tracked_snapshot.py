"""Regression tool for the bound tracker: record every value, bound and ambiguity count it gives, or compare with a record.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/tracked_snapshot.py record /tmp/tracker_snapshot.npz``, change the
tracker, then ``... compare /tmp/tracker_snapshot.npz``: every array must be equal bit for bit (``view(int64)``),
and every refusal message the same. The twins: section 1's two forms (``python_impl.run_block``) on the suite's
240 cases, the exact cases and the mask-flip case of ``parity_tests``, the examples' twins on their tests' cases,
and the rule twins of ``parity_tests/test_tracked_rules.py`` with exact and with inexact inputs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for _folder in ("parity_tests", "examples/softmax_cross_entropy", "examples/sigmoid_backprop"):
    sys.path.insert(0, str(ROOT / _folder))

from dlparity.bounds.tracked import UnsupportedOperation, track  # noqa: E402
from dlparity.cases import suite_cases  # noqa: E402
from python_impl.run_block import run_block  # noqa: E402

Run = tuple[str, Callable[..., Any], dict[str, Any], dict[str, Any] | None]  # label, twin, inputs, errors


def runs() -> Iterator[Run]:
    """Every (label, twin, inputs, errors) the snapshot covers."""
    from backprop_sigmoid import backprop_sigmoid  # noqa: PLC0415
    from softmax_cross_entropy import softmax_cross_entropy  # noqa: PLC0415
    from test_backprop_sigmoid import CASES as SIGMOID_CASES  # noqa: PLC0415
    from test_error_bounds import CASES as EXACT_CASES  # noqa: PLC0415
    from test_error_bounds import tie_case  # noqa: PLC0415
    from test_softmax_cross_entropy import CASES as SOFTMAX_CASES  # noqa: PLC0415
    from test_tracked_rules import RULES, _inputs  # noqa: PLC0415

    mask_flip = tie_case(b1=-(1 + 2.0**-26) * (1 + 2.0**-27), b2=1.0)
    for k, case in enumerate([*EXACT_CASES, mask_flip, *suite_cases()]):
        inp = case.inputs
        inputs = {**inp.arrays(), "i": inp.i, "batch_size": inp.batch_size}
        for form in ("backprop", "manual"):
            yield f"block{k}-{form}", partial(run_block, form), inputs, None
    for k, c in enumerate(SOFTMAX_CASES):
        yield f"softmax{k}", softmax_cross_entropy, dict(c), None
    for k, c in enumerate(SIGMOID_CASES):
        yield f"sigmoid{k}", backprop_sigmoid, dict(c), None
    for name, (twin, _gold, _kind, ranges) in RULES.items():
        xs = _inputs(name, ranges)
        for rel in (0.0, 1e-6):
            def wrapped(twin: Any = twin, **kw: Any) -> dict[str, Any]:
                return {"out": twin(*kw.values())}
            inputs = {f"x{k}": x for k, x in enumerate(xs)}
            yield f"rule-{name}-{rel}", wrapped, inputs, {n: rel * np.abs(x) for n, x in inputs.items()}


def take() -> dict[str, np.ndarray]:
    """Every run's outputs as ``label/name/value``, ``/error``, ``/ambiguous``; a refusal as ``label/refused``."""
    out: dict[str, np.ndarray] = {}
    for label, twin, inputs, errors in runs():
        try:
            with np.errstate(all="ignore"):
                result = track(twin, inputs, errors)
        except UnsupportedOperation as exc:
            out[f"{label}/refused"] = np.array(str(exc))
            continue
        for name, tv in result.items():
            out[f"{label}/{name}/value"] = np.asarray(tv.value)
            out[f"{label}/{name}/error"] = np.asarray(tv.error)
            out[f"{label}/{name}/ambiguous"] = np.asarray(tv.ambiguous)
    return out


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind == "U" or b.dtype.kind == "U":
        return a.dtype == b.dtype and bool(np.all(a == b))
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("path", type=Path, nargs="?", default=Path("/tmp/tracker_snapshot.npz"))
    args = parser.parse_args()
    now = take()
    if args.mode == "record":
        np.savez_compressed(args.path, **now)
        print(f"recorded {len(now)} arrays to {args.path}")
        return
    with np.load(args.path) as stored:
        before = {k: stored[k] for k in stored.files}
    missing, extra = sorted(set(before) - set(now)), sorted(set(now) - set(before))
    common = sorted(set(before) & set(now))
    differ = [k for k in common if not same_bits(before[k], now[k])]
    print(f"{len(common)} arrays compared: {len(common) - len(differ)} bit-identical, {len(differ)} differ; "
          f"{len(missing)} missing, {len(extra)} new")
    for k in (differ + missing + extra)[:20]:
        print("  ", k)
    sys.exit(1 if differ or missing or extra else 0)


if __name__ == "__main__":
    main()
