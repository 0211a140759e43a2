"""Stepping through both passes of a graph, one frame per node, on one HTML page (§10).

    step_through(root, dir)   writes one picture per step, then dir/index.html
                              to click (or arrow-key) through them

Forward, each node lights up as its value is computed; backward, as its
gradient becomes complete, beside the chain rule for it written out in
numbers. The frames are drawn by ``drawing.py`` (``Walk``, ``digraph``,
``render``); the page around them is the HTML file ``templates/stepper.html``,
shipped inside the package and filled in with ``string.Template``.
"""

import html
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

import graphviz

from scalargrad.drawing import (
    INSTALL_HINT,
    ZERO_GRADIENT_NOTE,
    Focus,
    GraphvizNotFoundError,
    Walk,
    digraph,
    render,
    write_source,
)

PAGE_TEMPLATE = "templates/stepper.html"  # inside the scalargrad package; setup.cfg ships it in the wheel


def page_template():
    """The stepper page with ``$title``, ``$note`` and ``$sections`` still to fill in."""
    return Template(files("scalargrad").joinpath(PAGE_TEMPLATE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Frame:
    """One step: its picture, a caption, and (backward) the chain rule for that step."""

    graph: graphviz.Digraph
    caption: str
    chain_rule: str = ""


def step_through(root, out_dir, *, max_nodes=500):
    """Write one frame per step of the forward and backward passes, and ``index.html`` to view them.

    Forward: one frame per node in topological order, as its value is computed.
    Backward: one frame per node in reverse order, as its gradient becomes
    complete, with the chain rule for it written out in numbers. For Values
    run ``root.backward()`` first: the frames show the gradients it computed.
    Returns the path of the HTML page, which needs no network or other file.
    """
    walk = Walk(root, max_nodes, "step_through")
    if walk.style.gradients_missing():
        raise ValueError(f"step_through: {ZERO_GRADIENT_NOTE}, so the backward frames have something to show")
    frames = _forward_frames(walk) + _backward_frames(walk)
    out_dir = Path(out_dir)
    digits = max(3, len(str(len(frames) - 1)))
    paths = [out_dir / f"frame_{i:0{digits}d}" for i in range(len(frames))]
    page = out_dir / "index.html"
    try:
        pictures = [_inline_svg(render(frame.graph, path).read_text(encoding="utf-8"))
                    for frame, path in zip(frames, paths)]
    except GraphvizNotFoundError:
        for frame, path in zip(frames, paths):
            write_source(frame.graph, path)
        page.write_text(_html_page(walk, frames, pictures=None), encoding="utf-8")
        raise GraphvizNotFoundError(
            f"step_through: Graphviz's `dot` program was not found, so the frames were written as "
            f"DOT source ({paths[0].name}.dot, ...) and {page} shows them as text. "
            f"To get pictures, {INSTALL_HINT}."
        ) from None
    page.write_text(_html_page(walk, frames, pictures), encoding="utf-8")
    return page


def _forward_frames(walk):
    """One frame per node in topological order: the moment its value is computed."""
    return [
        _Frame(digraph(walk, "forward", "LR", Focus(range(i + 1), i)), _forward_caption(walk, i))
        for i in range(len(walk.order))
    ]


def _backward_frames(walk):
    """One frame per node in reverse topological order: the moment its gradient is complete."""
    count = len(walk.order)
    return [
        _Frame(
            digraph(walk, "backward", "LR", Focus(range(i, count), i)),
            _backward_caption(walk, i),
            walk.style.chain_rule(i),
        )
        for i in reversed(range(count))
    ]


def _forward_caption(walk, i):
    """"forward: hidden = input × w1 = 1": the node, how it is computed, its value."""
    node, name = walk.order[i], walk.names[i]
    value = " ".join([*walk.style.describe(node), walk.style.value(node.data)])
    if walk.constant[i]:
        return f"forward: the constant {value}"
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
        return f"backward: start at the root, L = {walk.names[i]}"
    feeds = ", ".join(dict.fromkeys(walk.names[edge.child] for edge in walk.uses[i]))
    return f"backward: {walk.names[i]} collects its gradient from {feeds}"


def _inline_svg(svg):
    """The <svg> element alone, ready to paste into HTML: no XML prolog, DOCTYPE or namespace URLs."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg[start:end]) + svg[end:]


def _html_page(walk, frames, pictures):
    """The stepper page; ``pictures`` are inline SVGs, or None to show each frame's DOT source."""
    sections = []
    for i, frame in enumerate(frames):
        picture = pictures[i] if pictures is not None else f"<pre>{html.escape(frame.graph.source)}</pre>"
        aside = (
            f'<aside class="chain-rule"><h2>Chain rule</h2><p>{html.escape(frame.chain_rule)}</p></aside>'
            if frame.chain_rule
            else ""
        )
        sections.append(
            f'<section class="frame"{"" if i == 0 else " hidden"}>\n'
            f'<p class="caption">{html.escape(frame.caption)}</p>\n'
            f'<div class="step"><div class="picture">{picture}</div>{aside}</div>\n'
            "</section>"
        )
    note = (
        ""
        if pictures is not None
        else f'<p class="note">Graphviz\'s <code>dot</code> was not found, so each frame is shown as '
        f"DOT source. To see pictures, {html.escape(INSTALL_HINT)}, then step through again.</p>"
    )
    title = html.escape(f"Backpropagation step by step: {walk.names[walk.root]}")
    return page_template().substitute(title=title, note=note, sections="\n".join(sections))
