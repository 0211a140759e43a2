"""Tests for Value: every op's forward and derivative, backward semantics, deep graphs, errors.

Derivatives are checked against central finite differences with the project's
own ``gradcheck`` (float64), on inputs that hypothesis draws from each op's
valid range, kept clear of kinks (relu and abs at 0) and of domain edges (log
and sqrt at 0) where a finite difference straddles two different slopes.
"""

import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalargrad import Value, dot, gradcheck, sum_of, zero_grad
from scalargrad.gradients import grad
from scalargrad.graph import inputs_of, topological_order

FAST = settings(max_examples=50, deadline=None)


# ---- helpers ------------------------------------------------------------------------


def assert_matches_finite_differences(f, inputs):
    """backward() agrees with central differences for every input (raises GradcheckError if not)."""
    report = gradcheck(f, inputs)
    assert report.ok, str(report)


def either_sign(lo, hi):
    """Floats with lo <= |x| <= hi, of either sign: keeps kinks and poles at 0 out of reach."""
    return st.tuples(st.floats(lo, hi), st.sampled_from([-1.0, 1.0])).map(lambda t: t[0] * t[1])


def chain(x, n):
    """x·1.0001 + 0 repeated n times: 2n nodes deep, d(out)/dx = 1.0001**n."""
    for _ in range(n):
        x = x * 1.0001 + 0.0
    return x


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


REALS = st.floats(-10, 10)

# name, method on a Value, the same function on floats, its derivative, valid inputs
UNARY_OPS = [
    ("neg", lambda x: -x, lambda x: -x, lambda x: -1.0, REALS),
    ("exp", Value.exp, math.exp, math.exp, st.floats(-10, 10)),
    ("log", Value.log, math.log, lambda x: 1 / x, st.floats(0.01, 100)),
    ("tanh", Value.tanh, math.tanh, lambda x: 1 - math.tanh(x) ** 2, st.floats(-5, 5)),
    ("sigmoid", Value.sigmoid, sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)), st.floats(-10, 10)),
    ("relu", Value.relu, lambda x: max(x, 0.0), lambda x: float(x > 0), either_sign(0.01, 10)),
    ("sqrt", Value.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x), st.floats(0.01, 100)),
    ("abs", abs, abs, lambda x: math.copysign(1.0, x), either_sign(0.01, 10)),
]

# name, function (written with operators, so it runs on floats and on Values), inputs a, b
BINARY_OPS = [
    ("add", lambda a, b: a + b, REALS, REALS),
    ("sub", lambda a, b: a - b, REALS, REALS),
    ("mul", lambda a, b: a * b, REALS, REALS),
    ("div", lambda a, b: a / b, REALS, either_sign(0.1, 10)),
    ("Value**Value", lambda a, b: a**b, st.floats(0.1, 5), st.floats(-3, 3)),
]


# ---- every op: forward value and derivative ----------------------------------------------


@pytest.mark.parametrize("name, op, reference, derivative, inputs", UNARY_OPS, ids=[row[0] for row in UNARY_OPS])
@FAST
@given(data=st.data())
def test_unary_op_forward_and_derivative(name, op, reference, derivative, inputs, data):
    x0 = data.draw(inputs, label="x")
    x = Value(x0)
    y = op(x)
    y.backward()
    assert y.data == pytest.approx(reference(x0), rel=1e-12, abs=1e-15)
    assert x.grad == pytest.approx(derivative(x0), rel=1e-9, abs=1e-12)
    assert_matches_finite_differences(op, [x0])


@pytest.mark.parametrize("name, op, a_values, b_values", BINARY_OPS, ids=[row[0] for row in BINARY_OPS])
@FAST
@given(data=st.data())
def test_binary_op_forward_and_derivatives(name, op, a_values, b_values, data):
    a, b = data.draw(a_values, label="a"), data.draw(b_values, label="b")
    assert op(Value(a), Value(b)).data == pytest.approx(op(a, b), rel=1e-12, abs=1e-15)
    assert_matches_finite_differences(op, [a, b])


@FAST
@given(base=st.floats(0.1, 5), exponent=st.floats(-3, 3))
def test_value_to_a_number_power(base, exponent):
    x = Value(base)
    y = x**exponent
    y.backward()
    assert y.data == pytest.approx(base**exponent, rel=1e-12)
    assert x.grad == pytest.approx(exponent * base ** (exponent - 1), rel=1e-9, abs=1e-12)
    assert_matches_finite_differences(lambda v: v**exponent, [base])


