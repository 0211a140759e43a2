"""Value: one number in a computation graph (§10).

Every elementwise op comes from the table in ``scalargrad.elementwise``,
where its forward rule and its local derivatives stand side by side (the
two n-ary ops, ``sum_of`` and ``dot``, are in ``scalargrad.sums``); this file
adds the chain rule's local step and ``Value.backward()``, which fills every
``.grad`` (``scalargrad.gradients.grad`` returns gradients without touching
them). Both go through the one chain-rule loop, ``scalargrad.graph.backpropagate``.

The local derivatives are plain arithmetic, so they run on floats (an
ordinary backward pass) and on Values too: ``grad(..., create_graph=True)``
evaluates them on Values to build the gradient as a graph of its own, which
can be differentiated again (second derivatives, Newton's method).

A node stores only its inputs and the op that made it, never a function that refers back to itself, so a graph
holds no reference cycles and Python's cyclic garbage collector has nothing to do when it is freed. The inputs sit
in two slots of the node itself (see ``scalargrad.graph``), and a plain number in the arithmetic (the 2 in ``x * 2``)
is kept as the number: one object per node, and none per constant, for a collector that visits every live object.
"""

import math
from collections.abc import Iterable
from numbers import Real

from scalargrad import elementwise as ew
from scalargrad.graph import backpropagate, copy_graph, inputs_of, topological_order


class Value:
    """A scalar that remembers how it was computed.

    ``data`` is the number, ``grad`` is d(root)/d(this) after ``root.backward()``,
    ``label`` names it in drawings, ``op`` is the Op that produced it (None for a
    leaf: an input, a parameter or a constant) and ``_parents`` are its inputs
    (kept in the slots ``_in`` and ``_in2``: see ``scalargrad.graph``).
    """

    __slots__ = ("_in", "_in2", "_walk", "data", "grad", "label", "op")

    def __init__(self, data, label=None):
        self.data = _as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = None
        self._in = self._in2 = self._walk = None

    def __repr__(self):
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self):
        """Refused: ``math.exp(v)``, ``np.float64(v)`` or a Tensor made from v would quietly drop the gradient."""
        raise TypeError(f"float() of a Value ({self!r}) would drop its gradient, as math.exp(v), NumPy or tensorgrad "
                        "would: use its methods (v.exp()), or v.data for the plain number")

    def __deepcopy__(self, memo):  # the whole graph, node by node: deepcopy's own recursion fails on a long chain
        return copy_graph(self, memo)

    def input_nodes(self):
        """The inputs as nodes (also ``_parents``). This changes the node: a slot that holds a plain number gets a
        ``Constant`` node in its place, once, so that a drawing shows the same node every time it asks."""
        if type(self._in) is float:
            self._in = Constant(self._in)
        if type(self._in2) is float:
            self._in2 = Constant(self._in2)
        return inputs_of(self)

    _parents = property(input_nodes)

    # ---- arithmetic: Python operators, with plain numbers on either side ----
    def __add__(self, other):
        return _binary(ew.add, self, other)

    def __radd__(self, other):
        return _binary(ew.add, other, self)

    def __sub__(self, other):
        return _binary(ew.sub, self, other)

    def __rsub__(self, other):
        return _binary(ew.sub, other, self)

    def __mul__(self, other):
        return _binary(ew.mul, self, other)

    def __rmul__(self, other):
        return _binary(ew.mul, other, self)

    def __truediv__(self, other):
        return _binary(ew.div, self, other)

    def __rtruediv__(self, other):
        return _binary(ew.div, other, self)

    def __neg__(self):
        return apply(ew.neg, self)

    def __pow__(self, exponent):
        if isinstance(exponent, Value) and type(exponent) is not Constant:  # a Constant is the number it holds
            return apply(ew.power_of_variables, self, exponent)
        return _binary(ew.power, self, exponent)

    def __rpow__(self, base):
        return _binary(ew.power_of_variables, base, self)

    # ---- functions: one line each, the op is in the table --------------------
    def exp(self):
        return apply(ew.exponential, self)

    def log(self):
        return apply(ew.logarithm, self)

    def sqrt(self):
        return apply(ew.square_root, self)

    def tanh(self):
        return apply(ew.hyperbolic_tangent, self)

    def sigmoid(self):
        return apply(ew.sigmoid, self)

    def relu(self):
        return apply(ew.relu, self)

    def gelu(self):
        return apply(ew.gelu, self)

    def abs(self):
        return apply(ew.absolute, self)

    __abs__ = abs

    # ---- backpropagation (§10) ------------------------------------------------
    def local_derivatives(self):
        """d(self)/d(parent) for each parent, as numbers (what the drawings show)."""
        if self.op is None:
            return ()
        return slopes_of(self, as_values=False)

    def backward(self, grad=1.0):
        """Fill ``.grad`` of every node in this graph with d(self)/d(node).

        The walk goes in reverse topological order, so a node is finished only after every node that uses it
        has handed back its share. Intermediate nodes get this pass's gradient; leaves (inputs, parameters)
        *add* it to what they hold, as in PyTorch, so gradients of several losses can be summed. Call
        ``zero_grad`` before each training step. Constants get none. A pass that raises changes no leaf's .grad.
        """
        seed = _as_float(grad, "backward: the seed gradient")
        total = 0.0  # one sum to see cheaply that no gradient overflowed
        held_before = []  # (leaf, the .grad it held), put back if this pass raises
        try:
            for node, g in backpropagate(self, seed, vjp_on_floats):
                if node._in is not None:
                    node.grad = g
                elif type(node) is Constant:
                    continue
                else:
                    held = node.grad
                    held_before.append((node, held))
                    node.grad = held + g
                    if node.grad - node.grad != 0.0 and g - g == 0.0:  # two finite parts, a sum too large
                        raise _accumulation_overflow(node, held, g)
                total += g
            if not math.isfinite(total):
                report_overflow(self, seed)
        except Exception:
            for leaf, held in held_before:
                leaf.grad = held
            raise


