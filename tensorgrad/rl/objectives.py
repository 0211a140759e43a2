"""The formulas of the post's Part 5, one function each (§15–§18); ``trainer`` puts them together.

``token_log_probs`` (§5), ``aggregate`` (per-token
losses → one number), ``reinforce_loss`` (§16), ``clip_band``,
``clip_ratio``, ``clipped_objective``, ``clipped_surrogate_loss`` and
``clip_fractions`` (§18), ``kl_estimate``, ``kl_exact`` and
``kl_shaped_rewards`` (§15), ``mean_entropy`` (§8). Rewards and advantages
are plain NumPy arrays (no gradient flows through a reward);
log-probabilities and losses are Tensors. Each function checks its input
once (``tensorgrad.checks``); what it calls inside does not check again.
Each loss checks its result too: a NaN or an infinity is an error naming the
function, never a number to step on (``checks.finite_result``). The
advantages (§17) have a module of their own, ``baselines``.
"""

import math

import numpy as np

from tensorgrad import checks
from tensorgrad import functional as F
from tensorgrad.functional import LogSoftmax
from tensorgrad.routines import minimum
from tensorgrad.tensor import Function, Tensor

AGGREGATIONS = ("sequence_mean", "token_mean", "constant")
KL_ESTIMATORS = ("k1", "k3", "exact")
KL_MODES = ("loss", "reward")
# A log-probability is ≤ 0; one above this is not rounding but most likely −log π (see _log_probabilities).
LOG_PROB_SLACK = 1e-6


# ---- log π of the chosen tokens (§5, §16) ------------------------------------------------------
def token_log_probs(logits, ids):
    """log π(idsᵢₜ) = log_softmax(logits)[i, t, idsᵢₜ]: each chosen token's log-probability (§5).

    ``logits`` (B, T, V) and integer ``ids`` (B, T) → a Tensor (B, T). For a
    causal model the logits at position t predict token t + 1, so pass the
    model's logits for ``seq[:, :-1]`` with ``ids = seq[:, 1:]`` (the
    ``GRPOTrainer`` does this). Summing over a completion's tokens gives its
    log-probability: log of a product is a sum of logs (§5).
    """
    logits = checks.float_tensor(logits, "token_log_probs", "logits")
    ids = checks.class_indices(ids, logits.shape, "token_log_probs", "logits", "ids", "integer token ids")
    log_probs = _token_log_probs(LogSoftmax.apply(logits, axis=-1, where="token_log_probs"), ids)
    masked = log_probs.data == -np.inf
    if masked.any():
        index = checks.first_index(masked)
        raise ValueError(f"token_log_probs: token {ids[index]} at position {index} has logit −inf (masked), so "
                         "log π of it is −inf: a masked token cannot have been sampled")
    return log_probs


def _token_log_probs(log_p, ids):
    """The entries of the log-probabilities (..., V) at the chosen ids (...)."""
    return log_p.take_along_axis(ids[..., None], axis=-1).reshape(ids.shape)


# ---- from per-token values to one loss: the aggregation modes ----------------------------------
def aggregate(values, mask, mode="sequence_mean", constant_length=None):
    """One number from per-token values ℓᵢₜ (B, T), over the completion tokens only (mask True).

    With oᵢ the completion tokens of sequence i and |oᵢ| their number:

    - "sequence_mean" (GRPO):   (1/B) Σᵢ (1/|oᵢ|) Σ_{t∈oᵢ} ℓᵢₜ
      mean over each sequence's tokens, then over sequences. Every sequence
      weighs the same, so a token of a short completion weighs more than a
      token of a long one: a long wrong answer is penalised less per token.
    - "token_mean" (DAPO's token-level loss):   Σᵢ Σ_{t∈oᵢ} ℓᵢₜ / Σᵢ |oᵢ|
      every token of the batch weighs the same.
    - "constant" (Dr. GRPO):   (1/(B·C)) Σᵢ Σ_{t∈oᵢ} ℓᵢₜ
      each sequence's sum divided by a fixed C (``constant_length``; default
      T, the mask's number of columns), then the mean over sequences:
      a token's weight depends on neither its sequence's length nor the batch's.

    The prompt and the padding (mask False) contribute nothing, not even to the
    counts. A mask with no completion token at all, or under "sequence_mean"
    a sequence without any (1/|oᵢ| = 1/0), raises ValueError.
    """
    values = checks.float_tensor(values, "aggregate", "per-token values")
    checks.dims(values.shape, 2, "aggregate", "per-token values", "(B, T)")
    keep = _aggregation(mask, values.shape, mode, constant_length, "aggregate", "mode", "per-token values")
    return _aggregate(values, keep, mode, constant_length, "aggregate", "the result")


