"""Functions of whole distributions and layers, on tensors: scalargrad.functional's twins.

softmax (§4, §6), log_softmax (§5), cross_entropy, nll_loss (§9) and mse_loss,
entropy (§8), kl_divergence (§15), the L1/L2 penalties (§11), and the layer
helpers of ``tensorgrad.layers`` (linear, layer_norm, dropout), so that
``F.<name>`` reaches all of them. Names follow PyTorch's
``torch.nn.functional``; the class axis is ``axis`` (NumPy's word for
PyTorch's ``dim``) and defaults to the last one.

Stability: e^z overflows for z > 709 (float64) or z > 88 (float32), and a
probability can underflow to 0. Every softmax-type function subtracts the
largest logit first: the result is unchanged (the common factor e^-max
cancels in the ratio) but every exponent is ≤ 0. Log-probabilities come from
``log_softmax`` directly (z − max − log Σ e^(z−max)), never from log(softmax),
so they stay finite even where the probability itself underflows to 0.

Masked logits: −inf is an ordinary value here (``tensorgrad.masking``), as in
PyTorch: softmax([−inf, 0]) = [0, 1], its log-probabilities [−inf, 0], and a
masked entry gets gradient 0. Every softmax-type function looks at the row
maximum it computes anyway, so a row with NaN or +inf, or with every entry
masked (no distribution at all), is an error naming the function and the row.

softmax, log_softmax and cross_entropy are fused ops (one ``Function``
each, forward beside a closed-form backward): composed from small ops their
graphs would be long, and slower to walk. The rest are built from the
engine's ops, so their gradients come for free. As in PyTorch, the
lowercase function (``softmax``, ``cross_entropy``) is what a learner calls;
it checks its input once (``tensorgrad.checks``) and calls the op's
``apply``, which trusts what it gets.
"""

import math

import numpy as np

from scalargrad.functional import check_entropy_base, check_named
from tensorgrad import checks, masking
from tensorgrad.layers import LayerNormOp, LinearOp, dropout, layer_norm, linear
from tensorgrad.ops import Where
from tensorgrad.tensor import Function

__all__ = [
    "CrossEntropy", "LayerNormOp", "LinearOp", "LogSoftmax", "Softmax", "cross_entropy", "dropout", "entropy",
    "kl_divergence", "l1", "l2", "layer_norm", "linear", "log_softmax", "log_softmax_array", "mse_loss", "nll_loss",
    "softmax",
]

REDUCTIONS = ("mean", "sum", "none")


# ---- softmax family (§4–§6) --------------------------------------------------------------
class Softmax(Function):
    """sᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T) along ``axis``. VJP: s ⊙ (g − Σⱼ gⱼsⱼ) / T."""

    name, symbol = "softmax", "softmax"

    @staticmethod
    def forward(ctx, z, axis, temperature):
        top = z.max(axis=axis, keepdims=True)
        masking.refuse_rows_without_answer(top, axis, "softmax")
        if temperature > 1:  # divide first: z/T − top/T cannot overflow where z − top would (1e308 apart)
            out = z / temperature  # one array of this op's, turned in place into the result
            out -= top / temperature
        else:
            out = z - top
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
    """log sᵢ = zᵢ − log Σⱼ e^zⱼ along ``axis``. VJP: g − softmax(z) · Σⱼ gⱼ, and 0 at a masked entry."""

    name, symbol = "log_softmax", "logsoftmax"

    @staticmethod
    def forward(ctx, z, axis, where="log_softmax"):
        out = log_softmax_array(z, axis, where)
        masked = out == -np.inf  # a masked logit stays −inf whatever a finite step does to it: no gradient
        ctx.save_for_backward(out)
        ctx.axis, ctx.masked = axis, masked if masked.any() else None
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        grad = g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)
        if ctx.masked is not None:
            grad[ctx.masked] = 0.0
        return (grad,)


def log_softmax_array(z, axis=-1, where="log_softmax"):
    """log_softmax of a plain NumPy array, no graph: z − max − log Σ e^(z − max).

    Every exponent is ≤ 0 and the largest term is e⁰ = 1. Entries of −inf (a
    token cut by top-k or top-p) come out as −inf; a row of nothing but −inf,
    or one with NaN or +inf, is an error naming ``where``.
    """
    top = z.max(axis=axis, keepdims=True)
    masking.refuse_rows_without_answer(top, axis, where)
    shifted = z - top
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x, axis=-1, temperature=1.0):
    """e^(zᵢ/T) / Σⱼ e^(zⱼ/T) along ``axis``: logits to probabilities (§4), T the temperature (§6)."""
    x, axis = checks.logits(x, axis, "softmax")
    checks.positive(temperature, "softmax", "temperature")
    return Softmax.apply(x, axis=axis, temperature=float(temperature))


