"""The §1 demo: every claim checked against values computed here with plain NumPy and math."""

import math

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded, softmax

from demos import probability
from demos._stepper import claims

KEYBOARD = {"way": 0.60, "own": 0.15, "phone": 0.08, "mind": 0.05, "break": 0.03, "...rest": 0.09}


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("probability")


def test_keyboard_probabilities_come_back_from_their_logits(demo):
    steps, _ = demo
    probs = softmax(np.log(list(KEYBOARD.values())))
    said = recorded(steps, '§1 "I\'m on my')
    assert np.round(100 * said["softmax of the logits"]) == pytest.approx(np.round(100 * probs))  # printed as whole %
    assert not any(c.name.startswith("P(") for c in claims(steps))  # the post's inputs are not checked as results
    rest = 100 * (1 - KEYBOARD["way"] - KEYBOARD["own"] - KEYBOARD["phone"])
    check(claim(steps, "everything else, 1 − P(way) − P(own) − P(phone)"), "17", rest, 0.006)
    check(claim(steps, "all probabilities together, Σ p"), "100", 100 * probs.sum(), 0.006)
    assert list(np.round(100 * said["softmax of the logits"][3:])) == [5, 3, 9]  # mind + break + ...rest = 17%


def test_both_properties_hold_for_softmax_and_fail_for_plain_division(demo):
    steps, _ = demo
    said = recorded(steps, "§1 The two properties")
    scores = np.array(probability.RAW_SCORES)
    p = softmax(scores)
    name = f"softmax({probability.RAW_SCORES})"
    assert said[f"{name}: smallest and largest p"] == pytest.approx((p.min(), p.max()), abs=5e-4)
    for distribution in ("the keyboard", name):
        assert said[f"{distribution}: every p in [0, 1]"] is said[f"{distribution}: they sum to 1"] is True
    divided = scores / scores.sum()
    assert divided.min() < 0 and said["raw scores / their sum: every p in [0, 1]"] is False
    assert said["raw scores / their sum"] == pytest.approx(divided, abs=0.005)


def test_rain_expected_days_and_a_simulated_stretch(demo):
    steps, _ = demo
    check(claim(steps, "expected rainy days of 100"), "70", 0.7 * 100, 0.006)
    said = recorded(steps, "§1 \"A 70% chance of rain\"")
    rainy, gap = said["rainy days in the simulated stretch"], said["days from 70"]
    assert 0 <= rainy <= 100 and gap == pytest.approx(abs(rainy - 70))
    tail = sum(math.comb(100, k) * 0.7**k * 0.3 ** (100 - k) for k in range(101) if abs(k - 70) >= round(gap))
    assert said["P(that far)"] == pytest.approx(tail, abs=0.005)


def test_next_token_loop_picks_only_words_the_model_allows(demo):
    steps, _ = demo
    said = recorded(steps, "§1 Next-token prediction")
    picks = [(name.split('"')[1], top, picked) for name, (top, picked) in said.items()]
    assert picks and picks[0][0] == "I'm on my"
    assert [(word, round(100 * p)) for word, p in picks[0][1]] == [("way", 60), ("own", 15), ("...rest", 9)]
    for context, _, picked in picks:
        row = probability.TOY_MODEL.get(context.split()[-1], {".": 1.0})
        assert row[picked] > 0
    words = ["I'm", "on", "my"] + [picked for *_, picked in picks]
    assert [c for c, *_ in picks] == [" ".join(words[:i]) for i in range(3, len(words))]  # each pick is appended
    assert words[-1] == "." or len(picks) == probability.MAX_NEW_WORDS


def test_sampled_shares_approach_the_distribution(demo):
    steps, _ = demo
    rows = recorded(steps, "§1 Sampling the keyboard")["shares in the first n draws"]
    assert list(rows) == [10, 100, 1_000, 10_000, 100_000]
    p = 100 * np.array(list(KEYBOARD.values()))
    for shares in rows.values():
        assert 100 * sum(shares) == pytest.approx(100, abs=1e-9)
    # 100,000 draws: a share's standard error is at most 0.16 points, so 0.6 is nearly 4 of them
    assert np.abs(100 * np.array(rows[100_000]) - p).max() < 0.6
    gaps = [np.abs(100 * shares - p).max() for shares in rows.values()]
    assert gaps[-1] < gaps[0]


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / probability.BARS_PNG
    assert png.read_bytes().startswith(b"\x89PNG") and 0 < png.stat().st_size < 120_000
    assert [path for step in steps for path, _ in step.pictures] == [png]
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
