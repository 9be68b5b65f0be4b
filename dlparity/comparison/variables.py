"""Matching the two sides' variables: every name both produce compared leaf by leaf, the rest listed; and where
each leaf's tolerance comes from (:class:`ToleranceRule`).

A name only one side produced, or a value that has no Python counterpart, is never silently dropped: it
is listed in the report. Complex values are a MISMATCH (only real values are compared).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlparity.comparison.leaves import Leaves, compare_variable, untracked_reason
from dlparity.matlab_file import MatlabFile

Array = NDArray[np.float64]


@dataclass(frozen=True)
class ToleranceRule:
    """Where each leaf's tolerance comes from: the user's ``rtol``/``atol`` for all of them, else 2E from the
    tracked bound, and for a leaf the tracker could not bound the user's fallback, if given.

    ``bounds`` holds, per case, what tracking the twin gave: output name -> its value nested as the twin returned
    it, each numeric leaf a ``TrackedValue`` (bound E and count of mask-ambiguous entries) or an
    ``Untracked`` (the reason: "numpy.linalg.solve at twin.py:14"); none when the user chose the tolerance.
    """

    user: dict[str, float] | None = None
    fallback: dict[str, float] | None = None
    bounds: list[dict[str, Any]] = field(default_factory=list)

    def tracked(self, case: int, name: str) -> Any:
        """The tracked nest of output ``name`` in case ``case`` (None where there is none)."""
        return self.bounds[case].get(name) if self.bounds else None

    def tolerance(self, tracked: Any, gold: Array, shape: tuple[int, ...]) -> tuple[Array | None, str]:
        """(the tolerance of a leaf whose tracked counterpart is ``tracked``, elementwise as ``gold``; where it comes
        from): ``"user"``, ``"derived"``, ``"fallback (REASON)"``; or None with the reason when nothing may judge it
        (the tracker could not bound it and no fallback was given)."""
        if self.user is not None:
            return self.user["atol"] + self.user["rtol"] * np.abs(gold), "user"
        reason = untracked_reason(tracked)
        if reason is not None:
            if self.fallback is None:
                return None, reason
            return self.fallback["atol"] + self.fallback["rtol"] * np.abs(gold), f"fallback ({reason})"
        error = getattr(tracked, "error", None) if tracked is not None else None
        if error is None:
            error = tracked if isinstance(tracked, np.ndarray) else np.zeros(gold.shape)
        return 2.0 * np.broadcast_to(np.reshape(np.asarray(error, dtype=np.float64), shape), gold.shape), "derived"


def compare_all(mfile: MatlabFile, labels: list[str], octave_out: list[dict[str, Any]],
                python_out: list[dict[str, Any]], input_names: set[str], rule: ToleranceRule) -> Leaves:
    """Every shared variable of every case, leaf by leaf (:mod:`dlparity.comparison.leaves`); what is not shared is
    listed; a leaf with no tolerance to judge it (untracked, no fallback) listed as not checked, never passed."""
    f = Leaves()
    order = mfile.order()
    for k, m_vals in enumerate(octave_out):
        p_vals = python_out[k]
        m_names = [n for n in order if n in m_vals]
        m_names += [n for n in sorted(m_vals) if n not in m_names and n not in input_names]
        for n in m_names:
            if n not in p_vals:
                if mfile.kind == "function" and n in mfile.outputs:  # the function's contract: never a silent pass
                    f.differ(n, labels[k], "structure",
                             f"{n} is an output {mfile.path.name} declares, and the twin does not return it: "
                             f"add \"{n}\": {n} to the dict it returns.")
                else:
                    f.note(f.matlab_only, n)
                continue
            compare_variable(f, labels[k], mfile.name, n, m_vals[n], p_vals[n], rule.tracked(k, n), rule)
        for n in p_vals:
            if n not in m_vals and n not in input_names:
                f.note(f.python_only, n)
    return f