# ---- building nodes ------------------------------------------------------------
def apply(op, *inputs):
    """Run ``op`` on the inputs' numbers and return the new node that remembers them."""
    try:
        args = [x.data for x in inputs]
    except AttributeError:  # a plain number among them: a Constant, as sum_of and dot make
        inputs = tuple(lift_all(inputs, op.name))
        args = [x.data for x in inputs]
    if op.domain:
        _refuse_outside_domain(op, *args)
    try:
        out = float(op.forward(*args) if op.keep is None else op.forward(*args, op.keep(*args)))
    except OverflowError:
        out = math.inf
    if out - out != 0.0:  # inf or nan: the cheapest finiteness test there is
        raise _overflow(op, args)
    node = Value(out)
    node.op = op
    if len(inputs) == 2:
        node._in, node._in2 = inputs
    else:
        node._in = inputs[0] if len(inputs) == 1 else inputs
    return node


def _overflow(op, args):
    return OverflowError(f"{op.name}: the result for input(s) {_show(args)} overflows a float")


def _binary(op, a, b):
    """``apply`` for the two-input operators, made lean: they build most of any graph. A plain number on either
    side stays a plain float in the node, a constant with no node of its own."""
    if type(a) is Value:
        x = a.data
    else:
        a = x = _operand(op, a)
        if a is None:
            return NotImplemented
        if type(a) is not float:
            x = a.data
    if type(b) is Value:
        y = b.data
    else:
        b = y = _operand(op, b)
        if b is None:
            return NotImplemented
        if type(b) is not float:
            y = b.data
    if op.domain:
        _refuse_outside_domain(op, x, y)
    try:
        out = op.forward(x, y) if op.keep is None else op.forward(x, y, op.keep(x, y))
    except OverflowError:
        out = math.inf
    if type(out) is not float:
        out = float(out)
    if out - out != 0.0:  # inf or nan: the cheapest finiteness test there is
        raise _overflow(op, [x, y])
    node = Value.__new__(Value)  # every slot set here, as Value() would, without its checks
    node.data = out
    node.grad = 0.0
    node.label = None
    node.op = op
    node._in = a
    node._in2 = b
    node._walk = None
    return node


def _refuse_outside_domain(op, *args):
    """Raise the error of the first of ``op``'s refusals that these input numbers meet."""
    for refuse in op.domain:
        if refuse.bad(*args):
            raise refuse.error(f"{op.name}: {refuse.message.format(*args)}")


def _operand(op, x):
    """An operand of ``op`` that is not a plain Value: itself if it is a node (a Constant), a float if it is a
    number, None otherwise. A NaN or infinite number is an error that names the op."""
    if isinstance(x, Value):
        return x
    if type(x) not in _PLAIN_NUMBERS and not (isinstance(x, Real) and not isinstance(x, bool)):
        return None
    return _as_float(x, op.name)


def _numbers(node):
    """The numbers of a node's inputs: a plain-number input (a constant) is its own number."""
    return [x if type(x) is float else x.data for x in inputs_of(node)]


class Constant(Value):
    """A number from the user's code lifted into a leaf: drawn quietly, given no gradient. ``apply``, ``sum_of``,
    ``dot`` and ``nn`` make one for each number they are given; the binary operators keep the number itself (the
    2 in ``x**2``) until a drawing asks for the node's inputs."""

    __slots__ = ()


def lift(x):
    """A Value for x: itself, a ``Constant`` leaf for a plain number, None otherwise."""
    if isinstance(x, Value):
        return x
    if type(x) in _PLAIN_NUMBERS or isinstance(x, Real) and not isinstance(x, bool):
        return Constant(x)
    return None


_PLAIN_NUMBERS = (float, int)  # checked first: the ABC check for Real is slow


