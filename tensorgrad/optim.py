"""Optimizers: turn each parameter's gradient into a step downhill (§10, §11).

    loss.backward()          # fill every parameter's .grad
    clip_grad_norm(params, 1.0)
    optimizer.step()         # move the parameters
    optimizer.zero_grad()    # forget the gradients before the next backward

Every update writes the parameter's array in place (``p.copy_(new)``, as
``p.data[...] = new`` would). That keeps a float32 parameter float32 (the
step sizes are Python floats, which never widen an array), and it counts as a
new version of the array: a backward pass that still needs the old values
(``optimizer.step()`` between the forward pass and ``backward()``) raises
instead of returning a wrong gradient. Parameters whose ``grad`` is None
(not reached by the last backward pass) are left alone.

A step never writes a NaN or an infinity into a weight (§10: a learning rate
too large makes training diverge). Before anything is written, each
optimizer refuses a gradient that is not finite (or, set by hand, not of its
parameter's shape) and a step that would make a weight non-finite, naming
the parameter: by its name if the optimizer was
given ``model.named_parameters()`` (as PyTorch's optimizers accept), else by
its index and shape. On refusal every parameter keeps its value.
"""

import math

import numpy as np

from tensorgrad import checks
from tensorgrad.autograd import all_finite
from tensorgrad.tensor import Tensor


class Optimizer:
    """Holds the parameters (Tensors, or (name, Tensor) pairs as ``named_parameters()`` gives); subclasses
    write ``step``, checking with ``refuse_non_finite`` before they write anything."""

    def __init__(self, params, lr):
        self.params, self.names = [], []
        for item in params:
            named = isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            name, p = item if named else (None, item)
            self.params.append(p)
            self.names.append(name)
        where = type(self).__name__
        if not self.params:
            raise ValueError(f"{where}: got no parameters to optimize")
        for p in self.params:
            if not (isinstance(p, Tensor) and p.requires_grad):
                raise TypeError(f"{where}: parameters must be Tensors with requires_grad=True, got {p!r:.60}")
        checks.positive(lr, where, "lr")
        if lr == math.inf:
            raise ValueError(f"{where}: lr must be finite, got inf (a step of infinite size)")
        self.lr = lr

    @property
    def lr(self):
        """The learning rate. A schedule may change it between steps, down to 0 (no step), and it is checked then
        as well: a negative lr would climb the loss in silence."""
        return self._lr

    @lr.setter
    def lr(self, value):
        checks.interval(value, 0, math.inf, type(self).__name__, "lr")
        self._lr = float(value)

    def step(self):
        raise NotImplementedError

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def gradients(self):
        """{index: gradient} for the parameters that have one (None: not reached by the last backward pass), each
        an array of its parameter's dtype. A gradient set by hand of another shape (it would broadcast into a wrong
        step) is refused, and so is one too large for its parameter's dtype (a float64 1e39 for a float32
        parameter would become inf); no parameter is changed then."""
        grads = {}
        for i, p in enumerate(self.params):
            g, data = p.grad, p._data
            if g is None:
                continue
            if type(g) is np.ndarray and g.dtype is data.dtype and g.shape == data.shape:  # as backward left it
                grads[i] = g
                continue
            g = checks.array(g)  # an array as it is; a list or a Tensor set by hand as an array
            if g.shape != p.shape:
                raise ValueError(f"{type(self).__name__}: the gradient of {self.describe(i)} has shape "
                                 f"{g.shape}; a gradient has its parameter's shape. No parameter was changed")
            if g.dtype != p.dtype:
                g = checks.narrowed(g, p.dtype, type(self).__name__, f"the gradient of {self.describe(i)}")
            grads[i] = g
        return grads

    def describe(self, i):
        """Parameter i as an error names it: by name if known (else by its label, if any), by index and shape always."""
        p, name = self.params[i], self.names[i]
        if name is not None:
            return f"{name!r} (parameter {i}, shape {p.shape})"
        label = "" if p.label is None else f" (labelled {p.label!r})"
        return f"parameter {i}{label} of shape {p.shape}"

    def locate(self, entry, i=None):
        """(parameter, its index) of ``entry`` of parameter i's flattened array, or with i None of a flat buffer
        holding every parameter end to end."""
        if i is None:
            ends = np.cumsum([p.size for p in self.params])
            i = int(np.searchsorted(ends, entry, side="right"))
            entry -= int(ends[i]) - self.params[i].size
        return i, tuple(int(k) for k in np.unravel_index(entry, self.params[i].shape))

    def refuse_non_finite(self, array, what, i=None):
        """Refuse if ``array`` holds NaN or an infinity: parameter i's ``what`` ("gradient", or the "weight" a step
        would give it), or with i None a flat buffer of every parameter's, end to end. One dot product in
        the usual case (``autograd.all_finite``)."""
        if all_finite(array):
            return
        entry = int(np.flatnonzero(~np.isfinite(array.ravel()))[0])
        value = array.ravel()[entry]
        i, index = self.locate(entry, i)
        p, where = self.params[i], type(self).__name__
        if what == "gradient":
            raise FloatingPointError(
                f"{where}: the gradient of {self.describe(i)} is {value} at index {index}; no parameter was "
                "changed. Rerun the forward and backward pass under tensorgrad.detect_anomaly() to find the op "
                "that made it"
            )
        raise FloatingPointError(
            f"{where}: this step would make {self.describe(i)} {value} at index {index} (it is "
            f"{p.data[index]:.6g}, its gradient {checks.array(p.grad)[index]:.6g}); no parameter was changed. The learning "
            f"rate (lr={self.lr:g}) is too large, or training has diverged"
        )


