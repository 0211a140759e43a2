"""Stepping through both passes of a graph, one frame per node, on one HTML page (§10).

    step_through(root, dir)   writes dir/graph.svg (the graph, laid out once) and
                              dir/index.html to click (or arrow-key) through it

Forward, each node lights up as its value is computed; backward, as its
gradient becomes complete, beside the chain rule for it written out in
numbers; a closing frame lists the gradient of every leaf the user made.

The graph is laid out once, with every text either pass will show, so no
node ever moves: the page holds that one SVG and, per frame, only which node
is current and what the panel under the picture says; the page's script
recolours the picture and changes its texts. The page grows linearly with the
graph. The picture is made by ``drawing.py`` (``Walk``, ``digraph``); the page
around it is the HTML file ``templates/stepper.html``, shipped inside the
package and filled in with ``string.Template``.
"""

import html
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

from scalargrad.drawing import (
    INSTALL_HINT,
    LAYOUT,
    ZERO_GRADIENT_NOTE,
    GraphvizNotFoundError,
    Walk,
    digraph,
    edge_has_label,
    in_formula,
    legend_rows,
    render,
    write_source,
)

PAGE_TEMPLATE = "templates/stepper.html"  # inside the scalargrad package; setup.cfg ships it in the wheel
PLACEHOLDERS = ("title", "note", "picture", "sections", "legend", "graph")


