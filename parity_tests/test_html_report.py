"""The HTML report (issue 19), rendered in a real browser: Debian's headless Chromium driven by Playwright.

The report under test is the one a porter gets for examples/sigmoid_backprop's planted slip, from a real
Octave run (no mocked results). In the browser: it loads from file:// with no console error and no request
but its own file; the first divergence's row, with both its MATLAB and its Python line, is in view; following
a variable's badge opens its table; without JavaScript the verdicts and the side-by-side view are all there.
Each of those checks is also shown to fail on a report spoiled on purpose. Where Chromium or Playwright is
missing these tests skip, saying how to install them; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import report_support
from ci_requirements import missing
from report_support import (
    DIVERGING,
    MATLAB,
    ORDER,
    browser_missing,
    chromium,
    make_cases,
    planted_result,
    slipped_twin,
    twin_spec,
)
from test_untracked import MATLAB as SOLVED_M
from test_untracked import TWIN as SOLVED_PY
from test_untracked import inputs as solved_inputs

from dlparity import check_parity
from dlparity.cases import draw_case
from dlparity.comparison.compare import compare_quantity
from dlparity.comparison.html_report import (
    HEATMAP_CELLS,
    Line,
    Pane,
    Variable,
    View,
    align,
    ratio_map,
    render,
    section1_html,
)
from dlparity.comparison.report import root_of
from dlparity.comparison.section1 import evaluate

#: The report's size limit for 20 variables x 10 cases (issue 19).
MEGABYTE = 1_000_000


def require_browser() -> None:
    """Skip (fail under CI=true) with how to install them, where Chromium or Playwright is missing."""
    why = browser_missing()
    if why is not None:
        missing(f"the HTML report's browser tests need Chromium and Playwright: {why}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    with chromium() as b:
        yield b


@pytest.mark.parametrize("ci", ["true", None], ids=["ci", "local"])
def test_a_missing_browser_fails_in_ci_and_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                         ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(report_support, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(pytest.fail.Exception if ci else pytest.skip.Exception) as info:
        require_browser()
    assert f"chromium is not at {tmp_path / 'chromium'}" in str(info.value.msg), info.value.msg


@pytest.fixture(scope="module")
def planted(octave: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The slipped twin checked against backprop_sigmoid.m in Octave, and its report on disk."""
    folder = tmp_path_factory.mktemp("planted")
    result = planted_result(folder, octave)
    return result, result.save_html(folder / "report.html")


@dataclass
class Opened:
    """A report open in a fresh browser context, with every request and every error it caused."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def open_report(browser: Any, path: Path, javascript: bool = True) -> Opened:
    url = path.resolve().as_uri()
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    opened = Opened(page, url)

    def route(r: Any) -> None:  # anything but the file itself is refused (and recorded below)
        if r.request.url == url:
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page.on("request", lambda request: opened.requests.append(request.url))
    page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(100)  # the script's scrolling runs at load
    return opened


def offline_faults(opened: Opened) -> list[str]:
    """What the page did that a self-contained report must not: console errors, requests beyond its own file."""
    return [f"console: {e}" for e in opened.errors] + [f"request: {u}" for u in opened.requests if u != opened.url]


def in_view(page: Any, selector: str) -> bool:
    """Some part of the element is inside the viewport (what Playwright's to_be_in_viewport checks)."""
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return bool(box and box["y"] < size["height"] and box["y"] + box["height"] > 0
                and box["x"] < size["width"] and box["x"] + box["width"] > 0)


# -- in the browser ---------------------------------------------------------------------------------------

@pytest.mark.octave
def test_report_loads_from_disk_with_no_error_and_no_request(browser: Any, planted: tuple[Any, Path]) -> None:
    opened = open_report(browser, planted[1])
    assert offline_faults(opened) == []
    assert opened.requests == [opened.url]  # the page itself, and nothing else
    assert opened.page.title().endswith("MISMATCH")


@pytest.mark.octave
def test_the_offline_check_catches_a_report_that_fetches(browser: Any, planted: tuple[Any, Path],
                                                         tmp_path: Path) -> None:
    """The two checks above fail on a report that reaches out: blocked by its own policy (a console error),
    and, without the policy, as a request."""
    text = planted[1].read_text(encoding="utf-8")
    fetching = text.replace("</main>", '<img src="http://127.0.0.1:9/x.png" alt=""></main>')
    (tmp_path / "blocked.html").write_text(fetching, encoding="utf-8")
    assert any(f.startswith("console:") for f in offline_faults(open_report(browser, tmp_path / "blocked.html")))
    (tmp_path / "open.html").write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", fetching),
                                        encoding="utf-8")
    assert "request: http://127.0.0.1:9/x.png" in offline_faults(open_report(browser, tmp_path / "open.html"))


