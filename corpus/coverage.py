r"""The coverage table: how much of the corpus the automatic tolerance covers, and whether it ever cries wolf.

Run from the repository root (GNU Octave installed)::

    python -m corpus.coverage [--seeds 20] [--markdown] [--no-timing]

For every routine of ``corpus/`` and every seed, three things are measured:

1. **Which variables get a derived tolerance.** The twin runs on bound-tracking arrays
   (:func:`dlparity.bounds.tracked.track`). A variable is *derived* when the tracker returns its bound
   on every seed; *untracked* when the tracker returns it without one (an operation with no rule on
   its way: the tracker marks such results since issue 17 item 3), with the reason; and *refused*
   when the whole tracked run stopped (as the tracker did before, at the first operation it had no
   rule for, and still does where plain NumPy would fail too), with the operation.
2. **False alarms.** The pair is checked against Octave with the automatic tolerance
   (:func:`dlparity.check_parity`, all seeds in one Octave call). Every twin is a correct port (point 3),
   so a derived variable outside its tolerance is a false alarm. The largest |Δ|/tolerance over the
   derived variables says how close correct evaluations came.
3. **The port is right.** The same pair against Octave with the explicit tolerance
   :data:`EXPLICIT_TOLERANCE`, which checks the twin itself where the automatic one is unavailable.

Derived % is over variables (a name counts once, derived only if derived on every seed). The time
ratio is the median over seeds of tracked / plain twin time, where the tracked run completes.
Exit status: 0 when issue 17's target is met (at least 95 % derived, no false alarm, every port right
at the explicit tolerance), 1 otherwise. The table as measured, and its reading: ``docs/corpus.md``.
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import statistics
import sys
import tempfile
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.cases import ROUTINES, Inputs, Routine, matlab_inputs, renamed_matlab_copy, uses_keyword_argument
from dlparity import InputError, ParityResult, check_parity
from dlparity.bounds.tracked import UnsupportedOperation, track
from dlparity.matlab_file import read_matlab_files

#: The explicit tolerance that checks each twin is a correct port where the automatic tolerance is
#: unavailable: atol 1e-13 + rtol 1e-12 x |Octave value|. Measured on the corpus's 20 seeds (GNU
#: Octave 7.3, OpenBLAS), correct ports come to at most 0.016 of it (largest |Δ| 1.4e-14, at
#: conv2d_backward's dX and kmeans' D2); every planted slip of parity_tests/test_corpus.py is above
#: it by orders of magnitude. A chosen number, not a derived bound: it says nothing about other sizes.
EXPLICIT_TOLERANCE = {"rtol": 1e-12, "atol": 1e-13}

DERIVED, UNTRACKED, REFUSED = "derived", "untracked", "refused"


@dataclass
class RoutineCoverage:
    """One routine's row of the table."""

    name: str
    variables: list[str]
    #: name -> (DERIVED | UNTRACKED | REFUSED, reason); the worst over the seeds
    status: dict[str, tuple[str, str]]
    #: "name (seed s)" for every derived variable outside its automatic tolerance
    false_alarms: list[str] = field(default_factory=list)
    largest_ratio: float = math.nan  # |Δ|/tolerance over derived variables, automatic tolerance
    explicit_ok: bool | None = None
    explicit_ratio: float = math.nan
    time_ratio: float | None = None
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.status.values() if k == kind)

    def reasons(self) -> str:
        """The operations behind every variable that is not derived, each once."""
        seen: dict[str, None] = {}
        for kind, why in self.status.values():
            if kind != DERIVED:
                seen.setdefault(f"{kind}: {why}", None)
        return "; ".join(seen) or "-"


def compared_variables(routine: Routine, case: Inputs) -> list[str]:
    """The names both sides produce, in the MATLAB statement order (a function file: its outputs; a script:
    what it assigns, inputs it overwrites included, as check_parity compares them)."""
    out = routine.twin()(**case)
    return [n for n in read_matlab_files(routine.matlab).order() if n in out]


def operation(message: str) -> str:
    """The operation a refusal or an untracked reason names, without its explanations in parentheses
    ("... has no rule for astype(int64) (only float64 is tracked); pass ..." -> "astype(int64)";
    "numpy.var at layer_norm.py:27" stays as it is)."""
    marker = "no rule for "
    if marker in message:
        message = message.split(marker, 1)[1]
    previous = None
    while previous != message:  # innermost parentheses first, so nested ones go too
        previous, message = message, re.sub(r"\s+\([^()]*\)", "", message)
    return message.split(";", 1)[0].strip()


