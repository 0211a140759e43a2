"""The §8 demo, headless: every claim and printed number checked against plain math/NumPy computed here."""

import math

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import entropy
from demos._stepper import claims

FORECAST_B = np.array([0.30, 0.25, 0.25, 0.20])


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("entropy")


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
        "−log 0.01 ÷ −log 0.02 (post: more than 2×)", "Forecast B: its four probabilities sum to",
        *(f"H({n} equal outcomes), the post's H = log(n) = log {n}" for n in (2, 4, 8)),
    }


def test_forecasts(demo):
    steps, _ = demo
    check(claim(steps, "H(Forecast A)"), "0", h([1.0, 0, 0, 0], 2))
    assert claim(steps, "H(Forecast A)").engine == "0"  # not "-0.0"
    check(claim(steps, "Forecast B: its four probabilities sum to"), "100", 30 + 25 + 25 + 20)
    said = recorded(steps, "§8 Two forecasts")
    bits, nats = said["H(Forecast B) in bits"], said["H(Forecast B) in nats"]
    assert bits == pytest.approx(h(FORECAST_B, 2), abs=5e-5) and nats == pytest.approx(h(FORECAST_B), abs=5e-5)
    assert round(bits, 2) == 1.99  # near log2(4) = 2: "high entropy", though not the post's 1.92


@pytest.mark.parametrize("name, post", [("low entropy", "0.47"), ("high entropy", "1.92")])
def test_low_and_high_panels_are_illustrative_and_the_found_distributions_have_them(demo, name, post):
    steps, _ = demo
    c = claim(steps, name)
    assert c.verdict == "illustrative" and c.post == post and c.unit == " bits"
    assert float(c.engine) == pytest.approx(float(post), abs=1e-9)
    found = recorded(steps, "§8 Two forecasts")[f"{name} distribution"]  # the note prints it to 0.1%
    assert len(found) == 4 and sum(found) == pytest.approx(1, abs=0.002)
    assert found[1] == found[2] == found[3]
    q = round(found[0], 3)  # as printed: the entropy of the printed distribution is within a few thousandths
    assert h([q, *[(1 - q) / 3] * 3], 2) == pytest.approx(float(post), abs=0.005)
    assert h(found, 2) == pytest.approx(float(post), abs=1e-9)


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
    said = recorded(steps, "§8 Surprise = −log p")
    rare, less_rare = -math.log(0.01), -math.log(0.02)
    assert (round(rare, 2), round(less_rare, 2), round(rare / less_rare, 2)) == (4.61, 3.91, 1.18)
    printed_to_2_decimals = 0.0051
    assert said["−log(0.01)"] == pytest.approx(rare, abs=printed_to_2_decimals)
    assert said["−log(0.02)"] == pytest.approx(less_rare, abs=printed_to_2_decimals)
    assert said["how many times as surprising"] == pytest.approx(rare / less_rare, abs=printed_to_2_decimals)
    gap = rare - less_rare
    assert gap == pytest.approx(math.log(2))
    assert said["how much more surprising, in nats"] == pytest.approx(gap, abs=printed_to_2_decimals)
    assert said["log 2"] == pytest.approx(math.log(2), abs=printed_to_2_decimals)
    assert said["50% vs 100%, in nats"] == pytest.approx(-math.log(0.5) + math.log(1.0), abs=printed_to_2_decimals)
    ratio = claim(steps, "−log 0.01 ÷ −log 0.02 (post: more than 2×)")  # "not just 2x ... way more surprising"
    check(ratio, "2", rare / less_rare)
    twice_as_surprising = math.exp(-2 * less_rare)  # the p whose −log p is twice that of 2%: 0.02² = 0.0004
    assert ratio.verdict == "differs" and f"= {100 * twice_as_surprising:.2f}%" in ratio.note


def test_entropy_is_expected_surprise_four_ways(demo):
    steps, _ = demo
    said = recorded(steps, "§8 Entropy = expected surprise")
    weighted, by_scalargrad, by_tensorgrad = (
        said[name] for name in ("Σ p·(−log p)", "scalargrad.entropy(p)", "tensorgrad.functional.entropy(logits)")
    )
    sampled = said["mean surprise of the draws"]
    for found in (weighted, by_scalargrad, by_tensorgrad):  # printed to 6 decimals, all alike
        assert found == pytest.approx(h(FORECAST_B), abs=5e-7)
    surprise = -np.log(FORECAST_B)
    variance = np.sum(FORECAST_B * surprise**2) - h(FORECAST_B) ** 2  # Var of one draw's surprise
    assert abs(sampled - h(FORECAST_B)) < 5 * np.sqrt(variance / entropy.SURPRISE_DRAWS)  # five standard errors


def test_one_hot_zero_and_uniform_log_n_is_the_maximum(demo):
    steps, _ = demo
    check(claim(steps, "H(one-hot, 8 outcomes)"), "0", h([1.0] + [0.0] * 7, 2))
    said = recorded(steps, "§8 Edge cases")
    for n in (2, 4, 8):
        hn, log_n, bits = (said[f"uniform over {n}: {name}"] for name in ("H in nats", f"log {n}", "H in bits"))
        assert hn == pytest.approx(math.log(n), abs=5e-7) and log_n == pytest.approx(math.log(n), abs=5e-7)
        assert bits == pytest.approx(math.log2(n), abs=5e-4)
        check(claim(steps, f"H({n} equal outcomes), the post's H = log(n) = log {n}"), f"{math.log(n):.6f}",
              -sum(1 / n * math.log(1 / n) for _ in range(n)))
    low, high = said["random distributions: lowest and highest entropy"]
    assert 0 < low < high < math.log(8)
    assert said["random distributions: none above log 8"] is True


def test_temperature_raises_entropy_and_reaches_the_posts_illustrative_values(demo):
    steps, _ = demo
    said = recorded(steps, "§8 Entropy and temperature")
    assert said["entropy rises with T"] is True
    assert (entropy.TEMPERATURES[0], entropy.TEMPERATURES[-1]) == (0.05, 20)
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
        T, top = said[f"entropy {post}: temperature"], said[f"entropy {post}: top token p"]
        h_at_T, p_top = at(float(f"{T:.3g}"))  # T as the note prints it, to 3 significant digits
        assert h_at_T == pytest.approx(float(post), rel=0.02) and p_top == pytest.approx(top, abs=0.002)
        assert at(T) == pytest.approx((float(post), top), abs=1e-6)


def test_entropy_bonus_gradient_and_step(demo):
    steps, _ = demo
    said = recorded(steps, "§8 An entropy bonus")
    p = np.array(family_with_bits(0.47))  # the "low entropy" distribution, found here independently
    assert 100 * said["distribution"][0] == pytest.approx(100 * p[0], abs=0.05)
    H = h(p)
    grad = -p * (np.log(p) + H)
    assert said["dH/dlogits, engine"] == pytest.approx(grad, abs=5.1e-5)
    assert said["dH/dlogits, by hand"] == pytest.approx(grad, abs=5.1e-5)
    stepped = np.exp(np.log(p) + grad)
    stepped /= stepped.sum()
    after_bits, before_bits = said["H in bits, after the step"], said["H in bits, before the step"]
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
