"""A hostile pass over the engines' cores: no wrong number without an error.

Each test is a defect found by trying what a hostile user would (non-contiguous
arrays, float32 mixed with float64, in-place writes, repeated backward passes,
gradients of gradients), judged by exact math or float64 finite differences:
a silent NaN or infinity, a gradient that quietly changed (or did not), a
check that passed what it should refuse. Each now gives the right number or
an error that names the op and the value at fault.
"""

import math

import numpy as np
import pytest

import scalargrad as sg
import tensorgrad as tg
from scalargrad import Value
from tensorgrad import Tensor, no_grad
from tensorgrad.autograd import grad


def leaf(values, dtype=np.float64, label=None):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True, label=label)


# ---- in-place writes --------------------------------------------------------------------------------
def scalar_backed():
    """A tensor whose array came out of an op on 0-d arrays (NumPy gives a scalar there), made a parameter."""
    b = (Tensor(0.5) * 2.0).detach()
    b.requires_grad = True
    return b


@pytest.mark.parametrize("write, expected", [
    (lambda b: b.sub_(0.25), 0.75),
    (lambda b: b.mul_(3.0), 3.0),
    (lambda b: b.copy_(7.0), 7.0),
    (lambda b: b.__setitem__((), 5.0), 5.0),
    (lambda b: b.data.__isub__(0.5), 0.5),
], ids=["sub_", "mul_", "copy_", "setitem", "data -="])
def test_an_in_place_write_to_a_0d_result_changes_it(write, expected):
    b = scalar_backed()
    with no_grad():
        write(b)  # sub_ and mul_ rebound a local name only: the tensor silently kept 1.0
    assert b.item() == expected


def test_a_0d_parameter_made_from_an_op_is_trained_by_an_optimizer():
    b = (Tensor(3.0) * 1.0).detach()
    b.requires_grad = True
    step = tg.optim.SGD([b], lr=0.5)
    (b * b).backward()
    step.step()
    assert b.item() == 0.0  # 3 − 0.5·6


@pytest.mark.parametrize("write, expected", [
    (lambda w, v: w.sub_(v), [0.5, 1.5]),
    (lambda w, v: w.mul_(v), [0.5, 1.0]),
    (lambda w, v: w.copy_(v), [0.5, 0.5]),
], ids=["sub_", "mul_", "copy_"])
def test_an_in_place_method_given_a_tensor_writes_its_numbers(write, expected):
    w, v = leaf([1.0, 2.0]), Tensor([0.5, 0.5])
    write(w, v)  # sub_ and mul_ rebound a local name to a new Tensor: w silently kept [1, 2]
    np.testing.assert_array_equal(w.data, expected)


@pytest.mark.parametrize("write", [
    lambda x: x.data.__setitem__(0, -np.inf),
    lambda x: x.__setitem__(0, -np.inf),
    lambda x: x.copy_(np.array([-np.inf, 2.0])),
    lambda x: x.data.fill(-np.inf),
    lambda x: np.copyto(x.data, -np.inf),
], ids=["data[0] =", "t[0] =", "copy_", "fill", "np.copyto"])
def test_minus_inf_written_in_place_is_a_masked_position_like_any_other(write):
    x = Tensor([1.0, 2.0])
    write(x)
    with pytest.raises(FloatingPointError, match=r"^mul: an input holds −inf"), np.errstate(all="ignore"):
        x * 0.0  # −inf·0: was a silent NaN, since the write did not mark the tensor as masked


@pytest.mark.parametrize("alias", [lambda x: x[0:1], lambda x: x.T, lambda x: x.reshape(2, 1), lambda x: x.detach()],
                         ids=["slice", "T", "reshape", "detach"])
