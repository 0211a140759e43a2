"""Pictures of a computation graph: values forward, gradients backward (§10).

Two entry points, both drawn by Graphviz:

    draw(root, view)          a graphviz.Digraph (Jupyter shows it inline)
    render(graph, path)       writes <path>.dot, then the picture <path>.svg or .png

The step-through of both passes (``step_through``) lives in ``stepper.py`` and
draws its frames with ``Walk`` and ``digraph`` from here.

The backward view writes on every edge the chain-rule step that ran along it,
``upstream × local = contribution``: the gradient of the node the edge leads
into, times that node's local derivative with respect to the edge's source.
A node used twice gets two edges, and its gradient is the sum of both.

Nodes are read through a small protocol only, so any engine can be drawn:
``_parents``, ``op`` (None for a leaf, else with ``.name`` and ``.symbol``),
``label`` and ``data``. What differs between engines (how a value and a
gradient are written, what an edge says, the chain rule of a step) is a
*style*, one per node type: ``ScalarStyle`` here for Values, and
``tensorgrad.drawing.TensorStyle`` for Tensors (shapes, dtypes, previews and the
norm of the gradient each edge carries), which tensorgrad hands over with
``register_style(Tensor, TensorStyle)`` in its ``__init__.py``. How numbers
and nodes are named lives in two functions, ``format_number`` and ``node_name``.
"""

import html
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import graphviz

from scalargrad.graph import backpropagate, topological_order
from scalargrad.value import Value, vjp_on_floats

VIEWS = ("forward", "backward")
FORMATS = ("svg", "png")
ZERO_GRADIENT_NOTE = "gradients are all zero — call root.backward() first"
INSTALL_HINT = (
    "install Graphviz with `sudo apt-get install graphviz` (Debian/Ubuntu) "
    "or `brew install graphviz` (macOS)"
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is missing: the DOT source was written, no picture."""


# ---- how numbers and nodes are written: the only two places that decide ------
def format_number(x):
    """A number to about 4 significant digits, written the same everywhere: 9, 0.5, 0.3333."""
    return f"{x + 0.0:.4g}"  # adding 0.0 turns -0.0 into 0.0


def node_name(node, index, constant):
    """How captions and formulas name a node: its label, else its op and position ("mul#3").

    An unlabeled leaf is "const#3" if it is a constant, else "leaf#3" (a tensor parameter).
    """
    if node.label is not None:
        return node.label
    if node.op is not None:
        return f"{node.op.name}#{index}"
    return f"const#{index}" if constant else f"leaf#{index}"


# ---- the graph, walked once ------------------------------------------------------
class Edge(NamedTuple):
    """One use of a node: ``parent`` is input number ``slot`` of ``child`` (positions in the walk)."""

    parent: int
    child: int
    slot: int


class Walk:
    """The nodes of a graph in topological order (root last), their names, edges and style.

    ``caller`` ("draw", "step_through") names the entry point in error messages.
    """

    def __init__(self, root, max_nodes, caller):
        style = _style_for(root, caller)
        self.order = topological_order(root)
        if len(self.order) > max_nodes:
            raise ValueError(
                f"{caller}: the graph has {len(self.order)} nodes, more than max_nodes={max_nodes}; "
                f"pass max_nodes={len(self.order)} (or more) to draw it anyway"
            )
        self.root = len(self.order) - 1
        self.position = {node: i for i, node in enumerate(self.order)}
        self.style = style(self)
        self.constant = [self.style.is_constant(node) for node in self.order]
        self.names = [node_name(node, i, self.constant[i]) for i, node in enumerate(self.order)]
        # One edge per use, so ``a + a`` has two edges from a to the sum.
        self.edges = [
            Edge(self.position[parent], child, slot)
            for child, node in enumerate(self.order)
            for slot, parent in enumerate(node._parents)
        ]

    @cached_property
    def uses(self):
        """For each node, the edges that leave it: where its gradient comes back from."""
        uses = [[] for _ in self.order]
        for edge in self.edges:
            uses[edge.parent].append(edge)
        return uses

    def operand(self, node_index):
        """A node as an operand in a caption: constants by their value, others by name."""
        node = self.order[node_index]
        return self.style.value(node.data) if self.constant[node_index] else self.names[node_index]


# ---- styles: what each engine's nodes and edges say ----------------------------------
class Style:
    """How one engine's graph is written. A style is made for one walk (``self.walk``) and says:

    ``is_constant(node)``     whether a node is drawn as just its value, without a name
    ``describe(node)``        extra rows under a node's name (a tensor's shape and dtype)
    ``value(data)``           a value as text
    ``grad_text(i)``          the gradient of node i as text
    ``edge_label(edge)``      what the gradient sent back along an edge looks like
    ``chain_rule(i)``         the chain rule that completes node i's gradient, in numbers
    ``gradients_missing()``   True if there is nothing to show yet (backward() not called)
    """

    def __init__(self, walk):
        self.walk = walk

    def is_constant(self, node):
        """A leaf without a label, such as the 2 in ``x ** 2``."""
        return node.op is None and node.label is None

    def describe(self, node):
        return []

    def gradients_missing(self):
        return False


def record_backward(order, seed, vjp):
    """Run the engine's chain-rule loop from the root (``order[-1]``), recording what it does.

    Returns ``(sent, totals)``: ``sent[child, slot]`` is what input number
    ``slot`` of node ``child`` received from it, and ``totals[i]`` the
    gradient of node i (None if it received none). No ``.grad`` is touched.
    """
    position = {node: i for i, node in enumerate(order)}
    totals = [None] * len(order)
    sent = {}

    def recording_vjp(node, grad):
        shares = vjp(node, grad)
        for slot, share in enumerate(shares):
            if share is not None:
                sent[position[node], slot] = share
        return shares

    for node, grad in backpropagate(order[-1], seed, recording_vjp):
        totals[position[node]] = grad
    return sent, totals


class ScalarStyle(Style):
    """scalargrad's Values: one number per node; on each edge ``upstream × local = contribution``."""

    def value(self, data):
        return format_number(data)

    def grad_text(self, i):
        return format_number(self.walk.order[i].grad)

    @cached_property
    def local_derivatives(self):
        """d(node)/d(parent) for every node's parents: the numbers on the edges."""
        return [node.local_derivatives() for node in self.walk.order]

    @cached_property
    def _backward(self):
        return record_backward(self.walk.order, 1.0, vjp_on_floats)

    def chain_step(self, edge):
        """(upstream, local, contribution) for the gradient sent back along ``edge``, as backward() did it."""
        sent, totals = self._backward
        return totals[edge.child], self.local_derivatives[edge.child][edge.slot], sent[edge.child, edge.slot]

    def edge_label(self, edge):
        upstream, local, contribution = self.chain_step(edge)
        return f"{format_number(upstream)} × {format_number(local)} = {format_number(contribution)}"

    def chain_rule(self, i):
        """"∂L/∂w1 = ∂L/∂hidden · ∂hidden/∂w1 = 9 × 0.5 = 4.5": one term per use, summed."""
        walk, name = self.walk, self.walk.names[i]
        if i == walk.root:
            return f"∂L/∂L = {self.grad_text(i)}   (L is {name}, where backward() starts)"
        symbols, numbers, total = [], [], 0.0
        for edge in walk.uses[i]:
            child = walk.names[edge.child]
            upstream, local, contribution = self.chain_step(edge)
            symbols.append(f"∂L/∂{child} · ∂{child}/∂{name}")
            numbers.append(f"{format_number(upstream)} × {format_number(local)}")
            total += contribution
        return f"∂L/∂{name} = {' + '.join(symbols)} = {' + '.join(numbers)} = {format_number(total)}"

    def gradients_missing(self):
        return all(node.grad == 0 for node in self.walk.order)


