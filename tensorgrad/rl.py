"""Reinforcement learning on a language model: REINFORCE and GRPO, the post's Part 5 (§15–§18).

The loop, one piece per section of the post:

    sample G completions per prompt (sampling.generate)       the policy π acts
    score each one: a reward r per sequence                   a black box, no gradient (§16)
    advantages: A = r − baseline (÷ the group's spread)       grading on a curve (§17)
    log π of every chosen token (log_softmax + gather)        differentiable (§5, §16)
    loss = −A · log π, or the clipped surrogate               "do more of what worked" (§16, §18)
           + β · KL(π ‖ π_ref)                                 the leash (§15)
           − c · entropy                                       keep exploring (§8)

Everything works on batches of token sequences: ``ids`` (B, T) hold prompt
and completion side by side, and a boolean ``mask`` (B, T) marks the
completion tokens. Only those carry a learning signal: the prompt was given,
not chosen, and padding is not text at all, so both have mask False.

The functions are the formulas, one each: ``advantages`` (§17),
``token_log_probs`` (§5), ``aggregate`` (per-token losses → one number),
``reinforce_loss`` (§16), ``clip_ratio``, ``clipped_objective``,
``clipped_surrogate_loss`` and ``clip_fractions`` (§18), ``kl_estimate``,
``kl_exact`` and ``kl_shaped_rewards`` (§15), ``mean_entropy`` (§8). The
``GRPOTrainer`` puts them together into the post's "REINFORCE, plus a group
baseline, clipping and a KL leash", i.e. GRPO. Rewards and advantages are
plain NumPy arrays (no gradient flows through a reward); log-probabilities
and losses are Tensors.
"""

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

from tensorgrad import functional as F
from tensorgrad.optim import AdamW, clip_grad_norm
from tensorgrad.routines import minimum
from tensorgrad.tensor import Tensor, constant, no_grad

BASELINES = ("none", "batch_mean", "group_mean", "leave_one_out")
AGGREGATIONS = ("sequence_mean", "token_mean", "constant")
KL_ESTIMATORS = ("k1", "k3", "exact")
KL_MODES = ("loss", "reward")
# Added to a group's standard deviation before dividing by it (normalize_std=True), as
# TRL's GRPO does: a group whose rewards differ only by rounding noise is not blown up.
STD_EPS = 1e-4


