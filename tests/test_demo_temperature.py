"""The §6 temperature demo, headless: every claim checked against values computed here with math and NumPy."""

import math

import numpy as np
import pytest
from demo_checks import by_name, check, claim, printed, recorded, softmax

from demos import temperature
from demos._stepper import verdict

TOKENS = ("the", "a", "an", "big", "cat")
LOGITS = np.array([5.2, 2.1, 1.5, 0.3, -0.8])
POST_ROWS = {
    0.1: ("99.9", "0.1", "~0", "~0", "~0"),
    1.0: ("72", "15", "8", "4", "1"),
    2.0: ("35", "22", "18", "14", "11"),
}
TEMPERATURES = np.geomspace(0.05, 50, 20001)  # a finer grid than the demo's


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("temperature")
    steps = temperature.steps(out_dir, fast=True)
    return steps, by_name(steps), out_dir


def shows(post_row, percents):
    """No figure of the row differs from these percentages."""
    return all(verdict(p, x) != "differs" for p, x in zip(post_row, percents))


def test_rows_are_softmax_of_the_logits(demo):
    steps, found, _ = demo
    for T, post_row in POST_ROWS.items():
        for word, post, p in zip(TOKENS, post_row, 100 * softmax(LOGITS / T)):
            check(found[f"T={T:g} {word}"], post, p)
    verdicts = {T: [found[f"T={T:g} {w}"].verdict for w in TOKENS] for T in POST_ROWS}
    assert verdicts[0.1] == ["rounded", "differs", "exact", "exact", "exact"]  # 100.0 vs 99.9; 3e-12 vs 0.1
    assert verdicts[1.0] == ["differs"] * 5  # cat: 0.23 shows as 0, one unit from 1 but four times too small
    assert found["T=0.1 a"].note  # it prints the range recorded here
    low, high = recorded(steps, "§6 Same logits, T = 0.1")["temperatures reproducing the post"]
    inside = np.linspace(low, high, 9)
    assert all(shows(POST_ROWS[0.1], 100 * softmax(LOGITS / T)) for T in inside)
    assert not shows(POST_ROWS[0.1], 100 * softmax(LOGITS / 0.1))
    assert verdicts[2.0] == ["differs"] * 5


def test_differing_rows_no_temperature_but_the_named_logits(demo):
    steps, found, _ = demo
    for T in (1.0, 2.0):
        post_row = POST_ROWS[T]
        sweep = 100 * np.exp(LOGITS / TEMPERATURES[:, None])
        sweep /= sweep.sum(axis=1, keepdims=True) / 100
        assert not any(shows(post_row, row) for row in sweep)
        said = recorded(steps, f"§6 Same logits, T = {T:g}")
        assert found[f"T={T:g} the"].note  # it prints the logits and the best T recorded here
        logits = np.round(said["logits giving the post's row"], 2)  # as the note prints them
        assert logits[0] == 5.2
        percents = 100 * softmax(np.array(logits) / T)
        assert [round(x) for x in percents] == [int(p) for p in post_row]  # the 2-decimal logits still round right
        errors = np.abs(sweep - [float(p) for p in post_row]).max(axis=1)
        assert said["best T"] == pytest.approx(TEMPERATURES[errors.argmin()], abs=0.01)
        assert said["temperatures reproducing the post"] is None


def test_low_temperature_row_is_rounded_and_what_T_would_print_it(demo):
    steps, _, _ = demo
    said = recorded(steps, "§6 Same logits, T = 0.1")
    T = round(said["best T"], 2)  # as printed
    assert shows(POST_ROWS[0.1], 100 * softmax(LOGITS / T))
    assert all(verdict(p, x) == "exact" for p, x in zip(POST_ROWS[0.1], 100 * softmax(LOGITS / T)))
    assert said["logits giving the post's row"] is None  # "~0" has no logarithm
    assert f"{said['softmax, in %'][1]:.1e}" == f"{100 * softmax(LOGITS / 0.1)[1]:.1e}"  # printed to 2 digits


