r"""MATLAB ``.mat`` files as inputs (``--inputs CASE.mat``) and as the saved results (``--save OUT.mat``).

:func:`read_mat` gives each variable of the file in the types of :mod:`dlparity.values` (the one
mapping: struct -> ``dict``, 1xN cell -> ``list``, other cells -> ``Cell``, struct array ->
``StructArray``, char row -> ``str``, logical -> bool, ``int8`` ... ``uint64`` and ``single`` keep
their NumPy dtype, a 1x1 ``double`` is a ``float``, a 1x1 logical a ``bool``, a 1x1 integer or
``single`` a NumPy scalar of its dtype), nested to any depth.

- **v4, v6, v7** files are read by ``scipy.io.loadmat`` with ``mat_dtype=True`` (the class MATLAB
  loads, not the narrower type a writer may store a double in; logical stays logical),
  ``squeeze_me=False`` (a 1xN and an Nx1 stay apart), ``struct_as_record=True`` (field order is
  kept) and ``chars_as_strings=True``. Each variable is read on its own, so a truncated or
  corrupt one is named.
- **v7.3** files are HDF5 in MATLAB's own layout, read with ``h5py`` directly (docs/harness.md says
  why not ``mat73``, ``pymatreader`` or ``hdf5storage``): a ``MATLAB_class`` attribute on every
  variable, arrays stored transposed, cells as object references into ``#refs#``, structs as
  groups whose ``MATLAB_fields`` attribute orders the fields, struct arrays as groups of reference
  datasets, empty arrays as their size vector with ``MATLAB_empty``.

Refused in one sentence naming the variable, as MATLAB writes its path (``nn.W{2}``), before
anything reaches Octave: a file that is missing, not a MAT-file, truncated or corrupt; and a value
that cannot be sent to both sides: a function handle, an object (classdef or old-style), a sparse
matrix (``full`` it first), a complex array (the bounds are for real arithmetic) and a char array
of several rows (keep several strings in a cell).

:func:`write_mat` writes variables the same mapping describes as a v5 (``-v7``) MAT-file, which
MATLAB and Octave both ``load``, atomically (:func:`dlparity.fileio.write_atomic`).
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.io
import scipy.sparse
from scipy.io import matlab as sio_matlab

from dlparity.fileio import MAX_NPZ_BYTES, write_atomic
from dlparity.validation import InputError
from dlparity.values import MATLAB_CLASSES, Cell, StructArray

_EXPECTED = "expected a .mat file written by MATLAB's or Octave's save, or by scipy.io.savemat"
_SENT = "numbers, logicals, text, structs and cells"

#: Octave's own formats, which its ``save`` writes unless told ``-v7`` (its default is text): their first bytes
_OCTAVE_FORMATS = ((b"# Created by Octave", "Octave's text format, what its save writes by default"),
                   (b"Octave-1-", "Octave's binary format, save -binary"))

# scipy's v5 element types (the MAT-file format's miINT8 ... miCOMPRESSED)
_MI_INT8, _MI_MATRIX, _MI_COMPRESSED = 1, 14, 15


# -- reading -------------------------------------------------------------------------------------

#: Largest total size the variables of a v5 file may inflate to: 1 GiB, as for an ``.npz``
#: (:data:`dlparity.fileio.MAX_NPZ_BYTES`); a small file that would inflate past it is refused unread.
MAX_MAT_BYTES = MAX_NPZ_BYTES


def read_mat(flag: str, path: Path | str, max_bytes: int = MAX_MAT_BYTES) -> dict[str, Any]:
    """Every variable of a ``.mat`` file, by name, as :mod:`dlparity.values` maps it.

    Raises
    ------
    InputError
        One sentence: the file is missing, not a MAT-file, truncated or corrupt (naming the
        variable where one is), or a variable holds what cannot be sent (naming its path).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{flag} {path} does not exist; {_EXPECTED}.")
    try:
        with path.open("rb") as f:
            head = f.read(128)
    except OSError as exc:
        raise InputError(f"{flag} {path} cannot be read ({exc.strerror or exc}).") from None
    if head.startswith(b"MATLAB 7.3 MAT-file") or head[:8] == b"\x89HDF\r\n\x1a\n":
        return _read_v73(flag, path, max_bytes)
    for magic, octave_format in _OCTAVE_FORMATS:
        if head.startswith(magic):
            raise InputError(f"{flag} {path} is not a MAT-file ({octave_format}: write it with save('-v7', ...)); "
                             f"{_EXPECTED}.")
    try:
        major, _ = sio_matlab.matfile_version(str(path))
    except (ValueError, IndexError, sio_matlab.MatReadError, OSError) as exc:  # IndexError: a text file < 128 bytes
        raise InputError(f"{flag} {path} is not a MAT-file ({_short(exc)}); {_EXPECTED}.") from None
    if major == 2:  # an HDF5 file that did not start at byte 0 as expected
        return _read_v73(flag, path, max_bytes)
    if major == 0:
        return _read_v4(flag, path)
    out: dict[str, Any] = {}
    header, variables = _v5_variables(flag, path, max_bytes)
    for name, data in variables:
        if name in out:
            raise InputError(f"{flag} {path} holds two variables named {name}; expected each name once.")
        out[name] = _from_scipy(flag, path, name, _load_v5_variable(flag, path, name, header, data))
    return out