class SGD(Optimizer):
    """p ← p − lr·v with velocity v ← momentum·v + g (PyTorch's form; momentum 0 gives p ← p − lr·g)."""

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, lr)
        checks.interval(momentum, 0, 1, "SGD", "momentum")
        self.momentum = float(momentum)
        self.velocity = [np.zeros(p.shape, p.dtype) for p in self.params]

    def step(self):
        """Every new weight and velocity computed and checked first, then all written (or none)."""
        grads = self.gradients()
        for i, g in grads.items():
            self.refuse_non_finite(g, "gradient", i)
        moves = []
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here is refused just below
            for i, g in grads.items():
                p = self.params[i]
                velocity = self.momentum * self.velocity[i] + g if self.momentum else g
                moves.append((i, velocity, p._data - self.lr * velocity))
        for i, _, weight in moves:
            self.refuse_non_finite(weight, "weight", i)
        for i, velocity, weight in moves:
            if self.momentum:
                self.velocity[i] = velocity
            self.params[i].copy_(weight, finite=True)  # in place, counted in its version


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
    updated on its own, with the same arithmetic. A step writes the new
    moments into a second pair of flat arrays, which become the moments only
    once the step is accepted: a refused step changes nothing. (So after a
    whole-model step ``self.m`` is another list of views: read it afresh.)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr)
        name = type(self).__name__
        if not all(0 <= b < 1 for b in betas) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        checks.interval(eps, 0, math.inf, name, "eps", "()")  # inf: every step 0
        self.betas, self.eps = (float(betas[0]), float(betas[1])), float(eps)
        # A gradient whose square underflows leaves v = 0, and its step is lr·m̂/eps: at most about lr only if eps is
        # at least the smallest √v the moments can hold (1.2e-21 in float32, 7e-161 in float64, with β₂ = 0.999).
        dtype = min((p.dtype for p in self.params), key=lambda d: d.itemsize)
        smallest_root = math.sqrt(float(np.finfo(dtype).smallest_subnormal) / (1 - self.betas[1]))
        if self.eps < smallest_root:
            raise ValueError(f"{name}: eps={eps:g} is below {smallest_root:.3g}, the smallest √v that {dtype} moments "
                             f"hold with β₂={self.betas[1]:g}: a gradient whose square underflows (v = 0) would be "
                             "divided by eps alone, and its weight would move by far more than lr")
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
            self.m = self.shaped(self.flat_m)
            self.v = self.shaped(self.flat_v)
            self.next_m, self.next_v = np.zeros_like(self.flat_m), np.zeros_like(self.flat_m)
            self.next_m_views, self.next_v_views = self.shaped(self.next_m), self.shaped(self.next_v)
            # where each step lays the gradients and the new weights end to end, made once
            self.flat_g, self.flat_w = np.empty_like(self.flat_m), np.empty_like(self.flat_m)
            self.new_weights = self.shaped(self.flat_w)

    def shaped(self, flat):
        """Views into a flat buffer, one per parameter, of its shape."""
        return [flat[s].reshape(p.shape) for p, s in zip(self.params, self.slices)]

    def step(self):
        """Gradients checked, the new weights computed and checked, then all written (or none).

        A gradient entry of √(largest float) or more is refused too: its square would overflow v. The new
        moments are kept aside until the new weights pass, so a refused step leaves the moments as they were.
        """
        grads = self.gradients()
        counts = list(self.steps)
        if self.flat_m is not None and len(grads) == len(self.params) and len(set(self.steps)) == 1:
            flat = np.concatenate([g.ravel() for g in grads.values()], out=self.flat_g)  # one check, one update
            self.refuse_large(flat)
            weights = np.concatenate([p._data.ravel() for p in self.params], out=self.flat_w)
            self.steps = [t + 1 for t in counts]
            change = self.change(self.flat_m, self.flat_v, flat, self.steps[0], self.next_m, self.next_v)
            moves = [(None, self.moved(weights, change), self.next_m, self.next_v)]
        else:
            for i, g in grads.items():
                self.refuse_large(g, i)
            moves = []
            for i, g in grads.items():
                p, m, v = self.params[i], np.empty_like(self.m[i]), np.empty_like(self.v[i])
                self.steps[i] += 1
                change = self.change(self.m[i], self.v[i], g, self.steps[i], m, v)
                moves.append((i, self.moved(p._data.copy(), change), m, v))
        for i, weights, _, _ in moves:
            try:
                self.refuse_non_finite(weights, "weight", i)
            except FloatingPointError:
                self.steps = counts
                raise
        for i, weights, m, v in moves:
            if i is not None:
                self.params[i].copy_(weights, finite=True)
                self.m[i][...], self.v[i][...] = m, v
            else:  # weights is flat_w, seen parameter by parameter through new_weights
                for p, new in zip(self.params, self.new_weights):
                    p.copy_(new, finite=True)
                # the new moments become the moments, and the old ones the space for the next step's
                self.flat_m, self.next_m, self.m, self.next_m_views = self.next_m, self.flat_m, self.next_m_views, self.m
                self.flat_v, self.next_v, self.v, self.next_v_views = self.next_v, self.flat_v, self.next_v_views, self.v

    def refuse_large(self, g, i=None):
        """Refuse a gradient (parameter i's, or with i None the flat buffer of all) that is not finite or whose
        square would overflow. The usual case costs one dot product: Σg² is finite only if every g² is."""
        limit = math.sqrt(np.finfo(g.dtype).max)
        if math.isfinite(np.vdot(g, g)) or (-limit < g.min() and g.max() < limit):
            return
        self.refuse_non_finite(g, "gradient", i)
        entry = int(np.flatnonzero(np.abs(g.ravel()) >= limit)[0])
        value = g.ravel()[entry]
        i, index = self.locate(entry, i)
        raise FloatingPointError(
            f"{type(self).__name__}: the gradient of {self.describe(i)} is {value:.3g} at index {index}, whose "
            f"square overflows {g.dtype} in the running mean of g²; no parameter was changed. Clip the gradients "
            "(clip_grad_norm) or lower the learning rate"
        )

    def moved(self, weights, change):
        """weights·(1 − lr·wd), the decoupled decay (none for Adam), then − change: in place."""
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused before anything is written
            if self.weight_decay:
                weights *= 1 - self.lr * self.weight_decay
            weights -= change
        return weights

    def change(self, m, v, g, t, new_m, new_v):
        """The moments m and v updated from g, written into new_m and new_v; return lr · m̂ / (√v̂ + eps),
        the step at count t."""
        b1, b2 = self.betas
        # one scratch array holds the intermediates in turn: two new arrays in all, not a dozen
        scratch = np.multiply(g, 1 - b1, out=np.empty_like(m))
        np.multiply(m, b1, out=new_m)
        new_m += scratch
        np.multiply(g, g, out=scratch)
        scratch *= 1 - b2
        np.multiply(v, b2, out=new_v)
        new_v += scratch
        # the two bias corrections folded into plain numbers
        denominator = np.sqrt(new_v, out=scratch)
        denominator /= math.sqrt(1 - b2**t)
        denominator += self.eps
        with np.errstate(over="ignore"):  # a step too large to hold is refused before anything is written
            return np.divide(np.multiply(new_m, self.lr / (1 - b1**t)), denominator, out=denominator)