@pytest.mark.octave
def test_first_divergence_and_both_its_lines_are_in_view(browser: Any, planted: tuple[Any, Path]) -> None:
    result, path = planted
    assert result.first_divergence.name == "delta2"  # the slip's first casualty, by the script's data flow
    page = open_report(browser, path).page
    row = page.locator("#first")
    assert "first divergence" in row.inner_text()
    matlab, python = row.locator("td.c").nth(0), row.locator("td.c").nth(1)
    assert matlab.inner_text().strip() == "delta2 = (W3' * delta3) .* sigmoid_deriv(z2);"
    assert python.inner_text().strip() == "delta2 = (W3.T @ delta3) * sigmoid_deriv(z2)"
    assert row.locator("td.ln").nth(0).inner_text() == "30"  # backprop_sigmoid.m line 30
    assert in_view(page, "#first td.c >> nth=0") and in_view(page, "#first td.c >> nth=1")
    assert page.evaluate("window.scrollY") > 0  # scrolled there: line 30 is below the first screen


@pytest.mark.octave
def test_every_variable_has_its_verdict_on_its_line(browser: Any, planted: tuple[Any, Path]) -> None:
    page = open_report(browser, planted[1]).page
    for name in ORDER:
        badge = page.locator(f'table.sbs a.vb[href="#v-{name}"]')
        assert badge.count() == 1, name
        words = badge.inner_text().split()
        assert words[0] == ("MISMATCH" if name in DIVERGING else "ok") and words[1] == name, words
        row_text = badge.locator("xpath=ancestor::tr").inner_text()
        assert re.search(rf"(^|\W){re.escape(name)}\s*=", row_text), row_text  # on a line assigning it


@pytest.mark.octave
def test_the_functions_the_pair_calls_are_shown_side_by_side_too(browser: Any, planted: tuple[Any, Path]) -> None:
    """The slip sits in sigmoid_deriv, which delta2's line calls: its .m and its twin are shown, line beside line."""
    page = open_report(browser, planted[1]).page
    called = page.locator("section.called h2").all_inner_texts()
    assert [h.split()[1] for h in called] == ["sigmoid.m", "sigmoid_deriv.m"]  # in the order the script calls them
    rows = page.locator("section.called >> nth=1 >> table.sbs tbody tr")
    pairs = [[c.strip() for c in row.locator("td.c").all_inner_texts()] for row in rows.all()]
    assert ["d = sigmoid(x) .* (1 - sigmoid(x));", "return sigmoid(x) * (1 + sigmoid(x))  # MATLAB .* is *"] in pairs
    assert ["function d = sigmoid_deriv(x)", "def sigmoid_deriv(x):"] in pairs


