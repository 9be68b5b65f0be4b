r"""MATLAB values on the wire to and from Octave: exact, whatever their nesting, class or shape.

oct2py's own conversions lose what the pair mode must keep (measured with oct2py 5 and Octave 7.3: a
``uint8`` array reaches Octave as ``double``, an empty array of any shape as ``0x0``, a ``'\0'`` in a
string is replaced; a 1x1 cell, ``{}`` and ``struct()`` are hard to tell apart on the way back). So
values travel as **one line of text per node plus one base64 blob of bytes**, written and read by
this module and by ``dlparity/mfiles/dlparity_run_mfile.m`` (its ``dlparity_wire_put__`` and
``dlparity_wire_get__``): oct2py only ever carries a plain ASCII string and one numeric array, in
the forms it keeps exactly and moves fastest (measured: 8 MB as a ``uint8`` column from Octave in
0.07 s, where the same bytes as base64 text take 0.6 s). Towards Octave the bytes go as a double
column of 32-bit words (oct2py would turn ``uint8`` into ``double``), each word a whole number below
2^32, which a double holds exactly; from Octave as a ``uint8`` column.

The text is the blob's length in bytes on its first line, then the nodes in pre-order, one a
line, sizes as MATLAB's ``size`` (at least two numbers):

==============================================  ===================================================
line                                            node, and the bytes it takes from the blob
==============================================  ===================================================
``N <class> <ndims> <d1> <d2> ... [c]``         numeric or logical array of that MATLAB class;
                                                ``numel`` elements in column-major order, native
                                                little-endian (logical: one byte each); ``c``:
                                                complex, the real parts then the imaginary parts
``C <ndims> <d1> <d2> ...``                     char array: its bytes (Octave's chars are bytes,
                                                UTF-8 for text beyond ASCII)
``L <ndims> <d1> <d2> ...``                     cell array; its elements follow, column-major
``S <ndims> <d1> <d2> ... <nfields> <names>``   struct array (1x1: a struct); for each element in
                                                column-major order, each field's value follows
``O <class>``                                   anything else (function handle, sparse, object):
                                                its class only, nothing follows
==============================================  ===================================================

Decoded, a node is the type :mod:`dlparity.values` names: ``N`` an ``ndarray`` of the class's dtype
and MATLAB's shape (a 1x1 stays ``(1, 1)``; MATLAB has no scalars), ``C`` a ``str`` (a row, or
``''`` for any empty char; a char matrix is an ``ndarray`` of one-character strings), ``L`` a
``list`` (1xN) or a :class:`~dlparity.values.Cell`, ``S`` a ``dict`` (1x1) or a
:class:`~dlparity.values.StructArray`, ``O`` an :class:`~dlparity.values.Opaque`.
Encoded, a Python ``int`` or ``float`` is a 1x1 ``double`` (a MATLAB literal), ``bool`` a 1x1
``logical``, a NumPy scalar a 1x1 of its class, a 1-D array an Nx1 column (oct2py's ``oned_as``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlparity.values import MATLAB_CLASSES, NUMPY_TO_MATLAB, Cell, Opaque, StructArray

_COMPLEX_PARTS: dict[np.dtype[Any], np.dtype[Any]] = {np.dtype(np.complex128): np.dtype(np.float64), np.dtype(np.complex64): np.dtype(np.float32)}


def encode(value: Any) -> tuple[str, bytes]:
    """``value`` (nested dicts, lists, :class:`Cell`, :class:`StructArray`, arrays, numbers, text) as wire text
    and the bytes of its leaves.

    Raises
    ------
    TypeError
        A value of a kind MATLAB has no class for (the input checks refuse these first, in one sentence).
    """
    lines: list[str] = []
    blob: list[bytes] = []
    _put(value, lines, blob)
    data = b"".join(blob)
    return "\n".join([str(len(data)), *lines]), data


def decode(text: str, data: bytes) -> Any:
    """The value wire text and its leaves' bytes (from :func:`encode` or from Octave) describe."""
    head, _, spec = text.partition("\n")
    if int(head) != len(data):
        raise ValueError(f"wire text names {head} bytes, and {len(data)} came")
    reader = _Reader(spec.split("\n") if spec else [], data)
    value = reader.get()
    if reader.line != len(reader.lines) or reader.offset != len(reader.blob):
        raise ValueError(f"wire text has {len(reader.lines) - reader.line} node lines and "
                         f"{len(reader.blob) - reader.offset} bytes left over after its value")
    return value


