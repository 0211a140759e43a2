"""The graph owns what it saved (issue 11, item 2): no write made between forward and backward gives a wrong gradient.

Each route by which a saved array could change either still gives the right
gradient (the graph kept its own copy) or raises at ``backward()`` with a
message that names the op and the tensor (the write was counted as a version).
"""

import copy
import pickle
import sys

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Tensor, nn, no_grad, optim
from tensorgrad import functional as F
from tensorgrad.attention import scaled_dot_product_attention
from tensorgrad.transformer import PackedSelfAttention


def leaf(values, label="x"):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, label=label)


def gradient_of(make_loss, *leaves):
    """The gradients of ``make_loss()`` for the leaves, from a fresh forward and backward pass."""
    for t in leaves:
        t.zero_grad()
    make_loss().backward()
    grads = [t.grad.copy() for t in leaves]
    for t in leaves:
        t.zero_grad()
    return grads


# ---- writes to a tensor's own array: counted, and reported at backward ----------------------------
def test_a_write_through_data_is_reported_naming_the_op_and_the_tensor():
    x = leaf([1.0, 2.0], label="w")
    loss = (x * x).sum()
    x.data[0] = 100.0
    with pytest.raises(RuntimeError, match=r"backward through mul: input of shape \(2,\) was modified in place.*'w'"):
        loss.backward()


def test_a_write_through_numpy_is_reported():
    x = leaf([1.0, 2.0])
    loss = x.exp().sum()
    x.numpy()[1] = -3.0
    with pytest.raises(RuntimeError, match=r"backward through exp: input .*modified in place.*'x'"):
        loss.backward()


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.__setitem__((slice(None), 0), 7.0),
        lambda d: d[1:].__setitem__(0, 7.0),  # through a slice of the view
        lambda d: d.T.__setitem__((0, 1), 7.0),  # through a transposed view
        lambda d: np.add(d, 1.0, out=d),
        lambda d: np.add.at(d, ([0, 0], [1, 1]), 1.0),
        lambda d: d.__imul__(2.0),
    ],
    ids=["setitem", "slice", "transpose", "ufunc out=", "add.at", "in-place operator"],
)
def test_every_counted_write_through_data_is_reported(write):
    x = leaf(np.arange(1.0, 5.0).reshape(2, 2))
    loss = (x @ x).sum()
    write(x.data)
    with pytest.raises(RuntimeError, match=r"backward through matmul.*modified in place.*'x'"):
        loss.backward()


def test_a_write_through_data_of_an_intermediate_tensor_is_reported_as_its_output():
    x = leaf([1.0, 2.0])
    y = x.exp()
    loss = y.sum() * 1.0 + (y * y).sum()
    y.data[0] = 0.0
    with pytest.raises(RuntimeError, match=r"backward through (mul|exp).*modified in place"):
        loss.backward()


def test_a_write_through_the_data_of_a_detached_tensor_is_reported():
    x = leaf([1.0, 2.0])
    loss = x.log().sum()
    x.detach().data[0] = 5.0
    with pytest.raises(RuntimeError, match=r"backward through log"):
        loss.backward()


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.fill(0.0),
        lambda d: d.sort(),
        lambda d: d.put([0], 9.0),
        lambda d: np.copyto(d, 0.0),
        lambda d: np.putmask(d, d > 2, 0.0),
        lambda d: np.cumsum(d, out=d),
    ],
    ids=["fill", "sort", "put", "copyto", "putmask", "cumsum out="],
)
def test_ndarray_methods_and_numpy_functions_that_write_are_counted_too(write):
    x = leaf([3.0, 1.0])
    loss = (x * x).sum()
    write(x.data)
    with pytest.raises(RuntimeError, match=r"backward through mul.*modified in place.*'x'"):
        loss.backward()


@pytest.mark.parametrize(
    "write",
    [lambda d: np.random.default_rng(0).shuffle(d), lambda d: np.dot(np.eye(2), np.ones(2), out=d)],
    ids=["shuffle", "dot out="],
)
def test_any_other_write_through_data_is_refused(write):
    x = leaf([3.0, 1.0])
    loss = (x * x).sum()
    with pytest.raises(ValueError, match="read-only|not acceptable"):
        write(x.data)
    loss.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 2.0])


def test_writing_through_data_of_a_broadcast_view_is_refused_with_a_clear_message():
    b = Tensor([1.0, 2.0]).broadcast_to((3, 2))
    with pytest.raises(ValueError, match=r"data of tensor of shape \(3, 2\).*broadcast_to"):
        b.data[0, 0] = 5.0


def test_a_write_through_data_before_the_forward_pass_is_simply_used():
    x = leaf([1.0, 2.0])
    x.data[0] = 3.0
    x.data *= 2.0
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [12.0, 8.0])


