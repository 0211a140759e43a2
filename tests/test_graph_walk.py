"""The graph walk marks the nodes it meets (``_walk``): those marks must never hide a node from another walk."""

from scalargrad import Value, grad
from scalargrad.graph import backpropagate, topological_order
from scalargrad.value import vjp_on_floats


def small_graph():
    """A graph with shared nodes and shared leaves: out = (x·y + x)·(x·y) + 3."""
    x, y = Value(2.0, label="x"), Value(-1.5, label="y")
    xy = x * y
    inner = xy + x
    return x, y, xy, inner, inner * xy + 3


def test_a_walk_of_the_whole_graph_does_not_hide_nodes_from_a_later_walk_of_a_part():
    x, y, xy, inner, out = small_graph()
    everything = topological_order(out)
    part = topological_order(inner)
    assert set(map(id, part)) == {id(x), id(y), id(xy), id(inner)}
    assert len(topological_order(out)) == len(everything)


def test_a_walk_of_a_part_does_not_hide_nodes_from_a_later_walk_of_the_whole():
    _, _, _, inner, out = small_graph()
    part = topological_order(inner)
    everything = topological_order(out)
    assert {id(n) for n in part} < {id(n) for n in everything}
    assert everything[-1] is out and len({id(n) for n in everything}) == len(everything)


def test_a_walk_in_progress_is_not_disturbed_by_other_walks_of_the_same_graph():
    x, y, _, _, out = small_graph()  # out = x²y² + x²y: d/dx = 2xy² + 2xy = 3, d/dy = 2x²y + x² = -8
    walk = backpropagate(out, 1.0, vjp_on_floats)
    first = next(walk)  # the root, with the seed
    topological_order(out)  # other walks mark every node with their own token meanwhile
    assert grad(out, [x, y]) == [3.0, -8.0]
    got = dict([first] + list(walk))
    assert got[x] == 3.0 and got[y] == -8.0
