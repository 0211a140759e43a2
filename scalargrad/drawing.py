"""Pictures of a computation graph: values forward, gradients backward (§10).

Two entry points, both drawn by Graphviz:

    draw(root, view)          a graphviz.Digraph (Jupyter shows it inline); legend=True explains it
    render(graph, path)       writes <path>.dot, then the picture <path>.svg or .png
                              (in ``rendering.py``; importable from here too)

The step-through of both passes (``step_through``) lives in ``stepper.py`` and
draws its frames with ``Walk`` and ``digraph`` from here.

The backward view writes on every edge the chain-rule step that ran along it,
``upstream × local = contribution``: the gradient of the node the edge leads
into, times that node's local derivative with respect to the edge's source.
A node used twice gets two edges, and its gradient is the sum of both.

Nodes are read through a small protocol only, so any engine can be drawn:
their inputs (``scalargrad.graph``), ``op`` (None for a leaf, else with ``.name``
and ``.symbol``), ``label`` and ``data``. Numbers from the user's code (the 2
in ``x**2``) are drawn small and quiet beside the op that uses them; every
leaf the user made is named on its node. What differs between engines is a
*style*, one per node type: ``scalargrad.scalar_style.ScalarStyle`` for
Values and ``tensorgrad.drawing.TensorStyle`` for Tensors, each handed over
with ``register_style`` in its engine's ``__init__.py``. How
numbers and nodes are named lives in ``format_number`` and ``node_name``.
"""

import html
import re
from functools import cached_property
from typing import NamedTuple

import graphviz

from scalargrad.graph import topological_order
from scalargrad.rendering import (  # noqa: F401 (drawn here, written there)
    INSTALL_HINT,
    GraphvizNotFoundError,
    render,
    write_source,
)

VIEWS = ("forward", "backward")
LAYOUT = "both"  # the step-through's one layout: every label either pass shows, arrows both ways
ZERO_GRADIENT_NOTE = "gradients are all zero — call root.backward() first"


# ---- how numbers and nodes are written: the only two places that decide ------
def format_number(x):
    """A number to about 4 significant digits, written the same everywhere: 9, 0.5, 0.3333."""
    return f"{x + 0.0:.4g}"  # adding 0.0 turns -0.0 into 0.0


def node_name(node, index, constant):
    """How captions and formulas name a node: its label, else its op and position ("mul#3").

    An unlabeled leaf is "const#3" if it is a constant, else "leaf#3" (a Value or tensor the user made).
    """
    if node.label is not None:
        return node.label
    if node.op is not None:
        return f"{node.op.name}#{index}"
    return f"const#{index}" if constant else f"leaf#{index}"


OPERATOR_OR_SPACE = re.compile(r"[\s+\-−*×/÷^·@]")


def in_formula(name):
    """A name as a formula writes it: parenthesised if it holds an operator or a space, ∂L/∂(x1*w1 + x2*w2)."""
    return f"({name})" if OPERATOR_OR_SPACE.search(name) else name


# ---- the graph, walked once ------------------------------------------------------
class Edge(NamedTuple):
    """One use of a node: ``parent`` is input number ``slot`` of ``child`` (positions in the walk)."""

    parent: int
    child: int
    slot: int