def test_data_computes_like_an_ndarray_and_copies_are_the_callers_own():
    x = leaf([1.0, 2.0])
    twice, total = x.data * 2, x.data.sum()
    assert type(twice) is np.ndarray and twice.flags.writeable and total == 3.0
    assert repr(x.data) == "array([1., 2.])"
    mine = np.array(x.data)
    mine[0] = 50.0  # a copy: the tensor and its graph never see it
    loss = (x * x).sum()
    mine[1] = 60.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert x.data is x.numpy()


def test_replacing_data_copies_the_new_array():
    x = leaf([1.0, 2.0])
    new = np.array([3.0, 4.0])
    x.data = new
    loss = (x * x).sum()
    new[0] = 100.0  # the caller's array, not the tensor's
    loss.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 8.0])


# ---- arrays that come from the caller: copied ---------------------------------------------------
def test_the_callers_array_is_copied_at_construction():
    a = np.array([1.0, 2.0])
    x = Tensor(a, requires_grad=True)
    loss = (x * x).sum()
    a[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    assert not np.shares_memory(x.data, a)


def test_an_alias_made_with_tensor_of_data_is_a_copy():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    alias = Tensor(x.data)
    alias[0] = 100.0
    alias.data[1] = 100.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_an_array_operand_is_copied_when_lifted_into_the_graph():
    x, a = leaf([1.0, 2.0]), np.array([3.0, 5.0])
    loss = (x * a).sum()
    a[:] = 0.0
    loss.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 5.0])


def test_a_layers_input_array_is_copied():
    layer = nn.Linear(2, 1, rng=0)
    batch = np.array([[1.0, 2.0], [3.0, 4.0]])
    expected = gradient_of(lambda: layer(batch).sum(), layer.weight)[0]
    loss = layer(batch).sum()
    batch[:] = -9.0
    loss.backward()
    np.testing.assert_allclose(layer.weight.grad, expected)


# ---- indices, ids, targets and masks an op keeps: its own copies --------------------------------
@pytest.mark.parametrize(
    "make_index",
    [lambda: [0, 0, 2], lambda: np.array([0, 0, 2]), lambda: ([0, 0, 2],), lambda: (np.array([0, 0, 2]),)],
    ids=["list", "numpy array", "tuple of a list", "tuple of an array"],
)
def test_changing_an_index_after_getitem_does_not_move_the_gradient(make_index):
    x = leaf([1.0, 2.0, 3.0])
    idx = make_index()
    y = x[idx]
    (idx[0] if isinstance(idx, tuple) else idx)[0] = 1
    (y * Tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [11.0, 0.0, 100.0])


def test_changing_an_index_tensor_after_getitem_does_not_move_the_gradient():
    x, idx = leaf([1.0, 2.0, 3.0]), Tensor(np.array([2, 2]))
    y = x[idx]
    idx[0] = 0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])


def test_a_boolean_mask_index_is_copied():
    x, mask = leaf([1.0, 2.0, 3.0]), np.array([True, False, True])
    y = x[mask]
    mask[:] = [False, True, False]
    (y * Tensor([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 10.0])


def test_changing_embedding_ids_after_the_lookup_does_not_move_the_gradient():
    embedding = nn.Embedding(5, 2, rng=0)
    ids = np.array([[1, 3]])
    out = embedding(ids)
    ids[0, 0] = 4
    out.sum().backward()
    expected = np.zeros((5, 2))
    expected[[1, 3]] = 1.0
    np.testing.assert_array_equal(embedding.weight.grad, expected)


@pytest.mark.parametrize("loss_fn", [F.cross_entropy, lambda z, t: F.nll_loss(F.log_softmax(z), t)], ids=["ce", "nll"])
@pytest.mark.parametrize("ignore_index", [None, 0])
def test_changing_targets_after_the_loss_does_not_change_its_gradient(loss_fn, ignore_index):
    logits = leaf(np.random.default_rng(0).normal(size=(3, 4)), label="logits")
    targets = np.array([1, 0, 3])

    def loss():
        return loss_fn(logits, targets) if ignore_index is None else F.cross_entropy(logits, targets, ignore_index=0)

    (expected,) = gradient_of(loss, logits)
    pending = loss()
    targets[:] = [2, 2, 2]
    pending.backward()
    np.testing.assert_allclose(logits.grad, expected)


def test_changing_take_along_axis_indices_after_the_forward_pass_does_not_move_the_gradient():
    x, indices = leaf(np.arange(6.0).reshape(2, 3)), np.array([[2], [0]])
    y = tg.take_along_axis(x, indices, axis=1)
    indices[:] = 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("as_tensor", [False, True], ids=["array", "tensor"])
def test_changing_a_where_mask_after_the_forward_pass_does_not_change_the_gradient(as_tensor):
    a, b = leaf([1.0, 2.0], label="a"), leaf([3.0, 4.0], label="b")
    condition = np.array([True, False])
    mask = Tensor(condition) if as_tensor else condition
    out = tg.where(mask, a, b)
    if as_tensor:
        mask[0] = False
    else:
        mask[0] = False
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


def test_changing_an_attention_mask_after_the_forward_pass_does_not_change_the_gradient():
    rng = np.random.default_rng(1)
    q, k, v = (leaf(rng.normal(size=(3, 2)), label=name) for name in "qkv")
    mask = np.array([[True, False, False], [True, True, False], [True, True, True]])
    expected = gradient_of(lambda: (scaled_dot_product_attention(q, k, v, mask=mask) ** 2).sum(), q, k, v)
    loss = (scaled_dot_product_attention(q, k, v, mask=mask) ** 2).sum()
    mask[:] = True
    loss.backward()
    for t, g in zip((q, k, v), expected):
        np.testing.assert_allclose(t.grad, g)


# ---- optimizers: their in-place steps are counted ------------------------------------------------
def test_an_optimizer_step_between_forward_and_backward_is_reported():
    layer = nn.Linear(2, 1, rng=0)
    sgd = optim.SGD(layer.parameters(), lr=0.1)
    x = np.array([[1.0, 2.0]])
    layer(x).sum().backward()
    pending = layer(x).sum()
    sgd.step()
    with pytest.raises(RuntimeError, match=r"backward through linear: input of shape \(2, 1\).*'weight'"):
        pending.backward()


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.AdamW(p, lr=0.1)])
def test_optimizers_still_update_in_place_after_backward(make):
    w = leaf([1.0, -2.0], label="w")
    before = w.data
    opt = make([w])
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert np.abs(w.data).max() < 2.0 and w.data is before  # the same array, moved in place


