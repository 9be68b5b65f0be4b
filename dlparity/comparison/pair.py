r"""Parity of any MATLAB/NumPy pair: a user's ``.m`` file in Octave against its NumPy twin, variable by variable.

:func:`check_parity` runs the MATLAB side verbatim in Octave (a **script** in a fresh workspace
holding the inputs, every variable it assigns coming back; or a **function file** called with
the inputs matched to its declared argument names, its declared outputs coming back), runs the
Python callable with the same inputs as keyword arguments (it returns a dict name -> array),
and compares every name the two sides share, in the MATLAB side's statement order: shapes
first, then values, against a tolerance that is by default *derived*: the Python callable is
evaluated once more on bound-tracking arrays (:mod:`dlparity.bounds.tracked`), which give a
rounding-error bound E for every variable; each side is within E of the exact result, so two
correct sides differ by at most 2E. ``rtol=``/``atol=`` replace it with
``atol + rtol * |matlab value|``, and the report says the user chose it. A variable the tracker
cannot bound (an operation without a rule) is compared against ``fallback_rtol=``/``fallback_atol=``
when given, and otherwise listed as not checked: the verdict is then not a pass.

Every check on the inputs, the Python side and the tolerance runs before anything reaches
Octave; each failure is one sentence (:class:`dlparity.validation.InputError`).

This module is the orchestration; the parts are: :mod:`~dlparity.comparison.loading` (the pair
read and the twin imported, called, its source read), :mod:`~dlparity.comparison.inputs` (the
checks), :mod:`~dlparity.comparison.matlab_side` (the ``.m`` run in Octave),
:mod:`~dlparity.comparison.variables` (the two sides' variables matched and compared) and
:mod:`~dlparity.comparison.report` (:class:`ParityResult`: the table and the JSON).
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from dlparity import random as mr
from dlparity.bridge import OctaveSide
from dlparity.comparison.inputs import check_cases, check_matlab_side, check_path, check_tolerance
from dlparity.comparison.leaves import shape_hint, track_nested
from dlparity.comparison.loading import check_signature, load_callable, load_pair, one_line, run_python
from dlparity.comparison.matlab_side import MatlabError, run_octave
from dlparity.comparison.report import Divergence, ParityResult, first_divergence
from dlparity.comparison.variables import ToleranceRule, compare_all
from dlparity.validation import InputError

#: Functions called with every finished :class:`ParityResult` (the pytest plugin's summary line).
OBSERVERS: list[Callable[[ParityResult], None]] = []

__all__ = ["OBSERVERS", "Divergence", "MatlabError", "ParityResult", "assert_parity", "check_parity",
           "load_callable", "run_python", "shape_hint"]


def check_parity(
    matlab: str | Path | Sequence[str | Path],
    python: Callable[..., Mapping[str, Any]] | str,
    inputs: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    rtol: float | None = None,
    atol: float | None = None,
    bridge: OctaveSide | None = None,
    labels: Sequence[str] | None = None,
    fallback_rtol: float | None = None,
    fallback_atol: float | None = None,
    path: str | Path | Sequence[str | Path] | None = None,
    random_seed: int | None = None,
    random_mode: str = "octave",
) -> ParityResult:
    r"""Run a MATLAB file in Octave and its NumPy twin on the same inputs; compare every shared variable.

    Parameters
    ----------
    matlab : path, or a sequence of paths
        A MATLAB **script** (run in a fresh workspace holding the inputs; every variable it
        assigns comes back) or **function file** (called with the inputs matched to its declared
        argument names; its declared outputs come back). Run verbatim by GNU Octave. Several
        scripts run one after another in one workspace (as a driver would call them).
    python : callable or str
        The twin, called as ``python(**inputs)``, returning a dict name -> array; or
        ``"MODULE:FUNCTION"`` (MODULE importable or a path to a ``.py`` file).
    inputs : dict of str to value, or a sequence of them
        One case, or many (all go to Octave in one call). Values are arrays, numbers, booleans,
        strings, and dicts (structs), lists (cells), :class:`~dlparity.values.Cell` and
        :class:`~dlparity.values.StructArray` of them to any depth (docs/harness.md has the one
        mapping). NumPy's default int64 arrays and Python ints reach MATLAB as doubles; other
        integer dtypes, float32 and bool keep their MATLAB class. Names must be valid MATLAB names.
    rtol, atol : float, optional
        Chosen tolerance ``atol + rtol * |matlab value|`` instead of the automatic one (2x the
        rounding-error bound tracked through the twin); either may be given alone.
    bridge : dlparity.bridge.OctaveSide, optional
        The Octave side: a live session (default: the shared one), a recording one, or stored results.
    labels : sequence of str, optional
        A name per case for the report (default ``"1"``, ``"2"``, …).
    fallback_rtol, fallback_atol : float, optional
        The tolerance ``fallback_atol + fallback_rtol * |matlab value|`` for the variables the
        automatic tolerance cannot bound (they depend on an operation the tracker has no rule
        for, named in the report); every other variable keeps its derived tolerance. Without
        them such variables are listed as not checked and ``ok`` is False (``status`` "not
        checked"): never a silent pass. Not with ``rtol``/``atol``, which already cover all.
    path : folder or sequence of folders, optional
        More folders on Octave's path for the call, behind the ``.m`` file's own folder, in the
        order given (helpers in ``util/`` beside ``NN/``); Octave's path is restored exactly
        afterwards, also when the MATLAB fails. Recorded results key on them, and their ``.m``
        files count for freshness.
    random_seed : int, optional
        The seed (0 to 2^32 - 1) every case's generators start from, on both sides; by default each
        case's own, :func:`dlparity.random.case_seed` of its label. See docs/harness.md, code that draws.
    random_mode : {"octave", "stream"}
        How ``rand``, ``randn``, ``randi``, ``randperm`` and ``rng`` draw: as GNU Octave does (the twin
        draws through :mod:`dlparity.random`, bit for bit), or from the documented stream of the shims.

    Returns
    -------
    ParityResult
        ``.ok``, ``.status``, ``.reports``, ``.table()``, ``.to_json()``, ``.first_divergence``.

    Raises
    ------
    InputError
        Bad input of any kind (one sentence), before anything reaches Octave; also when the
        automatic tolerance is unavailable (the sentence names the operation).
    MatlabError
        The ``.m`` file failed in Octave (Octave's own message, with the line).
    dlparity.bridge.OctaveUnavailable, dlparity.bridge.OctaveError
        Octave is missing, or failed outside the user's code.
    """
    mfile, func, label = load_pair(matlab, python)
    cases, names = check_cases(inputs, labels)
    folders = check_path(path)
    user = check_tolerance(rtol, atol)
    fallback = check_tolerance(fallback_rtol, fallback_atol, "fallback_")
    if user is not None and fallback is not None:
        raise InputError("fallback_rtol/fallback_atol (--fallback-rtol/--fallback-atol) are for the variables the "
                         "automatic tolerance cannot bound, and rtol/atol (--rtol/--atol) replace it for every variable; "
                         "give one or the other.")
    check_matlab_side(mfile, cases)
    for c in cases:
        check_signature(func, list(c.python), label)
    if random_mode not in mr.MODES:
        raise InputError(f"random_mode {random_mode!r} is not known; expected one of {', '.join(mr.MODES)}.")
    seeds = [mr.case_seed(n) for n in names] if random_seed is None else [_checked_seed(random_seed)] * len(cases)

    # The Python side and its bounds first: their failures are the user's to fix, and Octave need not start.
    # Each run of the twin, plain or tracked, starts from its case's seed, as the MATLAB side will.
    t0 = time.perf_counter()
    python_out = []
    twin_draws = []
    for c, seed in zip(cases, seeds, strict=True):
        mr.seed_case(seed, random_mode)
        python_out.append(run_python(func, c.python, label))
        twin_draws.append(mr.draw_counts())
    python_seconds = time.perf_counter() - t0
    bounds = []
    if user is None:
        for c, seed in zip(cases, seeds, strict=True):
            with mr.draws_tracked():  # seeded at every call: the tracker may run the twin more than once
                bounds.append(tracked_tolerances(_seeded(func, seed, random_mode), c.python, label))
    mr.set_mode("octave")
    rule = ToleranceRule(user=user, fallback=fallback, bounds=bounds)

    # The MATLAB side: every case in one Octave call.
    if bridge is None:
        from dlparity.bridge import get_bridge  # noqa: PLC0415

        bridge = get_bridge()
    octave_out, octave_info = run_octave(mfile, cases, bridge, folders, {"mode": random_mode, "seeds": seeds})
    matlab_draws = octave_info.pop("draws")

    # Compare, in the MATLAB side's statement order.
    found = compare_all(mfile, names, octave_out, python_out, set(cases[0].python), rule)
    first = first_divergence(mfile, func, found)
    description = (f"chosen by the user: atol {user['atol']:g} + rtol {user['rtol']:g} x |octave value|" if user else
                   "automatic: 2 x the rounding-error bound tracked through the NumPy twin (docs/error-bounds.md)"
                   + (f"; where it cannot bound a variable, the fallback atol {fallback['atol']:g} + rtol "
                      f"{fallback['rtol']:g} x |octave value|" if fallback else ""))
    complex_values: dict[str, str] = {}
    for (name, _), why in found.complex.items():
        complex_values.setdefault(name, why)  # the first case's
    if first is not None:
        k = names.index(first.case)
        first = replace(first, draws=mr.draws_sentence(matlab_draws[k], twin_draws[k]))
    random = {"mode": random_mode, "seeds": seeds,
              "draws": [{"matlab": m, "twin": t} for m, t in zip(matlab_draws, twin_draws, strict=True)]}
    result = ParityResult(
        matlab=mfile, python=label, case_labels=names, reports=found.reports, matlab_only=found.matlab_only,
        python_only=found.python_only, not_compared=found.not_compared, tolerance=description, user_tolerance=user,
        first_divergence=first, octave=octave_info, python_seconds=python_seconds, shape_hints=found.hints,
        values=[{"octave": m, "numpy": p} for m, p in zip(octave_out, python_out, strict=True)],
        complex_values=complex_values, fallback_tolerance=fallback, tolerance_from=found.tolerance_from,
        not_checked=found.not_checked, differences=found.differences, texts_compared=found.texts,
        compared=found.compared, function=func, random=random)
    for observer in list(OBSERVERS):
        observer(result)
    return result


def assert_parity(*args: Any, **kwargs: Any) -> ParityResult:
    """:func:`check_parity`, raising ``AssertionError`` whose message is the side-by-side table unless ``ok`` (on a
    mismatch, on nothing compared, and on variables not checked)."""
    __tracebackhide__ = True
    result = check_parity(*args, **kwargs)
    if not result.ok:
        raise AssertionError("MATLAB/NumPy parity failed\n" + result.table())
    return result



def tracked_tolerances(func: Callable[..., Any], inputs: dict[str, Any], label: str) -> dict[str, Any]:
    """The twin's outputs as the tracker returned them, nested as the twin returns them: each numeric leaf a
    ``TrackedValue`` (its rounding-error bound E and count of ambiguous comparisons) or an ``Untracked`` (why the
    tracker could not bound it: an operation without a rule, named with the twin's line)."""
    from dlparity.bounds.tracked import UnsupportedOperation, track  # noqa: PLC0415

    try:
        with np.errstate(all="ignore"):  # a value or bound that stops being finite is refused in one sentence
            return track_nested(track, func, copy.deepcopy(inputs))  # its own copy, as the plain run has
    except UnsupportedOperation as exc:  # the whole run void (a bound not finite): no variable can be bounded
        raise InputError(f"the automatic tolerance is unavailable for {label}: {exc}") from None  # it says rtol=/atol=
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"python function {label} raised {one_line(exc)} while its rounding-error bounds were "
                         "tracked.") from None


def _seeded(func: Callable[..., Any], seed: int, mode: str) -> Callable[..., Any]:
    """``func`` with :mod:`dlparity.random` put in the case's state before every call."""
    @functools.wraps(func)
    def run(**kwargs: Any) -> Any:
        mr.seed_case(seed, mode)
        return func(**kwargs)
    return run


def _checked_seed(seed: object) -> int:
    """``random_seed`` as an int from 0 to 2^32 - 1, or one sentence."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= 2**32 - 1:
        raise InputError(f"random_seed must be a whole number from 0 to 2^32 - 1 (4294967295); got {seed!r}.")
    return int(seed)