def _read_v4(flag: str, path: Path) -> dict[str, Any]:
    try:
        raw = _loadmat(path)
    except Exception as exc:  # scipy's v4 reader raises what its parser meets
        raise InputError(f"{flag} {path} could not be read as a MAT-file ({_short(exc)}); the file is truncated or "
                         "corrupt.") from None
    return {k: _from_scipy(flag, path, k, v) for k, v in raw.items() if not k.startswith("__")}


def _loadmat(source: Path | IO[bytes]) -> dict[str, Any]:
    """scipy's reader with the options that keep MATLAB's classes and shapes; a complex value warns (caught)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # mat_dtype would drop the imaginary part
        return dict(scipy.io.loadmat(source, mat_dtype=True, squeeze_me=False, struct_as_record=True,
                                     chars_as_strings=True, verify_compressed_data_integrity=True))


def _load_v5_variable(flag: str, path: Path, name: str, header: bytes, data: bytes) -> Any:
    """One variable's element, read as a one-variable file under the file's own 128-byte header."""
    try:
        return _loadmat(io.BytesIO(header + data))[name]
    except np.exceptions.ComplexWarning:
        raw = scipy.io.loadmat(io.BytesIO(header + data), squeeze_me=False)[name]
        where = _complex_path(raw, name) or name
        raise InputError(f"{flag} {path}: variable {where} is complex; expected real values (the rounding-error "
                         "bounds are for real arithmetic).") from None
    except Exception as exc:  # scipy's reader raises what it meets in bad bytes (ValueError, OSError, zlib.error ...)
        raise InputError(f"{flag} {path}: variable {name} could not be read ({_short(exc)}); the file is truncated or "
                         "corrupt.") from None


def _v5_variables(flag: str, path: Path, max_bytes: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The file's header and (name, the variable's bytes) for each top-level element; a short or corrupt one is
    refused by name, and compressed ones are inflated (at most ``max_bytes`` in all)."""
    data = path.read_bytes()
    order = "<" if data[126:128] == b"IM" else ">"
    out = []
    pos, total = 128, 0
    while pos < len(data):
        if len(data) - pos < 8:
            raise InputError(f"{flag} {path} ends inside a variable's header; the file is truncated or corrupt.")
        kind, size = struct.unpack(order + "II", data[pos:pos + 8])
        if kind >> 16:  # a small element (at most 4 bytes, packed into its tag): not a variable
            pos += 8
            continue
        body = data[pos + 8:pos + 8 + size]
        name = _element_name(kind, body, order)
        if len(body) < size:
            raise InputError(f"{flag} {path}: variable {name or '(unnamed)'} is cut short ({len(body):,} of its "
                             f"{size:,} bytes); the file is truncated.")
        if name is None:
            raise InputError(f"{flag} {path}: the element at byte {pos:,} is not a MATLAB variable; the file is "
                             "corrupt.")
        element = data[pos:pos + 8 + size]
        if kind == _MI_COMPRESSED:  # inflated here, whole: a bad checksum or a bomb is caught before scipy reads it
            element = _inflate(flag, path, name, body, max_bytes - total)
        total += len(element)
        out.append((name, element))
        pos += 8 + size + (-size % 8 if kind == _MI_MATRIX else 0)
    return data[:128], out


def _inflate(flag: str, path: Path, name: str, body: bytes, room: int) -> bytes:
    """A compressed variable's element, inflated and checked (zlib's checksum), at most ``room`` bytes."""
    d = zlib.decompressobj()
    try:
        inner = d.decompress(body, room + 1)
    except zlib.error as exc:
        raise InputError(f"{flag} {path}: variable {name} is corrupt ({_short(exc)}); the file cannot be read.") from None
    if len(inner) > room:
        raise InputError(f"{flag} {path}: variable {name} inflates to more than {room:,} bytes; expected at most "
                         f"{MAX_MAT_BYTES:,} bytes of variables in all (it was not inflated further).")
    if not d.eof:
        raise InputError(f"{flag} {path}: variable {name} is cut short inside its compressed data; the file is "
                         "truncated or corrupt.")
    return inner


