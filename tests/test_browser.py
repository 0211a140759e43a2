"""The step-through in a real browser: Debian's Chromium, headless, driven by Playwright (issue 12, item 19).

It opens the stepper alone and embedded in a tour page (out/index.html's
format, with the §10 demo's two step-throughs) and checks that the arrow keys
and the buttons step through every frame, that no node moves between frames,
that node text is at least 11 px at a 1000 px wide window, and that no network
request is made. Screenshots of the first, a middle and the last frame go to
out/screenshots/ for a person to look at.

Needs the ``playwright`` package (the ``test`` extra) and a Chromium on the
PATH (``make test`` and ``.ci/run`` install it where they can); never a
browser build downloaded by Playwright. Without them the tests skip, saying
why, except on CI (``CI=true``), where they fail.
"""

import os
import shutil
from pathlib import Path

import pytest

from demos import backprop
from demos._report import Section, write_report

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "out" / "screenshots"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
NODE_POSITIONS = """() => Array.from(document.querySelectorAll(".picture svg .node")).map(function (node) {
  const box = node.getBoundingClientRect(), svg = node.ownerSVGElement.getBoundingClientRect();
  return [node.id, Math.round(box.x - svg.x), Math.round(box.y - svg.y), Math.round(box.width)];
})"""
SMALLEST_NODE_TEXT = """() => {
  const svg = document.querySelector(".picture svg");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Math.min(...Array.from(svg.querySelectorAll(".node text")).map(function (text) {
    return parseFloat(text.getAttribute("font-size")) * scale;
  }));
}"""


def missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and on CI the browser test must run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from the system's package (never a downloaded build)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed (pip install -e '.[test]')")
    executable = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    if executable is None:
        missing("Chromium is not installed (sudo apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The §10 demo's files and a tour page holding just that demo (its two step-throughs embedded)."""
    if shutil.which("dot") is None:
        missing("Graphviz's `dot` is not installed")
    out = tmp_path_factory.mktemp("browser")
    steps = backprop.steps(out / "demo")
    tour = write_report(out / "index.html", [Section("Part 3", "backprop", backprop.TITLE, steps, 0.0)])
    return out / "demo" / "backprop_squared_error_steps" / "index.html", tour


def open_page(browser, path, width):
    """A page at ``path``, ``width`` px wide, recording every request that is not for a local file."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.requests_out = []
    page.on("request", lambda request: request.url.startswith(("file:", "data:", "about:"))
            or page.requests_out.append(request.url))
    page.goto(path.as_uri())
    return page


def counter(frame):
    """(current, total) from "frame 3 of 15"."""
    words = frame.locator("#counter").inner_text().split()
    return int(words[1]), int(words[3])


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_keys_and_buttons_step_through_every_frame_and_no_node_moves(browser, pages):
    alone, _ = pages
    page = open_page(browser, alone, 1000)
    first, total = counter(page)
    assert first == 1 and total > 10
    layout = page.evaluate(NODE_POSITIONS)
    assert len(layout) >= 7
    screenshot(page, "stepper_first")
    for expected in range(2, total + 1):
        page.keyboard.press("ArrowRight")
        assert counter(page) == (expected, total)
        assert page.evaluate(NODE_POSITIONS) == layout, f"a node moved in frame {expected}"
        if expected == total // 2:
            screenshot(page, "stepper_middle")
    assert "∂L/∂leaf" in page.locator(".frame.current").inner_text()  # the closing table
    screenshot(page, "stepper_last")
    page.keyboard.press("ArrowRight")
    assert counter(page) == (total, total) and page.locator("#next").is_disabled()
    for expected in range(total - 1, 0, -1):
        page.locator("#previous").click()
        assert counter(page) == (expected, total)
    assert page.locator("#previous").is_disabled()
    page.locator("#next").click()
    page.keyboard.press("ArrowLeft")
    assert counter(page) == (1, total)
    assert page.requests_out == []
    page.close()


def test_node_text_is_at_least_11_px_at_1000_px_and_the_graph_uses_the_width(browser, pages):
    alone, _ = pages
    for width in (700, 1000, 1400):
        page = open_page(browser, alone, width)
        assert page.evaluate(SMALLEST_NODE_TEXT) >= (11 if width >= 1000 else 10), width
        picture = page.locator(".picture svg").bounding_box()
        assert picture["width"] >= 0.85 * width or width == 700, (width, picture)
        chain_rule_below = page.locator(".frames").bounding_box()["y"] >= picture["y"] + picture["height"]
        assert chain_rule_below
        page.locator("#zoom").click()  # 1:1: the picture at its own size, 11 pt text (14.7 px)
        assert page.evaluate(SMALLEST_NODE_TEXT) == pytest.approx(9 * 4 / 3, abs=0.1)  # constants: 9 pt
        assert page.locator("#zoom").inner_text() == "fit width"
        page.close()


def test_the_embedded_stepper_follows_the_pages_arrow_keys(browser, pages):
    _, tour = pages
    page = open_page(browser, tour, 1000)
    frames = page.locator("iframe")
    assert frames.count() == 2  # the demo's two step-throughs
    frames.nth(1).scroll_into_view_if_needed()
    inner = page.frame_locator("iframe").nth(1)
    other = page.frame_locator("iframe").nth(0)
    _, total = counter(inner)
    assert inner.locator("h1").is_hidden()  # the page has its own heading
    sized = page.evaluate("""() => { const f = document.querySelectorAll("iframe")[1];
        return [f.clientHeight, f.contentDocument.documentElement.getBoundingClientRect().height]; }""")
    assert abs(sized[0] - sized[1]) <= 2, f"the frame is not sized to its content: {sized}"
    page.locator("h1").first.click()  # the focus is on the page, not in a frame
    frames.nth(1).scroll_into_view_if_needed()
    page.mouse.move(2, 2)  # over the page's margin: no stepper is hovered, so the one on screen takes the keys
    for expected in range(2, total + 1):
        page.keyboard.press("ArrowRight")
        assert counter(inner) == (expected, total)
        if expected == total // 2:
            screenshot(page, "tour_embedded_middle")
    assert counter(other)[0] == 1  # only the stepper on screen moved
    for expected in range(total - 1, 0, -1):
        page.keyboard.press("ArrowLeft")
        assert counter(inner) == (expected, total)
    frames.nth(0).hover()  # a hovered stepper takes the keys, even when another is more on screen
    page.keyboard.press("ArrowRight")
    assert counter(other)[0] == 2 and counter(inner)[0] == 1
    inner.locator("#next").click()
    assert counter(inner) == (2, total)
    assert page.requests_out == []
    page.close()
