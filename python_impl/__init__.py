"""dlparity: a line-for-line NumPy port of the derivation's MATLAB, and the harness that checks it against Octave.

Modules are named after their MATLAB twins in ``matlab_ref/``: :mod:`python_impl.backprop`
(section 1.3), :mod:`python_impl.manual_gradients` (section 1.2), :mod:`python_impl.relu`,
:mod:`python_impl.run_block`.
"""

from python_impl.backprop import backprop
from python_impl.manual_gradients import manual_gradients
from python_impl.relu import ReLU, ReLU_deriv
from python_impl.run_block import run_block
from python_impl.validation import InputError, check_block_inputs

__all__ = ["InputError", "ReLU", "ReLU_deriv", "backprop", "check_block_inputs", "manual_gradients", "run_block"]
__version__ = "0.1.0"
