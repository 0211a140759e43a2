"""scalargrad and tensorgrad are the same machine: the same computation gives the same numbers.

Each test builds one small computation twice, with a Value per number
(scalargrad) and with an array per tensor (tensorgrad), and compares values
and gradients to 1e-12.
"""

import numpy as np

import scalargrad
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
    """scalargrad's entropy and KL take probabilities, tensorgrad's take logits: softmax bridges them."""
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
