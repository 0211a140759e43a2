"""The tour's report: one self-contained HTML page, and the summary table printed at the end.

The page opens with a summary: the contents, the verdicts per demo (what a
training demo reached instead of its row of zeros), and the post's mistakes,
each listed once with the figures it affects folded under it. Then it follows
the post's order: each demo's steps, its figures with their verdicts, its
pictures. Pictures are embedded (PNG and SVG as data URIs, the
backpropagation step-through as an inline frame), so the page opens offline
and can be mailed as one file.
"""

import base64
import html
import os
from collections import Counter
from dataclasses import dataclass

from demos._reached import reached
from demos._stepper import VERDICTS, Claim, claims, tally
from demos._terminal import Terminal

INTRODUCTION = (
    "<p>Every figure below was computed at run time by <code>scalargrad</code> and <code>tensorgrad</code>"
    " and set beside the post's own. Verdicts: <b>exact</b> (the same to the digits the post shows),"
    " <b>rounded</b> (off by one in the last digit), <b>differs</b> (not what the post's own inputs give),"
    " <b>illustrative</b> (the post gives no inputs that determine it).</p>"
)
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


@dataclass
class Section:
    """One demo's part of the tour."""

    part: str
    name: str
    title: str
    steps: list
    seconds: float

    def claims(self):
        return claims(self.steps)

    def reached(self):
        """What the demo's training reached, or "" for a demo that does not train."""
        return reached(self.name, self.steps)


# ---- the summary, as printed --------------------------------------------------------------------
def counts(sections):
    """How many of the post's figures got each verdict, over all ``sections``."""
    found = Counter(claim.verdict for section in sections for claim in section.claims())
    return {verdict: found[verdict] for verdict in VERDICTS}


def differing(sections):
    """(section, claim) for every figure the post gets wrong."""
    return [(section, claim) for section in sections for claim in section.claims() if claim.verdict == "differs"]


def mistakes(sections):
    """The post's mistakes, each once: (section, the differing claims that share one note), in the tour's order.

    One wrong input (a row of logits, say) makes several figures differ, and
    their claims share the note that says what would give the post's figures.
    """
    grouped = {}
    for section, claim in differing(sections):
        key = (section.name, claim.note or claim.name)  # a claim without a note is a mistake of its own
        grouped.setdefault(key, (section, []))[1].append(claim)
    return list(grouped.values())


def summary(sections, terminal=None):
    """The table printed at the end of the tour: verdicts per demo, totals, and every *differs* item."""
    terminal = terminal or Terminal(width=10**9)
    header = f"  {'demo':16}" + "".join(f"{verdict:>13}" for verdict in VERDICTS) + f"{'seconds':>9}"
    paint = terminal.paint if len(header) <= terminal.width else lambda cell, verdict: cell  # folded rows stay plain
    rows = []
    for section in [*sections, None]:
        found = counts(sections if section is None else [section])
        name = "all" if section is None else section.name
        seconds = sum(s.seconds for s in sections) if section is None else section.seconds
        cells = "".join(paint(f"{found[v]:13d}", v) if found[v] else f"{0:13d}" for v in VERDICTS)
        rows.append(f"  {name:16}{cells}{seconds:9.1f}")
    total = counts(sections)
    checked = total["exact"] + total["rounded"] + total["differs"]
    lines = [
        "The post's figures, recomputed by the engines",
        header,
        *rows,
        (
            f"Of the {checked} figures the post gives inputs for, the engines reproduce {total['exact']} exactly"
            f" and {total['rounded']} up to the last digit; {total['differs']} differ."
            f" {total['illustrative']} more are illustrative (the post gives no inputs that determine them)."
        ),
    ]
    trained = [(section.name, section.reached()) for section in sections if section.reached()]
    if trained:
        lines.append("\nWhat the demos that train reached:")
        lines += [f"  {name}: {outcome}" for name, outcome in trained]
    wrong = differing(sections)
    if wrong:
        lines.append("\nWhere the post's figure differs from what its own inputs give:")
        for (section, claim), after in zip(wrong, [*wrong[1:], (None, None)]):
            post, correct = f"{claim.post}{claim.unit}", f"{claim.engine_shown()}{claim.unit}"
            lines.append(f"  {section.name} · {claim.name}: post {post}, correct {correct}")
            if claim.note and claim.note != getattr(after[1], "note", None):
                lines.append(claim.note_line())
    return "\n".join(part for line in lines for part in _fitted(terminal, line))


