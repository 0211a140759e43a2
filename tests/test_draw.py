"""Tests for scalargrad.drawing: the forward and backward views, render, step_through.

Most tests read the DOT source, which needs no Graphviz. Tests that run the
real ``dot`` program use the ``dot_program`` fixture: it skips them when
Graphviz is missing, except on CI (``CI=true``), where it fails them instead.
"""

import os
import re
import shutil
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from scalargrad.drawing import (
    ZERO_GRADIENT_NOTE,
    GraphvizNotFoundError,
    Style,
    draw,
    format_number,
    register_style,
    render,
)
from scalargrad.graph import topological_order
from scalargrad.scalar_style import ScalarStyle
from scalargrad.stepper import step_through
from scalargrad.value import Constant, Value

EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)", re.MULTILINE)
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def dot_program():
    """Skip a test that needs Graphviz's ``dot`` when it is missing, but fail it on CI."""
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Graphviz's `dot` is not installed, and on CI the rendering tests must run")
        pytest.skip("Graphviz's `dot` is not installed")


@pytest.fixture
def no_dot_program(monkeypatch, tmp_path):
    """Make ``dot`` impossible to find, as on a machine without Graphviz."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def post_network():
    """The network of the post's §10 figure: input 0.5, w1 = 2, w2 = 3, loss = output²/2."""
    x = Value(0.5, label="input")
    w1 = Value(2.0, label="w1")
    w2 = Value(3.0, label="w2")
    hidden = x * w1
    hidden.label = "hidden"
    output = hidden * w2
    output.label = "output"
    loss = output**2 / 2
    loss.label = "loss"
    return SimpleNamespace(x=x, w1=w1, w2=w2, hidden=hidden, output=output, loss=loss)


def chain_steps(root):
    """Every edge's "upstream × local = contribution", computed from the engine (constants' edges carry none)."""
    steps = []
    for child in topological_order(root):
        for parent, local in zip(child._parents, child.local_derivatives()):
            if isinstance(parent, Constant):
                continue
            contribution = child.grad * local
            steps.append(f"{format_number(child.grad)} × {format_number(local)} = {format_number(contribution)}")
    return steps


def svg_text(svg_path):
    """All the text an SVG shows, one string per <text> element (parsing it also checks it is valid XML)."""
    tree = ET.parse(svg_path)
    return [element.text or "" for element in tree.iter(f"{SVG_NAMESPACE}text")]


def test_format_number_keeps_about_four_significant_digits():
    assert [format_number(x) for x in (9.0, 0.5, 4.5, 1 / 3, -0.0, -2.25, 123456.0)] == [
        "9", "0.5", "4.5", "0.3333", "0", "-2.25", "1.235e+05",
    ]


def test_forward_view_shows_labels_values_and_ops():
    net = post_network()
    source = draw(net.loss).source
    for node in topological_order(net.loss):
        assert format_number(node.data) in source
    for text in ("<B>input</B>", "<B>w1</B>", "<B>hidden</B>", "data 1", "<B>loss</B>", "data 4.5", "×", "÷"):
        assert text in source
    assert "grad" not in source  # gradients belong to the backward view


def test_backward_view_labels_every_edge_with_its_chain_rule_step():
    net = post_network()
    net.loss.backward()
    source = draw(net.loss, "backward").source
    steps = chain_steps(net.loss)
    edge_lines = [line for line in source.splitlines() if EDGE.match(line)]
    assert len(edge_lines) == 8 and len(steps) == 6  # the constants 2 and 2 send no gradient worth a label
    for step in steps:
        assert f'[label="{step}"' in source
    assert len(re.findall(r'\[label="', source)) == 6
    # The post's figure: dL/dOut = 3, dL/dH = 3 × 3 = 9, dL/dw1 = 9 × 0.5 = 4.5, dL/dw2 = 3 × 1 = 3.
    assert (net.output.grad, net.hidden.grad, net.w1.grad, net.w2.grad) == (3.0, 9.0, 4.5, 3.0)
    for text in ('"9 × 0.5 = 4.5"', '"3 × 3 = 9"', '"3 × 1 = 3"', "grad 4.5", "grad 9", "grad 1"):
        assert text in source
    assert ZERO_GRADIENT_NOTE not in source


def test_node_used_twice_gets_two_edges_whose_contributions_sum():
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    source = draw(b, "backward").source
    assert EDGE.findall(source) == [("n0", "n1"), ("n0", "n1")]
    assert source.count('label="1 × 1 = 1"') == 2
    assert a.grad == 2.0 and "grad 2" in source


def test_backward_view_before_backward_says_to_call_it():
    net = post_network()
    source = draw(net.loss, "backward").source
    assert ZERO_GRADIENT_NOTE in source
    assert "gradients are all zero" in ZERO_GRADIENT_NOTE and "backward()" in ZERO_GRADIENT_NOTE


