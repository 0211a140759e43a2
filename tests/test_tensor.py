"""Tests for the Tensor engine's semantics: backward, accumulation, no_grad, versions, dtypes.

The ops themselves are checked in ``test_tensor_ops``; here the questions are
about the walk: how it is seeded, how gradients add up, what it keeps and
frees, when it refuses (an in-place write to a saved array), that it goes
100,000 nodes deep, and that it agrees with scalargrad to 1e-12.
"""

import gc
import math
import time
import weakref

import numpy as np
import pytest

import scalargrad
import tensorgrad as tg
from tensorgrad import Function, Tensor, no_grad

# ---- backward: seeding the root ---------------------------------------------------------


def test_scalar_root_is_seeded_with_one():
    x = Tensor(3.0, requires_grad=True)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_backward_from_a_leaf_gives_it_gradient_one():
    x = Tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_one_element_root_of_any_shape_is_seeded_with_one():
    x = Tensor([[2.0]], requires_grad=True)
    (x * 5.0).backward()
    np.testing.assert_array_equal(x.grad, [[5.0]])


def test_non_scalar_root_without_a_seed_is_an_error_naming_its_shape():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"backward.*\(2, 3\)"):
        (x * 2.0).backward()
    assert x.grad is None


def test_non_scalar_root_with_a_seed_of_its_shape():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    seed = np.arange(6.0).reshape(2, 3)
    (x * 2.0).backward(grad=seed)
    np.testing.assert_array_equal(x.grad, 2.0 * seed)
    x.zero_grad()
    (x * 2.0).backward(Tensor(seed))
    np.testing.assert_array_equal(x.grad, 2.0 * seed)
    x.zero_grad()
    (x * 2.0).backward(seed.tolist())
    np.testing.assert_array_equal(x.grad, 2.0 * seed)


def test_seed_of_the_wrong_shape_is_an_error_naming_both_shapes():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"backward.*\(3, 2\).*\(2, 3\)"):
        (x * 2.0).backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"backward.*\(3,\)"):
        (x * 2.0).backward(np.ones(3))  # would broadcast, but is still wrong


def test_backward_on_a_tensor_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="backward.*does not require grad"):
        (Tensor([1.0, 2.0]) * 3.0).sum().backward()
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        y = (x * 3.0).sum()
    with pytest.raises(RuntimeError, match="backward"):
        y.backward()


# ---- accumulation ----------------------------------------------------------------------


def test_a_tensor_used_twice_gets_both_contributions():
    x = Tensor([2.0, -3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, -6.0])
    x.zero_grad()
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_diamond_reuses_an_intermediate_node():
    """x → a → (b, c) → d: micrograd issue #2, a non-leaf node used twice."""
    x = Tensor([0.5, 1.5], requires_grad=True)
    a = x * 2.0
    b = a * 3.0
    c = a.exp()
    d = (b * c).sum()  # 6x·e^(2x): d/dx = 6e^(2x) + 12x·e^(2x)
    d.backward()
    xs = np.array([0.5, 1.5])
    np.testing.assert_allclose(x.grad, 6 * np.exp(2 * xs) + 12 * xs * np.exp(2 * xs), rtol=1e-12)


def test_leaves_accumulate_across_two_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x * 3.0).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [12.0, 24.0])
    x.zero_grad()
    assert x.grad is None
    loss.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])


def test_leaf_gradients_never_share_memory():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad += 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_leaf_gradient_does_not_share_memory_with_the_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    seed = np.array([5.0, 7.0])
    (x + 0.0).backward(seed)
    x.grad *= 2
    np.testing.assert_array_equal(seed, [5.0, 7.0])


def test_a_0_d_leaf_gets_a_0_d_array_gradient():
    x = Tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray), type(x.grad)
    assert x.grad.shape == ()
    x.grad[...] = 0.0  # what an optimizer's in-place zeroing would do


@pytest.mark.parametrize("shape", [(), (1,), (3, 1)])
def test_broadcast_leaf_gets_an_array_gradient_of_its_own_shape(shape):
    x = Tensor(np.full(shape, 2.0), requires_grad=True)
    (x * Tensor(np.ones((2, 3, 4)))).sum().backward()
    assert isinstance(x.grad, np.ndarray), type(x.grad)
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad, np.full(shape, 24.0 / np.prod(shape, dtype=int)))