def _element_name(kind: int, body: bytes, order: str) -> str | None:
    """The variable name inside a v5 element (a compressed one is inflated just far enough), or None."""
    if kind == _MI_COMPRESSED:
        try:
            inner = zlib.decompressobj().decompress(body, 4096)
        except zlib.error:
            return None
        if len(inner) < 8:
            return None
        kind, _ = struct.unpack(order + "II", inner[:8])
        body = inner[8:]
    if kind != _MI_MATRIX:
        return None
    pos = 0
    for k in range(3):  # array flags, dimensions, then the name
        if len(body) - pos < 8:
            return None
        tag, size = struct.unpack(order + "II", body[pos:pos + 8])
        if tag >> 16:  # small element: type in the low half, size in the high half, data in the next 4 bytes
            kind_k, size, start, step = tag & 0xFFFF, tag >> 16, pos + 4, 8
        else:
            kind_k, start, step = tag, pos + 8, 8 + size + (-size % 8)
        if k == 2:
            text = body[start:start + size]
            return text.decode("latin-1") if kind_k == _MI_INT8 and len(text) == size and text else None
        pos += step
    return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160].rstrip(".")


def _complex_path(value: Any, where: str) -> str | None:
    """Where in a value read without ``mat_dtype`` the first complex array sits (None if nowhere)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "c":
            return where
        if value.dtype.names:
            items = value.ravel(order="F")
            for k, item in enumerate(items):
                for f in value.dtype.names:
                    at = f"{where}.{f}" if value.size == 1 else f"{where}({k + 1}).{f}"
                    found = _complex_path(item[f], at)
                    if found:
                        return found
        elif value.dtype == object:
            for k, item in enumerate(value.ravel(order="F")):
                found = _complex_path(item, f"{where}{{{k + 1}}}")
                if found:
                    return found
    return None


def _refuse(flag: str, path: Path, where: str, what: str, instead: str) -> InputError:
    return InputError(f"{flag} {path}: variable {where} is {what}, which cannot be sent to Octave and the twin as a value; "
                      f"{instead}.")


def _from_scipy(flag: str, path: Path, where: str, v: Any) -> Any:  # noqa: PLR0911 (one return per MATLAB kind)
    """One value as scipy reads it, in the types of :mod:`dlparity.values`."""
    if isinstance(v, sio_matlab.MatlabFunction):
        raise _refuse(flag, path, where, "a function handle", f"expected {_SENT}")
    if isinstance(v, sio_matlab.MatlabObject):
        raise _refuse(flag, path, where, f"an object of class {v.classname}", f"save struct({where}), its properties, instead")
    if isinstance(v, sio_matlab.MatlabOpaque):
        raise _refuse(flag, path, where, "a MATLAB object (classdef, string, table or another opaque class)",
                      f"save struct({where}), its properties, instead")
    if scipy.sparse.issparse(v):
        raise _refuse(flag, path, where, "a sparse matrix", f"save full({where}) instead (arrays are compared dense)")
    if not isinstance(v, np.ndarray):
        raise _refuse(flag, path, where, f"a {type(v).__name__}", f"expected {_SENT}")
    if v.dtype.names is not None:
        fields = tuple(v.dtype.names)
        if v.shape == (1, 1):
            return {f: _from_scipy(flag, path, f"{where}.{f}", v[0, 0][f]) for f in fields}
        items = [{f: _from_scipy(flag, path, f"{where}({k + 1}).{f}", item[f]) for f in fields}
                 for k, item in enumerate(v.ravel(order="F"))]
        return StructArray(items, shape=v.shape, fields=fields)
    if v.dtype == object:
        flat = list(v.ravel(order="F"))
        if flat and all(item is None for item in flat):  # scipy reads struct() (no fields) as None
            return {} if v.shape == (1, 1) else StructArray([{} for _ in flat], shape=v.shape, fields=())
        items = [_from_scipy(flag, path, f"{where}{{{k + 1}}}", item) for k, item in enumerate(flat)]
        return list(items) if len(v.shape) == 2 and v.shape[0] == 1 else Cell(items, shape=v.shape)
    if v.dtype.kind == "U":
        if v.size == 0:
            return ""
        if v.shape == (1,):
            return str(v[0])
        raise _refuse(flag, path, where, f"a char array of {v.shape[0]} rows",
                      "keep several strings in a cell (cellstr) or save one row of text")
    return _numeric(flag, path, where, v)


def _numeric(flag: str, path: Path, where: str, v: np.ndarray[Any, Any]) -> Any:
    if v.dtype.kind == "c":
        raise InputError(f"{flag} {path}: variable {where} is complex; expected real values (the rounding-error bounds "
                         "are for real arithmetic).")
    if v.dtype not in MATLAB_CLASSES.values():
        raise _refuse(flag, path, where, f"of NumPy dtype {v.dtype}", f"expected {_SENT}")
    if v.shape == (1, 1):
        if v.dtype == np.float64:
            return float(v[0, 0])
        if v.dtype == np.bool_:
            return bool(v[0, 0])
        return v[0, 0]  # an int class or single keeps its dtype, as a NumPy scalar
    return np.array(v, order="C")


# -- v7.3 (HDF5) -----------------------------------------------------------------------------------

def _read_v73(flag: str, path: Path, max_bytes: int) -> dict[str, Any]:
    import h5py  # noqa: PLC0415 (only v7.3 files need it)

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"{flag} {path} could not be read as a v7.3 (HDF5) MAT-file ({_short(exc)}); the file is "
                         "truncated or corrupt.") from None
    out: dict[str, Any] = {}
    with f:
        declared: dict[str, int] = {}  # each dataset's size once read, from its header: nothing is inflated yet
        f.visititems(lambda name, obj: declared.__setitem__(name, obj.size * obj.dtype.itemsize)
                     if isinstance(obj, h5py.Dataset) else None)
        if sum(declared.values()) > max_bytes:
            raise InputError(f"{flag} {path} declares {sum(declared.values()):,} bytes of variables once read; expected "
                             f"at most {max_bytes:,} (nothing was read).")
        for name in f:
            if name.startswith("#"):  # '#refs#' holds cell contents, '#subsystem#' MATLAB's object data
                continue
            if "OCTAVE_NEW_FORMAT" in f[name].attrs:  # each variable of Octave's save -hdf5 carries it
                raise InputError(f"{flag} {path} is not a MAT-file (Octave's HDF5 format, save -hdf5: write it with "
                                 f"save('-v7', ...)); {_EXPECTED}.")
            try:
                out[name] = _h5_value(flag, path, f, f[name], name)
            except InputError:
                raise
            except Exception as exc:  # h5py raises OSError, KeyError, ValueError on bad bytes
                raise InputError(f"{flag} {path}: variable {name} could not be read ({_short(exc)}); the file is "
                                 "truncated or corrupt.") from None
    return out


def _h5_class(obj: Any) -> str:
    raw = obj.attrs.get("MATLAB_class")
    if raw is None:
        return ""
    return raw.decode("ascii") if isinstance(raw, bytes) else str(np.asarray(raw).astype(str))


def _h5_fields(group: Any) -> list[str]:
    raw = group.attrs.get("MATLAB_fields")
    if raw is None:
        return list(group)
    return [b"".join(np.asarray(chars, dtype="S1").tolist()).decode("ascii") for chars in raw]


def _h5_value(flag: str, path: Path, f: Any, obj: Any, where: str) -> Any:  # noqa: PLR0911, PLR0912 (one branch per kind)
    import h5py  # noqa: PLC0415

    cls = _h5_class(obj)
    if "MATLAB_sparse" in obj.attrs:
        raise _refuse(flag, path, where, "a sparse matrix", f"save full({where}) instead (arrays are compared dense)")
    if cls == "function_handle":
        raise _refuse(flag, path, where, "a function handle", f"expected {_SENT}")
    if "MATLAB_object_decode" in obj.attrs or (cls and cls not in MATLAB_CLASSES and cls not in ("cell", "struct", "char")):
        raise _refuse(flag, path, where, f"an object of class {cls or '(unnamed)'}",
                      f"save struct({where}), its properties, instead")
    empty = bool(np.asarray(obj.attrs.get("MATLAB_empty", 0)).any())
    if isinstance(obj, h5py.Group):
        if cls != "struct":
            raise _refuse(flag, path, where, f"an HDF5 group of class {cls or '(none)'}", f"expected {_SENT}")
        fields = _h5_fields(obj)
        members = [obj[k] for k in fields]
        if members and all(isinstance(m, h5py.Dataset) and h5py.check_ref_dtype(m.dtype) is not None
                           and "MATLAB_class" not in m.attrs for m in members):  # a struct array: refs per field
            shape = members[0].shape[::-1]
            columns = [m[()].T.ravel(order="F") for m in members]
            items = [{fld: _h5_value(flag, path, f, f[col[k]], f"{where}({k + 1}).{fld}")
                      for fld, col in zip(fields, columns, strict=True)} for k in range(int(np.prod(shape)))]
            return StructArray(items, shape=shape, fields=fields) if shape != (1, 1) else items[0]
        return {fld: _h5_value(flag, path, f, m, f"{where}.{fld}") for fld, m in zip(fields, members, strict=True)}
    data = obj[()]
    if empty:  # the data is MATLAB's size vector
        shape = tuple(int(d) for d in np.ravel(data))
        if cls == "char":
            return ""
        if cls == "cell":
            return [] if len(shape) == 2 and shape[0] == 1 else Cell([], shape=shape)
        if cls == "struct":
            return StructArray([], shape=shape, fields=())
        return np.zeros(shape, dtype=MATLAB_CLASSES.get(cls, np.dtype(np.float64)))
    arr = np.asarray(data).T  # HDF5 holds MATLAB's column-major array with its dimensions reversed
    if cls == "cell":
        items = [_h5_value(flag, path, f, f[ref], f"{where}{{{k + 1}}}") for k, ref in enumerate(arr.ravel(order="F"))]
        return list(items) if arr.ndim == 2 and arr.shape[0] == 1 else Cell(items, shape=arr.shape)
    if cls == "char":
        if arr.ndim != 2 or arr.shape[0] != 1:
            raise _refuse(flag, path, where, f"a char array of {arr.shape[0]} rows",
                          "keep several strings in a cell (cellstr) or save one row of text")
        return "".join(chr(int(c)) for c in arr[0])  # MATLAB stores char as UTF-16 code units
    if arr.dtype.names is not None and set(arr.dtype.names) >= {"real", "imag"}:
        raise InputError(f"{flag} {path}: variable {where} is complex; expected real values (the rounding-error bounds "
                         "are for real arithmetic).")
    if cls == "logical":
        arr = arr != 0
    elif cls in MATLAB_CLASSES:
        arr = arr.astype(MATLAB_CLASSES[cls], copy=False)
    return _numeric(flag, path, where, np.ascontiguousarray(arr))


# -- writing ---------------------------------------------------------------------------------------

class _NotMatlabError(Exception):
    """A value (or a part of one) that MATLAB cannot hold: the whole variable is left out of the file."""


def to_matlab(value: Any) -> Any:
    """A value of :mod:`dlparity.values` as ``scipy.io.savemat`` writes it, or None where MATLAB cannot hold it."""
    try:
        return _to_matlab(value)
    except _NotMatlabError:
        return None


def _to_matlab(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of value)
    if isinstance(value, StructArray):
        out = np.empty(value.shape, dtype=[(f, object) for f in value.fields])
        for k, item in enumerate(value):
            index = np.unravel_index(k, value.shape, order="F")
            for fld in value.fields:
                out[index][fld] = _to_matlab(item[fld])
        return out
    if isinstance(value, (Cell, list, tuple)):
        shape = value.shape if isinstance(value, Cell) else (1, len(value))
        out = np.empty(shape, dtype=object)
        for k, item in enumerate(value):
            out[np.unravel_index(k, shape, order="F")] = _to_matlab(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): _to_matlab(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return np.array([[bool(value)]])
    if isinstance(value, int):
        return float(value)  # a Python int reaches Octave as a double
    if isinstance(value, (float, np.number)) and np.dtype(type(value)) in MATLAB_CLASSES.values():
        return np.asarray(value).reshape(1, 1)
    if isinstance(value, np.ndarray) and value.dtype.kind == "U" and value.ndim == 2:  # a char matrix, MATLAB's shape
        return value
    if isinstance(value, np.ndarray) and value.dtype in MATLAB_CLASSES.values():
        return value.reshape(1, -1) if value.ndim == 1 else (value.reshape(1, 1) if value.ndim == 0 else value)
    raise _NotMatlabError


def write_mat(path: Path | str, variables: Mapping[str, Any], overwrite: bool, flag: str = "--save") -> None:
    """Write ``variables`` (name -> value of :mod:`dlparity.values`) as a v5 MAT-file MATLAB and Octave ``load``.

    Values MATLAB cannot hold (anything outside the mapping) are left out, as ``--save OUT.npz`` leaves
    out what is not an array. Whole or not at all; an existing file only with ``overwrite``.
    """
    converted = {name: to_matlab(v) for name, v in variables.items()}
    kept = {name: v for name, v in converted.items() if v is not None}
    write_atomic(path, lambda f: scipy.io.savemat(f, kept, format="5", long_field_names=True, do_compression=True,
                                                  oned_as="row"),
                 overwrite=overwrite, flag=flag)
