"""The §16 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""

import re

import numpy as np
import pytest
from demo_checks import claim, printed, softmax, step_text

from demos import reinforce
from demos._stepper import claims, verdict

REWARDS = np.array([1, -1, 1, -1, -1], dtype=float)  # the post's five answers: right, wrong, right, wrong, wrong
LOGITS = np.array(reinforce.POLICY_LOGITS)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("reinforce")
    return reinforce.steps(out_dir, fast=True), out_dir


def sign_claims(steps):
    return [c for c in claims(steps) if c.name.endswith("sign of the change")]


def test_each_answers_arithmetic_is_checked_against_the_post(demo):
    """0.15 × 240, 240/15, 10% of 240, half of it, their sum, 15 + 240: what the answers write, recomputed here."""
    steps, _ = demo
    ten_percent = 240 / 10
    expected = {
        "answer 1: 0.15 × 240": ("36", 15 * 240 / 100),
        "answer 2: 240/15": ("16", 240 / 15),
        "answer 3: 10% of 240": ("24", ten_percent),
        "answer 3: half of that": ("12", ten_percent / 2),
        "answer 3: 24 + 12": ("36", ten_percent + ten_percent / 2),
        "answer 4: 15 + 240": ("255", 15 + 240),
    }
    found = {c.name: c for c in claims(steps) if not c.name.endswith(("reward R", "sign of the change"))}
    assert set(found) == set(expected)
    for name, (post, value) in expected.items():
        c = found[name]
        assert (c.post, c.engine) == (post, f"{value:.0f}")  # whole numbers, shown without decimals
        assert c.verdict == verdict(post, value) == "exact"


def test_the_verifier_rewards_match_the_posts(demo):
    """Only the final answer counts: 36 is right (15% of 240), 16, 255 and the guess 30 are wrong."""
    steps, _ = demo
    finals = [36, 16, 36, 255, 30]
    independent = [1 if final == 15 * 240 // 100 else -1 for final in finals]
    assert independent == list(REWARDS)
    for i, r in enumerate(independent, start=1):
        c = claim(steps, f"answer {i}: reward R")
        assert (c.post, float(c.engine)) == (f"{r:+d}", r)
        assert c.verdict == verdict(c.post, r) == "exact"
    printed = step_text(steps, "§16 The post's five answers, checked")
    assert "15/100 × 240 = 36." in printed
    assert re.findall(r"final answer (\d+) ([=≠]) 36 → R = ([+-]1)", printed) == [
        (str(f), "=" if r > 0 else "≠", f"{r:+d}") for f, r in zip(finals, independent)
    ]


def test_reinforce_step_on_the_five_answers_recomputed_with_numpy(demo):
    """loss = mean(−Rᵢ log softmax(z)ᵢ): dloss/dz = −(1/n) Σᵢ Rᵢ (onehotᵢ − p); one step z ← z − 0.5·grad."""
    steps, _ = demo
    n = len(REWARDS)
    p = np.full(n, 1 / n)
    grad = -(REWARDS - p * REWARDS.sum()) / n
    z = -reinforce.REINFORCE_STEP * grad
    after = softmax(z)
    printed = step_text(steps, "§16 \"What is 15% of 240?\"")
    rows = re.findall(r"R = ([+-]\d)  A = ([+-][\d.]+)  ([\d.]+)% → ([\d.]+)%  (more|less) likely", printed)
    assert [float(r) for r, *_ in rows] == list(REWARDS)
    assert [float(a) for _, a, *_ in rows] == list(REWARDS)  # no baseline: A = R
    assert [float(q) for *_, q, _ in rows] == [round(100 * x, 1) for x in after]
    assert [w for *_, w in rows] == ["more" if r > 0 else "less" for r in REWARDS]
    group = REWARDS - REWARDS.mean()
    assert f"A = {', '.join(f'{a:+.1f}' for a in group)}: the same directions" in printed


def test_the_sign_claims_match_the_posts_more_and_less_likely(demo):
    steps, _ = demo
    n = len(REWARDS)
    change = softmax(-reinforce.REINFORCE_STEP * -(REWARDS - REWARDS.sum() / n) / n) - 1 / n
    found = sign_claims(steps)
    assert len(found) == 5 and len({c.name for c in claims(steps)}) == len(claims(steps)) == 5 + 5 + 6
    for c, r, d in zip(found, REWARDS, change):
        assert c.post == f"{r:+.0f}"
        assert float(c.engine) == np.sign(d)
        assert c.verdict == verdict(c.post, np.sign(d)) == "exact"


def test_log_trick_table(demo):
    """For a softmax, ∂π_a/∂z_a = π_a(1 − π_a) and ∂log π_a/∂z_a = 1 − π_a."""
    steps, _ = demo
    pi = softmax(LOGITS)
    printed = step_text(steps, "§16 Why log π")
    for a, p in enumerate(pi):
        assert f"    {a + 1}     {p:.3f}     {p * (1 - p):.3f}        {1 - p:.3f}" in printed
    assert float(re.search(r"largest \|∇log π − ∇π/π\| over all answers and logits: (\S+)", printed)[1]) < 1e-12
    rare = pi.argmin()
    assert f"{1 / pi[rare]:.0f}× its ∂π/∂z" in printed


def test_the_sampled_estimate_is_unbiased_and_its_error_shrinks_like_one_over_root_n(demo):
    """∂E[R]/∂z_a = π_a(R_a − E[R]); one sample's R(a)·∇log π(a) = R(a)(onehot(a) − π)."""
    steps, _ = demo
    pi = softmax(LOGITS)
    exact = pi * (REWARDS - pi @ REWARDS)
    vectors = REWARDS[:, None] * (np.eye(len(pi)) - pi)
    assert np.allclose(pi @ vectors, exact)  # the expectation of one sample is the exact gradient
    spread = np.sqrt(pi @ ((vectors - exact) ** 2).sum(axis=1))
    printed = step_text(steps, "§16 E[R·∇log π]")
    assert f"exact ∇E[R] = [{' '.join(f'{g:+.4f}' for g in exact)}]" in printed
    rows = re.findall(r"^\s+([\d,]+)\s+\[([^\]]+)\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", printed, re.MULTILINE)
    assert [int(n.replace(",", "")) for n, *_ in rows] == list(reinforce.SIZES)
    for n, mean, error, typical, predicted in rows:
        n = int(n.replace(",", ""))
        mean = np.array([float(g) for g in mean.split()])
        assert float(error) == pytest.approx(np.linalg.norm(mean - exact), abs=0.003)  # mean shown to 3 decimals
        assert float(predicted) == pytest.approx(spread / np.sqrt(n), abs=1e-4)
        assert float(typical) == pytest.approx(spread / np.sqrt(n), rel=0.15)  # 400 runs: a ~4% spread
        assert float(error) < 4 * spread / np.sqrt(n)
    worst = float(re.search(r"within ([\d.]+) standard errors", printed)[1])
    assert worst < 3.5


def test_picture_exists_and_the_steps_render(demo):
    steps, out_dir = demo
    ((path, _),) = [picture for step in steps for picture in step.pictures]
    assert path == out_dir / reinforce.ESTIMATE_PNG and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert "answer 5 (less likely in the post): sign of the change: post -1" in shown