# ---- advantages: reward minus a baseline (§17) ------------------------------------------------
def advantages(rewards, baseline="none", group_size=None, normalize_std=False, eps=STD_EPS):
    """A = r − b: how much better than expected each completion did (§17).

    ``rewards`` holds one number per sequence: shape (B,), or (prompts, G)
    for G completions of each prompt. The result has the same shape.

    ``baseline`` chooses b:

    - "none":          b = 0, so A = r (plain REINFORCE, §16).
    - "batch_mean":    b = mean of all B rewards.
    - "group_mean":    b = mean of the G rewards of the same prompt (GRPO: "the group IS the
                       curve"). Groups are the rows of a (prompts, G) array, or consecutive
                       runs of ``group_size`` in a (B,) array; with neither, the whole batch
                       is one group (then this is "batch_mean").
    - "leave_one_out": b = mean of the *other* G − 1 rewards of the group:
                       bᵢ = (Σⱼ rⱼ − rᵢ) / (G − 1), which makes Aᵢ = G/(G − 1) · (rᵢ − mean).

    Why a baseline changes nothing on average: E[∇log π(a)] = Σₐ π(a)·∇π(a)/π(a)
    = ∇Σₐ π(a) = ∇1 = 0, so E[b·∇log π(a)] = 0 for any b that does not depend on
    the action a. It only removes noise (§2: same expected value, less variance).
    The leave-one-out b never looks at rᵢ, so its gradient is exactly unbiased.
    The group mean includes rᵢ itself (weight 1/G), which scales the expected
    gradient by (G − 1)/G: same direction, slightly shorter step.

    ``normalize_std=True`` also divides by the spread of the group's rewards
    (GRPO's A = (r − mean)/std), so every prompt's advantages have the same
    scale whatever its rewards' scale: A = (r − b) / (σ + eps) with σ the
    population standard deviation √(Σ(r − μ)²/G) (§2's formula) and
    eps = ``STD_EPS`` = 1e-4. With "batch_mean" σ is the whole batch's.

    The rule for ties (any baseline but "none"): a group whose rewards are all
    equal (every completion equally good, or equally bad) holds no information
    about what to do more of, so its advantages are exactly 0. Never NaN from 0/0, and never a
    rounding residue such as mean([0.1, 0.1, 0.1]) − 0.1 = 1.4e-17 either.

    Rewards with NaN or infinity, a ``group_size`` that does not divide the
    batch, and leave-one-out with G = 1 raise ValueError.
    """
    _check_choice(baseline, BASELINES, "advantages", "baseline")
    r = _rewards(rewards, "advantages")
    if normalize_std and baseline == "none":
        raise ValueError(
            "advantages: normalize_std divides by the rewards' spread around a baseline, "
            'so it needs one: choose baseline="batch_mean", "group_mean" or "leave_one_out"'
        )
    if not eps >= 0:
        raise ValueError(f"advantages: eps must be >= 0, got {eps!r}")
    groups = _groups(r, group_size, "advantages")
    if baseline == "none":
        return r.copy()
    if baseline == "batch_mean":
        groups = r.reshape(1, -1)
    size = groups.shape[1]
    if baseline == "leave_one_out":
        if size < 2:
            raise ValueError(
                "advantages: leave_one_out needs groups of at least 2 completions (the others make the "
                f"baseline), got groups of {size}"
            )
        b = (groups.sum(axis=1, keepdims=True) - groups) / (size - 1)
    else:
        b = groups.mean(axis=1, keepdims=True)
    adv = groups - b
    if normalize_std:
        adv = adv / (groups.std(axis=1, keepdims=True) + eps)
    adv[groups.max(axis=1) == groups.min(axis=1)] = 0.0  # tied groups: no signal
    return adv.reshape(r.shape)


def _rewards(rewards, where):
    """Rewards as a float64 array of shape (B,) or (prompts, G), finite, not empty."""
    r = np.array(rewards.data if isinstance(rewards, Tensor) else rewards, dtype=np.float64)
    if r.ndim not in (1, 2) or r.size == 0:
        raise ValueError(
            f"{where}: rewards must have shape (B,) or (prompts, G), one per sequence, got shape {r.shape}"
        )
    bad = ~np.isfinite(r)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{where}: rewards of shape {r.shape} contain {int(bad.sum())} NaN or infinite value(s), "
            f"the first {r[index]} at index {index}; a reward must be a finite number"
        )
    return r


def _groups(r, group_size, where):
    """The rewards as (number of groups, G): rows of a 2-d array, or runs of group_size."""
    if group_size is not None and (isinstance(group_size, bool) or not isinstance(group_size, int)
                                   or group_size < 1):
        raise ValueError(f"{where}: group_size must be a positive integer or None, got {group_size!r}")
    if r.ndim == 2:
        if group_size is not None and group_size != r.shape[1]:
            raise ValueError(
                f"{where}: rewards of shape {r.shape} are {r.shape[0]} groups of {r.shape[1]}, "
                f"but group_size={group_size}"
            )
        return r
    if group_size is None:
        return r.reshape(1, -1)
    if r.size % group_size:
        raise ValueError(
            f"{where}: group_size={group_size} does not divide the batch: rewards of shape {r.shape} "
            f"({r.size} sequences) cannot be split into groups of {group_size}"
        )
    return r.reshape(-1, group_size)


