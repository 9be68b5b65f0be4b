"""The MATLAB side of a pair: the user's ``.m`` file(s) run verbatim in Octave, every case in one call.

A script runs in a fresh workspace holding the inputs, and every variable it assigns comes back; a
function file is called with the inputs matched to its declared arguments, and its declared outputs
come back (``dlparity/mfiles/dlparity_run_mfile.m``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlparity import wire
from dlparity.bridge import OctaveError, OctaveSide
from dlparity.comparison.inputs import CheckedInputs
from dlparity.matlab_file import MatlabFile
from dlparity.validation import InputError


class MatlabError(InputError):
    """The user's ``.m`` file failed in Octave (syntax or run-time error); the message is Octave's, with the line."""


def run_octave(mfile: MatlabFile, cases: list[CheckedInputs], octave: OctaveSide,
               folders: Sequence[Path] = (), random: Mapping[str, Any] | None = None,
               ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run every case in one Octave call, ``folders`` on Octave's path for it (restored after, also on an error);
    each case's values (name -> value, as :mod:`dlparity.values` maps them) and what to say about Octave. Values
    travel as :mod:`dlparity.wire` text and bytes, both ways.

    ``random`` (``{"mode": ..., "seeds": [one per case]}``) has each case start from
    ``dlparity_seed_case`` with the random shims on the path; the draws each case made come back in
    the second value's ``"draws"``: per case ``{"uniforms": n, "normals": m}``.
    """
    payload: list[Any] = ([dict(c.octave) for c in cases] if mfile.kind == "script"
                          else [[c.octave[a] for a in mfile.arguments if a in c.octave] for c in cases])  # trailing ones may be left out (nargin)
    t0 = time.perf_counter()
    files = [p.as_posix() for p in mfile.files]
    text, words = wire.to_octave(payload)
    extra: list[Any] = [[f.as_posix() for f in folders]] if folders or random is not None else []
    if random is not None:
        extra.append({"mode": random["mode"], "seeds": np.array([[float(s) for s in random["seeds"]]])})
    reply = octave.call("dlparity_run_mfile", mfile.kind, files[0] if len(files) == 1 else files, text, words,
                        list(mfile.outputs), *extra, nout=2)
    seconds = time.perf_counter() - t0
    try:
        answer = wire.from_octave(str(reply[0]), reply[1])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise OctaveError(f"Octave's reply to {mfile.path.name} could not be read ({exc}).") from None
    if isinstance(answer, Mapping) and "error" in answer:
        raise MatlabError(matlab_message(mfile, str(answer["error"]), list(cases[0].octave)))
    items = answer.get("results") if isinstance(answer, Mapping) else None
    items = items if isinstance(items, list) else []
    if len(items) != len(cases):
        raise OctaveError(f"Octave returned {len(items)} results for {len(cases)} cases of {mfile.path.name}.")
    results = [dict(item) if isinstance(item, Mapping) else {} for item in items]
    info = {**octave.describe(), "seconds": round(seconds, 4)}
    if random is not None:
        rows = answer.get("draws") if isinstance(answer, Mapping) else None
        counts = np.zeros((len(cases), 2)) if rows is None else np.asarray(rows, dtype=np.float64).reshape(len(cases), 2)
        info["draws"] = [{"uniforms": int(u), "normals": int(n)} for u, n in counts]
    return results, info


def matlab_message(mfile: MatlabFile, message: str, inputs: list[str]) -> str:
    """Octave's error as one sentence; an undefined name is explained in terms of the inputs."""
    text = " ".join(message.split())
    undefined = re.search(r"'(\w+)' undefined", text)
    if undefined and mfile.kind == "function" and undefined.group(1) in mfile.outputs:
        case = re.match(r"case \d+ of \d+: ", text)
        said = text[case.end():] if case else text
        return (f"matlab {mfile.path.name} failed in Octave{' in ' + case.group(0)[:-2] if case else ''}: its declared "
                f"output {undefined.group(1)!r} was never assigned on the path this case took (Octave: {said}); "
                "every output must be assigned before the function returns.")
    if undefined and mfile.kind == "script":
        return (f"matlab {mfile.path.name} failed in Octave: {text}; if {undefined.group(1)!r} is an input the script "
                f"expects, add it to the inputs (they hold {', '.join(inputs) or 'nothing'}).")
    return f"matlab {mfile.path.name} failed in Octave: {text}."

