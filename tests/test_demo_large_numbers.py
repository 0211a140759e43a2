"""The §3 demo: coin-flip claims and majority-vote rules, recomputed here by brute force and plain math."""

import itertools
import math

import pytest
from demo_checks import check, claim, printed, recorded

from demos import large_numbers
from demos._stepper import claims


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("large_numbers")


def fair_tail(n, heads):
    """P(|X − n/2| ≥ |heads − n/2|), X ~ Binomial(n, 1/2): exact for small n, normal approximation for large n."""
    gap = abs(heads - n / 2)
    if n > 1000:
        return math.erfc((gap - 0.5) / (math.sqrt(n) / 2) / math.sqrt(2)) if gap > 0 else 1.0
    return sum(math.comb(n, k) for k in range(n + 1) if abs(k - n / 2) >= gap) / 2**n


def binomial(n, k, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def vote_by_counts(n, probs):
    """Brute force over every count vector (right, wrong 1, ..., wrong k) of n votes, with its multinomial
    probability: P(right) under (a) strict majority, (b) tie by coin, (c) plurality with ties split, and
    the post's rule (lose only with more than n/2 wrong)."""
    a = b = c = post = 0.0
    for counts in itertools.product(range(n + 1), repeat=len(probs)):
        if sum(counts) != n:
            continue
        prob = math.factorial(n) * math.prod(p**k / math.factorial(k) for p, k in zip(probs, counts))
        right, wrong = counts[0], counts[1:]
        a += prob * (right > n / 2)
        b += prob * ((right > n / 2) + 0.5 * (right == n / 2))
        if right >= max(wrong):
            c += prob / (1 + sum(w == right for w in wrong))
        post += prob * (n - right <= n / 2)
    return a, b, c, post


def test_fair_coin_and_the_posts_own_counts(demo):
    steps, _ = demo
    check(claim(steps, "true probability of heads"), "50", 100 * 0.5, 0.006)
    check(claim(steps, "5,023 of 10,000 as a share"), "50.2", 100 * 5023 / 10000, 0.0006)
    check(claim(steps, "7 heads of 10 as a share"), "70", 100 * 7 / 10, 0.006)
    assert claim(steps, "5,023 of 10,000 as a share").verdict == "exact"


def test_one_flip_that_came_up_heads_is_100_percent_heads(demo):
    steps, _ = demo
    check(claim(steps, "heads after 1 flip"), "100", 100 * 1 / 1)
    assert claim(steps, "heads after 1 flip").verdict == "exact"
    said = recorded(steps, "§3 Flip a coin")
    assert said["heads after 1 flip: the engine's run"] in (0, 1)


@pytest.mark.parametrize(("n", "post"), [(10, "70"), (100, "54"), (10_000, "50.2")])
def test_coin_checkpoints_are_illustrative_with_fair_coin_odds(demo, n, post):
    steps, _ = demo
    name = f"heads after {n:,} flip{'s' if n > 1 else ''}"
    found = claim(steps, name)
    assert (found.post, found.verdict, found.unit) == (post, "illustrative", "%") and found.note
    got = float(found.engine) / 100 * n
    assert got == pytest.approx(round(got)) and 0 <= got <= n
    said = recorded(steps, "§3 Flip a coin")
    engine_p, post_p = said[f"{name}: P of the engine's run"], said[f"{name}: P of the post's"]
    assert engine_p == pytest.approx(fair_tail(n, round(got)), abs=0.006)
    assert post_p == pytest.approx(fair_tail(n, round(float(post) / 100 * n)), abs=0.006)


def test_ten_thousand_flips_heads_and_tails(demo):
    steps, _ = demo
    heads, tails = claim(steps, "heads in 10,000 flips"), claim(steps, "tails in 10,000 flips")
    assert (heads.post, tails.post) == ("5,023", "4,977")  # as the post prints them
    assert float(heads.engine) + float(tails.engine) == 10_000
    assert float(heads.engine) == pytest.approx(float(claim(steps, "heads after 10,000 flips").engine) * 100)
    assert abs(float(heads.engine) - 5000) < 4 * 50  # four standard deviations of a fair coin
    said = recorded(steps, "§3 Flip a coin")
    assert said["heads in 10,000 flips: P of the post's"] == pytest.approx(fair_tail(10_000, 5023), abs=0.005)  # 0.65
    assert said["heads in 10,000 flips: P of the engine's run"] == pytest.approx(
        fair_tail(10_000, round(float(heads.engine))), abs=0.005)


def test_expected_counts_of_ten_answers(demo):
    steps, _ = demo
    check(claim(steps, "expected correct answers"), "6", 10 * 0.6, 1e-9)
    check(claim(steps, "expected incorrect answers"), "4", 10 * 0.4, 1e-9)


def test_vote_table_exact_by_brute_force_and_simulation_close(demo):
    steps, _ = demo
    exact = vote_by_counts(10, [0.6, 0.2, 0.2])
    a, b, _, post = vote_by_counts(10, [0.6, 0.4])  # rules (a), (b) and the post's see only right vs wrong
    assert (a, b, post) == pytest.approx((exact[0], exact[1], exact[3]))
    said = recorded(steps, "§3 Self-consistency")
    rules, simulated = said["P(vote right), exact"], said["P(vote right), simulated"]
    assert [rule.split()[0] for rule in rules] == [rule.split()[0] for rule in simulated] == ["(a)", "(b)", "(c)", "post:"]
    for shown, value in zip(rules.values(), exact):
        assert shown == pytest.approx(value, rel=1e-12)
    for shown, value in zip(simulated.values(), exact):
        assert 100 * shown == pytest.approx(100 * value, abs=0.6)  # 100,000 votes: ≤ 0.16 points per error
    assert round(100 * exact[0], 1) == 63.3 and round(100 * exact[3], 1) == 83.4


def test_each_voting_rule_against_the_posts_83(demo):
    steps, _ = demo
    a, b, c, post = vote_by_counts(10, [0.6, 0.2, 0.2])
    check(claim(steps, "majority right, (a) strict majority ≥6 of 10"), "83", 100 * a, 0.006)
    said = recorded(steps, "§3 Where does")
    assert said["ties as right"] == pytest.approx(post, rel=1e-12)
    verdicts = [c.verdict for c in claims(steps) if "83" in c.post]
    assert said["(b)"] == pytest.approx(b, rel=1e-12)
    assert said["(c)"] == pytest.approx(c, rel=1e-12)
    assert verdicts == ["differs"]  # one figure, one verdict: 63.3 against "83" (83.4 only with ties as wins)


def strict(n, p):
    return sum(binomial(n, k, p) for k in range(n + 1) if k > n / 2)


def test_what_would_give_83_really_gives_it(demo):
    steps, _ = demo
    assert claim(steps, "majority right, (a) strict majority ≥6 of 10").note  # prints "ties as right", checked above
    said = recorded(steps, "§3 Where does")
    n, shown, accuracy = (said[f"(a) {name}"] for name in ("samples needed for 83%", "with those samples",
                                                           "per-sample accuracy for 83%"))
    assert round(100 * strict(n, 0.6)) == 83 and shown == pytest.approx(strict(n, 0.6), rel=1e-12)
    assert all(round(100 * strict(m, 0.6)) < 83 for m in range(1, n))  # the smallest such n
    assert 100 * strict(10, round(accuracy, 3)) == pytest.approx(83, abs=0.2)  # printed to 0.1%
    assert said["ties as right"] == pytest.approx(sum(binomial(10, k, 0.6) for k in range(5, 11)), rel=1e-12)

    p = round(said["(b) per-sample accuracy for 83%"], 3)  # printed to 0.1%
    assert 100 * (strict(10, p) + binomial(10, 5, p) / 2) == pytest.approx(83, abs=0.2)

    big, small = (round(x, 3) for x in said["(c) error split for 83%"])  # printed to 0.1%
    assert big + small == pytest.approx(0.4)
    assert 100 * vote_by_counts(10, [0.6, big, small])[2] == pytest.approx(83, abs=0.2)


def test_plurality_for_several_spreads_and_the_70_percent_model(demo):
    steps, _ = demo
    said = recorded(steps, "§3 Where does")
    for k in (1, 2, 3):
        value = vote_by_counts(10, [0.6] + [0.4 / k] * k)[2]
        assert said[f"plurality, k = {k}"] == pytest.approx(value, rel=1e-12)
    strong = recorded(steps, "§3 A 70% model")
    a, b = strict(10, 0.7), strict(10, 0.7) + binomial(10, 5, 0.7) / 2
    ties = a + binomial(10, 5, 0.7)
    assert [strong[rule] for rule in ("strict majority", "ties by coin", "ties as right")] == pytest.approx([a, b, ties])
    assert round(100 * a, 1) == 85.0
    assert strong["strict majority with 25 samples"] == pytest.approx(strict(25, 0.7))
    almost = claim(steps, "P(a 70% model's 10-sample majority vote is right), \"almost certainly\"")
    check(almost, "~100", 100 * a)
    assert almost.verdict == "differs"
    needed = min(n for n in range(1, 201, 2) if strict(n, 0.7) >= 0.99)
    assert f"{needed} samples give 99%" in almost.note and strict(needed - 2, 0.7) < 0.99


def test_pictures_and_rendering(demo):
    steps, out_dir = demo
    pngs = [out_dir / large_numbers.COIN_PNG, out_dir / large_numbers.VOTE_PNG]
    for png in pngs:
        assert png.read_bytes().startswith(b"\x89PNG") and 0 < png.stat().st_size < 120_000
    assert [path for step in steps for path, _ in step.pictures] == pngs
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
