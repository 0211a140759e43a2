"""The notebooks run top to bottom, as a learner would run them, and show what the tour shows.

Each notebook in notebooks/ is a Jupytext percent script; this test turns it
into a notebook, executes it in a Jupyter kernel with nbclient, and checks its
outputs: no error; every demo of the notebook's Part shown once, with the
same verdicts the demo gives when run here directly; graphs inline as SVG
where the notebook draws them, and the step-through inline where it shows it.
"""

import re
from pathlib import Path

import pytest

from demos import catalog
from demos._stepper import claims

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PART_NOTEBOOKS = sorted(NOTEBOOKS.glob("part*.py"))
CELL_TIMEOUT = 600  # seconds: a guard against a hang, not a speed test (GRPO trains in one cell)
DRAWN = {"part3_how_models_learn.py", "build_your_own_op.py"}  # these call draw() and stepper()

pytestmark = pytest.mark.slow


def execute(path):
    """The notebook ``path``, executed in a fresh kernel (raises CellExecutionError on an error)."""
    notebook = jupytext.read(path)
    nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def outputs(notebook, mime):
    """Every output of type ``mime`` (e.g. "text/html"), in order."""
    return [output["data"][mime] for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if mime in output.get("data", {})]


def shown_demos(notebook):
    """{demo name: the verdicts its ``show`` output lists, in order}."""
    shown = {}
    for page in outputs(notebook, "text/html"):
        for name, body in re.findall(r'<div class="tour-demo" data-demo="(\w+)">(.*?)</div>\s*$', page, re.DOTALL):
            assert name not in shown, f"{name} shown twice"
            shown[name] = re.findall(r'data-verdict="(\w+)"', body)
    return shown


@pytest.fixture(scope="module")
def demo_verdicts(demo_run):
    """Each demo's verdicts, from the test session's own run of it at the tour's size."""
    return {name: [c.verdict for c in claims(demo_run(name)[0])] for name in catalog.NAMES}


def test_one_notebook_per_part_in_the_posts_order():
    assert len(PART_NOTEBOOKS) == len(catalog.PARTS)
    for path, (part, _) in zip(PART_NOTEBOOKS, catalog.PARTS):
        title = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# # "))
        assert title == f"# # {part}"


@pytest.mark.parametrize("path", PART_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_part_runs_and_shows_its_demos_with_the_tours_verdicts(path, demo_verdicts):
    notebook = execute(path)
    part_names = dict(zip((p.name for p in PART_NOTEBOOKS), (names for _, names in catalog.PARTS)))[path.name]
    shown = shown_demos(notebook)
    assert list(shown) == list(part_names)
    for name in part_names:
        assert shown[name] == demo_verdicts[name], f"{name}: the notebook's verdicts are not the demo's"
    _check_inline_graphs(path, notebook)


def test_build_your_own_op_runs_and_draws_the_new_op():
    path = NOTEBOOKS / "build_your_own_op.py"
    notebook = execute(path)
    svgs = outputs(notebook, "image/svg+xml")
    assert any("softplus" in svg for svg in svgs), "the backward view of the softplus graph is not inline"
    text = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))
    assert "gradcheck FAILED" in text and "gradcheck passed" in text
    _check_inline_graphs(path, notebook)


def _check_inline_graphs(path, notebook):
    if path.name not in DRAWN:
        return
    svgs = outputs(notebook, "image/svg+xml")
    assert svgs and all(svg.lstrip().startswith(("<?xml", "<!--", "<svg")) and "<svg" in svg for svg in svgs)
    frames = [page for page in outputs(notebook, "text/html") if page.startswith("<iframe title=\"step-through\"")]
    assert frames, "the step-through is not shown inline"
    assert all("srcdoc=" in page and "&lt;svg" in page for page in frames)
