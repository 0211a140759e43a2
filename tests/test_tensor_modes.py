"""Grad modes (no_grad / enable_grad), comparisons, VJPs at extreme magnitudes, degenerate shapes."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Tensor
from tensorgrad import functional as F

# ---- modes: nest, re-enter, decorate ------------------------------------------------------


def test_one_no_grad_object_entered_twice_restores_grad_mode():
    mode = tg.no_grad()
    with mode, mode:
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_no_grad_as_a_decorator_applies_to_each_call_only():
    x = Tensor([1.0], requires_grad=True)

    @tg.no_grad()
    def evaluate(t):
        return t * 2.0

    y = evaluate(x)
    assert not y.requires_grad and tg.is_grad_enabled()
    assert (x * 2.0).requires_grad
    assert evaluate.__name__ == "evaluate"


def test_enable_grad_inside_no_grad_and_after_an_error():
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        with tg.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
        with pytest.raises(ZeroDivisionError), tg.enable_grad():
            x / 0.0
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


# ---- comparisons: entrywise, boolean, no gradient ---------------------------------------------

COMPARISONS = {
    "==": (lambda a, b: a == b, np.equal),
    "!=": (lambda a, b: a != b, np.not_equal),
    "<": (lambda a, b: a < b, np.less),
    "<=": (lambda a, b: a <= b, np.less_equal),
    ">": (lambda a, b: a > b, np.greater),
    ">=": (lambda a, b: a >= b, np.greater_equal),
}


@pytest.mark.parametrize("symbol", list(COMPARISONS))
@pytest.mark.parametrize("other", [0.0, 1, np.array([0.0, 1.0, 5.0]), Tensor([[0.0], [2.0]])])
def test_comparisons_are_entrywise_booleans_like_numpy(symbol, other):
    compare, reference = COMPARISONS[symbol]
    a = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    result = compare(a, other)
    expected = reference(a.data, other.data if isinstance(other, Tensor) else other)
    assert isinstance(result, Tensor) and result.dtype == bool and not result.requires_grad
    np.testing.assert_array_equal(result.data, expected)


def test_where_with_a_comparison_picks_entrywise():
    a = Tensor([0.0, 3.0, 0.0])
    picked = tg.where(a == 0, Tensor([9.0, 9.0, 9.0]), a)
    np.testing.assert_array_equal(picked.data, [9.0, 3.0, 9.0])


def test_tensors_still_hash_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b" and len({a, b}) == 2


def test_comparisons_with_what_is_no_number_and_truth_of_many_entries():
    a = Tensor([1.0, 2.0])
    assert (a == "x") is False and (a == None) is False  # Python falls back to identity
    with pytest.raises(ValueError, match=r"bool: a tensor of shape \(2,\) has no single truth value"):
        bool(a == 1.0)
    with pytest.raises(ValueError, match=r"==: shapes \(2,\) and \(3,\) do not broadcast together"):
        _ = a == np.ones(3)
    assert bool(Tensor([2.0]) > 1.0)


# ---- VJPs at extreme magnitudes, against closed forms ---------------------------------------


@pytest.mark.parametrize("a, b", [(1e-200, 1e-170), (1e200, 1e170), (-2e100, 5e160), (3e-160, -7e-155)])
def test_division_gradients_at_extreme_magnitudes(a, b):
    """d(a/b)/db = −a/b², computed as −(a/b)/b: b² alone would underflow to 0 or overflow to inf."""
    x, y = Tensor([a], requires_grad=True), Tensor([b], requires_grad=True)
    (x / y).sum().backward()
    assert x.grad[0] == pytest.approx(1 / b, rel=1e-14)
    assert y.grad[0] == pytest.approx(-(a / b) / b, rel=1e-14)
    assert np.isfinite(y.grad[0]) and y.grad[0] != 0.0


def test_a_division_gradient_too_large_for_a_float_is_an_error_naming_div():
    x, y = Tensor([1e150], requires_grad=True), Tensor([1e-150], requires_grad=True)  # −a/b² = −1e450
    with pytest.raises(ValueError, match=r"backward through div: its derivative is not finite"):
        (x / y).sum().backward()


def test_no_grad_without_parentheses_decorates_too():
    @tg.no_grad
    def evaluate():
        return tg.is_grad_enabled()

    assert evaluate() is False and tg.is_grad_enabled()


def test_grad_mode_belongs_to_each_thread():
    import threading

    entered, release, seen = threading.Event(), threading.Event(), []

    def other_thread():
        with tg.no_grad():
            entered.set()
            release.wait(5)
            seen.append(tg.is_grad_enabled())

    worker = threading.Thread(target=other_thread)
    worker.start()
    entered.wait(5)
    assert tg.is_grad_enabled()  # the other thread's no_grad() is not this thread's
    release.set()
    worker.join(5)
    assert seen == [False] and tg.is_grad_enabled()


# ---- degenerate shapes and odd arguments: an error naming the op, or the right answer ----------
DEGENERATE = [
    ("softmax over nothing", lambda: F.softmax(Tensor(np.zeros((2, 0)))), ValueError, "softmax: axis 1"),
    ("log_softmax over nothing", lambda: F.log_softmax(Tensor(np.zeros((2, 0)))), ValueError, "log_softmax: axis 1"),
    ("logsumexp of nothing", lambda: Tensor(np.zeros(0)).logsumexp(), ValueError, "logsumexp: cannot reduce"),
    ("mean of nothing", lambda: Tensor(np.zeros((0, 2))).mean(axis=0), ValueError, "mean: cannot reduce"),
    ("attention, no keys", lambda: tg.scaled_dot_product_attention(
        Tensor(np.ones((2, 3))), Tensor(np.ones((0, 3))), Tensor(np.ones((0, 3)))), ValueError, "nothing to attend"),
    ("attention, width 0", lambda: tg.scaled_dot_product_attention(
        Tensor(np.ones((2, 0))), Tensor(np.ones((2, 0))), Tensor(np.ones((2, 0)))), ValueError, "nothing to attend"),
    ("Tensor(None)", lambda: Tensor(None), TypeError, "Tensor: got None"),
    ("negating booleans", lambda: -Tensor(np.array([True, False])), TypeError, "neg: not defined for input dtype"),
    ("an array exponent", lambda: Tensor([1.0, 2.0]) ** np.array([1.0, 2.0]), TypeError, "pow: the exponent"),
    ("a string exponent", lambda: Tensor([1.0, 2.0]) ** "2", TypeError, "pow: the exponent"),
]


@pytest.mark.parametrize("call, error, fragment", [c[1:] for c in DEGENERATE], ids=[c[0] for c in DEGENERATE])
def test_degenerate_shapes_and_odd_arguments_name_the_op(call, error, fragment):
    with pytest.raises(error) as caught:
        call()
    assert fragment in str(caught.value)


def test_a_sum_of_nothing_is_zero_and_an_int_to_a_negative_power_is_a_float():
    assert Tensor(np.zeros(0)).sum().item() == 0.0
    np.testing.assert_array_equal((Tensor(np.array([1, 2])) ** -1).data, [1.0, 0.5])


# ---- no silent NaN or infinity: always at the leaves, everywhere under detect_anomaly() ---------


@pytest.mark.filterwarnings("error")  # the error says it all: no NumPy overflow warning before it
def test_an_infinite_gradient_reaching_a_leaf_is_an_error_that_points_to_detect_anomaly():
    x = Tensor([1e-150], requires_grad=True, label="x")
    loss = ((1.0 / x) * 1e10).sum()  # d/dx = −1e10 / x² = −1e310: too large
    with pytest.raises(FloatingPointError, match=r"gradient of the leaf 'x' is -inf .*detect_anomaly"):
        loss.backward()


@pytest.mark.filterwarnings("error")
def test_two_finite_gradients_adding_up_to_infinity_in_a_leaf_are_an_error_that_leaves_its_grad_as_it_was():
    x = Tensor([0.5, 1.0], requires_grad=True, label="x")
    (x * 1e308).sum().backward()
    with pytest.raises(FloatingPointError, match=r"leaf 'x' is inf at index \(0,\); the \.grad it held, 1e\+308, "
                                                 r"plus this pass's 1e\+308: too large .* zero_grad\(\)"):
        (x * 1e308).sum().backward()
    np.testing.assert_array_equal(x.grad, [1e308, 1e308])


def test_a_seed_with_nan_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"backward: the seed gradient holds NaN or infinity"):
        (x * 2.0).backward(np.array([1.0, np.nan]))


def test_detect_anomaly_names_the_op_the_entry_and_the_line_that_made_it():
    x = Tensor([1e200, 2.0], requires_grad=True)
    with pytest.raises(FloatingPointError) as caught, tg.detect_anomaly(), np.errstate(over="ignore"):
        x * x  # the line the error points to
    message = str(caught.value)
    assert "output of mul is inf at index (0,)" in message and "input shapes (2,), (2,)" in message
    assert "test_tensor_modes.py" in message and "x * x  # the line the error points to" in message


@pytest.mark.filterwarnings("error")  # the error says it all: no NumPy overflow warning before it
def test_detect_anomaly_checks_every_vjp():
    x = Tensor([1e-150, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        y = 1.0 / x
        z = (y * 1e10).sum()
        with pytest.raises(FloatingPointError, match=r"gradient sent back of div is -inf at index \(0,\)"):
            z.backward()
    assert not tg.anomaly.is_anomaly_enabled()


@pytest.mark.filterwarnings("error")  # the error says it all: no NumPy overflow warning before it
def test_grad_refuses_an_infinite_gradient_too():
    x = Tensor([1e-150], requires_grad=True)
    with pytest.raises(FloatingPointError, match=r"gradient of the leaf of shape \(1,\) is -inf"):
        tg.grad(((1.0 / x) * 1e10).sum(), [x])


def test_a_cross_entropy_too_large_for_a_float_is_an_error_naming_the_row():
    logits = Tensor([[0.0, 1.0], [1e308, -1e308]])
    with pytest.raises(OverflowError, match=r"cross_entropy: the loss of row \(1,\) is inf"), np.errstate(over="ignore"):
        F.cross_entropy(logits, np.array([0, 1]))
