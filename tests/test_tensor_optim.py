"""Tests for tensorgrad.optim: hand-computed steps, decoupled weight decay, clipping, the version counter.

The tiny problem throughout: loss = ½ Σ p² from p = [1, −2], so the gradient is p itself.
"""

import math

import numpy as np
import pytest

from tensorgrad import Tensor
from tensorgrad import functional as F
from tensorgrad.nn import MLP, Linear
from tensorgrad.optim import SGD, Adam, AdamW, clip_grad_norm


def run(optimizer_class, steps, dtype=np.float64, **settings):
    """Take ``steps`` steps on ½ Σ p²; return the parameter after each step."""
    p = Tensor(np.array([1.0, -2.0], dtype=dtype), requires_grad=True)
    optimizer = optimizer_class([p], **settings)
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        (0.5 * (p * p).sum()).backward()
        optimizer.step()
        history.append(p.data.copy())
    return history


def test_sgd_with_momentum_matches_a_hand_computation():
    """lr 0.1, momentum 0.9, v ← 0.9v + g, p ← p − 0.1v:
    step 1: g = [1, −2],      v = [1, −2],       p = [0.9, −1.8]
    step 2: g = [0.9, −1.8],  v = [1.8, −3.6],   p = [0.72, −1.44]
    step 3: g = [0.72, −1.44], v = [2.34, −4.68], p = [0.486, −0.972]
    """
    history = run(SGD, 3, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(history, [[0.9, -1.8], [0.72, -1.44], [0.486, -0.972]], rtol=1e-14)
    plain = run(SGD, 2, lr=0.1)  # no momentum: p ← p − 0.1p = 0.9p each step
    np.testing.assert_allclose(plain, [[0.9, -1.8], [0.81, -1.62]], rtol=1e-14)


def test_adam_matches_a_hand_computation():
    """lr 0.1, betas (0.9, 0.999), eps 1e-8; for the first entry:
    step 1: m̂ = g = 1, v̂ = g² = 1, so p = 1 − 0.1 · 1/(1 + 1e-8) = 0.900000001
    step 2: g = 0.900000001, m = 0.09 + 0.09 = 0.18, m̂ = 0.18/0.19 = 0.947368…,
            v = 0.000999 + 0.00081 = 0.001809, v̂ = 0.001809/0.001999 = 0.904952…,
            p = 0.900000001 − 0.1 · 0.947368/√0.904952 = 0.800412…
    """
    history = run(Adam, 3, lr=0.1)
    expected = [
        [0.900000001, -1.9000000005],
        [0.8004122297123382, -1.800166486621093],
        [0.701586274504415, -1.700623392812114],
    ]
    np.testing.assert_allclose(history, expected, rtol=1e-12)


def test_adamw_matches_a_hand_computation():
    """As Adam, but each step first shrinks p by the factor 1 − lr·wd = 0.99: step 1 gives 0.99 − 0.1 = 0.89."""
    history = run(AdamW, 3, lr=0.1, weight_decay=0.1)
    expected = [
        [0.890000001, -1.8800000005],
        [0.7815718569541611, -1.7614089510885826],
        [0.6751012231892007, -1.6443686843220089],
    ]
    np.testing.assert_allclose(history, expected, rtol=1e-12)


def test_adamw_decay_is_decoupled_from_the_gradient():
    """With a zero gradient Adam does not move, and AdamW shrinks p by exactly lr·wd·p.

    Coupled (L2) decay would add wd·p to the gradient, and Adam's normalisation
    would turn that into a step of about lr, not lr·wd·p.
    """
    for optimizer_class, factor in ((Adam, 1.0), (AdamW, 1 - 0.1 * 0.5)):
        p = Tensor([1.0, -2.0, 4.0], requires_grad=True)
        optimizer = optimizer_class([p], lr=0.1, **({"weight_decay": 0.5} if optimizer_class is AdamW else {}))
        for step in range(1, 4):
            p.grad = np.zeros(3)
            optimizer.step()
            np.testing.assert_allclose(p.data, np.array([1.0, -2.0, 4.0]) * factor**step, rtol=1e-15)


def test_adam_converges_on_a_quadratic():
    assert np.abs(run(Adam, 300, lr=0.05)[-1]).max() < 1e-3


def test_parameters_without_a_gradient_are_skipped():
    used, unused = Tensor([1.0], requires_grad=True), Tensor([5.0], requires_grad=True)
    for optimizer in (SGD([used, unused], lr=0.1, momentum=0.9), AdamW([used, unused], lr=0.1)):
        (used * 2).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
        assert unused.data[0] == 5.0 and unused.grad is None and used.grad is None
    assert optimizer.steps == [1, 0]


@pytest.mark.parametrize("optimizer_class", [SGD, Adam, AdamW])
def test_float32_parameters_stay_float32(optimizer_class):
    settings = {"lr": 0.1, "momentum": 0.9} if optimizer_class is SGD else {"lr": 0.1}
    history = run(optimizer_class, 3, dtype=np.float32, **settings)
    assert all(p.dtype == np.float32 for p in history)
    p = Tensor(np.ones(3, np.float32), requires_grad=True)
    p.grad = np.full(3, 10.0, np.float32)
    clip_grad_norm([p], 1.0)
    assert p.grad.dtype == np.float32


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before():
    """Gradients [3, 4] and [12]: global norm √(9 + 16 + 144) = 13."""
    a, b, c = (Tensor(np.zeros(n), requires_grad=True) for n in (2, 1, 3))
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([12.0])  # c has no gradient: skipped
    assert clip_grad_norm([a, b, c], 6.5) == pytest.approx(13.0, rel=1e-15)
    np.testing.assert_allclose(a.grad, [1.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [6.0], rtol=1e-15)
    assert math.hypot(*a.grad, *b.grad) == pytest.approx(6.5, rel=1e-15)
    assert c.grad is None
    assert clip_grad_norm([a, b, c], 100.0) == pytest.approx(6.5, rel=1e-15)  # below the limit: unchanged
    np.testing.assert_allclose(a.grad, [1.5, 2.0], rtol=1e-15)


def test_a_step_between_forward_and_backward_is_caught():
    """The update writes the weight array in place; the pending backward saved that array for x @ W."""
    layer = Linear(3, 2)
    x = np.ones((4, 3))
    for optimizer in (SGD(layer.parameters(), lr=0.1), Adam(layer.parameters()), AdamW(layer.parameters())):
        layer(x).sum().backward()
        optimizer.step()  # fine: after backward
        loss = layer(x).sum()
        optimizer.step()  # wrong: loss.backward() still needs the old weights
        with pytest.raises(RuntimeError, match=r"backward through linear: input of shape \(3, 2\) was modified in place"):
            loss.backward()
        optimizer.zero_grad()


def test_an_mlp_learns_with_adamw_and_clipping():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR of the signs: needs the hidden layer
    model = MLP(2, [16, 2], rng=0)
    optimizer = AdamW(model.parameters(), lr=0.05, weight_decay=1e-3)
    for _ in range(300):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
    assert loss.item() < 0.1


def test_bad_settings_are_refused():
    p = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="SGD: lr must be > 0, got 0"):
        SGD([p], lr=0)
    with pytest.raises(ValueError, match="Adam: got no parameters"):
        Adam([])
    with pytest.raises(TypeError, match="AdamW: parameters must be Tensors with requires_grad=True"):
        AdamW([Tensor([1.0])])
    with pytest.raises(ValueError, match=r"AdamW: betas must be two numbers in \[0, 1\)"):
        AdamW([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="SGD: momentum must lie in"):
        SGD([p], lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm must be > 0"):
        clip_grad_norm([p], 0.0)


def test_adam_updates_all_parameters_at_once_exactly_as_one_by_one():
    """The flat path (every parameter has a gradient) and the one-by-one path give the same bits."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    models = [MLP(3, [5, 2], rng=0), MLP(3, [5, 2], rng=0)]
    idle = Tensor([1.0], requires_grad=True)  # never gets a gradient: forces the one-by-one path
    optimizers = [AdamW(models[0].parameters(), lr=0.1), AdamW([*models[1].parameters(), idle], lr=0.1)]
    for _ in range(3):
        for model, optimizer in zip(models, optimizers):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    assert optimizers[0].flat_m is not None and optimizers[1].steps[-1] == 0
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        assert np.array_equal(a.data, b.data)
    assert not np.array_equal(models[0].parameters()[0].data, MLP(3, [5, 2], rng=0).parameters()[0].data)