def test_in_place_methods_write_outside_the_graph_and_are_counted():
    w = leaf([1.0, 2.0])
    w.sub_(1.0).mul_(3.0)
    np.testing.assert_array_equal(w.data, [0.0, 3.0])
    assert w._version.count == 2
    loss = (w * w).sum()
    w.copy_([5.0, 6.0])
    np.testing.assert_array_equal(w.data, [5.0, 6.0])
    with pytest.raises(RuntimeError, match=r"backward through mul.*modified in place"):
        loss.backward()


# ---- the zero-copy path ------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [tg.from_numpy, lambda a: Tensor(a, copy=False)], ids=["from_numpy", "copy=False"])
def test_the_zero_copy_path_shares_the_callers_array(make):
    a = np.array([1.0, 2.0])
    t = make(a)
    assert np.shares_memory(t.data, a)
    a[0] = 10.0  # the caller's writes show in the tensor: that is the promise's other side
    assert t.item() if t.size == 1 else t.data[0] == 10.0
    with no_grad():
        t[1] = 20.0
    np.testing.assert_array_equal(a, [10.0, 20.0])


def test_from_numpy_documents_what_the_caller_promises_and_refuses_a_list():
    doc = tg.from_numpy.__doc__
    assert "without a copy" in doc and "promise" in doc and "silently wrong" in doc
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array"):
        tg.from_numpy([1.0, 2.0])


def test_a_parameter_made_with_from_numpy_is_updated_in_the_callers_array():
    a = np.array([1.0, -1.0])
    w = tg.from_numpy(a, requires_grad=True)
    (w * w).sum().backward()
    optim.SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(a, [0.5, -0.5])


@pytest.mark.parametrize(
    "duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))], ids=["deepcopy", "pickle"]
)
def test_a_copied_tensors_data_is_a_view_of_its_own_array(duplicate):
    w = leaf([1.0, 2.0], label="w")
    assert w.data[0] == 1.0  # the original has handed out its view
    twin = duplicate(w)
    with no_grad():
        twin.sub_(1.0)
    np.testing.assert_array_equal(twin.data, [0.0, 1.0])
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert twin.label == "w" and twin.requires_grad


def test_a_write_to_an_input_an_op_saved_a_view_of_is_reported():
    """The packed attention saves q, k and v as views of its one input: a write to that input still counts."""
    qkv = leaf(np.random.default_rng(2).normal(size=(1, 3, 12)), label="qkv")
    loss = (PackedSelfAttention.apply(qkv, n_heads=2, causal=True) ** 2).sum()
    qkv.data[0, 1, 5] += 1.0
    with pytest.raises(RuntimeError, match=r"backward through self_attention: input .*'qkv'"):
        loss.backward()


def test_the_view_holds_its_tensor_but_the_tensor_does_not_hold_the_view():
    """No reference cycle: a tensor whose .data was read is freed as soon as nothing uses it."""
    x = leaf([1.0, 2.0])
    before = sys.getrefcount(x)
    view = x.data
    assert sys.getrefcount(x) == before + 1 and x.data is view
    del view
    assert sys.getrefcount(x) == before
