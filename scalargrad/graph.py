"""Walking a computation graph, without recursion.

Every node of either engine exposes ``_parents``: the nodes it was computed
from. Backpropagation (§10) must visit a node only after every node that uses
it, i.e. in *reverse topological order*. A recursive depth-first search would
hit Python's recursion limit on a long chain (micrograd issues #21 and #90),
so this walk keeps its own explicit stack.
"""


def topological_order(root):
    """Return every node reachable from ``root``, each after all its parents.

    The root comes last, so ``reversed(topological_order(root))`` is the order
    in which backpropagation can finish nodes one by one.
    """
    order = []
    visited = set()
    # Each stack entry is (node, parents_done). A node is pushed once to
    # expand its parents and once more, underneath them, to be emitted after
    # they are all in ``order``: the iterative form of a post-order DFS.
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._parents:
            if parent in visited:
                continue
            if parent._parents:
                stack.append((parent, False))
            else:  # a leaf has no parents to wait for: emit it at once
                visited.add(parent)
                order.append(parent)
    return order