def _aggregate(values, keep, mode, constant_length, where, what="the loss"):
    """``aggregate`` on checked input: values (B, T), a boolean mask of that shape with a True somewhere; the
    result checked to be finite, as ``where``'s ``what``."""
    weight = keep.astype(values.dtype)
    total = (values * weight).sum(axis=1)  # Σ over each sequence's completion tokens
    if mode == "token_mean":
        result = total.sum() / float(weight.sum())
    elif mode == "sequence_mean":
        lengths = weight.sum(axis=1)
        if (lengths == 0).any():
            raise ValueError(f"{where}: sequence_mean divides each sequence by its number of completion tokens, "
                             f"but sequence(s) {np.flatnonzero(lengths == 0).tolist()} of the mask of shape {keep.shape} "
                             'have none; drop them, or use mode="token_mean" or "constant"')
        result = (total / lengths).mean()
    else:
        length = values.shape[1] if constant_length is None else constant_length
        result = total.sum() / float(values.shape[0] * length)
    return checks.finite_result(result, where, what)


# ---- REINFORCE (§16) ---------------------------------------------------------------------------
def reinforce_loss(log_probs, advantages, mask, aggregation="sequence_mean", constant_length=None):
    """−Aᵢ · log π(tokenᵢₜ), aggregated over the completion tokens (§16).

    Its gradient is −Aᵢ · ∇log π: the REINFORCE estimate of −∇E[reward]
    (from ∇J = E[A · ∇log π]), so gradient *descent* on it makes tokens of
    completions with A > 0 more likely and those with A < 0 less likely.
    ``log_probs`` (B, T) come from ``token_log_probs``; ``advantages`` (B,)
    is one number per sequence; see ``aggregate`` for the modes.
    """
    log_probs, adv = _per_token(log_probs, advantages, "reinforce_loss")
    keep = _aggregation(mask, log_probs.shape, aggregation, constant_length, "reinforce_loss")
    _log_probabilities(log_probs, "reinforce_loss", "log_probs")
    return _aggregate(-(log_probs * adv[:, None]), keep, aggregation, constant_length, "reinforce_loss")


# ---- the clipped surrogate (§18) ---------------------------------------------------------------
def clip_ratio(ratio, eps_low=0.2, eps_high=None):
    """clip(r, 1 − ε_low, 1 + ε_high): the ratio π_new/π_old held to the band around 1 (§18).

    ``eps_high=None`` means ε_high = ε_low (PPO's and GRPO's symmetric band);
    DAPO widens the top (ε_high = 0.28 > ε_low = 0.2) so that rare good tokens
    can grow faster. The post's example: 10 % → 85 % is a ratio of 8.5, which
    ε = 0.2 caps at 1.2, i.e. 10 % → 12 % this step. Works on numbers, arrays
    and Tensors (whose gradient is 0 where the cap took over).
    """
    return _clip(ratio, *clip_band(eps_low, eps_high, "clip_ratio"))


def _clip(ratio, low, high):
    return ratio.clip(1 - low, 1 + high) if isinstance(ratio, Tensor) else np.clip(ratio, 1 - low, 1 + high)


