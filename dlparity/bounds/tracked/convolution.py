r"""Convolution and correlation, as MATLAB's ``conv``, ``conv2``, ``convn`` and ``filter2`` get ported: ``np.convolve``,
``np.correlate`` and ``scipy.signal``'s ``convolve``, ``correlate``, ``convolve2d``, ``correlate2d`` in the modes
``full``, ``same`` and ``valid``, evaluated directly.

Each output entry is an inner product of at most :math:`n = \prod_d \min(s_{1,d}, s_{2,d})` terms, so the bound is
the multilinear rule of :func:`~.everyday.rule_contraction` with the same call on the magnitudes:

.. math:: E = \gamma_n\, f(|\hat a|, |\hat b|) + f(E_a, |\hat b|) + f(|\hat a| + E_a, E_b)

The value is the plain call on the plain values, bit for bit. An FFT evaluation (``method='fft'``, or
``method='auto'`` where SciPy's :func:`scipy.signal.choose_conv_method` picks it) rounds differently, with a
bound of another kind: refused in a sentence.

``scipy.signal``'s functions are not NumPy functions: given tracked arrays they would call ``np.asarray`` on
them. :func:`scipy_signal_routed` therefore replaces them, for the length of one :func:`~.run.track` run,
by functions that send tracked operands to the one dispatch path (:func:`~.dispatch.dispatch`, under the names
``scipy.signal.convolve2d`` and so on; plain operands go to SciPy unchanged): in ``scipy.signal`` itself
and wherever the twin's module bound them by name (``from scipy.signal import convolve2d``); every
replacement is restored when the run ends.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from dlparity.bounds.tracked.dispatch import dispatch, implements
from dlparity.bounds.tracked.everyday import contraction
from dlparity.bounds.tracked.values import Tracked, TrackedMask, UntrackedArray, _wrap, refuse

_MODES = ("full", "same", "valid")


def _terms(a: Tracked, b: Tracked) -> int:
    """The most terms of one output entry: the overlap of the two operands along every axis."""
    return max(math.prod(min(p, q) for p, q in zip(a.v.shape, b.v.shape, strict=True)), 1)


def _mode(name: str, mode: Any) -> str:
    if mode not in _MODES:
        refuse(f"{name} with mode={mode!r}", "the modes are 'full', 'same' and 'valid'")
    return str(mode)


def _numpy_rule(func: Callable[..., Any], default: str) -> Callable[..., Tracked]:
    name = f"numpy.{func.__name__}"

    def rule(a: Any, v: Any, mode: Any = default) -> Tracked:
        ta, tv = _wrap(a, name), _wrap(v, name)
        if ta.v.ndim != 1 or tv.v.ndim != 1:
            refuse(f"{name} of operands of shapes {ta.v.shape} and {tv.v.shape}", "it takes 1-D arrays")
        m = _mode(name, mode)
        return contraction(name, lambda x, y: func(x, y, m), [ta, tv], _terms(ta, tv))
    return rule


implements("convolve")(_numpy_rule(np.convolve, "full"))
implements("correlate")(_numpy_rule(np.correlate, "valid"))


def _is_tracked(x: Any) -> bool:
    return isinstance(x, (Tracked, TrackedMask, UntrackedArray))


def _scipy_signal(name: str) -> Callable[..., Any]:
    """SciPy's own ``scipy.signal.<name>`` (from its defining module, whatever the routing has replaced)."""
    from scipy.signal import _signaltools  # noqa: PLC0415 (SciPy is needed only by twins that call it)

    return getattr(_signaltools, name)


