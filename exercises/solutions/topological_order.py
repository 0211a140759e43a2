"""Reference solution: an iterative topological order (§10)."""


def topological_order(root):
    """Every node reachable from ``root``, each after its parents; the root last."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:  # every parent is in `order` now
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))  # comes off again after all its parents
        for parent in node._parents:
            if parent not in visited:
                stack.append((parent, False))
    return order
