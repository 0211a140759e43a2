"""How scalargrad's Values are drawn: one number per node, and on each edge ``upstream × local = contribution``.

A *style* (``scalargrad.drawing.Style``) is what one engine's drawings say;
scalargrad hands this one over with ``register_style(Value, ScalarStyle)`` in
its ``__init__.py``, as tensorgrad does with ``TensorStyle``.
"""

from functools import cached_property

from scalargrad.drawing import Style, format_number, in_formula
from scalargrad.graph import record_backward, topological_order
from scalargrad.value import Constant, vjp_on_floats


class ScalarStyle(Style):
    """scalargrad's Values: one number per node; on each edge ``upstream × local = contribution``."""

    edge_legend = (
        "backward, on each edge: upstream × local = contribution; upstream is ∂L/∂ of the node the edge leads "
        "into, local is that node's derivative with respect to this input, and the contribution is their product"
    )

    @staticmethod
    def nodes(root):
        """The nodes to draw: first each plain-number input (the 2 in ``x**2``) becomes a ``Constant`` node."""
        for node in topological_order(root):
            node.input_nodes()
        return topological_order(root)

    @staticmethod
    def size(root):
        """The nodes, and the plain-number inputs that ``nodes`` would lift into Constants."""
        return sum(1 + (type(node._in) is float) + (type(node._in2) is float) for node in topological_order(root))

    def is_constant(self, node):
        """A number lifted out of the user's code (the 2 in ``x**2``): a ``Constant``, never a user's ``Value``."""
        return isinstance(node, Constant)

    def value(self, data):
        return format_number(data)

    def grad_text(self, i):
        """A node's ``.grad``; for a constant, which holds none, what the chain rule sends it (its frame's sum)."""
        if self.walk.constant[i]:
            return format_number(self._backward[1][i] or 0.0)
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
        walk, name = self.walk, in_formula(self.walk.names[i])
        if i == walk.root:
            return f"∂L/∂L = {self.grad_text(i)}   (L is {name}, where backward() starts)"
        symbols, numbers, total = [], [], 0.0
        for edge in walk.uses[i]:
            child = in_formula(walk.names[edge.child])
            upstream, local, contribution = self.chain_step(edge)
            symbols.append(f"∂L/∂{child} · ∂{child}/∂{name}")
            numbers.append(f"{format_number(upstream)} × {format_number(local)}")
            total += contribution
        return f"∂L/∂{name} = {' + '.join(symbols)} = {' + '.join(numbers)} = {format_number(total)}"

    def gradients_missing(self):
        return all(node.grad == 0 for node in self.walk.order)
