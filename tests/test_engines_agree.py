"""scalargrad and tensorgrad are the same machine: the same computation gives the same numbers.

Each test builds one small computation twice, with a Value per number
(scalargrad) and with an array per tensor (tensorgrad), and compares values
and gradients to 1e-12.
"""

import random as python_random

import numpy as np
import pytest

import scalargrad
import tensorgrad
from scalargrad import Value, sum_of
from scalargrad import nn as scalar_nn
from tensorgrad import Tensor, nn
from tensorgrad import functional as F

TOLERANCE = {"rtol": 1e-12, "atol": 1e-12}


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def as_values(array):
    """A 2-D array as rows of Values."""
    return [[Value(float(x)) for x in row] for row in array]


def numbers(rows, what="data"):
    """Rows of Values back to an array of their data (or grad)."""
    return np.array([[getattr(v, what) for v in row] for row in rows])


def copy_of(scalar_mlp):
    """A tensorgrad MLP holding the scalar MLP's weights: neuron j's weights are column j of ``weight``."""
    layers = scalar_mlp.layers
    model = nn.MLP(len(layers[0].neurons[0].w), [len(layer.neurons) for layer in layers])
    for linear, layer in zip(model.layers, layers):
        linear.weight.data = numbers([neuron.w for neuron in layer.neurons]).T
        linear.bias.data = np.array([neuron.b.data for neuron in layer.neurons])
    return model


def test_mlp_with_cross_entropy_and_l2_penalty():
    """Values, loss and every gradient (weights, biases, inputs) of mean CE + 0.01·Σw² through an MLP."""
    x, targets = random(5, 3), [0, 1, 1, 0, 1]
    scalar_mlp = scalar_nn.MLP(3, [4, 4, 2], rng=0)
    model = copy_of(scalar_mlp)

    rows = as_values(x)
    scalar_logits = [scalar_mlp(row) for row in rows]
    scalar_loss = sum_of([scalargrad.cross_entropy(z, t) for z, t in zip(scalar_logits, targets)]) / 5
    scalar_loss = scalar_loss + 0.01 * scalargrad.l2(scalar_mlp.parameters())
    scalar_loss.backward()

    inputs = Tensor(x, requires_grad=True)
    logits = model(inputs)
    loss = F.cross_entropy(logits, targets) + 0.01 * F.l2(model.parameters())
    loss.backward()

    np.testing.assert_allclose(logits.data, numbers(scalar_logits), **TOLERANCE)
    np.testing.assert_allclose(loss.item(), scalar_loss.data, **TOLERANCE)
    np.testing.assert_allclose(inputs.grad, numbers(rows, "grad"), **TOLERANCE)
    for linear, layer in zip(model.layers, scalar_mlp.layers):
        np.testing.assert_allclose(linear.weight.grad, numbers([n.w for n in layer.neurons], "grad").T, **TOLERANCE)
        np.testing.assert_allclose(linear.bias.grad, [n.b.grad for n in layer.neurons], **TOLERANCE)


def test_softmax_log_softmax_and_cross_entropy():
    z, targets = random(4, 3, seed=1) * 3, [2, 0, 1, 2]
    rows = as_values(z)
    scalar_probs = [scalargrad.softmax(row, temperature=0.7) for row in rows]
    scalar_log_probs = [scalargrad.log_softmax(row) for row in rows]
    scalar_loss = sum_of([scalargrad.cross_entropy(row, t) for row, t in zip(rows, targets)]) / 4
    scalar_loss.backward()

    logits = Tensor(z, requires_grad=True)
    loss = F.cross_entropy(logits, targets)
    loss.backward()

    np.testing.assert_allclose(F.softmax(z, temperature=0.7).data, numbers(scalar_probs), **TOLERANCE)
    np.testing.assert_allclose(F.log_softmax(z).data, numbers(scalar_log_probs), **TOLERANCE)
    np.testing.assert_allclose(loss.item(), scalar_loss.data, **TOLERANCE)
    np.testing.assert_allclose(logits.grad, numbers(rows, "grad"), **TOLERANCE)


def test_l1_and_l2_penalties():
    w = random(2, 3, seed=2)
    rows = as_values(w)
    scalar_penalty = scalargrad.l2([v for row in rows for v in row]) + 0.5 * scalargrad.l1(rows[0])
    scalar_penalty.backward()

    weights = Tensor(w, requires_grad=True)
    penalty = F.l2([weights]) + 0.5 * F.l1([weights[0]])
    penalty.backward()

    np.testing.assert_allclose(penalty.item(), scalar_penalty.data, **TOLERANCE)
    np.testing.assert_allclose(weights.grad, numbers(rows, "grad"), **TOLERANCE)


def test_entropy_and_kl_divergence_both_directions():
    """Probabilities into scalargrad, logits into tensorgrad: softmax bridges them, and the gradients agree."""
    zp, zq = random(3, 4, seed=3), random(3, 4, seed=4)
    p_rows, q_rows = as_values(zp), as_values(zq)
    p = [scalargrad.softmax(row) for row in p_rows]
    q = [scalargrad.softmax(row) for row in q_rows]
    entropies = [scalargrad.entropy(probs=row) for row in p]
    forward = [scalargrad.kl_divergence(p=a, q=b) for a, b in zip(p, q)]
    reverse = [scalargrad.kl_divergence(p=b, q=a) for a, b in zip(p, q)]
    sum_of(entropies + forward + [2 * r for r in reverse]).backward()

    p_logits, q_logits = Tensor(zp, requires_grad=True), Tensor(zq, requires_grad=True)
    entropy = F.entropy(logits=p_logits)
    kl_pq = F.kl_divergence(p_logits=p_logits, q_logits=q_logits)
    kl_qp = F.kl_divergence(p_logits=q_logits, q_logits=p_logits)
    (entropy.sum() + kl_pq.sum() + 2 * kl_qp.sum()).backward()

    np.testing.assert_allclose(entropy.data, [h.data for h in entropies], **TOLERANCE)
    np.testing.assert_allclose(kl_pq.data, [d.data for d in forward], **TOLERANCE)
    np.testing.assert_allclose(kl_qp.data, [d.data for d in reverse], **TOLERANCE)
    np.testing.assert_allclose(p_logits.grad, numbers(p_rows, "grad"), **TOLERANCE)
    np.testing.assert_allclose(q_logits.grad, numbers(q_rows, "grad"), **TOLERANCE)


