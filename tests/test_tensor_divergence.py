"""Divergence (issue 11, item 3): no optimizer step writes a NaN or an infinity, and no loss returns one.

An optimizer refuses a non-finite gradient and a step that would make a
weight non-finite, naming the parameter, and on refusal no parameter has
changed. Training an MLP with SGD at lr = 5 (which diverges) stops with a
clear error at the first step that would go non-finite, its weights finite.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Tensor
from tensorgrad import functional as F
from tensorgrad.nn import MLP
from tensorgrad.optim import SGD, Adam, AdamW, clip_grad_norm

OPTIMIZERS = {
    "SGD": lambda params: SGD(params, lr=0.1),
    "SGD momentum": lambda params: SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: Adam(params, lr=0.1),
    "AdamW": lambda params: AdamW(params, lr=0.1, weight_decay=0.1),
}


def two_parameters(dtype=np.float64):
    return [Tensor(np.array([1.0, -2.0], dtype), requires_grad=True), Tensor(np.ones((2, 2), dtype), requires_grad=True)]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_gradient_is_refused_naming_the_parameter_and_nothing_moves(name, bad):
    params = two_parameters()
    optimizer = OPTIMIZERS[name](params)
    params[0].grad = np.array([0.5, 0.5])
    params[1].grad = np.array([[0.1, 0.2], [bad, 0.3]])
    before = [p.data.copy() for p in params]
    with pytest.raises(FloatingPointError) as caught:
        optimizer.step()
    message = str(caught.value)
    assert message.startswith(f"{type(optimizer).__name__}: the gradient of parameter 1 of shape (2, 2) is {bad}")
    assert "at index (1, 0)" in message and "no parameter was changed" in message
    for p, old in zip(params, before):
        np.testing.assert_array_equal(p.data, old)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_named_parameters_are_named(name):
    params = two_parameters()
    optimizer = OPTIMIZERS[name]([("encoder.bias", params[0]), ("encoder.weight", params[1])])
    params[0].grad, params[1].grad = np.array([np.nan, 0.0]), np.zeros((2, 2))
    with pytest.raises(FloatingPointError, match=r"the gradient of 'encoder.bias' \(parameter 0, shape \(2,\)\) is nan"):
        optimizer.step()


def test_without_names_a_parameter_is_named_by_its_label_index_and_shape():
    model = MLP(2, [3, 1], rng=0)
    optimizer = AdamW(model.parameters())
    for p in model.parameters():
        p.grad = np.zeros(p.shape)
    model.layers[1].bias.grad = np.array([np.inf])
    with pytest.raises(FloatingPointError, match=r"AdamW: the gradient of parameter 3 \(labelled 'bias'\) of shape \(1,\)"):
        optimizer.step()


@pytest.mark.parametrize("name", ["SGD", "SGD momentum"])
def test_sgd_refuses_a_step_that_would_overflow_a_weight(name):
    params = two_parameters()
    optimizer = OPTIMIZERS[name](params)
    params[0].grad, params[1].grad = np.array([1.0, 1.0]), np.array([[1.0, 1e308], [1.0, 1.0]])
    params[1].data = np.array([[1.0, -1.79e308], [1.0, 1.0]])
    before = [p.data.copy() for p in params]
    with pytest.raises(FloatingPointError) as caught:
        optimizer.step()
    message = str(caught.value)
    assert "this step would make parameter 1 of shape (2, 2) -inf at index (0, 1)" in message
    assert "lr=0.1" in message and "no parameter was changed" in message
    for p, old in zip(params, before):
        np.testing.assert_array_equal(p.data, old)
    params[1].grad = np.ones((2, 2))  # the velocity was not updated either: the next good step is exact
    optimizer.step()
    np.testing.assert_allclose(params[0].data, before[0] - 0.1)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_refuses_a_gradient_whose_square_overflows_and_a_weight_that_would(name):
    params = two_parameters(np.float32)
    optimizer = OPTIMIZERS[name](params)
    params[0].grad, params[1].grad = np.array([1.0, 3e19], np.float32), np.ones((2, 2), np.float32)
    with pytest.raises(FloatingPointError, match=r"the gradient of parameter 0 of shape \(2,\) is 3e\+19 at index \(1,\), "
                                                 r"whose square overflows float32"):
        optimizer.step()
    assert optimizer.steps == [0, 0]
    params[0].grad = np.array([1.0, 1.0], np.float32)
    params[1].data = np.array([[3.4e38, 1.0], [1.0, 1.0]], np.float32)
    params[1].grad = -np.ones((2, 2), np.float32)  # pushes 3.4e38 up by lr: past float32's largest
    optimizer.lr = 1e37
    before = [p.data.copy() for p in params]
    with pytest.raises(FloatingPointError, match=r"this step would make parameter 1 of shape \(2, 2\) -?inf at index \(0, 0\)"):
        optimizer.step()
    for p, old in zip(params, before):
        np.testing.assert_array_equal(p.data, old)
    assert optimizer.steps == [0, 0]
    assert not any(m.any() or v.any() for m, v in zip(optimizer.m, optimizer.v))  # the moments are untouched too


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("path", ["all parameters at once", "parameter by parameter"])
def test_after_a_refused_step_adam_goes_on_as_if_it_had_never_been_tried(name, path):
    """The moments of a refused step are never kept: the next good step is exactly a fresh optimizer's."""
    tried, fresh = two_parameters(), two_parameters()
    if path == "parameter by parameter":  # a third parameter without a gradient: each one is updated on its own
        tried.append(Tensor(np.zeros(1), requires_grad=True))
        fresh.append(Tensor(np.zeros(1), requires_grad=True))
    optimizers = [OPTIMIZERS[name](params) for params in (tried, fresh)]
    tried[1].data = np.array([[1.7e308, 1.0], [1.0, 1.0]])
    fresh[1].data = tried[1].data.copy()
    tried[0].grad, tried[1].grad = np.array([1e150, 1e150]), -np.ones((2, 2))
    optimizers[0].lr = 1e307  # the step would push 1.7e308 past the largest float
    with pytest.raises(FloatingPointError, match="this step would make parameter"):
        optimizers[0].step()
    optimizers[0].lr = 0.1
    for params in (tried, fresh):
        params[0].grad, params[1].grad = np.array([0.5, -0.5]), np.full((2, 2), 0.25)
    for optimizer in optimizers:
        optimizer.step()
    for a, b in zip(tried, fresh):
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(optimizers[0].m + optimizers[0].v, optimizers[1].m + optimizers[1].v):
        np.testing.assert_array_equal(a, b)


