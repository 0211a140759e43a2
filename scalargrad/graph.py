"""Walking a computation graph without recursion, and the chain rule that walks it.

Every node of either engine exposes ``_parents``: the nodes it was computed
from. Backpropagation (§10) must visit a node only after every node that uses
it, i.e. in *reverse topological order*. A recursive depth-first search would
hit Python's recursion limit on a long chain (micrograd issues #21 and #90),
so this walk keeps its own explicit stack.

To see whether it has met a node before, the walk marks it: every node has a
``_walk`` slot, and a walk writes its own token there (a new ``object()``, so
an earlier walk's marks mean nothing to it). A mark costs no memory the node
does not already have, where a set of the nodes seen would take ~30 bytes per
node (128 MB for a chain of 4 million). So one graph is walked by one thread
at a time, as it is built by one.
"""

_EMIT = object()  # stack marker: "the node below me has all its parents in order"


def topological_order(root):
    """Return every node reachable from ``root``, each after all its parents.

    The root comes last, so ``reversed(topological_order(root))`` is the order
    in which backpropagation can finish nodes one by one. A leaf is placed
    just before its first user, so that backpropagation finishes it right
    after that user, instead of holding its gradient until the very end.
    """
    order = []
    walk = object()  # this walk's mark
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:  # its parents are all in `order` now: its leaves, then itself
            node = stack.pop()
            for parent in node._parents:
                if not parent._parents and parent._walk is not walk:
                    parent._walk = walk
                    order.append(parent)
            order.append(node)
        elif node._walk is not walk:
            node._walk = walk
            # Depth-first: the node waits under a marker while its parents are expanded.
            stack.append(node)
            stack.append(_EMIT)
            for parent in node._parents:
                if parent._parents and parent._walk is not walk:
                    stack.append(parent)
    return order


def backpropagate(root, seed, vjp):
    """The chain rule (§10), once for both engines: yield ``(node, gradient)`` from the root back.

    ``vjp(node, g)`` says what a node with gradient ``g`` sends each of its
    parents (None: nothing): for a scalar op ``upstream × local``, for a
    tensor op its vector-Jacobian product. A node used twice receives both
    shares and adds them up; walking in reverse topological order means a
    node's gradient is complete before it is passed on. Each gradient is let
    go as soon as it has been passed on, so the caller decides what to keep:
    ``backward()`` stores gradients in ``.grad``, ``grad()`` returns the
    inputs', and the drawings record what each ``vjp`` call sent along each
    edge. Nodes that receive no gradient are skipped.
    """
    pending = {root: seed}
    order = topological_order(root)
    while order:  # from the root back, shortening the list as it goes: its memory is let go too
        node = order.pop()
        g = pending.pop(node, None)
        if g is None:
            continue
        if node._parents:
            for parent, share in zip(node._parents, vjp(node, g)):
                if share is not None:
                    before = pending.get(parent)
                    pending[parent] = share if before is None else before + share
        yield node, g
