"""Pictures of tensor graphs, drawn by scalargrad's drawing module (one module, both engines).

    from tensorgrad import draw, render, step_through
    render(draw(loss, "backward"), "out/mlp")   # out/mlp.dot and out/mlp.svg
    step_through(loss, "out/mlp_steps")         # frames + out/mlp_steps/index.html

Only the wording is tensor-specific, and it lives here in ``TensorStyle``:
each node shows its op, shape, dtype and its first few entries; the backward
view adds its gradient with the gradient's norm, and writes on each edge the
norm of the gradient sent back along it (``‖g‖ 0.53``). A vector-Jacobian
product has no single "local derivative" to print, so the norm stands in for
scalargrad's ``upstream × local = contribution``. This module changes nothing
in scalargrad: ``tensorgrad/__init__.py`` hands the style over, in one visible
line, with ``register_style(Tensor, TensorStyle)``.

``Tensor.backward()`` frees each intermediate gradient once it has passed it
on, so the drawing reruns that same loop (``edge_gradients``), recording it: no ``.grad`` is
read or written, and no ``backward()`` call is needed before drawing.
"""

from functools import cached_property

import numpy as np

from scalargrad.drawing import (
    GraphvizNotFoundError,
    Style,
    draw,
    format_number,
    in_formula,
    render,
)
from scalargrad.graph import record_backward
from scalargrad.stepper import step_through
from tensorgrad.autograd import vjp

__all__ = ["GraphvizNotFoundError", "TensorStyle", "draw", "edge_gradients", "preview", "render", "step_through"]

PREVIEW_ENTRIES = 3


def edge_gradients(order):
    """What ``backward()`` sends along every edge and every node's gradient (see
    ``scalargrad.graph.record_backward``); the root is seeded with ones, and a
    node that takes no gradient has None."""
    root = order[-1]
    seed = np.ones_like(root.data)
    if not root.requires_grad:  # nothing to walk: the root alone has a gradient
        return {}, [None] * (len(order) - 1) + [seed]
    return record_backward(order, seed, vjp)


def preview(array):
    """The first few entries, flattened: "[0.12, -0.3, 0.05, …]"; a 0-d array as its number."""
    if array.ndim == 0:
        return format_number(float(array))
    entries = [format_number(float(x)) for x in array.flat[:PREVIEW_ENTRIES]]
    more = ", …" if array.size > PREVIEW_ENTRIES else ""
    return f"[{', '.join(entries)}{more}]"


def _norm(array):
    return format_number(float(np.linalg.norm(array)))


class TensorStyle(Style):
    """Tensors: shape, dtype and a preview of each array; on each backward edge the norm of its gradient."""

    edge_legend = "backward, on each edge: ‖g‖, the norm of the gradient sent back along it (a VJP)"

    @cached_property
    def _gradients(self):
        return edge_gradients(self.walk.order)

    def is_constant(self, node):
        """A number lifted out of the user's code (the 2 in ``x * 2``): an unlabeled 0-d leaf that takes no
        gradient. An array the user made (an input batch) is a leaf with a name, even without a label."""
        return super().is_constant(node) and not node.requires_grad and node.data.ndim == 0

    def describe(self, node):
        return [f"{node.shape} {node.dtype}"]

    def value(self, data):
        return preview(data)

    def grad_text(self, i):
        grad = self._gradients[1][i]
        return "none (requires_grad=False)" if grad is None else f"{preview(grad)}  ‖g‖ {_norm(grad)}"

    def edge_label(self, edge):
        grad = self._gradients[0].get((edge.child, edge.slot))
        return "" if grad is None else f"‖g‖ {_norm(grad)}"

    def chain_rule(self, i):
        """"∂L/∂h = Σ VJPs from relu#4 (‖g‖ 0.5) + add#6 (‖g‖ 0.2) = [0.1, …]  ‖g‖ 0.6"."""
        walk, name = self.walk, in_formula(self.walk.names[i])
        if i == walk.root:
            return f"∂L/∂L = {self.grad_text(i)}   (L is {name}, seeded with ones where backward() starts)"
        if self._gradients[1][i] is None:
            return f"∂L/∂{name}: none, {name} does not require grad, so no gradient is sent to it"
        terms = [
            f"{in_formula(walk.names[edge.child])} ({self.edge_label(edge)})"
            for edge in walk.uses[i]
            if (edge.child, edge.slot) in self._gradients[0]
        ]
        return f"∂L/∂{name} = Σ VJPs from {' + '.join(terms)} = {self.grad_text(i)}"

