"""Tests for nn: Neuron, Layer, MLP shapes, determinism, gradients, and a two-moons training run."""

import math
import random

import pytest

from demos._data import two_moons
from scalargrad import Value, l2, sum_of
from scalargrad.nn import MLP, Layer, Neuron

# ---- helpers -----------------------------------------------------------------------------------


def labelled_moons(n, seed):
    """The shared two-moons points as (point, label) pairs, labels ±1."""
    return list(zip(*two_moons(n, seed=seed)))


def hinge_loss(model, points, alpha=1e-4):
    """mean(relu(1 − y·score)) + α·Σp² (micrograd's demo loss), and the accuracy of sign(score)."""
    scores = [model(x) for x, _ in points]
    margins = [(1 - y * score).relu() for (_, y), score in zip(points, scores)]
    loss = sum_of(margins) / len(points) + alpha * l2(model.parameters())
    accuracy = sum((score.data > 0) == (y > 0) for (_, y), score in zip(points, scores)) / len(points)
    return loss, accuracy


def central_difference(loss_of, parameter, h=1e-6):
    """d(loss)/d(parameter) by nudging parameter.data by ±h; ``loss_of()`` rebuilds the loss."""
    original = parameter.data
    parameter.data = original + h
    up = loss_of().data
    parameter.data = original - h
    down = loss_of().data
    parameter.data = original
    return (up - down) / (2 * h)


# ---- shapes and determinism ---------------------------------------------------------------------


def test_parameter_counts():
    """(2·16 + 16) + (16·16 + 16) + (16·1 + 1) = 337, micrograd's moons classifier."""
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(Layer(3, 4).parameters()) == 4 * (3 + 1)
    assert len(Neuron(5).parameters()) == 6


def test_parameters_are_distinct_values():
    params = MLP(3, [4, 2]).parameters()
    assert len({id(p) for p in params}) == len(params)
    assert all(isinstance(p, Value) for p in params)


def test_same_seed_same_network():
    a, b = MLP(2, [8, 1], rng=3), MLP(2, [8, 1], rng=3)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert a([0.3, -0.7]).data == b([0.3, -0.7]).data


def test_different_seed_different_network():
    a, b = MLP(2, [8, 1], rng=3), MLP(2, [8, 1], rng=4)
    assert [p.data for p in a.parameters()] != [p.data for p in b.parameters()]


def test_weights_start_in_minus_one_to_one_and_biases_at_zero():
    model = MLP(3, [5, 5, 2])
    for layer in model.layers:
        for neuron in layer.neurons:
            assert all(-1 <= w.data <= 1 for w in neuron.w)
            assert neuron.b.data == 0.0


def test_hidden_layers_use_the_activation_and_the_last_layer_is_linear():
    model = MLP(2, [4, 4, 3], activation="tanh")
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "linear"]


def test_output_is_one_value_or_a_list():
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    outputs = MLP(2, [3, 4])([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 4


# ---- forward and backward -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "activation, act",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_neuron_computes_act_of_w_dot_x_plus_b(activation, act):
    neuron = Neuron(3, activation, rng=random.Random(1))
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = sum(w.data * xi for w, xi in zip(neuron.w, x)) + 0.25
    assert neuron(x).data == pytest.approx(act(z), rel=1e-12, abs=1e-15)


def test_neuron_accepts_values_as_inputs_and_passes_gradient_to_them():
    neuron = Neuron(2, "linear", rng=random.Random(2))
    x = [Value(1.0), Value(-2.0)]
    neuron(x).backward()
    assert [xi.grad for xi in x] == pytest.approx([w.data for w in neuron.w])


def test_mlp_parameter_gradients_match_central_differences():
    model = MLP(2, [4, 3, 1], activation="tanh", rng=5)
    points = labelled_moons(6, seed=1)

    def loss_of():
        return hinge_loss(model, points, alpha=0.1)[0]

    model.zero_grad()
    loss_of().backward()
    for p in model.parameters():
        assert p.grad == pytest.approx(central_difference(loss_of, p), rel=1e-5, abs=1e-7)


def test_module_zero_grad_clears_every_parameter():
    model = MLP(2, [3, 1])
    loss = model([1.0, -1.0]) ** 2 + 1e-3 * l2(model.parameters())
    loss.backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


@pytest.mark.slow
def test_mlp_learns_two_moons():
    """MLP(2, [16, 16, 1]), hinge loss + 1e-4·Σp², plain SGD: at least 95 % training accuracy."""
    points = labelled_moons(100, seed=0)
    model = MLP(2, [16, 16, 1], rng=1)
    first_loss, first_accuracy = hinge_loss(model, points)
    steps = 60
    for step in range(steps):
        loss, accuracy = hinge_loss(model, points)
        model.zero_grad()
        loss.backward()
        learning_rate = 1.0 - 0.9 * step / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    loss, accuracy = hinge_loss(model, points)
    assert first_accuracy < 0.9  # the task is not solved before training
    assert loss.data < first_loss.data / 5
    assert accuracy >= 0.95


# ---- errors --------------------------------------------------------------------------------------


def test_wrong_input_size():
    model = MLP(2, [3, 1])
    with pytest.raises(ValueError, match=r"expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"expected 2 inputs, got 1"):
        model([1.0])


@pytest.mark.parametrize(
    "build",
    [
        lambda: Neuron(2, activation="gelu"),
        lambda: Layer(2, 3, activation="gelu"),
        lambda: MLP(2, [3, 1], activation="gelu"),
    ],
    ids=["Neuron", "Layer", "MLP"],
)
def test_unknown_activation(build):
    with pytest.raises(ValueError, match=r"unknown activation 'gelu'.*relu"):
        build()


def test_mlp_rejects_an_unknown_activation_even_with_no_hidden_layer():
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'gelu'"):
        MLP(2, [1], activation="gelu")
