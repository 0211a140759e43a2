"""The tour in Jupyter: a demo's steps, figures and pictures right under the cell.

    from demos.notebook import show, stepper
    show("softmax")          # runs the demo: each step's text, its figures as a table
                             # with coloured verdicts, its pictures inline
    show("softmax")[6]       # one step of it
    stepper(loss)            # the backpropagation step-through (§10), inline: arrow keys, buttons

In Jupyter the objects these return draw themselves as HTML (``_repr_html_``);
in a terminal REPL, ``print`` gives the same text the tour prints. The
demos are the tour's own (``python -m demos``): the same engines, figures and
verdicts, so a notebook and the tour never disagree.
"""

import html
import tempfile
from pathlib import Path

from demos import catalog
from demos._report import picture_html
from demos._stepper import Claim, tally
from scalargrad import step_through

PICTURES = Path("out") / "notebook-pictures"  # relative to the notebook's folder; out/ is git-ignored

STYLE = """<style>
.tour-step { border-left: 3px solid #ccc; padding: 0.2em 1em; margin: 0.8em 0; }
.tour-step h4 { margin: 0.3em 0; }
.tour-step .text { font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap; margin: 0.2em 0; }
.tour-step table { border-collapse: collapse; font-size: 13px; margin: 0.4em 0; }
.tour-step th, .tour-step td { border: 1px solid #ddd; padding: 0.15em 0.6em; text-align: left !important; }
.tour-step td.note { color: #555; }
.tour-step figure { margin: 0.6em 0; }
.tour-step figure img { max-width: 100%; }
.tour-step figure iframe { width: 100%; height: 640px; border: 1px solid #ccc; }
.tour-step figcaption { color: #555; font-size: 12px; }
.verdict { border-radius: 3px; padding: 0 0.4em; color: white; font-size: 12px; }
.verdict.exact { background: #2e7d32; } .verdict.rounded { background: #00838f; }
.verdict.differs { background: #c62828; } .verdict.illustrative { background: #757575; }
</style>"""


def show(name, fast=True, out_dir=PICTURES):
    """Run the demo ``name`` (as ``python -m demos NAME``, training demos at the tour's size unless
    ``fast=False``) and return its steps, ready to display."""
    module = catalog.load(name)
    folder = Path(out_dir) / catalog.module_name(name)
    return DemoRun(catalog.module_name(name), module.TITLE, module.steps(folder, fast=fast))


class DemoRun:
    """A demo's steps: the whole demo displays as HTML in Jupyter, ``run[i]`` is one step."""

    def __init__(self, name, title, steps):
        self.name, self.title, self.steps = name, title, steps

    def __getitem__(self, i):
        return StepView(self.steps[i], i + 1, len(self.steps))

    def __len__(self):
        return len(self.steps)

    def claims(self):
        return [claim for step in self.steps for claim in step.claims()]

    def tally(self):
        """"22 figures: 20 exact, 1 rounded, 1 differs": how the post's figures fared in this demo."""
        return tally(self.claims())

    def __str__(self):
        steps = "".join(str(self[i]) for i in range(len(self)))
        return f"{self.title}\n{steps}\n{self.tally()}\n"

    def __repr__(self):
        return f"<demo {self.name!r}: {len(self)} steps, {self.tally()}>"

    def _repr_html_(self):
        steps = "".join(self[i].html() for i in range(len(self)))
        return (f'{STYLE}<div class="tour-demo" data-demo="{self.name}"><h3>{_text(self.title)}</h3>{steps}'
                f"<p><b>{_text(self.tally())}</b></p></div>")


class StepView:
    """One step of a demo: its text, its figures in a table, its pictures."""

    def __init__(self, step, number, count):
        self.step, self.number, self.count = step, number, count

    def heading(self):
        return f"{self.number}/{self.count} · {self.step.title}"

    def __str__(self):
        return f"\n── {self.heading()} ──\n{self.step.text()}"

    def __repr__(self):
        return f"<step {self.heading()!r}>"

    def _repr_html_(self):
        return STYLE + self.html()

    def html(self):
        """The step as HTML: runs of text lines, runs of claims as one table each, then the pictures."""
        blocks, claims = [], []
        for line in self.step.lines:
            if isinstance(line, Claim):
                claims.append(line)
                continue
            if claims:
                blocks.append(claims_table(claims))
                claims = []
            blocks.append(f'<div class="text">{_text(line)}</div>')
        if claims:
            blocks.append(claims_table(claims))
        blocks += [picture_html(path, caption) for path, caption in self.step.pictures]
        return f'<div class="tour-step"><h4>{_text(self.heading())}</h4>{"".join(blocks)}</div>'


def claims_table(claims):
    """The post's figures beside the engine's, one row each, the verdict coloured (and in data-verdict)."""
    notes = any(claim.note for claim in claims)
    rows = []
    for claim in claims:
        engine = f"{claim.engine_shown()}{claim.unit}" if claim.engine else "—"
        note = f'<td class="note">{_text(claim.note)}</td>' if notes else ""
        rows.append(
            f"<tr><td>{_text(claim.name)}</td><td>{_text(claim.post + claim.unit)}</td><td>{_text(engine)}</td>"
            f'<td><span class="verdict {claim.verdict}" data-verdict="{claim.verdict}">{claim.verdict}</span></td>'
            f"{note}</tr>"
        )
    head = "<tr><th>figure</th><th>post</th><th>engine</th><th>verdict</th>" + ("<th>note</th>" if notes else "") + "</tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def stepper(root, out_dir=None, **options):
    """The step-through of ``root``'s forward and backward passes (§10), to display inline.

    Call ``root.backward()`` first, so that the backward frames have gradients to show.
    """
    folder = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="step-through-"))
    return StepThrough(step_through(root, folder, **options))


class StepThrough:
    """The step-through page, shown in a frame under the cell (it needs no network)."""

    def __init__(self, page):
        self.page = Path(page)

    def __repr__(self):
        return f"<step-through: {self.page}>"

    def _repr_html_(self):
        source = html.escape(self.page.read_text(encoding="utf-8"), quote=True)
        return (f'<iframe title="step-through" srcdoc="{source}" '
                'style="width: 100%; height: 720px; border: 1px solid #ccc;"></iframe>')


def _text(text):
    return html.escape(str(text), quote=True)
