"""The report of a MATLAB/NumPy pair: :class:`ParityResult` and :class:`Divergence`, as a table and as JSON.

Every table the command line prints is laid out by :func:`render_table`, and every number that goes
into JSON passes :func:`json_number` (NaN and infinities are not valid JSON: null), so the pair
mode, the section 1 mode and ``dlparity train`` format alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlparity.comparison.compare import QuantityReport
from dlparity.comparison.leaves import Difference, Leaves
from dlparity.comparison.loading import python_lines
from dlparity.matlab_file import MatlabFile, Statement, assigned_names, statements
from dlparity.names import python_name
from dlparity.random import draws_sentence


def json_number(x: float) -> float | None:
    """``x`` for JSON: None (null) where it is NaN or infinite, which JSON cannot hold."""
    return None if isinstance(x, float) and not math.isfinite(x) else x


def fmt_number(x: float, spec: str) -> str:
    """``x`` formatted with ``spec`` for a table cell; ``-`` where it is NaN (nothing measured)."""
    return "-" if isinstance(x, float) and math.isnan(x) else format(x, spec)


def render_table(rows: Sequence[Sequence[str]], left: int = 0, last_left: bool = False) -> list[str]:
    """Rows (the first is the header) as aligned lines with a rule under the header.

    The first ``left`` columns are left-aligned (names), and the last one too when ``last_left``
    (a note), the rest right-aligned (numbers); two spaces between columns, no trailing blanks.
    """
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    flush_left = set(range(left)) | ({len(widths) - 1} if last_left else set())
    lines = ["  ".join(c.ljust(w) if k in flush_left else c.rjust(w)
                       for k, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def worst_ratio(r: QuantityReport) -> float:
    """A report's |Δ|/tolerance for ranking: a NaN (nothing comparable, e.g. shapes differ) counts as the worst."""
    return math.inf if math.isnan(r.bound_ratio) else r.bound_ratio


@dataclass(frozen=True, kw_only=True)
class Divergence:
    """The first leaf (``nn.dW{1}``; a plain variable is its own leaf), in the MATLAB side's statement order,
    whose two sides differ; the lines quoted are the last to assign that field, else the variable."""

    name: str
    case: str
    reason: str
    matlab_file: str
    matlab_line: int | None
    matlab_text: str | None
    python_file: str | None
    python_line: int | None
    python_text: str | None
    #: Where the two sides drew a different number of random values in this case: what each drew.
    draws: str | None = None

    def describe(self) -> str:
        m = (f"  MATLAB {self.matlab_file}:{self.matlab_line}  {self.matlab_text}" if self.matlab_line is not None
             else f"  MATLAB {self.matlab_file}: (no assignment to {self.name} found)")
        p = (f"  Python {self.python_file}:{self.python_line}  {self.python_text}" if self.python_line is not None
             else f"  Python {self.python_file or '(source not available)'}: (no assignment to {self.name} found)")
        what = "variable" if self.name.isidentifier() else "leaf"
        drew = [f"  draws differ: {self.draws}"] if self.draws else []
        return "\n".join([f"first diverging {what}: {self.name} in case {self.case} ({self.reason})", m, p, *drew,
                          "  (later differences usually follow from this one: fix it first)"])

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "case": self.case, "reason": self.reason,
                "matlab": {"file": self.matlab_file, "line": self.matlab_line, "text": self.matlab_text},
                "python": {"file": self.python_file, "line": self.python_line, "text": self.python_text},
                "draws": self.draws}


