"""Value: one number in a computation graph, and every operation on it (§10).

Each operation is a small class with two rules side by side:

    forward(*inputs)           the number it computes
    derivatives(*inputs, out)  d(out)/d(input) for each input: the *local* derivatives

Backpropagation (the chain rule, §10) needs nothing else: walking the graph
from the loss back to the inputs, each node hands every parent
``upstream gradient × local derivative`` and a node used twice adds up both.

The rules are written with plain arithmetic, so ``derivatives`` runs on floats
(an ordinary backward pass) and on Values too: ``grad(..., create_graph=True)``
calls it on Values to build the gradient as a graph of its own, which can be
differentiated again (second derivatives, Newton's method).

A node stores only its parents and the op that made it, never a function that
refers back to itself, so a graph holds no reference cycles and Python's cyclic
garbage collector has nothing to do when it is freed.
"""

import math
from numbers import Real

from scalargrad.graph import topological_order


class Value:
    """A scalar that remembers how it was computed.

    ``data`` is the number, ``grad`` is d(root)/d(this) after ``root.backward()``,
    ``label`` names it in drawings, ``op`` is the Op that produced it (None for a
    leaf: an input, a parameter or a constant) and ``_parents`` are its inputs.
    """

    __slots__ = ("_parents", "data", "grad", "label", "op")

    def __init__(self, data, label=None):
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = None
        self._parents = ()

    def __repr__(self):
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self):
        return self.data

    # ---- arithmetic: Python operators, with plain numbers on either side ----
    def __add__(self, other):
        return _binary(Add, self, other)

    def __radd__(self, other):
        return _binary(Add, other, self)

    def __sub__(self, other):
        return _binary(Sub, self, other)

    def __rsub__(self, other):
        return _binary(Sub, other, self)

    def __mul__(self, other):
        return _binary(Mul, self, other)

    def __rmul__(self, other):
        return _binary(Mul, other, self)

    def __truediv__(self, other):
        return _binary(Div, self, other)

    def __rtruediv__(self, other):
        return _binary(Div, other, self)

    def __neg__(self):
        return apply(Neg, self)

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            return _power(self, exponent)
        exponent = _lift(exponent)
        return NotImplemented if exponent is None else apply(PowConst, self, exponent)

    def __rpow__(self, base):
        base = _lift(base)
        return NotImplemented if base is None else _power(base, self)

    # ---- functions ----------------------------------------------------------
    def exp(self):
        return apply(Exp, self)

    def log(self):
        return apply(Log, self)

    def sqrt(self):
        return apply(Sqrt, self)

    def tanh(self):
        return apply(Tanh, self)

    def sigmoid(self):
        return apply(Sigmoid, self)

    def relu(self):
        return apply(Relu, self)

    def abs(self):
        return apply(Abs, self)

    __abs__ = abs

    # ---- backpropagation (§10) ------------------------------------------------
    def local_derivatives(self):
        """d(self)/d(parent) for each parent, as numbers (what the drawings show)."""
        if self.op is None:
            return ()
        return _local_derivatives(self, as_values=False)

    def backward(self, grad=1.0):
        """Fill ``.grad`` of every node in this graph with d(self)/d(node).

        The walk goes in reverse topological order, so a node is finished only
        after every node that uses it has handed back its share. Intermediate
        nodes get this pass's gradient; leaves (inputs, parameters) *add* it to
        what they hold, as in PyTorch, so gradients of several losses can be
        summed. Call ``zero_grad`` before each training step.
        """
        seed = _as_float(grad, "backward: the seed gradient")
        order = topological_order(self)
        for node in order:
            if node._parents:
                node.grad = 0.0
        self.grad += seed
        for node in reversed(order):
            if node._parents:
                upstream = node.grad
                for parent, local in zip(node._parents, _local_derivatives(node, as_values=False)):
                    parent.grad += local * upstream  # §10: upstream × local, summed over uses
        _check_finite(order, [node.grad for node in order])


# ---- building nodes ------------------------------------------------------------
def apply(op, *inputs):
    """Run ``op`` on the inputs' numbers and return the new node that remembers them."""
    args = [x.data for x in inputs]
    try:
        out = op.forward(*args)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        raise OverflowError(f"{op.name}: the result for input(s) {_show(args)} overflows a float")
    node = Value.__new__(Value)
    node.data = float(out)
    node.grad = 0.0
    node.label = None
    node.op = op
    node._parents = inputs
    return node


def dot(weights, inputs):
    """Σ wᵢ·xᵢ as one node (how ``nn.Neuron`` computes its weighted sum)."""
    weights, inputs = _lift_all(weights, "dot"), _lift_all(inputs, "dot")
    if len(weights) != len(inputs) or not weights:
        raise ValueError(f"dot: needs two equally long, non-empty lists, got lengths {len(weights)} and {len(inputs)}")
    return apply(Dot, *weights, *inputs)