def test_intermediate_tensors_keep_no_grad_unless_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3.0
    kept = (hidden + 1.0).retain_grad()
    out = (kept * kept).sum()
    out.backward()
    assert hidden.grad is None
    assert out.grad is None
    np.testing.assert_array_equal(kept.grad, 2 * (np.array([3.0, 6.0]) + 1))
    np.testing.assert_array_equal(x.grad, 3 * 2 * (np.array([3.0, 6.0]) + 1))


class Recorder(Function):
    """The identity that keeps a weak reference to each gradient it receives.

    Its backward also notes which of the gradients received *earlier* (by
    recorders nearer the root) are still alive at that moment.
    """

    name, symbol = "recorder", "id"

    @staticmethod
    def forward(ctx, a, log):
        ctx.log = log
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        log = ctx.log
        log["alive"].append([ref() is not None for ref in log["refs"]])
        log["refs"].append(weakref.ref(g))
        return (g * 1.0,)


def test_backward_frees_intermediate_gradients_as_it_goes():
    log = {"refs": [], "alive": []}
    x = Tensor(np.ones(1000), requires_grad=True)
    h = x
    for _ in range(4):
        h = Recorder.apply(h, log=log) * 2.0
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(1000, 16.0))
    assert len(log["refs"]) == 4
    # when the last recorder ran, the gradients of the three before it were already gone
    assert log["alive"][-1] == [False, False, False]
    gc.collect()
    assert all(ref() is None for ref in log["refs"])


# ---- no_grad and detach ------------------------------------------------------------------


def test_no_grad_builds_no_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2.0).exp().sum()
        z = x[0]
    for t in (y, z):
        assert not t.requires_grad
        assert t.op is None
        assert t._parents == ()
    assert tg.is_grad_enabled()
    assert (x * 2.0).requires_grad


def test_no_grad_nests_and_restores_the_previous_mode():
    with no_grad():
        with no_grad():
            assert not tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
        assert not (Tensor([1.0], requires_grad=True) * 2.0).requires_grad
    assert tg.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert tg.is_grad_enabled()
    with pytest.raises(ValueError), no_grad():
        Tensor([-1.0]).log()
    assert tg.is_grad_enabled()


def test_detach_shares_data_but_not_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert np.shares_memory(d.data, y.data)
    assert not d.requires_grad and d.op is None and d._parents == ()
    (d * y).sum().backward()  # only the y path carries gradient: d is a constant
    np.testing.assert_array_equal(x.grad, 3.0 * d.data)


# ---- version counter: in-place writes to saved arrays -----------------------------------


def test_modifying_a_saved_input_through_data_is_caught_at_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    x.data -= 1.0
    with pytest.raises(RuntimeError, match=r"mul.*modified in place"):
        loss.backward()


def test_modifying_a_saved_input_with_setitem_under_no_grad_is_caught():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = x.log().sum()
    with no_grad():
        x[0] = 5.0
    with pytest.raises(RuntimeError, match=r"log"):
        loss.backward()


def test_modifying_a_saved_output_is_caught():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    loss = y.sum()
    with no_grad():
        y[1] = 0.0
    with pytest.raises(RuntimeError, match=r"exp.*output"):
        loss.backward()


def test_modifying_a_saved_matrix_is_caught_for_matmul():
    w = Tensor(np.eye(2), requires_grad=True)
    loss = (w @ Tensor([1.0, 2.0])).sum()
    w.data *= 2.0
    with pytest.raises(RuntimeError, match=r"matmul"):
        loss.backward()


def test_an_optimizer_update_after_backward_is_fine():
    w = Tensor([1.0, -2.0], requires_grad=True)
    for step in range(3):
        loss = (w * w).sum()
        loss.backward()
        with no_grad():
            w.data -= 0.25 * w.grad  # w ← w − lr·2w = w/2
            w[0] = w.data[0]  # a write through setitem as well
        w.zero_grad()
    np.testing.assert_allclose(w.data, [1.0 / 8, -2.0 / 8])


