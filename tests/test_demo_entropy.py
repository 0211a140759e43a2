"""The §8 demo, headless: every claim and printed number checked against plain math/NumPy computed here."""

import math
import re

import numpy as np
import pytest
from demo_checks import check, claim, numbers, printed, step_text

from demos import entropy
from demos._stepper import claims

FORECAST_B = np.array([0.30, 0.25, 0.25, 0.20])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("entropy")
    return entropy.steps(out_dir, fast=True), out_dir


def h(p, base=math.e):
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(base))


def family_with_bits(bits):
    """[q, (1−q)/3 × 3] with ``bits`` of entropy, by bisection on q in [1/4, 1]."""
    low, high = 0.25, 1.0
    for _ in range(60):
        q = (low + high) / 2
        low, high = (q, high) if h([q, *[(1 - q) / 3] * 3], 2) > bits else (low, q)
    return [q, *[(1 - q) / 3] * 3]


def test_claim_names_are_unique_and_all_checked(demo):
    steps, _ = demo
    names = [c.name for c in claims(steps)]
    assert len(names) == len(set(names))
    assert set(names) == {
        "H(Forecast A)", "low entropy", "high entropy", "H(one-hot, 8 outcomes)", "entropy 2.5", "entropy 0.01",
        *(f"-log({p})" for p in ("0.99", "0.25", "0.01", "0.5", "1")),
        *(f"curve at p = {p}" for p in ("0.01", "0.1", "0.25", "0.5", "1.0")),
    }


def test_forecasts(demo):
    steps, _ = demo
    check(claim(steps, "H(Forecast A)"), "0", h([1.0, 0, 0, 0], 2))
    assert claim(steps, "H(Forecast A)").engine == "0"  # not "-0.0"
    said = step_text(steps, "§8 Two forecasts")
    bits, nats = map(float, re.search(r"H\(Forecast B\) = (\S+) bits = (\S+) nats", said).groups())
    assert bits == pytest.approx(h(FORECAST_B, 2), abs=5e-5) and nats == pytest.approx(h(FORECAST_B), abs=5e-5)
    assert round(bits, 2) == 1.99  # near log2(4) = 2: "high entropy", though not the post's 1.92


@pytest.mark.parametrize("name, post", [("low entropy", "0.47"), ("high entropy", "1.92")])
def test_low_and_high_panels_are_illustrative_and_the_found_distributions_have_them(demo, name, post):
    steps, _ = demo
    c = claim(steps, name)
    assert c.verdict == "illustrative" and c.post == post and c.unit == " bits"
    assert float(c.engine) == pytest.approx(float(post), abs=1e-9)
    shown = [float(x) / 100 for x in re.findall(r"([\d.]+)%", c.note)]
    assert len(shown) == 4 and sum(shown) == pytest.approx(1, abs=0.002)
    assert shown[1] == shown[2] == shown[3]
    q = shown[0]  # printed to 0.1%: the entropy of the printed distribution is within a few thousandths
    assert h([q, *[(1 - q) / 3] * 3], 2) == pytest.approx(float(post), abs=0.005)


def test_surprise_values(demo):
    steps, _ = demo
    for p, post in (("0.99", "0.01"), ("0.25", "1.39"), ("0.01", "4.61"), ("0.5", "0.69"), ("1", "0")):
        check(claim(steps, f"-log({p})"), post, -math.log(float(p)))
    for p, post in (("0.01", "4.6"), ("0.1", "2.3"), ("0.25", "1.4"), ("0.5", "0.69"), ("1.0", "0")):
        check(claim(steps, f"curve at p = {p}"), post, -math.log(float(p)))
    assert {c.verdict for c in claims(steps) if c.name.startswith(("-log", "curve"))} == {"exact"}
    assert claim(steps, "-log(1)").engine == "0"


def test_one_percent_is_only_a_little_more_surprising_than_two_percent(demo):
    """−log 0.01 / −log 0.02 ≈ 1.18, not "way more" than 2×: halving p adds log 2 nats to the surprise."""
    steps, _ = demo
    said = step_text(steps, "§8 Surprise = −log p")
    rare, less_rare = -math.log(0.01), -math.log(0.02)
    assert (round(rare, 2), round(less_rare, 2), round(rare / less_rare, 2)) == (4.61, 3.91, 1.18)
    assert f"−log(0.01) = {rare:.2f} nats vs −log(0.02) = {less_rare:.2f} nats: only {rare / less_rare:.2f}×" in said
    gap = rare - less_rare
    assert gap == pytest.approx(math.log(2))
    assert f"What is 2× is the probability (0.02/0.01); the surprise grows by {gap:.2f} nats" in said
    assert f"which is log 2 = {math.log(2):.2f}" in said
    assert f"(50% vs 100%: {-math.log(0.5) + math.log(1.0):.2f} nats too)" in said
    assert not any(c.name.startswith(("1%", "2%")) for c in claims(steps))  # the post gives no number to check