def page_template():
    """The stepper page with ``$title``, ``$note``, ``$picture``, ``$sections``, ``$legend`` and ``$graph`` to fill in."""
    return Template(files("scalargrad").joinpath(PAGE_TEMPLATE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Frame:
    """One step: which pass ("forward", "backward" or "summary"), its current node, and what the panel says."""

    kind: str
    node: int
    caption: str
    chain_rule: str = ""
    table: str = ""  # HTML: the closing frame's table of gradients


def step_through(root, out_dir, *, max_nodes=500, include_constants=False):
    """Write the graph laid out once, and ``index.html`` to step through both passes on it.

    Forward: one frame per node in topological order, as its value is computed.
    Backward: one frame per node in reverse order, as its gradient becomes
    complete, with the chain rule for it written out in numbers. Last, the
    gradient of every leaf the user made, in one table. Numbers lifted out of
    the code (the 2 in ``x**2``) get no frames unless ``include_constants``.
    For Values run ``root.backward()`` first: the frames show the gradients
    it computed. Returns the path of the HTML page, which needs no network or
    other file.
    """
    walk = Walk(root, max_nodes, "step_through", include_constants)
    if walk.style.gradients_missing():
        raise ValueError(f"step_through: {ZERO_GRADIENT_NOTE}, so the backward frames have something to show")
    frames = frames_of(walk)
    out_dir = Path(out_dir)
    layout = digraph(walk, LAYOUT, "LR")
    page = out_dir / "index.html"
    try:
        picture = _inline_svg(render(layout, out_dir / "graph").read_text(encoding="utf-8"))
    except GraphvizNotFoundError:
        source = write_source(layout, out_dir / "graph")
        page.write_text(_html_page(walk, frames, picture=None, source=layout.source), encoding="utf-8")
        raise GraphvizNotFoundError(
            f"step_through: Graphviz's `dot` program was not found, so the graph was written as "
            f"DOT source ({source.name}) and {page} shows it as text. To get pictures, {INSTALL_HINT}."
        ) from None
    page.write_text(_html_page(walk, frames, picture), encoding="utf-8")
    return page


def frames_of(walk):
    """Every frame, in order: forward, backward, then the closing table (quiet constants get none)."""
    shown = [i for i in range(len(walk.order)) if not walk.quiet[i]]
    forward = [Frame("forward", i, _forward_caption(walk, i)) for i in shown]
    backward = [
        Frame("backward", i, _backward_caption(walk, i), walk.style.chain_rule(i)) for i in reversed(shown)
    ]
    return [*forward, *backward, _closing_frame(walk)]


def _forward_caption(walk, i):
    """"forward: hidden = input × w1 = 1": the node, how it is computed, its value."""
    node, name = walk.order[i], in_formula(walk.names[i])
    value = " ".join([*walk.style.describe(node), walk.style.value(node.data)])
    if walk.constant[i]:
        return f"forward: the constant {value}, a number from your code"
    if node.op is None:
        return f"forward: {name} = {value} (a leaf: an input or a parameter)"
    operands = [walk.operand(walk.position[parent]) for parent in node._parents]
    symbol = node.op.symbol
    if len(operands) == 2 and len(symbol) == 1 and not symbol.isalnum():
        formula = f"{operands[0]} {symbol} {operands[1]}"
    else:
        formula = f"{node.op.name}({', '.join(operands)})"
    return f"forward: {name} = {formula} = {value}"


def _backward_caption(walk, i):
    if i == walk.root:
        return f"backward: start at the root, L = {in_formula(walk.names[i])}"
    feeds = ", ".join(dict.fromkeys(in_formula(walk.names[edge.child]) for edge in walk.uses[i]))
    return f"backward: {in_formula(walk.names[i])} collects its gradient from {feeds}"


def _closing_frame(walk):
    """The gradient of every leaf the user made (inputs, parameters), in one table."""
    rows = "".join(
        f"<tr><td>{html.escape(walk.names[i])}</td>"
        f"<td>{html.escape(' '.join([*walk.style.describe(walk.order[i]), walk.style.value(walk.order[i].data)]))}</td>"
        f"<td>{html.escape(walk.style.grad_text(i))}</td></tr>"
        for i in walk.user_leaves()
    )
    table = f'<table class="gradients"><tr><th>leaf</th><th>data</th><th>∂L/∂leaf (grad)</th></tr>{rows}</table>'
    caption = f"done: the gradient of {in_formula(walk.names[walk.root])} with respect to every leaf you made"
    return Frame("summary", walk.root, caption, table=table)


def _inline_svg(svg):
    """The <svg> element alone, ready to paste into HTML: no XML prolog, DOCTYPE or namespace URLs."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg[start:end]) + svg[end:]


def graph_data(walk):
    """What the page's script needs to recolour the one SVG: per node [constant, has a grad row],
    per edge [parent, child, carries a label, quiet]. Numbers only, so it is safe inside <script>."""
    nodes = [[int(walk.constant[i]), int(not walk.quiet[i])] for i in range(len(walk.order))]
    edges = [
        [edge.parent, edge.child, int(edge_has_label(walk, edge)), int(walk.quiet[edge.parent])]
        for edge in walk.edges
    ]
    return json.dumps({"nodes": nodes, "edges": edges}, separators=(",", ":"))


def _section(frame):
    panel = ""
    if frame.chain_rule:
        panel = f'<div class="chain-rule"><h2>Chain rule</h2><p>{html.escape(frame.chain_rule)}</p></div>'
    return (
        f'<section class="frame" data-kind="{frame.kind}" data-node="{frame.node}">'
        f'<p class="caption">{html.escape(frame.caption)}</p>{panel}{frame.table}</section>'
    )


def _legend(walk):
    """The key under the picture: the drawing's legend, plus what a frame's colours mean."""
    swatch = '<span class="swatch" style="background: {}"></span>'
    items = [(swatch.format(colour) if colour else "") + html.escape(text) for colour, text in legend_rows(walk)]
    items += [
        f'{swatch.format("#ffe08a")}this step (red edges: what it uses)',
        f'{swatch.format("#f4f4f4")}grey: not computed yet; "?": not known yet',
    ]
    return "".join(f"<li>{item}</li>" for item in items)


def _html_page(walk, frames, picture, source=""):
    """The stepper page; ``picture`` is the inline SVG, or None to show the graph's DOT ``source``."""
    note = ""
    if picture is None:
        picture = f"<pre>{html.escape(source)}</pre>"
        note = (
            f'<p class="note">Graphviz\'s <code>dot</code> was not found, so the graph is shown as DOT source. '
            f"To see it drawn, {html.escape(INSTALL_HINT)}, then step through again.</p>"
        )
    return page_template().substitute(
        title=html.escape(f"Backpropagation step by step: {walk.names[walk.root]}"),
        note=note,
        picture=picture,
        sections="\n".join(_section(frame) for frame in frames),
        legend=_legend(walk),
        graph=graph_data(walk),
    )
