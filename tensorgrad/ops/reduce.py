"""Reductions over axes: sum, mean, max, min, var, logsumexp.

Each output entry gathers many input entries, so its gradient is sent back to
all of them: ``expand`` puts the reduced axes back (as length 1) and
broadcasting copies the gradient along them.
"""

import numpy as np

from tensorgrad.function import Function, Node


def normalize_axes(axis, ndim, name):
    """``axis`` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            raise ValueError(f"{name}: axis {ax!r} is out of range for a tensor with {ndim} dimension(s)")
        result.append(int(ax) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def expand(g, ctx):
    """Put the reduced axes back as length-1 axes, so ``g`` broadcasts against the input."""
    return g if ctx.keepdims else g.reshape(tuple(1 if i in ctx.axes else n for i, n in enumerate(ctx.shape)))


def broadcast_to(g, shape):
    """np.broadcast_to on arrays, the broadcast_to op on Tensors."""
    return g.broadcast_to(shape) if isinstance(g, Node) else np.broadcast_to(g, shape)


class _Reduction(Function):
    """Shared forward bookkeeping: the axes reduced and whether they were kept."""

    differentiable_backward = True
    empty_ok = False  # only a sum of nothing has a value (0); a mean, max or logsumexp of nothing has none

    @classmethod
    def prepare(cls, ctx, a, axis, keepdims):
        ctx.axes = normalize_axes(axis, a.ndim, cls.name)
        ctx.keepdims = keepdims
        ctx.shape = a.shape
        if not cls.empty_ok and any(a.shape[ax] == 0 for ax in ctx.axes):
            raise ValueError(f"{cls.name}: cannot reduce over an empty axis (shape {a.shape})")
        return ctx.axes


class Sum(_Reduction):
    name, symbol = "sum", "Σ"
    empty_ok = True

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        return a.sum(axis=cls.prepare(ctx, a, axis, keepdims), keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        return (broadcast_to(expand(g, ctx), ctx.shape),)


class Mean(_Reduction):
    name, symbol = "mean", "mean"

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        axes = cls.prepare(ctx, a, axis, keepdims)
        ctx.count = int(np.prod([a.shape[ax] for ax in axes]))
        return careful_mean(a, axes, keepdims)

    @staticmethod
    def backward(ctx, g):
        return (broadcast_to(expand(g, ctx) / ctx.count, ctx.shape),)


class _Extreme(_Reduction):
    """max or min: the gradient goes to the winning entries, shared equally at a tie."""

    pick = None

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        axes = cls.prepare(ctx, a, axis, keepdims)  # refuses an empty axis to reduce: a max of nothing has no value
        out = cls.pick(a, axis=axes, keepdims=True)
        ctx.winners = a == out
        return out if keepdims else np.squeeze(out, axis=axes)

    @staticmethod
    def backward(ctx, g):
        winners = ctx.winners
        count = winners.sum(axis=ctx.axes, keepdims=True).astype(g.dtype)
        share = expand(g, ctx) / count
        return (share * winners,)


class Max(_Extreme):
    name, symbol = "max", "max"
    pick = staticmethod(np.max)


class Min(_Extreme):
    name, symbol = "min", "min"
    pick = staticmethod(np.min)


class Var(_Reduction):
    """Mean squared distance from the mean (§2), NumPy's convention: divide by N − ddof."""

    name, symbol = "var", "var"

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False, ddof=0):
        axes = cls.prepare(ctx, a, axis, keepdims)
        count = int(np.prod([a.shape[ax] for ax in axes]))
        if count - ddof <= 0:
            raise ValueError(f"var: {count} value(s) with ddof={ddof} leave no degrees of freedom")
        ctx.save_for_backward(a)
        ctx.divisor = count - ddof
        centered = a - careful_mean(a, axes, keepdims=True)
        with np.errstate(over="ignore"):
            out = (centered * centered).sum(axis=axes, keepdims=keepdims) / ctx.divisor
        if np.isfinite(out).all() or not np.isfinite(centered).all():  # −inf in, say: reported by the caller
            return out
        return _scaled_var(centered, axes, keepdims, ctx.divisor)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        centered = a - careful_mean(a, ctx.axes, keepdims=True)
        return (expand(g, ctx) * (2 / ctx.divisor) * centered,)


def careful_mean(a, axes, keepdims):
    """The mean over ``axes``; where the plain sum overflows (1e308 + 1e308) each entry is divided by the
    count first, so the mean of finite numbers is finite: Σ aᵢ/n never exceeds the largest |aᵢ|."""
    if isinstance(a, Node):  # a backward building a graph (create_graph=True): the Tensor op
        return a.mean(axis=axes, keepdims=keepdims)
    with np.errstate(over="ignore"):
        out = a.mean(axis=axes, keepdims=keepdims)
    if np.isfinite(out).all() or not np.isfinite(a).all():
        return out
    return (a / int(np.prod([a.shape[ax] for ax in axes]))).sum(axis=axes, keepdims=keepdims)


def _scaled_var(centered, axes, keepdims, divisor):
    """Σ c² / divisor where c² overflows: each group divided by its largest |c| = s first, as np.hypot does,
    then s·(Σ (c/s)² / divisor)·s. Still infinite means the variance itself is too large for a float."""
    scale = np.abs(centered).max(axis=axes, keepdims=True)
    scale[scale == 0] = 1  # a group of equal entries: variance 0, nothing to scale
    shrunk = centered / scale
    with np.errstate(over="ignore"):
        out = scale * ((shrunk * shrunk).sum(axis=axes, keepdims=True) / divisor) * scale
    if not np.isfinite(out).all():
        raise OverflowError(f"var: the variance overflows {out.dtype} (input shape {centered.shape}, "
                            f"largest distance from the mean {np.abs(centered).max():g})")
    return out if keepdims else np.squeeze(out, axis=axes)


class LogSumExp(_Reduction):
    """log Σ eˣ, computed as m + log Σ e^(x−m) with m the max: no overflow (§4)."""

    name, symbol = "logsumexp", "lse"

    @classmethod
    def forward(cls, ctx, a, axis=None, keepdims=False):
        axes = cls.prepare(ctx, a, axis, keepdims)
        top = a.max(axis=axes, keepdims=True)
        exps = np.exp(a - top)
        total = exps.sum(axis=axes, keepdims=True)
        ctx.softmax = exps / total  # d lse / dx is softmax(x)
        out = top + np.log(total)
        out = out if keepdims else np.squeeze(out, axis=axes)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Node):  # create_graph: softmax(a) again, as a graph of Tensors
            a, out = ctx.saved
            return (expand(g, ctx) * (a - expand(out, ctx)).exp(),)
        return (expand(g, ctx) * ctx.softmax,)
