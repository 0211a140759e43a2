"""grad(): gradients without touching any ``.grad``, and gradients of gradients (§10).

``Value.backward()`` stores d(root)/d(node) in every node; ``grad`` runs the
same chain-rule loop (``scalargrad.graph.backpropagate``) and returns only
the gradients asked for. With ``create_graph=True`` it runs the local
derivatives on Values (``vjp_on_values``), so each gradient is a graph of its
own that can be differentiated again: second derivatives, Newton's method.
"""

import math

from scalargrad.graph import backpropagate
from scalargrad.value import (
    Constant,
    Value,
    report_overflow,
    vjp_on_floats,
    vjp_on_values,
)


def grad(output, inputs, create_graph=False):
    """d(output)/d(x) for each x in ``inputs``, without touching any ``.grad``.

    With ``create_graph=True`` each gradient is a Value whose own graph leads
    back to the inputs, so it can be differentiated again::

        x = Value(2.0)
        (dy,) = grad(x**3, [x], create_graph=True)   # 3x² = 12
        (d2y,) = grad(dy, [x])                       # 6x  = 12
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {x!r}")
    wanted = set(inputs)
    found = {}
    if create_graph:
        for node, g in backpropagate(output, Value(1.0), vjp_on_values):
            if node in wanted:
                found[node] = g
    else:
        total = 0.0  # one sum to see cheaply that no gradient overflowed
        for node, g in backpropagate(output, 1.0, vjp_on_floats):
            total += g
            if node in wanted and type(node) is not Constant:  # as under create_graph: a constant gets none
                found[node] = g
        if not math.isfinite(total):
            report_overflow(output, 1.0)
    zero = Value(0.0) if create_graph else 0.0
    return [found.get(x, zero) for x in inputs]