@FAST
@given(base=st.floats(-5, -0.1), exponent=st.integers(-3, 4))
def test_negative_base_to_an_integer_power(base, exponent):
    """A negative base is fine when the exponent is a whole number: (-2)**3 = -8."""
    x = Value(base)
    y = x**exponent
    y.backward()
    assert y.data == pytest.approx(base**exponent, rel=1e-12)
    assert x.grad == pytest.approx(exponent * base ** (exponent - 1), rel=1e-9, abs=1e-12)
    assert_matches_finite_differences(lambda v: v**exponent, [base])


@FAST
@given(base=st.floats(0.1, 5), exponent=st.floats(-3, 3))
def test_number_to_a_value_power(base, exponent):
    """d/db base**b = base**b · ln(base), with the base a plain number."""
    b = Value(exponent)
    y = base**b
    y.backward()
    assert y.data == pytest.approx(base**exponent, rel=1e-12)
    assert b.grad == pytest.approx(base**exponent * math.log(base), rel=1e-9, abs=1e-12)
    assert_matches_finite_differences(lambda v: base**v, [exponent])


@FAST
@given(pairs=st.lists(st.tuples(REALS, REALS), min_size=1, max_size=6))
def test_dot(pairs):
    ws, xs = [w for w, _ in pairs], [x for _, x in pairs]
    n = len(pairs)
    assert dot(ws, xs).data == pytest.approx(math.fsum(w * x for w, x in pairs), abs=1e-12)
    assert_matches_finite_differences(lambda *v: dot(v[:n], v[n:]), ws + xs)


@FAST
@given(xs=st.lists(REALS, min_size=1, max_size=8))
def test_sum_of(xs):
    values = [Value(x) for x in xs]
    total = sum_of(values)
    total.backward()
    assert total.data == pytest.approx(math.fsum(xs), abs=1e-12)
    assert [v.grad for v in values] == [1.0] * len(xs)
    assert_matches_finite_differences(lambda *v: sum_of(v), xs)


def test_dot_and_sum_of_accept_plain_numbers():
    w = Value(2.0)
    out = dot([w, 3.0], [4.0, 5.0]) + sum_of([w, 1.0])
    out.backward()
    assert out.data == 2 * 4 + 3 * 5 + 2 + 1
    assert w.grad == 4.0 + 1.0


# ---- composite expressions ---------------------------------------------------------------


def mixed_expression(a, b, c):
    """Every op at least once, Values on both sides of each binary op."""
    return (
        ((a * b + c.exp()) / (b * b + 1.0)).tanh() * a
        - (a - c) ** 2
        + (a * a + 1).log() * c.sigmoid()
        + (b * b + c * c + 1).sqrt() / (c.abs() + 1)
        + (a * b).relu()
        + (b * b + 0.5) ** c
        - dot([a, b], [c, a])
        + sum_of([a, -b, c])
    )


@FAST
@given(a=st.floats(-3, 3), b=st.floats(-3, 3), c=st.floats(-3, 3))
def test_composite_expression_of_values(a, b, c):
    # keep relu's and abs's kinks (a·b = 0, c = 0) out of the finite-difference step
    a, b = a if abs(a) > 0.01 else 0.5, b if abs(b) > 0.01 else -0.5
    c = c if abs(c) > 0.01 else 0.25
    assert_matches_finite_differences(mixed_expression, [a, b, c])


# Plain numbers on either side of every operator; each lambda also runs on floats.
WITH_NUMBERS = {
    "number + Value": lambda x: 2.5 + x,
    "Value + number": lambda x: x + 2.5,
    "number - Value": lambda x: 2.5 - x,
    "Value - number": lambda x: x - 2.5,
    "number * Value": lambda x: 2.5 * x,
    "Value * number": lambda x: x * 2.5,
    "number / Value": lambda x: 2.5 / x,
    "Value / number": lambda x: x / 2.5,
    "number ** Value": lambda x: 2.5**x,
    "Value ** number": lambda x: x**2.5,
    "polynomial": lambda x: 3 * x**3 - 2 * x**2 + x / 4 - 7,
    "rational": lambda x: (1 + x) / (2 - x) + 1 / (x * x + 1),
}


