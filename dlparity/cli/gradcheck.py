"""``dlparity gradcheck``: check both blocks' gradients against finite differences and autodiff.

``dlparity/cli/main.py`` registers the subcommand with :func:`add_gradcheck_parser` and runs it
with :func:`run_gradcheck`. Exit status: 0 when every compared gradient is within its derived
tolerance, 1 when one is not, 2 for bad input and 3 for a missing Octave or PyTorch (each
with one sentence on stderr), as ``dlparity compare``.

Verdicts, per gradient and oracle (the table's last column combines a row's oracles: ``FAIL``
if either fails, else ``n/a`` if either compared nothing, else ``ok``):

``ok``
    at least one entry was compared, and every compared entry is within its tolerance;
``FAIL``
    some compared entry exceeds its tolerance (exit status 1);
``n/a``
    no entry was compared: every sampled finite-difference step of that parameter may cross
    a ReLU kink, so all were excluded (the ``excluded`` column reads k/k). Nothing was checked,
    so this is not a pass, though not a failure either (exit status 0 when nothing fails).

In ``--json`` each quantity carries ``checked`` (entries compared), ``excluded`` (kink
crossings), ``ok`` and ``verdict``. ``ok`` means "no compared entry exceeds its tolerance" and
is therefore true, vacuously, when ``checked`` is 0; ``verdict`` is then ``"n/a"``. The top-level
``ok`` is the exit status's: no comparison failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any, cast

from dlparity.blocks import FORMS
from dlparity.bridge import OctaveError, OctaveUnavailable, get_bridge
from dlparity.cli.args import (
    EXIT_BAD_INPUT,
    EXIT_MISMATCH,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    add_case_arguments,
    case_from_args,
    integer,
)
from dlparity.oracles.autodiff import OracleUnavailable, torch_version
from dlparity.oracles.finite_differences import STEP_FACTOR
from dlparity.oracles.gradcheck import (
    ALL_ORACLES,
    GRADIENTS,
    ORACLES,
    GradcheckResult,
    Oracle,
    OracleCheck,
    gradcheck,
)
from dlparity.validation import InputError


def add_gradcheck_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``gradcheck`` subcommand to ``subparsers`` (from ``ArgumentParser.add_subparsers``).

    The case flags (``--seed --sizes --samples --batch --start --form --json``) and their defaults
    are ``dlparity compare``'s, from :func:`dlparity.cli.args.add_case_arguments`.
    """

    p = subparsers.add_parser(
        "gradcheck",
        help="check both blocks' gradients against finite differences and PyTorch autodiff",
        description=("Draw seeded inputs, run the section 1.3 and 1.2 blocks in NumPy and Octave, and "
                     "compare each gradient with central finite differences and PyTorch autograd, "
                     "within tolerances derived from rounding-error bounds (docs/error-bounds.md)."))
    add_case_arguments(p)
    p.add_argument("--side", choices=("numpy", "octave", "both"), default="both",
                   help="run the blocks in NumPy, in Octave, or both (default both)")
    p.add_argument("--oracle", choices=(*ALL_ORACLES, "both", "all"), default="both",
                   help="fd: finite differences; autograd: HIPS autograd; autodiff: PyTorch; both (default): "
                        "finite differences and autodiff, by PyTorch when it is installed, else by autograd; "
                        "all: the three")
    p.add_argument("--coords", type=integer("--coords", "coordinates per parameter"), default=None, metavar="K",
                   help="at most K finite-difference coordinates per parameter, drawn with --seed (default all)")
    p.set_defaults(func=run_gradcheck)
    return p


def chosen_oracles(flag: str) -> tuple[Oracle, ...]:
    """``--oracle``: 'both' is finite differences plus autodiff (PyTorch where installed, else HIPS autograd,
    so a machine without PyTorch still checks the derivation against an autodiff library)."""
    if flag == "all":
        return ALL_ORACLES
    if flag == "both":
        return ORACLES if _torch_installed() else ("fd", "autograd")
    return (cast(Oracle, flag),)


def _torch_installed() -> bool:
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # a module entry of None (blocked) or without a spec
        return False


def _fail(message: str, status: int) -> int:
    print(f"dlparity gradcheck: error: {message}", file=sys.stderr)
    return status


def run_gradcheck(args: argparse.Namespace) -> int:
    """Run ``dlparity gradcheck`` with parsed ``args``.

    Returns
    -------
    int
        0 every comparison within tolerance, 1 a mismatch, 2 bad input, 3 Octave or PyTorch
        missing (2 and 3 with one sentence on stderr).
    """

    try:
        if args.coords is not None and args.coords < 1:
            raise InputError(f"--coords is {args.coords}; expected at least 1 coordinate per parameter.")
        case = case_from_args(args)
    except InputError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    forms = FORMS if args.form == "both" else (args.form,)
    oracles = chosen_oracles(args.oracle)
    bridge = None
    if args.side in ("octave", "both"):
        bridge = get_bridge()
        try:
            bridge.session()
        except OctaveUnavailable as exc:
            return _fail(f"{str(exc).rstrip('.')}; or pass --side numpy to check the NumPy port only.",
                         EXIT_UNAVAILABLE)
    try:
        versions = {"torch": torch_version()} if "autodiff" in oracles else {}
        (result,) = gradcheck([case], forms, oracles, bridge, coords=args.coords)
    except OracleUnavailable as exc:
        return _fail(f"{str(exc).rstrip('.')}; or pass --oracle fd to use finite differences only.",
                     EXIT_UNAVAILABLE)
    except OctaveError as exc:
        return _fail(str(exc), EXIT_UNAVAILABLE)
    if args.side == "octave":
        result.checks = [c for c in result.checks if c.side == "octave"]
    if args.json:
        print(json.dumps(_to_json(result, versions, args), indent=2))
    else:
        print(_table(result, versions, args))
    return EXIT_OK if result.ok else EXIT_MISMATCH


