"""A small neural-network library on scalars: Neuron, Layer, MLP (micrograd's shape).

A neuron computes act(Σ wᵢxᵢ + b). The weighted sum is one ``dot`` node rather
than a chain of 2n additions and multiplications: the same derivatives
(d/dwᵢ = xᵢ, d/dxᵢ = wᵢ), far fewer nodes to build and walk.

``rng`` means the same in both engines: an int seed (a fresh generator) or
a generator, used as given; here a ``random.Random``, in tensorgrad a NumPy
Generator. ``MLP(n_inputs, sizes)`` has the same signature in both.
"""

import random
from numbers import Integral

from scalargrad.sums import DOT
from scalargrad.value import Value, apply, lift_all

_ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


class Module:
    """Anything with parameters: ``zero_grad`` clears them before a backward pass."""

    def parameters(self):
        return []

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w·x + b), weights drawn uniformly from [-1, 1], bias 0."""

    def __init__(self, n_inputs, activation="relu", rng=0, name="neuron"):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}")
        rng = seeded_random(rng, "Neuron")
        self.w = [Value(rng.uniform(-1, 1), label=f"{name}.w{i}") for i in range(n_inputs)]
        self.b = Value(0.0, label=f"{name}.b")
        self.activation = activation

    def __call__(self, x):
        return self.on_values(lift_all(x, "Neuron"))

    def on_values(self, x):
        """The neuron on a list of Values (a Layer lifts its inputs once, for all its neurons)."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        z = apply(DOT, *self.w, *x) + self.b
        act = _ACTIVATIONS[self.activation]
        return act(z) if act else z

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``n_outputs`` neurons that all read the same inputs."""

    def __init__(self, n_inputs, n_outputs, activation="relu", rng=0, name="layer"):
        rng = seeded_random(rng, "Layer")
        self.neurons = [Neuron(n_inputs, activation, rng, f"{name}.n{j}") for j in range(n_outputs)]

    def __call__(self, x):
        x = lift_all(x, "Layer")  # once here, not once per neuron
        return [neuron.on_values(x) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        return f"Layer([{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """Layers of sizes ``n_inputs → sizes[0] → … → sizes[-1]``; ReLU between, linear output.

    ``MLP(2, [16, 16, 1], rng=0)`` is micrograd's two-moons classifier.
    Calling it on a list of numbers returns a list of Values (one per output),
    or a single Value when the last layer has one neuron.
    """

    def __init__(self, n_inputs, sizes, activation="relu", rng=0):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}")
        rng = seeded_random(rng, "MLP")
        widths = [n_inputs] + list(sizes)
        last = len(sizes) - 1
        self.layers = [
            Layer(widths[i], widths[i + 1], "linear" if i == last else activation, rng, f"L{i}")
            for i in range(len(sizes))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP([{', '.join(map(repr, self.layers))}])"


def seeded_random(rng, where):
    """A ``random.Random``: the one given, or a fresh one from an int seed."""
    if isinstance(rng, random.Random):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, Integral):
        raise TypeError(f"{where}: rng must be an int seed or a random.Random, got {rng!r}")
    return random.Random(rng)