def test_replacing_data_with_a_new_array_keeps_the_saved_one_valid():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    x.data = np.array([10.0, 20.0])  # a new array: the saved one is untouched
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


@pytest.mark.parametrize(
    "make_view",
    [lambda t: t.reshape(2, 2), lambda t: t[1:], lambda t: t.permute(1, 0), lambda t: t.T, lambda t: t.detach()],
    ids=["reshape", "getitem", "permute", "T", "detach"],
)
def test_a_write_through_a_view_is_caught_for_its_base(make_view):
    x = Tensor(np.arange(1.0, 5.0).reshape(2, 2), requires_grad=True)
    loss = (x * x).sum()
    view = make_view(x)
    assert np.shares_memory(view.data, x.data)
    with no_grad():
        view[0] = 9.0
    with pytest.raises(RuntimeError, match=r"mul"):
        loss.backward()


@pytest.mark.parametrize(
    "make_view",
    [lambda t: t.reshape(4), lambda t: t[0], lambda t: t.permute(1, 0)],
    ids=["reshape", "getitem", "permute"],
)
def test_a_write_to_the_base_is_caught_for_its_view(make_view):
    x = Tensor(np.arange(1.0, 5.0).reshape(2, 2), requires_grad=True)
    view = make_view(x)
    loss = view.log().sum()  # log saved the view's array
    with no_grad():
        x[1, 0] = 9.0
    with pytest.raises(RuntimeError, match=r"log"):
        loss.backward()


