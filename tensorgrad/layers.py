"""Layers as functions (§12): the affine map ``linear``, ``layer_norm`` and ``dropout``.

``linear`` and ``layer_norm`` are fused ops (one ``Function`` each, forward
beside a closed-form backward): the same arithmetic as a graph of small ops,
with less bookkeeping for the most common layers of all. As in PyTorch, the
lowercase function is what a learner calls (also as ``F.linear``, …); it
checks its input once (``tensorgrad.checks``) and calls the op's ``apply``,
which trusts what it gets. The ops behind ``nn.Linear`` and ``nn.LayerNorm``
are ``LinearOp`` and ``LayerNormOp``, so that one name means one thing.
"""

import functools
import math

import numpy as np

from tensorgrad import checks
from tensorgrad.tensor import Function


# ---- a layer's affine map (§12) ------------------------------------------------------------
class LinearOp(Function):
    """x @ W + b in one op (W has shape (in, out)). VJP: g @ Wᵀ, xᵀ @ g, Σ g over the rows.

    One node instead of a matmul and an add: the same arithmetic, half the
    bookkeeping for the most common layer of all.
    """

    name, symbol = "linear", "xW+b"

    @staticmethod
    def forward(ctx, x, weight, *bias):
        ctx.save_for_backward(x, weight)
        # (..., in) as one (rows, in) matrix: one big product, not one per leading index
        out = (x.reshape(-1, x.shape[-1]) @ weight).reshape(*x.shape[:-1], weight.shape[1])
        return _plus(out, bias[0]) if bias else out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved
        needs = ctx.needs_input_grad
        rows = g.reshape(-1, g.shape[-1])  # every batch position is one more row
        grad_x = (rows @ weight.T).reshape(x.shape) if needs[0] else None
        grad_weight = x.reshape(-1, x.shape[-1]).T @ rows if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        return grad_x, grad_weight, np.add.reduce(rows, axis=0) if needs[2] else None


def linear(x, weight, bias=None):
    """x @ weight + bias, as one fused op (what ``nn.Linear`` computes)."""
    x = checks.float_tensor(x, "linear")
    if len(weight.shape) != 2:
        raise ValueError(f"linear: weight must have shape (in, out), got {weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}")
    if bias is not None and bias.shape != weight.shape[1:]:  # another shape might broadcast here, not in backward
        raise ValueError(f"linear: bias of shape {bias.shape} must have shape {weight.shape[1:]}, one entry per output")
    return LinearOp.apply(x, weight) if bias is None else LinearOp.apply(x, weight, bias)


# ---- layers: layer norm and dropout --------------------------------------------------------------
class LayerNormOp(Function):
    """x̂ = (x − mean) / √(var + eps) over the last axis, then x̂·weight + bias, in one op.

    VJP with d = g·weight: dx = (d − mean(d) − x̂·mean(d·x̂)) / √(var + eps),
    dweight = Σ g·x̂, dbias = Σ g, both summed over the rows.
    """

    name, symbol = "layer_norm", "LN"

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        normed = x - _row_mean(x)  # centred now, normalised in place below
        inv_std = _inverse_std(normed, eps)
        normed *= inv_std
        ctx.save_for_backward(weight)
        ctx.normed, ctx.inv_std = normed, inv_std
        return _plus(normed * weight, bias)

    @staticmethod
    def backward(ctx, g):
        (weight,) = ctx.saved
        normed = ctx.normed
        d = g * weight
        dx = d - _row_mean(d)
        d *= normed  # d is this op's own array: reused for d·x̂, then for x̂·mean(d·x̂)
        np.multiply(normed, _row_mean(d), out=d)
        dx -= d
        dx *= ctx.inv_std
        rows = g.reshape(-1, g.shape[-1])  # every position is one more row; weight and bias served them all
        return dx, np.add.reduce(rows * normed.reshape(rows.shape), axis=0), np.add.reduce(rows, axis=0)