def sum_of(values):
    """Σ values as one node (instead of a chain of n-1 additions)."""
    values = _lift_all(values, "sum_of")
    if not values:
        raise ValueError("sum_of: needs at least one value")
    return apply(Sum, *values)


def _binary(op, a, b):
    a, b = _lift(a), _lift(b)
    if a is None or b is None:
        return NotImplemented
    return apply(op, a, b)


def _power(base, exponent):
    """base ** exponent where the exponent is itself a Value being differentiated."""
    if base.data <= 0:
        raise ValueError(
            f"pow: with a Value exponent the base must be positive (d/db a**b = a**b·ln a), "
            f"got base {base.data!r}; raise to a plain number instead"
        )
    return apply(Pow, base, exponent)


def _lift(x):
    """A Value for x: itself, a constant leaf for a plain number, None otherwise."""
    if isinstance(x, Value):
        return x
    if type(x) in _PLAIN_NUMBERS or isinstance(x, Real) and not isinstance(x, bool):
        return Value(x)
    return None


_PLAIN_NUMBERS = (float, int)  # checked first: the ABC check for Real is slow


def _lift_all(xs, where):
    """Values for a list of Values and numbers; a TypeError naming ``where`` otherwise."""
    values = list(xs)
    for i, x in enumerate(values):
        if type(x) is not Value:
            values[i] = _lift(x)
            if values[i] is None:
                raise TypeError(f"{where}: expected numbers or Values, got {type(x).__name__} {x!r}")
    return values


