r"""MATLAB values as the Python twin sees them: one mapping, used by the bridge's wire, ``.mat`` files and the store.

The whole mapping is one table, in ``docs/harness.md`` ("Structs, cell arrays and MATLAB classes"):
a struct is a ``dict``, a 1xN cell a ``list``, any other cell a :class:`Cell` (column-major, with
its ``shape``), a struct array a :class:`StructArray`, ``char`` a ``str``, ``logical`` ``bool``,
each numeric class its NumPy dtype (:data:`MATLAB_CLASSES`), and what has no Python counterpart
(a function handle, a sparse matrix, an object) an :class:`Opaque` naming its class. Leaves are
named as MATLAB writes them by :func:`matlab_path`.

A plain ``list`` the twin returns is compared with a MATLAB cell *vector* of either orientation (a
NumPy port has no way to say row or column for a list); a :class:`Cell` is compared with its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def _checked_shape(shape: Iterable[int], n: int, what: str) -> tuple[int, ...]:
    dims = tuple(int(d) for d in shape)
    if len(dims) < 2 or any(d < 0 for d in dims):
        raise ValueError(f"{what} shape {dims} is not a MATLAB size; expected two or more whole numbers >= 0")
    if int(np.prod(dims)) != n:
        raise ValueError(f"{what} shape {dims} holds {int(np.prod(dims))} elements but {n} were given")
    return dims


class Cell(list):
    """A MATLAB cell array of a given shape: its elements in MATLAB's linear (column-major) order.

    ``Cell([a, b, c], shape=(3, 1))`` is the column ``{a; b; c}``. Without ``shape`` it is a row,
    ``1xN``, as a plain ``list`` is.
    """

    shape: tuple[int, ...]

    def __init__(self, items: Iterable[Any] = (), shape: Iterable[int] | None = None) -> None:
        super().__init__(items)
        self.shape = (1, len(self)) if shape is None else _checked_shape(shape, len(self), "cell")

    def at(self, *index: int) -> Any:
        """The element ``c{i, j, ...}``, indices 1-based as in MATLAB."""
        if len(index) == 1:
            return self[index[0] - 1]
        return self[int(np.ravel_multi_index(tuple(i - 1 for i in index), self.shape, order="F"))]

    def __repr__(self) -> str:
        return f"Cell({list.__repr__(self)}, shape={self.shape})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and self.shape == other.shape and list.__eq__(self, other)

    __hash__ = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Cell, (list(self), self.shape))


class StructArray(list):
    """A MATLAB struct array (``s(2).w``): dicts sharing one set of fields, in linear order, with a shape.

    Distinct from a cell of structs (``{s1, s2}``, a ``list`` of dicts): MATLAB indexes the one with
    ``s(2)`` and the other with ``c{2}``. Without ``shape`` it is ``1xN``.
    """

    shape: tuple[int, ...]
    fields: tuple[str, ...]

    def __init__(self, items: Iterable[Mapping[str, Any]] = (), shape: Iterable[int] | None = None,
                 fields: Iterable[str] | None = None) -> None:
        super().__init__(dict(item) for item in items)
        self.shape = (1, len(self)) if shape is None else _checked_shape(shape, len(self), "struct array")
        names = tuple(fields) if fields is not None else (tuple(self[0]) if self else ())
        for k, item in enumerate(self):
            if tuple(item) != names:
                raise ValueError(f"struct array element {k + 1} has fields {tuple(item)}; every element needs "
                                 f"the same fields in the same order, {names}")
        self.fields = names

    def at(self, *index: int) -> dict[str, Any]:
        """The element ``s(i, j, ...)``, indices 1-based as in MATLAB."""
        if len(index) == 1:
            return self[index[0] - 1]
        return self[int(np.ravel_multi_index(tuple(i - 1 for i in index), self.shape, order="F"))]

    def __repr__(self) -> str:
        return f"StructArray({list.__repr__(self)}, shape={self.shape})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, StructArray) and self.shape == other.shape and self.fields == other.fields
                and list.__eq__(self, other))

    __hash__ = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (StructArray, (list(self), self.shape, self.fields))


class Opaque:
    """A MATLAB value that has no Python counterpart here (a function handle, a sparse matrix, an object):
    it comes back as its class only, and is listed as not compared."""

    __slots__ = ("matlab_class",)

    def __init__(self, matlab_class: str) -> None:
        self.matlab_class = matlab_class

    def __repr__(self) -> str:
        return f"Opaque({self.matlab_class!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.matlab_class == self.matlab_class

    __hash__ = None  # type: ignore[assignment]


#: MATLAB class name -> NumPy dtype, and back (``double`` is float64, ``single`` float32, ``logical`` bool).
MATLAB_CLASSES: dict[str, np.dtype[Any]] = {
    "double": np.dtype(np.float64), "single": np.dtype(np.float32), "logical": np.dtype(np.bool_),
    "int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8), "int16": np.dtype(np.int16),
    "uint16": np.dtype(np.uint16), "int32": np.dtype(np.int32), "uint32": np.dtype(np.uint32),
    "int64": np.dtype(np.int64), "uint64": np.dtype(np.uint64),
}
NUMPY_TO_MATLAB: dict[np.dtype[Any], str] = {v: k for k, v in MATLAB_CLASSES.items()}


def matlab_path(root: str, steps: Iterable[tuple[str, Any]]) -> str:
    """A leaf's name as MATLAB writes it, 1-based: ``nn.W{1}``, ``net.layers{2}.k{1}{3}``, ``s(2).w``.

    ``steps`` are ``("field", name)``, ``("cell", k)`` and ``("elem", k)`` with 0-based ``k`` (an int,
    or a tuple for an N-D subscript).
    """
    out = root
    for kind, key in steps:
        if kind == "field":
            out += f".{key}"
        else:
            index = ", ".join(str(i + 1) for i in key) if isinstance(key, tuple) else str(key + 1)
            out += f"{{{index}}}" if kind == "cell" else f"({index})"
    return out