def lift_all(xs, where):
    """Values for a list of Values and numbers; a TypeError naming ``where`` otherwise."""
    values = list(xs)
    for i, x in enumerate(values):
        if type(x) is not Value:
            values[i] = lift(x)
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
        raise ValueError(f"{where}: expected a finite number, got {x!r:.30}…, inf as a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: expected a finite number, got {x!r}")
    return x


def _show(args):
    return ", ".join(f"{a:.6g}" for a in args)


# ---- the chain rule's local step, shared by backward() and grad() ---------------------
def slopes_of(node, as_values):
    """The local derivatives d(node)/d(input), one per input (``Value.local_derivatives`` on any node): numbers,
    or Values (a graph) if ``as_values``. A rule that gives not one per input is an error naming the op, where a
    shorter list would leave the last inputs without a gradient."""
    op = node.op
    inputs = inputs_of(node) if as_values else _numbers(node)
    try:
        kept = () if op.keep is None else (op.keep(*inputs),)
        slopes = op.derivative(*inputs, node if as_values else node.data, *kept)
    except (ZeroDivisionError, OverflowError) as error:
        raise _derivative_error(node, error) from None
    if not isinstance(slopes, (tuple, list)) or len(slopes) != len(inputs):
        raise TypeError(f"{op.name}: its derivative rule must return a tuple of {len(inputs)} local derivatives, "
                        f"one per input, got {slopes!r}")
    return slopes


def _derivative_error(node, error):
    """The error for a derivative that is infinite or too large, naming the op and its inputs."""
    problem = "is infinite" if isinstance(error, ZeroDivisionError) else "overflows a float"
    inputs = _show(_numbers(node))
    return type(error)(f"backward through {node.op.name}: its derivative at input(s) {inputs} {problem}")


def vjp_on_floats(node, upstream):
    """What ``node`` sends each parent: upstream × local (§10). One or two inputs (nearly all nodes): spelled out,
    as lists cost more than the math. A slope of exactly 1 (``+``) skips the multiplication."""
    op = node.op
    first, second = node._in, node._in2
    if op.keep is None and type(first) is not tuple:
        try:
            if second is not None:
                local_a, local_b = op.derivative(first if type(first) is float else first.data,
                                                 second if type(second) is float else second.data, node.data)
                return (upstream if local_a == 1.0 else local_a * upstream,
                        upstream if local_b == 1.0 else local_b * upstream)
            (local,) = op.derivative(first.data, node.data)
            return (upstream if local == 1.0 else local * upstream,)
        except (ZeroDivisionError, OverflowError) as error:
            raise _derivative_error(node, error) from None
        except (TypeError, ValueError):  # the rule's result did not unpack into one slope per input: fall
            pass                          # through to slopes_of, which raises an error naming the op
    return [local * upstream for local in slopes_of(node, as_values=False)]


def vjp_on_values(node, upstream):
    """The same product on Values, so the gradient is a graph that can be differentiated again. A constant gets
    no share (None): building it is wasted work that can overflow where no gradient does."""
    slopes = zip(inputs_of(node), slopes_of(node, as_values=True))
    return [None if isinstance(x, (float, Constant)) else local * upstream for x, local in slopes]


def _accumulation_overflow(leaf, held, g):
    name = f"of {leaf.label!r}" if leaf.label is not None else f"of a leaf (data {leaf.data:.6g})"
    return OverflowError(f"backward: the gradient {name}: the .grad it held, {held}, plus this pass's {g}, is too "
                         "large for a float. Call zero_grad() between steps, unless summing the gradients of several "
                         "losses is meant")


def report_overflow(root, seed):
    """Raise, naming the op, if a gradient overflowed: the walk again, keeping every gradient."""
    walk = [(node, g) for node, g in backpropagate(root, seed, vjp_on_floats)]
    bad = next((i for i, (node, g) in enumerate(walk) if not math.isfinite(g) and type(node) is not Constant), None)
    if bad is None:  # only the quick sum (or a constant, which gets no gradient) overflowed
        return
    node, g = walk[bad]
    # The culprit is the op that sent this node a non-finite share: one of the nodes it feeds.
    users = [user.op.name for user, _ in walk[:bad] if any(p is node for p in inputs_of(user))]
    where = f"backward through {users[0]}" if users else "backward"
    if math.isnan(g):
        raise OverflowError(f"{where}: the gradient of its input (data {node.data:.6g}) is nan: an overflow "
                            "times 0, or a NaN or infinity written into some .data after the forward pass")
    raise OverflowError(f"{where}: the gradient of its input (data {node.data:.6g}) is {g}, too large for a float")


def zero_grad(target):
    """Set ``.grad`` to 0 for a whole graph (given its root) or a list of Values."""
    if isinstance(target, Value):
        nodes = topological_order(target)
    else:
        nodes = list(target) if isinstance(target, Iterable) and not isinstance(target, str) else [target]
        if not all(isinstance(x, Value) for x in nodes):
            raise TypeError(f"zero_grad: expected a Value (a graph's root) or Values, got {target!r:.80}")
    for node in nodes:
        node.grad = 0.0
