"""Tests for tensorgrad.rl: advantages, policy-gradient losses, the KL leash, GRPOTrainer (§8, §15–§18).

The post's Part 5 numbers are checked exactly. Statistical claims (k3 is an
unbiased KL estimate, a baseline leaves the expected gradient alone) are
checked by Monte Carlo with a fixed seed: the sample mean must lie within
4 standard errors of the exact value, and each test also shows that the
check is sharp enough to reject a wrong value, so it cannot pass by luck.
Gradients are checked in float64.
"""

import math
import warnings

import numpy as np
import pytest

from tensorgrad import GPT, Tensor, gradcheck
from tensorgrad import functional as F
from tensorgrad.nn import Module
from tensorgrad.optim import SGD
from tensorgrad.rl import (
    STD_EPS,
    GRPOConfig,
    GRPOTrainer,
    advantages,
    aggregate,
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


def log_softmax(z):
    """The definition z − log Σ e^z, in NumPy, for references."""
    z = np.asarray(z, dtype=np.float64)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def grad_of(loss_fn, logits):
    """d loss / d logits, for a loss built from a (B, T, V) logits Tensor."""
    x = Tensor(np.array(logits, dtype=np.float64), requires_grad=True)
    loss_fn(x).backward()
    return x.grad


# ---- advantages (§17): the post's numbers ------------------------------------------------------
def test_the_posts_four_responses_become_plus_and_minus_a_half():
    rewards = [1, 1, 0, 0]
    assert advantages(rewards, "group_mean").tolist() == [0.5, 0.5, -0.5, -0.5]
    assert advantages(rewards, "batch_mean").tolist() == [0.5, 0.5, -0.5, -0.5]
    assert advantages(rewards).tolist() == [1, 1, 0, 0]  # no baseline: the raw rewards
    # leave-one-out: a correct answer's baseline is mean(1, 0, 0) = 1/3, a wrong one's mean(1, 1, 0) = 2/3
    np.testing.assert_allclose(advantages(rewards, "leave_one_out"), [2 / 3, 2 / 3, -2 / 3, -2 / 3], rtol=1e-15)


def test_the_posts_quick_check_three_of_eight_correct():
    rewards = [1, 1, 1, 0, 0, 0, 0, 0]  # mean 0.375
    adv = advantages(rewards, "group_mean", group_size=8)
    assert adv.tolist() == [0.625] * 3 + [-0.375] * 5
    assert advantages(np.array([rewards]), "group_mean").tolist() == [[0.625] * 3 + [-0.375] * 5]


def test_each_prompt_is_graded_on_its_own_curve():
    rewards = [1, 0, 0, 0, 5, 7, 9, 9]  # two prompts of G = 4, consecutive
    adv = advantages(rewards, "group_mean", group_size=4)
    assert adv.tolist() == [0.75, -0.25, -0.25, -0.25, -2.5, -0.5, 1.5, 1.5]
    assert advantages(np.reshape(rewards, (2, 4)), "group_mean").tolist() == adv.reshape(2, 4).tolist()
    # the batch mean (3.875) would call every answer of the first prompt bad
    assert (advantages(rewards, "batch_mean")[:4] < 0).all()


def test_leave_one_out_is_the_group_advantage_scaled_by_g_over_g_minus_one():
    rewards = np.random.default_rng(0).normal(size=(3, 5))
    loo = advantages(rewards, "leave_one_out")
    others = (rewards.sum(axis=1, keepdims=True) - rewards) / 4
    np.testing.assert_allclose(loo, rewards - others, rtol=1e-13)
    np.testing.assert_allclose(loo, 5 / 4 * advantages(rewards, "group_mean"), rtol=1e-13)


def test_std_normalisation_divides_by_the_groups_population_std_plus_eps():
    adv = advantages([1, 1, 0, 0, 3, 1, 2, 2], "group_mean", group_size=4, normalize_std=True)
    sigma_2 = math.sqrt(0.5)  # rewards 3, 1, 2, 2: mean 2, squared deviations 1, 1, 0, 0
    expected = [0.5 / (0.5 + STD_EPS)] * 2 + [-0.5 / (0.5 + STD_EPS)] * 2 + [
        1 / (sigma_2 + STD_EPS), -1 / (sigma_2 + STD_EPS), 0, 0]
    np.testing.assert_allclose(adv, expected, rtol=1e-14)


def test_a_group_with_equal_rewards_gets_exactly_zero_never_nan():
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        for baseline in ("group_mean", "leave_one_out"):
            adv = advantages([0.1, 0.1, 0.1, 1, 0, 1], baseline, group_size=3, normalize_std=True)
            assert adv[:3].tolist() == [0, 0, 0] and (adv[3:] != 0).all()
        assert advantages([3, 3, 3, 3], "batch_mean", normalize_std=True).tolist() == [0, 0, 0, 0]
        # without the rule, mean([0.1]*3) - 0.1 = 1.4e-17 would survive (and be divided by eps)
        assert advantages([0.1, 0.1, 0.1], "group_mean").tolist() == [0, 0, 0]
        assert advantages([2.0, 2.0], "group_mean", normalize_std=True).tolist() == [0, 0]


def test_bad_rewards_and_group_sizes_are_named():
    with pytest.raises(ValueError, match=r"advantages: rewards of shape \(3,\) contain 1 NaN.*index \(1,\)"):
        advantages([1, float("nan"), 0], "group_mean")
    with pytest.raises(ValueError, match="advantages: rewards .* infinite"):
        advantages([1, float("inf")], "batch_mean")
    with pytest.raises(ValueError, match=r"advantages: group_size=3 does not divide .*shape \(4,\)"):
        advantages([1, 0, 1, 0], "group_mean", group_size=3)
    with pytest.raises(ValueError, match=r"advantages: rewards of shape \(2, 4\) are 2 groups of 4, but group_size=3"):
        advantages(np.zeros((2, 4)), "group_mean", group_size=3)
    with pytest.raises(ValueError, match="leave_one_out needs groups of at least 2"):
        advantages([1, 0], "leave_one_out", group_size=1)
    with pytest.raises(ValueError, match="normalize_std .* needs one"):
        advantages([1, 0], normalize_std=True)
    with pytest.raises(ValueError, match="advantages: baseline must be one of"):
        advantages([1, 0], "mean")


# ---- log π of the chosen tokens -----------------------------------------------------------------
def test_token_log_probs_pick_each_chosen_tokens_log_probability():
    rng = np.random.default_rng(1)
    logits, ids = rng.normal(size=(2, 3, 5)), rng.integers(0, 5, size=(2, 3))
    got = token_log_probs(logits, ids).data
    expected = [[log_softmax(logits[b, t])[ids[b, t]] for t in range(3)] for b in range(2)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    shapes = r"token_log_probs: logits of shape \(2, 3, 5\) need ids of shape \(2, 3\).*\(3, 2\)"
    with pytest.raises(ValueError, match=shapes):
        token_log_probs(logits, ids.T)
    with pytest.raises(IndexError, match=r"token_log_probs: ids must lie in \[0, 5\)"):
        token_log_probs(logits, ids + 5)


# ---- aggregation modes, on sequences of unequal length ------------------------------------------
# Sequence 0 has 3 completion tokens, sequence 1 has 1 (then padding, whose values must not count).
VALUES = np.array([[1.0, 2.0, 3.0], [4.0, 100.0, 100.0]])
MASK = np.array([[True, True, True], [True, False, False]])


def test_aggregation_modes_give_the_documented_numbers():
    assert aggregate(VALUES, MASK, "sequence_mean").item() == pytest.approx((2 + 4) / 2)  # mean of means
    assert aggregate(VALUES, MASK, "token_mean").item() == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert aggregate(VALUES, MASK, "constant").item() == pytest.approx((6 + 4) / (2 * 3))  # C = T = 3
    assert aggregate(VALUES, MASK, "constant", constant_length=5).item() == pytest.approx(10 / (2 * 5))


def test_aggregation_modes_weigh_each_token_as_documented():
    """d loss / d ℓᵢₜ is each token's weight: 1/(B·|oᵢ|), 1/Σ|oᵢ|, 1/(B·C)."""
    expected = {
        "sequence_mean": [[1 / 6, 1 / 6, 1 / 6], [1 / 2, 0, 0]],  # the lone token weighs 3× more
        "token_mean": [[1 / 4, 1 / 4, 1 / 4], [1 / 4, 0, 0]],
        "constant": [[1 / 6, 1 / 6, 1 / 6], [1 / 6, 0, 0]],
    }
    for mode, weights in expected.items():
        x = Tensor(VALUES, requires_grad=True)
        aggregate(x, MASK, mode).backward()
        np.testing.assert_allclose(x.grad, weights, rtol=1e-15, err_msg=mode)


def test_reinforce_loss_by_hand_for_each_mode():
    log_probs = np.array([[-1.0, -2.0, -3.0], [-4.0, -0.5, -0.5]])
    adv = np.array([1.0, -0.5])  # per-token −A·log π: [[1, 2, 3], [−2, ·, ·]]
    assert reinforce_loss(log_probs, adv, MASK, "sequence_mean").item() == pytest.approx((2 - 2) / 2)
    assert reinforce_loss(log_probs, adv, MASK, "token_mean").item() == pytest.approx((6 - 2) / 4)
    assert reinforce_loss(log_probs, adv, MASK, "constant").item() == pytest.approx((6 - 2) / 6)


def test_bad_masks_and_shapes_are_named():
    with pytest.raises(ValueError, match=r"aggregate: sequence_mean .* sequence\(s\) \[1\] .* shape \(2, 3\)"):
        aggregate(VALUES, [[True, False, False], [False, False, False]], "sequence_mean")
    assert aggregate(VALUES, [[True, False, False], [False, False, False]], "token_mean").item() == 1
    with pytest.raises(ValueError, match=r"aggregate: the mask of shape \(2, 3\) marks no completion token"):
        aggregate(VALUES, np.zeros((2, 3), bool), "token_mean")
    with pytest.raises(ValueError, match=r"aggregate: the mask has shape \(2, 2\) but the .* \(2, 3\)"):
        aggregate(VALUES, np.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"reinforce_loss: .* of shape \(2, 3\) and advantages of shape \(3,\)"):
        reinforce_loss(VALUES, np.ones(3), MASK)
    with pytest.raises(ValueError, match=r"clipped_surrogate_loss: old_log_probs of shape \(2, 2\) differ .* \(2, 3\)"):
        clipped_surrogate_loss(VALUES, np.zeros((2, 2)), np.ones(2), MASK)
    with pytest.raises(ValueError, match=r"aggregate: mode must be one of"):
        aggregate(VALUES, MASK, "mean")


# ---- clipping (§18) -----------------------------------------------------------------------------
def test_the_posts_clipping_example():
    asked = 0.85 / 0.10  # the update wants 10 % → 85 %: ratio 8.5
    assert asked == pytest.approx(8.5)
    assert clip_ratio(asked, 0.2) == pytest.approx(1.2)
    assert 0.10 * clip_ratio(asked, 0.2) == pytest.approx(0.12)  # 10 % → 12 % this step
    assert clip_ratio(asked, 0.2, 0.28) == pytest.approx(1.28)  # DAPO's wider top
    assert clip_ratio(0.1, 0.2, 0.28) == pytest.approx(0.8)
    assert clip_ratio(1.1, 0.2) == 1.1


# Ratios π_new/π_old of the completion tokens (columns 2–5; columns 0–1 are the prompt), chosen to
# fall on both sides of 1 ± 0.2 and between 1.2 and 1.28, where only the symmetric band clips.
RATIOS = np.array([
    [1.0, 1.0, 0.7, 1.1, 1.25, 1.5],  # A > 0
    [1.0, 1.0, 0.5, 0.9, 1.25, 1.5],  # A < 0
    [1.0, 1.0, 0.75, 1.0, 1.22, 1.35],  # A > 0
    [1.0, 1.0, 0.6, 0.79, 0.95, 1.6],  # A < 0; the last token is padding
])
ADVANTAGES = np.array([1.0, -1.0, 0.5, -2.0])


def clipping_setup(seed=2):
    """Random logits and tokens, old log-probs that give RATIOS, ADVANTAGES, and a ragged mask."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(4, 6, 5))
    ids = rng.integers(0, 5, size=(4, 6))
    old = token_log_probs(logits, ids).data - np.log(RATIOS)
    mask = np.ones((4, 6), bool)
    mask[:, :2] = False  # the prompt
    mask[3, 5] = False  # padding
    return logits, ids, old, ADVANTAGES, mask


@pytest.mark.parametrize("eps_low, eps_high", [(0.2, None), (0.2, 0.28)])
def test_the_clipped_gradient_is_zero_exactly_where_the_band_is_left_in_the_advantages_direction(eps_low, eps_high):
    logits, ids, old, adv, mask = clipping_setup()
    high = eps_low if eps_high is None else eps_high
    g = grad_of(lambda x: clipped_surrogate_loss(token_log_probs(x, ids), old, adv, mask, eps_low, eps_high), logits)
    ratio = np.exp(token_log_probs(logits, ids).data - old)
    clipped = ((adv[:, None] > 0) & (ratio > 1 + high)) | ((adv[:, None] < 0) & (ratio < 1 - eps_low))
    zero = clipped | ~mask
    assert (clipped & mask).sum() == (7 if eps_high is None else 5)  # 1.25 and 1.22 clip only when symmetric
    assert (g[zero] == 0).all()
    assert (np.abs(g[~zero]).sum(axis=-1) > 1e-6).all()
    # of 15 completion tokens, 0.5, 0.6, 0.79 are clipped below; 1.5, 1.35 (and 1.25, 1.22) above
    expected = (3 / 15, 4 / 15) if eps_high is None else (3 / 15, 2 / 15)
    assert clip_fractions(ratio, adv, mask, eps_low, eps_high) == expected


@pytest.mark.parametrize("aggregation", ["sequence_mean", "token_mean", "constant"])
def test_at_ratio_one_the_clipped_surrogate_has_the_reinforce_gradient(aggregation):
    logits, ids, _, adv, mask = clipping_setup()
    fresh = token_log_probs(logits, ids).data  # π_old = π: every ratio is 1
    g_clip = grad_of(lambda x: clipped_surrogate_loss(token_log_probs(x, ids), fresh, adv, mask,
                                                      aggregation=aggregation), logits)
    g_reinforce = grad_of(lambda x: reinforce_loss(token_log_probs(x, ids), adv, mask, aggregation), logits)
    np.testing.assert_allclose(g_clip, g_reinforce, rtol=1e-12, atol=1e-15)
    assert np.abs(g_reinforce).max() > 1e-3


def test_the_min_never_makes_the_update_larger():
    logits, ids, old, adv, mask = clipping_setup(seed=3)
    g_clip = grad_of(lambda x: clipped_surrogate_loss(token_log_probs(x, ids), old, adv, mask, 0.2), logits)
    g_free = grad_of(lambda x: clipped_surrogate_loss(token_log_probs(x, ids), old, adv, mask, None), logits)
    assert (np.abs(g_clip) <= np.abs(g_free)).all()
    assert np.abs(g_clip).sum() < np.abs(g_free).sum()  # and here it is strictly smaller
    r = np.linspace(0.01, 5, 501)
    for a in (-2.0, -0.3, 0.0, 0.7, 3.0):
        objective = clipped_objective(Tensor(r), a, 0.2, 0.28).data
        assert (objective <= r * a).all()


def test_clipped_objective_works_on_numbers_and_arrays_as_clip_ratio_does():
    r, a = np.array([[0.5, 1.0, 1.5, 0.7]]), np.array([[1.0, -1.0, 1.0, -2.0]])
    on_tensors = clipped_objective(Tensor(r), Tensor(a), 0.2, 0.28).data
    np.testing.assert_array_equal(on_tensors, [[0.5, -1.0, 1.28, -1.6]])  # min(r·A, clip(r)·A), by hand
    np.testing.assert_array_equal(clipped_objective(r, a, 0.2, 0.28), on_tensors)
    assert clipped_objective(1.5, 1.0, 0.2) == 1.2 and clipped_objective(0.5, -1.0, 0.2) == -0.8


# ---- the KL leash (§15) -------------------------------------------------------------------------
def test_k3_is_never_negative_and_its_sample_mean_is_the_exact_kl():
    policy_logits = np.array([1.0, 0.2, -0.5, 0.8, -1.5, 0.0])
    ref_logits = np.array([0.3, 0.9, -0.2, 0.1, -0.4, -1.0])
    p, ref = np.exp(log_softmax(policy_logits)), np.exp(log_softmax(ref_logits))
    exact = float(np.sum(p * np.log(p / ref)))  # the definition
    assert kl_exact(policy_logits, ref_logits).item() == pytest.approx(exact, rel=1e-13)
    n = 100_000
    tokens = np.random.default_rng(4).choice(6, size=n, p=p)  # x ~ π
    log_probs = log_softmax(policy_logits)[tokens][None, :]
    ref_log_probs = log_softmax(ref_logits)[tokens][None, :]
    for estimator in ("k1", "k3"):
        values = kl_estimate(log_probs, ref_log_probs, estimator).data.ravel()
        mean, se = values.mean(), values.std() / math.sqrt(n)
        assert abs(mean - exact) < 4 * se, estimator  # unbiased
        assert se < exact / 40, estimator  # and sharp: a 10 % error would be 4 standard errors
    k1 = kl_estimate(log_probs, ref_log_probs, "k1").data
    k3 = kl_estimate(log_probs, ref_log_probs, "k3").data
    assert (k3 >= 0).all() and (k1 < 0).any()  # single k1 values go negative, k3 never does
    assert k3.var() < k1.var()


def test_kl_shaped_rewards_subtract_beta_times_each_sequences_kl():
    kl = np.array([[0.1, 0.2, 9.0], [0.3, 5.0, 5.0]])  # 9 and 5 sit on padding/prompt: ignored
    mask = np.array([[True, True, False], [True, False, False]])
    np.testing.assert_allclose(kl_shaped_rewards([1.0, 0.0], kl, mask, 0.5), [1 - 0.15, -0.15], rtol=1e-15)
    with pytest.raises(ValueError, match=r"kl_shaped_rewards: kl_per_token must have shape \(B, T\) with B = 3"):
        kl_shaped_rewards([1.0, 0.0, 1.0], kl, mask, 0.5)


def test_mean_entropy_is_the_token_mean_of_the_policys_entropy():
    logits = np.random.default_rng(5).normal(size=(2, 3, 4))
    mask = np.array([[False, True, True], [False, True, False]])
    h = -(np.exp(log_softmax(logits)) * log_softmax(logits)).sum(-1)
    assert mean_entropy(logits, mask).item() == pytest.approx(h[mask].mean(), rel=1e-13)


# ---- gradients checked against finite differences -------------------------------------------------
def test_gradchecks_of_every_loss_with_respect_to_the_logits():
    logits, ids, old, adv, mask = clipping_setup(seed=6)
    logits, ids, old, mask = logits[:2, :4], ids[:2, :4], old[:2, :4], mask[:2, :4]
    adv = adv[:2]
    ref_logits = np.random.default_rng(7).normal(size=logits.shape)
    ref = token_log_probs(ref_logits, ids).data
    losses = {
        "reinforce": lambda x: reinforce_loss(token_log_probs(x, ids), adv, mask),
        "clipped": lambda x: clipped_surrogate_loss(token_log_probs(x, ids), old, adv, mask, 0.2, 0.28,
                                                    aggregation="token_mean"),
        "k1": lambda x: aggregate(kl_estimate(token_log_probs(x, ids), ref, "k1"), mask),
        "k3": lambda x: aggregate(kl_estimate(token_log_probs(x, ids), ref, "k3"), mask, "constant"),
        "exact": lambda x: aggregate(kl_exact(x, ref_logits), mask),
        "entropy": lambda x: mean_entropy(x, mask),
    }
    for name, loss in losses.items():
        assert gradcheck(loss, logits).ok, name


# ---- variance reduction on a bandit (§17) ----------------------------------------------------------
def bandit_gradient_estimates(baseline, theta, arm_means, n_batches, group, rng):
    """n_batches REINFORCE estimates of ∇θ E[reward], each from a batch of ``group`` pulls.

    One backward pass for all of them: batch n reads its own copy θₙ of the
    logits, so θₙ's gradient is batch n's estimate (times 1/n_batches, undone here).
    """
    probs = np.exp(log_softmax(theta))
    arms = rng.choice(len(theta), size=(n_batches, group), p=probs)
    rewards = arm_means[arms] + rng.normal(scale=2.0, size=arms.shape)
    copies = Tensor(np.tile(theta, (n_batches, 1)), requires_grad=True)
    logits = copies[np.repeat(np.arange(n_batches), group)].reshape(n_batches * group, 1, len(theta))
    log_probs = token_log_probs(logits, arms.reshape(-1, 1))
    adv = advantages(rewards, baseline).reshape(-1)
    loss = reinforce_loss(log_probs, adv, np.ones((n_batches * group, 1), bool), "sequence_mean")
    loss.backward()
    return -copies.grad * n_batches  # the loss is −(estimate of E[reward])


def test_a_baseline_keeps_the_expected_gradient_and_cuts_its_variance():
    """Rewards 75–82 as in the post's exam: all positive, so raw REINFORCE "reinforces everything"."""
    theta = np.array([0.5, 0.0, -0.5, 0.2])
    arm_means = np.array([75.0, 78.0, 80.0, 82.0])
    probs = np.exp(log_softmax(theta))
    exact = probs * (arm_means - probs @ arm_means)  # ∇θ Σₐ πₐ·Rₐ = πₐ(Rₐ − E[R])
    n, group = 4000, 8
    estimates = {b: bandit_gradient_estimates(b, theta, arm_means, n, group, np.random.default_rng(8))
                 for b in ("none", "leave_one_out", "group_mean")}
    for baseline, target in (("none", exact), ("leave_one_out", exact), ("group_mean", exact * (group - 1) / group)):
        g = estimates[baseline]
        se = g.std(axis=0) / math.sqrt(n)
        assert (np.abs(g.mean(axis=0) - target) < 4 * se).all(), baseline
    # the group mean includes the sample's own reward: expected gradient scaled by (G − 1)/G, and the
    # test is sharp enough to tell the two targets apart in both directions
    for baseline, wrong in (("group_mean", exact), ("leave_one_out", exact * (group - 1) / group)):
        g = estimates[baseline]
        assert (np.abs(g.mean(axis=0) - wrong) > 4 * g.std(axis=0) / math.sqrt(n)).any(), baseline
    variance = {b: g.var(axis=0).sum() for b, g in estimates.items()}
    assert variance["none"] > 100 * variance["leave_one_out"]
    assert variance["none"] > 100 * variance["group_mean"]


# ---- the trainer ----------------------------------------------------------------------------------
class BanditPolicy(Module):
    """A policy that ignores its context: one logit per arm, the same at every position."""

    def __init__(self, logits):
        self.logits = Tensor(np.array(logits, dtype=np.float64), requires_grad=True)

    def forward(self, ids):
        return self.logits.broadcast_to((*np.shape(ids), self.logits.shape[0]))


ARM_SUCCESS = np.array([0.1, 0.3, 0.5, 0.9])  # P(reward 1) of each arm


def bandit_rollout(policy, prompts, group, rng):
    """prompts × group sequences [prompt token, pulled arm], their completion mask and 0/1 rewards."""
    probs = np.exp(log_softmax(policy.logits.data))
    arms = rng.choice(len(probs), size=prompts * group, p=probs)
    ids = np.stack([np.zeros_like(arms), arms], axis=1)
    mask = np.array([[False, True]] * len(arms))
    rewards = (rng.random(len(arms)) < ARM_SUCCESS[arms]).astype(float)
    return ids, mask, rewards.reshape(prompts, group)


def test_grpo_improves_a_bandit_policys_expected_reward():
    policy = BanditPolicy(np.zeros(4))
    config = GRPOConfig(group_size=8, inner_steps=2, lr=0.05, kl_beta=0.01, entropy_floor=None)
    trainer = GRPOTrainer(policy, config)
    rng = np.random.default_rng(9)

    def expected_reward():
        return float(np.exp(log_softmax(policy.logits.data)) @ ARM_SUCCESS)

    before = expected_reward()
    for _ in range(40):
        stats = trainer.step(*bandit_rollout(policy, 4, 8, rng))
    assert before == pytest.approx(0.45)
    assert expected_reward() > 0.75
    assert stats.kl_k3 > 0 and stats.kl_exact > 0  # it has left the reference behind
    np.testing.assert_array_equal(trainer.reference.logits.data, np.zeros(4))  # which stayed frozen


def test_plain_reinforce_config_takes_exactly_the_reinforce_step():
    policy = BanditPolicy([0.3, -0.2, 0.0, 0.1])
    start = policy.logits.data.copy()
    config = GRPOConfig(baseline="none", normalize_std=False, clip_eps_low=None, max_grad_norm=None)
    trainer = GRPOTrainer(policy, config, optimizer=SGD(policy.parameters(), lr=0.5))
    ids, mask, rewards = bandit_rollout(policy, 2, 4, np.random.default_rng(10))
    trainer.step(ids, mask, rewards)
    x = Tensor(start, requires_grad=True)
    reinforce_loss(token_log_probs(x.broadcast_to((8, 1, 4)), ids[:, 1:]), rewards.reshape(-1), mask[:, 1:]).backward()
    np.testing.assert_allclose(policy.logits.data, start - 0.5 * x.grad, rtol=1e-13)


def test_inner_steps_move_the_ratios_off_one_and_the_clip_engages():
    rng = np.random.default_rng(11)
    ids, mask, rewards = bandit_rollout(BanditPolicy(np.zeros(4)), 4, 8, rng)
    fresh = GRPOTrainer(BanditPolicy(np.zeros(4)), GRPOConfig(lr=0.3, inner_steps=1, entropy_floor=None))
    stats = fresh.step(ids, mask, rewards)
    assert stats.clip_fraction_low == stats.clip_fraction_high == 0  # one update on fresh samples: r = 1 exactly
    many = GRPOTrainer(BanditPolicy(np.zeros(4)), GRPOConfig(lr=0.3, inner_steps=6, entropy_floor=None))
    stats = many.step(ids, mask, rewards)
    assert stats.clip_fraction_low > 0 or stats.clip_fraction_high > 0


def test_a_collapsed_policy_triggers_the_entropy_warning():
    policy = BanditPolicy([12.0, 0.0, 0.0, 0.0])  # entropy ≈ 3e-4 nats: §8's "dropped to 0.01"
    trainer = GRPOTrainer(policy, GRPOConfig(entropy_floor=0.1))
    ids, mask, rewards = bandit_rollout(policy, 2, 4, np.random.default_rng(12))
    with pytest.warns(RuntimeWarning, match="entropy collapse"):
        stats = trainer.step(ids, mask, rewards)
    assert stats.entropy_collapse and stats.entropy < 0.01
    healthy = GRPOTrainer(BanditPolicy(np.zeros(4)), GRPOConfig(entropy_floor=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not healthy.step(ids, mask, rewards).entropy_collapse


@pytest.mark.parametrize("kl_estimator, kl_mode", [("exact", "loss"), ("k3", "loss"), ("k1", "reward")])
def test_grpo_steps_a_small_gpt(kl_estimator, kl_mode):
    model = GPT(vocab_size=6, block_size=8, dim=8, n_heads=2, n_layers=1, rng=0)
    reference_state = model.state_dict()
    config = GRPOConfig(group_size=2, inner_steps=2, lr=0.05, kl_beta=0.1, kl_estimator=kl_estimator,
                        kl_mode=kl_mode, entropy_coef=0.01, aggregation="token_mean", clip_eps_high=0.28)
    trainer = GRPOTrainer(model, config)
    rng = np.random.default_rng(13)
    ids = rng.integers(0, 6, size=(4, 7))
    mask = np.zeros((4, 7), bool)
    mask[:, 3:] = True
    mask[1, 6] = False  # a shorter completion, padded
    first = trainer.step(ids, mask, [1.0, 0.0, 0.0, 1.0])
    second = trainer.step(ids, mask, [1.0, 0.0, 0.0, 1.0])
    assert first.kl_k3 == 0 and first.kl_exact == 0  # the reference is the policy as it was
    assert second.kl_exact > 0 and second.kl_k3 > 0
    assert all(math.isfinite(v) for v in (second.loss, second.grad_norm, second.entropy))
    assert first.reward_mean == 0.5 and first.reward_std == 0.5
    assert first.advantage_std == pytest.approx(0.5 / (0.5 + STD_EPS))
    for name, array in trainer.reference.state_dict().items():
        np.testing.assert_array_equal(array, reference_state[name])
    assert any(not np.array_equal(a, reference_state[n]) for n, a in model.state_dict().items())


def test_the_reference_can_be_any_callable():
    policy = BanditPolicy(np.zeros(4))
    ref_logits = np.array([2.0, 0.0, 0.0, 0.0])
    trainer = GRPOTrainer(policy, GRPOConfig(kl_beta=0.1, entropy_floor=None),
                          reference=lambda ids: np.broadcast_to(ref_logits, (*ids.shape, 4)))
    stats = trainer.step(*bandit_rollout(policy, 2, 4, np.random.default_rng(14)))
    assert stats.kl_exact == pytest.approx(F.kl_divergence(p_logits=np.zeros(4), q_logits=ref_logits).item(), rel=1e-12)


def test_trainer_inputs_are_checked():
    policy = BanditPolicy(np.zeros(4))
    trainer = GRPOTrainer(policy, GRPOConfig(group_size=4))
    ids, mask, rewards = bandit_rollout(policy, 2, 4, np.random.default_rng(15))
    with pytest.raises(ValueError, match=r"GRPOTrainer.step: ids of shape \(8, 2\) hold 8 .* rewards of shape \(6,\)"):
        trainer.step(ids, mask, rewards.ravel()[:6])
    with pytest.raises(ValueError, match=r"completion_mask\[:, 0\] must be False"):
        trainer.step(ids, np.ones_like(mask), rewards)
    with pytest.raises(ValueError, match=r"GRPOTrainer.step: the mask of shape \(8, 2\) marks no completion token"):
        trainer.step(ids, np.zeros_like(mask), rewards)
    with pytest.raises(ValueError, match=r"GRPOTrainer.step: the mask has shape \(8, 3\) but the ids .* \(8, 2\)"):
        trainer.step(ids, np.zeros((8, 3), bool), rewards)
    with pytest.raises(ValueError, match=r"advantages: rewards of shape \(1, 8\) are 1 groups of 8, but group_size=4"):
        trainer.step(ids, mask, rewards.reshape(1, 8))
    with pytest.raises(ValueError, match="GRPOTrainer.step: rewards .* NaN"):
        trainer.step(ids, mask, np.where(np.arange(8) == 3, np.nan, 1.0))
    with pytest.raises(ValueError, match="GRPOConfig: aggregation must be one of"):
        GRPOConfig(aggregation="sum")
    with pytest.raises(ValueError, match="GRPOConfig: clip_eps_high needs clip_eps_low"):
        GRPOConfig(clip_eps_low=None, clip_eps_high=0.28)
