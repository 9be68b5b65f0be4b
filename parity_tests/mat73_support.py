"""MATLAB v7.3 MAT-files for the tests, written with h5py in MATLAB's own HDF5 layout.

GNU Octave 7 cannot write v7.3 (``save -v7.3`` answers "Matlab file format -v7.3 is not yet
implemented"; its ``-hdf5`` is Octave's own layout, which MATLAB does not load), and no MATLAB is
at hand, so the tests build v7.3 files here, following the layout MATLAB writes:

- a 512-byte user block whose first 128 bytes are the MAT header (``MATLAB 7.3 MAT-file ...``,
  version 0x0200, ``IM``);
- every variable a dataset or group with a ``MATLAB_class`` attribute; numeric data stored with
  its dimensions reversed (MATLAB is column-major); logical as uint8; char as uint16 code units
  with ``MATLAB_int_decode`` 2;
- an empty array as its size vector (uint64) with ``MATLAB_empty`` 1;
- a cell as a dataset of object references to datasets in ``/#refs#``;
- a struct as a group (``MATLAB_fields``: each field name as a variable-length array of single
  characters); a struct array as a group whose fields are reference datasets of the array's shape;
- a function handle as a group of class ``function_handle``; a classdef object as a uint32
  dataset of its class with ``MATLAB_object_decode`` 3; a sparse matrix as a group with
  ``MATLAB_sparse``; complex data as a compound of ``real`` and ``imag``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from dlparity.values import NUMPY_TO_MATLAB, Cell, StructArray


@dataclass(frozen=True)
class FunctionHandle:
    """A MATLAB function handle (``@sin``), as MATLAB writes one to v7.3."""

    text: str = "@sin"


@dataclass(frozen=True)
class ClassdefObject:
    """An object of a classdef class, as MATLAB writes one (its data lives in ``#subsystem#``)."""

    classname: str


@dataclass(frozen=True)
class Sparse:
    """A sparse double matrix."""

    dense: Any


_names = (f"r{k}" for k in itertools.count())


def _class_attr(obj: Any, name: str) -> None:
    obj.attrs["MATLAB_class"] = np.bytes_(name)


def _fields_attr(group: Any, fields: list[str]) -> None:
    arr = np.empty(len(fields), dtype=h5py.vlen_dtype(np.dtype("S1")))
    for k, name in enumerate(fields):
        arr[k] = np.array(list(name), dtype="S1")
    group.attrs["MATLAB_fields"] = arr


def _ref(f: Any, value: Any) -> Any:
    refs = f.require_group("#refs#")
    name = next(_names)
    _put(f, refs, name, value)
    return refs[name].ref


def _empty(parent: Any, name: str, shape: tuple[int, ...], cls: str) -> None:
    ds = parent.create_dataset(name, data=np.array(shape, dtype=np.uint64))
    _class_attr(ds, cls)
    ds.attrs["MATLAB_empty"] = np.uint8(1)


def _refs_dataset(f: Any, parent: Any, name: str, items: list[Any], shape: tuple[int, ...]) -> Any:
    refs = np.empty(shape, dtype=h5py.ref_dtype)
    for k, item in enumerate(items):
        refs[np.unravel_index(k, shape, order="F")] = _ref(f, item)
    return parent.create_dataset(name, data=refs.T)


def _put(f: Any, parent: Any, name: str, v: Any) -> None:  # noqa: PLR0912, PLR0915 (one branch per MATLAB kind)
    if isinstance(v, StructArray):
        group = parent.create_group(name)
        _class_attr(group, "struct")
        _fields_attr(group, list(v.fields))
        for fld in v.fields:
            _refs_dataset(f, group, fld, [item[fld] for item in v], v.shape)
    elif isinstance(v, dict):
        group = parent.create_group(name)
        _class_attr(group, "struct")
        _fields_attr(group, list(v))
        for fld, value in v.items():
            _put(f, group, fld, value)
    elif isinstance(v, (Cell, list)):
        shape = v.shape if isinstance(v, Cell) else (1, len(v))
        if not v:
            _empty(parent, name, shape, "cell")
            return
        _class_attr(_refs_dataset(f, parent, name, list(v), shape), "cell")
    elif isinstance(v, str):
        if not v:
            _empty(parent, name, (0, 0), "char")
            return
        ds = parent.create_dataset(name, data=np.array([[ord(c)] for c in v], dtype=np.uint16))  # (1, n) reversed
        _class_attr(ds, "char")
        ds.attrs["MATLAB_int_decode"] = np.int32(2)
    elif isinstance(v, FunctionHandle):
        group = parent.create_group(name)
        _class_attr(group, "function_handle")
        _put(f, group, "function_handle", {"function": v.text})
    elif isinstance(v, ClassdefObject):
        ds = parent.create_dataset(name, data=np.array([[3707764736], [2], [1], [1], [1], [1]], dtype=np.uint32).T)
        _class_attr(ds, v.classname)
        ds.attrs["MATLAB_object_decode"] = np.int32(3)
    elif isinstance(v, Sparse):
        dense = np.asarray(v.dense, dtype=np.float64)
        rows, cols = np.nonzero(dense.T)  # column-major order of the nonzeros
        group = parent.create_group(name)
        _class_attr(group, "double")
        group.attrs["MATLAB_sparse"] = np.uint64(dense.shape[0])
        group.create_dataset("data", data=dense.T[rows, cols])
        group.create_dataset("ir", data=cols.astype(np.uint64))
        group.create_dataset("jc", data=np.concatenate([[0], np.cumsum(np.count_nonzero(dense, axis=0))]).astype(np.uint64))
    else:
        arr = np.asarray(v)
        arr = arr.reshape(1, 1) if arr.ndim == 0 else arr
        if arr.size == 0:
            _empty(parent, name, arr.shape, NUMPY_TO_MATLAB[arr.dtype])
            return
        if arr.dtype.kind == "c":
            compound = np.empty(arr.T.shape, dtype=[("real", np.float64), ("imag", np.float64)])
            compound["real"], compound["imag"] = arr.T.real, arr.T.imag
            _class_attr(parent.create_dataset(name, data=compound), "double")
            return
        cls = NUMPY_TO_MATLAB[arr.dtype]
        ds = parent.create_dataset(name, data=(arr.astype(np.uint8) if cls == "logical" else arr).T)
        _class_attr(ds, cls)
        if cls == "logical":
            ds.attrs["MATLAB_int_decode"] = np.int32(1)


def write_mat73(path: Path, variables: dict[str, Any]) -> Path:
    """Write ``variables`` as a MATLAB v7.3 MAT-file (HDF5 in MATLAB's layout, with its 512-byte header block)."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            _put(f, f, name, value)
    header = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Fri Dec  4 12:00:00 2026 HDF5 schema 1.00 ."
              .ljust(116) + b"\0" * 8 + b"\x00\x02" + b"IM")
    with path.open("r+b") as out:
        out.write(header.ljust(512, b"\0"))
    return path