# ---- which style draws which node type: one registry, filled explicitly -----------------
_STYLES = {Value: ScalarStyle}  # node type → style; other engines add theirs with register_style


def register_style(node_type, style):
    """Draw graphs whose nodes are ``node_type`` (or a subclass) with ``style``, a ``Style`` subclass.

    Values are drawn with ``ScalarStyle`` from the start; tensorgrad calls
    ``register_style(Tensor, TensorStyle)`` once, in its ``__init__.py``.
    """
    if not isinstance(node_type, type):
        raise TypeError(f"register_style: node_type must be a class, got {node_type!r}")
    if not (isinstance(style, type) and issubclass(style, Style)):
        raise TypeError(f"register_style: style for {node_type.__name__} must be a subclass of Style, got {style!r}")
    _STYLES[node_type] = style


def _style_for(root, caller):
    """The style for ``root``'s engine, looked up by its type."""
    for kind in type(root).__mro__:
        if kind in _STYLES:
            return _STYLES[kind]
    raise TypeError(
        f"{caller}: cannot draw a {type(root).__name__}; it draws {', '.join(t.__name__ for t in _STYLES)} "
        "(another engine's nodes need register_style(node_type, style) first)"
    )


# ---- building the Digraph ----------------------------------------------------------
NODE_DEFAULTS = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "11"}
EDGE_DEFAULTS = {"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7"}
LEAF_LOOK = {"fillcolor": "#dbeafe"}  # inputs and parameters
OP_LOOK = {"fillcolor": "#ffffff"}
CONSTANT_LOOK = {"shape": "ellipse", "style": "dashed,filled", "fillcolor": "#f4f4f4", "fontcolor": "#555555"}
PENDING_LOOK = {"fillcolor": "#f4f4f4", "color": "#c8c8c8", "fontcolor": "#a8a8a8"}
CURRENT_LOOK = {"fillcolor": "#ffe08a", "color": "#c0392b", "penwidth": "2.5"}
HOT_EDGE_LOOK = {"color": "#c0392b", "fontcolor": "#c0392b", "penwidth": "2"}
PENDING_EDGE_LOOK = {"color": "#c8c8c8"}


@dataclass(frozen=True)
class Focus:
    """A moment in a pass: the nodes already finished, and the one finishing now."""

    finished: range
    current: int


