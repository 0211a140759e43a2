"""Tests for drawing tensorgrad graphs with the one drawing module (tensorgrad.drawing, TensorStyle).

The Graphviz fixtures and the SVG reader are test_draw.py's: the same rule
applies (skip without ``dot``, fail on CI).
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_draw import EDGE, dot_program, no_dot_program, svg_text  # noqa: F401 (fixtures)

import tensorgrad
from scalargrad.drawing import ZERO_GRADIENT_NOTE, GraphvizNotFoundError, format_number
from scalargrad.drawing import draw as scalargrad_draw
from scalargrad.drawing import render as scalargrad_render
from scalargrad.graph import topological_order
from tensorgrad.drawing import draw, edge_gradients, preview, render, step_through

NORM_LABEL = re.compile(r'label="‖g‖ ([^"]+)"')


def small_mlp(batch=8):
    """x (8, 2) → Linear 2→4 → relu → Linear 4→3 → cross-entropy with logsumexp, all float32."""
    rng = np.random.default_rng(0)
    x = tensorgrad.tensor(rng.normal(size=(batch, 2)).astype(np.float32), label="x")
    w1 = tensorgrad.tensor(rng.normal(size=(2, 4)).astype(np.float32), requires_grad=True, label="W1")
    b1 = tensorgrad.tensor(np.full(4, 0.1, np.float32), requires_grad=True, label="b1")
    w2 = tensorgrad.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True, label="W2")
    targets = rng.integers(0, 3, size=batch)
    logits = (x @ w1 + b1).relu() @ w2
    logits.label = "logits"
    loss = (logits.logsumexp(axis=1) - logits[np.arange(batch), targets]).mean()
    loss.label = "loss"
    return loss, (w1, b1, w2)


def norm(array):
    return format_number(float(np.linalg.norm(array)))


def test_one_drawing_module_serves_both_engines():
    assert draw is scalargrad_draw and render is scalargrad_render
    loss, _ = small_mlp()
    assert "(8, 3) float32" in scalargrad_draw(loss).source


def test_preview_shows_the_first_entries_or_the_number():
    assert preview(np.array([0.125, -0.3, 2.0, 5.0])) == "[0.125, -0.3, 2, …]"
    assert preview(np.arange(3.0)) == "[0, 1, 2]"
    assert preview(np.float32(1.5) * np.ones(())) == "1.5"


def test_forward_view_shows_op_shape_dtype_and_a_preview():
    loss, (w1, _, _) = small_mlp()
    source = draw(loss).source
    for text in ("<B>W1</B>", "(2, 4) float32", f"data {preview(w1.data)}", "(8, 4) float32", "<I>@</I>",
                 "<B>logits</B>", "(8, 3) float32", "<B>loss</B>", "() float32", f"data {preview(loss.data)}"):
        assert text in source
    assert "grad" not in source and "‖g‖" not in source


def test_backward_view_shows_gradients_and_the_norm_on_every_edge():
    loss, params = small_mlp()
    source = draw(loss, "backward").source
    loss.backward()  # the engine's own gradients, to compare with the picture
    for p in params:
        assert f"grad {preview(p.grad)}  ‖g‖ {norm(p.grad)}" in source
        assert f'label="‖g‖ {norm(p.grad)}"' in source  # each parameter is used once
    assert "grad 1  ‖g‖ 1" in source  # the root's seed
    # x takes no gradient: its node says so and its edge carries nothing.
    assert "grad none (requires_grad=False)" in source
    edges = EDGE.findall(source)
    assert len(NORM_LABEL.findall(source)) == len(edges) - 1
    assert ZERO_GRADIENT_NOTE not in source  # tensors need no backward() first


def test_edge_gradients_match_backward_and_sum_over_uses():
    a = tensorgrad.tensor([1.0, -2.0, 3.0], requires_grad=True, label="a")
    b = tensorgrad.tensor([[0.5], [2.0]], requires_grad=True, label="b")
    root = (a * a + a * b).sum()  # a used three times, b broadcast from (2, 1) to (2, 3)
    order = topological_order(root)
    sent, totals = edge_gradients(order)
    root.backward()
    assert np.allclose(totals[next(i for i, n in enumerate(order) if n is a)], a.grad) and np.allclose(totals[next(i for i, n in enumerate(order) if n is b)], b.grad)
    assert totals[next(i for i, n in enumerate(order) if n is b)].shape == (2, 1)  # summed back to b's shape
    uses_of_a = [g for (child, slot), g in sent.items() if order[child]._parents[slot] is a]
    assert len(uses_of_a) == 3 and np.allclose(sum(uses_of_a), a.grad)


def test_drawing_touches_no_grad():
    loss, params = small_mlp()
    draw(loss, "backward")
    assert all(node.grad is None for node in topological_order(loss))
    loss.backward()
    before = [p.grad.copy() for p in params]
    draw(loss, "backward")
    assert all(np.array_equal(p.grad, g) for p, g in zip(params, before))


def test_unlabeled_constants_and_parameters_are_told_apart():
    w = tensorgrad.tensor(np.ones((2, 2)), requires_grad=True)
    root = (w * 3.0).sum()
    source = draw(root).source
    assert "<B>leaf#0</B>" in source  # a parameter, even without a label
    assert "<B>const#" not in source and "shape=ellipse" in source  # 3.0 is drawn as just its value


def test_an_unlabeled_input_the_user_made_is_a_named_leaf_not_a_constant():
    x = tensorgrad.tensor(np.ones((3, 2)))  # a batch, no label, no gradient
    w = tensorgrad.tensor(np.ones((2, 2)), requires_grad=True, label="w")
    root = ((x @ w) * 2.0).sum()
    source = draw(root, "backward").source
    assert "<B>leaf#0</B>" in source and "(3, 2) float64" in source
    assert source.count("shape=ellipse") == 1  # only the 2.0


def test_only_known_node_types_are_drawn():
    with pytest.raises(TypeError, match=r"draw: cannot draw a str; it draws Value, Tensor"):
        draw("loss")


def test_importing_only_tensorgrad_drawing_is_enough_to_draw_tensors():
    """In a fresh process: importing tensorgrad.drawing runs tensorgrad/__init__.py, whose register_style line counts."""
    script = "from tensorgrad.drawing import draw; from tensorgrad.tensor import tensor; print(draw(tensor([1.0, 2.0], label='v')).source)"
    run = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=Path(__file__).resolve().parent.parent,  # the project root, so its packages are imported
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "(2,) float64" in run.stdout and "data [1, 2]" in run.stdout


def test_render_writes_an_svg_with_shapes_and_norms(tmp_path, dot_program):  # noqa: F811
    loss, (w1, _, _) = small_mlp()
    picture = render(draw(loss, "backward"), tmp_path / "mlp")
    loss.backward()
    texts = svg_text(picture)
    for text in ("W1", "(2, 4) float32", f"data {preview(w1.data)}", f"‖g‖ {norm(w1.grad)}", "loss"):
        assert text in texts


def test_step_through_a_tensor_graph(tmp_path, dot_program):  # noqa: F811
    loss, (w1, _, _) = small_mlp()
    page = step_through(loss, tmp_path / "steps")  # no backward() needed first
    assert page == tmp_path / "steps" / "index.html"
    assert (page.parent / "graph.svg").exists()
    html_text = page.read_text(encoding="utf-8")
    assert html_text.count("<svg") == 1  # one layout for every frame
    loss.backward()
    user = next(i for i, node in enumerate(topological_order(loss)) if any(p is w1 for p in node._parents))
    expected = f"∂L/∂W1 = Σ VJPs from matmul#{user} (‖g‖ {norm(w1.grad)}) = {preview(w1.grad)}  ‖g‖ {norm(w1.grad)}"
    assert expected in html_text
    assert "∂L/∂L = 1  ‖g‖ 1" in html_text
    relu = next(i for i, node in enumerate(topological_order(loss)) if node.op is not None and node.op.name == "relu")
    assert f"forward: logits = relu#{relu} @ W2 = (8, 3) float32 [" in html_text


def test_step_through_sums_the_vjps_of_every_use(tmp_path, no_dot_program):  # noqa: F811
    x = tensorgrad.tensor([1.0, 2.0], requires_grad=True, label="x")
    y = x * 3.0
    y.label = "y"
    z = x.exp()
    z.label = "z"
    out = (y + z).sum()
    out.label = "out"
    with pytest.raises(GraphvizNotFoundError):
        step_through(out, tmp_path)
    html_text = (tmp_path / "index.html").read_text(encoding="utf-8")
    grad = 3.0 + np.exp([1.0, 2.0])
    sent_y, sent_z = norm(np.full(2, 3.0)), norm(np.exp([1.0, 2.0]))
    totals = f"{preview(grad)}  ‖g‖ {norm(grad)}"
    assert any(
        f"∂L/∂x = Σ VJPs from {first} + {second} = {totals}" in html_text
        for first, second in ((f"y (‖g‖ {sent_y})", f"z (‖g‖ {sent_z})"), (f"z (‖g‖ {sent_z})", f"y (‖g‖ {sent_y})"))
    )


def test_drawing_refuses_a_graph_whose_saved_array_was_overwritten():
    """After an in-place update the drawn gradients would be wrong, so drawing says so, as backward does."""
    w = tensorgrad.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * w).sum()
    w.data -= 0.5  # an optimizer step before the graph was drawn
    with pytest.raises(RuntimeError, match=r"backward through mul: input of shape \(2,\) was modified in place"):
        draw(loss, "backward")
