"""Hostile uses of scalargrad's node layout: inputs in the slots ``_in``/``_in2``, plain numbers kept as floats
until a drawing lifts them into ``Constant`` nodes (see ``scalargrad.graph``).

Whatever the user does, a gradient, an error or a picture must not depend on whether the graph was drawn first.
"""

import copy
import math
from fractions import Fraction

import numpy as np
import pytest

from scalargrad import Value, dot, draw, gradcheck, step_through, sum_of, zero_grad
from scalargrad import elementwise as ew
from scalargrad.drawing import LAYOUT, Walk, digraph
from scalargrad.elementwise import Op
from scalargrad.gradients import grad
from scalargrad.graph import topological_order
from scalargrad.stepper import frames_of
from scalargrad.value import Constant, apply

DRAWN_FIRST = pytest.mark.parametrize("drawn_first", [False, True], ids=["not drawn", "drawn first"])


def _maybe_draw(root, drawn_first):
    if drawn_first:
        draw(root, "backward")


# ---- a constant's share of the gradient is nobody's gradient --------------------------------
def _share_of_a_constant_overflows(n_ary=False):
    """z = (x · 1e-200) · 1e200: dz/dx = 1, but the 1e-200's share, x · 1e200, is 1e400 (inf).

    ``n_ary``: the product is ``dot``, whose numbers are Constant nodes from the start."""
    x = Value(1e200, label="x")
    return x, (dot([1e-200], [x]) if n_ary else x * 1e-200) * 1e200


@DRAWN_FIRST
@pytest.mark.parametrize("n_ary", [False, True], ids=["x * 1e-200", "dot([1e-200], [x])"])
def test_backward_ignores_a_constants_overflowing_share(drawn_first, n_ary):
    x, z = _share_of_a_constant_overflows(n_ary)
    _maybe_draw(z, drawn_first)
    z.backward()
    assert x.grad == 1.0


@DRAWN_FIRST
def test_grad_ignores_a_constants_overflowing_share(drawn_first):
    x, z = _share_of_a_constant_overflows()
    _maybe_draw(z, drawn_first)
    assert grad(z, [x]) == [1.0]


@DRAWN_FIRST
def test_create_graph_builds_no_share_for_a_constant(drawn_first):
    x, z = _share_of_a_constant_overflows()
    _maybe_draw(z, drawn_first)
    (dz,) = grad(z, [x], create_graph=True)
    assert dz.data == 1.0
    assert grad(dz, [x]) == [0.0]


@DRAWN_FIRST
def test_an_overflowing_gradient_of_a_value_still_raises(drawn_first):
    x, a, b = Value(1e200, label="x"), Value(1e-200, label="a"), Value(1e200, label="b")
    z = (x * a) * b  # dz/da = x · b = 1e400
    _maybe_draw(z, drawn_first)
    with pytest.raises(OverflowError, match="backward through mul"):
        z.backward()
    with pytest.raises(OverflowError, match="backward through mul"):
        grad(z, [a])


@DRAWN_FIRST
def test_a_constant_never_holds_a_gradient(drawn_first):
    x = Value(3.0, label="x")
    loss = sum_of([x * 2.0, 5.0]) ** 2  # a float in a slot, and a Constant made by sum_of
    _maybe_draw(loss, drawn_first)
    loss.backward()
    loss.backward()
    assert x.grad == 2 * 2 * (2 * 3.0 + 5.0) * 2.0
    constants = [node for node in topological_order(loss) if isinstance(node, Constant)]
    assert constants and all(node.grad == 0.0 for node in constants)


# ---- the pictures ------------------------------------------------------------------------------
def _square_of_twice(drawn_first):
    x = Value(3.0, label="x")
    loss = (x * 2.0) ** 2
    _maybe_draw(loss, drawn_first)
    loss.backward()
    return loss