def test_minus_inf_written_through_a_view_masks_the_tensor_it_shares_memory_with(alias):
    x = Tensor([1.0, 2.0])
    alias(x).data[0] = -np.inf
    with pytest.raises(FloatingPointError, match=r"^mul: an input holds −inf"), np.errstate(all="ignore"):
        x * 0.0  # the view was marked as masked, x was not: a silent NaN


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("write", [
    lambda x, v: x.data.__setitem__(0, v),
    lambda x, v: x.__setitem__(0, v),
    lambda x, v: x.copy_(np.array([v, 2.0])),
    lambda x, v: x.sub_(np.array([-v, 0.0])),
    lambda x, v: x.mul_(np.array([v, 1.0])),
], ids=["data[0] =", "t[0] =", "copy_", "sub_", "mul_"])
def test_nan_or_plus_inf_written_in_place_is_refused_naming_the_write(write, value):
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"(NaN|\+infinity).*index \(0,\)"), np.errstate(all="ignore"):
        write(x, value)


def test_writing_a_tensor_that_requires_grad_into_another_is_refused():
    x = leaf([3.0])
    out = tg.zeros(2)
    with pytest.raises(RuntimeError, match=r"^setitem: the value written requires grad.*detach"):
        out[0:1] = x * 2.0  # a loss made from out then gave x no gradient at all, in silence
    out[0:1] = (x * 2.0).detach()  # on purpose
    with no_grad():
        out[1:2] = x
    np.testing.assert_array_equal(out.data, [6.0, 3.0])


# ---- requires_grad, switched after the tensor was made ----------------------------------------------
def test_requires_grad_cannot_be_switched_off_on_an_ops_output():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"^requires_grad: this tensor was made by mul.*detach"):
        y.requires_grad = False  # (y·x).sum() then gave x the gradient 2x instead of 4x, in silence
    np.testing.assert_array_equal(*grad((y * x).sum(), [x]), [4.0, 8.0])


def test_an_integer_tensor_cannot_be_made_to_require_grad_afterwards():
    x = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"^requires_grad: .*int64"):
        x.requires_grad = True  # x·0.5 then stored the gradient 0.5 as the integer 0


def test_a_leafs_requires_grad_switches_both_ways():
    x = leaf([1.0, 2.0])
    x.requires_grad = False
    assert not (x * 2.0).requires_grad
    x.requires_grad = True
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


# ---- numbers that do not fit the tensor's dtype ------------------------------------------------------
F32 = np.float32


@pytest.mark.parametrize("make", [
    lambda: Tensor([-1e300, 1.0], dtype=F32),
    lambda: leaf([1.0, 2.0], F32) - 1e300,
    lambda: leaf([1.0, 2.0], F32) * -(10**40),
    lambda: leaf([1.0, 2.0], F32) * np.array([-1e300, 1.0]),
    lambda: tg.where(np.array([True, False]), leaf([1.0, 2.0], F32), -1e300),
    lambda: setattr(leaf([1.0, 2.0], F32), "data", np.array([-1e300, 1.0])),
    lambda: leaf([1.0, 2.0], F32).detach().__setitem__(0, -1e300),
], ids=["Tensor", "x - number", "x * int", "x * array", "where", "data =", "setitem"])
def test_a_finite_number_beyond_float32_is_refused_not_made_a_masked_minus_inf(make):
    with pytest.raises(ValueError, match=r"float32"):  # +1e300 was refused, −1e300 became −inf (a mask)
        make()


def test_float32_constants_within_range_stay_exact_enough():
    x = leaf([1.0, 2.0], F32)
    y = (x * 1.5e38 - 3.4e38 + 3.4e38) / 1.5e38
    assert y.dtype == F32
    np.testing.assert_allclose(y.data, [1.0, 2.0], rtol=1e-6)


# ---- clip's bounds ------------------------------------------------------------------------------------
@pytest.mark.parametrize("low, high, needle", [
    (math.nan, 1.0, "low"),
    (None, math.nan, "high"),
    (math.inf, None, "low"),
    (None, -math.inf, "high"),
    (1e300, None, "float32"),
    (np.zeros((2, 2)), None, "number"),
    (Tensor(0.0), None, "number"),
])
def test_clip_refuses_a_bound_that_leaves_no_finite_answer(low, high, needle):
    x = leaf([1.0, 2.0], F32)
    with pytest.raises((TypeError, ValueError), match=rf"^clip: .*{needle}"):
        x.clip(low, high)  # NaN bounds gave a silent NaN, +inf a silent +inf; arrays a raw NumPy error


