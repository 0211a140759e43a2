"""The §17 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""


import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import baselines
from demos._stepper import claims

TOLERANCE = 1e-12  # the figures are means and differences of a few rewards: exact up to float rounding


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("baselines")


def test_every_figure_is_exact(demo):
    steps, _ = demo
    found = claims(steps)
    assert len(found) == len({c.name for c in found}) == 10
    assert {c.verdict for c in found} == {"exact"}


def test_the_exam_graded_on_a_curve(demo):
    steps, _ = demo
    check(claim(steps, "82 − 78, the best student"), "+4", 82 - 78, TOLERANCE)
    check(claim(steps, "75 − 78, the worst student"), "-3", 75 - 78, TOLERANCE)


def test_responses_a_to_d(demo):
    steps, _ = demo
    rewards = np.array([1.0, 1.0, 0.0, 0.0])
    check(claim(steps, "mean reward of A, B, C, D"), "0.5", rewards.mean(), TOLERANCE)
    for name, post, a in zip("ABCD", ("+0.5", "+0.5", "-0.5", "-0.5"), rewards - rewards.mean()):
        check(claim(steps, f"advantage of response {name}"), post, a, TOLERANCE)


def test_quick_check(demo):
    steps, _ = demo
    quiz = np.array([1.0] * 3 + [0.0] * 5)
    check(claim(steps, "the group's mean reward"), "0.375", quiz.mean(), TOLERANCE)
    check(claim(steps, "advantage of a correct response"), "+0.625", 1 - quiz.mean(), TOLERANCE)
    check(claim(steps, "advantage of a wrong response"), "-0.375", 0 - quiz.mean(), TOLERANCE)
    scaled = (quiz - quiz.mean()) / (quiz.std() + 1e-4)  # GRPO's std scaling, with the trainer's eps
    shown = recorded(steps, "§17 Quick check")["A divided by the group's spread"]
    assert (shown[0], shown[-1]) == pytest.approx((scaled[0], scaled[-1]), abs=5e-4)  # printed to 3 decimals


def sampled():
    """The demo's seeded answers again, and their per-sample gradients A·(onehot(a) − π) for the three baselines."""
    pi = np.exp(baselines.POLICY_LOGITS) / np.exp(baselines.POLICY_LOGITS).sum()
    actions = np.random.default_rng(baselines.SEED).choice(5, size=(4_000, 8), p=pi)
    rewards = baselines.POSITIVE_REWARDS[actions]
    others = (rewards.sum(axis=1, keepdims=True) - rewards) / 7
    adv = {"none": rewards, "others": rewards - others, "group": rewards - rewards.mean(axis=1, keepdims=True)}
    grad_log_pi = np.eye(5)[actions.ravel()] - pi
    return pi, {name: a.ravel()[:, None] * grad_log_pi for name, a in adv.items()}


def test_the_baseline_keeps_the_direction_and_cuts_the_variance(demo):
    steps, _ = demo
    pi, estimates = sampled()
    rewards = baselines.POSITIVE_REWARDS
    exact = pi * (rewards - pi @ rewards)  # ∂/∂z Σ π R for a softmax
    said = recorded(steps, "§17 Same expected direction")
    assert said["exact ∇E[R]"] == pytest.approx(exact, abs=5e-5)  # printed to 4 decimals
    labels = ["no baseline (A = R)", "mean of the other 7", "group mean (GRPO)"]
    rows = [said[f"{label}: mean, along exact, total variance, ratio"] for label in labels]
    assert len(said) == 3 + len(labels)
    variances = {}
    for (mean, along, variance, ratio), (name, samples) in zip(rows, estimates.items()):
        assert mean == pytest.approx(samples.mean(axis=0), abs=1e-4)
        variances[name] = samples.var(axis=0).sum()
        assert variance == pytest.approx(variances[name], abs=1e-5)
        assert ratio == pytest.approx(variances["none"] / variances[name], abs=0.05)
        standard_error = samples.std(axis=0) / np.sqrt(len(samples))
        expected = exact * (7 / 8 if name == "group" else 1)  # the group mean includes the own reward: (G − 1)/G
        assert np.all(np.abs(samples.mean(axis=0) - expected) < 3 * standard_error), name
        assert along == pytest.approx(samples.mean(axis=0) @ exact / (exact @ exact), abs=1e-3)
    assert variances["none"] / variances["others"] > 10  # "dramatically reduces variance"
    worst = rewards.argmin()
    push = said["the worst answer's push without a baseline"]  # reinforce everything
    assert push == pytest.approx(rewards[worst] * (1 - pi[worst]), abs=5e-4) and push > 0
    advantage = said["the worst answer's advantage"]  # pushes it down
    assert advantage == pytest.approx(rewards[worst] - pi @ rewards, abs=5e-4) and advantage < 0


def test_picture_exists_and_the_steps_render(demo):
    steps, out_dir = demo
    ((path, _),) = [picture for step in steps for picture in step.pictures]
    assert path == out_dir / baselines.HISTOGRAM_PNG and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