# ---- log π of the chosen tokens (§5, §16) ------------------------------------------------------
def token_log_probs(logits, ids):
    """log π(idsᵢₜ) = log_softmax(logits)[i, t, idsᵢₜ]: each chosen token's log-probability (§5).

    ``logits`` (B, T, V) and integer ``ids`` (B, T) → a Tensor (B, T). For a
    causal model the logits at position t predict token t + 1, so pass the
    model's logits for ``seq[:, :-1]`` with ``ids = seq[:, 1:]`` (the
    ``GRPOTrainer`` does this). Summing over a completion's tokens gives its
    log-probability: log of a product is a sum of logs (§5).
    """
    logits = constant(logits)
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"token_log_probs: ids must be integer token ids, got dtype {ids.dtype}")
    if logits.ndim != ids.ndim + 1 or logits.shape[:-1] != ids.shape:
        raise ValueError(
            f"token_log_probs: logits of shape {logits.shape} need ids of shape {logits.shape[:-1]} "
            f"(one token per position), got ids of shape {ids.shape}"
        )
    vocab = logits.shape[-1]
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        raise IndexError(
            f"token_log_probs: ids must lie in [0, {vocab}) for logits of shape {logits.shape}, "
            f"got min {ids.min()} and max {ids.max()}"
        )
    picked = F.log_softmax(logits, axis=-1).take_along_axis(ids[..., None], axis=-1)
    return picked.reshape(ids.shape)


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
    _check_choice(mode, AGGREGATIONS, "aggregate", "mode")
    values = constant(values)
    if values.ndim != 2:
        raise ValueError(f"aggregate: per-token values must have shape (B, T), got {values.shape}")
    keep = _mask(mask, values.shape, "aggregate", "per-token values")
    weight = keep.astype(values.dtype)
    total = (values * weight).sum(axis=1)  # Σ over each sequence's completion tokens
    if mode == "token_mean":
        return total.sum() / float(weight.sum())
    if mode == "sequence_mean":
        lengths = weight.sum(axis=1)
        if (lengths == 0).any():
            empty = [int(i) for i in np.flatnonzero(lengths == 0)]
            raise ValueError(
                f"aggregate: sequence_mean divides each sequence by its number of completion tokens, "
                f"but sequence(s) {empty} of the mask of shape {keep.shape} have none; drop them, or use "
                'mode="token_mean" or "constant"'
            )
        return (total / lengths).mean()
    length = values.shape[1] if constant_length is None else constant_length
    if not length > 0:
        raise ValueError(f"aggregate: constant_length must be > 0, got {constant_length!r}")
    return total.sum() / float(values.shape[0] * length)


def _mask(mask, shape, where, what):
    """A boolean completion mask of exactly ``shape``, with at least one True."""
    keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if keep.dtype != bool:
        if keep.dtype.kind not in "iuf" or not np.isin(keep, (0, 1)).all():
            raise TypeError(f"{where}: the mask must be boolean (or 0/1), got dtype {keep.dtype}")
        keep = keep.astype(bool)
    if keep.shape != shape:
        raise ValueError(f"{where}: the mask has shape {keep.shape} but the {what} have shape {shape}")
    if not keep.any():
        raise ValueError(
            f"{where}: the mask of shape {keep.shape} marks no completion token at all, so there is "
            "nothing to learn from (is the prompt as long as the whole sequence?)"
        )
    return keep


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
    return aggregate(-(log_probs * adv[:, None]), mask, aggregation, constant_length)


# ---- the clipped surrogate (§18) ---------------------------------------------------------------
def clip_ratio(ratio, eps_low=0.2, eps_high=None):
    """clip(r, 1 − ε_low, 1 + ε_high): the ratio π_new/π_old held to the band around 1 (§18).

    ``eps_high=None`` means ε_high = ε_low (PPO's and GRPO's symmetric band);
    DAPO widens the top (ε_high = 0.28 > ε_low = 0.2) so that rare good tokens
    can grow faster. The post's example: 10 % → 85 % is a ratio of 8.5, which
    ε = 0.2 caps at 1.2, i.e. 10 % → 12 % this step. Works on numbers, arrays
    and Tensors (whose gradient is 0 where the cap took over).
    """
    low, high = _eps(eps_low, eps_high, "clip_ratio")
    if isinstance(ratio, Tensor):
        return ratio.clip(1 - low, 1 + high)
    return np.clip(ratio, 1 - low, 1 + high)


def clipped_objective(ratio, advantages, eps_low=0.2, eps_high=None):
    """L^CLIP = min(r · A, clip(r, 1 − ε_low, 1 + ε_high) · A) per token: the objective to *maximise* (§18).

    The min is a one-way gate: once a token has moved far enough in the
    direction its advantage asks for (r > 1 + ε_high with A > 0, or
    r < 1 − ε_low with A < 0), the clipped branch is the smaller one and it
    is flat in r, so that token's gradient is exactly 0 for the rest of the
    step. Moves the other way are never clipped: r·A is then the smaller one.
    Hence L^CLIP ≤ r·A always, and its gradient is either r·A's or 0.
    """
    return minimum(ratio * advantages, clip_ratio(ratio, eps_low, eps_high) * advantages)


