"""The §13 demo, headless: every claim checked against values computed here with plain NumPy."""

import math
import re

import numpy as np
import pytest
from demo_checks import by_name as claims_by_name
from demo_checks import check, printed, softmax, step_text

from demos import attention
from demos.__main__ import main
from demos._stepper import verdict

SENTENCE = ("The", "cat", "sat", "on", "the")
SENTENCE_SCORES = [0.8, 4.2, 2.8, 1.1, 1.5]
SENTENCE_POST = ("5", "42", "28", "10", "15")  # percent
WORDS = ("cat", "sat", "mat")
SCORES = np.array([[4.2, 1.1, 0.5], [2.8, 3.5, 1.8], [3.1, 2.4, 0.9]])
POST = (("0.80", "0.12", "0.08"), ("0.27", "0.55", "0.18"), ("0.40", "0.32", "0.28"))
NOTE = re.compile(r"^scores \[([^\]]*)\] \(log w − mean\) give the post's row; (.*)$")


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    return attention.steps(tmp_path_factory.mktemp("attention"), fast=True)


@pytest.fixture(scope="module")
def by_name(steps):
    return claims_by_name(steps)


def past_the_post(post):
    """``check``'s tolerance here: 0.51 units of the digit two places past the post's last.

    Stricter than ``check``'s default when the engine prints fewer digits: the
    demo shows two more decimals than the post, so a shorter figure must still
    be that close to the NumPy value.
    """
    return 0.51 * 10 ** -((len(post.split(".")[1]) if "." in post else 0) + 2)


def reproduces(row, post, scale):
    """No weight of ``row`` is judged "differs" against the post's figures."""
    return all(verdict(p, scale * w) != "differs" for p, w in zip(post, row))


def shown(weights, scale):
    """Weights printed as the post prints them."""
    return ", ".join(f"{100 * w:.0f}%" if scale == 100 else f"{w:.2f}" for w in weights)


def check_note(claim, scores, post, scale):
    """The note's scores are log w − mean and give the post's row, and its temperature part is true."""
    match = NOTE.match(claim.note)
    assert match, claim.note
    needed = np.array([float(x) for x in match[1].split(", ")])
    weights = np.array([float(p) for p in post]) / scale
    assert needed == pytest.approx(np.log(weights) - np.log(weights).mean(), abs=0.005)
    assert reproduces(softmax(needed), post, scale), claim.name
    temperature = match[2]
    if found := re.fullmatch(r"so do temperatures T (\S+)–(\S+)", temperature):
        low, high = float(found[1]), float(found[2])
        for t in (low + 0.005, (low + high) / 2, high - 0.005):  # the printed ends are rounded to 0.01
            assert reproduces(softmax(np.array(scores) / t), post, scale), (claim.name, t)
    else:
        assert temperature == "no temperature does", claim.note
        swept = np.exp(np.array(scores) / attention.TEMPERATURES[:, None])
        swept = np.round(scale * swept / swept.sum(axis=1, keepdims=True), 2 if scale == 1 else 0)
        within_a_digit = np.abs(swept - np.array(post, dtype=float)) <= 1.000001 * (0.01 if scale == 1 else 1)
        assert not within_a_digit.all(axis=1).any(), claim.name


def test_sentence_weights_are_softmax_of_the_scores_and_differ_from_the_post(steps, by_name):
    weights = softmax(SENTENCE_SCORES)
    for word, post, w in zip(SENTENCE, SENTENCE_POST, weights):
        claim = by_name[word]
        check(claim, post, 100 * w, past_the_post(post))
        assert claim.unit == "%" and claim.verdict == "differs"
        check_note(claim, SENTENCE_SCORES, SENTENCE_POST, 100)
    lines = step_text(steps, "§13 \"The cat sat")
    assert round(100 * weights[1], 1) == 71.8 and f"softmax gives \"cat\" {100 * weights[1]:.1f}%" in lines
    # No temperature in the searched range gives whole percentages within one point of the post's.
    swept = np.exp(np.array(SENTENCE_SCORES) / attention.TEMPERATURES[:, None])
    swept = 100 * swept / swept.sum(axis=1, keepdims=True)
    assert not (np.abs(np.round(swept) - np.array(SENTENCE_POST, dtype=float)) <= 1).all(axis=1).any()
    assert "no single temperature" in lines


