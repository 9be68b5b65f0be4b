"""dlparity: prove a NumPy port equal to the MATLAB it came from, within derived rounding-error bounds.

The public API::

    from dlparity import check_parity, assert_parity

    result = check_parity("routine.m", my_port.routine, {"X": X, "w": w})   # ParityResult
    result.ok, result.table(), result.to_json(), result.first_divergence
    assert_parity("routine.m", my_port.routine, {"X": X, "w": w})          # AssertionError: the table

The MATLAB side runs verbatim in GNU Octave (:mod:`dlparity.bridge`); the tolerance is derived by
running the twin on bound-tracking arrays (:mod:`dlparity.bounds.tracked`) unless ``rtol``/``atol``
are given. The port of the derivation's section 1 lives in :mod:`python_impl`, line for line with
``matlab_ref/``; this package is the harness around it. See ``docs/harness.md``.
"""

from dlparity.comparison.pair import Divergence, MatlabError, ParityResult, assert_parity, check_parity
from dlparity.validation import InputError

__all__ = ["Divergence", "InputError", "MatlabError", "ParityResult", "assert_parity", "check_parity"]
__version__ = "0.1.0"
