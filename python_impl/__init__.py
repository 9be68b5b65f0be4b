"""The line-for-line NumPy port of the derivation's MATLAB: one module per ``matlab_ref/`` file.

:mod:`python_impl.backprop` (section 1.3, ``backprop.m``), :mod:`python_impl.manual_gradients`
(section 1.2, ``manual_gradients.m``), :mod:`python_impl.gradient_forward`,
:mod:`python_impl.relu` (``ReLU.m``, ``ReLU_deriv.m``), :mod:`python_impl.run_block` and
:mod:`python_impl.train_sgd`. Like the MATLAB, nothing here checks its inputs or imports the
harness: that is the :mod:`dlparity` package.
"""

from python_impl.backprop import backprop
from python_impl.manual_gradients import manual_gradients
from python_impl.relu import ReLU, ReLU_deriv
from python_impl.run_block import run_block

__all__ = ["ReLU", "ReLU_deriv", "backprop", "manual_gradients", "run_block"]
