"""Exercise local_derivatives (§10): the local derivatives of sub, div, tanh and pow.

Each function is the derivative half of one op of scalargrad's table
(``scalargrad/elementwise.py``): given the op's inputs and its output
``out``, return d(out)/d(input) for every input, as a tuple of floats.

- ``sub(a, b, out)``    out = a − b
- ``div(a, b, out)``    out = a / b          (b ≠ 0)
- ``tanh(a, out)``      out = tanh(a)
- ``power(a, k, out)``  out = a ** k for a constant exponent k: return (d/da, 0.0),
                        since no gradient flows to a constant

The check turns your rules into scalargrad ops, backpropagates through
them and draws the graph: your local derivatives appear on its edges.

    python -m exercises check local_derivatives      grade this file
    python -m exercises local_derivatives --hint     the next hint
"""


def sub(a, b, out):
    raise NotImplementedError("not implemented yet")


def div(a, b, out):
    raise NotImplementedError("not implemented yet")


def tanh(a, out):
    raise NotImplementedError("not implemented yet")


def power(a, k, out):
    raise NotImplementedError("not implemented yet")