def test_a_constants_gradient_in_a_step_through_does_not_depend_on_drawing_first():
    frames, texts, layouts = [], [], []
    for drawn_first in (False, True):
        walk = Walk(_square_of_twice(drawn_first), 500, "test", include_constants=True)
        texts.append([walk.style.grad_text(i) for i in range(len(walk.order))])
        frames.append(frames_of(walk))
        layouts.append(digraph(walk, LAYOUT, "LR").source)
    assert texts[0] == texts[1]
    assert frames[0] == frames[1]
    assert layouts[0] == layouts[1]
    assert texts[0][1] == "36"  # the constant 2: ∂L/∂2 = 2·(2x)·x = 36 at x = 3, as its chain-rule frame says


def test_drawings_are_the_same_whether_drawn_before_or_after_backward():
    sources = []
    for drawn_first in (False, True):
        loss = _square_of_twice(drawn_first)
        sources.append((draw(loss, "backward").source, draw(loss, "forward").source))
    assert sources[0] == sources[1]


@pytest.mark.parametrize("entry", ["draw", "step_through"])
def test_a_refused_drawing_leaves_the_graph_as_it_was(entry, tmp_path):
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0001 + 0.0
    before = topological_order(y)
    with pytest.raises(ValueError, match="the graph has 1201 nodes, more than max_nodes=500"):  # 601 + 600 constants
        if entry == "draw":
            draw(y)
        else:
            y.backward()
            step_through(y, tmp_path)
    assert topological_order(y) == before
    assert type(y._in2) is float  # the 0.0 is still a plain number, not a Constant node


# ---- numbers of every kind, on either side, agree with finite differences ------------------------
NUMBERS = [2, 2.5, -0.0, np.float64(2.5), np.float32(0.75), np.int64(3), Fraction(1, 3), 1000]
OPERATORS = {
    "x + n": lambda x, n: x + n, "n + x": lambda x, n: n + x, "x - n": lambda x, n: x - n,
    "n - x": lambda x, n: n - x, "x * n": lambda x, n: x * n, "n * x": lambda x, n: n * x,
    "x / n": lambda x, n: x / n, "n / x": lambda x, n: n / x, "x ** n": lambda x, n: x ** n,
    "n ** x": lambda x, n: n ** x,
}


def _in_domain(name, number):
    """Leave out x / 0, n ** x for n <= 0 (a real power needs a positive base) and x ** 1000 (it underflows)."""
    return not (name == "x / n" and number == 0 or name == "n ** x" and number <= 0
                or name == "x ** n" and number >= 10)


@pytest.mark.parametrize("name, number", [(name, n) for name in OPERATORS for n in NUMBERS if _in_domain(name, n)],
                         ids=lambda p: p if isinstance(p, str) else f"{type(p).__name__}({p})")
def test_a_number_on_either_side_gives_the_gradient_finite_differences_give(name, number):
    operator = OPERATORS[name]
    report = gradcheck(lambda x: operator(x, number) * 1.0, [0.75], raise_on_failure=False)
    assert report.ok, report


