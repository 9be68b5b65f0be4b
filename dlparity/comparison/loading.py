"""Loading the pair: the MATLAB file(s) read, the NumPy twin imported and called, and the twin's source read for lines.

Each failure is one sentence (:class:`dlparity.validation.InputError`), before anything reaches Octave.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import inspect
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlparity.matlab_file import MatlabFile, read_matlab_files
from dlparity.validation import InputError


def load_pair(matlab: str | Path | Sequence[str | Path],
              python: Callable[..., Any] | str) -> tuple[MatlabFile, Callable[..., Any], str]:
    """(the MATLAB side read, the twin, the twin's name for reports): ``matlab`` is a path or a sequence of
    scripts run one after another, ``python`` a callable or ``"MODULE:FUNCTION"``."""
    mfile = read_matlab_files(matlab, "matlab")
    func = load_callable(python) if isinstance(python, str) else python
    if not callable(func):
        raise InputError(f"python is a {type(func).__name__}; expected a function (or 'MODULE:FUNCTION').")
    return mfile, func, callable_name(func)


def load_callable(spec: str, flag: str = "--python") -> Callable[..., Any]:
    """``MODULE:FUNCTION``, where MODULE is importable or a path to a ``.py`` file; one sentence if it cannot be had.

    A path's folder is put on ``sys.path`` first, so the twin may import the modules beside it.
    """
    module_part, sep, func_name = spec.rpartition(":")
    if not sep or not module_part or not func_name:
        raise InputError(f"{flag} is {spec!r}; expected MODULE:FUNCTION, e.g. my_port:backprop or path/to/port.py:backprop.")
    if not func_name.isidentifier():
        raise InputError(f"{flag} {spec!r}: {func_name!r} is not a Python function name.")
    try:
        if module_part.endswith(".py") or "/" in module_part or "\\" in module_part:
            path = Path(module_part)
            if not path.is_file():
                raise InputError(f"{flag} {spec!r}: the file {module_part!r} does not exist.")
            folder = str(path.resolve().parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            name = f"dlparity_user_{path.stem}_{abs(hash(str(path.resolve())))}"
            spec_obj = importlib.util.spec_from_file_location(name, path)
            if spec_obj is None or spec_obj.loader is None:
                raise InputError(f"{flag} {spec!r}: {module_part!r} cannot be loaded as a Python module.")
            module = importlib.util.module_from_spec(spec_obj)
            sys.modules[name] = module
            spec_obj.loader.exec_module(module)
        else:
            module = importlib.import_module(module_part)
    except InputError:
        raise
    except ModuleNotFoundError as exc:
        raise InputError(f"{flag} {spec!r}: module {exc.name or module_part!r} cannot be imported (not installed, "
                         "or not on the Python path); give a path to the .py file instead.") from None
    except Exception as exc:  # the user's module failed while importing: its exception, one line
        raise InputError(f"{flag} {spec!r}: importing {module_part} raised {one_line(exc)}.") from None
    func = getattr(module, func_name, None)
    if func is None:
        public = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                        and getattr(v, "__module__", None) == module.__name__)
        have = f"; it defines {', '.join(public)}" if public else ""
        raise InputError(f"{flag} {spec!r}: {module_part} has no function {func_name!r}{have}.")
    if not callable(func):
        raise InputError(f"{flag} {spec!r}: {func_name} is a {type(func).__name__}, not a function.")
    return func


def one_line(exc: BaseException) -> str:
    """``ValueError: message (file.py line N)``: the exception and the innermost frame in user code."""
    where = ""
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for frame in reversed(frames):
        filename = frame.tb_frame.f_code.co_filename
        if "site-packages" not in filename and "/dlparity/" not in filename.replace("\\", "/"):
            where = f" ({Path(filename).name} line {frame.tb_lineno})"
            break
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}{where}"


def callable_name(func: Callable[..., Any]) -> str:
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    try:
        source = inspect.getsourcefile(func)
    except TypeError:
        source = None
    if source and module.startswith("dlparity_user_"):
        return f"{source}:{name}"
    return f"{module}:{name}"


def check_signature(func: Callable[..., Any], names: list[str], label: str) -> None:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(**dict.fromkeys(names))
    except TypeError as exc:
        params = ", ".join(sig.parameters) or "none"
        raise InputError(f"python function {label} cannot take the inputs {', '.join(names) or '(none)'} as keyword "
                         f"arguments ({exc}); its parameters are {params}.") from None


def run_python(func: Callable[..., Any], inputs: Mapping[str, Any], label: str) -> dict[str, Any]:
    """Call the twin with the inputs as keyword arguments; it must return a mapping of name -> value."""
    try:
        with np.errstate(all="ignore"):  # an overflow or 0/0 shows in the comparison, as a value not finite
            out = func(**copy.deepcopy(dict(inputs)))  # its own copy: a twin writing into an input in place
            # (theta -= step) must not hand the tracked run, or the caller, inputs already updated
    except Exception as exc:
        raise InputError(f"python function {label} raised {one_line(exc)}.") from None
    if not isinstance(out, Mapping):
        raise InputError(f"python function {label} returned a {type(out).__name__}; expected a dict of "
                         "variable name -> array (the names of the MATLAB side's variables).")
    return dict(out)



def python_lines(func: Callable[..., Any]) -> tuple[str | None, dict[str, tuple[int, str]]]:  # noqa: PLR0912
    """(source file, name -> (line, text) of its last assignment in the callable's source), as the MATLAB side's
    divergence quotes its last. A store into a dict's key is an assignment to the variable and to its field:
    ``nn["dW"][i] = ...`` (or ``nn["dW"].append(...)``) is found under ``nn`` and ``nn.dW``."""
    target = inspect.unwrap(func)
    try:
        filename = inspect.getsourcefile(target)
        source_lines, start = inspect.getsourcelines(target)
    except (OSError, TypeError):
        return None, {}
    text = "".join(source_lines)
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return filename, {}
    found: dict[str, tuple[int, str]] = {}
    returned: dict[str, str] = {}

    def names_of(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            return _stored_fields(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            return [n for elt in node.elts for n in names_of(elt)]
        if isinstance(node, ast.Starred):
            return names_of(node.value)
        return []

    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.comprehension)):
            targets = [node.target]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("append", "extend", "insert") and isinstance(node.func.value, ast.Subscript)):
            targets = [node.func.value]
        for t in targets:
            for n in names_of(t):
                line = start + getattr(node, "lineno", 1) - (1 if start > 0 else 0)
                if n not in found or line > found[n][0]:
                    found[n] = (line, source_lines[getattr(node, "lineno", 1) - 1].strip())
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name):
                    returned.setdefault(k.value, v.id)
    for node in ast.walk(tree):  # return {"s": {"W": [...]}}: a field built in the returned literal is quoted there
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            for chain, value in _literal_fields(node.value, ""):
                line = start + value.lineno - (1 if start > 0 else 0)
                found.setdefault(chain, (line, source_lines[value.lineno - 1].strip()))
    for key, var in returned.items():  # {"dW1": grad_W1}: the key's line is the variable's
        if key not in found and var in found:
            found[key] = found[var]
    return filename, found


def _literal_fields(node: ast.Dict, prefix: str) -> list[tuple[str, ast.expr]]:
    """``{"s": {"W": x}}`` as [("s", {...}), ("s.W", x)]: each string key's chain with its value."""
    out: list[tuple[str, ast.expr]] = []
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and isinstance(k.value, str):
            chain = f"{prefix}.{k.value}" if prefix else k.value
            if prefix:
                out.append((chain, v))
            if isinstance(v, ast.Dict):
                out.extend(_literal_fields(v, chain))
    return out


def _stored_fields(node: ast.AST) -> list[str]:
    """``nn["dW"][i]`` as ["nn", "nn.dW"]: the variable, then each field its string keys name."""
    keys: list[str | None] = []
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        if isinstance(node, ast.Subscript):
            index = node.slice
            keys.append(index.value if isinstance(index, ast.Constant) and isinstance(index.value, str) else None)
        else:
            keys.append(None)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    out = [node.id]
    for key in reversed(keys):
        if key is None:
            break
        out.append(f"{out[-1]}.{key}")
    return out