def clipped_surrogate_loss(log_probs, old_log_probs, advantages, mask, eps_low=0.2, eps_high=None,
                           aggregation="sequence_mean", constant_length=None):
    """−L^CLIP with r = exp(log π_new − log π_old) per token, aggregated over the completions (§18).

    ``old_log_probs`` (B, T) are the numbers of the policy that sampled the
    completions (no gradient). At r = 1 (the first update on fresh samples)
    the gradient is −A·r·∇log π = −A·∇log π: exactly ``reinforce_loss``'s.
    ``eps_low=None`` switches clipping off, leaving −r·A: the importance-
    weighted policy gradient, unbounded when the same samples are reused.
    """
    log_probs, adv = _per_token(log_probs, advantages, "clipped_surrogate_loss")
    old = _old_log_probs(old_log_probs, log_probs.shape, "clipped_surrogate_loss", "old_log_probs")
    ratio = (log_probs - old).exp()
    adv = adv[:, None]
    objective = ratio * adv if eps_low is None else clipped_objective(ratio, adv, eps_low, eps_high)
    return aggregate(-objective, mask, aggregation, constant_length)


def clip_fractions(ratio, advantages, mask, eps_low=0.2, eps_high=None):
    """(low, high): the fraction of completion tokens whose gradient the clip switched off (§18).

    low:  A < 0 and r < 1 − ε_low  (already pushed down enough this step)
    high: A > 0 and r > 1 + ε_high (already pushed up enough this step)
    Health metrics: both 0 means clipping never mattered; large values mean
    the inner updates move the policy further than the band allows.
    """
    low, high = _eps(eps_low, eps_high, "clip_fractions")
    r = np.asarray(ratio.data if isinstance(ratio, Tensor) else ratio, dtype=np.float64)
    adv = np.asarray(advantages.data if isinstance(advantages, Tensor) else advantages, dtype=np.float64)
    if r.ndim != 2 or adv.shape != r.shape[:1]:
        raise ValueError(
            f"clip_fractions: ratios of shape (B, T) need advantages of shape (B,), "
            f"got {r.shape} and {adv.shape}"
        )
    keep = _mask(mask, r.shape, "clip_fractions", "ratios")
    adv = adv[:, None]
    n = keep.sum()
    return (float(((adv < 0) & (r < 1 - low) & keep).sum() / n),
            float(((adv > 0) & (r > 1 + high) & keep).sum() / n))


def _eps(eps_low, eps_high, where):
    low = eps_low
    high = low if eps_high is None else eps_high
    if not (isinstance(low, (int, float)) and 0 < low < 1):
        raise ValueError(f"{where}: eps_low must lie in (0, 1) (the band is [1 − eps_low, ...]), got {eps_low!r}")
    if not (isinstance(high, (int, float)) and high > 0):
        raise ValueError(f"{where}: eps_high must be > 0 (or None: the same as eps_low), got {eps_high!r}")
    return float(low), float(high)


def _per_token(log_probs, advantages, where):
    """log-probs as a (B, T) Tensor and advantages as a (B,) array, shapes checked."""
    log_probs = constant(log_probs)
    adv = np.asarray(advantages.data if isinstance(advantages, Tensor) else advantages, dtype=np.float64)
    if log_probs.ndim != 2 or adv.shape != log_probs.shape[:1]:
        raise ValueError(
            f"{where}: log_probs of shape (B, T) need one advantage per sequence, shape (B,); "
            f"got log_probs of shape {log_probs.shape} and advantages of shape {adv.shape}"
        )
    if not np.isfinite(adv).all():
        raise ValueError(f"{where}: advantages contain NaN or infinity")
    return log_probs, adv


