"""Advantages (§17): how much better than expected each completion did, A = r − baseline.

``advantages`` turns one reward per sequence into one advantage per sequence,
with the baselines of REINFORCE, GRPO and leave-one-out; the losses of
``objectives`` then weight each sequence's log-probabilities by it. Rewards
and advantages are plain NumPy arrays: no gradient flows through a reward.
"""

import math

import numpy as np

from tensorgrad import checks

BASELINES = ("none", "batch_mean", "group_mean", "leave_one_out")
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
    batch, and leave-one-out with G = 1 raise ValueError; an advantage beyond
    the largest float (r − b of ±1e308) raises OverflowError.
    """
    checks.choice(baseline, BASELINES, "advantages", "baseline")
    r = checks.rewards(rewards, "advantages")
    if normalize_std and baseline == "none":
        raise ValueError("advantages: normalize_std divides by the rewards' spread around a baseline, "
                         'so it needs one: choose baseline="batch_mean", "group_mean" or "leave_one_out"')
    checks.interval(eps, 0, math.inf, "advantages", "eps")  # eps = inf would make every advantage 0
    groups = _groups(r, group_size, "advantages")
    if baseline == "none":
        return r.copy()
    if baseline == "batch_mean":
        groups = r.reshape(1, -1)
    size = groups.shape[1]
    if baseline == "leave_one_out" and size < 2:
        raise ValueError("advantages: leave_one_out needs groups of at least 2 completions (the others make the "
                         f"baseline), got groups of {size}")
    # Each group is scaled by a power of two 2^−e that brings its largest |r| into [0.5, 1): exact, so the result
    # is what r − b would give, but no sum overflows (1e308 + 1.5e308) and no σ underflows to 0 (rewards of 5e-324).
    _, e = np.frexp(np.abs(groups).max(axis=1, keepdims=True))
    # underflow: an r too small to matter beside its group's largest; 0/0: a tied group with eps = 0, set to 0 below
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        scaled = np.ldexp(groups, -e)
        if baseline == "leave_one_out":
            b = (scaled.sum(axis=1, keepdims=True) - scaled) / (size - 1)
        else:
            b = scaled.mean(axis=1, keepdims=True)
        adv = scaled - b
        if normalize_std:
            adv /= scaled.std(axis=1, keepdims=True) + np.ldexp(eps, -e)  # (r − b)/(σ + eps), all scaled alike
        else:
            adv = np.ldexp(adv, e)
    adv[groups.max(axis=1) == groups.min(axis=1)] = 0.0  # tied groups: no signal
    if not np.isfinite(adv).all():
        index = checks.first_index(~np.isfinite(adv.reshape(r.shape)))
        raise OverflowError(f"advantages: the advantage of rewards{list(index)} = {r[index]:g} overflows float64: "
                            f"r − b is beyond the largest float ({np.finfo(np.float64).max:.4g})")
    return adv.reshape(r.shape)


def _groups(r, group_size, where):
    """The rewards as (number of groups, G): rows of a 2-d array, or runs of group_size."""
    if group_size is not None:
        checks.count(group_size, where, "group_size")
    if r.ndim == 2:
        if group_size is not None and group_size != r.shape[1]:
            raise ValueError(f"{where}: rewards of shape {r.shape} are {r.shape[0]} groups of {r.shape[1]}, "
                             f"but group_size={group_size}")
        return r
    if group_size is None:
        return r.reshape(1, -1)
    if r.size % group_size:
        raise ValueError(f"{where}: group_size={group_size} does not divide the batch: rewards of shape {r.shape} "
                         f"({r.size} sequences) cannot be split into groups of {group_size}")
    return r.reshape(-1, group_size)