def clipped_objective(ratio, advantages, eps_low=0.2, eps_high=None):
    """L^CLIP = min(r · A, clip(r, 1 − ε_low, 1 + ε_high) · A) per token: the objective to *maximise* (§18).

    The min is a one-way gate: once a token has moved far enough in the
    direction its advantage asks for (r > 1 + ε_high with A > 0, or
    r < 1 − ε_low with A < 0), the clipped branch is the smaller one and it
    is flat in r, so that token's gradient is exactly 0 for the rest of the
    step. Moves the other way are never clipped: r·A is then the smaller one.
    Hence L^CLIP ≤ r·A always, and its gradient is either r·A's or 0.
    Works on numbers, arrays and Tensors, as ``clip_ratio`` does.
    """
    return _clipped_objective(ratio, advantages, *clip_band(eps_low, eps_high, "clipped_objective"))


def _clipped_objective(ratio, advantages, low, high):
    unclipped, clipped = ratio * advantages, _clip(ratio, low, high) * advantages
    on_tensors = isinstance(unclipped, Tensor) or isinstance(clipped, Tensor)
    return minimum(unclipped, clipped) if on_tensors else np.minimum(unclipped, clipped)


def clipped_surrogate_loss(log_probs, old_log_probs, advantages, mask, eps_low=0.2, eps_high=None,
                           aggregation="sequence_mean", constant_length=None):
    """−L^CLIP with r = exp(log π_new − log π_old) per token, aggregated over the completions (§18).

    ``old_log_probs`` (B, T) are the numbers of the policy that sampled the
    completions (no gradient). At r = 1 (the first update on fresh samples)
    the gradient is −A·r·∇log π = −A·∇log π: exactly ``reinforce_loss``'s.
    ``eps_low=None`` switches clipping off, leaving −r·A: the importance-
    weighted policy gradient, unbounded when the same samples are reused.
    """
    where = "clipped_surrogate_loss"
    log_probs, adv = _per_token(log_probs, advantages, where)
    old = _old_log_probs(old_log_probs, log_probs.shape, where, "old_log_probs")
    if eps_low is None and eps_high is not None:
        raise ValueError(f"{where}: eps_high={eps_high} needs eps_low (eps_low=None means no clipping at all)")
    keep = _aggregation(mask, log_probs.shape, aggregation, constant_length, where)
    ratio = _exp(log_probs - old, where, "the ratio π_new/π_old")
    _log_probabilities(log_probs, where, "log_probs")
    _log_probabilities(old, where, "old_log_probs")
    adv = adv[:, None]
    objective = ratio * adv if eps_low is None else _clipped_objective(ratio, adv, *clip_band(eps_low, eps_high, where))
    return _aggregate(-objective, keep, aggregation, constant_length, where)


def _exp(x, where, what):
    """x.exp(), its overflow reported as ``where``'s: what it was computing, and why."""
    try:
        return x.exp()
    except OverflowError as error:
        raise OverflowError(f"{where}: {what} overflows ({error}); the policy has moved too far from the one "
                            "that sampled (log-probabilities too far apart)") from None


def clip_fractions(ratio, advantages, mask, eps_low=0.2, eps_high=None):
    """(low, high): the fraction of completion tokens whose gradient the clip switched off (§18).

    low:  A < 0 and r < 1 − ε_low  (already pushed down enough this step)
    high: A > 0 and r > 1 + ε_high (already pushed up enough this step)
    Health metrics: both 0 means clipping never mattered; large values mean
    the inner updates move the policy further than the band allows.
    """
    low, high = clip_band(eps_low, eps_high, "clip_fractions")
    r, adv = _per_token(ratio, advantages, "clip_fractions", "ratios")
    r, adv = r.data, adv[:, None]
    keep = checks.completion_mask(mask, r.shape, "clip_fractions", "ratios")
    n = keep.sum()
    return (float(((adv < 0) & (r < 1 - low) & keep).sum() / n),
            float(((adv > 0) & (r > 1 + high) & keep).sum() / n))