def _old_log_probs(old, shape, where, what):
    old = np.asarray(old.data if isinstance(old, Tensor) else old)
    if old.shape != shape:
        raise ValueError(f"{where}: {what} of shape {old.shape} differ from log_probs of shape {shape}")
    return old


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
    _check_choice(estimator, ("k1", "k3"), "kl_estimate", "estimator")
    log_probs = constant(log_probs)
    ref = _old_log_probs(ref_log_probs, log_probs.shape, "kl_estimate", "ref_log_probs")
    log_r = ref - log_probs  # log(π_ref/π)
    return -log_r if estimator == "k1" else log_r.exp() - 1 - log_r


def kl_exact(logits, ref_logits):
    """KL(π ‖ π_ref) = Σᵥ π(v)·log(π(v)/π_ref(v)) at every position, from both models' logits (§15).

    The *reverse* KL, with the policy π first (mode-seeking, as in RLHF):
    ``functional.kl_divergence(logits, ref_logits)``. (..., V) → (...).
    """
    return F.kl_divergence(logits, ref_logits)


def kl_shaped_rewards(rewards, kl_per_token, mask, beta):
    """r − β · KL: the reward with the leash folded in (§15's reward_adjusted = reward − β·D_KL).

    The sequence's KL is the sum of its completion tokens' KL values
    (``kl_per_token`` (B, T), from ``kl_estimate`` or ``kl_exact``): the KL of
    the whole completion, since log-probabilities add up along a sequence (§5).
    ``rewards`` (B,) or (prompts, G); the result has their shape. No gradient.
    """
    r = _rewards(rewards, "kl_shaped_rewards")
    kl = np.asarray(kl_per_token.data if isinstance(kl_per_token, Tensor) else kl_per_token, dtype=np.float64)
    if kl.ndim != 2 or kl.shape[0] != r.size:
        raise ValueError(
            f"kl_shaped_rewards: kl_per_token must have shape (B, T) with B = {r.size} (one row per reward, "
            f"rewards of shape {r.shape}), got {kl.shape}"
        )
    keep = _mask(mask, kl.shape, "kl_shaped_rewards", "kl values")
    if not beta >= 0:
        raise ValueError(f"kl_shaped_rewards: beta must be >= 0, got {beta!r}")
    return r - beta * (kl * keep).sum(axis=1).reshape(r.shape)


# ---- the entropy bonus (§8) --------------------------------------------------------------------
def mean_entropy(logits, mask):
    """H = −Σᵥ π(v)·log π(v) of the policy at each completion token, averaged over them (§8).

    A loss term −c·H rewards staying uncertain ("stay surprised, keep
    exploring"); a falling H is the warning sign of entropy collapse.
    """
    logits = constant(logits)
    if logits.ndim != 3:
        raise ValueError(f"mean_entropy: logits must have shape (B, T, V), got {logits.shape}")
    return aggregate(F.entropy(logits), mask, "token_mean")


