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

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from dlparity.bounds.tracked.values import (
    _RUN,
    RunRefused,
    Tracked,
    TrackedMask,
    UnsupportedOperation,
    UntrackedArray,
    _plain,
    _refused_attribute,
    escape,
    refuse,
    untracked,
    where_in_twin,
)

#: NumPy's name of an operation -> its rule, called with the operation's own arguments
RULES: dict[str, Callable[..., Any]] = {}


def implements(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated rule under each of ``names`` (NumPy's names: ``add``, ``sum``, ``linalg.norm``)."""
    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        for name in names:
            RULES[name] = rule
        return rule
    return register


def dispatch(name: str, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> Any:
    """``name(*args, **kwargs)`` by its registered rule; ``func`` is the plain operation (``np.add``, ``operator.add``).

    Without a rule (or when the rule declines these arguments, or refuses them: a division by an interval holding 0)
    the operation is refused, naming it; inside a :func:`~dlparity.bounds.tracked.track` run its result is
    instead NumPy's plain one, untracked, naming the operation and the twin's line. An operation on an untracked
    value is untracked with that value's reason. A :class:`~.values.RunRefused` (overflow: :class:`~.values.BoundVoid`) is always raised.
    """
    if name != "setitem":  # a write changes its target in place: its rule decides (see operations.setitem)
        for a in args:
            if type(a) is UntrackedArray or (type(a) in (list, tuple) and any(type(b) is UntrackedArray for b in a)):
                return _untracked_call(func, args, kwargs, _first_reason(args))
    rule = RULES.get(name)
    if rule is not None:
        try:
            out = rule(*args, **kwargs) if kwargs else rule(*args)
        except RunRefused:
            raise
        except UnsupportedOperation as exc:
            if _RUN.get() is None:
                raise
            if not exc.op:
                exc.op = f"numpy.{name}"
            try:
                return _untracked_call(func, args, kwargs, exc.naming(where_in_twin()))
            except Exception:  # plain NumPy fails there too (an int beyond float64): the refusal says why
                raise exc from None
        if out is not NotImplemented:
            return out
    if _RUN.get() is None:
        refuse(f"numpy.{name}")
    return _untracked_call(func, args, kwargs, f"numpy.{name} at {where_in_twin()}")


def _first_reason(args: tuple[Any, ...]) -> str:
    for a in args:
        for b in (a if type(a) in (list, tuple) else (a,)):
            if type(b) is UntrackedArray:
                return str(b.reason)
    return "?"


#: NumPy's functions that tell of the shape alone, which an untracked value knows exactly
_SHAPE_ONLY = frozenset({"shape", "ndim", "size"})


def _untracked_call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None,
                    reason: str) -> Any:
    """NumPy's plain result of ``func`` on the plain values, untracked with ``reason``."""
    out = func(*_plain(args), **_plain(kwargs or {}))
    if getattr(func, "__name__", "") in _SHAPE_ONLY:
        return out
    return untracked(out, reason)


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_ufunc__`` (NEP 13): ``np.add(a, b)`` is ``dispatch("add", (a, b))``; ``out=`` and other options
    refused, ufunc methods (``np.add.reduce``) under their own names."""
    if method != "__call__":
        return dispatch(f"{ufunc.__name__}.{method}", getattr(ufunc, method), inputs, kwargs)
    if kwargs:
        what = "out=" if "out" in kwargs else ", ".join(f"{k}=" for k in kwargs)
        return escape(f"numpy.{ufunc.__name__} with {what}", lambda: ufunc(*_plain(inputs), **_plain(kwargs)),
                      "writes into given arrays and other ufunc options are not tracked")
    return dispatch(ufunc.__name__, ufunc, inputs)


def numpy_name(func: Any) -> str:
    """A NumPy function's name in NumPy's namespace: ``sum``, ``linalg.norm`` (``numpy._core`` is ``numpy``)."""
    module = func.__module__ or "numpy"
    if module == "numpy" or module.startswith(("numpy._core", "numpy.core")) or not module.startswith("numpy."):
        return str(func.__name__)
    return f"{module.removeprefix('numpy.')}.{func.__name__}"


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``__array_function__`` (NEP 18): ``np.sum(x, axis=1)`` is ``dispatch("sum", (x,), {"axis": 1})``."""
    return dispatch(numpy_name(func), func, args, kwargs)


# -- the operators: attached to the value types, each a call of dispatch -----------------------------------

#: operator -> (NumPy's name of its operation, the plain operation, whether the operands are swapped)
OPERATORS: dict[str, tuple[str, Callable[[Any, Any], Any], bool]] = {
    "__add__": ("add", operator.add, False), "__radd__": ("add", operator.add, True),
    "__sub__": ("subtract", operator.sub, False), "__rsub__": ("subtract", operator.sub, True),
    "__mul__": ("multiply", operator.mul, False), "__rmul__": ("multiply", operator.mul, True),
    "__truediv__": ("divide", operator.truediv, False), "__rtruediv__": ("divide", operator.truediv, True),
    "__matmul__": ("matmul", operator.matmul, False), "__rmatmul__": ("matmul", operator.matmul, True),
    "__pow__": ("power", operator.pow, False), "__rpow__": ("power", operator.pow, True),
    "__gt__": ("greater", operator.gt, False), "__ge__": ("greater_equal", operator.ge, False),
    "__lt__": ("less", operator.lt, False), "__le__": ("less_equal", operator.le, False),
    "__eq__": ("equal", operator.eq, False), "__ne__": ("not_equal", operator.ne, False),
    "__getitem__": ("getitem", operator.getitem, False),
    "__floordiv__": ("floor_divide", operator.floordiv, False), "__rfloordiv__": ("floor_divide", operator.floordiv, True),
    "__mod__": ("remainder", operator.mod, False), "__rmod__": ("remainder", operator.mod, True),
    "__and__": ("bitwise_and", operator.and_, False), "__rand__": ("bitwise_and", operator.and_, True),
    "__or__": ("bitwise_or", operator.or_, False), "__ror__": ("bitwise_or", operator.or_, True),
    "__xor__": ("bitwise_xor", operator.xor, False), "__rxor__": ("bitwise_xor", operator.xor, True),
    "__lshift__": ("left_shift", operator.lshift, False), "__rlshift__": ("left_shift", operator.lshift, True),
    "__rshift__": ("right_shift", operator.rshift, False), "__rrshift__": ("right_shift", operator.rshift, True),
    "__divmod__": ("divmod", divmod, False), "__rdivmod__": ("divmod", divmod, True),
}


def _invert(self: Any) -> Any:
    return dispatch("invert", operator.invert, (self,))


def _setitem(self: Any, key: Any, value: Any) -> None:
    dispatch("setitem", operator.setitem, (self, key, value))
#: the operators a comparison mask has (NumPy's booleans: no @ or ** of their own here)
MASK_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
                  "__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__", "__getitem__")


def _operator(name: str, plain: Callable[[Any, Any], Any], swapped: bool) -> Callable[[Any, Any], Any]:
    if swapped:
        def reflected(self: Any, other: Any) -> Any:
            return dispatch(name, plain, (other, self))
        return reflected

    def forward(self: Any, other: Any) -> Any:
        return dispatch(name, plain, (self, other))
    return forward


def _method(name: str) -> Callable[..., Any]:
    plain = getattr(np, name)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return dispatch(name, plain, (self, *args), kwargs)
    method.__name__ = name
    return method


def _array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    return array_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    return array_function(func, args, kwargs)


for _dunder, (_name, _plain_op, _swapped) in OPERATORS.items():
    setattr(Tracked, _dunder, _operator(_name, _plain_op, _swapped))
    setattr(UntrackedArray, _dunder, _operator(_name, _plain_op, _swapped))
    if _dunder in MASK_OPERATORS:
        setattr(TrackedMask, _dunder, _operator(_name, _plain_op, _swapped))
setattr(Tracked, "__invert__", _invert)  # noqa: B010
setattr(UntrackedArray, "__invert__", _invert)  # noqa: B010
for _cls in (Tracked, TrackedMask, UntrackedArray):
    setattr(_cls, "__setitem__", _setitem)  # noqa: B010
    setattr(_cls, "__array_ufunc__", _array_ufunc)  # noqa: B010 (attached after the class, as every operator)
    setattr(_cls, "__array_function__", _array_function)  # noqa: B010
setattr(Tracked, "astype", _method("astype"))  # noqa: B010
for _name in ("sum", "mean", "max", "min"):
    setattr(Tracked, _name, _method(_name))
    setattr(UntrackedArray, _name, _method(_name))
TrackedMask.sum = _method("sum")  # type: ignore[method-assign]  # a count of the mask's entries

for _cls in (Tracked, TrackedMask):  # NumPy's other public attributes: one sentence naming each, not a raw error
    for _name in dir(np.ndarray):
        if not _name.startswith("_") and not hasattr(_cls, _name):
            setattr(_cls, _name, _refused_attribute(_name))
