"""Helper for the planted-bug and rule-mutation tests (not a test module)."""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from typing import Any


def mutant(func: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    """``func`` recompiled with one source fragment replaced (it must occur exactly once)."""
    source = textwrap.dedent(inspect.getsource(func))
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times in {func.__name__}"
    namespace = dict(func.__globals__)
    exec(compile(source.replace(old, new), f"<planted {func.__name__}>", "exec"), namespace)
    return namespace[func.__name__]  # type: ignore[no-any-return]
