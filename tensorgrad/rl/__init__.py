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

``baselines`` holds the advantages (§17) and ``objectives`` the other
formulas, one function each (§15–§18); ``trainer``'s ``GRPOTrainer`` puts
them together into the post's "REINFORCE, plus a group baseline, clipping
and a KL leash", i.e. GRPO. Every name of the three is importable from
``tensorgrad.rl``.
"""

from tensorgrad.rl.baselines import BASELINES, STD_EPS, advantages
from tensorgrad.rl.objectives import (
    AGGREGATIONS,
    KL_ESTIMATORS,
    KL_MODES,
    aggregate,
    clip_band,
    clip_fractions,
    clip_ratio,
    clipped_objective,
    clipped_surrogate_loss,
    kl_estimate,
    kl_exact,
    kl_shaped_rewards,
    mean_entropy,
    reinforce_loss,
    token_log_probs,
)
from tensorgrad.rl.trainer import GRPOConfig, GRPOStats, GRPOTrainer

__all__ = [
    "AGGREGATIONS",
    "BASELINES",
    "KL_ESTIMATORS",
    "KL_MODES",
    "STD_EPS",
    "GRPOConfig",
    "GRPOStats",
    "GRPOTrainer",
    "advantages",
    "aggregate",
    "clip_band",
    "clip_fractions",
    "clip_ratio",
    "clipped_objective",
    "clipped_surrogate_loss",
    "kl_estimate",
    "kl_exact",
    "kl_shaped_rewards",
    "mean_entropy",
    "reinforce_loss",
    "token_log_probs",
]
