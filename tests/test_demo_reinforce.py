"""The §16 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""

import re

import numpy as np
import pytest

from demos import reinforce
from demos._stepper import claims, run_steps, verdict

REWARDS = np.array([1, -1, 1, -1, -1], dtype=float)  # the post's five answers: right, wrong, right, wrong, wrong
LOGITS = np.array(reinforce.POLICY_LOGITS)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("reinforce")
    return reinforce.steps(out_dir, fast=True), out_dir


def text(steps, title_start):
    (step,) = [s for s in steps if s.title.startswith(title_start)]
    return "\n".join(str(line) for line in step.lines)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def test_reinforce_step_on_the_five_answers_recomputed_with_numpy(demo):
    """loss = mean(−Rᵢ log softmax(z)ᵢ): dloss/dz = −(1/n) Σᵢ Rᵢ (onehotᵢ − p); one step z ← z − 0.5·grad."""
    steps, _ = demo
    n = len(REWARDS)
    p = np.full(n, 1 / n)
    grad = -(REWARDS - p * REWARDS.sum()) / n
    z = -reinforce.REINFORCE_STEP * grad
    after = softmax(z)
    printed = text(steps, "§16 \"What is 15% of 240?\"")
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
    found = claims(steps)
    assert len(found) == 5 and len({c.name for c in found}) == 5
    for c, r, d in zip(found, REWARDS, change):
        assert c.post == f"{r:+.0f}"
        assert float(c.engine) == np.sign(d)
        assert c.verdict == verdict(c.post, np.sign(d)) == "exact"


def test_log_trick_table(demo):
    """For a softmax, ∂π_a/∂z_a = π_a(1 − π_a) and ∂log π_a/∂z_a = 1 − π_a."""
    steps, _ = demo
    pi = softmax(LOGITS)
    printed = text(steps, "§16 Why log π")
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
    printed = text(steps, "§16 E[R·∇log π]")
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
    printed = []
    assert run_steps(steps, pause=False, write=printed.append)
    assert "answer 5 (less likely in the post): sign of the change: post -1" in "".join(printed)