def test_three_word_weights_are_row_softmax_and_the_posts_mostly_differ(steps, by_name):
    found = []
    for i, query in enumerate(WORDS):
        weights = softmax(SCORES[i])
        for j, key in enumerate(WORDS):
            claim = by_name[f"{query}→{key}"]
            check(claim, POST[i][j], weights[j], past_the_post(POST[i][j]))
            found.append(claim.verdict)
            if claim.verdict == "differs":
                check_note(claim, SCORES[i], POST[i], 1)
            else:
                assert claim.note == ""
    assert found.count("differs") == 8  # only mat→sat (0.309 vs .32) comes within a digit
    assert by_name["mat→sat"].verdict == "rounded"
    lines = step_text(steps, "§13 Inside the formula")
    assert "largest difference from F.softmax 0.0e+00" in lines or re.search(r"F\.softmax \d\.\de-1\d", lines)


def test_temperature_explains_row_cat_only(steps):
    lines = step_text(steps, "§13 Inside the formula")
    low, high = map(float, re.search(r"for T from (\S+) to (\S+)\n", lines).groups())
    cat = SCORES[0]
    for t in (low + 0.005, (low + high) / 2, high - 0.005):  # the printed ends are rounded to 0.01
        assert np.abs(np.round(softmax(cat / t), 2) - [0.80, 0.12, 0.08]).max() <= 0.0100001
    assert lines.count("no single temperature") == 2  # rows sat and mat
    # Row sat cannot come from any temperature: its "cat" score is above the row's mean, its weight below.
    sat_scores, sat_weights = SCORES[1], np.log([0.27, 0.55, 0.18])
    assert sat_scores[0] > sat_scores.mean() and sat_weights[0] < sat_weights.mean()


def test_the_best_temperature_of_each_row(steps):
    """Least squares on log w = s/T + c (centred): the T printed for each row, and the row softmax(s/T) gives."""
    lines = step_text(steps, "§13 \"The cat sat") + "\n" + step_text(steps, "§13 Inside the formula")
    printed = re.findall(r"best single temperature \(least squares on log-weights\): T = (\S+), giving (.*)", lines)
    rows = [(SENTENCE_SCORES, SENTENCE_POST, 100)] + [(s, w, 1) for s, w in zip(SCORES, POST)]
    assert len(printed) == len(rows)
    for (t_printed, row), (scores, post, scale) in zip(printed, rows):
        weights = np.array([float(p) for p in post]) / scale
        x, y = np.array(scores) - np.mean(scores), np.log(weights) - np.log(weights).mean()
        t = (x @ x) / (x @ y)
        assert float(t_printed) == pytest.approx(t, abs=0.005)
        assert row == shown(softmax(np.array(scores) / t), scale)


def test_scores_that_would_give_the_posts_weights(steps):
    lines = step_text(steps, "What scores would give")
    rows = {
        "The cat sat… (mat)": [0.05, 0.42, 0.28, 0.10, 0.15],
        "cat": [0.80, 0.12, 0.08], "sat": [0.27, 0.55, 0.18], "mat": [0.40, 0.32, 0.28],
    }
    for name, weights in rows.items():
        printed = re.search(rf"  {re.escape(name)}: would need \[([^\]]*)\]", lines)[1]
        needed = np.log(weights) - np.log(weights).mean()
        assert [float(x) for x in printed.split(", ")] == pytest.approx(needed, abs=0.005)
        assert softmax(needed) == pytest.approx(np.array(weights) / sum(weights))
    shown = re.findall(r"softmax of the needed scores: (.*)   \(the post: (.*)\)", lines)
    assert len(shown) == 4 and all(ours == post for ours, post in shown)
    (step,) = [step for step in steps if step.title.startswith("What scores would give")]
    assert step.claims() == []  # the post's weights are claimed once, where they are computed


def test_square_root_of_768(steps, by_name):
    check(by_name["√768"], "27.7", math.sqrt(768), past_the_post("27.7"))
    assert by_name["√768"].verdict == "exact"
    lines = step_text(steps, "§13 Why divide by √d")
    spread = float(re.search(r"standard deviation (\S+) ", lines)[1])
    scaled = float(re.search(r"q·k / √768 has (\S+)\.", lines)[1])
    assert spread == pytest.approx(math.sqrt(768), rel=0.1) and scaled == pytest.approx(1, rel=0.1)
    unscaled_weight, scaled_weight = map(float, re.findall(r"largest weight (\S+),", lines))
    assert unscaled_weight > 0.99 > scaled_weight


def test_every_claim_is_checked_above(by_name):
    assert len(by_name) == 5 + 9 + 1


def test_heatmap_png_is_attached_and_written(steps):
    pictures = [path for step in steps for path, _ in step.pictures]
    assert [path.name for path in pictures] == [attention.HEATMAP_PNG]
    assert pictures[0].read_bytes().startswith(b"\x89PNG") and pictures[0].stat().st_size < 150_000


def test_renders_and_runs_from_the_command_line(steps, tmp_path, capsys):
    shown = printed(steps)
    assert "── 4/4" in shown
    assert main(["attention", "--no-pause", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(attention.TITLE) and "── 4/4" in out