@pytest.mark.parametrize("name", list(WITH_NUMBERS))
@FAST
@given(x=st.floats(0.1, 1.9))
def test_plain_numbers_on_either_side(name, x):
    f = WITH_NUMBERS[name]
    assert f(Value(x)).data == pytest.approx(f(x), rel=1e-12)
    assert_matches_finite_differences(f, [x])


# ---- the post's §10 numbers ----------------------------------------------------------------


def test_section_10_network_one():
    """Input 0.5, w1 = 2, w2 = 3, target 2, loss = (out − target)²."""
    x, w1, w2 = Value(0.5), Value(2.0), Value(3.0)
    hidden = x * w1
    out = hidden * w2
    loss = (out - 2.0) ** 2
    loss.backward()
    assert (hidden.data, out.data, loss.data) == pytest.approx((1.0, 3.0, 1.0), abs=1e-12)
    assert out.grad == pytest.approx(2.0, abs=1e-12)
    assert w2.grad == pytest.approx(2.0, abs=1e-12)
    assert hidden.grad == pytest.approx(6.0, abs=1e-12)
    assert w1.grad == pytest.approx(3.0, abs=1e-12)


def test_section_10_chain_rule_is_the_product_of_the_links():
    """dL/dw1 = (dL/dOut)·(dOut/dHidden)·(dHidden/dw1) = 2 × 3 × 0.5, from each node's local derivative."""
    x, w1, w2 = Value(0.5), Value(2.0), Value(3.0)
    hidden = x * w1
    out = hidden * w2
    error = out - 2.0
    loss = error**2
    loss.backward()
    dloss_derror = loss.local_derivatives()[0]
    derror_dout = error.local_derivatives()[0]
    dout_dhidden = out.local_derivatives()[0]
    dhidden_dw1 = hidden.local_derivatives()[1]
    assert (dloss_derror, derror_dout, dout_dhidden, dhidden_dw1) == pytest.approx((2.0, 1.0, 3.0, 0.5))
    assert w1.grad == pytest.approx(dloss_derror * derror_dout * dout_dhidden * dhidden_dw1, abs=1e-12)


def test_section_10_chain_rule_in_action():
    """The second figure: loss = out²/2 gives 4.5, and gradients 3, 9, 4.5, 3."""
    x, w1, w2 = Value(0.5), Value(2.0), Value(3.0)
    hidden = x * w1
    out = hidden * w2
    loss = out**2 / 2
    loss.backward()
    assert loss.data == pytest.approx(4.5, abs=1e-12)
    assert out.grad == pytest.approx(3.0, abs=1e-12)
    assert hidden.grad == pytest.approx(9.0, abs=1e-12)
    assert w1.grad == pytest.approx(4.5, abs=1e-12)
    assert w2.grad == pytest.approx(3.0, abs=1e-12)


@pytest.mark.parametrize("sauce_to_dish, expected", [(2.0, 6.0), (0.1, 0.3)])
def test_section_10_garlic_sauce_dish(sauce_to_dish, expected):
    """Garlic has a 3× effect on the sauce; the total effect is the product of the links."""
    garlic = Value(1.0)
    sauce = 3.0 * garlic
    dish = sauce_to_dish * sauce
    dish.backward()
    assert garlic.grad == pytest.approx(expected, rel=1e-12)


# ---- backward semantics ------------------------------------------------------------------


def test_reused_non_leaf_node_collects_every_use():
    """micrograd issue #2: a non-leaf used twice must pass on both contributions."""
    a, b = Value(3.0), Value(2.0)
    h = a * b  # 6, a non-leaf used three times below
    out = h * h + h
    out.backward()
    assert h.grad == pytest.approx(2 * 6 + 1)
    assert a.grad == pytest.approx(13 * 2.0)
    assert b.grad == pytest.approx(13 * 3.0)


def test_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a():
    a = Value(-3.0)
    (a * a).backward()
    assert a.grad == -6.0


def test_diamond_graph():
    """x feeds two branches that meet again: d/dx (2x)(x+3) = 2(x+3) + 2x."""
    x = Value(1.5)
    left, right = x * 2, x + 3
    out = left * right
    out.backward()
    assert x.grad == pytest.approx(2 * (1.5 + 3) + 2 * 1.5)
    assert left.grad == pytest.approx(1.5 + 3)
    assert right.grad == pytest.approx(2 * 1.5)