def _fitted(terminal, line):
    """``line`` wrapped to ``terminal`` unless it is a row of the table (painted rows are already narrow enough)."""
    return [line] if "\033[" in line else terminal.fit(line).split("\n")


# ---- the page -----------------------------------------------------------------------------------
def write_report(path, sections):
    """Write the tour's page to ``path`` and return ``path``.

    The page is written under a temporary name and renamed when complete, so a
    stopped tour never leaves half a page behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    unfinished = path.with_name(f".{path.name}.partial")
    try:
        unfinished.write_text(page(sections), encoding="utf-8")
        os.replace(unfinished, path)
    finally:
        unfinished.unlink(missing_ok=True)
    return path


def page(sections):
    body = [
        "<h1>The Math That Makes LLMs Work, recomputed</h1>",
        _contents(sections),
        INTRODUCTION,
        _summary_table(sections),
        _mistakes_list(sections),
    ]
    part = None
    for section in sections:
        if section.part != part:
            part = section.part
            body.append(f"<h2>{_text(part)}</h2>")
        body.append(_section(section))
    return TEMPLATE.format(style=STYLE, body="\n".join(body))


def _summary_table(sections):
    """Verdict counts per demo, coloured where not zero; a training demo's row says what it reached instead of zeros."""
    head = "".join(f"<th>{v}</th>" for v in VERDICTS)
    rows = []
    for section in [*sections, None]:
        found = counts(sections if section is None else [section])
        name = "<b>all</b>" if section is None else f'<a href="#{section.name}">{section.name}</a>'
        seconds = sum(s.seconds for s in sections) if section is None else section.seconds
        outcome = section.reached() if section is not None else ""
        trained = f'<td class=reached colspan="{len(VERDICTS)}">trained: {_text(outcome)}</td>'
        if outcome and not any(found.values()):
            cells = trained
        else:
            cells = "".join(f'<td class="{v if found[v] else "zero"}">{found[v]}</td>' for v in VERDICTS)
        rows.append(f"<tr><td>{name}</td>{cells}<td>{seconds:.1f}</td></tr>")
        if outcome and any(found.values()):  # counts and what training reached: a second line under the row
            rows.append(f"<tr><td></td>{trained}<td></td></tr>")
    return f"<table class=summary><tr><th>demo</th>{head}<th>seconds</th></tr>{''.join(rows)}</table>"


def _mistakes_list(sections):
    """The post's mistakes, each once, with the figures it affects folded under it."""
    found = mistakes(sections)
    if not found:
        return "<p>No figure of the post differs from what its inputs give.</p>"
    items = []
    for section, wrong in found:
        where = f'<a href="#{section.name}">{section.name}</a>'
        if len(wrong) == 1:
            items.append(f"<li>{where} · {_claim(wrong[0])}</li>")
            continue
        names = ", ".join(claim.name for claim in wrong)
        rows = "".join(f"<li>{_claim(claim, show_note=False)}</li>" for claim in wrong)
        items.append(
            f"<li>{where} · {_text(names)}: <b>{len(wrong)} figures</b> differ"
            f'<div class="note">↳ {_text(wrong[0].note)}</div>'
            f"<details><summary>the {len(wrong)} figures</summary><ul>{rows}</ul></details></li>"
        )
    return (
        f"<h3>The post's {len(found)} mistakes: where its figures differ from what its own inputs give</h3>"
        f"<ul class=claims>{''.join(items)}</ul>"
    )


def _contents(sections):
    """The demos by the post's parts, as links: the first thing on the page."""
    parts = {}
    for s in sections:
        parts.setdefault(s.part, []).append(f'<li><a href="#{s.name}">{_text(s.title)}</a></li>')
    listed = "".join(f"<div><b>{_text(part)}</b><ul>{''.join(items)}</ul></div>" for part, items in parts.items())
    return f"<nav class=contents><h3>Contents</h3>{listed}</nav>"


def _section(section):
    steps = "\n".join(_step(i, len(section.steps), step) for i, step in enumerate(section.steps, 1))
    outcome = f"<br>Training reached: {_text(section.reached())}" if section.reached() else ""
    return (
        f'<section id="{section.name}"><h3>{_text(section.title)}</h3>'
        f"<p class=tally>{_text(tally(section.claims()))}{outcome}</p>{steps}</section>"
    )