class Walk:
    """The nodes of a graph in topological order (root last), their names, edges and style.

    ``caller`` ("draw", "step_through") names the entry point in error messages. A constant is
    ``quiet`` (small, no gradient, no edge labels) unless ``include_constants`` asks for it in full.
    """

    def __init__(self, root, max_nodes, caller, include_constants=False):
        style = _style_for(root, caller)
        size = style.size(root)  # counted before ``nodes`` may lift constants: a refusal changes nothing
        if size > max_nodes:
            raise ValueError(
                f"{caller}: the graph has {size} nodes, more than max_nodes={max_nodes}; "
                f"pass max_nodes={size} (or more) to draw it anyway"
            )
        self.order = style.nodes(root)
        self.root = len(self.order) - 1
        self.position = {node: i for i, node in enumerate(self.order)}
        self.style = style(self)
        self.constant = [self.style.is_constant(node) for node in self.order]
        self.quiet = [constant and not include_constants for constant in self.constant]
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
        return self.style.value(node.data) if self.constant[node_index] else in_formula(self.names[node_index])

    def user_leaves(self):
        """Positions of the leaves the user made (inputs, parameters): every leaf but the constants."""
        return [i for i, node in enumerate(self.order) if node.op is None and not self.constant[i]]


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
    ``edge_legend``           what the text on a backward edge means, for the legends
    """

    edge_legend = ""

    def __init__(self, walk):
        self.walk = walk

    def is_constant(self, node):
        """A leaf without a label, such as the 2 in ``x ** 2`` (an engine that marks its constants says so exactly)."""
        return node.op is None and node.label is None

    def describe(self, node):
        return []

    def gradients_missing(self):
        return False

    @staticmethod
    def nodes(root):
        """The nodes to draw, in topological order."""
        return topological_order(root)

    @staticmethod
    def size(root):
        """How many nodes ``nodes(root)`` would give, found without changing the graph."""
        return len(topological_order(root))


# ---- which style draws which node type: one registry, filled explicitly -----------------
_STYLES = {}  # node type → style: each engine adds its own with register_style, in its __init__.py


def register_style(node_type, style):
    """Draw graphs whose nodes are ``node_type`` (or a subclass) with ``style``, a ``Style`` subclass.

    scalargrad calls ``register_style(Value, ScalarStyle)`` once, in its
    ``__init__.py``, and tensorgrad ``register_style(Tensor, TensorStyle)``.
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
GRAPH_DEFAULTS = {"nodesep": "0.2", "ranksep": "0.3"}
LEAF_LOOK = {"fillcolor": "#dbeafe"}  # inputs and parameters: the leaves the user made
OP_LOOK = {"fillcolor": "#ffffff"}
CONSTANT_LOOK = {  # a number from the user's code: small and quiet
    "shape": "ellipse", "style": "filled", "fillcolor": "#f4f4f4", "color": "#bbbbbb", "fontcolor": "#555555",
    "fontsize": "9", "width": "0.3", "height": "0.2", "margin": "0.02",
}
QUIET_EDGE_LOOK = {"color": "#bbbbbb", "style": "dashed", "arrowsize": "0.5"}
OPERAND_LOOK = {"labelfontsize": "9", "labelfontcolor": "#777777", "labeldistance": "1.4"}
# Which input is which, for the ops where order matters: the node shows the formula, each edge its letter.
OPERANDS = {"−": ("a − b", "a", "b"), "÷": ("a ÷ b", "a", "b"), "xᵏ": ("xᵏ", "x", "k"), "aᵇ": ("aᵇ", "a", "b")}
LEGEND_ROWS = (  # colour (None: no swatch) and what it means; the style adds what its edges say
    ("#dbeafe", "a leaf you made: an input or a parameter"),
    ("#ffffff", "the result of an op: its name, the op, its value"),
    ("#f4f4f4", "a constant from your code, such as the 2 in x**2 (small, no gradient)"),
    (None, "a, b on the arrows into a − b and a ÷ b say which input is which; x, k for xᵏ"),
)


def draw(root, view="forward", *, max_nodes=500, rankdir="LR", legend=False):
    """The graph that computed ``root``, as a ``graphviz.Digraph``.

    ``view="forward"`` shows each node's label, value and the op that made it.
    ``view="backward"`` adds each gradient and writes on every edge the
    chain-rule step ``upstream × local = contribution`` that ran along it
    (for tensors: the norm of the gradient the edge carried, ``‖g‖ 0.53``).
    ``legend=True`` adds a key to the colours, shapes and edge labels.
    Graphs with more than ``max_nodes`` nodes are refused, since such a picture
    is unreadable; raise the limit to draw one anyway. Drawing a Value's graph
    turns each plain number in it (the 2 in ``x * 2``) into a ``Constant`` node.
    """
    _check_view(view)
    walk = Walk(root, max_nodes, "draw")
    graph = digraph(walk, view, rankdir)
    missing = view == "backward" and walk.style.gradients_missing()
    notes = [f'<FONT COLOR="#c0392b">{ZERO_GRADIENT_NOTE}</FONT>'] * missing + [_legend_table(walk)] * legend
    if notes:
        graph.attr(label="<" + "<BR/>".join(notes) + ">", labelloc="t", fontname="Helvetica", fontsize="10")
    return graph


