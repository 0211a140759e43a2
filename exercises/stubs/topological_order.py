"""Exercise topological_order (§10): an iterative topological order, so backward works on a 10⁶-node chain.

Every node of either engine has ``_parents``: the nodes it was computed
from (a leaf's is ``()``). The engine's own walk reads the slots behind it,
``_in`` and ``_in2``, for speed; ``_parents`` is the readable form. Write ``topological_order(root)``: a list of
every node reachable from ``root``, each node once, each after all of its
parents, so the root comes last. Backpropagation walks that list in
reverse: a node passes its gradient on only after every node that uses it
has handed back its share.

The check runs it on a chain of 1,000,000 nodes. A recursive walk meets
Python's recursion limit long before that.

    python -m exercises check topological_order      grade this file
    python -m exercises topological_order --hint     the next hint
"""


def topological_order(root):
    """Every node reachable from ``root``, each after its parents; the root last."""
    raise NotImplementedError("not implemented yet")