def log_softmax(x, axis=-1):
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^zⱼ, computed without forming tiny probabilities (§5)."""
    x, axis = checks.logits(x, axis, "log_softmax")
    return LogSoftmax.apply(x, axis=axis)


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
        top = logits.max(axis=-1, keepdims=True)
        empty = None if np.isfinite(top).all() else _ignored_empty_rows(top, keep)
        if empty is not None:
            top[empty] = 0.0  # an ignored row with every class masked: shift by 0, not by −inf
        shifted = logits - top  # every exponent ≤ 0
        picked = shifted[_at_targets(targets)]
        probs = np.exp(shifted, out=shifted)  # one (…, C) array, turned in place into e^z, then into softmax
        totals = probs.sum(axis=-1, keepdims=True)
        if empty is not None:
            totals[empty] = 1.0  # its probabilities are all 0: 0 / 1 = 0, not 0 / 0
        losses = np.log(totals[..., 0]) - picked  # log Σ e^z − z_target, the max cancelling
        if keep is not None:
            losses = np.where(keep, losses, 0)
        if not np.isfinite(losses).all():
            row = checks.first_index(~np.isfinite(losses))
            if logits[(*row, targets[row])] == -np.inf:
                raise ValueError(f"cross_entropy: the target's logit in row {row} (class {targets[row]}) is −inf, "
                                 "a masked class: its probability is 0 and its loss would be +inf")
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


def _ignored_empty_rows(top, keep):
    """Refuse a row holding NaN or +inf, or a counted row with every logit −inf (by its row maximum ``top``);
    return the mask of ignored rows with every logit −inf (their loss is 0 like any ignored row's), or None."""
    empty = top == -np.inf
    if keep is not None:
        counted = keep[..., None]
        masking.refuse_rows_without_answer(np.where(counted | ~empty, top, 0.0), -1, "cross_entropy")
        return empty if empty.any() else None
    masking.refuse_rows_without_answer(top, -1, "cross_entropy")
    return None


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
    count = _count(losses, keep) if reduction == "mean" else 1
    with np.errstate(over="ignore"):
        total = losses.sum() / count
    if not np.isfinite(total) and reduction == "mean":  # the sum overflowed: each loss divided first, as a mean
        total = (losses / count).sum()
    if not np.isfinite(total):
        raise OverflowError(f"cross_entropy: the {reduction} of the {losses.size} losses (largest {losses.max():g}) "
                            "overflows a float")
    return np.asarray(total)


def cross_entropy(logits, targets, ignore_index=None, reduction="mean"):
    """−log softmax(z)[target]: the loss for the correct class of each row (§9).

    ``logits`` has shape (..., C), ``targets`` integer classes of shape (...).
    Rows whose target equals ``ignore_index`` (e.g. padding) contribute 0 and
    are not counted. ``reduction``: "mean" over the counted rows, "sum", or
    "none" (one loss per row). A mean over no counted rows would be 0/0, so
    it raises ValueError; "sum" gives 0 there.
    """
    logits, targets, keep = _check_targets("cross_entropy", "logits", logits, targets, ignore_index, reduction)
    return CrossEntropy.apply(logits, targets=targets, keep=keep, reduction=reduction)


def nll_loss(log_probs, targets, ignore_index=None, reduction="mean"):
    """−log_probs[target] per row: cross_entropy(z, t) is nll_loss(log_softmax(z), t) (§9).

    Same arguments as ``cross_entropy``, but the rows are log-probabilities
    already. Built from the engine's ops (a gather, a mask, a sum).
    """
    log_probs, targets, keep = _check_targets("nll_loss", "log_probs", log_probs, targets, ignore_index, reduction)
    picked = log_probs.take_along_axis(targets[..., None], axis=-1).reshape(targets.shape)
    masked = picked._data == -np.inf
    if keep is not None:
        masked &= keep
        picked = Where.apply(picked, 0.0, condition=keep)  # before the minus sign: an ignored −inf is no +inf
    if masked.any():
        row = checks.first_index(masked)
        raise ValueError(f"nll_loss: the log-probability of the target in row {row} (class {targets[row]}) is −inf, "
                         "a masked class: its loss would be +inf")
    losses = -picked
    if reduction == "sum":
        losses = losses.sum()
    elif reduction == "mean":
        with np.errstate(over="ignore"):
            total = losses.sum()
        count = _count(targets, keep)  # a sum that overflows: each loss divided first, as a mean
        losses = total / count if np.isfinite(total._data) else (losses / count).sum()
    return checks.finite_result(losses, "nll_loss", "the loss")


def mse_loss(input, target, reduction="mean"):
    """(input − target)² for every entry, then "mean", "sum" or "none": the squared error, as a loss.

    ``target`` takes no gradient and must have ``input``'s shape (PyTorch only
    warns when they broadcast, which silently compares every pair).
    """
    input = checks.float_tensor(input, "mse_loss", "input")
    target = checks.float_tensor(target, "mse_loss", "target")
    checks.choice(reduction, REDUCTIONS, "mse_loss", "reduction")
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input of shape {input.shape} and target of shape {target.shape} differ")
    difference = input - target.detach()
    losses = difference * difference
    if reduction != "none":
        losses = losses.mean() if reduction == "mean" else losses.sum()
    return checks.finite_result(losses, "mse_loss", "the loss")


def _check_targets(where, what, logits, targets, ignore_index, reduction):
    """Float logits (``what``) and integer targets of shape logits.shape[:-1], in range:
    (logits, targets with ignored rows set to 0, mask of the counted rows or None)."""
    logits = checks.float_tensor(logits, where)
    checks.choice(reduction, REDUCTIONS, where, "reduction")
    kind = "integer class indices (convert with .astype(int))"
    targets = checks.class_indices(targets, logits.shape, where, what, "targets", kind, ignore=ignore_index)
    keep = None if ignore_index is None else targets != ignore_index  # None: every target counts
    if reduction == "mean" and _count(targets, keep) == 0:
        raise ValueError(f"{where}: reduction='mean' needs at least one target that is not ignore_index={ignore_index} "
                         f"(got {targets.size} target(s), none counted), and 0/0 has no value; "
                         "use reduction='sum' (which gives 0) or skip this batch")
    return logits, (targets if keep is None else np.where(keep, targets, 0)), keep


# ---- entropy and KL divergence (§8, §15) --------------------------------------------------------
def entropy(*positional, logits=None, probs=None, axis=-1, base=math.e):
    """H(p) = −Σ pᵢ·log pᵢ along ``axis``, in nats (base e) or bits (base 2) (§8).

    Say what the numbers are: ``entropy(logits=z)`` for p = softmax(z), or
    ``entropy(probs=p)`` for probabilities; the same call means the same in
    scalargrad. From logits, log p comes from log_softmax, finite even where
    pᵢ underflows to 0; a term with pᵢ = 0 is 0 (the limit of p·log p as
    p → 0). One entropy per distribution: the shape loses ``axis``.
    """
    p, log_p, axis, _ = _distribution("entropy", positional, "logits", logits, "probs", probs, axis)
    check_entropy_base(base)
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
    p, log_p, p_axis, p_support = _distribution("kl_divergence", positional, "p_logits", p_logits, "p", p, axis)
    q, log_q, _, q_support = _distribution("kl_divergence", (), "q_logits", q_logits, "q", q, axis)
    names = ("p_logits" if p_logits is not None else "p", "q_logits" if q_logits is not None else "q")
    if p.shape != q.shape:
        raise ValueError(f"kl_divergence: {names[0]} of shape {p.shape} and {names[1]} of shape {q.shape} differ")
    lost = p_support & ~q_support
    if lost.any():
        index = list(checks.first_index(lost))
        zero = f"q_logits{index} = -inf (masked)" if q_logits is not None else f"q{index} = 0"
        raise ValueError(f"kl_divergence: {zero} where p{index} > 0, so the divergence is infinite")
    return (p * (log_p - log_q)).sum(axis=p_axis)


def _distribution(where, positional, logits_name, logits, probs_name, probs, axis):
    """(p, log p, axis, support) of a distribution given by exactly one keyword; log p is 0 where p = 0.

    ``support`` is where p > 0: for logits, where the logit is not −inf (masked). Outside it
    log p is replaced by 0, so 0·log 0 adds 0 to a sum, and its gradient there is 0, not NaN.
    """
    check_named(where, positional, (logits_name, logits), (probs_name, probs))
    if logits is not None:
        x, axis = checks.logits(logits, axis, where, logits_name)
        log_p = LogSoftmax.apply(x, axis=axis, where=where)
        support = log_p.data > -np.inf
        p = log_p.exp()
        return p, log_p if support.all() else Where.apply(log_p, 0.0, condition=support), axis, support
    p = checks.float_tensor(probs, where, probs_name)
    axis = checks.axis(p, axis, where)
    checks.probabilities(p.data, axis, where, probs_name)
    positive = p.data > 0
    return p, Where.apply(p, 1.0, condition=positive).log(), axis, positive  # log 1 = 0 where p = 0


# ---- penalties (§11) ------------------------------------------------------------------------------
def l1(tensors):
    """Σ|w| over every entry of every tensor: the L1 penalty; its gradient sign(w) drives weights to 0 (§11)."""
    return _penalty(tensors, "l1", lambda t: t.abs().sum())


def l2(tensors):
    """Σ w² over every entry of every tensor: the L2 penalty; its gradient 2w pulls big weights hardest (§11)."""
    return _penalty(tensors, "l2", lambda t: (t * t).sum())


def _penalty(tensors, where, term):
    """Σ of ``term`` over the tensors (one or a list), checked: a penalty that overflows is an error."""
    terms = [term(t) for t in checks.tensor_list(tensors, where)]
    return checks.finite_result(sum(terms[1:], terms[0]), where, "the penalty")