def legend_rows(walk):
    """(colour or None, meaning) for each line of the key to ``walk``'s drawing."""
    return (*LEGEND_ROWS, (None, walk.style.edge_legend))


def _legend_table(walk):
    """The key to a drawing, as a Graphviz HTML-like table."""
    rows = "".join(
        f'<TR><TD BGCOLOR="{colour}" BORDER="1" WIDTH="14"> </TD><TD ALIGN="LEFT">{_html(text)}</TD></TR>'
        if colour else f'<TR><TD></TD><TD ALIGN="LEFT">{_html(text)}</TD></TR>'
        for colour, text in legend_rows(walk)
    )
    return f'<TABLE BORDER="0" CELLSPACING="2">{rows}</TABLE>'


def _check_view(view):
    if view not in VIEWS:
        raise ValueError(f"draw: view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}")


def digraph(walk, view, rankdir):
    """Build the Digraph. ``view`` is "forward", "backward", or ``LAYOUT`` ("both"): the one picture a
    step-through lays out, with every text either pass will show and arrows both ways; its page then
    only recolours it and changes its texts. Node ``i`` gets the SVG id ``n{i}``, edge ``k`` ``e{k}``."""
    graph = graphviz.Digraph(
        name=view, graph_attr={"rankdir": rankdir, **GRAPH_DEFAULTS}, node_attr=NODE_DEFAULTS, edge_attr=EDGE_DEFAULTS
    )
    for i, node in enumerate(walk.order):
        look = CONSTANT_LOOK if walk.constant[i] else LEAF_LOOK if node.op is None else OP_LOOK
        if i == walk.root:
            look = {**look, "penwidth": "2"}
        graph.node(f"n{i}", _node_text(walk, i, view), id=f"n{i}", **look)
    for k, edge in enumerate(walk.edges):
        graph.edge(f"n{edge.parent}", f"n{edge.child}", id=f"e{k}", **_edge_look(walk, edge, view))
    return graph


def _node_text(walk, i, view):
    """An HTML-like label: name, op, data and (backward) grad; a constant is its value alone.

    The data row and the grad row come last, each one line: the step-through page finds them there.
    """
    node, style = walk.order[i], walk.style
    rows = [] if walk.constant[i] else [f"<B>{_html(walk.names[i])}</B>"]
    if node.op is not None:
        symbol = node.op.symbol
        formula = OPERANDS[symbol][0] if symbol in OPERANDS and len(node._parents) == 2 else symbol
        rows.append(f"<I>{_html(formula)}</I>")
    rows += [_html(row) for row in style.describe(node)]
    value = _html(style.value(node.data))
    rows.append(value if walk.constant[i] else f"data {value}")
    if view != "forward" and not walk.quiet[i]:
        rows.append(f"grad {_html(style.grad_text(i))}")
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


def edge_has_label(walk, edge):
    """Whether an edge carries its chain-rule step backward: every edge but a quiet constant's."""
    return not walk.quiet[edge.parent] and bool(walk.style.edge_label(edge))


def _edge_look(walk, edge, view):
    """Edge attributes: backward edges point the way gradients flow and carry their chain-rule step;
    an edge into − ÷ xᵏ names the input it is (a, b; x, k)."""
    look = {"dir": {"forward": "forward", "backward": "back"}.get(view, "both")}
    if view != "forward" and edge_has_label(walk, edge):
        look["label"] = walk.style.edge_label(edge)
    symbol = walk.order[edge.child].op.symbol
    if symbol in OPERANDS and len(walk.order[edge.child]._parents) == 2:
        look.update(OPERAND_LOOK, headlabel=OPERANDS[symbol][1 + edge.slot])
    if walk.quiet[edge.parent]:
        look.update(QUIET_EDGE_LOOK)
    return look