# ---- the trainer: REINFORCE → GRPO ------------------------------------------------------------
@dataclass(frozen=True)
class GRPOConfig:
    """The knobs of ``GRPOTrainer``, each one a section of the post.

    baseline, group_size, normalize_std:  how rewards become advantages (§17, ``advantages``)
    clip_eps_low, clip_eps_high:  the ratio band [1 − low, 1 + high] (§18); high None = low
                                  (symmetric, PPO/GRPO), high > low is DAPO; low None = no clipping
    aggregation, constant_length: how per-token losses become one number (``aggregate``); for
                                  "constant", Dr. GRPO's C is the generation budget (max_new_tokens),
                                  while the default None uses T − 1, prompt positions included
    kl_beta, kl_estimator, kl_mode: the leash (§15): β, "k1" | "k3" | "exact", and
                                  "loss" (add β·KL to each token's loss, as GRPO does) or
                                  "reward" (use r − β·KL(sequence) as the reward, as RLHF does)
    entropy_coef:                 c in the loss term −c·H (§8)
    inner_steps:                  μ, the updates per batch of samples (each reuses the same samples)
    max_grad_norm:                clip the gradient's global norm to this (§11); None: never
    lr, weight_decay:             for the default AdamW, when no optimizer is given
    entropy_floor:                warn of entropy collapse below this mean entropy (nats); None: never

    Plain REINFORCE (§16) is ``GRPOConfig(baseline="none", normalize_std=False,
    clip_eps_low=None, inner_steps=1)``.
    """

    baseline: str = "group_mean"
    group_size: int | None = None
    normalize_std: bool = True
    clip_eps_low: float | None = 0.2
    clip_eps_high: float | None = None
    aggregation: str = "sequence_mean"
    constant_length: float | None = None
    kl_beta: float = 0.0
    kl_estimator: str = "k3"
    kl_mode: str = "loss"
    entropy_coef: float = 0.0
    inner_steps: int = 1
    max_grad_norm: float | None = 1.0
    lr: float = 1e-3
    weight_decay: float = 0.0
    entropy_floor: float | None = 0.1

    def __post_init__(self):
        _check_choice(self.baseline, BASELINES, "GRPOConfig", "baseline")
        _check_choice(self.aggregation, AGGREGATIONS, "GRPOConfig", "aggregation")
        _check_choice(self.kl_estimator, KL_ESTIMATORS, "GRPOConfig", "kl_estimator")
        _check_choice(self.kl_mode, KL_MODES, "GRPOConfig", "kl_mode")
        if self.clip_eps_low is None:
            if self.clip_eps_high is not None:
                raise ValueError("GRPOConfig: clip_eps_high needs clip_eps_low (clip_eps_low=None means no clipping)")
        else:
            _eps(self.clip_eps_low, self.clip_eps_high, "GRPOConfig")
        if isinstance(self.inner_steps, bool) or not isinstance(self.inner_steps, int) or self.inner_steps < 1:
            raise ValueError(f"GRPOConfig: inner_steps must be an integer >= 1, got {self.inner_steps!r}")
        for name in ("kl_beta", "entropy_coef", "weight_decay"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"GRPOConfig: {name} must be >= 0, got {getattr(self, name)!r}")
        for name in ("max_grad_norm", "constant_length", "entropy_floor"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"GRPOConfig: {name} must be > 0 or None, got {value!r}")


@dataclass(frozen=True)
class GRPOStats:
    """What one ``GRPOTrainer.step`` saw and did (means over completion tokens unless said otherwise).

    reward_mean, reward_std:        of the rewards given (population std)
    advantage_mean, advantage_std:  of the advantages used
    loss, grad_norm:                averages over the μ inner steps (grad_norm before clipping)
    clip_fraction_low, clip_fraction_high:
                                    fraction of completion tokens clipped below / above (§18),
                                    averaged over the inner steps (the first always gives 0: r = 1)
    kl_k3, kl_exact:                KL(π ‖ π_ref) of the policy that sampled, estimated by k3 and exact
    entropy:                        the sampling policy's mean entropy, in nats (§8)
    entropy_collapse:               entropy < config.entropy_floor (a warning was issued too)
    """

    reward_mean: float
    reward_std: float
    advantage_mean: float
    advantage_std: float
    loss: float
    grad_norm: float
    clip_fraction_low: float
    clip_fraction_high: float
    kl_k3: float
    kl_exact: float
    entropy: float
    entropy_collapse: bool


@dataclass(frozen=True)
class _Rollout:
    """One batch of samples, ready for the inner updates: computed once, reused μ times."""

    inputs: np.ndarray  # (B, T − 1) what the policy reads
    targets: np.ndarray  # (B, T − 1) the token each position chose
    mask: np.ndarray  # (B, T − 1) True where the chosen token belongs to a completion
    old_log_probs: np.ndarray  # (B, T − 1) log π_old(target): the policy that sampled
    ref_log_probs: np.ndarray  # (B, T − 1) log π_ref(target)
    ref_logits: np.ndarray  # (B, T − 1, V)
    advantages: np.ndarray  # (B,)


