"""Walking a computation graph without recursion, and the chain rule that walks it.

Both engines' nodes hold their inputs in two slots:

    a leaf (input, parameter)   ``_in`` is None
    one input                   ``_in`` is that node
    two inputs                  ``_in`` and ``_in2``
    three or more               ``_in`` is a tuple of them (tensorgrad's nodes always use this)

and ``_in2`` is None unless there are exactly two. Only scalargrad's binary
operators (+ − × ÷ **) may also keep a plain float in a slot: a number from
the user's code, such as the 2 in ``x * 2``, which needs no node of its own
and gets no gradient (``apply``, ``sum_of``, ``dot`` and ``nn`` wrap numbers
in a ``Constant`` node at once). ``_parents`` gives a node's inputs as a
tuple of nodes, for code that wants them all at once (the drawings): for a
Value it first writes a ``Constant`` node into each slot that holds a number. The slots rather than a tuple because most nodes have
one or two inputs, and one object per node instead of two halves the work
of Python's garbage collector, which visits every live object now and then.

Backpropagation (§10) must visit a node only after every node that uses it,
i.e. in *reverse topological order*. A recursive depth-first search would
hit Python's recursion limit on a long chain (micrograd issues #21 and #90),
so the walk keeps its own explicit stack.

To see whether it has met a node before, the walk marks it: every node has a
``_walk`` slot, and a walk writes its own token there (a new ``object()``, so
an earlier walk's marks mean nothing to it). A mark costs no memory the node
does not already have, where a set of the nodes seen would take ~30 bytes per
node (128 MB for a chain of 4 million). So one graph is walked by one thread
at a time, as it is built by one.
"""

import copy

_EMIT = object()  # stack marker: "the node below me has all its parents in order"


def inputs_of(node):
    """A node's inputs as a tuple: nodes, and for scalargrad maybe plain floats (constants)."""
    first, second = node._in, node._in2
    if second is not None:
        return first, second
    if first is None:
        return ()
    return first if type(first) is tuple else (first,)


def topological_order(root):
    """Return every node reachable from ``root``, each after all its parents.

    The root comes last, so ``reversed(topological_order(root))`` is the order
    in which backpropagation can finish nodes one by one. Plain-number inputs
    (constants) are not nodes and are not listed.
    """
    order = []
    walk = object()  # this walk's mark
    stack = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:  # the node below the marker has all its parents in `order` now
            order.append(stack.pop())
        elif node._walk is not walk:
            node._walk = walk
            first, second = node._in, node._in2
            if first is None:  # a leaf
                order.append(node)
                continue
            # Depth-first: the node waits under a marker while its parents are expanded.
            stack.append(node)
            stack.append(_EMIT)
            # Pushed last to first, so that the first input's subgraph is placed first.
            if second is not None:  # two inputs, the commonest node: spelled out
                if type(second) is not float and second._walk is not walk:
                    stack.append(second)
                if type(first) is not float and first._walk is not walk:
                    stack.append(first)
            elif type(first) is tuple:
                stack.extend(reversed(first))
            else:
                stack.append(first)
    return order


def backpropagate(root, seed, vjp):
    """The chain rule (§10), once for both engines: yield ``(node, gradient)`` from the root back.

    ``vjp(node, g)`` says what a node with gradient ``g`` sends each of its
    inputs (None: nothing), in the order of ``inputs_of(node)``: for a scalar
    op ``upstream × local``, for a tensor op its vector-Jacobian product.
    Pending gradients wait in a dictionary; a node used twice receives both
    shares and adds them up; walking in reverse topological order means a
    node's gradient is complete before it is passed on. Each gradient is let
    go as soon as it has been passed on, so the caller decides what to keep:
    ``backward()`` stores gradients in ``.grad``, ``grad()`` returns the
    inputs', and the drawings record what each ``vjp`` call sent along each
    edge. Nodes that receive no gradient are skipped, and so are plain-number
    inputs (constants).
    """
    pending = {root: seed}
    order = topological_order(root)
    while order:  # from the root back, shortening the list as it goes: its memory is let go too
        node = order.pop()
        g = pending.pop(node, None)
        if g is None:
            continue
        first, second = node._in, node._in2
        if second is not None:  # two inputs, the commonest node: spelled out
            share_first, share_second = vjp(node, g)
            if share_first is not None and type(first) is not float:
                held = pending.get(first)
                pending[first] = share_first if held is None else held + share_first
            if share_second is not None and type(second) is not float:
                held = pending.get(second)
                pending[second] = share_second if held is None else held + share_second
        elif first is not None:
            for parent, share in zip(first if type(first) is tuple else (first,), vjp(node, g)):
                if share is not None:
                    held = pending.get(parent)
                    pending[parent] = share if held is None else held + share
        yield node, g


def record_backward(order, seed, vjp):
    """Run the engine's chain-rule loop from the root (``order[-1]``), recording what it does.

    Returns ``(sent, totals)``: ``sent[i, slot]`` is what node ``order[i]``
    sent to its input number ``slot``, and ``totals[i]`` the gradient of node
    ``order[i]`` (None if it received none). No ``.grad`` is touched.
    """
    position = {node: i for i, node in enumerate(order)}
    totals = [None] * len(order)
    sent = {}

    def recording_vjp(node, grad):
        shares = vjp(node, grad)
        for slot, share in enumerate(shares):
            if share is not None:
                sent[position[node], slot] = share
        return shares

    for node, grad in backpropagate(order[-1], seed, recording_vjp):
        totals[position[node]] = grad
    return sent, totals


def copy_graph(root, memo):
    """A deep copy of the scalargrad graph that computed ``root`` (``copy.deepcopy`` of a Value calls it).

    Node by node in topological order, each copy taking its inputs' copies:
    ``copy.deepcopy``'s own recursion, a level or two per node, would hit
    Python's recursion limit on a long chain. Plain-number inputs are shared,
    and so are the ops (fixed tables). ``memo`` is deepcopy's: id → copy.
    """
    for node in topological_order(root):
        if id(node) in memo:
            continue
        twin = copy.copy(node)
        twin._walk = None
        first, second = node._in, node._in2
        if type(first) is tuple:
            twin._in = tuple(memo[id(x)] for x in first)
        elif first is not None and type(first) is not float:
            twin._in = memo[id(first)]
        if second is not None and type(second) is not float:
            twin._in2 = memo[id(second)]
        memo[id(node)] = twin
    return memo[id(root)]