def _to_json(result: GradcheckResult, versions: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    inp = result.case.inputs
    d, h1, h2 = inp.sizes
    return {
        "ok": result.ok,
        "case": {"seed": result.case.seed, "sizes": [d, h1, h2], "samples": inp.N, "batch": inp.batch_size,
                 "start": inp.i, "batch_end": inp.batch_end, "replay": result.case.replay()},
        "oracles": {"fd": {"step_factor": STEP_FACTOR, "coords_per_parameter": args.coords},
                    **({"autodiff": {"library": "torch", "version": versions["torch"]}} if versions else {})},
        "quantities": [
            {"form": c.form, "side": c.side, "name": c.name, "oracle": c.oracle, "max_rel_err": c.max_rel_err,
             "bound_ratio": c.bound_ratio, "excluded": c.excluded, "checked": c.checked, "ok": c.ok,
             "verdict": c.verdict}
            for c in result.checks],
    }


def _fmt(check: OracleCheck | None) -> tuple[str, str]:
    if check is None:
        return "-", "-"
    if check.verdict == "n/a":  # nothing compared: an error of 0 would read as a pass
        return "n/a", "n/a"
    return f"{check.max_rel_err:.1e}", f"{check.bound_ratio:.2g}"


def _row_verdict(checks: list[OracleCheck]) -> str:
    """FAIL if any oracle fails, else n/a if any compared nothing, else ok."""
    verdicts = {c.verdict for c in checks}
    for verdict in ("FAIL", "n/a"):
        if verdict in verdicts:
            return verdict
    return "ok"


def _table(result: GradcheckResult, versions: dict[str, str], args: argparse.Namespace) -> str:
    inp = result.case.inputs
    d, h1, h2 = inp.sizes
    lines = [
        f"dlparity gradcheck: seed={result.case.seed} N={inp.N} d,h1,h2={d},{h1},{h2} "
        f"rows {inp.i}..{inp.batch_end} with batch_size={inp.batch_size}",
        "oracles: central differences of L = sum((y_pred - y_true).^2)/batch_size "
        f"(step 2^k ~ {STEP_FACTOR:.1e}*max(|theta|, s), s the change of theta that moves its layer's "
        "pre-activations by their rms; steps that may cross a ReLU kink excluded)"
        + (f"; PyTorch {versions['torch']} float64 autograd" if versions else "")
        + ("; HIPS autograd (float64)" if any(c.oracle == "autograd" for c in result.checks) else ""),
        "rel err: max |mine - oracle| / max |entry|; ratio: max |mine - oracle| / derived tolerance "
        "(must be <= 1; docs/error-bounds.md)",
        "verdict: ok every oracle compared entries, all within tolerance; FAIL one exceeds it; "
        "n/a an oracle compared no entry (all excluded as kink crossings): nothing checked, not a pass",
        "",
        f"{'form':<9} {'side':<7} {'grad':<5} {'rel err vs FD':>13} {'ratio':>7} {'excluded':>9} "
        f"{'rel err vs autodiff':>19} {'ratio':>7}  verdict",
    ]
    by_key = {(c.side, c.form, c.name, c.oracle): c for c in result.checks}
    sides = [s for s in ("numpy", "octave") if any(c.side == s for c in result.checks)]
    forms = [f for f in FORMS if any(c.form == f for c in result.checks)]
    for form in forms:
        for side in sides:
            for name in GRADIENTS:
                fd = by_key.get((side, form, name, "fd"))
                ag = by_key.get((side, form, name, "autograd"))
                ad = by_key.get((side, form, name, "autodiff")) or ag  # the column shows PyTorch, else autograd
                fd_rel, fd_ratio = _fmt(fd)
                ad_rel, ad_ratio = _fmt(ad)
                excluded = f"{fd.excluded}/{fd.excluded + fd.checked}" if fd is not None else "-"
                verdict = _row_verdict([c for c in (fd, ad, ag) if c is not None])
                lines.append(f"{form:<9} {side:<7} {name:<5} {fd_rel:>13} {fd_ratio:>7} {excluded:>9} "
                             f"{ad_rel:>19} {ad_ratio:>7}  {verdict}")
    failures, unchecked = result.failures(), result.unchecked()
    lines.append("")
    if failures:
        lines.append(f"FAIL: {len(failures)} of {len(result.checks)} comparisons exceed their tolerance:")
        lines.extend(f"  {c.message()}" for c in failures)
    elif unchecked:
        lines.append(f"ok: {len(result.checks) - len(unchecked)} comparisons within their derived tolerances; "
                     f"{len(unchecked)} compared no entry (n/a, every step a kink crossing): "
                     + ", ".join(f"{c.side}/{c.form} {c.name} vs {c.oracle}" for c in unchecked))
    else:
        lines.append(f"ok: all {len(result.checks)} comparisons within their derived tolerances")
    return "\n".join(lines)
