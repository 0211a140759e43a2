"""Tests for grad(): gradients without touching .grad, and gradients of gradients.

With ``create_graph=True`` the gradient is itself a Value built from the
inputs, so it can be differentiated again. Second derivatives are checked
against closed forms and, with ``gradcheck``, against finite differences of
the first derivative.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalargrad import Value, grad, gradcheck

FAST = settings(max_examples=50, deadline=None)

NEWTON_ROOT = 2.0945514815423265  # the real root of x³ − 2x − 5


def derivative(f, x0, order):
    """The ``order``-th derivative of f at x0, by applying grad() ``order`` times."""
    x = Value(x0)
    y = f(x)
    for _ in range(order):
        (y,) = grad(y, [x], create_graph=True)
    return y.data


def first_derivative(f, wrt=0):
    """A function of the same inputs as f returning ∂f/∂(input ``wrt``) as a Value with its own graph."""

    def df(*xs):
        (d,) = grad(f(*xs), [xs[wrt]], create_graph=True)
        return d

    return df


def assert_second_derivatives_match_finite_differences(f, inputs):
    """Each row of the Hessian (backward through ∂f/∂xᵢ) against central differences of ∂f/∂xᵢ."""
    for i in range(len(inputs)):
        report = gradcheck(first_derivative(f, wrt=i), inputs)
        assert report.ok, str(report)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# ---- x³: derivatives of every order ----------------------------------------------------------


def cube(x):
    return x**3


def test_first_derivative_of_cube():
    assert derivative(cube, 2.0, 1) == pytest.approx(12.0, abs=1e-12)


def test_second_derivative_of_cube():
    assert derivative(cube, 2.0, 2) == pytest.approx(12.0, abs=1e-12)


def test_third_derivative_of_cube():
    assert derivative(cube, 2.0, 3) == pytest.approx(6.0, abs=1e-12)


def test_fourth_derivative_of_cube_is_zero():
    assert derivative(cube, 2.0, 4) == pytest.approx(0.0, abs=1e-12)


def test_grad_twice_as_in_the_docstring():
    x = Value(2.0)
    (dy,) = grad(x**3, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert isinstance(dy, Value) and dy.data == pytest.approx(12.0)
    assert isinstance(d2y, float) and d2y == pytest.approx(12.0)


def test_derivatives_of_a_polynomial_at_zero():
    """Taylor coefficients of 5 + 3x − 2x² at 0: f = 5, f' = 3, f'' = −4, f''' = 0."""

    def poly(x):
        return 5 + 3 * x - 2 * x**2

    assert [derivative(poly, 0.0, n) for n in range(4)] == pytest.approx([5.0, 3.0, -4.0, 0.0], abs=1e-12)


def test_derivative_of_x_to_the_zero_at_zero():
    """x**0 is the constant 1 (Python: 0.0**0 == 1.0), so its slope is 0, at 0 as everywhere."""
    assert derivative(lambda x: x**0, 0.0, 1) == 0.0


# ---- second derivatives of each op ------------------------------------------------------------

# name, f, closed-form f'', inputs
SECOND_DERIVATIVES = [
    ("exp", Value.exp, math.exp, st.floats(-5, 5)),
    ("log", Value.log, lambda x: -1 / x**2, st.floats(0.1, 10)),
    ("tanh", Value.tanh, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), st.floats(-3, 3)),
    ("sigmoid", Value.sigmoid, lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)), st.floats(-5, 5)),
    ("sqrt", Value.sqrt, lambda x: -0.25 * x**-1.5, st.floats(0.1, 10)),
    ("x**3.5", lambda x: x**3.5, lambda x: 3.5 * 2.5 * x**1.5, st.floats(0.1, 5)),
    ("x**-2", lambda x: x**-2, lambda x: 6 * x**-4, st.floats(0.5, 5)),
    ("negative x**3", lambda x: x**3, lambda x: 6 * x, st.floats(-5, -0.1)),
    ("2**x", lambda x: 2**x, lambda x: 2**x * math.log(2) ** 2, st.floats(-3, 3)),
    ("1/x", lambda x: 1 / x, lambda x: 2 / x**3, st.floats(0.5, 5)),
    ("exp(x)·tanh(x)", lambda x: x.exp() * x.tanh(), None, st.floats(-2, 2)),
]


@pytest.mark.parametrize(
    "name, f, second, inputs", SECOND_DERIVATIVES, ids=[row[0] for row in SECOND_DERIVATIVES]
)
@FAST
@given(data=st.data())
def test_second_derivative_of_one_input_function(name, f, second, inputs, data):
    x0 = data.draw(inputs, label="x")
    if second is not None:
        assert derivative(f, x0, 2) == pytest.approx(second(x0), rel=1e-9, abs=1e-12)
    assert_second_derivatives_match_finite_differences(f, [x0])


@FAST
@given(a=st.floats(-5, 5), b=st.floats(0.2, 5).flatmap(lambda m: st.sampled_from([m, -m])))
def test_hessian_of_division(a, b):
    """a/b: ∂²/∂a² = 0, ∂²/∂a∂b = −1/b², ∂²/∂b² = 2a/b³."""
    x, y = Value(a), Value(b)
    da, db = grad(x / y, [x, y], create_graph=True)
    assert grad(da, [x, y]) == pytest.approx([0.0, -1 / b**2], rel=1e-9, abs=1e-12)
    assert grad(db, [x, y]) == pytest.approx([-1 / b**2, 2 * a / b**3], rel=1e-9, abs=1e-12)
    assert_second_derivatives_match_finite_differences(lambda p, q: p / q, [a, b])


@FAST
@given(a=st.floats(0.2, 4), b=st.floats(-2, 2))
def test_hessian_of_value_to_value_power(a, b):
    """aᵇ: ∂²/∂a² = b(b−1)aᵇ⁻², ∂²/∂a∂b = aᵇ⁻¹(1 + b·ln a), ∂²/∂b² = aᵇ(ln a)²."""
    x, y = Value(a), Value(b)
    da, db = grad(x**y, [x, y], create_graph=True)
    mixed = a ** (b - 1) * (1 + b * math.log(a))
    assert grad(da, [x, y]) == pytest.approx([b * (b - 1) * a ** (b - 2), mixed], rel=1e-9, abs=1e-12)
    assert grad(db, [x, y]) == pytest.approx([mixed, a**b * math.log(a) ** 2], rel=1e-9, abs=1e-12)
    assert_second_derivatives_match_finite_differences(lambda p, q: p**q, [a, b])


@FAST
@given(a=st.floats(-2, 2), b=st.floats(-2, 2), c=st.floats(0.5, 2))
def test_hessian_of_a_composite(a, b, c):
    def f(x, y, z):
        return (x * y).tanh() * z.log() + (x - y) ** 2 / z + y.exp() * x.sigmoid() + z.sqrt() * x

    assert_second_derivatives_match_finite_differences(f, [a, b, c])


def test_mixed_partials_are_symmetric():
    """f = x²y³: ∂²f/∂x∂y = ∂²f/∂y∂x = 6xy² = 24 at (1, 2)."""
    x, y = Value(1.0), Value(2.0)
    dx, dy = grad(x**2 * y**3, [x, y], create_graph=True)
    (dxdy,) = grad(dx, [y])
    (dydx,) = grad(dy, [x])
    assert dxdy == pytest.approx(24.0) and dydx == pytest.approx(24.0)


def test_second_derivative_through_relu_is_zero():
    x = Value(1.5)
    (dx,) = grad((x * 3).relu(), [x], create_graph=True)
    assert dx.data == 3.0
    assert grad(dx, [x]) == [0.0]


# ---- Newton's method ------------------------------------------------------------------------


def newton_polynomial(x):
    return x**3 - 2 * x - 5


def test_newton_root_finding_converges_in_a_few_steps():
    """x ← x − f(x)/f'(x) with f' from grad(); quadratic convergence from x = 2."""
    x = 2.0
    errors = []
    for _ in range(5):
        v = Value(x)
        fx = newton_polynomial(v)
        (slope,) = grad(fx, [v])
        x -= fx.data / slope
        errors.append(abs(x - NEWTON_ROOT))
    assert x == pytest.approx(NEWTON_ROOT, abs=1e-15)
    assert errors[2] < 1e-9  # three steps already give nine digits


def test_newton_minimisation_uses_the_second_derivative():
    """Minimising g = x⁴/4 − x² − 5x (g' is the polynomial above): x ← x − g'(x)/g''(x)."""

    def g(x):
        return x**4 / 4 - x**2 - 5 * x

    x = 2.0
    for _ in range(5):
        v = Value(x)
        (slope,) = grad(g(v), [v], create_graph=True)
        (curvature,) = grad(slope, [v])
        assert slope.data == pytest.approx(newton_polynomial(x), abs=1e-12)
        assert curvature == pytest.approx(3 * x**2 - 2, abs=1e-12)
        x -= slope.data / curvature
    assert x == pytest.approx(NEWTON_ROOT, abs=1e-15)


# ---- what grad() leaves alone, and what it returns ------------------------------------------------


def test_grad_does_not_touch_dot_grad():
    a, b = Value(3.0), Value(-2.0)
    h = a * b
    out = h.tanh() + a
    for node in (a, b, h, out):
        node.grad = 7.0
    grad(out, [a, b])
    grad(out, [a, b], create_graph=True)
    assert [node.grad for node in (a, b, h, out)] == [7.0] * 4


def test_grad_agrees_with_backward_on_shared_nodes():
    a, b = Value(3.0), Value(2.0)
    h = a * b
    out = h * h + h.exp() / b
    expected = grad(out, [a, b])
    out.backward()
    assert expected == pytest.approx([a.grad, b.grad], rel=1e-14)


def test_grad_of_an_input_not_in_the_graph_is_zero():
    x, unused = Value(2.0), Value(5.0)
    assert grad(x * 3, [x, unused]) == [3.0, 0.0]
    dx, dunused = grad(x * 3, [x, unused], create_graph=True)
    assert isinstance(dunused, Value) and dunused.data == 0.0
    assert dx.data == 3.0


def test_grad_of_a_leaf_with_respect_to_itself_is_one():
    x = Value(2.0)
    assert grad(x, [x]) == [1.0]


def test_grad_rejects_non_values():
    x = Value(2.0)
    with pytest.raises(TypeError, match="grad.*float"):
        grad(3.0, [x])
    with pytest.raises(TypeError, match="grad.*2.5"):
        grad(x * 2, [2.5])


def test_grad_reports_an_infinite_derivative():
    x = Value(0.0)
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        grad(x.sqrt(), [x])