def test_the_posts_rows_disagree_with_each_other(demo):
    steps, _, _ = demo
    said = recorded(steps, "§6 Do the post's own rows")
    one = np.array([72, 15, 8, 4, 1]) / 100
    heated = 100 * np.sqrt(one) / np.sqrt(one).sum()  # softmax(log p / 2)
    assert said["the T = 1 row's logits at T = 2, in %"] == pytest.approx(heated, abs=0.05)
    assert not shows(POST_ROWS[2.0], heated) and said["the rows agree"] is False


def test_gap_of_three_is_twenty_not_twenty_two(demo):
    steps, found, _ = demo
    claim = found["e^3 (a logit gap of 3)"]
    check(claim, "22", math.exp(3))
    assert claim.verdict == "differs"
    meant = recorded(steps, "§6 Why dividing")["e^3.1"]  # the note prints it to one decimal
    assert meant == pytest.approx(math.exp(3.1)) and verdict("22", round(meant, 1)) == "exact"
    check(found["a gap of 3.0 divided by T=2"], "1.5", 1.5)
    check(found["a gap of 3.0 divided by T=0.5"], "6.0", 6.0)


def test_two_token_example(demo):
    steps, found, _ = demo
    check(found["gap 5.2 − 2.1"], "3.1", 3.1)
    for T, logits, gap, probs in ((0.5, ("10.4", "4.2"), "6.2", ("99.8", "0.2")), (2.0, ("2.6", "1.05"), "1.55", ("68", "32"))):
        for z, post in zip((5.2, 2.1), logits):
            check(found[f"{z:g} / {T:g}"], post, z / T)
        check(found[f"gap at T={T:g}"], gap, 3.1 / T)
        for z, post, p in zip((5.2, 2.1), probs, 100 * softmax(np.array([5.2, 2.1]) / T)):
            check(found[f"T={T:g} P({z:g})"], post, p)
    assert found["T=2 P(5.2)"].verdict == found["T=2 P(2.1)"].verdict == "differs" and found["T=2 P(5.2)"].note
    T = recorded(steps, "§6 Amplify")["temperature giving the post's split at T=2"]
    assert T == pytest.approx(3.1 / math.log(68 / 32), abs=0.005)
    assert [round(x) for x in 100 * softmax(np.array([5.2, 2.1]) / T)] == [68, 32]


def test_limits(demo):
    steps, _, _ = demo
    said = recorded(steps, "§6 The edge cases")
    for T in (0.05, 0.01, 0.001):
        assert said[f"T = {T:g}: P(the), in %"] == pytest.approx(100.0, abs=0.05)  # printed as 100.0%
    assert list(said["sampling.temperature(z, 0)"]) == [0.0, -np.inf, -np.inf, -np.inf, -np.inf]
    farthest = [said[f"T = {T:g}: largest distance from uniform, in points"] for T in (10, 100, 10000)]
    expected = [np.abs(100 * softmax(LOGITS / T) - 20).max() for T in (10.0, 100.0, 10000.0)]
    assert farthest == pytest.approx(expected, rel=0.01)
    hottest = 100 * softmax(LOGITS / 10000.0)
    check(claim(steps, "T → ∞ (T = 10,000): \"equal probability\", the token farthest from it"), "20",
          hottest[np.abs(hottest - 20).argmax()])
    assert said["T = 1 changes nothing"] is True and said["the ranking never changes"] is True
    assert all((np.argsort(-softmax(LOGITS / T)) == np.arange(5)).all() for T in np.geomspace(0.01, 1000, 50))


def test_picture_entropies_and_rendering(demo):
    steps, _, out_dir = demo
    said = recorded(steps, "§6 The confidence dial")
    assert len(said) == 5
    for T in (0.1, 0.5, 1, 2, 5):
        p = softmax(LOGITS / T)
        p = p[p > 0]
        assert said[f"T = {T:g}: entropy in bits"] == pytest.approx(-(p * np.log2(p)).sum(), abs=0.006)
    path = out_dir / temperature.PICTURE_PNG
    assert path.read_bytes().startswith(b"\x89PNG") and 1000 < path.stat().st_size < 150_000
    assert [p for step in steps for p, _ in step.pictures] == [path]
    lines = printed(steps).splitlines()
    assert all(len(line) <= 110 for line in lines if "picture:" not in line)