def to_octave(value: Any) -> tuple[str, np.ndarray]:
    """``value`` as ``dlparity_run_mfile.m`` takes it: wire text and the bytes as a column of 32-bit words held
    in doubles (little-endian, the last word padded with zeros)."""
    text, data = encode(value)
    padded = data + b"\x00" * (-len(data) % 4)
    return text, np.frombuffer(padded, dtype="<u4").astype(np.float64).reshape(-1, 1)


def from_octave(text: str, data: Any) -> Any:
    """The value ``dlparity_run_mfile.m`` answers with (wire text and a ``uint8`` column), or one
    :func:`to_octave` made (its word column)."""
    arr = np.asarray(data)
    words = arr.dtype != np.uint8
    blob = np.asarray(arr, dtype=np.float64).ravel().astype("<u4").tobytes() if words else arr.tobytes()
    head = text.partition("\n")[0]
    return decode(text, blob[:int(head)])


def _dims(shape: tuple[int, ...]) -> str:
    return " ".join(str(d) for d in (len(shape), *shape))


def _put(value: Any, lines: list[str], blob: list[bytes]) -> None:  # noqa: PLR0912 (one branch per kind)
    if isinstance(value, Opaque):  # a stored result replayed as Octave gave it (Octave is never sent one)
        lines.append(f"O {value.matlab_class}")
    elif isinstance(value, StructArray):
        lines.append(f"S {_dims(value.shape)} {len(value.fields)} {' '.join(value.fields)}".rstrip())
        for item in value:
            for name in value.fields:
                _put(item[name], lines, blob)
    elif isinstance(value, Mapping):
        names = [str(k) for k in value]
        for name in names:
            if not name.isidentifier() or not name.isascii():
                raise TypeError(f"{name!r} is not a MATLAB field name")
        lines.append(f"S 2 1 1 {len(names)} {' '.join(names)}".rstrip())
        for v in value.values():
            _put(v, lines, blob)
    elif isinstance(value, Cell):
        lines.append(f"L {_dims(value.shape)}")
        for v in value:
            _put(v, lines, blob)
    elif isinstance(value, list):
        lines.append(f"L 2 1 {len(value)}")
        for v in value:
            _put(v, lines, blob)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        lines.append(f"C 2 {'1' if data else '0'} {len(data)}")
        blob.append(data)
    elif isinstance(value, (bool, np.bool_)):
        lines.append("N logical 2 1 1")
        blob.append(b"\x01" if value else b"\x00")
    elif isinstance(value, int):
        _put_array(np.array(float(value)), lines, blob)
    elif isinstance(value, (float, complex)):
        _put_array(np.array(value, dtype=np.complex128 if isinstance(value, complex) else np.float64), lines, blob)
    elif isinstance(value, (np.ndarray, np.generic)):
        _put_array(np.asarray(value), lines, blob)
    else:
        raise TypeError(f"a {type(value).__name__} has no MATLAB class to send it as")


