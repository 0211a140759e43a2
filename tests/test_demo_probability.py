"""The §1 demo: every claim checked against values computed here with plain NumPy and math."""

import math
import re

import numpy as np
import pytest
from demo_checks import check, claim, printed, softmax, step_text

from demos import probability
from demos._stepper import claims

KEYBOARD = {"way": 0.60, "own": 0.15, "phone": 0.08, "mind": 0.05, "break": 0.03, "...rest": 0.09}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("probability")
    return probability.steps(out_dir, fast=True), out_dir


def test_keyboard_probabilities_come_back_from_their_logits(demo):
    steps, _ = demo
    probs = softmax(np.log(list(KEYBOARD.values())))
    shown = step_text(steps, '§1 "I\'m on my')
    assert "   ".join(f"{word} {100 * p:.0f}%" for word, p in zip(KEYBOARD, probs)) in shown
    assert not any(c.name.startswith("P(") for c in claims(steps))  # the post's inputs are not checked as results
    rest = 100 * (1 - KEYBOARD["way"] - KEYBOARD["own"] - KEYBOARD["phone"])
    check(claim(steps, "everything else, 1 − P(way) − P(own) − P(phone)"), "17", rest, 0.006)
    check(claim(steps, "all probabilities together, Σ p"), "100", 100 * probs.sum(), 0.006)
    assert "mind + break + ...rest = 5% + 3% + 9% = 17%" in shown


def test_both_properties_hold_for_softmax_and_fail_for_plain_division(demo):
    steps, _ = demo
    shown = step_text(steps, "§1 The two properties")
    scores = np.array(probability.RAW_SCORES)
    p = softmax(scores)
    assert f"smallest p {p.min():.3f}, largest {p.max():.3f}" in shown
    assert shown.count("(1) every p in [0, 1]: yes   (2) they sum to 1: yes") == 2
    divided = scores / scores.sum()
    assert divided.min() < 0 and "every p in [0, 1]: NO" in shown
    assert ", ".join(f"{d:+.2f}" for d in divided) in shown


def test_rain_expected_days_and_a_simulated_stretch(demo):
    steps, _ = demo
    check(claim(steps, "expected rainy days of 100"), "70", 0.7 * 100, 0.006)
    shown = step_text(steps, "§1 \"A 70% chance of rain\"")
    rainy, gap = (int(x) for x in re.search(r"had (\d+) rainy days;\s+a stretch lands at least (\d+) days", shown).groups())
    assert 0 <= rainy <= 100 and gap == abs(rainy - 70)
    tail = sum(math.comb(100, k) * 0.7**k * 0.3 ** (100 - k) for k in range(101) if abs(k - 70) >= gap)
    assert f"from 70 with probability {tail:.2f}" in shown


def test_next_token_loop_picks_only_words_the_model_allows(demo):
    steps, _ = demo
    shown = step_text(steps, "§1 Next-token prediction")
    picks = re.findall(r'  "([^"]+)" → (.+?)  → picked "([^"]+)"', shown)
    assert picks and picks[0][0] == "I'm on my"
    assert picks[0][1] == "way 60%, own 15%, ...rest 9%"  # the keyboard's top three
    for context, _, picked in picks:
        row = probability.TOY_MODEL.get(context.split()[-1], {".": 1.0})
        assert row[picked] > 0
    words = ["I'm", "on", "my"] + [picked for *_, picked in picks]
    assert [c for c, *_ in picks] == [" ".join(words[:i]) for i in range(3, len(words))]  # each pick is appended
    assert words[-1] == "." or len(picks) == probability.MAX_NEW_WORDS


def test_sampled_shares_approach_the_distribution(demo):
    steps, _ = demo
    shown = step_text(steps, "§1 Sampling the keyboard")
    rows = {int(n.replace(",", "")): [float(x) for x in re.findall(r"([\d.]+)%", rest)]
            for n, rest in re.findall(r"^\s+([\d,]+)\s{3}(.*points)$", shown, re.MULTILINE)}
    assert list(rows) == [10, 100, 1_000, 10_000, 100_000]
    p = 100 * np.array(list(KEYBOARD.values()))
    for shares in rows.values():
        assert sum(shares) == pytest.approx(100, abs=0.3)
    # 100,000 draws: a share's standard error is at most 0.16 points, so 0.6 is nearly 4 of them
    assert np.abs(np.array(rows[100_000]) - p).max() < 0.6
    gaps = [float(g) for g in re.findall(r"([\d.]+) points", shown)]
    assert gaps[-1] < gaps[0]


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / probability.BARS_PNG
    assert png.read_bytes().startswith(b"\x89PNG") and 0 < png.stat().st_size < 120_000
    assert [path for step in steps for path, _ in step.pictures] == [png]
    shown = printed(steps)
    assert "── 5/5" in shown