def test_entropy_is_expected_surprise_four_ways(demo):
    steps, _ = demo
    said = step_text(steps, "§8 Entropy = expected surprise")
    weighted, by_scalargrad, by_tensorgrad, sampled = (
        float(x) for x in re.findall(r"= (\d\.\d{6}) nats", said)
    )
    assert weighted == by_scalargrad == by_tensorgrad == pytest.approx(h(FORECAST_B), abs=5e-7)
    surprise = -np.log(FORECAST_B)
    variance = np.sum(FORECAST_B * surprise**2) - h(FORECAST_B) ** 2  # Var of one draw's surprise
    assert abs(sampled - h(FORECAST_B)) < 5 * np.sqrt(variance / entropy.SURPRISE_DRAWS)  # five standard errors


def test_one_hot_zero_and_uniform_log_n_is_the_maximum(demo):
    steps, _ = demo
    check(claim(steps, "H(one-hot, 8 outcomes)"), "0", h([1.0] + [0.0] * 7, 2))
    said = step_text(steps, "§8 Edge cases")
    for n in (2, 4, 8):
        hn, log_n, bits = map(float, re.search(rf"uniform over {n}: H = (\S+) nats, log {n} = (\S+) \((\S+) bits", said).groups())
        assert hn == log_n == pytest.approx(math.log(n), abs=5e-7) and bits == pytest.approx(math.log2(n), abs=5e-4)
    low, high = map(float, re.search(r"entropies from (\S+) to (\S+) nats", said).groups())
    assert 0 < low < high < math.log(8)
    assert "none above log 8 = 2.079: true" in said


def test_temperature_raises_entropy_and_reaches_the_posts_illustrative_values(demo):
    steps, _ = demo
    said = step_text(steps, "§8 Entropy and temperature")
    assert "from 0.05 to 20: yes" in said
    logits = entropy.LOGIT_SCALE * np.random.default_rng(entropy.SEED).standard_normal(entropy.VOCAB)

    def at(T):
        z = logits / T
        p = np.exp(z - z.max())
        p /= p.sum()
        return h(p), p.max()

    sweep = [at(T)[0] for T in entropy.TEMPERATURES]
    assert np.all(np.diff(sweep) > 0)
    for post in ("2.5", "0.01"):
        c = claim(steps, f"entropy {post}")
        assert c.verdict == "illustrative" and float(c.engine) == pytest.approx(float(post), abs=1e-9)
        T, top = map(float, re.search(r"at T = (\S+) \(top token p = (\S+)\)", c.note).groups())
        h_at_T, p_top = at(T)  # T is printed to 3 significant digits
        assert h_at_T == pytest.approx(float(post), rel=0.02) and p_top == pytest.approx(top, abs=0.002)


def test_entropy_bonus_gradient_and_step(demo):
    steps, _ = demo
    said = step_text(steps, "§8 An entropy bonus")
    p = np.array(family_with_bits(0.47))  # the "low entropy" distribution, found here independently
    assert float(re.search(r"sun ([\d.]+)%", said)[1]) == pytest.approx(100 * p[0], abs=0.05)
    H = h(p)
    grad = -p * (np.log(p) + H)
    engine = numbers(re.search(r"engine:\s+\[(.*)\]", said)[1])
    by_hand = numbers(re.search(r"by hand: \[(.*)\]", said)[1])
    assert engine == by_hand == pytest.approx(grad, abs=5.1e-5)
    stepped = np.exp(np.log(p) + grad)
    stepped /= stepped.sum()
    after_bits, before_bits = map(float, re.search(r"H = (\S+) bits \(was (\S+)\)", said).groups())
    assert after_bits == pytest.approx(h(stepped, 2), abs=5.1e-4) and before_bits == pytest.approx(0.47, abs=5e-4)
    assert after_bits > before_bits


def test_pictures_and_rendering(demo):
    steps, out_dir = demo
    pictures = [p for s in steps for p, _ in s.pictures]
    assert pictures == [out_dir / entropy.BARS_PNG, out_dir / entropy.CURVE_PNG]
    for png in pictures:
        assert png.read_bytes().startswith(b"\x89PNG") and 10_000 < png.stat().st_size < 150_000
    shown = printed(steps)
    assert all(s.title in shown for s in steps)