def _as_float(x, where):
    if type(x) is float and math.isfinite(x):  # the common case, checked fast
        return x
    if isinstance(x, Value):
        raise TypeError(f"{where}: got a Value ({x!r}); pass a plain number")
    if not isinstance(x, Real) or isinstance(x, bool):
        raise TypeError(f"{where}: expected a real number, got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:
        x = math.inf
    if not math.isfinite(x):
        raise ValueError(f"{where}: expected a finite number, got {x!r}")
    return x


def _show(args):
    return ", ".join(f"{a:.6g}" for a in args)


# ---- pieces of the backward walk, shared by backward() and grad() -------------------
def _local_derivatives(node, as_values):
    parents = node._parents
    try:
        if as_values:
            return node.op.derivatives(*parents, node)
        return node.op.derivatives(*[p.data for p in parents], node.data)
    except ZeroDivisionError:
        error, problem = ZeroDivisionError, "is infinite"
    except OverflowError:
        error, problem = OverflowError, "overflows a float"
    inputs = _show([p.data for p in parents])
    raise error(f"backward through {node.op.name}: its derivative at input(s) {inputs} {problem}")


def _check_finite(order, grads):
    """Raise, naming the op, if a gradient overflowed (``grads[i]`` is ``order[i]``'s)."""
    if math.isfinite(sum(map(float, grads))):
        return
    bad = next((i for i in reversed(range(len(order))) if not math.isfinite(grads[i])), None)
    if bad is None:  # only the quick sum overflowed; every gradient is finite
        return
    node = order[bad]
    # The culprit is the op that sent this node a non-finite share: one of the nodes it feeds.
    users = [user.op.name for user in order[bad + 1 :] if any(p is node for p in user._parents)]
    where = f"backward through {users[0]}" if users else "backward"
    raise OverflowError(
        f"{where}: the gradient of its input (data {node.data:.6g}) is {float(grads[bad])}, "
        "too large for a float"
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
    order = topological_order(output)
    grads = {output: Value(1.0) if create_graph else 1.0}
    for node in reversed(order):
        if node._parents:
            upstream = grads[node]
            for parent, local in zip(node._parents, _local_derivatives(node, as_values=create_graph)):
                contribution = local * upstream
                grads[parent] = grads[parent] + contribution if parent in grads else contribution
    _check_finite(order, [grads[node] for node in order])
    zero = Value(0.0) if create_graph else 0.0
    return [grads.get(x, zero) for x in inputs]


def zero_grad(target):
    """Set ``.grad`` to 0 for a whole graph (given its root) or a list of Values."""
    nodes = topological_order(target) if isinstance(target, Value) else target
    for node in nodes:
        node.grad = 0.0


# ---- the operations: forward beside local derivatives ---------------------------------
def _data(x):
    return x.data if isinstance(x, Value) else x


def _log(x):
    return x.log() if isinstance(x, Value) else math.log(x)


class Op:
    """An operation: ``forward`` makes the number, ``derivatives`` the local slopes."""

    name = "op"
    symbol = "op"


class Add(Op):
    name, symbol = "add", "+"
    forward = staticmethod(lambda a, b: a + b)
    derivatives = staticmethod(lambda a, b, out: (1.0, 1.0))


class Sub(Op):
    name, symbol = "sub", "−"
    forward = staticmethod(lambda a, b: a - b)
    derivatives = staticmethod(lambda a, b, out: (1.0, -1.0))


class Mul(Op):
    name, symbol = "mul", "×"
    forward = staticmethod(lambda a, b: a * b)
    derivatives = staticmethod(lambda a, b, out: (b, a))


class Div(Op):
    name, symbol = "div", "÷"

    @staticmethod
    def forward(a, b):
        if b == 0:
            raise ZeroDivisionError(f"div: division by zero ({a!r} / 0)")
        return a / b

    derivatives = staticmethod(lambda a, b, out: (1 / b, -out / b))


class Neg(Op):
    name, symbol = "neg", "−x"
    forward = staticmethod(lambda a: -a)
    derivatives = staticmethod(lambda a, out: (-1.0,))


class PowConst(Op):
    """x ** k for a plain number k (the constant gets no gradient)."""

    name, symbol = "pow", "xᵏ"

    @staticmethod
    def forward(a, k):
        if a < 0 and not float(k).is_integer():
            raise ValueError(f"pow: a negative base ({a!r}) to a fractional power ({k!r}) has no real value")
        if a == 0 and k < 0:
            raise ZeroDivisionError(f"pow: 0 to a negative power ({k!r}) divides by zero")
        return a**k

    @staticmethod
    def derivatives(a, k, out):
        k = _data(k)
        return (k * a ** (k - 1) if k != 0 else 0.0, 0.0)  # x**0 is constant: slope 0, even at 0


class Pow(Op):
    """a ** b where both are Values (needs a > 0)."""

    name, symbol = "pow", "aᵇ"
    forward = staticmethod(lambda a, b: a**b)
    derivatives = staticmethod(lambda a, b, out: (b * a ** (b - 1), out * _log(a)))


class Exp(Op):
    name, symbol = "exp", "exp"
    forward = staticmethod(math.exp)
    derivatives = staticmethod(lambda a, out: (out,))


class Log(Op):
    name, symbol = "log", "log"

    @staticmethod
    def forward(a):
        if a <= 0:
            raise ValueError(f"log: input must be positive, got {a!r}")
        return math.log(a)

    derivatives = staticmethod(lambda a, out: (1 / a,))


class Sqrt(Op):
    name, symbol = "sqrt", "√"

    @staticmethod
    def forward(a):
        if a < 0:
            raise ValueError(f"sqrt: input must be non-negative, got {a!r}")
        return math.sqrt(a)

    derivatives = staticmethod(lambda a, out: (0.5 / out,))


class Tanh(Op):
    name, symbol = "tanh", "tanh"
    forward = staticmethod(math.tanh)
    derivatives = staticmethod(lambda a, out: (1 - out * out,))


class Sigmoid(Op):
    name, symbol = "sigmoid", "σ"

    @staticmethod
    def forward(a):
        # Two forms so that exp never overflows, whatever the sign of a.
        if a >= 0:
            return 1 / (1 + math.exp(-a))
        e = math.exp(a)
        return e / (1 + e)

    derivatives = staticmethod(lambda a, out: (out * (1 - out),))


class Relu(Op):
    name, symbol = "relu", "relu"
    forward = staticmethod(lambda a: a if a > 0 else 0.0)
    derivatives = staticmethod(lambda a, out: (1.0 if _data(a) > 0 else 0.0,))


class Abs(Op):
    name, symbol = "abs", "|x|"
    forward = staticmethod(abs)
    derivatives = staticmethod(lambda a, out: (float((_data(a) > 0) - (_data(a) < 0)),))


class Sum(Op):
    """x₁ + x₂ + … + xₙ: each input's local derivative is 1."""

    name, symbol = "sum", "Σ"
    forward = staticmethod(lambda *xs: math.fsum(xs))
    derivatives = staticmethod(lambda *xs_and_out: (1.0,) * (len(xs_and_out) - 1))


class Dot(Op):
    """w₁x₁ + … + wₙxₙ with inputs (w₁…wₙ, x₁…xₙ): d/dwᵢ = xᵢ and d/dxᵢ = wᵢ."""

    name, symbol = "dot", "Σwx"

    @staticmethod
    def forward(*ws_and_xs):
        n = len(ws_and_xs) // 2
        return math.fsum(w * x for w, x in zip(ws_and_xs[:n], ws_and_xs[n:]))

    @staticmethod
    def derivatives(*ws_xs_out):
        n = (len(ws_xs_out) - 1) // 2
        return ws_xs_out[n : 2 * n] + ws_xs_out[:n]