def test_backward_twice_doubles_leaves_but_not_intermediate_nodes():
    """Documented in Value.backward: leaves accumulate (as in PyTorch), inner nodes hold this pass's gradient.

    ``a`` is used twice, so its second pass adds two terms to a non-zero start:
    doubled up to the last bit of rounding, hence ``approx`` for it only.
    """
    a, b = Value(3.0), Value(-2.0)
    h = (a * b).tanh()
    out = h * a
    out.backward()
    first = {"a": a.grad, "b": b.grad, "h": h.grad, "out": out.grad}
    out.backward()
    assert a.grad == pytest.approx(2 * first["a"], rel=1e-15)
    assert b.grad == 2 * first["b"]
    assert h.grad == first["h"]
    assert out.grad == first["out"] == 1.0


def test_zero_grad_on_the_root_clears_the_whole_graph():
    a, b = Value(3.0), Value(-2.0)
    h = a * b + 1
    out = h.exp() * a
    out.backward()
    zero_grad(out)
    assert all(node.grad == 0.0 for node in topological_order(out))
    out.backward()  # a fresh pass gives single-pass gradients again
    assert a.grad == pytest.approx(math.exp(-5) * (1 + 3 * -2))


def test_zero_grad_on_a_parameter_list_clears_only_those():
    w, b, x = Value(2.0), Value(1.0), Value(4.0)
    out = w * x + b
    out.backward()
    zero_grad([w, b])
    assert (w.grad, b.grad) == (0.0, 0.0)
    assert x.grad == 2.0


def test_backward_seed_scales_every_gradient():
    x = Value(2.0)
    (x**3).backward(0.5)
    assert x.grad == pytest.approx(0.5 * 12)


def test_backward_on_a_leaf():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


def test_large_finite_gradients_are_not_an_error():
    """Each gradient is 1e308 (finite) though their sum overflows: nothing to report."""
    a, b = Value(1e-308), Value(1e-308)
    out = dot([a, b], [1e308, 1e308])
    out.backward()
    assert (a.grad, b.grad) == (1e308, 1e308)
    a.grad = b.grad = 0.0
    assert grad(out, [a, b]) == [1e308, 1e308]


def test_repr_and_no_float():
    """float(v), and so math.exp(v), np.float64(v), would quietly cut v off from its gradient: refused, with .data."""
    x = Value(2.5, label="w")
    assert "2.5" in repr(x) and "'w'" in repr(x)
    for convert in (float, math.exp, np.float64):
        with pytest.raises(TypeError, match=r"float\(\) of a Value .* would drop its gradient.*v\.data"):
            convert(x)
    assert x.data == 2.5


# ---- deep graphs -------------------------------------------------------------------------


@pytest.mark.slow
def test_million_node_chain_backward():
    """1,000,000 op nodes; a recursive walk would hit the recursion limit (micrograd #21, #90)."""
    n = 500_000  # each step adds a mul and an add node
    x = Value(1.0)
    out = chain(x, n)
    out.backward()
    assert out.data == pytest.approx(1.0001**n, rel=1e-9)
    assert x.grad == pytest.approx(1.0001**n, rel=1e-9)


def deeper_than_recursion_limit():
    return 3 * sys.getrecursionlimit()


def test_deep_graph_backward():
    n = deeper_than_recursion_limit()
    x = Value(1.0)
    out = chain(x, n)
    out.backward()
    assert x.grad == pytest.approx(1.0001**n, rel=1e-12)


def test_deep_graph_grad():
    n = deeper_than_recursion_limit()
    x = Value(1.0)
    (dx,) = grad(chain(x, n), [x])
    assert dx == pytest.approx(1.0001**n, rel=1e-12)


def test_deep_graph_grad_with_create_graph():
    n = deeper_than_recursion_limit()
    x = Value(1.0)
    (dx,) = grad(chain(x, n).tanh(), [x], create_graph=True)
    (d2x,) = grad(dx, [x])
    y = 1.0001**n
    t = math.tanh(y)
    assert dx.data == pytest.approx((1 - t * t) * y, rel=1e-9)
    assert d2x == pytest.approx(-2 * t * (1 - t * t) * y * y, rel=1e-9)


def test_deep_graph_zero_grad():
    n = deeper_than_recursion_limit()
    out = chain(Value(1.0), n)
    out.backward()
    zero_grad(out)
    nodes = topological_order(out)
    assert len(nodes) > 2 * n
    assert all(node.grad == 0.0 for node in nodes)