@dataclass(kw_only=True)
class ParityResult:
    """Every comparison of one MATLAB/NumPy pair over one or more cases.

    Attributes
    ----------
    reports : list of QuantityReport
        One per shared variable and case, in the MATLAB side's statement order, case by case.
    matlab_only, python_only : list of str
        Names only one side produced (never silently dropped: listed in the table and the JSON).
    not_compared : dict of str to str
        Names both sides produced but that are not numeric arrays, with the reason.
    complex_values : dict of str to str
        Names complex on one side or both, with which side (each a MISMATCH: only real values are compared).
    tolerance : str
        How the tolerance was chosen (automatic or by the user).
    first_divergence : Divergence or None
        The first mismatching variable in statement order, with both sides' lines.
    tolerance_from : dict of (str, str) to str
        Per (variable, case) compared, where its tolerance came from: ``"derived"`` (2x the tracked bound),
        ``"fallback (numpy.linalg.solve at twin.py:14)"`` (the user's fallback, and why the tracker could not
        bound it) or ``"user"`` (``rtol``/``atol``).
    not_checked : dict of str to str
        Variables the tracker could not bound and no fallback tolerance was given for, with why: nothing
        judged them, so the verdict is not a pass (``status`` "not checked").
    differences : list of Difference
        Leaves whose two sides differ in structure, class or text (each a MISMATCH), in MATLAB's order.
    texts_compared : int
        Text leaves compared (equal, or in ``differences``).

    Every name above is a leaf's MATLAB path (``nn.W{1}``, ``s(2).w``; a plain variable is its own leaf).
    """

    matlab: MatlabFile
    python: str
    case_labels: list[str]
    reports: list[QuantityReport]
    matlab_only: list[str]
    python_only: list[str]
    not_compared: dict[str, str]
    tolerance: str
    user_tolerance: dict[str, float] | None
    first_divergence: Divergence | None
    octave: dict[str, Any] = field(default_factory=dict)
    python_seconds: float = 0.0
    shape_hints: dict[str, str] = field(default_factory=dict)
    #: Per case, what each side returned: ``values[k]["octave"]``, ``values[k]["numpy"]`` (name -> value).
    values: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    complex_values: dict[str, str] = field(default_factory=dict)
    fallback_tolerance: dict[str, float] | None = None
    tolerance_from: dict[tuple[str, str], str] = field(default_factory=dict)
    not_checked: dict[str, str] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    texts_compared: int = 0
    #: (path, case) -> (octave, numpy, elementwise tolerance): each numeric leaf as compared (the HTML heatmap).
    compared: dict[tuple[str, str], tuple[Any, Any, Any]] = field(default_factory=dict)
    #: The Python twin itself (its source is shown beside the MATLAB in the HTML report).
    function: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    #: The random generators: ``mode``, ``seeds`` (one per case) and ``draws`` (per case, what the
    #: ``matlab`` and the ``twin`` drew: ``{"uniforms": n, "normals": m}``).
    random: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``"match"``; ``"mismatch"`` (some variable out of tolerance, or of another shape); ``"not checked"`` (none
        out of tolerance, but some variable had no tolerance to judge it); ``"nothing compared"``."""
        if any(not r.ok for r in self.reports) or self.differences:
            return "mismatch"
        if self.not_checked:
            return "not checked"
        return "match" if self.reports or self.texts_compared else "nothing compared"

    def draws_differ(self) -> dict[str, str]:
        """Per case label, where the two sides drew differently, the sentence saying what each drew."""
        out = {}
        for label, drew in zip(self.case_labels, self.random.get("draws", []), strict=False):
            sentence = draws_sentence(drew["matlab"], drew["twin"])
            if sentence is not None:
                out[label] = sentence
        return out

    def _draws_lines(self) -> list[str]:
        """A line per case whose draws differ, but the first divergence's (it says so beside the variable)."""
        shown = self.first_divergence.case if self.first_divergence is not None and self.first_divergence.draws else None
        return [f"draws differ in case {label}: {sentence}" for label, sentence in self.draws_differ().items()
                if label != shown]

    def drew(self) -> bool:
        """Whether either side drew a random number in any case."""
        return any(sum(d["matlab"].values()) + sum(d["twin"].values()) for d in self.random.get("draws", []))

    def random_line(self) -> str:
        """The header line: the mode and the seed (or each case's)."""
        seeds = [int(s) for s in self.random.get("seeds", [])]
        if len(set(seeds)) == 1:
            which = f"seed {seeds[0]}" + (" (every case)" if len(seeds) > 1 else "")
        else:
            which = "seeds " + ", ".join(f"{label}: {s}" for label, s in zip(self.case_labels, seeds, strict=True))
        return f"random: {self.random.get('mode', 'octave')} mode, {which} (docs/harness.md, code that draws)"

    @property
    def ok(self) -> bool:
        """Every shared variable of every case within tolerance, none left unchecked, and at least one compared."""
        return self.status == "match"

    def by_variable(self) -> list[QuantityReport]:
        """The worst report of each variable over the cases, in statement order."""
        worst: dict[str, QuantityReport] = {}
        for r in self.reports:
            held = worst.get(r.name)
            if held is None or (held.ok and not r.ok) or (held.ok == r.ok and worst_ratio(r) > worst_ratio(held)):
                worst[r.name] = r
        return list(worst.values())

    def largest_ratio(self) -> float:
        return max((worst_ratio(r) for r in self.reports), default=0.0)

    def table(self) -> str:
        """The side-by-side table: one row per variable (worst case), then what was not compared, then the verdict."""
        kind = self.matlab.kind
        n = len(self.case_labels)
        head: tuple[str, ...] = ("variable", "line", "shape", "octave", "numpy", "max|Δ|", "max rel Δ", "max ULP",
                                 "tolerance", "|Δ|/tol", "verdict", "tolerance from")
        many = n > 1
        if many:
            head = ("case", *head)
        rows = [head]
        for r in self.by_variable():
            where = first_assignment(self.matlab, r.name)
            shape = "x".join(map(str, r.gold_shape)) if r.shape == r.gold_shape else (
                f"{'x'.join(map(str, r.gold_shape))}≠{'x'.join(map(str, r.shape)) or '()'}")
            row = (r.name, str(where.line) if where else "", shape, fmt_number(r.gold_sample, ".10g"),
                   fmt_number(r.mine_sample, ".10g"), fmt_number(r.max_abs_diff, ".2e"), fmt_number(r.max_rel_diff, ".2e"),
                   str(r.max_ulp), fmt_number(r.tolerance, ".2e"), fmt_number(r.bound_ratio, ".2g"), "ok" if r.ok else "MISMATCH",
                   self.tolerance_from.get((r.name, r.case), "-"))
            rows.append((r.case, *row) if many else row)
        lines = render_table(rows, left=4 if many else 3, last_left=True)
        source = self.octave.get("source", "live")
        version = self.octave.get("version", "?")
        recorded = f", recorded {self.octave['recorded']}" if self.octave.get("recorded") else ""  # None when live
        out = [f"octave: {source}, GNU Octave {version}{recorded}"
               + (f", {self.octave['seconds']:.2f} s" if "seconds" in self.octave else ""),
               f"matlab: {' then '.join(map(str, self.matlab.files))} ({kind}) · python: {self.python} · {n} case{'s' if n != 1 else ''}",
               f"tolerance: {self.tolerance}",
               *([self.random_line()] if self.drew() else []),
               "octave/numpy: the entry with the largest |Δ|/tolerance" + (" (the worst case of each variable)" if many else ""), "", *lines, ""]
        out += self.notes()
        if self.first_divergence is not None:
            out.append(self.first_divergence.describe())
        out += self._draws_lines()
        out.append(self.verdict())
        return "\n".join(out)

    def notes(self) -> list[str]:
        """What was not compared or not checked, and why; the shape hints."""
        out = []
        if self.matlab_only:
            out.append(f"only in MATLAB (not compared): {', '.join(self.matlab_only)}")
        if self.python_only:
            out.append(f"only in Python (not compared): {', '.join(self.python_only)}")
        if self.not_compared:
            out.append("not compared (not numeric arrays): "
                       + ", ".join(f"{k} ({v})" for k, v in self.not_compared.items()))
        if self.complex_values:
            out.append("complex, so MISMATCH (only real values are compared): "
                       + ", ".join(f"{k} ({v})" for k, v in self.complex_values.items()))
        out += [f"shape of {name}: {hint}" for name, hint in self.shape_hints.items()]
        for d in self.differences:  # once, not once per case
            line = f"{d.kind} of {d.path}: {d.reason}"
            if line not in out:
                out.append(line)
        if self.not_checked:
            out.append("not checked (the automatic tolerance cannot bound them, and no fallback tolerance was given): "
                       + "; ".join(f"{', '.join(names)} ({why})" for why, names in _by_reason(self.not_checked).items()))
        return out

    def verdict(self) -> str:
        """The table's last line: the :attr:`status` in words (counted by variable; by leaf too where they nest)."""
        n = len(self.case_labels)
        leaves = {r.name for r in self.reports} | {d.path for d in self.differences}
        total = len({root_of(p) for p in leaves}) + (0 if leaves else min(self.texts_compared, 1))
        count = len(leaves) + self.texts_compared
        nested = f" ({count} leaves)" if count != total else ""
        status = self.status
        if status == "nothing compared":
            return "nothing compared: the two sides share no numeric variable"
        if status == "mismatch":
            bad = {root_of(p) for p in {r.name for r in self.reports if not r.ok} | {d.path for d in self.differences}}
            return f"{len(bad)} of {total} variables MISMATCH{nested}"
        if status == "not checked":
            count = len(self.not_checked)
            return (f"NOT CHECKED: {count} variable{'s' if count != 1 else ''} not checked "
                    f"({', '.join(self.not_checked)}), the other {total} within tolerance; give "
                    "fallback_rtol=/fallback_atol= (--fallback-rtol/--fallback-atol) to compare them with a chosen "
                    "tolerance")
        return (f"all {total} variables match{nested} over {n} case{'s' if n != 1 else ''} "
                f"(largest |Δ|/tolerance {self.largest_ratio():.2g})")

    __str__ = table

    def to_html(self) -> str:
        """The report a porter can open: both files side by side, each variable's verdict on its line
        (:mod:`dlparity.comparison.html_report`); one self-contained HTML document."""
        from dlparity.comparison.html_report import parity_html  # noqa: PLC0415

        return parity_html(self)

    def save_html(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write :meth:`to_html` to ``path`` whole or not at all (``overwrite=False``: refuse an existing file)."""
        from dlparity.comparison.html_report import save_report  # noqa: PLC0415

        save_report(path, self.to_html(), overwrite, flag="save_html")
        return Path(path)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` fields of ``dlparity compare``, plus what only this mode has."""
        return {
            "ok": self.ok,
            "status": self.status,
            "mode": "pair",
            "matlab": {"file": str(self.matlab.path), "kind": self.matlab.kind, "name": self.matlab.name},
            "python": self.python,
            "cases": self.case_labels,
            "octave": self.octave,
            "tolerance": {"source": "user" if self.user_tolerance else "automatic", "description": self.tolerance,
                          **(self.user_tolerance or {}), "fallback": self.fallback_tolerance},
            "quantities": [
                {"form": self.matlab.name, "name": r.name, "case": r.case, "shape": list(r.shape),
                 "matlab_shape": list(r.gold_shape), "max_abs_diff": json_number(r.max_abs_diff),
                 "max_rel_diff": json_number(r.max_rel_diff), "max_ulp": r.max_ulp, "tolerance": json_number(r.tolerance),
                 "bound_ratio": json_number(r.bound_ratio), "mask_ambiguous": r.ambiguous,
                 "octave_sample": json_number(r.gold_sample), "numpy_sample": json_number(r.mine_sample),
                 "line": (first_assignment(self.matlab, r.name).line  # type: ignore[union-attr]
                          if first_assignment(self.matlab, r.name) else None),
                 "tolerance_from": self.tolerance_from.get((r.name, r.case)), "ok": r.ok}
                for r in self.reports
            ],
            "matlab_only": self.matlab_only,
            "python_only": self.python_only,
            "not_compared": self.not_compared,
            "complex": self.complex_values,
            "not_checked": self.not_checked,
            "differences": [d.to_json() for d in self.differences],
            "first_divergence": None if self.first_divergence is None else self.first_divergence.to_json(),
            "random": self.random,
        }


def first_divergence(mfile: MatlabFile, func: Callable[..., Any], leaves: Leaves) -> Divergence | None:
    """The first leaf in MATLAB's order (variables in statement order, then paths within each) that differs,
    from the first case where it does; quoted at the last lines assigning its field (``nn.dW``), else its
    variable (``nn``)."""
    failing: dict[str, QuantityReport] = {}
    for report in leaves.reports:
        if not report.ok:
            failing.setdefault(report.name, report)
    differing: dict[str, Difference] = {}
    for difference in leaves.differences:
        differing.setdefault(difference.path, difference)
    for path in leaves.paths:
        r: QuantityReport | None = failing.get(path)
        d: Difference | None = differing.get(path)
        if r is None and d is None:
            continue
        if r is None:
            assert d is not None
            case, reason = d.case, f"{d.kind}: {d.reason}"
        elif (path, r.case) in leaves.complex:
            case, reason = r.case, leaves.complex[(path, r.case)] + ", and only real values are compared"
        elif r.shape != r.gold_shape:
            case, reason = r.case, leaves.hints.get(path, "shapes differ")
        elif not (np.isfinite(r.gold_sample) and np.isfinite(r.mine_sample)):
            case, reason = r.case, f"octave {r.gold_sample!r} vs numpy {r.mine_sample!r}"
        else:
            case, reason = r.case, (f"|Δ| {abs(r.gold_sample - r.mine_sample):.3g} > tolerance {r.tolerance:.3g} at "
                                    f"({','.join(str(k + 1) for k in r.worst_index)}), {r.bound_ratio:.3g} times the tolerance")  # MATLAB's index
        fields = re.match(r"\w+(?:\.\w+)*", path)
        chains = fields.group(0).split(".") if fields else [path]
        prefixes = [".".join(chains[:k]) for k in range(len(chains), 0, -1)]  # nn.dW, then nn
        st = next((x for x in (field_assignment(mfile, c) for c in prefixes[:-1]) if x is not None), None) \
            or mfile.last_assignment(prefixes[-1])
        py_file, py_lines = python_lines(func)
        names = [*prefixes, python_name(prefixes[-1])]  # the twin's lambda_ is MATLAB's lambda
        py = next((py_lines[c] for c in names if c in py_lines), None)
        return Divergence(name=path, case=case, reason=reason, matlab_file=st.file if st else mfile.path.name,
                          matlab_line=st.line if st else None, matlab_text=st.source if st else None,
                          python_file=Path(py_file).name if py_file else None, python_line=py[0] if py else None,
                          python_text=py[1] if py else None)
    return None


def root_of(path: str) -> str:
    """The top-level variable of a leaf's path: ``nn`` of ``nn.W{1}``."""
    match = re.match(r"\w+", path)
    return match.group(0) if match else path


def first_assignment(mfile: MatlabFile, path: str) -> Statement | None:
    """The statement that first assigns a leaf's field (``nn.dW{1}``: the first ``nn.dW... =``), else its variable."""
    chain = re.match(r"\w+(?:\.\w+)*", path)
    fields = chain.group(0).split(".") if chain else [path]
    for k in range(len(fields), 1, -1):
        st = field_assignment(mfile, ".".join(fields[:k]), last=False)
        if st is not None:
            return st
    return mfile.where(fields[0])


def field_assignment(mfile: MatlabFile, chain: str, last: bool = True) -> Statement | None:
    """The last (or first) statement of the file's main body storing into ``chain`` (``nn.dW``: ``nn.dW{i} = ...``)."""
    if len(mfile.files) != 1 or "." not in chain:
        return None
    pattern = re.compile(r"\s*" + r"\s*\.\s*".join(map(re.escape, chain.split("."))) + r"(?!\w)")
    functions = [n for n, line in enumerate(mfile.lines, start=1) if re.match(r"\s*function(?!\w)", line)]
    end = functions[1] if len(functions) > 1 else len(mfile.lines) + 1
    found = None
    for st in statements(list(mfile.lines)):
        if st.line < end and pattern.match(st.text) and chain.split(".", maxsplit=1)[0] in assigned_names(st.text):
            found = st
            if not last:
                break
    if found is None:
        return None
    return Statement(found.line, found.text, mfile.path.name, mfile.lines[found.line - 1].strip())


def _by_reason(named: dict[str, str]) -> dict[str, list[str]]:
    """The names grouped under their reason, in order: one escape that untracks a whole run is said once."""
    out: dict[str, list[str]] = {}
    for name, why in named.items():
        out.setdefault(why, []).append(name)
    return out