def _put_array(arr: np.ndarray, lines: list[str], blob: list[bytes]) -> None:
    if arr.ndim < 2:
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr.reshape(1, 1)
    dtype = arr.dtype.newbyteorder("=") if arr.dtype.byteorder not in "=|" else arr.dtype
    if dtype.kind == "U":
        text = "".join(np.ravel(arr, order="F"))
        if len(text) != arr.size or any(ord(ch) > 255 for ch in text):
            raise TypeError("a text array is sent only with one byte per character")
        lines.append(f"C {_dims(arr.shape)}")
        blob.append(text.encode("latin-1"))
        return
    part = _COMPLEX_PARTS.get(dtype)
    real_dtype = part if part is not None else dtype
    if real_dtype not in NUMPY_TO_MATLAB:
        raise TypeError(f"a NumPy {arr.dtype} array has no MATLAB class")
    flat = np.ravel(arr.astype(dtype, copy=False), order="F")
    lines.append(f"N {NUMPY_TO_MATLAB[real_dtype]} {_dims(arr.shape)}{' c' if part is not None else ''}")
    if part is not None:
        blob.append(np.ascontiguousarray(flat.real.astype(part.newbyteorder("<"))).tobytes())
        blob.append(np.ascontiguousarray(flat.imag.astype(part.newbyteorder("<"))).tobytes())
    elif dtype.kind == "b":
        blob.append(flat.astype(np.uint8).tobytes())
    else:
        blob.append(np.ascontiguousarray(flat.astype(dtype.newbyteorder("<"))).tobytes())


class _Reader:
    def __init__(self, lines: list[str], blob: bytes) -> None:
        self.lines = lines
        self.blob = blob
        self.line = 0
        self.offset = 0

    def take(self, n: int) -> bytes:
        if self.offset + n > len(self.blob):
            raise ValueError(f"wire text names {n} more bytes than its blob holds")
        out = self.blob[self.offset:self.offset + n]
        self.offset += n
        return out

    def get(self) -> Any:
        if self.line >= len(self.lines):
            raise ValueError("wire text ends before its value does")
        words = self.lines[self.line].split(" ")
        self.line += 1
        kind = words[0]
        if kind == "O":
            return Opaque(" ".join(words[1:]))
        if kind == "N":
            return self._array(words[1], words[2:])
        nd = int(words[1])
        shape = tuple(int(w) for w in words[2:2 + nd])
        rest = words[2 + nd:]
        count = int(np.prod(shape))
        if kind == "C":
            data = self.take(count)
            if len(shape) == 2 and (shape[0] == 1 or count == 0):
                return data.decode("utf-8", errors="surrogateescape")
            chars = np.array(list(data.decode("latin-1")), dtype="U1")
            return chars.reshape(shape, order="F")
        if kind == "L":
            items = [self.get() for _ in range(count)]
            return items if len(shape) == 2 and shape[0] == 1 else Cell(items, shape=shape)
        if kind == "S":
            names = tuple(rest[1:1 + int(rest[0])])
            elements = [{name: self.get() for name in names} for _ in range(count)]
            return elements[0] if shape == (1, 1) else StructArray(elements, shape=shape, fields=names)
        raise ValueError(f"wire text has a node of unknown kind {kind!r}")

    def _array(self, matlab_class: str, words: list[str]) -> np.ndarray:
        nd = int(words[0])
        shape = tuple(int(w) for w in words[1:1 + nd])
        is_complex = words[1 + nd:] == ["c"]
        count = int(np.prod(shape))
        dtype = MATLAB_CLASSES[matlab_class]
        if dtype.kind == "b":
            flat = np.frombuffer(self.take(count), dtype=np.uint8).astype(bool)
        else:
            little = dtype.newbyteorder("<")
            flat = np.frombuffer(self.take(count * dtype.itemsize), dtype=little).astype(dtype)
            if is_complex:
                imag = np.frombuffer(self.take(count * dtype.itemsize), dtype=little).astype(dtype)
                joined = np.empty(count, dtype=np.complex128 if dtype == np.float64 else np.complex64)
                joined.real, joined.imag = flat, imag
                flat = joined
        return np.array(flat.reshape(shape, order="F"), order="C")
