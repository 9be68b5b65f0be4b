"""The one dispatch table: NumPy's name of an operation -> its rule, and the one path every operation takes to it.

:func:`implements` registers a rule (as pint's ``implements`` does); :func:`dispatch` calls it. Everything reaches
:func:`dispatch`: the operators of :class:`~.values.Tracked` and :class:`~.values.TrackedMask` (``a + b`` is
``dispatch("add", (a, b))``, ``x[i]`` is ``dispatch("getitem", (x, i))``), their ``sum``/``mean``/``max``/``min``
methods, ufuncs (``__array_ufunc__``, NEP 13) and NumPy functions (``__array_function__``, NEP 18). A ufunc is
registered under its name (``add``, ``maximum``), a ufunc method as ``add.reduce``, a function under its name in
NumPy's namespace (``sum``, ``linalg.norm``). An operation without a rule, or whose rule returns
``NotImplemented`` for these arguments, is refused in one sentence naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlparity.bounds.tracked.values import Tracked, TrackedMask, _refused_attribute, refuse

#: NumPy's name of an operation -> its rule, called with the operation's own arguments
RULES: dict[str, Callable[..., Any]] = {}


def implements(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated rule under each of ``names`` (NumPy's names: ``add``, ``sum``, ``linalg.norm``)."""
    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            RULES[name] = rule
        return rule
    return register


def dispatch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
    """``name(*args, **kwargs)`` by its registered rule; refused when there is none (or it declines the arguments)."""
    rule = RULES.get(name)
    if rule is not None:
        out = rule(*args, **kwargs) if kwargs else rule(*args)
        if out is not NotImplemented:
            return out
    refuse(f"numpy.{name}")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_ufunc__`` (NEP 13): ``np.add(a, b)`` is ``dispatch("add", (a, b))``; ``out=`` and other options
    refused, ufunc methods (``np.add.reduce``) under their own names."""
    if method != "__call__":
        return dispatch(f"{ufunc.__name__}.{method}", inputs, kwargs)
    if kwargs:
        what = "out=" if "out" in kwargs else ", ".join(f"{k}=" for k in kwargs)
        refuse(f"numpy.{ufunc.__name__} with {what}", "writes into given arrays and other ufunc options are not tracked")
    return dispatch(ufunc.__name__, inputs)


def numpy_name(func: Any) -> str:
    """A NumPy function's name in NumPy's namespace: ``sum``, ``linalg.norm`` (``numpy._core`` is ``numpy``)."""
    module = func.__module__ or "numpy"
    if module == "numpy" or module.startswith(("numpy._core", "numpy.core")) or not module.startswith("numpy."):
        return str(func.__name__)
    return f"{module.removeprefix('numpy.')}.{func.__name__}"


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_function__`` (NEP 18): ``np.sum(x, axis=1)`` is ``dispatch("sum", (x,), {"axis": 1})``."""
    return dispatch(numpy_name(func), args, kwargs)


# -- the operators: attached to the value types, each a call of dispatch -----------------------------------

#: operator -> (NumPy's name of its operation, whether the operands are swapped)
OPERATORS: dict[str, tuple[str, bool]] = {
    "__add__": ("add", False), "__radd__": ("add", True), "__sub__": ("subtract", False),
    "__rsub__": ("subtract", True), "__mul__": ("multiply", False), "__rmul__": ("multiply", True),
    "__truediv__": ("divide", False), "__rtruediv__": ("divide", True), "__matmul__": ("matmul", False),
    "__rmatmul__": ("matmul", True), "__pow__": ("power", False), "__rpow__": ("power", True),
    "__gt__": ("greater", False), "__ge__": ("greater_equal", False), "__lt__": ("less", False),
    "__le__": ("less_equal", False), "__eq__": ("equal", False), "__ne__": ("not_equal", False),
    "__getitem__": ("getitem", False),
}
#: the operators a comparison mask has (NumPy's booleans: no @ or ** of their own here)
MASK_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
                  "__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__", "__getitem__")


def _operator(name: str, swapped: bool) -> Callable[[Any, Any], Any]:
    if swapped:
        def reflected(self: Any, other: Any) -> Any:
            return dispatch(name, (other, self))
        return reflected

    def operator(self: Any, other: Any) -> Any:
        return dispatch(name, (self, other))
    return operator


def _method(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return dispatch(name, (self, *args), kwargs)
    method.__name__ = name
    return method


def _array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    return array_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    return array_function(func, args, kwargs)


for _dunder, (_name, _swapped) in OPERATORS.items():
    setattr(Tracked, _dunder, _operator(_name, _swapped))
    if _dunder in MASK_OPERATORS:
        setattr(TrackedMask, _dunder, _operator(_name, _swapped))
for _cls in (Tracked, TrackedMask):
    setattr(_cls, "__array_ufunc__", _array_ufunc)  # noqa: B010 (attached after the class, as every operator)
    setattr(_cls, "__array_function__", _array_function)  # noqa: B010
for _name in ("sum", "mean", "max", "min"):
    setattr(Tracked, _name, _method(_name))
TrackedMask.sum = _method("sum")  # type: ignore[method-assign]  # a count of the mask's entries

for _cls in (Tracked, TrackedMask):  # NumPy's other public attributes: one sentence naming each, not a raw error
    for _name in dir(np.ndarray):
        if not _name.startswith("_") and not hasattr(_cls, _name):
            setattr(_cls, _name, _refused_attribute(_name))
