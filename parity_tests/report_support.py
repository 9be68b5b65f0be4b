"""What the HTML report's tests and its screenshot script share (not a test module): the browser and the slipped twin.

The browser is Debian's ``chromium`` (``apt-get install chromium``; scripts/bootstrap.sh installs it), driven by
Playwright for Python pointed at that executable: Playwright's own browser download is never used (this machine
and CI reach no host but the package registries). The flags keep it from reaching out on its own (updates,
sync, background networking), so a test that records every request sees only what the page asked for.

The report's subject is examples/sigmoid_backprop's planted slip: its twin with ``sigmoid_deriv`` written as
``sigmoid(x) * (1 + sigmoid(x))``, which makes delta2 the first diverging variable.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sigmoid_backprop"
MATLAB = EXAMPLE / "backprop_sigmoid.m"
#: Debian's chromium (the package installs it here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync")
#: The planted slip (the same one examples/sigmoid_backprop/test_backprop_sigmoid.py plants).
SLIP = ("return sigmoid(x) * (1 - sigmoid(x))", "return sigmoid(x) * (1 + sigmoid(x))")
#: Every variable backprop_sigmoid.m assigns, in statement order; the slip reaches delta2 and all after it.
ORDER = ("x", "y_true", "z1", "a1", "z2", "a2", "z3", "y_pred", "error", "delta3", "dW3", "db3",
         "delta2", "dW2", "db2", "delta1", "dW1", "db1")
DIVERGING = ORDER[ORDER.index("delta2"):]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return ("Playwright for Python is not installed (the [test] extra has it: "
                "pip install -e '.[test]', or bash scripts/bootstrap.sh).")
    if not CHROMIUM.is_file():
        return f"Debian's chromium is not at {CHROMIUM} (apt-get install -y --no-install-recommends chromium)."
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's), closed on the way out."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def make_cases(count: int = 2) -> list[dict[str, object]]:
    """The example's own seeded cases (its test's make_case), the first ``count`` of them."""
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    from test_backprop_sigmoid import CASES  # noqa: PLC0415

    return list(CASES[:count])


def slipped_twin(folder: Path) -> str:
    """Write the example's twin with the planted slip into ``folder``; its ``path:function`` spec."""
    source = (EXAMPLE / "backprop_sigmoid.py").read_text(encoding="utf-8")
    if source.count(SLIP[0]) != 1:
        raise AssertionError(f"the line to plant the slip in is gone from backprop_sigmoid.py: {SLIP[0]!r}")
    twin = folder / "slipped_twin.py"
    twin.write_text(source.replace(*SLIP), encoding="utf-8")
    return f"{twin}:backprop_sigmoid"


def twin_spec() -> str:
    return f"{EXAMPLE / 'backprop_sigmoid.py'}:backprop_sigmoid"


def planted_result(folder: Path, bridge: Any = None, cases: Sequence[dict[str, object]] | None = None) -> Any:
    """check_parity of backprop_sigmoid.m against the slipped twin, with real Octave (``bridge``, default the shared one)."""
    from dlparity import check_parity  # noqa: PLC0415

    return check_parity(MATLAB, slipped_twin(folder), list(cases) if cases is not None else make_cases(), bridge=bridge)
