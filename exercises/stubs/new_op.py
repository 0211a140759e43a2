"""Exercise new_op (§10): a new elementwise op, leaky ReLU, in both engines at once.

leaky_relu(a) = a for a > 0, else 0.01·a: relu with a small slope left of 0,
so a neuron there still learns. Write its two rules as an entry of the
table both engines share (``scalargrad/elementwise.py``; the README's "How
to add an op"):

- ``forward(a)`` runs on a float (scalargrad) and on a NumPy array (tensorgrad);
- ``derivative(a, out)`` returns a 1-tuple, d(out)/da. It also runs on
  Values and Tensors (for ``grad(..., create_graph=True)``), so it must not
  compare ``a`` itself: ask ``step(a)`` or ``choose(plain(a) > 0, …)``.

At the kink, a = 0, the slope is the negative side's, 0.01 (as relu's is 0
there, and PyTorch's). The check makes an ``Op`` of your rules and runs it in
scalargrad and in tensorgrad.

    python -m exercises check new_op      grade this file
    python -m exercises new_op --hint     the next hint
"""

from scalargrad.elementwise import choose, plain, step  # noqa: F401  (the table's helpers, for your rules)

SLOPE = 0.01  # the slope left of 0


def forward(a):
    raise NotImplementedError("not implemented yet")


def derivative(a, out):
    raise NotImplementedError("not implemented yet")
