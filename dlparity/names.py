r"""MATLAB names the Python twin cannot spell: ``lambda``, ``class``, ``in``, ``yield``, ``import``, ``global`` ...

A MATLAB variable may be called anything MATLAB accepts (a letter, then letters, digits or
underscores), and some of those names are Python keywords: a course-style cost function is
``function [J, grad] = cost(theta, X, y, lambda)``. The twin cannot take ``lambda`` as a keyword
argument, so, as PEP 8 advises for a name that clashes with a keyword, it takes ``lambda_``:

=====================================  ========================================================
MATLAB                                 Python twin
=====================================  ========================================================
argument or input ``lambda``           keyword argument ``lambda_`` (``def cost(..., lambda_)``)
output or variable ``lambda``          returned as ``"lambda_"`` (or ``"lambda"``: a dict key may
                                       be any string)
struct field ``s.lambda``              dict key ``"lambda"``, unchanged (a key is not a name)
=====================================  ========================================================

The renamed names are exactly Python's hard keywords (:data:`keyword.kwlist`: ``lambda``,
``class``, ``in``, ``is``, ``yield``, ``import``, ``global``, ``True``, ``None`` ...). Soft
keywords (``match``, ``case``, ``type``, ``_``) are valid parameter names and stay as they are.
Reports, tables, JSON and saved files always use MATLAB's name.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from dlparity.validation import InputError

V = TypeVar("V")


def python_name(matlab: str) -> str:
    """The name the twin uses for the MATLAB name ``matlab``: ``lambda`` -> ``lambda_``, others unchanged."""
    return matlab + "_" if keyword.iskeyword(matlab) else matlab


def for_twin(values: Mapping[str, V], label: str = "") -> dict[str, V]:
    """``values`` keyed by the twin's names (``lambda_`` for ``lambda``); one sentence if two names collide.

    Raises
    ------
    InputError
        Both ``lambda`` and ``lambda_`` are given: the twin would see one name for two inputs.
    """
    out: dict[str, V] = {}
    for name, value in values.items():
        py = python_name(name)
        if py in out:
            raise InputError(f"inputs{label} hold both {py[:-1]!r} and {py!r}; the Python twin takes MATLAB's {py[:-1]!r} "
                             f"as {py!r} (a Python keyword cannot be a parameter), so rename one of them.")
        out[py] = value
    return out


def matlab_name(returned: str, matlab_names: Iterable[str]) -> str:
    """The MATLAB name a twin's returned key stands for: ``lambda_`` is ``lambda`` unless MATLAB has a ``lambda_``."""
    names = set(matlab_names)
    if returned in names:
        return returned
    if returned.endswith("_") and keyword.iskeyword(returned[:-1]):
        return returned[:-1]
    return returned


def from_twin(returned: Mapping[str, Any], matlab_names: Iterable[str], label: str) -> dict[str, Any]:
    """The twin's returned dict keyed by MATLAB's names; one sentence if it returns one variable under two keys.

    Raises
    ------
    InputError
        The twin returns both ``"lambda"`` and ``"lambda_"``, which both stand for MATLAB's ``lambda``.
    """
    names = list(matlab_names)
    out: dict[str, Any] = {}
    keys: dict[str, str] = {}
    for key, value in returned.items():
        name = matlab_name(str(key), names) if isinstance(key, str) else key
        if name in out:
            raise InputError(f"python function {label} returned both {keys[name]!r} and {key!r}, which both stand for "
                             f"MATLAB's {name!r}; return one of them.")
        out[name] = value
        keys[name] = str(key)
    return out
