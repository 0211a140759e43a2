"""The topological-order check (§10): small graphs with shared nodes, a long chain, then scalargrad's backward."""

import gc

from exercises.mistakes import Failed, found
from scalargrad import Value
from scalargrad import graph as engine_graph

LONG = 1_000_000  # the chain the learner's walk must survive
DEEP = 5_000  # already far past Python's recursion limit
ENGINE_CHAIN = 100_000  # the chain scalargrad's backward runs with the learner's walk


class Link:
    """A bare node: just ``_parents`` (a chain of a million Values would take seconds to build)."""

    __slots__ = ("_parents",)

    def __init__(self, parents):
        self._parents = parents


def check(module):
    for case, root in _small_graphs():
        _valid(_ordered(module, root, case), root, case)
    _ordered(module, _chain(DEEP), f"a chain of {DEEP:,} nodes")
    collecting = gc.isenabled()
    gc.disable()  # a million new objects would set off Python's cycle collector again and again (there are no cycles)
    try:
        root = _chain(LONG)
        order = _ordered(module, root, f"a chain of {LONG:,} nodes")
    finally:
        if collecting:
            gc.enable()
    if len(order) != LONG + 1 or order[-1] is not root or order[0]._parents:
        raise Failed(f"topological_order for a chain of {LONG:,} nodes: expected {LONG + 1:,} nodes from the leaf to "
                     f"the root, got {len(order):,}")
    return [_plugged_in(module)]


def _small_graphs():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    hidden = x * y
    diamond = (hidden + x) * hidden  # x and hidden are each used twice
    a = Value(1.5, label="a")
    return [("a single leaf", x), ("(x·y + x)·(x·y), where x and x·y are used twice", diamond),
            ("a + a", a + a), ("tanh(x·y)", hidden.tanh())]


def _chain(n):
    node = Link(())
    for _ in range(n):
        node = Link((node,))
    return node


def _ordered(module, root, case):
    """The learner's order as a list; a recursion error is the named mistake."""
    try:
        return list(module.topological_order(root))
    except RecursionError:
        raise found("recursion_on_the_long_chain", f"topological_order for {case}: RecursionError") from None


def _valid(order, root, case):
    """Each reachable node once, after its parents, the root last."""
    expected = engine_graph.topological_order(root)
    if len(order) > len(set(map(id, order))):
        raise found("node_twice", f"topological_order for {case}: {len(order)} entries for {len(expected)} nodes")
    if order and order[0] is root and len(expected) > 1:
        raise found("root_first", f"topological_order for {case}: the root came first")
    if set(map(id, order)) != set(map(id, expected)):
        raise Failed(f"topological_order for {case}: expected the {len(expected)} nodes reachable from the root, "
                     f"got {len(order)} other nodes")
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node._parents:
            if position[id(parent)] > position[id(node)]:
                raise Failed(f"topological_order for {case}: {_name(node)} comes before its parent {_name(parent)}")


def _name(node):
    return node.label or (f"the {node.op.name} node" if node.op else f"the leaf {node.data:g}")


def _plugged_in(module):
    """scalargrad's backward with the learner's walk in place of its own, on a chain of negations."""
    x = Value(0.5, label="x")
    node = x
    for _ in range(ENGINE_CHAIN):
        node = -node
    own = engine_graph.topological_order
    engine_graph.topological_order = module.topological_order  # the chain-rule loop walks the learner's order
    try:
        node.backward()
    finally:
        engine_graph.topological_order = own
    if x.grad != 1.0:
        raise Failed(f"scalargrad's backward with your order: ∂/∂x of {ENGINE_CHAIN:,} negations of x is 1, got {x.grad}")
    return (f"your walk ordered {LONG + 1:,} nodes, and drove scalargrad's backward through {ENGINE_CHAIN:,} "
            f"negations of x: ∂/∂x = {x.grad:g}, as it should be.")
