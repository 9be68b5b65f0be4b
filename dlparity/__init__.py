"""dlparity: prove a NumPy port equal to the MATLAB it came from, within derived rounding-error bounds.

The port of the derivation's section 1 lives in :mod:`python_impl` (line for line with
``matlab_ref/``); this package is the harness around it.
"""

from dlparity.validation import InputError

__all__ = ["InputError"]
__version__ = "0.1.0"
