"""The §16 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""


import numpy as np
import pytest
from demo_checks import claim, printed, recorded, softmax

from demos import reinforce
from demos._stepper import claims, verdict

REWARDS = np.array([1, -1, 1, -1, -1], dtype=float)  # the post's five answers: right, wrong, right, wrong, wrong
LOGITS = np.array(reinforce.POLICY_LOGITS)


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("reinforce")


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
    said = recorded(steps, "§16 The post's five answers, checked")
    assert said["the true answer"] == 15 / 100 * 240 == 36
    assert [said[f"answer {i}: final answer"] for i in range(1, 6)] == finals


def test_reinforce_step_on_the_five_answers_recomputed_with_numpy(demo):
    """loss = mean(−Rᵢ log softmax(z)ᵢ): dloss/dz = −(1/n) Σᵢ Rᵢ (onehotᵢ − p); one step z ← z − 0.5·grad."""
    steps, _ = demo
    n = len(REWARDS)
    p = np.full(n, 1 / n)
    grad = -(REWARDS - p * REWARDS.sum()) / n
    z = -reinforce.REINFORCE_STEP * grad
    after = softmax(z)
    said = recorded(steps, "§16 \"What is 15% of 240?\"")
    assert list(said["R"]) == list(REWARDS)
    assert list(said["A"]) == list(REWARDS)  # no baseline: A = R
    assert said["π before"] == pytest.approx(p) and said["π after"] == pytest.approx(after, abs=5e-4)
    assert [q > 1 / n for q in said["π after"]] == [r > 0 for r in REWARDS]  # more or less likely
    group = REWARDS - REWARDS.mean()
    assert said["A with the group's mean as baseline"] == pytest.approx(group, abs=0.05)


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
    said = recorded(steps, "§16 Why log π")
    assert said["π"] == pytest.approx(pi, abs=5e-4)  # the table prints 3 decimals
    assert said["∂π(a)/∂z_a"] == pytest.approx(pi * (1 - pi), abs=5e-4)
    assert said["∂log π(a)/∂z_a"] == pytest.approx(1 - pi, abs=5e-4)
    assert said["largest |∇log π − ∇π/π|"] < 1e-12
    rare = pi.argmin()
    ratio = said["∂log π(a)/∂z_a"][rare] / said["∂π(a)/∂z_a"][rare]  # printed as "…× its ∂π/∂z"
    assert round(ratio) == round(1 / pi[rare])


def test_the_sampled_estimate_is_unbiased_and_its_error_shrinks_like_one_over_root_n(demo):
    """∂E[R]/∂z_a = π_a(R_a − E[R]); one sample's R(a)·∇log π(a) = R(a)(onehot(a) − π)."""
    steps, _ = demo
    pi = softmax(LOGITS)
    exact = pi * (REWARDS - pi @ REWARDS)
    vectors = REWARDS[:, None] * (np.eye(len(pi)) - pi)
    assert np.allclose(pi @ vectors, exact)  # the expectation of one sample is the exact gradient
    spread = np.sqrt(pi @ ((vectors - exact) ** 2).sum(axis=1))
    said = recorded(steps, "§16 E[R·∇log π]")
    assert said["exact ∇E[R]"] == pytest.approx(exact, abs=5e-5)  # printed to 4 decimals
    for n in reinforce.SIZES:
        mean, error, typical, predicted = said[f"n = {n}: one run's mean, its error, typical error, √(variance/n)"]
        assert error == pytest.approx(np.linalg.norm(np.round(mean, 3) - exact), abs=0.003)  # mean shown to 3 decimals
        assert predicted == pytest.approx(spread / np.sqrt(n), abs=1e-4)
        assert typical == pytest.approx(spread / np.sqrt(n), rel=0.15)  # 400 runs: a ~4% spread
        assert error < 4 * spread / np.sqrt(n)
    assert said[f"largest gap of the n = {reinforce.SIZES[0]} average, in standard errors"] < 3.5


def test_picture_exists_and_the_steps_render(demo):
    steps, out_dir = demo
    ((path, _),) = [picture for step in steps for picture in step.pictures]
    assert path == out_dir / reinforce.ESTIMATE_PNG and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