def clip_band(eps_low, eps_high=None, where="clip_band"):
    """(ε_low, ε_high) as floats, checked: the band is [1 − ε_low, 1 + ε_high]; ``eps_high=None`` means ε_low."""
    high = eps_low if eps_high is None else eps_high
    checks.interval(eps_low, 0, 1, where, "eps_low", "()")
    checks.positive(high, where, "eps_high (None: the same as eps_low)")
    return float(eps_low), float(high)


def _aggregation(mask, shape, mode, constant_length, where, option="aggregation", values="log_probs"):
    """Check ``aggregate``'s arguments (``mode`` is ``where``'s ``option``) for per-token ``values`` of ``shape``;
    the mask as a boolean array."""
    checks.choice(mode, AGGREGATIONS, where, option)
    if constant_length is not None:
        checks.interval(constant_length, 0, math.inf, where, "constant_length", "()")  # inf: a loss of 0
    return checks.completion_mask(mask, shape, where, values)


def _per_token(values, advantages, where, what="log_probs"):
    """Per-token ``values`` (log-probs, ratios) as a (B, T) Tensor and advantages as a finite (B,) array, shapes
    checked."""
    values = checks.float_tensor(values, where, what)
    adv = checks.finite(advantages, where, "advantages")
    if values.ndim != 2 or adv.shape != values.shape[:1]:
        raise ValueError(f"{where}: {what} of shape (B, T) need one advantage per sequence, shape (B,); "
                         f"got {what} of shape {values.shape} and advantages of shape {adv.shape}")
    return values, adv


def _old_log_probs(old, shape, where, what):
    old = checks.finite(old, where, what)
    if old.shape != shape:
        raise ValueError(f"{where}: {what} of shape {old.shape} differ from log_probs of shape {shape}")
    return old


def _log_probabilities(a, where, what):
    """``a`` itself, unless it holds a number above 0 (beyond ``LOG_PROB_SLACK``): log π is ≤ 0, and the likeliest
    mistake is −log π, the per-token cross-entropy, whose gradient points the other way (a silent step uphill)."""
    values = checks.array(a)
    above = values > LOG_PROB_SLACK
    if above.any():
        index = checks.first_index(above)
        raise ValueError(f"{where}: {what} must be ≤ 0 (logs of probabilities), got {values[index]:g} at index {index}; "
                         "is it −log π (the negative log-likelihood, cross_entropy's per-token loss)? Its gradient "
                         "points the other way")
    return a


# ---- the KL leash (§15) ------------------------------------------------------------------------
def kl_estimate(log_probs, ref_log_probs, estimator="k3"):
    """A per-token estimate of KL(π ‖ π_ref) from the sampled tokens alone (§15).

    With x ~ π a sampled token and r = π_ref(x)/π(x):

    - k1 = log(π(x)/π_ref(x)) = −log r. Unbiased, since KL(π ‖ π_ref) =
      E_π[log π/π_ref]; but any single value can be negative.
    - k3 = r − 1 − log r. Also unbiased: E_π[r] = Σₓ π(x)·π_ref(x)/π(x) =
      Σₓ π_ref(x) = 1, so the added r − 1 has mean 0. And never negative, since
      log r ≤ r − 1; so a sample average cannot go below 0, and its variance is
      lower than k1's when π is close to π_ref (John Schulman's note
      "Approximating KL Divergence").

    Both are Tensors (B, T) differentiable through ``log_probs``; the full
    distributions are not needed. When they are at hand, ``kl_exact`` is better.
    """
    checks.choice(estimator, ("k1", "k3"), "kl_estimate", "estimator")
    log_probs = checks.float_tensor(log_probs, "kl_estimate", "log_probs")
    ref = _old_log_probs(ref_log_probs, log_probs.shape, "kl_estimate", "ref_log_probs")
    _log_probabilities(log_probs, "kl_estimate", "log_probs")
    _log_probabilities(ref, "kl_estimate", "ref_log_probs")
    return _kl_estimate(log_probs, ref, estimator)


def _kl_estimate(log_probs, ref_log_probs, estimator):
    log_r = ref_log_probs - log_probs  # log(π_ref/π)
    return -log_r if estimator == "k1" else KThree.apply(log_r)