@pytest.mark.octave
def test_following_a_badge_opens_the_variables_table(browser: Any, planted: tuple[Any, Path]) -> None:
    result, path = planted
    page = open_report(browser, path).page
    details = page.locator("#v-dW2")
    assert details.get_attribute("open") is None
    page.click('table.sbs a.vb[href="#v-dW2"]')
    assert details.get_attribute("open") is not None
    table = details.locator("table.cases")
    assert table.is_visible() and in_view(page, "#v-dW2 table.cases")
    rows = table.locator("tbody tr")
    assert rows.count() == len(result.case_labels)
    worst = next(r for r in result.reports if r.name == "dW2" and r.case == result.case_labels[0])
    cells = rows.nth(0).locator("td").all_inner_texts()
    assert cells[1] == "x".join(map(str, worst.gold_shape)) and cells[10:] == ["MISMATCH", "derived"]
    assert float(cells[8]) == worst.gold_sample and float(cells[9]) == worst.mine_sample  # both values, in full
    assert details.locator("figure.heat svg").count() == 1  # dW2 is 2-D: its heatmap
    # from the keyboard: focus a badge, press Enter
    page.focus('table.sbs a.vb[href="#v-db1"]')
    page.keyboard.press("Enter")
    assert page.locator("#v-db1").get_attribute("open") is not None


@pytest.mark.octave
def test_without_javascript_the_verdicts_and_the_tables_are_there(browser: Any, planted: tuple[Any, Path]) -> None:
    opened = open_report(browser, planted[1], javascript=False)
    page = opened.page
    assert offline_faults(opened) == []
    badges = page.locator("table.sbs a.vb").all_inner_texts()
    assert [b.split()[1] for b in badges] == list(ORDER)
    assert [b.split()[0] for b in badges] == ["MISMATCH" if n in DIVERGING else "ok" for n in ORDER]
    assert "first divergence" in page.locator("#first").inner_text()
    page.click("#v-delta2 > summary")  # <details> opens by itself
    assert page.locator("#v-delta2 table.cases").is_visible()


@pytest.mark.octave
def test_printing_opens_every_table_and_closes_them_after(browser: Any, planted: tuple[Any, Path]) -> None:
    page = open_report(browser, planted[1]).page
    page.evaluate("window.seen = []; addEventListener('beforeprint', () => window.seen.push("
                  "document.querySelectorAll('details:not([open])').length))")  # runs after the report's own
    assert page.locator("details[open]").count() == 0
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and page.evaluate("window.seen") == [0]  # all open while printing
    assert page.locator("details[open]").count() == 0  # as they were, afterwards


# -- the sources of a report ------------------------------------------------------------------------------

