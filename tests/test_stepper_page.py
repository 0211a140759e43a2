"""Tests for the step-through page's template, scalargrad/templates/stepper.html, shipped as package data.

The page around the frames is an HTML file inside the package, read with
importlib.resources, so every install must carry it: the slow test builds a
wheel of the project, installs it into a folder of its own, and steps through
a graph from there.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import version
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path

import pytest
from test_draw import no_dot_program, post_network  # noqa: F401 (fixture)

from scalargrad.drawing import GraphvizNotFoundError
from scalargrad.graph import topological_order
from scalargrad.stepper import PAGE_TEMPLATE, PLACEHOLDERS, step_through
from scalargrad.value import Constant

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\$(\w+)")
NOT_PART_OF_A_BUILD = shutil.ignore_patterns(
    ".git", ".venv*", "out", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def template_text():
    return files("scalargrad").joinpath(PAGE_TEMPLATE).read_text(encoding="utf-8")


def assert_page_fills_in_the_template(page, template):
    """Every fixed part of the template is in the page, in order, and no placeholder is left."""
    position = 0
    for fixed in PLACEHOLDER.split(template)[::2]:  # split() puts the placeholder names at odd indices
        found = page.find(fixed, position)
        assert found >= 0, f"the page lacks this part of {PAGE_TEMPLATE}, in order: {fixed[:80]!r}"
        position = found + len(fixed)
    for name in PLACEHOLDERS:
        assert f"${name}" not in page


def test_the_template_has_exactly_the_placeholders_the_stepper_fills():
    template = template_text()
    assert set(PLACEHOLDER.findall(template)) == set(PLACEHOLDERS) == {
        "title", "note", "picture", "sections", "legend", "graph",
    }
    assert "scalargrad/templates/stepper.html" in template  # the comment that marks every page
    for marker in ('id="previous"', 'id="next"', 'id="counter"', "ArrowLeft", "ArrowRight", "<style>"):
        assert marker in template


def test_step_through_page_is_the_template_filled_in(tmp_path, no_dot_program):  # noqa: F811
    net = post_network()
    net.loss.backward()
    with pytest.raises(GraphvizNotFoundError):
        step_through(net.loss, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert_page_fills_in_the_template(page, template_text())
    assert page.count("<title>Backpropagation step by step: loss</title>") == 1
    constants = sum(isinstance(node, Constant) for node in topological_order(net.loss))
    assert page.count('<section class="frame"') == 2 * (len(topological_order(net.loss)) - constants) + 1
    assert page.count('<p class="note">') == 1  # says Graphviz is missing


def venv_builds_wheels():
    """setuptools builds wheels by itself from version 70.1 on; before, it needs the ``wheel`` package."""
    if find_spec("setuptools") is None:
        return False
    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or find_spec("wheel") is not None


def build_wheel(source, out_dir):
    """``pip wheel`` of the project at ``source``, with this venv's setuptools when it can build wheels.

    Otherwise pip builds in an isolated environment, fetching setuptools and
    wheel from the package index, as ``pip install .`` does; if it cannot reach
    the index the test is skipped, except on CI (``CI=true``).
    """
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out_dir), str(source)]
    if venv_builds_wheels():
        command.append("--no-build-isolation")
    run = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    if run.returncode != 0 and "No matching distribution found" in output and os.environ.get("CI") != "true":
        pytest.skip(f"pip could not fetch the build requirements from the package index:\n{output}")
    assert run.returncode == 0, f"pip wheel failed:\n{output}"
    (wheel,) = out_dir.glob("*.whl")
    return wheel


STEP_THROUGH_FROM_THE_INSTALL = textwrap.dedent("""
    import sys
    import scalargrad
    from scalargrad import GraphvizNotFoundError, Value, step_through

    assert scalargrad.__file__.startswith(sys.argv[1]), scalargrad.__file__
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    try:
        step_through(y, sys.argv[2])
    except GraphvizNotFoundError:
        pass  # the page is written all the same, with the frames as DOT source
""")


@pytest.mark.slow
def test_a_wheel_carries_the_template_and_steps_through_once_installed(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_PART_OF_A_BUILD)  # so the build writes nothing into the project
    wheel = build_wheel(source, tmp_path / "wheels")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("scalargrad/templates/stepper.html").decode("utf-8") == template_text()

    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    steps = tmp_path / "steps"
    run = subprocess.run(
        [sys.executable, "-c", STEP_THROUGH_FROM_THE_INSTALL, str(site), str(steps)],
        check=False,
        cwd=tmp_path,  # not the project root, whose packages would be imported instead
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    page = (steps / "index.html").read_text(encoding="utf-8")
    assert_page_fills_in_the_template(page, template_text())
    assert "Backpropagation step by step: y" in page