class KThree(Function):
    """k3 = r − 1 − log r of y = log r, as expm1(y) − y; its derivative is eʸ − 1 = expm1(y).

    Written as r − 1 − log r, it cancels to rounding noise where π_ref ≈ π: at y = 1e-9, k3 ≈ y²/2 = 5e-19,
    but eʸ − 1 − y came out as ±1e-16, negative for one token in thirteen. expm1 keeps every digit.
    """

    name, symbol = "k3", "k3"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, y):
        with np.errstate(over="ignore"):  # refused just below
            change = np.expm1(y)
        if not np.isfinite(change).all():
            index = checks.first_index(~np.isfinite(change))
            raise OverflowError(f"kl_estimate: k3's ratio π_ref/π overflows (log π_ref − log π = {y[index]:g} at index "
                                f"{index}); the policy has moved too far from the reference")
        ctx.save_for_backward(y)
        ctx.change = change
        return change - y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved
        if isinstance(y, Tensor):  # differentiated again (create_graph=True): eʸ − 1 as a graph
            return (g * (y.exp() - 1),)
        return (g * ctx.change,)


def kl_exact(logits, ref_logits):
    """KL(π ‖ π_ref) = Σᵥ π(v)·log(π(v)/π_ref(v)) at every position, from both models' logits (§15).

    The *reverse* KL, with the policy π first (mode-seeking, as in RLHF):
    ``functional.kl_divergence(p_logits=logits, q_logits=ref_logits)``. (..., V) → (...).
    """
    return F.kl_divergence(p_logits=logits, q_logits=ref_logits)


def kl_shaped_rewards(rewards, kl_per_token, mask, beta):
    """r − β · KL: the reward with the leash folded in (§15's reward_adjusted = reward − β·D_KL).

    The sequence's KL is the sum of its completion tokens' KL values
    (``kl_per_token`` (B, T), from ``kl_estimate`` or ``kl_exact``): the KL of
    the whole completion, since log-probabilities add up along a sequence (§5).
    ``rewards`` (B,) or (prompts, G); the result has their shape. No gradient.
    """
    r = checks.rewards(rewards, "kl_shaped_rewards")
    kl = checks.finite(kl_per_token, "kl_shaped_rewards", "kl values")
    if kl.ndim != 2 or kl.shape[0] != r.size:
        raise ValueError(f"kl_shaped_rewards: kl_per_token must have shape (B, T) with B = {r.size} (one row per reward, "
                         f"rewards of shape {r.shape}), got {kl.shape}")
    keep = checks.completion_mask(mask, kl.shape, "kl_shaped_rewards", "kl values")
    checks.interval(beta, 0, math.inf, "kl_shaped_rewards", "beta")
    with np.errstate(over="ignore", invalid="ignore"):  # checked just below
        shaped = r - beta * (kl * keep).sum(axis=1).reshape(r.shape)
    if not np.isfinite(shaped).all():
        index = checks.first_index(~np.isfinite(shaped))
        raise OverflowError(f"kl_shaped_rewards: the shaped reward of sequence {int(np.ravel_multi_index(index, r.shape))} "
                            f"is {shaped[index]}: β·KL of its completion overflows a float (KL values too large?)")
    return shaped


# ---- the entropy bonus (§8) --------------------------------------------------------------------
def mean_entropy(logits, mask):
    """H = −Σᵥ π(v)·log π(v) of the policy at each completion token, averaged over them (§8).

    A loss term −c·H rewards staying uncertain ("stay surprised, keep
    exploring"); a falling H is the warning sign of entropy collapse.
    """
    checks.dims(np.shape(logits), 3, "mean_entropy", "logits", "(B, T, V)")
    keep = checks.completion_mask(mask, np.shape(logits)[:2], "mean_entropy", "logits' positions")
    return _aggregate(F.entropy(logits=logits), keep, "token_mean", None, "mean_entropy")  # F.entropy checks the logits
