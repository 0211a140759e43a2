"""Tests for the step-through's content (scalargrad/stepper.py): names, constants, formulas, legend, size.

How the page behaves in a browser (keys, buttons, nodes that never move) is
tested in test_browser.py.
"""

import math
import re

import pytest
from test_draw import dot_program, no_dot_program, post_network, svg_text  # noqa: F401 (fixtures)

from scalargrad import Value, draw
from scalargrad.drawing import (
    LEGEND_ROWS,
    GraphvizNotFoundError,
    Walk,
    format_number,
    in_formula,
)
from scalargrad.graph import topological_order
from scalargrad.stepper import frames_of, step_through
from scalargrad.value import Constant

DERIVATIVE_OF = re.compile(r"∂(\([^)]*\)|[^\s·=/()]+)")  # the names after every ∂ in a formula


def micrograd_neuron():
    """micrograd's README neuron, typed as its users type it: no labels anywhere."""
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.backward()
    return out, (x1, x2, w1, w2, b)


def test_a_users_values_are_never_constants_and_literals_always_are():
    out, leaves = micrograd_neuron()
    walk = Walk(out, 500, "test")
    assert not any(walk.constant)
    assert sorted(walk.names[i] for i in walk.user_leaves()) == sorted(f"leaf#{walk.position[v]}" for v in leaves)
    target = Value(2.0)  # the user's own 2.0: a leaf, not a constant
    loss = (out - target) ** 2 - 2.0
    lifted = [node for node in Walk(loss, 500, "test").order if isinstance(node, Constant)]
    assert sorted(node.data for node in lifted) == [2.0, 2.0]  # the exponent 2 and the 2.0 subtracted
    assert not isinstance(target, Constant) and target in topological_order(loss)


def test_micrograd_style_code_steps_through_without_calling_anything_a_constant(tmp_path, no_dot_program):  # noqa: F811
    out, leaves = micrograd_neuron()
    with pytest.raises(GraphvizNotFoundError):
        step_through(out, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    layout = (tmp_path / "graph.dot").read_text(encoding="utf-8")
    assert "const#" not in page and "the constant" not in page
    for leaf in leaves:
        name = f"leaf#{topological_order(out).index(leaf)}"
        assert f"<B>{name}</B>" in layout  # the name a formula uses is on the node
        assert f"<td>{name}</td><td>{format_number(leaf.data)}</td><td>{format_number(leaf.grad)}</td>" in page


def test_every_name_a_formula_uses_is_written_in_the_picture(tmp_path, dot_program):  # noqa: F811
    out, _ = micrograd_neuron()
    loss = (out - 1.0) ** 2
    loss.backward()
    step_through(loss, tmp_path)
    shown = set(svg_text(tmp_path / "graph.svg"))
    walk = Walk(loss, 500, "test")
    used = set()
    for frame in frames_of(walk):
        used.update(name.strip("()") for name in DERIVATIVE_OF.findall(frame.chain_rule))
    used.discard("L")
    assert used and used <= shown
    assert all(not walk.quiet[walk.names.index(name)] for name in used)


def test_names_with_an_operator_or_a_space_are_parenthesised_in_formulas(tmp_path, no_dot_program):  # noqa: F811
    x1, w1, x2, w2 = Value(2.0, label="x1"), Value(-3.0, label="w1"), Value(0.0, label="x2"), Value(1.0, label="w2")
    s = x1 * w1 + x2 * w2
    s.label = "x1*w1 + x2*w2"
    out = s.tanh()
    out.label = "out"
    out.backward()
    assert [in_formula(name) for name in ("w1", "mul#3", "a b", "a-b", "x1*w1 + x2*w2")] == [
        "w1", "mul#3", "(a b)", "(a-b)", "(x1*w1 + x2*w2)",
    ]
    with pytest.raises(GraphvizNotFoundError):
        step_through(out, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    slope = format_number(1 - out.data**2)
    assert f"∂L/∂(x1*w1 + x2*w2) = ∂L/∂out · ∂out/∂(x1*w1 + x2*w2) = 1 × {slope} = {slope}" in page


def test_constants_get_no_frames_unless_asked_for(tmp_path, no_dot_program):  # noqa: F811
    net = post_network()
    net.loss.backward()
    walk = Walk(net.loss, 500, "test")
    frames = frames_of(walk)
    assert [frame.kind for frame in frames] == ["forward"] * 7 + ["backward"] * 7 + ["summary"]
    assert not any("constant" in frame.caption or "const#" in frame.chain_rule for frame in frames)
    everything = frames_of(Walk(net.loss, 500, "test", include_constants=True))
    assert len(everything) == 2 * 9 + 1
    assert sum(frame.caption == "forward: the constant 2, a number from your code" for frame in everything) == 2
    with pytest.raises(GraphvizNotFoundError):
        step_through(net.loss, tmp_path, include_constants=True)
    assert (tmp_path / "index.html").read_text(encoding="utf-8").count('<section class="frame"') == 19


def test_the_closing_frame_lists_the_gradient_of_every_leaf_the_user_made():
    net = post_network()
    net.loss.backward()
    closing = frames_of(Walk(net.loss, 500, "test"))[-1]
    assert closing.kind == "summary" and closing.table.count("<tr>") == 1 + 3
    for leaf in (net.x, net.w1, net.w2):
        assert f"<td>{leaf.label}</td><td>{format_number(leaf.data)}</td><td>{format_number(leaf.grad)}</td>" in (
            closing.table
        )


def test_the_page_and_draw_carry_a_legend(tmp_path, no_dot_program):  # noqa: F811
    net = post_network()
    net.loss.backward()
    with pytest.raises(GraphvizNotFoundError):
        step_through(net.loss, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    source = draw(net.loss, "backward", legend=True).source
    for _, text in LEGEND_ROWS:
        assert text in page and text in source
    assert "upstream × local = contribution" in page and "upstream × local = contribution" in source
    assert "a leaf you made" not in draw(net.loss, "backward").source  # the legend is asked for


def test_operands_of_order_sensitive_ops_are_named_on_their_edges():
    net = post_network()
    net.loss.backward()
    source = draw(net.loss, "backward").source
    assert "<I>a ÷ b</I>" in source and "<I>xᵏ</I>" in source
    for letter in ("a", "b", "x", "k"):
        assert f"headlabel={letter} " in source


def chain_of_products(terms):
    """Σ xᵢ·wᵢ, one term at a time, halved: about 4 nodes per term."""
    total = Value(0.0, label="start")
    for i in range(terms):
        total = total + Value(0.1 * i, label=f"x{i}") * Value(1.0 - 0.01 * i, label=f"w{i}")
    total = total * 0.5
    total.label = "half"
    total.backward()
    return total


def test_the_page_grows_linearly_and_stays_under_5_mb_at_500_nodes(tmp_path, dot_program):  # noqa: F811
    sizes = {}
    for terms in (62, 125):
        root = chain_of_products(terms)
        sizes[len(topological_order(root))] = step_through(root, tmp_path / str(terms), max_nodes=600).stat().st_size
    (small, small_size), (big, big_size) = sorted(sizes.items())
    assert big >= 500
    assert big_size <= 5_000_000
    assert big_size / small_size <= 1.15 * big / small  # linear, not quadratic (which would be 4x)
    assert math.isclose(big / small, 2, rel_tol=0.05)