def _inverse_std(centred, eps):
    """1 / √(var + eps) per row, var = mean(centred²); rows whose squares overflow are first scaled down.

    At |x − mean| ≈ 1e160 (float64) or 1e20 (float32) the squares overflow to inf, and 1/√inf = 0 would zero
    the whole output, where the true x̂ is of order 1. Such a row is divided by its largest |entry| s first,
    as np.hypot does: var + eps = s²·(mean((centred/s)²) + eps/s²), so 1/√(var + eps) is (1/s)/√(…).
    """
    with np.errstate(over="ignore"):
        var = _row_mean(centred * centred)
    if np.isfinite(var).all():  # the fast path: every row's squares fit
        return 1 / np.sqrt(var + eps)
    rows = ~np.isfinite(var[..., 0])
    big = centred[rows]
    scale = np.abs(big).max(axis=-1, keepdims=True)
    if not np.isfinite(scale).all():
        raise OverflowError(f"layer_norm: x − mean(x) overflows {centred.dtype} in a row of input shape "
                            f"{centred.shape}: its entries lie further apart than a float can span")
    scaled = big / scale
    inv_std = 1 / np.sqrt(var + eps)  # 0 on the overflowed rows, replaced now
    inv_std[rows] = 1 / scale / np.sqrt(_row_mean(scaled * scaled) + eps / scale / scale)
    return inv_std


def _plus(owned, other):
    """owned + other, into ``owned`` (a fresh array of this op's) if that keeps its shape and dtype."""
    if other.dtype == owned.dtype and other.shape == owned.shape[owned.ndim - other.ndim :]:
        owned += other
        return owned
    return owned + other


def _row_mean(a):
    """The mean over the last axis, as a column: a product with (1/n, …, 1/n), 4-5x faster than a row sum."""
    return (a @ _averaging_vector(a.shape[-1], a.dtype))[..., None]


@functools.cache
def _averaging_vector(n, dtype):
    """(1/n, …, 1/n) of ``dtype``, made once per width and shared (read-only)."""
    vector = np.full(n, 1 / n, dtype=dtype)
    vector.flags.writeable = False
    return vector


def layer_norm(x, weight, bias, eps=1e-5):
    """Normalise each row (last axis) to mean 0 and variance 1, then scale by weight and shift by bias."""
    x, weight, bias = (checks.float_tensor(t, "layer_norm") for t in (x, weight, bias))
    if x.ndim == 0 or weight.shape != x.shape[-1:] or bias.shape != x.shape[-1:]:
        raise ValueError(f"layer_norm: input of shape {x.shape} needs weight and bias of shape {x.shape[-1:]}, "
                         f"got {weight.shape} and {bias.shape}")
    checks.interval(eps, 0, math.inf, "layer_norm", "eps", "()")  # inf: the output would be the bias alone
    if x.dtype.type(eps) == 0:  # var + eps is computed in x's dtype: a row of equal entries would give 0 · ∞
        raise ValueError(f"layer_norm: eps={eps:g} is 0 in {x.dtype}, the input's dtype, so a row of equal entries "
                         f"would be NaN; use an eps of at least {np.finfo(x.dtype).smallest_subnormal:.3g}")
    return LayerNormOp.apply(x, weight, bias, eps=float(eps))


def dropout(x, p=0.5, training=True, rng=None):
    """Inverted dropout: zero each entry with probability p and scale the rest by 1/(1 − p).

    The scaling keeps every entry's expected value unchanged, so nothing needs
    rescaling at evaluation time: with ``training=False`` or ``p=0`` this is
    the identity. ``rng`` is a NumPy Generator (``np.random.default_rng(seed)``)
    that draws the masks; there is no global random state.
    """
    x = checks.float_tensor(x, "dropout")
    checks.interval(p, 0, 1, "dropout", "p")
    if not training or p == 0:
        return x
    checks.generator(rng, "dropout")
    kept = rng.random(x.shape) >= p
    return x * (kept / (1 - p))
