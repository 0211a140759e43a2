"""The shared table's helpers work on every kind of number a rule meets, and a rule written with them
differentiates twice in both engines."""

import numpy as np
import pytest

import tensorgrad as tg
from scalargrad import Value, grad
from scalargrad import elementwise as ew
from tensorgrad.ops import from_table


@pytest.mark.parametrize("helper, x, expected", [
    (ew.step, -2.0, 0.0), (ew.step, 0.0, 0.0), (ew.step, 3.0, 1.0),
    (ew.sign, -2.0, -1.0), (ew.sign, 0.0, 0.0), (ew.sign, 3.0, 1.0),
])
def test_step_and_sign_give_the_same_constant_for_every_kind_of_input(helper, x, expected):
    assert helper(x) == expected
    assert helper(Value(x)) == expected
    assert helper(np.array([x])).tolist() == [expected]
    assert helper(tg.Tensor([x])).tolist() == [expected]
    assert helper(np.array([x], dtype=np.float32)).dtype == np.float32


def test_choose_on_floats_arrays_values_and_tensors():
    assert ew.choose(True, 1.0, 2.0) == 1.0
    np.testing.assert_array_equal(ew.choose(np.array([True, False]), np.array([1.0, 1.0]), 2.0), [1.0, 2.0])
    a, b = Value(3.0), Value(5.0)
    picked = ew.choose(ew.plain(a) > 4, a, b)
    assert picked.data == 5.0 and grad(picked, [a, b]) == [0.0, 1.0]
    t = tg.Tensor([1.0, -1.0], requires_grad=True)
    picked = ew.choose(ew.plain(t) > 0, t * 2.0, t * t)
    np.testing.assert_array_equal(picked.data, [2.0, 1.0])
    (slope,) = tg.grad(picked.sum(), [t])
    np.testing.assert_array_equal(slope, [2.0, -2.0])


# A made-up op whose derivative is itself a graph chosen by the sign of its input:
# f(a) = a³/3 for a > 0, a²/2 otherwise, so f' = a² or a, and f'' = 2a or 1.
CUBIC_OR_SQUARE = ew.Op(
    "cubic_or_square", "c/s",
    lambda a: ew.choose(a > 0, a * a * a / 3, a * a / 2),
    lambda a, out: (ew.choose(ew.plain(a) > 0, a * a, a),),
)


@pytest.mark.parametrize("x, second", [(1.5, 3.0), (-2.0, 1.0)])
def test_a_rule_written_with_choose_differentiates_twice_in_both_engines(x, second):
    from scalargrad.value import apply

    v = Value(x)
    (d1,) = grad(apply(CUBIC_OR_SQUARE, v), [v], create_graph=True)
    (d2,) = grad(d1, [v])
    assert d2 == second
    t = tg.Tensor([x], requires_grad=True)
    (g1,) = tg.grad(from_table(CUBIC_OR_SQUARE).apply(t).sum(), [t], create_graph=True)
    (g2,) = tg.grad(g1.sum(), [t])
    np.testing.assert_array_equal(g2, [second])


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.7, 2.5])
def test_gelu_keeps_its_tanh_and_agrees_in_both_engines_to_the_second_derivative(x):
    from scalargrad import gradcheck

    v = Value(x)
    out = v.gelu()
    t = tg.Tensor([x], requires_grad=True)
    assert out.data == pytest.approx(t.gelu().data[0], rel=1e-15, abs=1e-300)
    assert gradcheck(lambda a: a.gelu(), [x]).ok
    (d1,) = grad(out, [v], create_graph=True)
    (d2,) = grad(d1, [v])
    (g1,) = tg.grad(t.gelu().sum(), [t], create_graph=True)
    (g2,) = tg.grad(g1.sum(), [t])
    assert d1.data == pytest.approx(g1.data[0], rel=1e-14, abs=1e-15)
    assert d2 == pytest.approx(g2[0], rel=1e-12, abs=1e-14)
    h = 1e-5

    def slope(a):
        w = Value(a)
        return grad(w.gelu(), [w])[0]

    assert d2 == pytest.approx((slope(x + h) - slope(x - h)) / (2 * h), rel=1e-6, abs=1e-8)


def test_scalar_gelu_slope_at_a_huge_input_is_one():
    v = Value(1e200)
    v.gelu().backward()
    assert v.grad == 1.0


def test_choose_takes_a_list_as_its_mask():
    np.testing.assert_array_equal(ew.choose([True, False], np.array([1.0, 1.0]), 0.0), [1.0, 0.0])
