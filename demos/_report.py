"""The tour's report: one self-contained HTML page, and the summary table printed at the end.

The page follows the post's order: each demo's steps, its figures with their
verdicts, its pictures. Pictures are embedded (PNG and SVG as data URIs, the
backpropagation step-through as an inline frame), so the page opens offline
and can be mailed as one file.
"""

import base64
import html
from collections import Counter
from dataclasses import dataclass

from demos._stepper import VERDICTS, Claim, claims

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


# ---- the summary, as printed --------------------------------------------------------------------
def counts(sections):
    """How many of the post's figures got each verdict, over all ``sections``."""
    found = Counter(claim.verdict for section in sections for claim in section.claims())
    return {verdict: found[verdict] for verdict in VERDICTS}


def differing(sections):
    """(section, claim) for every figure the post gets wrong."""
    return [(section, claim) for section in sections for claim in section.claims() if claim.verdict == "differs"]


def summary(sections):
    """The table printed at the end of the tour: verdicts per demo, totals, and every *differs* item."""
    header = f"  {'demo':17}" + "".join(f"{verdict:>13}" for verdict in VERDICTS) + f"{'seconds':>10}"
    rows = []
    for section in sections:
        found = counts([section])
        rows.append(f"  {section.name:17}" + "".join(f"{found[v]:13d}" for v in VERDICTS) + f"{section.seconds:10.1f}")
    total = counts(sections)
    seconds = sum(section.seconds for section in sections)
    rows.append(f"  {'all':17}" + "".join(f"{total[v]:13d}" for v in VERDICTS) + f"{seconds:10.1f}")
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
    wrong = differing(sections)
    if wrong:
        lines.append("\nWhere the post's figure differs from what its own inputs give:")
        for (section, claim), after in zip(wrong, [*wrong[1:], (None, None)]):
            lines.append(f"  {section.name} · {claim.name}: post {claim.post}{claim.unit}, correct {claim.engine}{claim.unit}")
            if claim.note and claim.note != getattr(after[1], "note", None):
                lines.append(claim.note_line())
    return "\n".join(lines)


# ---- the page -----------------------------------------------------------------------------------
def write_report(path, sections):
    """Write the tour's page to ``path`` and return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(sections), encoding="utf-8")
    return path


def page(sections):
    body = [
        "<h1>The Math That Makes LLMs Work, recomputed</h1>",
        INTRODUCTION,
        _summary_table(sections),
        _differs_list(sections),
        _contents(sections),
    ]
    part = None
    for section in sections:
        if section.part != part:
            part = section.part
            body.append(f"<h2>{_text(part)}</h2>")
        body.append(_section(section))
    return TEMPLATE.format(style=STYLE, body="\n".join(body))


def _summary_table(sections):
    head = "".join(f"<th>{v}</th>" for v in VERDICTS)
    rows = []
    for section in [*sections, None]:
        found = counts(sections if section is None else [section])
        name = "<b>all</b>" if section is None else f'<a href="#{section.name}">{section.name}</a>'
        seconds = sum(s.seconds for s in sections) if section is None else section.seconds
        cells = "".join(f'<td class="{v}">{found[v]}</td>' for v in VERDICTS)
        rows.append(f"<tr><td>{name}</td>{cells}<td>{seconds:.1f}</td></tr>")
    return f"<table class=summary><tr><th>demo</th>{head}<th>seconds</th></tr>{''.join(rows)}</table>"


def _differs_list(sections):
    items = [
        f'<li><a href="#{section.name}">{section.name}</a> · {_claim(claim)}</li>'
        for section, claim in differing(sections)
    ]
    if not items:
        return "<p>No figure of the post differs from what its inputs give.</p>"
    return f"<h3>Where the post's figure differs from its own inputs</h3><ul class=claims>{''.join(items)}</ul>"


def _contents(sections):
    items = "".join(f'<li><a href="#{s.name}">{_text(s.title)}</a></li>' for s in sections)
    return f"<h3>Contents</h3><ol>{items}</ol>"


def _section(section):
    steps = "\n".join(_step(i, len(section.steps), step) for i, step in enumerate(section.steps, 1))
    return f'<section id="{section.name}"><h3>{_text(section.title)}</h3>{steps}</section>'


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
    engine = f"{claim.engine}{claim.unit}" if claim.engine else "—"
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
  { background: none; }
ul.claims { font-family: ui-monospace, monospace; font-size: 13px; }
figure { margin: 1em 0; }
figure img { max-width: 100%; }
figure iframe { width: 100%; height: 640px; border: 1px solid #ccc; }
figure pre { max-height: 300px; overflow: auto; background: #f6f6f6; }
figcaption { color: #555; font-size: 13px; }
.path { color: #999; }
.missing { color: #c62828; }
"""
