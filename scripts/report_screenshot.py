"""Regenerate docs/report.png: the HTML report of examples/sigmoid_backprop's planted slip, in headless Chromium.

    .venv/bin/python scripts/report_screenshot.py [OUT.png]

Needs GNU Octave (the MATLAB side is run, not recorded), Debian's chromium and Playwright (scripts/bootstrap.sh
installs both). The browser and the slip are the ones parity_tests/test_html_report.py uses
(parity_tests/report_support.py), so the picture is of the page the tests check.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "parity_tests"))

from report_support import browser_missing, chromium, planted_result  # noqa: E402

#: Tall enough for the header and the first divergence (backprop_sigmoid.m line 30) on one unscrolled screen.
VIEWPORT = {"width": 1180, "height": 1150}


def shrink(png: Path) -> None:
    """A 64-colour palette (text on flat colours loses nothing visible): the README's picture stays under 200 kB.
    Left as Chromium wrote it where Pillow (matplotlib's dependency, the [plot] extra) is missing."""
    try:
        from PIL import Image  # noqa: PLC0415
    except ImportError:
        return
    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "report.png"
    why = browser_missing()
    if why is not None:
        print(f"report_screenshot: {why}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        report = planted_result(Path(folder)).save_html(Path(folder) / "report.html")
        with chromium() as browser:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(report.resolve().as_uri() + "#top", wait_until="load")  # a fragment: the script does not scroll
            page.screenshot(path=str(out))
    shrink(out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