def test_a_copy_made_by_fancy_indexing_does_not_share_the_version():
    """x[[0, 1]] and x[mask] are new arrays, not views: writing to them cannot change x."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x * x).sum()
    rows, picked = x[[0, 1]], x[np.array([True, False, True])]
    assert not np.shares_memory(rows.data, x.data)
    with no_grad():
        rows[0] = 0.0
        picked[1] = 0.0
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_ops_that_saved_nothing_do_not_mind_an_in_place_write():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    loss = (x + y - 2.0 * y.detach()).sum() + x.reshape(2, 1).sum()
    x.data -= 1.0
    with no_grad():
        y[0] = 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])


def test_setitem_on_a_tensor_that_requires_grad_is_refused_outside_no_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        x[0] = 5.0
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    y = x * 2.0
    with pytest.raises(RuntimeError, match="setitem"):
        y[0] = 5.0
    plain = Tensor([1.0, 2.0])
    plain[0] = Tensor(7.0)  # fine: no gradient to protect
    np.testing.assert_array_equal(plain.data, [7.0, 2.0])


# ---- deep graphs ---------------------------------------------------------------------------


def test_a_chain_of_100_000_ops_backpropagates_without_recursion():
    start = time.perf_counter()
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**100_000, rel=1e-9)
    assert y.item() == pytest.approx(1.0001**100_000, rel=1e-9)
    del y
    assert time.perf_counter() - start < 30


# ---- making tensors: dtypes, conversions, repr -------------------------------------------


def test_python_numbers_and_lists_become_float64():
    for data in (3, 2.5, [1, 2], [[1.0, 2.0]], True):
        assert Tensor(data).dtype == np.float64
    assert tg.tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_numpy_arrays_keep_their_dtype():
    assert Tensor(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert Tensor(np.array([1, 2])).dtype == np.int64
    assert Tensor(np.array([True])).dtype == bool
    assert Tensor(np.float32(2.0)).dtype == np.float32


def test_python_numbers_do_not_upcast_float32():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = (2.0 * x + 1 - x / 3.0) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_tensors_compute_but_take_no_gradient():
    i = Tensor(np.array([1, 2, 3]))
    np.testing.assert_array_equal((i * 2).data, [2, 4, 6])
    assert (i + 0.5).dtype == np.float64
    assert not (i * 2).requires_grad


def test_item_numpy_and_array_attributes():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert (x.shape, x.dtype, x.ndim, x.size, len(x)) == ((2, 3), np.float64, 2, 6, 2)
    assert x.numpy() is x.data
    assert Tensor([4.5]).item() == 4.5
    assert isinstance(Tensor(np.float32(1.5)).item(), float)
    zeros, ones = tg.zeros((2, 2)), tg.ones(3, dtype=np.float32, requires_grad=True)
    np.testing.assert_array_equal(zeros.data, np.zeros((2, 2)))
    assert ones.dtype == np.float32 and ones.requires_grad


def test_repr_shows_values_dtype_and_flags():
    text = repr(Tensor([1.0, 2.5], requires_grad=True, label="w"))
    assert text.startswith("Tensor(")
    for piece in ("1.", "2.5", "float64", "requires_grad=True", "label='w'"):
        assert piece in text, text
    assert "requires_grad" not in repr(Tensor([1.0]))
    long = repr(Tensor(np.zeros(1000)))
    assert "..." in long and len(long) < 300


def test_a_tensor_of_a_tensor_is_refused():
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(Tensor([1.0]))


# ---- scalargrad and tensorgrad agree -------------------------------------------------------


def expression(a, b, c):
    """The same formula for Values and 0-d Tensors: exp, log, tanh, sigmoid, relu, pow, div."""
    u = (a * b).tanh() + (c * c + 1.0).log() / (1.0 + a.exp())
    v = (b - c).sigmoid() ** 3 + (a - 0.2).relu() * c
    w = (c * c + 0.5) ** b / (2.0 - b)
    return u * v + w - (-a).abs() ** 0.5


@pytest.mark.parametrize("inputs", [(0.7, -1.3, 0.4), (-0.4, 0.9, -2.1), (1.6, 0.2, 1.1)])
def test_expression_agrees_with_scalargrad(inputs):
    values = [scalargrad.Value(v) for v in inputs]
    tensors = [Tensor(v, requires_grad=True) for v in inputs]
    out_scalar, out_tensor = expression(*values), expression(*tensors)
    out_scalar.backward()
    out_tensor.backward()
    assert out_tensor.item() == pytest.approx(out_scalar.data, rel=1e-12, abs=1e-12)
    for value, tensor in zip(values, tensors):
        assert tensor.grad.item() == pytest.approx(value.grad, rel=1e-12, abs=1e-12)


def test_dot_product_layer_agrees_with_scalargrad():
    rng = np.random.default_rng(3)
    w, x, b = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(2)

    sw = [[scalargrad.Value(v) for v in row] for row in w]
    sx, sb = [scalargrad.Value(v) for v in x], [scalargrad.Value(v) for v in b]
    s_out = scalargrad.sum_of([(scalargrad.dot(row, sx) + bias).tanh() for row, bias in zip(sw, sb)])
    s_out.backward()

    tw, tx, tb = (Tensor(a, requires_grad=True) for a in (w, x, b))
    t_out = (tw @ tx + tb).tanh().sum()
    t_out.backward()

    assert t_out.item() == pytest.approx(s_out.data, rel=1e-12)
    np.testing.assert_allclose(tw.grad, [[v.grad for v in row] for row in sw], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tx.grad, [v.grad for v in sx], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tb.grad, [v.grad for v in sb], rtol=1e-12, atol=1e-15)
    assert math.isfinite(t_out.item())


def test_a_scalargrad_value_is_refused_not_silently_cut_off_from_its_gradient():
    """NumPy would turn a Value into its float, so x.grad would stay 0 with no error: refused, naming the op."""
    import scalargrad

    t, v = Tensor(np.ones(2), requires_grad=True), scalargrad.Value(2.0)
    for make, where in [(lambda: t * v, "mul"), (lambda: v * t, "mul"), (lambda: t + v, "add"),
                        (lambda: Tensor(v), "Tensor"), (lambda: Tensor([v, 1.0]), "Tensor")]:
        with pytest.raises(TypeError, match=rf"^{where}: .*float\(\) of a Value .* would drop its gradient.*v\.data"):
            make()
    for nested in (lambda: Tensor([[v]]), lambda: t * [[v, v]]):  # deeper in a list: NumPy's float(v) refuses
        with pytest.raises(TypeError, match=r"float\(\) of a Value .* would drop its gradient"):
            nested()
    assert v.grad == 0.0 and (t * v.data).data.tolist() == [2.0, 2.0]  # its number is a constant, as before
