"""Optimizers: turn each parameter's gradient into a step downhill (§10, §11).

    loss.backward()          # fill every parameter's .grad
    clip_grad_norm(params, 1.0)
    optimizer.step()         # move the parameters
    optimizer.zero_grad()    # forget the gradients before the next backward

Every update writes the parameter's array in place through its ``data``
property (``p.data -= ...``). That keeps a float32 parameter float32 (the
step sizes are Python floats, which never widen an array), and it counts as a
new version of the array: a backward pass that still needs the old values
(``optimizer.step()`` between the forward pass and ``backward()``) raises
instead of returning a wrong gradient. Parameters whose ``grad`` is None
(not reached by the last backward pass) are left alone.
"""

import math

import numpy as np

from tensorgrad.tensor import Tensor, no_grad


class Optimizer:
    """Holds the parameters; subclasses write ``update(i, p, g)`` for parameter i with gradient g."""

    def __init__(self, params, lr):
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got no parameters to optimize")
        for p in self.params:
            if not (isinstance(p, Tensor) and p.requires_grad):
                raise TypeError(f"{name}: parameters must be Tensors with requires_grad=True, got {p!r:.60}")
        if not lr > 0:
            raise ValueError(f"{name}: lr must be > 0, got {lr!r}")
        self.lr = float(lr)

    def step(self):
        with no_grad():
            for i, p in enumerate(self.params):
                if p.grad is not None:
                    self.update(i, p, p.grad)

    def update(self, i, p, g):
        raise NotImplementedError

    def zero_grad(self):
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    """p ← p − lr·v with velocity v ← momentum·v + g (PyTorch's form; momentum 0 gives p ← p − lr·g)."""

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity = [np.zeros_like(p.data) for p in self.params]

    def update(self, i, p, g):
        if self.momentum:
            self.velocity[i] = self.momentum * self.velocity[i] + g
            g = self.velocity[i]
        p.data -= self.lr * g


class Adam(Optimizer):
    """Adam: a step along the running mean of g, scaled down by the running root mean square of g.

        m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
        m̂ = m / (1 − β₁ᵗ)            v̂ = v / (1 − β₂ᵗ)       (undo the zero start)
        p ← p − lr · m̂ / (√v̂ + eps)

    so every parameter moves by about lr per step, whatever its gradient's scale.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        name = type(self).__name__
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        if not eps > 0:
            raise ValueError(f"{name}: eps must be > 0, got {eps!r}")
        self.betas, self.eps = (float(betas[0]), float(betas[1])), float(eps)
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)  # per parameter: one may miss a step (grad None)

    def update(self, i, p, g):
        b1, b2 = self.betas
        self.steps[i] += 1
        t = self.steps[i]
        m, v = self.m[i], self.v[i]
        # In place, with one scratch array: the moments and the step make no new arrays of their own.
        scratch = np.multiply(g, 1 - b1, out=np.empty_like(m))
        m *= b1
        m += scratch
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        v *= b2
        v += scratch
        # m̂ / (√v̂ + eps), with the two bias corrections folded into plain numbers
        step = self.lr / (1 - b1**t)
        denominator = np.sqrt(v, out=scratch)
        denominator /= math.sqrt(1 - b2**t)
        denominator += self.eps
        p.data -= np.divide(np.multiply(m, step), denominator, out=denominator)


class AdamW(Adam):
    """Adam with *decoupled* weight decay: p ← p − lr·wd·p, then the Adam step (§11).

    The decay shrinks the weights directly instead of adding wd·p to the
    gradient, where Adam's scaling would weaken it for parameters with large
    gradients. So even with a zero gradient the weights shrink by lr·wd·p.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps)
        if not weight_decay >= 0:
            raise ValueError(f"AdamW: weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)

    def update(self, i, p, g):
        p.data *= 1 - self.lr * self.weight_decay
        super().update(i, p, g)


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so their global L2 norm is at most ``max_norm``; return the norm before.

    The norm is √(Σ g²) over every entry of every gradient (§11): one length
    for the whole update, so clipping shrinks its size but keeps its direction.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be > 0, got {max_norm!r}")
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(math.fsum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params))
    if total > max_norm:
        scale = max_norm / total  # a Python float: float32 gradients stay float32
        for p in params:
            p.grad = p.grad * scale
    return total