def test_topological_order_puts_each_node_after_its_parents_once():
    x = Value(1.0)
    out = chain(x * x + x, 10) * x
    order = topological_order(out)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order)
    assert order[-1] is out
    for node in order:  # plain-number inputs (the constants) are not nodes, so not in the order
        nodes = [parent for parent in inputs_of(node) if not isinstance(parent, float)]
        assert all(position[id(parent)] < position[id(node)] for parent in nodes)


# ---- errors: bad input is named, with the op and the number ------------------------------


def assert_raises_naming(error, action, *fragments):
    with pytest.raises(error) as caught:
        action()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


FORWARD_ERRORS = [
    pytest.param(lambda: Value(-1.0).log(), ValueError, ["log", "-1.0"], id="log-of-negative"),
    pytest.param(lambda: Value(0.0).log(), ValueError, ["log", "0.0"], id="log-of-zero"),
    pytest.param(lambda: Value(-4.0).sqrt(), ValueError, ["sqrt", "-4.0"], id="sqrt-of-negative"),
    pytest.param(lambda: Value(3.0) / 0, ZeroDivisionError, ["div", "3.0 / 0"], id="Value-over-0"),
    pytest.param(lambda: 3.0 / Value(0.0), ZeroDivisionError, ["div", "3.0 / 0"], id="number-over-Value-0"),
    pytest.param(lambda: Value("3"), TypeError, ["Value", "'3'"], id="string"),
    pytest.param(lambda: Value(None), TypeError, ["Value", "None"], id="None"),
    pytest.param(lambda: Value([1]), TypeError, ["Value", "[1]"], id="list"),
    pytest.param(lambda: Value(True), TypeError, ["Value", "bool", "True"], id="bool"),
    pytest.param(lambda: Value(float("nan")), ValueError, ["Value", "nan"], id="nan"),
    pytest.param(lambda: Value(float("inf")), ValueError, ["Value", "inf"], id="inf"),
    pytest.param(lambda: Value(-math.inf), ValueError, ["Value", "-inf"], id="minus-inf"),
    pytest.param(lambda: Value(-8.0) ** 0.5, ValueError, ["pow", "-8.0", "0.5"], id="negative-base-fractional-power"),
    pytest.param(lambda: Value(0.0) ** -2, ZeroDivisionError, ["pow", "0", "-2"], id="zero-to-negative-power"),
    pytest.param(lambda: Value(-2.0) ** Value(2.0), ValueError, ["pow", "-2.0"], id="Value-exponent-negative-base"),
    pytest.param(lambda: 0.0 ** Value(2.0), ValueError, ["pow", "0.0"], id="Value-exponent-zero-base"),
    pytest.param(lambda: (-3) ** Value(2.0), ValueError, ["pow", "-3.0"], id="Value-exponent-negative-number-base"),
    pytest.param(lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000"], id="exp-overflow"),
    pytest.param(lambda: Value(1e200) * 1e200, OverflowError, ["mul", "1e+200"], id="mul-overflow"),
    pytest.param(lambda: Value(1e308) + Value(1e308), OverflowError, ["add", "1e+308"], id="add-overflow"),
    pytest.param(lambda: Value(10.0) ** 400, OverflowError, ["pow", "400"], id="pow-overflow"),
    pytest.param(lambda: Value(10.0) ** Value(400.0), OverflowError, ["pow", "400"], id="Value-pow-overflow"),
    pytest.param(lambda: dot([1.0, 2.0], [3.0]), ValueError, ["dot", "2", "1"], id="dot-lengths"),
    pytest.param(lambda: dot([], []), ValueError, ["dot", "0"], id="dot-empty"),
    pytest.param(lambda: dot(["a"], [1.0]), TypeError, ["dot", "'a'"], id="dot-non-number"),
    pytest.param(lambda: sum_of([]), ValueError, ["sum_of", "at least one"], id="sum_of-empty"),
    pytest.param(lambda: sum_of([1.0, None]), TypeError, ["sum_of", "None"], id="sum_of-non-number"),
]


@pytest.mark.parametrize("action, error, fragments", FORWARD_ERRORS)
def test_bad_input_is_reported_with_op_and_value(action, error, fragments):
    assert_raises_naming(error, action, *fragments)


def test_int_too_big_for_a_float_is_reported_like_infinity():
    """10**400 is a number but no float holds it: a ValueError that names Value, not a bare OverflowError."""
    assert_raises_naming(ValueError, lambda: Value(10**400), "Value", "finite")


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError):
        Value(2.0) + "1"
    with pytest.raises(TypeError):
        Value(2.0) ** "1"