def _signal_rule(name: str) -> Callable[..., Any]:
    """The rule of ``scipy.signal.<name>`` (registered as ``scipy.signal.<name>``): SciPy's value, direct sums only."""
    full_name = f"scipy.signal.{name}"

    def rule(in1: Any, in2: Any, mode: str = "full", *args: Any, **kwargs: Any) -> Any:
        import scipy.signal  # noqa: PLC0415
        from scipy.signal._signaltools import _inputs_swap_needed  # noqa: PLC0415

        plain = _scipy_signal(name)
        a, b = _wrap(in1, full_name), _wrap(in2, full_name)
        m = _mode(full_name, mode)
        if name.endswith("2d"):  # boundary 'fill', 'wrap', 'symm': each output entry still a sum of products
            fillvalue = kwargs.get("fillvalue", args[1] if len(args) > 1 else 0)
            if _is_tracked(fillvalue) or fillvalue != 0:
                refuse(f"{full_name} with fillvalue={fillvalue!r}", "only the zero fill is tracked")
        else:
            method = kwargs.get("method", args[0] if args else "auto")
            if method == "auto":  # SciPy's own choice, made as convolve makes it (after its swap)
                x, y = (b.v, a.v) if _inputs_swap_needed(m, a.v.shape, b.v.shape) else (a.v, b.v)
                method = scipy.signal.choose_conv_method(x, y, mode=m)
            if method != "direct":
                refuse(f"{full_name} by FFT (method={method!r})",
                       "an FFT rounds differently from the direct sums the bound is derived for; pass method='direct'")
            args, kwargs = (), {**kwargs, "method": "direct"}
        return contraction(full_name, lambda x, y: plain(x, y, m, *args, **kwargs), [a, b], _terms(a, b))
    return rule


SIGNAL_FUNCTIONS = ("convolve", "correlate", "convolve2d", "correlate2d")
for _name in SIGNAL_FUNCTIONS:
    implements(f"scipy.signal.{_name}")(_signal_rule(_name))


def _routed(name: str, plain: Callable[..., Any]) -> Callable[..., Any]:
    """``scipy.signal.<name>`` during a run: tracked operands go to the one dispatch path, plain ones to SciPy."""
    @functools.wraps(plain)
    def routed(*args: Any, **kwargs: Any) -> Any:
        if not any(_is_tracked(a) for a in (*args, *kwargs.values())):
            return plain(*args, **kwargs)
        return dispatch(f"scipy.signal.{name}", plain, args, kwargs)
    return routed


def _module_namespaces(twin: Any, depth: int = 4) -> list[dict[str, Any]]:
    """The module namespaces of ``twin`` and of the functions it wraps (``functools.partial``, ``__wrapped__``, a
    closure's functions: the comparison layer calls the twin through such wrappers), each once."""
    found: list[dict[str, Any]] = []
    todo, seen = [(twin, 0)], set()
    while todo:
        f, level = todo.pop()
        if id(f) in seen or level > depth:
            continue
        seen.add(id(f))
        g = getattr(f, "__globals__", None)
        if isinstance(g, dict) and all(g is not h for h in found):
            found.append(g)
        inner = [getattr(f, "func", None), getattr(f, "__wrapped__", None)]
        inner += [c.cell_contents for c in (getattr(f, "__closure__", None) or ()) if _filled(c)]
        todo += [(x, level + 1) for x in inner if callable(x)]
    return found


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 (an empty cell raises)
    except ValueError:
        return False
    return True


@functools.cache
def _routing() -> dict[int, tuple[str, Callable[..., Any]]]:
    """SciPy's function's id -> (its name, its routed stand-in), made once."""
    return {id(_scipy_signal(name)): (name, _routed(name, _scipy_signal(name))) for name in SIGNAL_FUNCTIONS}


@contextlib.contextmanager
def scipy_signal_routed(twin: Callable[..., Any]) -> Iterator[None]:
    """For one run of ``twin``: ``scipy.signal``'s convolutions take tracked operands (see the module's notes);
    everything replaced is put back on exit. A no-op where SciPy is not imported (nothing can call it)."""
    signal = sys.modules.get("scipy.signal")
    if signal is None:
        yield
        return
    routing = _routing()
    replaced: list[tuple[dict[str, Any], str, Any]] = []
    namespace = vars(signal)
    for name in SIGNAL_FUNCTIONS:
        value = namespace.get(name)
        if id(value) in routing:
            replaced.append((namespace, name, value))
            namespace[name] = routing[id(value)][1]
    for twin_globals in _module_namespaces(twin):  # from scipy.signal import convolve2d, in the twin's module
        if twin_globals is namespace:
            continue
        bound = [(key, value) for key, value in twin_globals.items() if id(value) in routing and callable(value)]
        for key, value in bound:
            replaced.append((twin_globals, key, value))
            twin_globals[key] = routing[id(value)][1]
    try:
        yield
    finally:
        for target, key, value in reversed(replaced):
            target[key] = value