def draw(root, view="forward", *, max_nodes=500, rankdir="LR"):
    """The graph that computed ``root``, as a ``graphviz.Digraph``.

    ``view="forward"`` shows each node's label, value and the op that made it.
    ``view="backward"`` adds each gradient and writes on every edge the
    chain-rule step ``upstream × local = contribution`` that ran along it
    (for tensors: the norm of the gradient the edge carried, ``‖g‖ 0.53``).
    Graphs with more than ``max_nodes`` nodes are refused, since such a picture
    is unreadable; raise the limit to draw one anyway.
    """
    _check_view(view)
    walk = Walk(root, max_nodes, "draw")
    graph = digraph(walk, view, rankdir)
    if view == "backward" and walk.style.gradients_missing():
        graph.attr(label=ZERO_GRADIENT_NOTE, labelloc="t", fontcolor="#c0392b", fontname="Helvetica")
    return graph


def _check_view(view):
    if view not in VIEWS:
        raise ValueError(f"draw: view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}")


def digraph(walk, view, rankdir, focus=None):
    """Build the Digraph; a ``focus`` (one step-through frame) greys what is not finished yet."""
    graph = graphviz.Digraph(
        name=view, graph_attr={"rankdir": rankdir}, node_attr=NODE_DEFAULTS, edge_attr=EDGE_DEFAULTS
    )
    for i, node in enumerate(walk.order):
        finished = focus is None or i in focus.finished
        look = CONSTANT_LOOK if walk.constant[i] else LEAF_LOOK if node.op is None else OP_LOOK
        if not finished:
            look = {**look, **PENDING_LOOK}
        elif focus is not None and i == focus.current:
            look = {**look, **CURRENT_LOOK}
        elif i == walk.root:
            look = {**look, "penwidth": "2"}  # the root
        graph.node(f"n{i}", _node_text(walk, i, view, finished), **look)
    for edge in walk.edges:
        graph.edge(f"n{edge.parent}", f"n{edge.child}", **_edge_look(walk, edge, view, focus))
    return graph


def _node_text(walk, i, view, finished):
    """An HTML-like label: name, op, data and (backward) grad; "?" for what is not known yet."""
    node, style, constant = walk.order[i], walk.style, walk.constant[i]
    data_known = finished or view == "backward"  # backward frames come after the forward pass
    value = style.value(node.data) if data_known else "?"
    rows = [] if constant else [f"<B>{_html(walk.names[i])}</B>"]
    if node.op is not None:
        rows.append(f"<I>{_html(node.op.symbol)}</I>")
    rows += [_html(row) for row in style.describe(node)]
    rows.append(value if constant else f"data {value}")
    if view == "backward":
        rows.append(f"grad {_html(style.grad_text(i)) if finished else '?'}")
    return "<" + "<BR/>".join(rows) + ">"


def _html(text):
    """Text made safe for a Graphviz HTML-like label: entities, line breaks, backslashes, control characters."""
    # Graphviz still reads escapes such as \N (the node's id) in HTML labels; \\ is a backslash.
    escaped = html.escape(str(text)).replace("\\", "\\\\")
    escaped = escaped.replace("\r\n", "\n").replace("\n", "<BR/>")
    return CONTROL_CHARACTERS.sub(_control_picture, escaped)


CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")  # dot refuses them; tab and newline are handled


def _control_picture(match):
    """NUL, BEL, ESC … drawn as their Unicode pictures (␀ ␇ ␛), which dot renders and a reader recognises."""
    code = ord(match.group())
    return chr(0x2421) if code == 0x7F else chr(0x2400 + code)


def _edge_look(walk, edge, view, focus):
    """Edge attributes: backward edges point the way gradients flow and carry their chain-rule step.

    In a frame, an edge is drawn once the gradient has been sent along it, i.e.
    once the node it leads into is finished; the edges into (forward) or out of
    (backward) the current node are highlighted.
    """
    look = {"dir": "back"} if view == "backward" else {}
    sent = focus is None or edge.child in focus.finished
    if view == "backward" and sent:
        label = walk.style.edge_label(edge)
        if label:
            look["label"] = label
    if not sent:
        look.update(PENDING_EDGE_LOOK)
    elif focus is not None and focus.current == (edge.child if view == "forward" else edge.parent):
        look.update(HOT_EDGE_LOOK)
    return look


# ---- writing pictures ----------------------------------------------------------------
def render(graph, path, format="svg"):
    """Write ``<path>.dot``, then draw it with Graphviz to ``<path>.<format>``; return that path.

    The DOT source is written first, so that without Graphviz there is still a
    text file to read; then ``GraphvizNotFoundError`` says how to install it.
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(map(repr, FORMATS))}, got {format!r}")
    path = Path(path)
    source = write_source(graph, path)
    picture = path.with_name(f"{path.name}.{format}")
    try:
        graphviz.render("dot", format, source, outfile=picture)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"render: Graphviz's `dot` program was not found, so {picture} could not be drawn; "
            f"the DOT source was written to {source}. To get pictures, {INSTALL_HINT}."
        ) from None
    return picture


def write_source(graph, path):
    """Write the graph's DOT source to ``<path>.dot``, creating folders as needed."""
    source = path.with_name(f"{path.name}.dot")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(graph.source, encoding="utf-8")
    return source
