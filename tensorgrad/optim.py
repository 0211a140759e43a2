"""Optimizers: turn each parameter's gradient into a step downhill (§10, §11).

    loss.backward()          # fill every parameter's .grad
    clip_grad_norm(params, 1.0)
    optimizer.step()         # move the parameters
    optimizer.zero_grad()    # forget the gradients before the next backward

Every update writes the parameter's array in place (``p.sub_(step)``, as
``p.data -= step`` would). That keeps a float32 parameter float32 (the
step sizes are Python floats, which never widen an array), and it counts as a
new version of the array: a backward pass that still needs the old values
(``optimizer.step()`` between the forward pass and ``backward()``) raises
instead of returning a wrong gradient. Parameters whose ``grad`` is None
(not reached by the last backward pass) are left alone.
"""

import math

import numpy as np

from tensorgrad import checks
from tensorgrad.tensor import Tensor, no_grad


class Optimizer:
    """Holds the parameters; subclasses write ``update(i, p, g)`` for parameter i with gradient g (or their own ``step``)."""

    def __init__(self, params, lr):
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got no parameters to optimize")
        for p in self.params:
            if not (isinstance(p, Tensor) and p.requires_grad):
                raise TypeError(f"{name}: parameters must be Tensors with requires_grad=True, got {p!r:.60}")
        checks.positive(lr, name, "lr")
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
        checks.interval(momentum, 0, 1, "SGD", "momentum")
        self.momentum = float(momentum)
        self.velocity = [np.zeros(p.shape, p.dtype) for p in self.params]

    def update(self, i, p, g):
        if self.momentum:
            self.velocity[i] = self.momentum * self.velocity[i] + g
            g = self.velocity[i]
        p.sub_(self.lr * g)


class Adam(Optimizer):
    """Adam: a step along the running mean of g, scaled down by the running root mean square of g.

        m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
        m̂ = m / (1 − β₁ᵗ)            v̂ = v / (1 − β₂ᵗ)       (undo the zero start)
        p ← p − lr · m̂ / (√v̂ + eps)

    so every parameter moves by about lr per step, whatever its gradient's scale.

    Speed: the formula is a dozen NumPy calls, and on a small model's small
    arrays each call's fixed cost outweighs its arithmetic. So the moments of
    all parameters lie end to end in one flat array each (``self.m[i]`` and
    ``self.v[i]`` are views into them), and when every parameter has a
    gradient at the same step count (the usual case) the gradients are laid
    end to end too and the formula runs once for the whole model. Otherwise
    (a parameter without gradient, or of another dtype) each parameter is
    updated on its own, with the same arithmetic.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        name = type(self).__name__
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        checks.positive(eps, name, "eps")
        self.betas, self.eps = (float(betas[0]), float(betas[1])), float(eps)
        self.weight_decay = 0.0  # decoupled, as AdamW's: Adam is AdamW without decay
        self.steps = [0] * len(self.params)  # per parameter: one may miss a step (grad None)
        ends = np.cumsum([p.size for p in self.params])
        self.slices = [slice(end - p.size, end) for p, end in zip(self.params, ends)]
        dtypes = {p.dtype for p in self.params}
        self.flat_m = np.zeros(ends[-1], dtype=dtypes.pop()) if len(dtypes) == 1 else None
        self.flat_v = None if self.flat_m is None else np.zeros_like(self.flat_m)
        if self.flat_m is None:
            self.m = [np.zeros(p.shape, p.dtype) for p in self.params]
            self.v = [np.zeros(p.shape, p.dtype) for p in self.params]
        else:
            self.m = [self.flat_m[s].reshape(p.shape) for p, s in zip(self.params, self.slices)]
            self.v = [self.flat_v[s].reshape(p.shape) for p, s in zip(self.params, self.slices)]

    def step(self):
        with no_grad():
            stepped = [i for i, p in enumerate(self.params) if p.grad is not None]
            for i in stepped:
                self.steps[i] += 1
            if self.flat_m is not None and len(stepped) == len(self.params) and len(set(self.steps)) == 1:
                grads = np.concatenate([p.grad.ravel() for p in self.params])
                change = self.change(self.flat_m, self.flat_v, grads, self.steps[0])
                for p, s in zip(self.params, self.slices):
                    self.move(p, change[s].reshape(p.shape))
            else:
                for i in stepped:
                    p = self.params[i]
                    self.move(p, self.change(self.m[i], self.v[i], p.grad, self.steps[i]))

    def change(self, m, v, g, t):
        """Update the moments m and v in place from g; return lr · m̂ / (√v̂ + eps), the step at count t."""
        b1, b2 = self.betas
        # one scratch array holds the intermediates in turn: two new arrays in all, not a dozen
        scratch = np.multiply(g, 1 - b1, out=np.empty_like(m))
        m *= b1
        m += scratch
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        v *= b2
        v += scratch
        # the two bias corrections folded into plain numbers
        denominator = np.sqrt(v, out=scratch)
        denominator /= math.sqrt(1 - b2**t)
        denominator += self.eps
        return np.divide(np.multiply(m, self.lr / (1 - b1**t)), denominator, out=denominator)

    def move(self, p, change):
        """p ← p·(1 − lr·wd), the decoupled decay (none for Adam), then p ← p − change."""
        if self.weight_decay:
            p.mul_(1 - self.lr * self.weight_decay)
        p.sub_(change)  # in place, counted in p's version


class AdamW(Adam):
    """Adam with *decoupled* weight decay: p ← p − lr·wd·p, then the Adam step (§11).

    The decay shrinks the weights directly instead of adding wd·p to the
    gradient, where Adam's scaling would weaken it for parameters with large
    gradients. So even with a zero gradient the weights shrink by lr·wd·p.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps)
        checks.non_negative(weight_decay, "AdamW", "weight_decay")
        self.weight_decay = float(weight_decay)


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so their global L2 norm is at most ``max_norm``; return the norm before.

    The norm is √(Σ g²) over every entry of every gradient (§11): one length
    for the whole update, so clipping shrinks its size but keeps its direction.
    """
    checks.positive(max_norm, "clip_grad_norm", "max_norm")
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(math.fsum(float(np.sum(np.square(p.grad, dtype=np.float64))) for p in params))
    if total > max_norm:
        scale = max_norm / total  # a Python float: float32 gradients stay float32
        for p in params:
            p.grad = p.grad * scale
    return total
