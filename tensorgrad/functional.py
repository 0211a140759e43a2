"""Functions of whole distributions and layers, on tensors: scalargrad.functional's twins.

softmax (§4, §6), log_softmax (§5), cross_entropy and nll_loss (§9),
entropy (§8), kl_divergence (§15), the L1/L2 penalties (§11), and two layer
helpers, layer_norm and dropout. Names follow PyTorch's
``torch.nn.functional``; the class axis is ``axis`` (NumPy's word for
PyTorch's ``dim``) and defaults to the last one.

Stability: e^z overflows for z > 709 (float64) or z > 88 (float32), and a
probability can underflow to 0. Every softmax-type function subtracts the
largest logit first: the result is unchanged (the common factor e^-max
cancels in the ratio) but every exponent is ≤ 0. Log-probabilities come from
``log_softmax`` directly (z − max − log Σ e^(z−max)), never from log(softmax),
so they stay finite even where the probability itself underflows to 0.

softmax, log_softmax, cross_entropy, linear and layer_norm are fused ops
(one ``Function`` each, forward beside a closed-form backward): composed from
small ops their graphs would be long, and slower to walk. The rest are built
from the engine's ops, so their gradients come for free. As in PyTorch, the
lowercase function (``linear``, ``layer_norm``) is what a learner calls; it
checks its input once (``tensorgrad.checks``) and calls the op's ``apply``,
which trusts what it gets. The ops behind ``nn.Linear`` and ``nn.LayerNorm``
are ``LinearOp`` and ``LayerNormOp``, so that one name means one thing.
"""

import math

import numpy as np

from tensorgrad import checks
from tensorgrad.ops import Where
from tensorgrad.tensor import Function

REDUCTIONS = ("mean", "sum", "none")


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
    if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}")
    return LinearOp.apply(x, weight) if bias is None else LinearOp.apply(x, weight, bias)


# ---- softmax family (§4–§6) --------------------------------------------------------------
class Softmax(Function):
    """sᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T) along ``axis``. VJP: s ⊙ (g − Σⱼ gⱼsⱼ) / T."""

    name, symbol = "softmax", "softmax"

    @staticmethod
    def forward(ctx, z, axis, temperature):
        out = z - z.max(axis=axis, keepdims=True)  # one array of this op's, turned in place into the result
        out /= temperature
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis, ctx.temperature = axis, temperature
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved
        grad = g - (g * s).sum(axis=ctx.axis, keepdims=True)
        grad *= s
        grad /= ctx.temperature
        return (grad,)


class LogSoftmax(Function):
    """log sᵢ = zᵢ − log Σⱼ e^zⱼ along ``axis``. VJP: g − softmax(z) · Σⱼ gⱼ."""

    name, symbol = "log_softmax", "logsoftmax"

    @staticmethod
    def forward(ctx, z, axis):
        out = log_softmax_array(z, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return (g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True),)


def log_softmax_array(z, axis=-1):
    """log_softmax of a plain NumPy array, no graph: z − max − log Σ e^(z − max).

    Every exponent is ≤ 0 and the largest term is e⁰ = 1. Entries of −inf (a
    token cut by top-k or top-p) come out as −inf, which a Tensor could not hold.
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x, axis=-1, temperature=1.0):
    """e^(zᵢ/T) / Σⱼ e^(zⱼ/T) along ``axis``: logits to probabilities (§4), T the temperature (§6)."""
    x = checks.float_tensor(x, "softmax")
    checks.positive(temperature, "softmax", "temperature")
    return Softmax.apply(x, axis=checks.distribution_axis(x, axis, "softmax"), temperature=float(temperature))


def log_softmax(x, axis=-1):
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^zⱼ, computed without forming tiny probabilities (§5)."""
    x = checks.float_tensor(x, "log_softmax")
    return LogSoftmax.apply(x, axis=checks.distribution_axis(x, axis, "log_softmax"))


# ---- losses (§9) --------------------------------------------------------------------------------
class CrossEntropy(Function):
    """−log softmax(z)[target] for every row, then a reduction, in one op.

    VJP: (softmax(z) − onehot(target)) · g per row, divided by the number of
    counted targets for the mean; ignored rows get 0. The one-hot matrix is
    never built: 1 is subtracted at each row's target.
    """

    name, symbol = "cross_entropy", "CE"

    @staticmethod
    def forward(ctx, logits, targets, keep, reduction):
        shifted = logits - logits.max(axis=-1, keepdims=True)  # every exponent ≤ 0
        picked = shifted[_at_targets(targets)]
        probs = np.exp(shifted, out=shifted)  # one (…, C) array, turned in place into e^z, then into softmax
        totals = probs.sum(axis=-1, keepdims=True)
        losses = np.log(totals[..., 0]) - picked  # log Σ e^z − z_target, the max cancelling
        if keep is not None:
            losses = np.where(keep, losses, 0)
        if not np.isfinite(losses).all():
            row = checks.first_index(~np.isfinite(losses))
            raise OverflowError(f"cross_entropy: the loss of row {row} is {losses[row]}: its target's logit lies "
                                "further below the row's largest than a float can span")
        probs /= totals
        ctx.probs = probs
        ctx.targets, ctx.keep, ctx.reduction = targets, keep, reduction
        return _reduce(losses, keep, reduction)

    @staticmethod
    def backward(ctx, g):
        weight = g if ctx.keep is None else g * ctx.keep  # per row: 0 where the target is ignored
        if ctx.reduction == "mean":
            weight = weight / _count(ctx.targets, ctx.keep)
        grad = ctx.probs * weight[..., None]
        grad[_at_targets(ctx.targets)] -= weight  # in place, whatever the memory layout of grad
        return (grad,)


