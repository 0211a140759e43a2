"""The two n-ary ops: a sum of many inputs as one node, and a weighted sum (a dot product) as one node.

A neuron's Σ wᵢxᵢ built from binary ``*`` and ``+`` is 2n nodes; as one ``dot``
node it is one, with the same derivatives (d/dwᵢ = xᵢ, d/dxᵢ = wᵢ): far fewer
nodes to build and walk (§10).
"""

import math
import operator

from scalargrad.elementwise import Op
from scalargrad.value import apply, lift_all


def dot(weights, inputs):
    """Σ wᵢ·xᵢ as one node (``nn.Neuron`` applies its op, ``DOT``, directly: its inputs are Values already)."""
    weights, inputs = lift_all(weights, "dot"), lift_all(inputs, "dot")
    if len(weights) != len(inputs) or not weights:
        raise ValueError(f"dot: needs two equally long, non-empty lists, got lengths {len(weights)} and {len(inputs)}")
    return apply(DOT, *weights, *inputs)


def sum_of(values):
    """Σ values as one node (instead of a chain of n-1 additions)."""
    values = lift_all(values, "sum_of")
    if not values:
        raise ValueError("sum_of: needs at least one value")
    return apply(SUM, *values)


SUM = Op(  # x₁ + x₂ + … + xₙ: each input's local derivative is 1
    "sum", "Σ",
    lambda *xs: math.fsum(xs),
    lambda *xs_and_out: (1.0,) * (len(xs_and_out) - 1),
)


def _dot_forward(*ws_and_xs):
    n = len(ws_and_xs) // 2
    try:
        return math.fsum(map(operator.mul, ws_and_xs[:n], ws_and_xs[n:]))  # fsum: exactly rounded
    except ValueError:  # products that overflowed to +inf and −inf: the sum overflows too (apply names dot)
        return math.inf


def _dot_derivative(*ws_xs_out):
    n = (len(ws_xs_out) - 1) // 2
    return ws_xs_out[n : 2 * n] + ws_xs_out[:n]  # d/dwᵢ = xᵢ and d/dxᵢ = wᵢ


DOT = Op("dot", "Σwx", _dot_forward, _dot_derivative)  # w₁x₁ + … + wₙxₙ, inputs (w₁…wₙ, x₁…xₙ)
