"""The §13 demo, headless: every claim checked against values computed here with plain NumPy."""

import math

import numpy as np
import pytest
from demo_checks import by_name as claims_by_name
from demo_checks import check, printed, recorded, softmax, step

from demos import attention
from demos.__main__ import main, next_demo
from demos._stepper import claims, tally, verdict
from demos._terminal import Terminal

SENTENCE = ("The", "cat", "sat", "on", "the")
SENTENCE_SCORES = [0.8, 4.2, 2.8, 1.1, 1.5]
SENTENCE_POST = ("5", "42", "28", "10", "15")  # percent
WORDS = ("cat", "sat", "mat")
SCORES = np.array([[4.2, 1.1, 0.5], [2.8, 3.5, 1.8], [3.1, 2.4, 0.9]])
POST = (("0.80", "0.12", "0.08"), ("0.27", "0.55", "0.18"), ("0.40", "0.32", "0.28"))
SENTENCE_ROW = "The cat sat… (mat)"


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


def check_row(values, row, scores, post, scale):
    """The row's recorded temperatures: the range that reproduces the post's row is true, and None only if no T does.

    The claims' notes print these values and the needed scores (checked in test_scores_that_would_give...).
    """
    found = values[f"{row}: temperatures reproducing the post"]
    if found is not None:
        low, high = found
        for t in (low, (low + high) / 2, high):
            assert reproduces(softmax(np.array(scores) / t), post, scale), (row, t)
    else:
        swept = np.exp(np.array(scores) / attention.TEMPERATURES[:, None])
        swept = np.round(scale * swept / swept.sum(axis=1, keepdims=True), 2 if scale == 1 else 0)
        within_a_digit = np.abs(swept - np.array(post, dtype=float)) <= 1.000001 * (0.01 if scale == 1 else 1)
        assert not within_a_digit.all(axis=1).any(), row


def test_sentence_weights_are_softmax_of_the_scores_and_differ_from_the_post(steps, by_name):
    weights = softmax(SENTENCE_SCORES)
    for word, post, w in zip(SENTENCE, SENTENCE_POST, weights):
        claim = by_name[word]
        check(claim, post, 100 * w, past_the_post(post))
        assert claim.unit == "%" and claim.verdict == "differs" and claim.note
    values = recorded(steps, "§13 \"The cat sat")
    check_row(values, SENTENCE_ROW, SENTENCE_SCORES, SENTENCE_POST, 100)
    assert round(100 * weights[1], 1) == 71.8
    # No temperature in the searched range gives whole percentages within one point of the post's.
    swept = np.exp(np.array(SENTENCE_SCORES) / attention.TEMPERATURES[:, None])
    swept = 100 * swept / swept.sum(axis=1, keepdims=True)
    assert not (np.abs(np.round(swept) - np.array(SENTENCE_POST, dtype=float)) <= 1).all(axis=1).any()
    assert values[f"{SENTENCE_ROW}: temperatures reproducing the post"] is None


def test_three_word_weights_are_row_softmax_and_the_posts_mostly_differ(steps, by_name):
    found = []
    values = recorded(steps, "§13 Inside the formula")
    for i, query in enumerate(WORDS):
        weights = softmax(SCORES[i])
        for j, key in enumerate(WORDS):
            claim = by_name[f"{query}→{key}"]
            check(claim, POST[i][j], weights[j], past_the_post(POST[i][j]))
            found.append(claim.verdict)
            assert bool(claim.note) == (claim.verdict == "differs")
        check_row(values, query, SCORES[i], POST[i], 1)
    assert found.count("differs") == 8  # only mat→sat (0.309 vs .32) comes within a digit
    assert by_name["mat→sat"].verdict == "rounded"
    assert values["largest difference from F.softmax"] < 1e-9  # printed as 0.0e+00 or d.de-1d


def test_temperature_explains_row_cat_only(steps):
    values = recorded(steps, "§13 Inside the formula")
    low, high = values["cat: temperatures reproducing the post"]
    cat = SCORES[0]
    for t in (low, (low + high) / 2, high):
        assert np.abs(np.round(softmax(cat / t), 2) - [0.80, 0.12, 0.08]).max() <= 0.0100001
    assert values["sat: temperatures reproducing the post"] is values["mat: temperatures reproducing the post"] is None
    # Row sat cannot come from any temperature: its "cat" score is above the row's mean, its weight below.
    sat_scores, sat_weights = SCORES[1], np.log([0.27, 0.55, 0.18])
    assert sat_scores[0] > sat_scores.mean() and sat_weights[0] < sat_weights.mean()


