"""§17 Baselines & variance reduction: grading on a curve, A = R − mean.

The post's figures, computed by ``tensorgrad.rl.advantages``: the exam graded
on a curve (+4, −3), the four responses A–D (mean 0.5, advantages ±0.5) and
the quick check (8 responses, 3 right: mean 0.375, advantages +0.625 and
−0.375). Then the claim behind it, measured: on a policy whose rewards are
all positive (between +0.5 and +1.0, as at the end of §16), per-sample
REINFORCE gradients with and without a baseline have the same expected
direction, and the baseline's are far less spread out (the gradients are
computed as in §16, by ``demos.reinforce``). Nothing here trains a model, so
``fast`` changes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure
from demos.reinforce import exact_gradient, per_sample_gradients
from tensorgrad import functional as F
from tensorgrad import tensor
from tensorgrad.rl import advantages

TITLE = "§17 Baselines: grading on a curve, same direction, far less noise"

SEED = 0
# The exam: everyone scored between 75 and 82; the post's class average is 78.
EXAM_MEAN, BEST, WORST = 78.0, 82.0, 75.0
EXAM_FIGURES = ("+4", "-3")
# Four responses A–D and their rewards; the post's mean and advantages.
RESPONSES = {"A": 1.0, "B": 1.0, "C": 0.0, "D": 0.0}
CURVE_MEAN, CURVE_ADVANTAGES = "0.5", ("+0.5", "+0.5", "-0.5", "-0.5")
# The quick check: 8 responses, 3 correct (reward 1), 5 wrong (reward 0).
QUIZ = (1.0,) * 3 + (0.0,) * 5
QUIZ_MEAN, QUIZ_RIGHT, QUIZ_WRONG = "0.375", "+0.625", "-0.375"
# A policy over five answers whose rewards are all positive, "between +0.5 and +1.0" (§16's last paragraph).
POSITIVE_REWARDS = np.array([0.5, 0.625, 0.75, 0.875, 1.0])
POLICY_LOGITS = [0.5, 0.5, 0.0, 0.0, -0.5]
GROUP = 8  # G answers sampled per prompt, as in the quick check
GROUPS = 4_000  # seeded groups: 32,000 sampled answers
BASELINES = (("none", "no baseline (A = R)"), ("leave_one_out", "mean of the other 7"),
             ("group_mean", "group mean (GRPO)"))

HISTOGRAM_PNG = "baselines_histograms.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted like every demo's, and changes nothing (no training here)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_exam(), _responses(), _quick_check(), _variance(out_dir / HISTOGRAM_PNG)]


def _exam():
    curved = (tensor([BEST, WORST]) - EXAM_MEAN).data
    return Step("§17 Grading on a curve: every student scored between 75 and 82").say(
        f"Raw scores say \"everyone did well\". Subtract the class average ({EXAM_MEAN:.0f}, the post's figure):",
        figure(f"{BEST:.0f} − {EXAM_MEAN:.0f}, the best student", EXAM_FIGURES[0], curved[0]),
        figure(f"{WORST:.0f} − {EXAM_MEAN:.0f}, the worst student", EXAM_FIGURES[1], curved[1]),
        "Now the signal points somewhere: toward the 82-score strategy, away from the 75-score one.",
    )


def _responses():
    rewards = np.array(list(RESPONSES.values()))
    adv = advantages(rewards, baseline="group_mean")
    step = Step("§17 From noisy rewards to clear signals: A = R − mean (rl.advantages, baseline=\"group_mean\")").say(
        "Raw rewards " + ", ".join(f"{name} {r:+.0f}" for name, r in RESPONSES.items())
        + ": all the positives would be reinforced equally.",
        figure("mean reward of A, B, C, D", CURVE_MEAN, tensor(rewards).mean().item()),
    )
    step.say(*(figure(f"advantage of response {name}", post, a)
               for name, post, a in zip(RESPONSES, CURVE_ADVANTAGES, adv)))
    return step.say(
        "A and B did better than the group, C and D worse. The group IS the curve: no second model (PPO's",
        "\"critic\") is needed to estimate the baseline.",
    )


def _quick_check():
    rewards = np.array(QUIZ)
    adv = advantages(rewards, baseline="group_mean")
    scaled = advantages(rewards, baseline="group_mean", normalize_std=True)
    step = Step("§17 Quick check: 8 responses, 3 correct (R = 1), 5 wrong (R = 0)")
    step.record("A divided by the group's spread", scaled)
    return step.say(
        figure("the group's mean reward", QUIZ_MEAN, tensor(rewards).mean().item()),
        figure("advantage of a correct response", QUIZ_RIGHT, adv[0]),
        figure("advantage of a wrong response", QUIZ_WRONG, adv[-1]),
        f"GRPO's trainer also divides by the group's spread (standard deviation {rewards.std():.3f}, normalize_std=True):",
        f"A = {scaled[0]:+.3f} and {scaled[-1]:+.3f}, the same signs, on a scale that does not depend on how rewards"
        " are measured.",
    )


# ---- the variance, measured ---------------------------------------------------------------------
@dataclass
class Estimator:
    """Per-sample REINFORCE gradients A·∇log π with one choice of baseline, and their statistics."""

    label: str
    samples: np.ndarray  # (n, V)

    @property
    def mean(self):
        return self.samples.mean(axis=0)

    @property
    def standard_error(self):
        return self.samples.std(axis=0) / np.sqrt(len(self.samples))

    @property
    def variance(self):
        """The total variance: the sum of the five components' variances."""
        return float(self.samples.var(axis=0).sum())