def test_clip_takes_infinite_bounds_on_their_own_side_and_numpy_numbers():
    x = leaf([1.0, 2.0])
    y = x.clip(-np.inf, np.float32(1.5)).clip(np.int64(0), math.inf)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [1.0, 1.5])
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])


# ---- gradients that overflow ------------------------------------------------------------------------
def test_a_retained_gradient_that_overflows_when_accumulated_is_an_error():
    x = leaf([1.0, 2.0])
    y = (x * 1e-300).retain_grad()
    loss = (y * 1e308).sum()
    loss.backward()
    with pytest.raises(FloatingPointError, match=r"1e\+308.*zero_grad"):
        loss.backward()  # y.grad was silently inf (only leaves were checked)
    np.testing.assert_array_equal(y.grad, [1e308, 1e308])


def test_a_retained_gradient_that_is_not_finite_is_an_error():
    x = leaf([1.0, 2.0])
    y = tg.where(np.array([True, False]), x, 0.0).retain_grad()
    loss = (y * np.array([1.0, 1e300]) * 1e10).sum()  # the infinite share goes where x is not
    with pytest.raises(FloatingPointError, match="inf"):
        loss.backward()
    assert y.grad is None


@pytest.mark.parametrize("seed", [lambda: np.full(2, 1e10), lambda: Tensor(np.full(2, 1e10))], ids=["array", "Tensor"])
def test_grad_with_create_graph_refuses_an_infinite_gradient(seed):
    x = leaf([1.0, 2.0], label="x")
    with pytest.raises(FloatingPointError, match=r"'x' is inf"), np.errstate(all="ignore"):
        grad([x * 1e300], [x], [seed()], create_graph=True)  # returned Tensor([inf, inf]) in silence


def test_grad_with_create_graph_refuses_a_sum_of_outputs_that_overflows_float32():
    x = leaf([1.0, 2.0], F32)
    y = x * 1.0
    with pytest.raises(FloatingPointError, match="inf"), np.errstate(all="ignore"):
        grad([y, y], [x], [np.full(2, 3e38), np.full(2, 3e38)], create_graph=True)


def test_an_error_in_backward_changes_no_gradient():
    a, b = leaf([1.0], label="a"), leaf([2.0], label="b")
    a.grad, b.grad = np.array([5.0]), np.array([7.0])
    loss = (a * 1e-300 * 1e300 * 1e10 + b * 3.0).sum()  # finite, but the share sent back to a·1e-300 is 1e310
    with pytest.raises(FloatingPointError, match="'a'"), np.errstate(all="ignore"):
        loss.backward()
    np.testing.assert_array_equal(a.grad, [5.0])
    np.testing.assert_array_equal(b.grad, [7.0])  # was 10: b had received this pass's 3 before a failed


def test_a_write_found_in_the_middle_of_backward_changes_no_gradient():
    a, b = leaf([1.0], label="a"), leaf([2.0], label="b")
    loss = (a * a + b * 3.0).sum()  # b's share is sent before the walk reaches a·a
    a.data[0] = 5.0
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("held", [np.zeros((2, 2)), np.zeros(3), np.zeros(1)], ids=["broadcasts", "misfits", "size 1"])
def test_a_grad_of_the_wrong_shape_set_by_hand_is_refused_at_backward(held):
    x = leaf([1.0, 2.0])
    x.grad = held
    with pytest.raises(ValueError, match=r"^backward: the \.grad held by the tensor of shape \(2,\) has shape"):
        (x * 2.0).sum().backward()  # a (2, 2) .grad silently became the (2, 2) sum
    assert x.grad is held


