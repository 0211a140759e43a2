"""The trainer: the post's RL loop, REINFORCE with a group baseline, clipping and a KL leash (GRPO).

``GRPOConfig`` holds the knobs, ``GRPOTrainer.step`` runs one RL step on a
batch of sampled sequences and returns ``GRPOStats``. Every formula it uses
is one of ``objectives``' functions.
"""

import copy
import math
import warnings
from dataclasses import dataclass

import numpy as np

from tensorgrad import checks
from tensorgrad import functional as F
from tensorgrad.nn import Module
from tensorgrad.optim import AdamW, Optimizer, clip_grad_norm
from tensorgrad.rl.baselines import BASELINES, advantages
from tensorgrad.rl.objectives import (
    AGGREGATIONS,
    KL_ESTIMATORS,
    KL_MODES,
    aggregate,
    clip_band,
    clip_fractions,
    clipped_objective,
    kl_estimate,
    kl_exact,
    kl_shaped_rewards,
    mean_entropy,
    token_log_probs,
)
from tensorgrad.tensor import Tensor, no_grad


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
        for name, choices in (("baseline", BASELINES), ("aggregation", AGGREGATIONS),
                              ("kl_estimator", KL_ESTIMATORS), ("kl_mode", KL_MODES)):
            checks.choice(getattr(self, name), choices, "GRPOConfig", name)
        if self.clip_eps_low is None and self.clip_eps_high is not None:
            raise ValueError("GRPOConfig: clip_eps_high needs clip_eps_low (clip_eps_low=None means no clipping)")
        if self.clip_eps_low is not None:
            clip_band(self.clip_eps_low, self.clip_eps_high, "GRPOConfig")
        checks.count(self.inner_steps, "GRPOConfig", "inner_steps")
        for name in ("kl_beta", "entropy_coef", "weight_decay"):  # inf: a NaN loss or a refused step, later
            checks.interval(getattr(self, name), 0, math.inf, "GRPOConfig", name)
        if self.constant_length is not None:  # inf: a loss of 0
            checks.interval(self.constant_length, 0, math.inf, "GRPOConfig", "constant_length (or None)", "()")
        for name in ("max_grad_norm", "entropy_floor", "lr"):  # max_grad_norm = inf measures and never clips
            if getattr(self, name) is not None:
                checks.positive(getattr(self, name), "GRPOConfig", f"{name} (or None)")


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
        if reference is policy:
            raise ValueError("GRPOTrainer: the reference is the policy itself, so π_ref would move with π and the KL "
                             "to it would always be 0; leave reference=None for a frozen copy of the policy")
        if isinstance(reference, Module) and isinstance(policy, Module):
            ours = {id(p) for p in policy.parameters()}
            shared = [name for name, p in reference.named_parameters() if id(p) in ours]
            if shared:
                raise ValueError(f"GRPOTrainer: the reference shares parameter {shared[0]!r} with the policy "
                                 f"({len(shared)} shared in all), so it would move with it (a shallow copy?); "
                                 "leave reference=None for a frozen deep copy")
        self.reference = copy.deepcopy(policy) if reference is None else reference
        if optimizer is None:
            optimizer = AdamW(policy.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay)
        elif isinstance(optimizer, Optimizer) and isinstance(policy, Module):
            ours = {id(p) for p in policy.parameters()}
            if not any(id(p) in ours for p in optimizer.params):  # some of them (a frozen part) is fine
                raise ValueError("GRPOTrainer: the optimizer holds none of the policy's parameters, so the policy "
                                 "would never move (was it made for another copy of the model?)")
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
        r = checks.rewards(rewards, "GRPOTrainer.step")
        if r.size != len(ids):
            raise ValueError(f"GRPOTrainer.step: ids of shape {ids.shape} hold {len(ids)} sequences but rewards of "
                             f"shape {r.shape} hold {r.size}; give one reward per sequence")
        inputs, targets, mask = ids[:, :-1], ids[:, 1:], mask[:, 1:]
        with no_grad():
            logits = self._logits(self.policy, inputs)
            ref_logits = self._logits(self.reference, inputs)
            old = token_log_probs(logits, targets).data
            ref = token_log_probs(ref_logits, targets).data
            kl = {"k1": kl_estimate(old, ref, "k1").data, "k3": kl_estimate(old, ref, "k3").data,
                  "exact": kl_exact(logits, ref_logits).data}
            entropy = F.entropy(logits=logits).data
        shaped = r
        if cfg.kl_beta and cfg.kl_mode == "reward":
            shaped = kl_shaped_rewards(r, kl[cfg.kl_estimator], mask, cfg.kl_beta)
        adv = advantages(shaped, cfg.baseline, cfg.group_size, cfg.normalize_std).reshape(-1)
        stats = {
            "reward_mean": _mean(r), "reward_std": _mean(r, std=True),
            "advantage_mean": _mean(adv), "advantage_std": _mean(adv, std=True),
            "kl_k3": float(kl["k3"][mask].mean()), "kl_exact": float(kl["exact"][mask].mean()),
            "entropy": float(entropy[mask].mean()),
        }
        return _Rollout(inputs, targets, mask, old, ref, ref_logits.data, adv), stats

    @staticmethod
    def _logits(model, inputs):
        """Run a model on ids (B, T) and check it returned logits (B, T, V)."""
        logits = model(inputs)
        checks.model_logits(logits.shape, inputs.shape, "GRPOTrainer", "the policy and the reference")
        return logits if isinstance(logits, Tensor) else Tensor(np.asarray(logits))


def _mean(a, std=False):
    """The mean (or population std) of finite numbers, computed on a scaled by a power of two (exact) so that its
    largest |entry| is below 1: rewards of 1e308 have a mean and a spread, though their sum overflows."""
    _, e = np.frexp(np.abs(a).max())
    with np.errstate(under="ignore"):  # an entry too small to matter beside the largest
        scaled = np.ldexp(a, -e)
    return float(np.ldexp(scaled.std() if std else scaled.mean(), e))


def _sequences(ids, completion_mask):
    """Integer ids (B, T) with T ≥ 2 and a completion mask of that shape, False at position 0."""
    ids = checks.token_ids(ids, "GRPOTrainer.step", "ids", "(B, T)", (2,), 2, " (a prompt token, then the completion)")
    mask = checks.completion_mask(completion_mask, ids.shape, "GRPOTrainer.step", "ids")
    if mask[:, 0].any():
        raise ValueError("GRPOTrainer.step: completion_mask[:, 0] must be False: every sequence starts with at least "
                         "one prompt token, since no logit predicts the first token")
    return ids, mask
