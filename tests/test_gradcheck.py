"""Tests for gradcheck itself: it must pass correct derivatives and catch wrong ones.

A checker that never fails proves nothing, so the wrong derivatives here are
made on purpose: tiny Ops whose ``derivative`` rule is off,
applied with ``scalargrad.value.apply`` exactly as the engine's own ops are.
"""

import math

import pytest

from scalargrad import (
    GradcheckError,
    GradcheckReport,
    Value,
    gradcheck,
    numerical_gradient,
)
from scalargrad.elementwise import Op
from scalargrad.value import apply

# x², but claims d/dx = x instead of 2x.
SquareWithWrongSlope = Op("bad_square", "x²?", lambda a: a * a, lambda a, out: (a,))

# a·b with the right ∂/∂a = b but a wrong ∂/∂b = 2a.
MulWithWrongSecondSlope = Op("bad_mul", "×?", lambda a, b: a * b, lambda a, b, out: (b, 2 * a))

# exp whose derivative is off by a relative 1e-3: small, but far above the tolerance.
SlightlyOffExp = Op("bad_exp", "exp?", math.exp, lambda a, out: (out * (1 + 1e-3),))


def test_passes_on_correct_gradients():
    report = gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, 1.7])
    assert isinstance(report, GradcheckReport)
    assert report.ok
    assert report.worst_error < 1e-7
    assert report.analytic == pytest.approx(report.numeric, rel=1e-6)
    assert "passed" in str(report)


def test_fails_on_a_wrong_derivative():
    with pytest.raises(GradcheckError, match=r"FAILED: worst at input 0") as caught:
        gradcheck(lambda x: apply(SquareWithWrongSlope, x), [3.0])
    assert "backward 3 vs finite differences 6" in str(caught.value)


def test_failure_names_the_worst_input():
    with pytest.raises(GradcheckError, match=r"worst at input 1"):
        gradcheck(lambda a, b: apply(MulWithWrongSecondSlope, a, b), [2.0, 5.0])


def test_report_without_raising():
    report = gradcheck(lambda a, b: apply(MulWithWrongSecondSlope, a, b), [2.0, 5.0], raise_on_failure=False)
    assert not report.ok
    assert report.worst_input == 1
    assert report.worst_entry == ()
    assert report.analytic == pytest.approx([5.0, 4.0])
    assert report.numeric == pytest.approx([5.0, 2.0], abs=1e-6)
    assert report.worst_error == pytest.approx(2.0, abs=1e-6)
    assert "FAILED" in str(report)


def test_catches_a_small_relative_error():
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: apply(SlightlyOffExp, x), [1.0])


def test_wrong_op_inside_a_bigger_expression_is_caught():
    def f(a, b):
        return (a * b + apply(SquareWithWrongSlope, a - b)).tanh()

    with pytest.raises(GradcheckError):
        gradcheck(f, [0.4, -0.3])


def test_gradcheck_error_is_an_assertion_error():
    """So a failed check reads as a test failure, not as a crash."""
    assert issubclass(GradcheckError, AssertionError)


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match="gradcheck.*float"):
        gradcheck(lambda x: x.data * 2, [1.0])


def test_tolerances_are_respected():
    """The off-by-1e-3 exp passes once rtol is loosened past 1e-3, and not before."""
    assert not gradcheck(lambda x: apply(SlightlyOffExp, x), [1.0], rtol=5e-4, raise_on_failure=False).ok
    assert gradcheck(lambda x: apply(SlightlyOffExp, x), [1.0], rtol=2e-3).ok


@pytest.mark.parametrize(
    "f, inputs, expected",
    [
        (lambda x: x**3, [2.0], [12.0]),
        (lambda x: x.exp(), [1.0], [math.e]),
        (lambda x: x.log(), [4.0], [0.25]),
        (lambda x, y: x * y, [3.0, 4.0], [4.0, 3.0]),
        (lambda x, y: x / y, [1.0, 2.0], [0.5, -0.25]),
        (lambda x, y: x**y, [2.0, 3.0], [12.0, 8 * math.log(2)]),
    ],
)
def test_numerical_gradient_matches_known_derivatives(f, inputs, expected):
    assert numerical_gradient(f, inputs) == pytest.approx(expected, rel=1e-8, abs=1e-8)


def test_numerical_gradient_step_size():
    """Central differences are exact for a quadratic at any step, up to rounding."""
    assert numerical_gradient(lambda x: x * x, [3.0], h=0.5) == pytest.approx([6.0], rel=1e-12)


def test_numerical_gradient_accepts_values():
    assert numerical_gradient(lambda x: x * 5, [Value(1.0)]) == pytest.approx([5.0])