def test_unknown_view_is_refused():
    with pytest.raises(ValueError, match="view must be one of"):
        draw(Value(1.0), view="sideways")


def test_big_graph_is_refused_unless_the_limit_is_raised():
    root = Value(1.0, label="x")
    for _ in range(9):
        root = root.relu()
    with pytest.raises(ValueError, match=r"10 nodes.*max_nodes=5.*max_nodes=10"):
        draw(root, max_nodes=5)
    assert len(EDGE.findall(draw(root, max_nodes=10).source)) == 9


def test_deep_chain_is_drawn_without_recursion():
    root = Value(1.0, label="x")
    for _ in range(19_999):
        root = -root
    root.backward()
    source = draw(root, "backward", max_nodes=20_000).source
    assert len(EDGE.findall(source)) == 19_999
    assert source.count('label="1 × -1 = -1"') + source.count('label="-1 × -1 = 1"') == 19_999


class Tally:
    """A node of a made-up engine: the drawing module reads only its inputs (``_in``, ``_in2``, ``_parents``),
    ``op``, ``label`` and ``data`` (and the walk marks it in ``_walk``)."""

    op = None
    _walk = None
    _in = _in2 = None
    _parents = ()

    def __init__(self, data, label):
        self.data, self.label = data, label


class TallyStyle(Style):
    def value(self, data):
        return "|" * data

    def grad_text(self, i):
        return "none"

    def edge_label(self, edge):
        return ""

    def chain_rule(self, i):
        return ""


def test_another_engine_is_drawn_once_its_style_is_registered():
    with pytest.raises(TypeError, match=r"draw: cannot draw a Tally; it draws Value.*register_style"):
        draw(Tally(3, "votes"))
    register_style(Tally, TallyStyle)
    source = draw(Tally(3, "votes")).source
    assert "<B>votes</B>" in source and "data |||" in source


def test_register_style_refuses_what_is_not_a_node_class_and_a_style():
    with pytest.raises(TypeError, match=r"register_style: node_type must be a class, got 'Value'"):
        register_style("Value", ScalarStyle)
    with pytest.raises(TypeError, match=r"register_style: style for Value must be a subclass of Style, got <function"):
        register_style(Value, format_number)
    net = post_network()
    net.loss.backward()
    assert "grad 4.5" in draw(net.loss, "backward").source  # Values are still drawn with ScalarStyle


def test_render_writes_dot_source_and_an_svg_with_values_and_gradients(tmp_path, dot_program):
    net = post_network()
    net.loss.backward()
    graph = draw(net.loss, "backward")
    picture = render(graph, tmp_path / "nested" / "post")
    assert picture == tmp_path / "nested" / "post.svg"
    assert (tmp_path / "nested" / "post.dot").read_text(encoding="utf-8") == graph.source
    texts = svg_text(picture)
    for step in chain_steps(net.loss):
        assert step in texts
    for text in ("9 × 0.5 = 4.5", "w1", "data 2", "grad 4.5", "hidden", "grad 9"):
        assert text in texts