class AdamW(Adam):
    """Adam with *decoupled* weight decay: p ← p − lr·wd·p, then the Adam step (§11).

    The decay shrinks the weights directly instead of adding wd·p to the
    gradient, where Adam's scaling would weaken it for parameters with large
    gradients. So even with a zero gradient the weights shrink by lr·wd·p.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps)
        checks.interval(weight_decay, 0, math.inf, "AdamW", "weight_decay")  # inf would blame lr, a step later
        self.weight_decay = float(weight_decay)


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so their global L2 norm is at most ``max_norm``; return the norm before.

    The norm is √(Σ g²) over every entry of every gradient (§11): one length
    for the whole update, so clipping shrinks its size but keeps its direction.
    A parameter listed twice (a layer shared by two models) counts once, and
    is scaled once. A norm beyond the largest float is returned as inf (IEEE's
    rounding of an overflow), and the gradients are still scaled exactly.
    """
    checks.positive(max_norm, "clip_grad_norm", "max_norm")
    params = list({id(p): p for p in params if p.grad is not None}.values())
    grads = [checks.array(p.grad) for p in params]  # a list or a Tensor set by hand, as an array
    top, root = _global_norm(grads)
    total = top * root  # inf if the norm is beyond the largest float
    if total > max_norm:
        scale = max_norm / top / root  # a Python float: float32 gradients stay float32
        for p, g in zip(params, grads):
            p.grad = g * scale
    return total


def _global_norm(grads):
    """(s, ρ) with √(Σ g²) = s·ρ over every entry, in float64; a NaN or infinity is an error (its norm has no
    value). Usually s = 1; when the squares are too large for a float64 (entries beyond 1e154), s is the largest
    |entry| and ρ the norm of the gradients divided by it."""
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        squares = math.fsum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads)
    if math.isfinite(squares):
        return 1.0, math.sqrt(squares)
    for i, g in enumerate(grads):
        if not np.isfinite(g).all():
            index = checks.first_index(~np.isfinite(g))
            raise FloatingPointError(f"clip_grad_norm: the gradient of parameter {i} (shape {g.shape}) is {g[index]} "
                                     f"at index {index}, so the norm has no value; nothing was scaled")
    top = max(float(np.max(np.abs(g))) for g in grads if g.size)
    return top, math.sqrt(math.fsum(float(np.sum(np.square(g / top, dtype=np.float64))) for g in grads))