@DRAWN_FIRST
def test_second_derivatives_through_constants_on_either_side(drawn_first):
    x = Value(1.3, label="x")
    y = 3.0 * x**3 + 2**x - 1 / x + x / 4
    _maybe_draw(y, drawn_first)
    (dy,) = grad(y, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert dy.data == pytest.approx(9 * 1.3**2 + 2**1.3 * math.log(2) + 1 / 1.3**2 + 0.25, rel=1e-12)
    assert d2y == pytest.approx(18 * 1.3 + 2**1.3 * math.log(2) ** 2 - 2 / 1.3**3, rel=1e-12)


def test_a_lifted_constant_as_exponent_is_the_number_it_holds():
    x = Value(-2.0, label="x")
    drawn = x**3.0
    draw(drawn)
    (three,) = [node for node in drawn._parents if isinstance(node, Constant)]
    cube = x**three  # a negative base to a constant power, as x**3.0: not a variable exponent
    cube.backward()
    assert cube.data == -8.0 and x.grad == 12.0


# ---- a derivative rule that does not give one local derivative per input ----------------------------
def _op_with_rule(inputs, rule):
    return Op(f"f{inputs}", f"f{inputs}", lambda *xs: math.fsum(xs), rule)


@pytest.mark.parametrize(
    "inputs, rule",
    [(1, lambda a, out: 2.0), (2, lambda a, b, out: (1.0,)), (2, lambda a, b, out: (1.0, 1.0, 1.0)),
     (3, lambda a, b, c, out: (1.0, 1.0))],
    ids=["a bare float for one input", "one for two inputs", "three for two inputs", "two for three inputs"],
)
def test_a_rule_with_the_wrong_number_of_local_derivatives_is_named_not_zipped_away(inputs, rule):
    xs = [Value(float(i + 1), label=f"x{i}") for i in range(inputs)]
    out = apply(_op_with_rule(inputs, rule), *xs)
    expected = f"f{inputs}: its derivative rule must return a tuple of {inputs} local derivatives"
    with pytest.raises(TypeError, match=expected):
        out.backward()
    with pytest.raises(TypeError, match=expected):
        grad(out, xs, create_graph=True)
    with pytest.raises(TypeError, match=expected):
        draw(out, "backward")


def test_an_error_inside_a_rule_is_its_own():
    def rule(a, b, out):
        raise ValueError("the rule's own error")

    with pytest.raises(ValueError, match="the rule's own error"):
        apply(_op_with_rule(2, rule), Value(1.0), Value(2.0)).backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_with_respect_to_a_lifted_constant_is_zero_as_its_grad(create_graph):
    x = Value(3.0, label="x")
    y = x * 2.0
    draw(y)
    two = y._parents[1]
    assert isinstance(two, Constant)
    (slope,) = grad(y, [two], create_graph=create_graph)
    assert (slope.data if create_graph else slope) == 0.0
    y.backward()
    assert two.grad == 0.0 and x.grad == 2.0


# ---- copies, and numbers no float can hold -------------------------------------------------------
def test_deepcopy_of_a_long_chain_copies_the_whole_graph_without_recursion():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20_000):  # far past Python's recursion limit
        y = y * 1.0001 + 0.0
    twin = copy.deepcopy(y)
    assert twin.data == y.data
    assert not set(map(id, topological_order(twin))) & set(map(id, topological_order(y)))
    twin.backward()
    assert x.grad == 0.0  # the original graph is untouched
    y.backward()
    assert topological_order(twin)[0].grad == x.grad == pytest.approx(1.0001**20_000)


def test_deepcopy_keeps_shared_nodes_shared_and_gradients_equal():
    a = Value(2.0, label="a")
    z = sum_of([a * a, 3.0]) + dot([a, 1.0], [a, a]) - 2**a
    z_twin, a_twin = copy.deepcopy([z, a])  # one memo: the a in the list is the a in the graph's copy
    square = next(node for node in topological_order(z_twin) if node.op is not None and node.op.name == "mul")
    assert square._in is square._in2 is a_twin
    z.backward()
    z_twin.backward()
    assert a_twin.grad == a.grad and a_twin is not a


@pytest.mark.parametrize("build", [lambda x: x * 10**400, lambda x: 10**400 - x, lambda x: Value(10**400)])
def test_an_integer_too_large_for_a_float_is_named_as_it_was_written(build):
    with pytest.raises(ValueError, match=r"expected a finite number, got 1000000000.*…, inf as a float"):
        build(Value(1.0))


def test_zero_grad_names_itself_for_anything_but_a_root_or_a_list_of_values():
    x = Value(1.0)
    (x * 2.0).backward()
    for bad in ([x, 2.0], 2.0, "x"):
        with pytest.raises(TypeError, match=r"^zero_grad: expected a Value \(a graph's root\) or Values"):
            zero_grad(bad)
    assert x.grad == 2.0  # a refused call changed nothing
    zero_grad(p for p in [x])  # any iterable of Values, as a model's parameters() may be
    assert x.grad == 0.0


def test_apply_takes_plain_numbers_as_constants_and_names_the_op_for_anything_else():
    x = Value(3.0)
    y = apply(ew.mul, x, 2)
    y.backward()
    assert y.data == 6.0 and x.grad == 2.0 and isinstance(y._in2, Constant)
    with pytest.raises(TypeError, match=r"^mul: expected numbers or Values, got str 'a'"):
        apply(ew.mul, x, "a")