def estimators():
    """GROUPS seeded groups of G answers, and every answer's A·∇log π under each of the BASELINES."""
    pi = F.softmax(tensor(POLICY_LOGITS)).data
    actions = np.random.default_rng(SEED).choice(len(pi), size=(GROUPS, GROUP), p=pi)
    rewards = POSITIVE_REWARDS[actions]  # (GROUPS, G): one row per group
    return [
        Estimator(label, per_sample_gradients(POLICY_LOGITS, actions.ravel(), advantages(rewards, baseline=name).ravel()))
        for name, label in BASELINES
    ]


def _variance(png):
    pi = F.softmax(tensor(POLICY_LOGITS)).data
    exact = exact_gradient(POLICY_LOGITS, POSITIVE_REWARDS)
    found = estimators()
    none, others, group = found
    own_pull = per_sample_gradients(POLICY_LOGITS, np.arange(len(pi)), np.ones(len(pi))).diagonal()  # ∂log π(a)/∂z_a
    expected_reward = float(pi @ POSITIVE_REWARDS)
    worst = int(POSITIVE_REWARDS.argmin())
    step = Step("§17 Same expected direction, much less variance: measured")
    for name, value in (("exact ∇E[R]", exact),
                        ("the worst answer's push without a baseline", POSITIVE_REWARDS[worst] * own_pull[worst]),
                        ("the worst answer's advantage", POSITIVE_REWARDS[worst] - expected_reward)):
        step.record(name, value)
    step.say(
        "§16 ended on a problem: when all rewards are positive, \"the gradient says 'reinforce everything' — even",
        "the worst response\". Five answers with rewards"
        f" {POSITIVE_REWARDS.tolist()}, and a policy",
        f"  π = softmax({POLICY_LOGITS}) = [{', '.join(f'{p:.3f}' for p in pi)}].",
        f"Without a baseline, drawing the worst answer (R = {POSITIVE_REWARDS[worst]}) still pushes its own logit"
        f" up, by R·∂log π/∂z = {POSITIVE_REWARDS[worst] * own_pull[worst]:+.3f}.",
        f"Graded on a curve (the expected reward is {expected_reward:.3f}), its advantage A ="
        f" {POSITIVE_REWARDS[worst] - expected_reward:+.3f} pushes it down instead.",
        f"The exact gradient, ∇E[R] = ∇Σ π(a)·R(a) by backward() as in §16: [{' '.join(f'{g:+.4f}' for g in exact)}].",
        f"{GROUPS:,} seeded groups of G = {GROUP} sampled answers; each answer's estimate A·∇log π, with three"
        " baselines:",
        "  baseline               mean of the estimates                    along exact   total variance   ratio",
    )
    for estimator in found:
        mean = estimator.mean
        step.record(f"{estimator.label}: mean, along exact, total variance, ratio",
                    (mean, length(mean, exact), estimator.variance, none.variance / estimator.variance))
        step.say(f"  {estimator.label:21}  [{' '.join(f'{g:+.4f}' for g in mean)}]   {length(mean, exact):6.3f}"
                 f"     {estimator.variance:.5f}       {none.variance / estimator.variance:5.1f}×")
    step.say(
        "  (along exact: the mean's length along the exact gradient, 1 when it is the same on average;",
        "   total variance: how spread out single estimates are; ratio: the no-baseline variance ÷ this one)",
        "No baseline and the mean of the *other* answers both average to the exact gradient (within"
        f" {max(gap(none, exact), gap(others, exact)):.1f} standard",
        f"errors), and that baseline's estimates are {none.variance / others.variance:.0f}× less spread out:"
        " \"doesn't change the expected direction,",
        "but dramatically reduces variance\". A baseline that never looks at the answer's own reward changes",
        "nothing on average: E[b·∇log π] = b·∇Σπ = b·∇1 = 0.",
        "GRPO's group mean includes the answer's own reward (weight 1/G), so on average it gives (G − 1)/G ="
        f" {(GROUP - 1) / GROUP}",
        f"of the exact gradient (measured {length(group.mean, exact):.3f}, within"
        f" {gap(group, exact * (GROUP - 1) / GROUP):.1f} standard errors): the same direction, a shorter step.",
    )
    return step.show(_plot(found, exact, png), "gradient estimates with and without a baseline")


def length(mean, exact):
    """How long ``mean`` is along ``exact``, as a fraction of ``exact``: 1 for an unbiased average."""
    return float(mean @ exact / (exact @ exact))


def gap(estimator, expected):
    """The largest distance, in standard errors, between the estimator's mean and ``expected``, over the components."""
    return float((np.abs(estimator.mean - expected) / estimator.standard_error).max())


def _plot(found, exact, path):
    """Histograms of each per-sample estimate's component along the exact gradient's direction."""
    direction = exact / np.linalg.norm(exact)
    along = [estimator.samples @ direction for estimator in found]
    bins = np.linspace(min(a.min() for a in along), max(a.max() for a in along), 80)
    picture = Figure(figsize=(8, 4), layout="constrained")
    axes = picture.subplots()
    for estimator, values, color in zip(found, along, ("tab:gray", "tab:blue", "tab:green")):
        axes.hist(values, bins=bins, histtype="step", linewidth=1.5, color=color,
                  label=f"{estimator.label}: variance {estimator.variance:.4f}")
    axes.axvline(np.linalg.norm(exact), color="black", linestyle="--", label="the exact gradient's length")
    axes.set_yscale("log")
    axes.set_xlabel("one sample's A·∇log π, along the exact gradient's direction")
    axes.set_ylabel(f"samples (of {len(along[0]):,})")
    axes.set_title("§17 Rewards all in [0.5, 1]: the same average, far less spread with a baseline")
    axes.legend(fontsize=8)
    return save(picture, path)