# ---- one name, one meaning: the same call gives the same number in both engines ----------------------
LOGITS, OTHER_LOGITS = [2.0, 1.0, 0.1, -1.5], [0.3, -0.2, 1.1, 0.0]
PROBS, OTHER_PROBS = [0.5, 0.25, 0.25, 0.0], [0.25, 0.25, 0.25, 0.25]


@pytest.mark.parametrize("kwargs", [
    {"logits": LOGITS}, {"logits": LOGITS, "base": 2}, {"probs": PROBS}, {"probs": PROBS, "base": 2},
], ids=["logits", "logits-bits", "probs", "probs-bits"])
def test_entropy_is_the_same_call_in_both_engines(kwargs):
    assert scalargrad.entropy(**kwargs).data == pytest.approx(F.entropy(**kwargs).item(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("kwargs", [
    {"p_logits": LOGITS, "q_logits": OTHER_LOGITS}, {"p": PROBS, "q": OTHER_PROBS},
    {"p": PROBS, "q_logits": OTHER_LOGITS}, {"p_logits": LOGITS, "q": OTHER_PROBS},
], ids=["logits", "probs", "probs-and-logits", "logits-and-probs"])
def test_kl_divergence_is_the_same_call_in_both_engines(kwargs):
    expected = scalargrad.kl_divergence(**kwargs).data
    assert expected > 0
    assert F.kl_divergence(**kwargs).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("call", [
    lambda: scalargrad.entropy(PROBS), lambda: F.entropy(LOGITS),
    lambda: scalargrad.kl_divergence(PROBS, OTHER_PROBS), lambda: F.kl_divergence(LOGITS, OTHER_LOGITS),
    lambda: scalargrad.entropy(probs=PROBS, logits=LOGITS), lambda: F.entropy(),
], ids=["scalar-entropy", "tensor-entropy", "scalar-kl", "tensor-kl", "both-named", "none-named"])
def test_a_distribution_without_its_name_is_an_error_not_a_guess(call):
    """A bare list was probabilities in scalargrad and logits in tensorgrad: now neither engine guesses."""
    with pytest.raises(TypeError, match=r"name the distribution, as .*logits= or .*p(robs)?="):
        call()


def test_gradcheck_is_the_same_call_with_the_same_report():
    def f(a, b):
        return (a * b).tanh() + a.exp() / b

    scalar = scalargrad.gradcheck(f, [0.3, 1.7])
    tensor = tensorgrad.gradcheck(f, [np.array(0.3), np.array(1.7)])
    assert type(scalar) is type(tensor) is scalargrad.GradcheckReport
    assert scalar.ok and tensor.ok
    probe = np.random.default_rng(0).standard_normal(())  # tensorgrad's backward starts from a random probe
    np.testing.assert_allclose(np.array(tensor.analytic) / probe, scalar.analytic, rtol=1e-12)
    assert str(scalar).startswith("gradcheck passed: worst at input")
    assert str(tensor).startswith("gradcheck passed: worst at input")


def test_gradcheck_takes_a_list_of_inputs_not_a_spread_of_them():
    with pytest.raises(TypeError):
        tensorgrad.gradcheck(lambda a, b: a * b, np.ones(2), np.ones(2))
    with pytest.raises(TypeError):
        scalargrad.gradcheck(lambda a, b: a * b, 1.0, 2.0)


def test_mlp_and_rng_mean_the_same_in_both_engines():
    """MLP(n_inputs, sizes, rng=…): the same shapes, and an int seed or a generator, in both engines."""
    scalar, tensor = scalar_nn.MLP(3, [4, 2], rng=5), nn.MLP(3, [4, 2], rng=5)
    assert [len(layer.neurons) for layer in scalar.layers] == [layer.out_features for layer in tensor.layers]
    assert len(scalar.parameters()) == sum(p.data.size for p in tensor.parameters())
    same_seed = scalar_nn.MLP(3, [4, 2], rng=python_random.Random(5))
    assert [p.data for p in same_seed.parameters()] == [p.data for p in scalar.parameters()]
    again = nn.MLP(3, [4, 2], rng=np.random.default_rng(5))
    assert all(np.array_equal(a.data, b.data) for a, b in zip(again.parameters(), tensor.parameters()))


def test_the_old_mlp_and_seed_calls_are_errors():
    with pytest.raises(TypeError, match=r"MLP\(2, \[16, 16, 1\]\)"):
        nn.MLP([2, 16, 16, 1])
    with pytest.raises(TypeError):
        scalar_nn.MLP(2, [16, 16, 1], seed=0)
    with pytest.raises(TypeError, match="rng must be an int seed or a random.Random"):
        scalar_nn.MLP(2, [1], rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be an int seed or a numpy Generator"):
        nn.MLP(2, [1], rng=python_random.Random(0))