class GRPOTrainer:
    """The post's RL loop: REINFORCE with a group baseline, clipping and a KL leash (GRPO, §15–§18).

    ``policy`` is a Module mapping token ids (B, T) to logits (B, T, V), such
    as a tensorgrad ``GPT``: causal, so the logits at position t predict token
    t + 1. ``reference`` is the frozen π_ref of the KL term: any callable with
    the same signature, by default a deep copy of the policy taken now. It is
    frozen because it is only ever run under ``no_grad`` and no optimizer holds
    its parameters. ``optimizer`` defaults to AdamW(lr, weight_decay from the
    config). Switch dropout off (``policy.eval()``) so that π_old and π_new
    agree on fresh samples.

        trainer = GRPOTrainer(policy, GRPOConfig(group_size=8, inner_steps=2))
        stats = trainer.step(ids, completion_mask, rewards)
    """

    def __init__(self, policy, config=None, optimizer=None, reference=None):
        self.policy = policy
        self.config = GRPOConfig() if config is None else config
        if not isinstance(self.config, GRPOConfig):
            raise TypeError(f"GRPOTrainer: config must be a GRPOConfig, got {type(self.config).__name__}")
        self.reference = copy.deepcopy(policy) if reference is None else reference
        if optimizer is None:
            optimizer = AdamW(policy.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)
        self.optimizer = optimizer

    def step(self, ids, completion_mask, rewards):
        """One RL step on a batch of sampled sequences; returns a ``GRPOStats``.

        ``ids`` (B, T): each row a prompt followed by its sampled completion
        (and padding, if any). ``completion_mask`` (B, T): True exactly at the
        completion's tokens; False at the prompt and the padding (position 0
        must be prompt: no logit predicts it). ``rewards``: one per sequence,
        (B,), or (prompts, G) with rows of ``ids`` in the same order (prompt 0's
        G completions first); a (B,) array is split into groups of
        ``config.group_size``.

        1. Once, without a graph: log π_old and log π_ref of every chosen token,
           and the advantages (§17), from rewards shaped by −β·KL if kl_mode is
           "reward".
        2. μ = ``inner_steps`` times on the same samples: forward, loss
           (clipped surrogate + β·KL − c·H), backward, clip the gradient norm,
           optimizer step. After the first update π_new ≠ π_old, the ratios
           leave 1, and the clip starts to matter.
        """
        cfg = self.config
        rollout, stats = self._rollout(ids, completion_mask, rewards)
        losses, norms, clips = [], [], []
        for _ in range(cfg.inner_steps):
            self.optimizer.zero_grad()
            loss, ratio = self.loss(rollout)
            loss.backward()
            max_norm = math.inf if cfg.max_grad_norm is None else cfg.max_grad_norm  # inf: measure, never clip
            norms.append(clip_grad_norm(self.policy.parameters(), max_norm))
            self.optimizer.step()
            losses.append(loss.item())
            if cfg.clip_eps_low is not None:
                clips.append(clip_fractions(ratio, rollout.advantages, rollout.mask,
                                            cfg.clip_eps_low, cfg.clip_eps_high))
        clip_low, clip_high = np.mean(clips, axis=0) if clips else (0.0, 0.0)
        collapsed = cfg.entropy_floor is not None and stats["entropy"] < cfg.entropy_floor
        if collapsed:
            warnings.warn(
                f"GRPOTrainer.step: mean entropy {stats['entropy']:.3g} nats is below entropy_floor="
                f"{cfg.entropy_floor}: entropy collapse (§8), the policy has stopped exploring. "
                "Try a larger entropy_coef, a smaller lr, or clip_eps_high > clip_eps_low.",
                RuntimeWarning,
                stacklevel=2,
            )
        return GRPOStats(loss=float(np.mean(losses)), grad_norm=float(np.mean(norms)),
                         clip_fraction_low=float(clip_low), clip_fraction_high=float(clip_high),
                         entropy_collapse=bool(collapsed), **stats)

    def loss(self, rollout):
        """The loss for one inner step, and the ratios r = π_new/π_old (an array, for the statistics).

            ℓᵢₜ = −L^CLIP(rᵢₜ, Aᵢ) + β·KLᵢₜ      (β·KL only when kl_mode is "loss")
            loss = aggregate(ℓ) − c · mean entropy

        The KL sits inside each token's loss, averaged like the policy term, as
        in GRPO's objective; the entropy bonus is the mean over all completion tokens.
        """
        cfg = self.config
        logits = self._logits(self.policy, rollout.inputs)
        log_probs = token_log_probs(logits, rollout.targets)
        ratio = (log_probs - rollout.old_log_probs).exp()
        adv = rollout.advantages[:, None]
        if cfg.clip_eps_low is None:
            per_token = -(ratio * adv)
        else:
            per_token = -clipped_objective(ratio, adv, cfg.clip_eps_low, cfg.clip_eps_high)
        if cfg.kl_beta and cfg.kl_mode == "loss":
            if cfg.kl_estimator == "exact":
                kl = kl_exact(logits, rollout.ref_logits)
            else:
                kl = kl_estimate(log_probs, rollout.ref_log_probs, cfg.kl_estimator)
            per_token = per_token + cfg.kl_beta * kl
        loss = aggregate(per_token, rollout.mask, cfg.aggregation, cfg.constant_length)
        if cfg.entropy_coef:
            loss = loss - cfg.entropy_coef * mean_entropy(logits, rollout.mask)
        return loss, ratio.data

    def _rollout(self, ids, completion_mask, rewards):
        """Step 1 of ``step``: everything that stays fixed during the inner updates, and the statistics."""
        cfg = self.config
        ids, mask = _sequences(ids, completion_mask)
        r = _rewards(rewards, "GRPOTrainer.step")
        if r.size != len(ids):
            raise ValueError(
                f"GRPOTrainer.step: ids of shape {ids.shape} hold {len(ids)} sequences but rewards of "
                f"shape {r.shape} hold {r.size}; give one reward per sequence"
            )
        inputs, targets, mask = ids[:, :-1], ids[:, 1:], mask[:, 1:]
        with no_grad():
            logits = self._logits(self.policy, inputs)
            ref_logits = self._logits(self.reference, inputs)
            old = token_log_probs(logits, targets).data
            ref = token_log_probs(ref_logits, targets).data
            kl = {"k1": kl_estimate(old, ref, "k1").data, "k3": kl_estimate(old, ref, "k3").data,
                  "exact": kl_exact(logits, ref_logits).data}
            entropy = F.entropy(logits).data
        shaped = r
        if cfg.kl_beta and cfg.kl_mode == "reward":
            shaped = kl_shaped_rewards(r, kl[cfg.kl_estimator], mask, cfg.kl_beta)
        adv = advantages(shaped, cfg.baseline, cfg.group_size, cfg.normalize_std).reshape(-1)
        stats = {
            "reward_mean": float(r.mean()), "reward_std": float(r.std()),
            "advantage_mean": float(adv.mean()), "advantage_std": float(adv.std()),
            "kl_k3": float(kl["k3"][mask].mean()), "kl_exact": float(kl["exact"][mask].mean()),
            "entropy": float(entropy[mask].mean()),
        }
        return _Rollout(inputs, targets, mask, old, ref, ref_logits.data, adv), stats

    @staticmethod
    def _logits(model, inputs):
        """Run a model on ids (B, T) and check it returned logits (B, T, V)."""
        logits = model(inputs)
        shape = logits.shape
        if len(shape) != 3 or shape[:2] != inputs.shape:
            raise ValueError(
                f"GRPOTrainer: the policy and reference must map ids of shape {inputs.shape} to logits of "
                f"shape ({inputs.shape[0]}, {inputs.shape[1]}, vocab), got shape {tuple(shape)}"
            )
        return logits if isinstance(logits, Tensor) else Tensor(np.asarray(logits))


def _sequences(ids, completion_mask):
    """Integer ids (B, T) with T ≥ 2 and a completion mask of that shape, False at position 0."""
    ids = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"GRPOTrainer.step: ids must be integer token ids, got dtype {ids.dtype}")
    if ids.ndim != 2 or ids.shape[1] < 2:
        raise ValueError(
            f"GRPOTrainer.step: ids must have shape (B, T) with T >= 2 (a prompt token, then the "
            f"completion), got {ids.shape}"
        )
    mask = _mask(completion_mask, ids.shape, "GRPOTrainer.step", "ids")
    if mask[:, 0].any():
        raise ValueError(
            "GRPOTrainer.step: completion_mask[:, 0] must be False: every sequence starts with at least "
            "one prompt token, since no logit predicts the first token"
        )
    return ids, mask


def _check_choice(value, choices, where, what):
    if value not in choices:
        raise ValueError(f"{where}: {what} must be one of {choices}, got {value!r}")