def test_the_best_temperature_of_each_row(steps):
    """Least squares on log w = s/T + c (centred): the T recorded for each row, and the row softmax(s/T) gives."""
    rows = [(recorded(steps, "§13 \"The cat sat"), SENTENCE_ROW, SENTENCE_SCORES, SENTENCE_POST, 100)]
    rows += [(recorded(steps, "§13 Inside the formula"), w, s, p, 1) for w, s, p in zip(WORDS, SCORES, POST)]
    for values, name, scores, post, scale in rows:
        weights = np.array([float(p) for p in post]) / scale
        x, y = np.array(scores) - np.mean(scores), np.log(weights) - np.log(weights).mean()
        t = (x @ x) / (x @ y)
        assert values[f"{name}: best temperature"] == pytest.approx(t, abs=0.005)
        given = values[f"{name}: softmax at the best temperature"]
        assert shown(given, scale) == shown(softmax(np.array(scores) / t), scale)


def test_scores_that_would_give_the_posts_weights(steps):
    values = recorded(steps, "What scores would give")
    rows = {SENTENCE_ROW: (SENTENCE_POST, 100), **{word: (post, 1) for word, post in zip(WORDS, POST)}}
    for name, (post, scale) in rows.items():
        weights = np.array([float(p) for p in post]) / scale
        needed = np.log(weights) - np.log(weights).mean()
        assert values[f"{name}: needed scores"] == pytest.approx(needed, abs=0.005)
        assert softmax(needed) == pytest.approx(weights / weights.sum())
        # the needed scores as shown (two decimals) give the post's row back, as the post prints it
        assert shown(values[f"{name}: softmax of the needed scores"], scale) == shown(weights, scale)
        assert shown(softmax(np.round(needed, 2)), scale) == shown(weights, scale)
    assert len(values) == 2 * len(rows)
    assert step(steps, "What scores would give").claims() == []  # the post's weights are claimed once


def test_square_root_of_768(steps, by_name):
    check(by_name["√768"], "27.7", math.sqrt(768), past_the_post("27.7"))
    assert by_name["√768"].verdict == "exact"
    values = recorded(steps, "§13 Why divide by √d")
    spread, scaled = values["standard deviation of q·k"], values["standard deviation of q·k/√d"]
    assert spread == pytest.approx(math.sqrt(768), rel=0.1) and scaled == pytest.approx(1, rel=0.1)
    assert values["largest weight without /√d"] > 0.99 > values["largest weight with /√768"]


def test_the_posts_rows_sum_to_100_percent(by_name):
    check(by_name["the post's weights sums to"], "100", 5 + 42 + 28 + 10 + 15)
    for word, row in zip(("cat", "sat", "mat"), ((80, 12, 8), (27, 55, 18), (40, 32, 28))):
        check(by_name[f"{word}: the post's row sums to"], "100", sum(row), tolerance=1e-9)


def test_768_terms_and_500_compression_steps(by_name, steps):
    check(by_name["terms in one 768-dimensional dot product q·k"], "768", 768)  # q·k = Σ qᵢkᵢ over 768 entries
    check(by_name["compression steps from token 1 to token 500 (tanh updates on the path)"], "500", 500)
    first, last = recorded(steps, "§13 Before attention")["∂state/∂token 1 and ∂state/∂token 500"]
    # the last update's derivative is 1 − tanh², the first token's a product of 500 factors below 1
    assert 0 < last <= 1 and abs(first) < 1e-100


def test_every_claim_is_checked_above(by_name):
    assert len(by_name) == 5 + 9 + 1 + 4 + 1 + 1


def test_heatmap_png_is_attached_and_written(steps):
    pictures = [path for step in steps for path, _ in step.pictures]
    assert [path.name for path in pictures] == [attention.HEATMAP_PNG]
    assert pictures[0].read_bytes().startswith(b"\x89PNG") and pictures[0].stat().st_size < 150_000


def test_renders_and_runs_from_the_command_line(steps, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    shown = printed(steps, Terminal(100))
    assert all(step.title in printed(steps) for step in steps)
    assert main(["attention", "--no-pause", "--out", str(steps[1].pictures[0][0].parent)]) == 0
    ending = f"\n{tally(claims(steps))}\n{Terminal(100).fit(next_demo('attention'))}\n"
    assert capsys.readouterr().out == f"{attention.TITLE}\n{shown}{ending}"