def test_clip_grad_norm_refuses_a_non_finite_gradient_and_survives_huge_finite_ones():
    a, b = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(1), requires_grad=True)
    a.grad, b.grad = np.array([1.0, np.nan]), np.array([1.0])
    with pytest.raises(FloatingPointError, match=r"clip_grad_norm: the gradient of parameter 0 \(shape \(2,\)\) is nan"):
        clip_grad_norm([a, b], 1.0)
    a.grad, b.grad = np.array([3e200, 4e200]), np.array([0.0])
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(5e200, rel=1e-12)
    np.testing.assert_allclose(a.grad, [0.6, 0.8], rtol=1e-12)


def test_an_mlp_trained_with_sgd_at_lr_5_stops_at_the_first_non_finite_step_with_finite_weights():
    """The issue's case: lr = 5 diverges. Every loss before the error was finite, and so is every weight."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)
    model = MLP(2, [16, 16, 1], activation="tanh", rng=0)
    optimizer = SGD(model.named_parameters(), lr=5)
    losses = []
    with pytest.raises(ArithmeticError) as caught, np.errstate(all="ignore"):
        for _ in range(500):
            loss = F.mse_loss(model(x), y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert str(caught.value).startswith(("mse_loss: the loss is inf", "SGD: this step would make", "backward: the gradient"))
    assert len(losses) > 10 and np.isfinite(losses).all() and losses[-1] > 1e100  # it did diverge first
    for name, p in model.named_parameters():
        assert np.isfinite(p.data).all(), name


def test_losses_check_their_result():
    with pytest.raises(OverflowError, match=r"mse_loss: the loss is inf"), np.errstate(over="ignore"):
        F.mse_loss(Tensor([1e200]), Tensor([-1e200]))
    with pytest.raises(OverflowError, match=r"l2: the penalty is inf"), np.errstate(over="ignore"):
        F.l2([Tensor([1e200])])
    with pytest.raises(OverflowError, match=r"nll_loss: the loss is inf"), np.errstate(over="ignore"):
        F.nll_loss(Tensor([[-1.7e308, 0.0], [-1.7e308, 0.0]]), np.array([0, 0]), reduction="sum")
    assert tg.functional.mse_loss(Tensor([1.0, 3.0]), np.array([0.0, 1.0])).item() == pytest.approx(2.5)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_infinite_learning_rate_is_refused_when_the_optimizer_is_made(name):
    make = {"SGD": SGD, "SGD momentum": SGD, "Adam": Adam, "AdamW": AdamW}[name]
    with pytest.raises(ValueError, match=r"lr must be finite, got inf"):
        make(two_parameters(), lr=float("inf"))