BACKWARD_ERRORS = [
    pytest.param(lambda: Value(0.0).sqrt(), ZeroDivisionError, ["sqrt", "0"], id="sqrt-at-0"),
    pytest.param(lambda: Value(0.0) ** 0.5, ZeroDivisionError, ["pow", "0", "0.5"], id="pow-half-at-0"),
    # d(1/x)/dx = -1/x² = -1e400 at x = 1e-200: too big for a float
    pytest.param(lambda: 1 / Value(1e-200), OverflowError, ["div", "1e-200"], id="div-gradient-overflow"),
    pytest.param(lambda: Value(1e-200) ** -1, OverflowError, ["pow", "1e-200"], id="pow-gradient-overflow"),
    pytest.param(
        lambda: Value(1e-300) ** Value(-0.5), OverflowError, ["pow", "1e-300"], id="Value-pow-gradient-overflow"
    ),
]


@pytest.mark.parametrize("build, error, fragments", BACKWARD_ERRORS)
def test_bad_gradient_at_backward_is_reported_with_op_and_value(build, error, fragments):
    out = build()  # the forward pass is fine
    assert_raises_naming(error, out.backward, *fragments)


@pytest.mark.parametrize("label, name", [("x", "'x'"), (None, "a leaf (data 0.5)")])
def test_two_finite_gradients_adding_up_to_infinity_in_a_leaf_are_an_error_that_leaves_its_grad_as_it_was(label, name):
    x = Value(0.5, label=label)
    (x * 1e308).backward()
    with pytest.raises(OverflowError) as caught:
        (x * 1e308).backward()
    assert str(caught.value).startswith(f"backward: the gradient of {name}: the .grad it held, 1e+308, plus this "
                                        "pass's 1e+308, is too large for a float. Call zero_grad()")
    assert x.grad == 1e308


@pytest.mark.parametrize(
    "seed, error, fragment",
    [("1", TypeError, "'1'"), (None, TypeError, "None"), (float("nan"), ValueError, "nan"), (math.inf, ValueError, "inf")],
)
def test_bad_backward_seed(seed, error, fragment):
    out = Value(2.0) * 3
    assert_raises_naming(error, lambda: out.backward(seed), "backward", fragment)


# ---- no silent NaN or infinity, anywhere ------------------------------------------------------

ANY_FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-308, 1e-200, -1e-200, 1e200, 1e308, -1e308]),
    st.floats(-1000, 1000),
)

ALL_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "Value**Value": lambda a, b: a**b,
    "Value**number": lambda a, b: a ** b.data,
    "number**Value": lambda a, b: a.data**b,
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "sqrt": lambda a, b: a.sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "abs": lambda a, b: a.abs(),
    "dot": lambda a, b: dot([a, b], [b, a]),
    "sum_of": lambda a, b: sum_of([a, b, a]),
}


@pytest.mark.parametrize("name", list(ALL_OPS))
@settings(max_examples=100, deadline=None)
@given(a=ANY_FLOAT, b=ANY_FLOAT)
def test_no_op_produces_a_silent_nan_or_infinity(name, a, b):
    """At any finite input, each op either raises a clear error or gives finite values and gradients."""
    x, y = Value(a), Value(b)
    try:
        out = ALL_OPS[name](x, y)
        out.backward()
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        assert str(error)
        return
    assert math.isfinite(out.data)
    assert math.isfinite(x.grad) and math.isfinite(y.grad)


@pytest.mark.parametrize(
    "action, op, value",
    [
        (lambda: Value(1.0) + float("nan"), "add", "nan"),
        (lambda: float("inf") * Value(1.0), "mul", "inf"),
        (lambda: Value(2.0) ** 10**400, "pow", "inf"),
    ],
)
def test_a_bad_plain_operand_is_blamed_on_the_op(action, op, value):
    assert_raises_naming(ValueError, action, f"{op}:", value)


def test_a_nan_written_into_data_after_forward_is_reported_as_a_nan():
    x = Value(2.0)
    y = x * x
    x.data = float("nan")
    assert_raises_naming(OverflowError, y.backward, "backward through mul", "is nan", ".data")
