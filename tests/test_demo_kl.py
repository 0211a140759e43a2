"""The §15 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""


import numpy as np
import pytest
from demo_checks import claim, printed, recorded, softmax

from demos import kl
from demos._stepper import claims, verdict


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("kl")


def kl_np(p, q):
    return float(np.sum(p * (np.log(p) - np.log(q))))


def bell(centre):
    return softmax(-0.5 * ((np.arange(41) - centre) / 3.0) ** 2)


def shift_for(target):
    """The shift of the bell (41 tokens, width 3, centre 14) whose KL(P‖Q) is ``target``, by bisection in NumPy."""
    low, high = 0.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if kl_np(bell(14), bell(14 + mid)) < target else (low, mid)
    return low


def test_every_claim_has_a_verdict_and_the_names_are_unique(demo):
    steps, _ = demo
    names = [c.name for c in claims(steps)]
    assert len(names) == len(set(names)) == 6
    assert [c.verdict for c in claims(steps)].count("illustrative") == 4


@pytest.mark.parametrize(("name", "post"), [("KL(P‖Q), healthy drift", 0.3), ("KL(P‖Q), penalty kicks in", 4.8)])
def test_leash_figures_are_shifted_bells_with_that_kl(demo, name, post):
    steps, _ = demo
    c = claim(steps, name)
    assert c.verdict == "illustrative" and c.post == str(post)
    assert float(c.engine) == pytest.approx(post, abs=1e-9)
    assert c.note  # it prints the shift recorded here
    shift = recorded(steps, "§15 The leash:")[f"{name.split(', ')[1]}: shift"]
    assert shift == pytest.approx(shift_for(post), abs=0.005)
    assert kl_np(bell(14), bell(14 + round(shift, 2))) == pytest.approx(post, abs=0.01)  # the note's rounded shift


def test_extra_surprise_pair_has_the_posts_entropies(demo):
    steps, _ = demo
    sharpness, tilt = (round(x, 3) for x in recorded(steps, "§15 KL is the extra surprise")["P's sharpness and Q's tilt"])
    p_logits = sharpness * np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.0])
    p, q = softmax(p_logits), softmax(p_logits + tilt * np.linspace(0, 1, 6))
    entropy, cross = -np.sum(p * np.log(p)), -np.sum(p * np.log(q))
    assert entropy == pytest.approx(1.5, abs=0.005)  # the printed parameters have 3 decimals
    assert cross == pytest.approx(2.3, abs=0.005)
    assert kl_np(p, q) == pytest.approx(cross - entropy, abs=1e-12)
    for name, post in (("H(P), the true distribution's surprise", "1.5"),
                       ("H(P, Q), the average surprise believing Q", "2.3")):
        c = claim(steps, name)
        assert (c.verdict, float(c.engine)) == ("illustrative", pytest.approx(float(post), abs=1e-9))
    subtraction = claim(steps, "D(P‖Q) = 2.3 − 1.5")
    assert subtraction.verdict == verdict("0.8", 2.3 - 1.5) == "exact"
    assert float(subtraction.engine) == pytest.approx(0.8, abs=1e-9)
    same = claim(steps, "D(P‖Q) if Q = P exactly")
    assert (same.verdict, float(same.engine)) == ("exact", 0.0)


def test_kl_is_never_negative_on_the_same_random_pairs(demo):
    steps, _ = demo
    rng = np.random.default_rng(kl.SEED)
    p_logits, q_logits = (2 * rng.standard_normal((10_000, 6)) for _ in range(2))
    log_p = p_logits - np.log(np.exp(p_logits).sum(axis=1, keepdims=True))
    log_q = q_logits - np.log(np.exp(q_logits).sum(axis=1, keepdims=True))
    divergences = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    smallest, negative, largest = recorded(steps, "§15 KL ≥ 0")["KL(P‖Q): smallest, negative ones, largest"]
    assert smallest == pytest.approx(divergences.min(), rel=5e-3)  # printed to 3 significant digits
    assert negative == 0 and largest == pytest.approx(divergences.max(), abs=0.005)
    assert divergences.min() > 0


def test_asymmetry_recomputed(demo):
    steps, _ = demo
    p, q = np.array([0.49, 0.49, 0.02]), np.array([0.98, 0.01, 0.01])
    forward, reverse = recorded(steps, "§15 KL is not symmetric")["D(P‖Q), D(Q‖P)"]
    assert (forward, reverse) == pytest.approx((kl_np(p, q), kl_np(q, p)), abs=5e-4)  # printed to 3 decimals
    assert abs(kl_np(p, q) - kl_np(q, p)) > 0.5


def test_reward_adjusted_table(demo):
    steps, _ = demo
    said = recorded(steps, "§15 The leash on the reward")
    for beta in (0.01, 0.1, 1.0):
        assert list(said[f"β = {beta}"]) == pytest.approx([1.0 - beta * d for d in (0.3, 4.8)], abs=5e-4)


def test_forward_and_reverse_fits_recomputed_by_grid_search(demo):
    """P is two bumps; the Q minimising each KL is found again by trying every (μ, σ) on a fine grid."""
    steps, _ = demo
    x = np.linspace(-8, 8, 321)
    p = 0.6 * np.exp(-0.5 * ((x + 2.5) / 0.6) ** 2) + 0.4 * np.exp(-0.5 * ((x - 2.5) / 0.6) ** 2)
    p /= p.sum()

    def q(mu, sigma):
        return softmax(-0.5 * ((x - mu) / sigma) ** 2)

    said = recorded(steps, "§15 Forward vs reverse KL")
    rows = {name.removesuffix(": μ, σ"): fit for name, fit in said.items()}
    assert set(rows) == {"KL(P‖Q) forward", "KL(Q‖P) reverse", "KL(Q‖P) reverse *"}

    def best(loss, mus, sigmas):
        return min((loss(q(m, s)), m, s) for m in mus for s in sigmas)[1:]

    mu, sigma = best(lambda qq: kl_np(p, qq), np.arange(-1.5, 0.5, 0.01), np.arange(2.0, 3.0, 0.01))
    assert rows["KL(P‖Q) forward"] == pytest.approx((mu, sigma), abs=0.015)
    assert mu == pytest.approx((p * x).sum(), abs=0.05)  # mode-covering: centred between the peaks, near P's mean
    mu, sigma = best(lambda qq: kl_np(qq, p), np.arange(-3.0, -2.0, 0.01), np.arange(0.4, 0.9, 0.01))
    assert rows["KL(Q‖P) reverse"] == pytest.approx((mu, sigma), abs=0.015)
    mu_other, sigma_other = best(lambda qq: kl_np(qq, p), np.arange(2.0, 3.0, 0.01), np.arange(0.4, 0.9, 0.01))
    assert rows["KL(Q‖P) reverse *"] == pytest.approx((mu_other, sigma_other), abs=0.015)
    assert kl_np(q(mu, sigma), p) < kl_np(q(mu_other, sigma_other), p)  # the higher peak is the better fit


def test_sample_estimates_approach_the_exact_kl(demo):
    """Exact KL(Q‖P) of the healthy pair, and k1, k3 means of 100,000 samples within 4 standard errors of it."""
    steps, _ = demo
    p, q = bell(14), bell(14 + shift_for(0.3))
    exact = kl_np(q, p)
    log_r = np.log(p) - np.log(q)
    k1, k3 = -log_r, np.exp(log_r) - 1 - log_r  # per-token values; their spreads under x ~ q
    spread = [np.sqrt(np.sum(q * (k - exact) ** 2)) for k in (k1, k3)]
    shown_exact, *means, spreads = recorded(steps, "§15 KL from samples")["healthy drift: exact, k1 and k3 means, spreads"]
    assert shown_exact == pytest.approx(exact, abs=5e-5)  # printed to 4 decimals
    for estimate, sd in zip(means, spread):
        assert abs(estimate - exact) < 4 * sd / np.sqrt(100_000) + 1e-4
    assert list(spreads) == pytest.approx(spread, abs=0.005)
    assert spread[1] < spread[0]  # close to π_ref, k3 varies less than k1


def test_pictures_exist_and_the_steps_render(demo):
    steps, out_dir = demo
    pictures = [path for step in steps for path, _ in step.pictures]
    assert sorted(p.name for p in pictures) == sorted([kl.LEASH_PNG, kl.FITS_PNG, kl.ESTIMATES_PNG])
    for path in pictures:
        assert path.parent == out_dir and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
