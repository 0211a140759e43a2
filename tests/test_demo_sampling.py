"""The §7 demo, headless: every claim checked against counts and sums computed here exactly."""

from fractions import Fraction

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import sampling
from demos._stepper import claims

POST = [Fraction(n, 100) for n in (45, 20, 15, 10, 5, 3, 2)]
TOKENS = ("the", "a", "an", "big", "old", "my", "red")


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("sampling")


def top_p_count(probs, p):
    """Tokens kept by nucleus sampling, in exact arithmetic: add the largest while the mass so far is below p."""
    mass, kept = Fraction(0), 0
    for q in sorted(probs, reverse=True):
        if kept and mass >= p:
            break
        mass, kept = mass + q, kept + 1
    return kept


def confident():
    rest = POST[1:]
    return [Fraction(95, 100)] + [Fraction(5, 100) * q / sum(rest) for q in rest]


def test_claim_names_are_unique_and_all_checked(demo):
    steps, _ = demo
    names = [c.name for c in claims(steps)]
    assert len(names) == len(set(names))
    assert set(names) == {
        "top-k: tokens kept", "top-p: tokens kept", "top-p: 45+20+15+10",
        "top-p kept, 'the' at 95%", "top-k kept, 'the' at 95%",
        "top 2 dishes cover 90%", "top 20 dishes cover 90%", "the post's 7 probabilities sum to",
    }
    check(claim(steps, "the post's 7 probabilities sum to"), "100", 45 + 20 + 15 + 10 + 5 + 3 + 2)


def test_top_k_keeps_three(demo):
    steps, _ = demo
    check(claim(steps, "top-k: tokens kept"), "3", 3)
    renormalised = [float(100 * q / sum(POST[:3])) for q in POST[:3]]  # 56.25, 25, 18.75
    shown = 100 * recorded(steps, "§7 Top-k")["renormalised"]  # printed to 0.1%, the removed tokens left out
    assert list(shown[3:]) == [0] * 4 and list(shown[:3]) == pytest.approx(renormalised, abs=0.051)


def test_top_p_keeps_four_tokens_holding_90_percent(demo):
    steps, _ = demo
    kept = top_p_count(POST, Fraction(9, 10))
    assert kept == 4
    check(claim(steps, "top-p: tokens kept"), "4", kept)
    check(claim(steps, "top-p: 45+20+15+10"), "90", 100 * sum(sorted(POST, reverse=True)[:kept]))
    assert claim(steps, "top-p: 45+20+15+10").unit == "%"


def test_top_p_survives_float_rounding_at_exactly_90_percent(demo):
    steps, _ = demo
    said = recorded(steps, "§7 Top-p at exactly 90%")
    assert list(said["tokens kept, over all shifts"]) == [4]
    # Independently: shifted logits give four-token masses on both sides of 0.9 in float64.
    z = np.log(np.array(sampling.PROBS))[None, :] + sampling.SHIFTS[:, None]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    mass = np.cumsum(e / e.sum(axis=1, keepdims=True), axis=1)[:, 3]
    assert (mass < 0.9).any() and (mass > 0.9).any()
    assert said["masses below 0.9"] == (mass < 0.9).sum() and 0 < said["masses below 0.9"] < len(sampling.SHIFTS)


def test_confident_distribution_top_p_one_top_k_three(demo):
    steps, _ = demo
    check(claim(steps, "top-p kept, 'the' at 95%"), "1", top_p_count(confident(), Fraction(9, 10)))
    check(claim(steps, "top-k kept, 'the' at 95%"), "3", 3)
    unsure = [Fraction(n, 100) for n in (14, 13, 12, 11, 10, 10, 9, 8, 7, 6)]
    kept = top_p_count(unsure, Fraction(9, 10))
    said = recorded(steps, "§7 Why top-p")
    name = "flat, 10 tokens from 14% to 6%"
    assert (said[f"{name}: top-p keeps"], said[f"{name}: top-k keeps"]) == (kept, 3)


def test_restaurant_menus_are_illustrative_with_the_counts_they_give(demo):
    steps, _ = demo
    menus = {
        "2": [Fraction(62, 100), Fraction(30, 100)] + [Fraction(1, 100)] * 8,
        "20": [Fraction(46, 1000)] * 20 + [Fraction(1, 100)] * 8,
    }
    for post, menu in menus.items():
        assert sum(menu) == 1
        c = claim(steps, f"top {post} dishes cover 90%")
        kept = top_p_count(menu, Fraction(9, 10))
        assert c.verdict == "illustrative" and c.post == post and float(c.engine) == kept == int(post)
        assert recorded(steps, "§7 Why top-p")[f"top {post} dishes: top_p(0.9) keeps"] == kept  # as its note says


def test_greedy_always_picks_the(demo):
    steps, _ = demo
    said = recorded(steps, "§7 The post's distribution")
    assert said["greedy picks"] == {"the": sampling.GREEDY_CALLS}
    assert said["temperature 0 picks"] == "the"


def test_full_sampling_frequencies_approach_the_distribution(demo):
    steps, _ = demo
    found = recorded(steps, "§7 Full sampling")["shares drawn"]
    assert len(found) == len(TOKENS) == len(sampling.TOKENS) and tuple(sampling.TOKENS) == TOKENS
    for freq, p in zip(found, POST):
        p = float(p)
        spread = np.sqrt(p * (1 - p) / sampling.DRAWS)
        assert abs(freq - p) < 4 * spread


def test_top_k_and_top_p_draws_stay_inside_their_sets(demo):
    steps, _ = demo
    for title, kept in (("§7 Top-k", ["the", "a", "an"]), ("§7 Top-p (p", ["the", "a", "an", "big"])):
        shares = recorded(steps, title)["shares drawn"]
        assert [token for token, share in zip(TOKENS, shares) if share > 0] == kept
    assert recorded(steps, "§7 Why top-p")["'the' at 95%: top-p draws of 'the'"] == sampling.DRAWS


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / sampling.PICTURE
    assert png.read_bytes().startswith(b"\x89PNG") and 10_000 < png.stat().st_size < 150_000
    assert [p for s in steps for p, _ in s.pictures] == [png]
    shown = printed(steps)
    assert all(s.title in shown for s in steps)