def _step(i, count, step):
    lines, pictures = [], []
    for line, show_note in step.notes_shown():
        if isinstance(line, Claim):
            lines.append(f'<div class="claim">{_claim(line, show_note)}</div>')
        else:
            lines.append(f"<div class=line>{_text(line)}</div>")
    for picture, caption in step.pictures:
        pictures.append(picture_html(picture, caption))
    return (
        f"<div class=step><h4>{i}/{count} · {_text(step.title)}</h4>"
        f"<div class=lines>{''.join(lines)}</div>{''.join(pictures)}</div>"
    )


def _claim(claim, show_note=True):
    engine = f"{claim.engine_shown()}{claim.unit}" if claim.engine else "—"
    note = f'<div class="note">↳ {_text(claim.note)}</div>' if claim.note and show_note else ""
    return (
        f"{_text(claim.name)}: post <b>{_text(claim.post + claim.unit)}</b> · engine <b>{_text(engine)}</b>"
        f' <span class="badge {claim.verdict}">{claim.verdict}</span>{note}'
    )


def picture_html(path, caption):
    """A picture embedded in the page: PNG/SVG as data URIs, HTML in a frame, DOT as text."""
    label = f"<figcaption>{_text(caption)} <span class=path>({_text(str(path))})</span></figcaption>"
    if not path.exists():
        return f"<figure><p class=missing>not written: {_text(str(path))}</p>{label}</figure>"
    suffix = path.suffix.lower()
    if suffix in IMAGE_TYPES:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'<figure><img alt="{_text(caption)}" src="data:{IMAGE_TYPES[suffix]};base64,{data}">{label}</figure>'
    if suffix == ".html":
        source = html.escape(path.read_text(encoding="utf-8"), quote=True)
        return f'<figure><iframe title="{_text(caption)}" srcdoc="{source}"></iframe>{label}</figure>'
    return f"<figure><pre>{_text(path.read_text(encoding='utf-8'))}</pre>{label}</figure>"


def _text(text):
    return html.escape(str(text), quote=True)


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Math That Makes LLMs Work, recomputed</title>
<style>{style}</style></head>
<body>
{body}
</body></html>
"""

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }
h2 { border-bottom: 3px solid #333; margin-top: 2.5em; }
section { margin: 2em 0; }
.step { border-left: 3px solid #ccc; padding: 0.2em 1em; margin: 1em 0; }
.step h4 { margin: 0.4em 0; }
.lines { font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap; }
.claim { margin: 0.15em 0; }
.note { color: #555; margin-left: 2em; }
.badge { border-radius: 3px; padding: 0 0.4em; color: white; font-size: 12px; }
.exact { background: #2e7d32; } .rounded { background: #00838f; }
.differs { background: #c62828; } .illustrative { background: #757575; }
table.summary { border-collapse: collapse; font-family: ui-monospace, monospace; }
table.summary td, table.summary th { border: 1px solid #ccc; padding: 0.2em 0.7em; text-align: right; }
table.summary td:first-child { text-align: left; }
table.summary td.exact, table.summary td.rounded, table.summary td.differs, table.summary td.illustrative
  { background: none; font-weight: bold; }
table.summary td.exact { color: #2e7d32; } table.summary td.rounded { color: #00838f; }
table.summary td.differs { color: #c62828; } table.summary td.illustrative { color: #757575; }
table.summary td.zero { color: #bbb; }
table.summary td.reached { text-align: left; font-family: system-ui, sans-serif; font-size: 13px; }
nav.contents { columns: 2; font-size: 14px; }
nav.contents div { break-inside: avoid; }
nav.contents ul { margin: 0.2em 0 0.6em; padding-left: 1.2em; }
nav.contents h3 { column-span: all; margin-top: 0; }
details summary { cursor: pointer; color: #555; margin-left: 2em; }
.tally { color: #555; }
ul.claims { font-family: ui-monospace, monospace; font-size: 13px; }
figure { margin: 1em 0; }
figure img { max-width: 100%; }
figure iframe { width: 100%; height: 640px; border: 1px solid #ccc; }
figure pre { max-height: 300px; overflow: auto; background: #f6f6f6; }
figcaption { color: #555; font-size: 13px; }
.path { color: #999; }
.missing { color: #c62828; }
"""
