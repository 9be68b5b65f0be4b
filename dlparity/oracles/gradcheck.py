r"""Check the document's gradients against two oracles that share no code with them.

For each case, both blocks (section 1.3 ``backprop`` and section 1.2 ``manual``) are run in NumPy
and, when a bridge is given, in Octave (one batched call per form). Each of their six gradients
is then compared with

* central finite differences of the loss (:mod:`dlparity.oracles.finite_differences`), entry by entry
  on the coordinates whose step crosses no ReLU kink, within
  :math:`E_g + E_{FD}`: the block's rounding bound plus the difference's own error bound;
* reverse-mode autodiff in float64, on every entry, within :math:`2 E_g`: both are
  rounding-error-bounded evaluations of the same exact gradient. Two libraries, each with the
  loss written again: HIPS ``autograd`` (oracle ``'autograd'``, :mod:`dlparity.oracles.autograd_oracle`,
  a dependency, so it runs everywhere) and PyTorch (oracle ``'autodiff'``,
  :mod:`dlparity.oracles.autodiff`, the optional ``[oracle]`` extra).

:math:`E_g` is :func:`dlparity.bounds.hand.block_error_bounds`, widened where a ReLU mask is
ambiguous. Every tolerance is therefore derived, not chosen (``docs/error-bounds.md``).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dlparity.blocks import FORMS, Form, run_octave_cases
from dlparity.bounds.hand import Bounds, block_error_bounds
from dlparity.bridge import OctaveSide
from dlparity.cases import Case
from dlparity.oracles.autodiff import autodiff_gradients
from dlparity.oracles.autograd_oracle import autograd_gradients
from dlparity.oracles.finite_differences import FiniteDifferences, finite_differences

Array = NDArray[np.float64]
Oracle = Literal["fd", "autograd", "autodiff"]
#: The oracles ``dlparity gradcheck --oracle`` offers: finite differences and PyTorch.
ORACLES: tuple[Oracle, ...] = ("fd", "autodiff")
#: Every oracle :func:`gradcheck` can run; ``'autograd'`` (HIPS autograd) needs no PyTorch.
ALL_ORACLES: tuple[Oracle, ...] = ("fd", "autograd", "autodiff")
SIDES: tuple[str, ...] = ("numpy", "octave")

#: The gradients both blocks produce, in the document's order (output layer first).
GRADIENTS: tuple[str, ...] = ("dW3", "db3", "dW2", "db2", "dW1", "db1")

# The module, not the function the package re-exports under the same name: the blocks are looked
# up through it at call time, so a test can plant a wrong port there (parity_tests/test_gradcheck_cli.py).
_run_block = importlib.import_module("dlparity.blocks")


@dataclass(frozen=True)
class OracleCheck:
    """One gradient of one block on one side, compared with one oracle.

    ``max_rel_err`` is normwise: the largest entry difference over the largest entry magnitude
    (of either array) among the compared entries, 0 when both are all zero. ``bound_ratio`` is the
    largest difference over its tolerance; ``ok`` means every compared entry is within tolerance,
    which holds vacuously when ``checked`` is 0 (every sampled finite-difference step crossed a
    ReLU kink): then nothing was checked and :attr:`verdict` is ``'n/a'``, never ``'ok'``.
    """

    case: str
    replay: str
    side: str
    form: str
    name: str
    oracle: str
    checked: int
    excluded: int
    max_rel_err: float
    max_abs_err: float
    bound_ratio: float
    ok: bool
    worst_index: tuple[int, ...] = field(default=())
    mine: float = float("nan")
    gold: float = float("nan")
    tolerance: float = float("nan")

    @property
    def verdict(self) -> str:
        """``'FAIL'`` when a compared entry exceeds its tolerance, ``'n/a'`` when no entry was compared, else ``'ok'``."""
        if not self.ok:
            return "FAIL"
        return "n/a" if self.checked == 0 else "ok"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["worst_index"] = list(self.worst_index)
        out["verdict"] = self.verdict
        return out

    def message(self) -> str:
        """One line naming the quantity, the case and both values (for test failures)."""
        at = ",".join(map(str, self.worst_index))
        return (f"{self.side}/{self.form} {self.name}[{at}] vs {self.oracle}: mine={self.mine!r} "
                f"{self.oracle}={self.gold!r} |diff|={self.max_abs_err:.3g}, tolerance {self.tolerance:.3g} "
                f"(bound ratio {self.bound_ratio:.3g}, rel err {self.max_rel_err:.3g}, "
                f"{self.excluded} kink-excluded) in case {self.case}; replay: {self.replay}")


def compare_with_oracle(
    case: Case, side: str, form: str, name: str, oracle: str,
    mine: Array, gold: Array, tolerance: Array, compared: NDArray[np.bool_], excluded: int = 0,
) -> OracleCheck:
    """Compare ``mine`` with the oracle's ``gold`` on the ``compared`` entries, elementwise within ``tolerance``."""
    mine = np.asarray(mine, dtype=np.float64)
    if mine.shape != gold.shape:
        nan = float("nan")
        return OracleCheck(case.describe(), case.replay(), side, form, name, oracle, 0, excluded,
                           nan, nan, float("inf"), False, mine=nan, gold=nan, tolerance=nan)
    diff = np.where(compared, np.abs(mine - np.where(compared, gold, 0.0)), 0.0)
    tol = np.where(compared, tolerance, np.inf)
    ratio = np.divide(diff, tol, out=np.where(diff > 0, np.inf, 0.0), where=tol > 0)
    worst = np.unravel_index(int(np.argmax(ratio)), mine.shape)
    if ratio[worst] == 0:
        worst = np.unravel_index(int(np.argmax(diff)), mine.shape)
    scale = max(float(np.abs(mine[compared]).max(initial=0.0)), float(np.abs(gold[compared]).max(initial=0.0)))
    max_abs = float(diff.max(initial=0.0))
    return OracleCheck(
        case=case.describe(), replay=case.replay(), side=side, form=form, name=name, oracle=oracle,
        checked=int(compared.sum()), excluded=excluded,
        max_rel_err=max_abs / scale if scale > 0 else 0.0, max_abs_err=max_abs,
        bound_ratio=float(ratio.max(initial=0.0)), ok=bool(np.all(diff <= tol)),
        worst_index=tuple(int(k) for k in worst), mine=float(mine[worst]),
        gold=float(gold[worst]) if compared[worst] else float("nan"),
        tolerance=float(tolerance[worst]) if compared[worst] else float("nan"))