def test_a_grad_set_by_hand_in_another_dtype_keeps_the_tensors_dtype():
    x = leaf([1.0, 2.0], F32)
    x.grad = np.zeros(2)
    (x * 2.0).sum().backward()
    assert x.grad.dtype == F32


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_boolean_tensor_seed_counts_an_entry_picked_twice_twice(create_graph):
    x = leaf([1.0, 2.0])
    seed = Tensor(np.array([True, True]))
    (g,) = grad([x[[0, 0]]], [x], [seed], create_graph=create_graph)  # True + True was True: a gradient of 1
    np.testing.assert_array_equal(g.data if create_graph else g, [2.0, 0.0])
    assert (g.data if create_graph else g).dtype == np.float64


@pytest.mark.parametrize("seed", [np.array([1 + 1j, 1.0]), np.array(["1", "2"])], ids=["complex", "strings"])
def test_a_seed_that_is_not_real_numbers_is_refused(seed):
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^backward: the seed gradient"):
        (x * 2.0).backward(seed)  # the imaginary part was dropped with only a warning


# ---- gradcheck, the judge --------------------------------------------------------------------------
def test_tensor_gradcheck_fails_where_the_function_is_nan():
    def nan_valued(x):
        return x * 1e308 * 10.0 * 0.0  # inf·0 in the forward pass: NaN, with a finite backward (0)

    with np.errstate(all="ignore"):
        report = tg.gradcheck(nan_valued, np.array([1.0, 2.0]), raise_on_failure=False)
    assert not report.ok  # passed: NaN finite differences never looked worse than the tolerance


# ---- scalargrad -------------------------------------------------------------------------------------
def test_a_dot_product_whose_products_overflow_both_ways_names_dot():
    x = Value(1e200)
    with pytest.raises(OverflowError, match=r"^dot: "):
        sg.dot([x, x], [x, -x])  # was a raw "ValueError: -inf + inf in fsum"


@pytest.mark.parametrize("b_first", [True, False])
def test_a_scalar_backward_that_raises_changes_no_leafs_grad(b_first):
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    a.grad, b.grad = 4.0, 5.0
    u = (a * 1e-310).log()  # slope 1/(a·1e-310): infinite
    with pytest.raises(OverflowError, match="backward through log"):
        (b * 3.0 + u if b_first else u + b * 3.0).backward()
    assert (a.grad, b.grad) == (4.0, 5.0)  # a was left inf; b kept this pass's 3 when reached first


def test_a_scalar_backward_whose_accumulation_overflows_changes_no_leafs_grad():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    a.grad, b.grad = 1e308, 5.0
    with pytest.raises(OverflowError, match="the .grad it held"):
        (b * 3.0 + a * 1e308).backward()
    assert (a.grad, b.grad) == (1e308, 5.0)


def test_a_value_as_softmax_temperature_is_refused_not_read_as_a_number():
    t = Value(2.0)
    with pytest.raises(TypeError, match=r"^softmax: temperature must be a number.*dropped"):
        sg.softmax([Value(1.0), Value(3.0)], temperature=t)  # t.grad stayed 0 in silence


def test_the_temperature_learned_by_dividing_the_logits_gets_its_gradient():
    t, z = Value(2.0), [Value(1.0), Value(3.0)]
    sg.softmax([zi / t for zi in z])[0].backward()
    p = 1 / (1 + math.exp(1.0))  # softmax([1/t, 3/t])[0] = σ(−2/t) = σ(−1) at t = 2
    assert t.grad == pytest.approx(p * (1 - p) * 2 / 4)  # d/dt σ(−2/t) = σ(1 − σ)·2/t²


def test_numpy_ufuncs_on_a_tensor_are_refused_while_numpy_operands_defer_to_the_tensor():
    """np.exp(t) made an object array of 0-d Tensors, a graph per entry; arithmetic with NumPy operands stays a Tensor."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    for call in (lambda: np.exp(x), lambda: np.add(x, 1.0), lambda: np.maximum(x, 0.0)):
        with pytest.raises(TypeError, match=r"operand 'Tensor' does not support ufuncs"):
            call()
    y = np.array([3.0, 4.0]) * x + np.float64(1.0) - np.array([[1.0, 0.0], [0.0, 2.0]]) @ x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0 - 1.0, 4.0 - 2.0])