def _at_targets(targets):
    """The index of every row's target entry: grad[_at_targets(t)] is one entry per row, for any layout."""
    return (*np.indices(targets.shape, sparse=True), targets)


def _count(targets, keep):
    """How many targets count: all of them, or those not ignored."""
    return targets.size if keep is None else int(keep.sum())


def _reduce(losses, keep, reduction):
    """One loss per row → the requested summary (an array, as every op returns)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    return np.asarray(total / _count(losses, keep) if reduction == "mean" else total)


def cross_entropy(logits, targets, ignore_index=None, reduction="mean"):
    """−log softmax(z)[target]: the loss for the correct class of each row (§9).

    ``logits`` has shape (..., C), ``targets`` integer classes of shape (...).
    Rows whose target equals ``ignore_index`` (e.g. padding) contribute 0 and
    are not counted. ``reduction``: "mean" over the counted rows, "sum", or
    "none" (one loss per row). A mean over no counted rows would be 0/0, so
    it raises ValueError; "sum" gives 0 there.
    """
    logits = checks.float_tensor(logits, "cross_entropy")
    targets, keep = _check_targets("cross_entropy", "logits", logits, targets, ignore_index, reduction)
    return CrossEntropy.apply(logits, targets=targets, keep=keep, reduction=reduction)


def nll_loss(log_probs, targets, ignore_index=None, reduction="mean"):
    """−log_probs[target] per row: cross_entropy(z, t) is nll_loss(log_softmax(z), t) (§9).

    Same arguments as ``cross_entropy``, but the rows are log-probabilities
    already. Built from the engine's ops (a gather, a mask, a sum).
    """
    log_probs = checks.float_tensor(log_probs, "nll_loss")
    targets, keep = _check_targets("nll_loss", "log_probs", log_probs, targets, ignore_index, reduction)
    losses = -log_probs.take_along_axis(targets[..., None], axis=-1).reshape(targets.shape)
    if keep is not None:
        losses = losses * keep
    if reduction == "none":
        return losses
    return losses.sum() / _count(targets, keep) if reduction == "mean" else losses.sum()


def _check_targets(where, what, logits, targets, ignore_index, reduction):
    """Integer targets of shape logits.shape[:-1], in range: (targets with ignored rows set to 0, mask)."""
    checks.choice(reduction, REDUCTIONS, where, "reduction")
    if logits.ndim == 0:
        raise ValueError(f"{where}: {what} need a class axis, got shape {logits.shape}")
    targets = checks.integers(targets, where, "targets", "integer class indices (convert with .astype(int))")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"{where}: {what} of shape {logits.shape} need targets of shape {logits.shape[:-1]}, "
                         f"got targets of shape {targets.shape}")
    checks.in_range(targets, logits.shape[-1], where, "targets", ignore=ignore_index)
    keep = None if ignore_index is None else targets != ignore_index  # None: every target counts
    if reduction == "mean" and _count(targets, keep) == 0:
        raise ValueError(f"{where}: reduction='mean' needs at least one target that is not ignore_index={ignore_index} "
                         f"(got {targets.size} target(s), none counted), and 0/0 has no value; "
                         "use reduction='sum' (which gives 0) or skip this batch")
    return (targets if keep is None else np.where(keep, targets, 0)), keep


# ---- entropy and KL divergence (§8, §15) --------------------------------------------------------
def entropy(*positional, logits=None, probs=None, axis=-1, base=math.e):
    """H(p) = −Σ pᵢ·log pᵢ along ``axis``, in nats (base e) or bits (base 2) (§8).

    Say what the numbers are: ``entropy(logits=z)`` for p = softmax(z), or
    ``entropy(probs=p)`` for probabilities; the same call means the same in
    scalargrad. From logits, log p comes from log_softmax, finite even where
    pᵢ underflows to 0; a term with pᵢ = 0 is 0 (the limit of p·log p as
    p → 0). One entropy per distribution: the shape loses ``axis``.
    """
    p, log_p, axis = _distribution("entropy", positional, "logits", logits, "probs", probs, axis)
    _check_base(base)
    return -(p * log_p).sum(axis=axis) / math.log(base)


def kl_divergence(*positional, p=None, q=None, p_logits=None, q_logits=None, axis=-1):
    """D_KL(p ‖ q) = Σ pᵢ·(log pᵢ − log qᵢ) along ``axis``: the extra surprise of believing q when p is true (§15).

    Give each distribution by name, as probabilities (``p=``, ``q=``) or as
    logits (``p_logits=``, ``q_logits=``); the same call means the same in
    scalargrad. Not symmetric: KL(p ‖ q) with p the data is the *forward* KL
    (mode-covering, used in distillation with p the teacher), KL(q ‖ p) with
    q the model the *reverse* KL (mode-seeking, the RLHF penalty). One
    divergence per distribution along ``axis``.
    """
    p, log_p, p_axis = _distribution("kl_divergence", positional, "p_logits", p_logits, "p", p, axis)
    q, log_q, _ = _distribution("kl_divergence", (), "q_logits", q_logits, "q", q, axis)
    names = ("p_logits" if p_logits is not None else "p", "q_logits" if q_logits is not None else "q")
    if p.shape != q.shape:
        raise ValueError(f"kl_divergence: {names[0]} of shape {p.shape} and {names[1]} of shape {q.shape} differ")
    if q_logits is None and ((q.data == 0) & (p.data > 0)).any():
        index = checks.first_index((q.data == 0) & (p.data > 0))
        raise ValueError(f"kl_divergence: q{list(index)} = 0 where p{list(index)} > 0, so the divergence is infinite")
    return (p * (log_p - log_q)).sum(axis=p_axis)


def _distribution(where, positional, logits_name, logits, probs_name, probs, axis):
    """(p, log p, axis) of a distribution given by exactly one keyword; log p is 0 where p = 0."""
    if positional or (logits is None) == (probs is None):
        raise TypeError(f"{where}: name the distribution, as {logits_name}= or {probs_name}= (exactly one), got "
                        f"{len(positional)} unnamed argument(s); e.g. {where}({logits_name}=z) or {where}({probs_name}=p)")
    if logits is not None:
        x = checks.float_tensor(logits, where, logits_name)
        axis = checks.axis(x, axis, where)
        log_p = LogSoftmax.apply(x, axis=axis)
        return log_p.exp(), log_p, axis
    p = checks.float_tensor(probs, where, probs_name)
    axis = checks.axis(p, axis, where)
    checks.probabilities(p.data, axis, where, probs_name)
    positive = p.data > 0
    return p, Where.apply(p, 1.0, condition=positive).log(), axis  # log 1 = 0 where p = 0: 0·0 adds nothing


def _check_base(base):
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not (base > 0 and base != 1):
        raise ValueError(f"entropy: base must be a positive number other than 1, got {base!r}")


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
        inv_std = 1 / np.sqrt(_row_mean(normed * normed) + eps)
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


def _plus(owned, other):
    """owned + other, into ``owned`` (a fresh array of this op's) if that keeps its shape and dtype."""
    if other.dtype == owned.dtype and other.shape == owned.shape[owned.ndim - other.ndim :]:
        owned += other
        return owned
    return owned + other


def _row_mean(a):
    """The mean over the last axis, as a column: a product with (1/n, …, 1/n), 4-5x faster than a row sum."""
    return (a @ np.full(a.shape[-1], 1 / a.shape[-1], dtype=a.dtype))[..., None]


def layer_norm(x, weight, bias, eps=1e-5):
    """Normalise each row (last axis) to mean 0 and variance 1, then scale by weight and shift by bias."""
    x, weight, bias = (checks.float_tensor(t, "layer_norm") for t in (x, weight, bias))
    if x.ndim == 0 or weight.shape != x.shape[-1:] or bias.shape != x.shape[-1:]:
        raise ValueError(f"layer_norm: input of shape {x.shape} needs weight and bias of shape {x.shape[-1:]}, "
                         f"got {weight.shape} and {bias.shape}")
    checks.positive(eps, "layer_norm", "eps")
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


# ---- penalties (§11) ------------------------------------------------------------------------------
def l1(tensors):
    """Σ|w| over every entry of every tensor: the L1 penalty; its gradient sign(w) drives weights to 0 (§11)."""
    terms = [t.abs().sum() for t in checks.tensor_list(tensors, "l1")]
    return sum(terms[1:], terms[0])


def l2(tensors):
    """Σ w² over every entry of every tensor: the L2 penalty; its gradient 2w pulls big weights hardest (§11)."""
    terms = [(t * t).sum() for t in checks.tensor_list(tensors, "l2")]
    return sum(terms[1:], terms[0])
