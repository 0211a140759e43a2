"""micrograd's demo, written once for any Value class: its MLP and its training step, line for line.

micrograd's ``nn.py`` and its demo notebook build every neuron's weighted sum
with Python's ``sum`` over binary products, ``sum((wi*xi ...), b)``, and the
loss with binary ``+`` and ``*`` only. Transcribed here unchanged but for the
Value class it is handed, so micrograd and scalargrad can be timed on the
very same graph: the same nodes, the same arithmetic, in the same order.
"""

import random


class Neuron:
    def __init__(self, value, nin, nonlin=True):
        self.w = [value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, value, nin, nout, nonlin=True):
        self.neurons = [Neuron(value, nin, nonlin) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, value, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(value, sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0


def demo_step(value, model, points, labels, alpha, learning_rate):
    """One step of micrograd's demo: SVM max-margin loss + alpha·Σp², backward, SGD; returns the loss."""
    inputs = [list(map(value, p)) for p in points]
    scores = list(map(model, inputs))
    losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return loss.data