def dlparity(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dlparity", *args], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.octave
def test_command_line_html_leaves_the_exit_status_alone(live_octave: Any, browser: Any, tmp_path: Path) -> None:
    case = tmp_path / "case.npz"
    np.savez(case, **make_cases(1)[0])
    for twin, status in ((slipped_twin(tmp_path), 1), (twin_spec(), 0)):
        pair = ["compare", "--matlab", str(MATLAB), "--python", twin, "--inputs", str(case)]
        report = tmp_path / f"report{status}.html"
        with_html = dlparity(*pair, "--html", str(report))
        assert with_html.returncode == status, with_html.stdout + with_html.stderr
        if status:  # the same as without --html (test_backprop_sigmoid.py checks 0 for the right twin)
            assert dlparity(*pair).returncode == status
        assert f"wrote the HTML report to {report}" in with_html.stdout
        page = open_report(browser, report).page
        assert page.locator("table.sbs a.vb").count() == len(ORDER)
        assert (page.locator("#first").count() == 1) == (status == 1)
    # refused before anything runs when the file exists (as --save), taken with --overwrite
    again = dlparity("compare", "--matlab", str(MATLAB), "--python", twin_spec(), "--inputs", str(case),
                     "--html", str(tmp_path / "report0.html"))
    assert again.returncode == 2 and "--html" in again.stderr and "--overwrite" in again.stderr, again.stderr


@pytest.mark.octave
def test_command_line_html_of_the_documents_blocks(live_octave: Any, browser: Any, tmp_path: Path) -> None:
    report = tmp_path / "blocks.html"
    run = dlparity("compare", "--html", str(report))
    assert run.returncode == dlparity("compare").returncode == 0, run.stdout + run.stderr
    opened = open_report(browser, report)
    assert offline_faults(opened) == []
    page = opened.page
    assert page.locator("h2", has_text="backprop").count() >= 1 and page.locator("h2", has_text="manual").count() >= 1
    badges = page.locator("table.sbs a.vb").all_inner_texts()
    assert len(badges) == 18 + 10 and all(b.split()[0] == "ok" for b in badges)  # both blocks' variables
    assert page.locator("#first").count() == 0


@pytest.mark.octave
def test_plugin_writes_a_report_for_each_failing_check_and_names_it(live_octave: Any, tmp_path: Path) -> None:
    twin = slipped_twin(tmp_path)
    (tmp_path / "test_port.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from report_support import MATLAB, make_cases, twin_spec
        from dlparity import assert_parity, check_parity

        def test_slipped(octave):
            assert_parity(MATLAB, {twin!r}, make_cases(1), bridge=octave)

        def test_good(octave):
            assert_parity(MATLAB, twin_spec(), make_cases(1), bridge=octave)

        def test_two_failing_checks(octave):
            assert not check_parity(MATLAB, {twin!r}, make_cases(1), bridge=octave).ok
            assert_parity(MATLAB, {twin!r}, make_cases(1), bridge=octave)
    """), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLPARITY_REQUIRE")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "0", "test_port.py",
                          "--dlparity-html", "reports"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         check=False, env=env)
    assert run.returncode == 1 and "2 failed, 1 passed" in run.stdout, run.stdout
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert written == ["test_port.py_test_slipped.html", "test_port.py_test_two_failing_checks-2.html",
                       "test_port.py_test_two_failing_checks.html"]
    for name in written:
        assert f"open in a browser: {tmp_path / 'reports' / name}" in run.stdout, run.stdout


@pytest.mark.octave
def test_twenty_variables_over_ten_cases_stay_under_a_megabyte(octave: Any, tmp_path: Path,
                                                                dlparity_notes: list[str]) -> None:
    """20 variables of 64 x 96 (beyond the 32 x 32 heatmap) over 10 cases, a slip from the 8th on."""
    lines, returns = [], []
    for k in range(1, 21):
        prev = "A" if k == 1 else f"v{k - 1}"
        lines.append((f"v{k} = {prev} .* B + {k} * C;", f"    v{k} = {prev} * B + {k} * C"))
        returns.append(f'"v{k}": v{k}')
    (tmp_path / "chain.m").write_text("\n".join(m for m, _ in lines) + "\n", encoding="utf-8")
    good = "def chain(A, B, C):\n" + "\n".join(p for _, p in lines) + "\n    return {" + ", ".join(returns) + "}\n"
    (tmp_path / "chain.py").write_text(good.replace("v8 = v7 * B + 8 * C", "v8 = v7 * B + 8.000001 * C"),
                                       encoding="utf-8")
    rng = np.random.default_rng(19)
    cases = [{n: rng.uniform(0.5, 1.0, (64, 96)) for n in "ABC"} for _ in range(10)]
    result = check_parity(tmp_path / "chain.m", f"{tmp_path / 'chain.py'}:chain", cases, bridge=octave)
    assert [r.name for r in result.by_variable() if not r.ok] == [f"v{k}" for k in range(8, 21)]
    size = len(result.to_html().encode("utf-8"))
    dlparity_notes.append(f"HTML report, 20 variables of 64x96 over 10 cases, 13 failing: {size:,} bytes")
    assert size < MEGABYTE


@pytest.mark.octave
def test_a_function_files_head_sits_beside_the_def_and_its_outputs_on_their_lines(octave: Any) -> None:
    folder = Path(__file__).resolve().parents[1] / "examples" / "softmax_cross_entropy"
    case = dict(np.load(folder / "case.npz"))
    result = check_parity(folder / "softmax_cross_entropy.m", f"{folder / 'softmax_cross_entropy.py'}:softmax_cross_entropy",
                          case, bridge=octave)
    text = result.to_html()
    rows = re.findall(r"<tr id=.*?</tr>", text)
    head = next(r for r in rows if "function [p, loss, dz] = softmax_cross_entropy(z, Y)" in r)
    assert "def softmax_cross_entropy(z, Y):" in head
    for name in ("p", "loss", "dz"):
        row = next(r for r in rows if f'href="#v-{name}"' in r)
        assert re.search(rf"<code>\s*{name} = .*?</code>.*<code>\s*{name} = ", row), row  # both sides assign it


@pytest.mark.octave
def test_the_documents_blocks_mark_their_first_divergence(octave: Any) -> None:
    """A fault planted in the NumPy column of section 1.3 (delta2 nudged by 1e-9) is marked on backprop.m's line."""
    result = evaluate([draw_case(0, (5, 7, 3), 40, 8, 33)], bridge=octave)[0]  # dlparity compare's default case
    result.numpy["backprop"]["delta2"] = result.numpy["backprop"]["delta2"] + 1e-9
    text = section1_html(result, {"source": "live", "version": "?"})
    row = re.search(r'<tr id="first".*?</tr>', text)
    assert row is not None
    assert "delta2 = (W3&#x27; * delta3) .* ReLU_deriv(z2);" in row.group(0)
    assert "delta2 = (W3.T @ delta3) * ReLU_deriv(z2)" in row.group(0)
    assert re.findall(r'<a class="vb"[^>]*><span class="b bad">MISMATCH</span> (\w+)', text) == ["delta2"]


@pytest.mark.octave
def test_variables_not_checked_are_said_so_on_their_lines(octave: Any, tmp_path: Path) -> None:
    """test_untracked's pair (np.linalg.solve has no bound rule): x and s not checked, r derived; not a pass."""
    (tmp_path / "solved.m").write_text(SOLVED_M, encoding="utf-8")
    (tmp_path / "solved.py").write_text(SOLVED_PY, encoding="utf-8")
    result = check_parity(tmp_path / "solved.m", f"{tmp_path / 'solved.py'}:solved", solved_inputs(), bridge=octave)
    assert result.status == "not checked"
    text = result.to_html()
    assert "<title>dlparity: solved.m vs solved.py: NOT CHECKED</title>" in text
    badges = {n: w for w, n in re.findall(r'<a class="vb"[^>]*><span class="b \w+">([^<]+)</span> (\w+)', text)}
    assert badges == {"r": "ok", "x": "not checked", "s": "not checked"}
    row = next(r for r in re.findall(r"<tr id=.*?</tr>", text) if 'href="#v-x"' in r)
    assert "x = A \\ b;" in row and "x = np.linalg.solve(A, b)" in row  # both lines of x, side by side
    r_table = text[text.index('<details id="v-r"'):text.index("</details>", text.index('<details id="v-r"'))]
    assert '<td class="from">derived</td>' in r_table
    assert "solved.py:6" in text[text.index('<details id="v-x"'):]  # why x was not checked: the twin's line


@pytest.mark.octave
def test_struct_leaves_by_path_under_their_variable_and_the_leafs_own_lines(octave: Any, tmp_path: Path) -> None:
    """examples/toolbox_nn's slip (1 + a for 1 - a in the backprop twin) reaches nn.dW{1} alone: nn's badge says
    MISMATCH over its leaves, nn.dW{1} is listed under nn by path, and its own line pair is the first divergence."""
    folder = Path(__file__).resolve().parents[1] / "examples" / "toolbox_nn"
    sys.path.insert(0, str(folder))
    from test_toolbox_nn import SMALL, after_ff  # noqa: PLC0415

    source = (folder / "nnbp.py").read_text(encoding="utf-8")
    slip = ('(nn["a"][i] * (1 - nn["a"][i]))', '(nn["a"][i] * (1 + nn["a"][i]))')
    assert source.count(slip[0]) == 1
    (tmp_path / "slipped_nnbp.py").write_text(source.replace(*slip), encoding="utf-8")
    result = check_parity(folder / "nnbp.m", f"{tmp_path / 'slipped_nnbp.py'}:nnbp", [after_ff(c) for c in SMALL],
                          bridge=octave)
    text = result.to_html()
    first = re.search(r'<tr id="first".*?</tr>', text)
    assert first is not None
    assert "nn.dW{i} = (d{i + 1}&#x27; * nn.a{i}) / m;" in first.group(0)
    assert 'nn[&quot;dW&quot;][i] = (d[i + 1].T @ nn[&quot;a&quot;][i]) / m' in first.group(0)
    badges = re.findall(r'<a class="vb"[^>]*><span class="b \w+">([^<]+)</span> ([^<]+)</a>', text)
    assert len(badges) == 1 and badges[0][0] == "MISMATCH" and badges[0][1].startswith("nn (11 leaves) "), badges
    group = text[text.index('<details id="v-nn"'):]
    leaves = re.findall(r'data-name="([^"]+)"><summary><span class="b (\w+)">', group)
    assert [name for name, _ in leaves] == list(dict.fromkeys(r.name for r in result.reports))  # MATLAB's order
    assert [name for name, kind in leaves if kind == "bad"] == ["nn.dW{1}"]
    leaf = group[group.index('data-name="nn.dW{1}"'):]
    assert "first divergence" in leaf[:leaf.index("</summary>")] and "<svg" in leaf[:leaf.index("</details>")]


# -- the parts, without a browser ----------------------------------------------------------------------------

def keys(file: str, n: int) -> list[tuple[str, int]]:
    return [(file, k) for k in range(1, n + 1)]


def test_align_puts_each_anchor_on_one_row_and_every_line_once() -> None:
    m, p = keys("a.m", 6), keys("a.py", 9)
    anchors = [(("a.m", 2), ("a.py", 4)), (("a.m", 5), ("a.py", 8)), (("a.m", 6), ("a.py", 3))]  # the last crosses
    rows = align(m, p, anchors)
    assert (1, 3) in rows and (4, 7) in rows  # 0-based: m line 2 beside p line 4, m line 5 beside p line 8
    assert (5, 2) not in rows  # the crossing anchor is dropped, its lines still shown
    assert [i for i, _ in rows if i is not None] == list(range(6))
    assert [j for _, j in rows if j is not None] == list(range(9))
    assert rows.index((1, 3)) == 3  # m line 1 padded at the top: it sits just above its anchor, beside p line 3


def test_align_without_anchors_shows_both_files_side_by_side() -> None:
    rows = align(keys("a.m", 2), keys("a.py", 3), [])
    assert rows == [(0, 0), (1, 1), (None, 2)]


def test_leaves_group_under_their_variable() -> None:
    assert [root_of(n) for n in ("nn.W{1}", "s(2).f", "c{3}", "x")] == ["nn", "s", "c", "x"]


def test_ratio_map_judges_as_the_comparison_does() -> None:
    gold = np.array([[1.0, 2.0], [3.0, np.nan]])
    mine = np.array([[1.0, 2.5], [3.0, 4.0]])
    tol = np.array([[0.0, 0.25], [0.0, 1.0]])
    assert ratio_map(gold, mine, tol).tolist() == [[0.0, 2.0], [0.0, np.inf]]  # 0/0 is 0, not finite is inf
    assert ratio_map(np.ones(3), np.ones(3), np.ones(3)) is None  # 1-D: no heatmap


def _view(variables: list[Variable], listed: dict[str, str] | None = None) -> View:
    names = [v.name for v in variables] + list(listed or {})
    matlab = [Line("s.m", k + 1, f"{root_of(n)} = f({k});") for k, n in enumerate(dict.fromkeys(map(root_of, names)))]
    python = [Line("s.py", ln.number, ln.text.rstrip(";")) for ln in matlab]
    at_m = {n: ("s.m", next(ln.number for ln in matlab if ln.text.startswith(root_of(n) + " "))) for n in names}
    at_p = {n: ("s.py", line) for n, (_, line) in at_m.items()}
    return View("t", [], all(v.ok for v in variables), "", [Pane("t", matlab, python, "s:f", at_m, at_p, variables,
                                                                  listed or {})], None)


def _variable(name: str, mine: Any, gold: Any, tol: float) -> Variable:
    g, m = np.asarray(gold, dtype=float), np.asarray(mine, dtype=float)
    r = compare_quantity("1", "s", name, g, m, np.full(g.shape, tol))
    return Variable(name, [r], ratio_map(g, m, np.full(g.shape, tol)))


def test_struct_leaves_sit_under_their_top_level_line() -> None:
    leaves = [_variable("nn.W{1}", [[1.0, 2.0]], [[1.0, 2.0]], 1e-9), _variable("nn.b{1}", [[1.0]], [[2.0]], 1e-9),
              _variable("z", [[1.0]], [[1.0]], 1e-9)]
    text = render(_view(leaves, {"nn.note": "not compared (char)"}))
    badges = re.findall(r'<a class="vb" href="#(v-[\w-]+)"[^>]*>(.*?)</a>', text)
    assert [b[0] for b in badges] == ["v-nn", "v-z"]  # one badge for the struct, on its line
    assert "MISMATCH" in badges[0][1] and "(3 leaves)" in badges[0][1]
    group = text[text.index('<details id="v-nn"'):text.index('<details id="v-z"')]
    assert 'data-name="nn.W{1}"' in group and 'data-name="nn.b{1}"' in group and "nn.note" in group


def test_large_arrays_are_summarised_block_by_block_and_a_mismatch_never_hides() -> None:
    gold = np.zeros((300, 200))
    mine = gold.copy()
    mine[123, 45] = 1.0  # one entry beyond the tolerance among 60,000
    v = _variable("big", mine, gold, 1e-3)
    text = render(_view([v]))
    svg = re.search(r"<svg.*?</svg>", text, re.S)
    assert svg is not None and 'viewBox="0 0 29 30"' in svg.group(0)  # 10x7 blocks: at most 32 x 32 cells
    assert max(29, 30) <= HEATMAP_CELLS
    struck = re.search(r'<path stroke="#fff"[^>]* d="([^"]*)"', svg.group(0))
    assert struck is not None and struck.group(1) == "M6 12l1 1"  # entry (123, 45) is in block (12, 6)
    beyond = re.search(r'<path fill="#e6550d" d="([^"]*)"', svg.group(0))  # ratio 1000 (1.0 / 1e-3): "10 to 1000"
    assert beyond is not None and beyond.group(1) == "M6 12h1v1h-1z"
    assert "M0 12h6v1h-6zM7 12h22v1h-22z" in svg.group(0)  # row 12's zeros: two runs either side of it
    assert "(124,46) 1e+03" in text  # listed in words, as MATLAB indexes it
    assert len(text) < 40_000  # 60,000 entries, not dumped


def test_a_report_is_a_single_file_that_fetches_nothing() -> None:
    text = render(_view([_variable("z", [[1.0]], [[1.0]], 1e-9)]))
    assert "default-src 'none'" in text  # the page's own policy forbids every fetch
    assert not re.search(r"""(src|href)=["'](?!#)""", text)  # no link leaves the page
    assert text.count("<script") == 1 and text.count("<style") == 1  # inline, the only ones