@dataclass
class GradcheckResult:
    """Every block evaluation of one case, both oracles, and the comparisons."""

    case: Case
    bounds: Bounds
    values: dict[str, dict[str, dict[str, Array]]]  # side -> form -> name -> array
    fd: FiniteDifferences | None
    autodiff: dict[str, Array] | None
    checks: list[OracleCheck]
    autograd: dict[str, Array] | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def failures(self) -> list[OracleCheck]:
        return [c for c in self.checks if not c.ok]

    def unchecked(self) -> list[OracleCheck]:
        """Comparisons that compared no entry (verdict ``'n/a'``): ``ok`` only because nothing was checked."""
        return [c for c in self.checks if c.verdict == "n/a"]


def check_values(
    case: Case, bounds: Bounds, values: dict[str, dict[str, dict[str, Array]]],
    fd: FiniteDifferences | None, ad: dict[str, Array] | None, ag: dict[str, Array] | None = None,
) -> list[OracleCheck]:
    """Compare every side's and form's gradients with each oracle that was run (``ad``: PyTorch, ``ag``: autograd)."""
    checks = []
    for side, forms in values.items():
        for form, v in forms.items():
            for name in GRADIENTS:
                if fd is not None:
                    compared = fd.checked(name)
                    tol = bounds.error[name] + np.where(compared, fd.error[name], 0.0)
                    checks.append(compare_with_oracle(case, side, form, name, "fd", v[name], fd.grad[name],
                                                      tol, compared, fd.excluded(name)))
                for oracle, grads in (("autograd", ag), ("autodiff", ad)):
                    if grads is not None:
                        everywhere = np.ones(grads[name].shape, dtype=bool)
                        checks.append(compare_with_oracle(case, side, form, name, oracle, v[name], grads[name],
                                                          bounds.tolerance(name), everywhere))
    return checks


def gradcheck(
    cases: Sequence[Case], forms: Sequence[Form] = FORMS, oracles: Sequence[Oracle] = ORACLES,
    bridge: OctaveSide | None = None, coords: int | None = None,
) -> list[GradcheckResult]:
    """Run the blocks on every case (NumPy, and Octave when ``bridge`` is given) and check them against the oracles.

    Parameters
    ----------
    cases : sequence of Case
        Seeded inputs; the same arrays go to NumPy, Octave and both oracles.
    forms : sequence of {'backprop', 'manual'}
        Which blocks to check.
    oracles : sequence of {'fd', 'autograd', 'autodiff'}
        Which oracles to run; ``'autograd'`` needs the ``autograd`` package (a dependency),
        ``'autodiff'`` needs PyTorch (:class:`dlparity.oracles.autodiff.OracleUnavailable`).
    bridge : dlparity.bridge.OctaveSide, optional
        When given, each form runs in Octave on all cases in one call.
    coords : int, optional
        At most this many finite-difference coordinates per parameter (seeded by the case's seed);
        all when None.

    Returns
    -------
    list of GradcheckResult
        One per case, in order.
    """
    values: list[dict[str, dict[str, dict[str, Array]]]] = []
    for case in cases:
        # looked up at call time through the module, so a test can plant a wrong port there
        values.append({"numpy": {form: _run_block.run_checked(form, case.inputs) for form in forms}})
    if bridge is not None:
        for form in forms:
            outs = run_octave_cases(bridge, form, [c.inputs for c in cases])
            for v, out in zip(values, outs, strict=True):
                v.setdefault("octave", {})[form] = out
    results = []
    for case, v in zip(cases, values, strict=True):
        # the bounds need the section 1.3 intermediates; the NumPy port's are first-order
        # equal to any correct side's (error_bounds.py)
        bp = v["numpy"].get("backprop") or _run_block.run_checked("backprop", case.inputs)
        bounds = block_error_bounds(case.inputs, bp)
        fd = finite_differences(case.inputs, coords=coords, seed=case.seed) if "fd" in oracles else None
        ad = autodiff_gradients(case.inputs) if "autodiff" in oracles else None
        ag = autograd_gradients(case.inputs) if "autograd" in oracles else None
        results.append(GradcheckResult(case, bounds, v, fd, ad, check_values(case, bounds, v, fd, ad, ag), ag))
    return results