def classify(twin: Callable[..., Any], cases: Sequence[Inputs], variables: list[str]) -> dict[str, tuple[str, str]]:
    """Each variable's worst status over the cases (derived < untracked < refused), with the operation."""
    rank = {DERIVED: 0, UNTRACKED: 1, REFUSED: 2}
    status = {n: (DERIVED, "") for n in variables}
    for seed, case in enumerate(cases):
        try:
            with np.errstate(all="ignore"):
                out: dict[str, Any] = track(twin, case)
        except UnsupportedOperation as exc:
            found = {n: (REFUSED, operation(str(exc))) for n in variables}
        except Exception as exc:  # a raw error inside the tracker is a refusal too, named as such
            found = {n: (REFUSED, f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}") for n in variables}
        else:
            found = {}
            for n in variables:
                value = out.get(n)
                why = getattr(value, "reason", None)  # the coming tracker's Untracked(value, reason) leaves
                if why is None and hasattr(value, "error"):  # a TrackedValue: value, bound, ambiguity
                    found[n] = (DERIVED, "")
                else:
                    found[n] = (UNTRACKED, operation(str(why or f"no bound returned (seed {seed})")))
        for n in variables:
            if rank[found[n][0]] > rank[status[n][0]]:
                status[n] = found[n]
    return status


def check(routine: Routine, cases: Sequence[Inputs], folder: Path, bridge: Any = None,
          rtol: float | None = None, atol: float | None = None) -> tuple[ParityResult, str]:
    """check_parity on the unmodified .m; if dlparity cannot yet take its ``lambda`` (issue 16, item 5),
    on a copy whose only change is ``lambda`` -> ``lambda_``. Returns the result and a note (or "")."""
    if uses_keyword_argument(routine):
        try:
            return check_parity(routine.matlab, routine.twin(), [matlab_inputs(c) for c in cases], bridge=bridge,
                                rtol=rtol, atol=atol), ""
        except InputError as exc:
            if "Python keyword" not in str(exc):
                raise
        copy = renamed_matlab_copy(routine, folder)
        note = "MATLAB's lambda renamed lambda_ in a copy (dlparity does not map it to the twin's lambda_ yet)"
        return check_parity(copy, routine.twin(), list(cases), bridge=bridge, rtol=rtol, atol=atol), note
    return check_parity(routine.matlab, routine.twin(), list(cases), bridge=bridge, rtol=rtol, atol=atol), ""


def time_ratio(twin: Callable[..., Any], cases: Sequence[Inputs], number: int = 3) -> float | None:
    """Median over the cases of (tracked run time) / (plain run time), best of ``number`` each; None if refused."""
    ratios = []
    for case in cases:
        try:
            with np.errstate(all="ignore"):
                track(twin, case)
        except Exception:  # a refused run has no cost to report
            return None
        with np.errstate(all="ignore"):
            plain = min(timeit.repeat(functools.partial(twin, **case), number=1, repeat=number))
            tracked = min(timeit.repeat(functools.partial(track, twin, case), number=1, repeat=number))
        ratios.append(tracked / plain)
    return statistics.median(ratios)


def measure(routine: Routine, seeds: Sequence[int], folder: Path, bridge: Any = None,
            timing: bool = True) -> RoutineCoverage:
    """One routine's row: statuses, the automatic check's false alarms, the explicit check, the time ratio."""
    cases = [routine.build(s) for s in seeds]
    variables = compared_variables(routine, cases[0])
    row = RoutineCoverage(routine.name, variables, classify(routine.twin(), cases, variables))
    derived = {n for n, (kind, _) in row.status.items() if kind == DERIVED}
    sub = folder / routine.name
    sub.mkdir(exist_ok=True)
    if derived:
        try:
            automatic, note = check(routine, cases, sub, bridge)
        except InputError as exc:  # a refused tracked run refuses the whole automatic check
            row.notes.append(f"automatic check refused: {operation(str(exc))}")
        except Exception as exc:  # a tracker ahead of check_parity (Untracked leaves it cannot read yet): say so
            row.notes.append(f"automatic check failed: {type(exc).__name__}: {str(exc).splitlines()[0][:100]}")
        else:
            if note:
                row.notes.append(note)
            mine = [r for r in automatic.reports if r.name in derived]
            seed_of = dict(zip(automatic.case_labels, seeds, strict=True))
            row.false_alarms = [f"{r.name} (seed {seed_of[r.case]})" for r in mine if not r.ok]
            # a class, structure or text difference flagged on a correct port is a false alarm too
            seen: dict[str, list[int]] = {}
            for d in getattr(automatic, "differences", []):
                if d.path in derived:
                    seen.setdefault(f"{d.path} ({d.kind}: {d.reason.split(';')[0]})", []).append(seed_of[d.case])
            row.false_alarms += [f"{what} on {len(s)} seed{'s' if len(s) != 1 else ''}" for what, s in seen.items()]
            row.largest_ratio = max((r.bound_ratio for r in mine if r.ok), default=math.nan)
    explicit, note = check(routine, cases, sub, bridge, **EXPLICIT_TOLERANCE)
    if note and note not in row.notes:
        row.notes.append(note)
    # the port is right when every value is within the explicit tolerance; a class flag (NumPy int64 where MATLAB
    # has a double of the same whole numbers) is the comparison's verdict on the types, counted as a false alarm above
    flags = {d.path for d in getattr(explicit, "differences", []) if d.kind == "class"}
    others = [d for d in getattr(explicit, "differences", []) if d.kind != "class"]
    row.explicit_ok = all(r.ok for r in explicit.reports) and not others and bool(explicit.reports)
    row.explicit_ratio = explicit.largest_ratio()
    if flags:
        row.notes.append(f"class flagged by dlparity (values match): {', '.join(sorted(flags))}")
    if timing:
        row.time_ratio = time_ratio(routine.twin(), cases)
    return row


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def table(rows: Sequence[RoutineCoverage], markdown: bool = False, timed: bool = True) -> str:
    """The coverage table, then the overall derived % and the false alarms."""
    head = ("routine", "variables", "derived", "untracked", "refused", "false alarms", "max |Δ|/tol (derived)",
            "port ok (explicit tol)", "tracked/plain", "not derived: why")
    body = [(r.name, str(len(r.variables)), str(r.count(DERIVED)), str(r.count(UNTRACKED)), str(r.count(REFUSED)),
             str(len(r.false_alarms)), _fmt(r.largest_ratio, ".2g"),
             ("yes" if r.explicit_ok else "NO") + f" ({_fmt(r.explicit_ratio, '.2g')})",
             _fmt(r.time_ratio, ".1f"), r.reasons()) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in [head, *body]]
        lines.insert(1, "|" + "|".join(" --- " for _ in head) + "|")
    else:
        widths = [max(len(x[k]) for x in [head, *body]) for k in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in [head, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
    total = sum(len(r.variables) for r in rows)
    derived = sum(r.count(DERIVED) for r in rows)
    alarms = [f"{r.name}: {a}" for r in rows for a in r.false_alarms]
    ratios = [r.time_ratio for r in rows if r.time_ratio is not None]
    lines += ["", f"derived: {derived} of {total} variables ({100 * derived / total:.1f} %; target >= 95 %)",
              f"false alarms: {len(alarms)}" + (f" ({', '.join(alarms)})" if alarms else ""),
              "median tracked/plain time over the routines tracked: "
              + (f"{statistics.median(ratios):.1f} ({len(ratios)} routines)" if ratios
                 else "- (not measured: --no-timing)" if not timed else "- (no routine tracked)")]
    for r in rows:
        for note in r.notes:
            lines.append(f"{r.name}: {note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpus.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 of every routine (20)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for docs/corpus.md)")
    parser.add_argument("--no-timing", action="store_true", help="skip the tracked/plain time ratios")
    parser.add_argument("--routine", action="append", help="only this routine (repeatable)")
    args = parser.parse_args(argv)
    chosen = [r for r in ROUTINES if not args.routine or r.name in args.routine]
    with tempfile.TemporaryDirectory(prefix="dlparity_corpus_") as tmp:
        rows = [measure(r, range(args.seeds), Path(tmp), timing=not args.no_timing) for r in chosen]
    print(table(rows, markdown=args.markdown, timed=not args.no_timing))
    total = sum(len(r.variables) for r in rows)
    derived = sum(r.count(DERIVED) for r in rows)
    met = derived >= 0.95 * total and not any(r.false_alarms for r in rows) and all(r.explicit_ok for r in rows)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