def test_render_png(tmp_path, dot_program):
    picture = render(draw(post_network().loss), tmp_path / "post", format="png")
    assert picture.suffix == ".png"
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_render_refuses_other_formats(tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        render(draw(Value(1.0)), tmp_path / "graph", format="pdf")
    assert list(tmp_path.iterdir()) == []


LABELS_TO_ESCAPE = [
    'say "hi"',
    "{braces}",
    "a|b",
    "<b>not bold</b>",
    "salt & pepper",
    "back\\slash \\N \\\\",
    "first line\nsecond line",
    "it's",
]


def test_labels_with_special_characters_render_as_written(tmp_path, dot_program):
    total = Value(0.0, label="total")
    for i, text in enumerate(LABELS_TO_ESCAPE):
        total = total + Value(float(i), label=text)
    picture = render(draw(total), tmp_path / "escaped")
    texts = svg_text(picture)
    for text in LABELS_TO_ESCAPE:
        for line in text.split("\n"):
            assert line in texts
    raw_svg = picture.read_text(encoding="utf-8")
    assert "<b>not bold</b>" not in raw_svg and "&lt;b&gt;not bold&lt;/b&gt;" in raw_svg


def test_render_without_dot_writes_source_and_says_how_to_install(tmp_path, no_dot_program):
    graph = draw(post_network().loss)
    with pytest.raises(GraphvizNotFoundError) as caught:
        render(graph, tmp_path / "out" / "post")
    message = str(caught.value)
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert str(tmp_path / "out" / "post.dot") in message
    assert isinstance(caught.value, RuntimeError)
    assert (tmp_path / "out" / "post.dot").read_text(encoding="utf-8") == graph.source
    assert not (tmp_path / "out" / "post.svg").exists()


def test_step_through_writes_frames_and_a_self_contained_page(tmp_path, dot_program):
    net = post_network()
    net.loss.backward()
    page = step_through(net.loss, tmp_path / "steps")
    shown = [node for node in topological_order(net.loss) if not isinstance(node, Constant)]
    assert page == tmp_path / "steps" / "index.html"
    assert (page.parent / "graph.svg").exists() and (page.parent / "graph.dot").exists()
    html_text = page.read_text(encoding="utf-8")
    assert html_text.count("<svg") == 1  # laid out once: frames only recolour it
    assert html_text.count('<section class="frame"') == 2 * len(shown) + 1  # both passes and the closing table
    for text in ('id="previous"', 'id="next"', 'id="counter"', "ArrowLeft", "ArrowRight"):
        assert text in html_text
    assert "forward: hidden = input × w1 = 1" in html_text
    assert "∂L/∂w1 = ∂L/∂hidden · ∂hidden/∂w1 = 9 × 0.5 = 4.5" in html_text
    assert "∂L/∂L = 1" in html_text
    assert "http" not in html_text and "<script src" not in html_text and "<link" not in html_text


def test_step_through_lays_out_every_text_a_frame_will_show(tmp_path, no_dot_program):
    """The one layout holds each node's value and gradient and each edge's chain-rule step: frames only hide them."""
    net = post_network()
    net.loss.backward()
    with pytest.raises(GraphvizNotFoundError):
        step_through(net.loss, tmp_path)
    layout = (tmp_path / "graph.dot").read_text(encoding="utf-8")
    for node in (net.x, net.w1, net.w2, net.hidden, net.output, net.loss):
        assert f"<B>{node.label}</B>" in layout and f"grad {format_number(node.grad)}" in layout
    for step in chain_steps(net.loss):
        assert f'[label="{step}"' in layout
    assert layout.count("dir=both") == 8  # forward frames show one arrowhead, backward ones the other
    assert "?" not in layout  # "?" is what the page writes over a number not known yet


def test_step_through_sums_the_chain_rule_over_every_use(tmp_path, no_dot_program):
    x = Value(2.0, label="x")
    y = x * 3.0
    y.label = "y"
    z = x + 1.0
    z.label = "z"
    out = y + z
    out.label = "out"
    out.backward()
    with pytest.raises(GraphvizNotFoundError):
        step_through(out, tmp_path)
    html_text = (tmp_path / "index.html").read_text(encoding="utf-8")
    through_y, through_z = ("∂L/∂y · ∂y/∂x", "1 × 3"), ("∂L/∂z · ∂z/∂x", "1 × 1")
    expected = [
        f"∂L/∂x = {first[0]} + {second[0]} = {first[1]} + {second[1]} = 4"
        for first, second in ((through_y, through_z), (through_z, through_y))
    ]
    assert x.grad == 4.0
    assert any(text in html_text for text in expected)


def test_step_through_without_dot_shows_source_and_escapes_user_text(tmp_path, no_dot_program):
    x = Value(1.0, label="<script>alert('x')</script>")
    root = x * 2.0
    root.label = 'total & "sum"'
    root.backward()
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        step_through(root, tmp_path / "steps")
    assert (tmp_path / "steps" / "graph.dot").exists() and not (tmp_path / "steps" / "graph.svg").exists()
    html_text = (tmp_path / "steps" / "index.html").read_text(encoding="utf-8")
    assert html_text.count("<pre>digraph") == 1
    assert html_text.count('<section class="frame"') == 2 * 2 + 1  # the constant 2 gets no frame
    assert "<script>alert" not in html_text and "&lt;script&gt;alert" in html_text
    assert "total &amp; &quot;sum&quot;" in html_text
    assert "ArrowRight" in html_text


def test_step_through_requires_backward_first(tmp_path):
    with pytest.raises(ValueError, match=r"call root\.backward\(\) first"):
        step_through(post_network().loss, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_control_characters_in_labels_render_as_their_pictures(tmp_path, dot_program):
    """dot refuses NUL, BEL and ESC in a label; the drawing shows them as ␀ ␇ ␛ instead."""
    a = Value(2.0, label="a\x00b")
    b = Value(3.0, label="bell\x07")
    out = a * b
    out.label = "esc\x1b[0m"
    out.backward()
    picture = render(draw(out, "backward"), tmp_path / "control")
    svg = picture.read_text(encoding="utf-8")
    for shown in ("a␀b", "bell␇", "esc␛[0m"):
        assert shown in svg
