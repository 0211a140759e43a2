"""The §4 softmax demo, headless: every claim checked against values computed here with math and NumPy."""

import math

import numpy as np
import pytest
from demo_checks import by_name, check, printed, recorded

from demos import softmax

LOGITS = [5.2, 2.1, -0.8]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("softmax")
    steps = softmax.steps(out_dir, fast=True)
    return steps, by_name(steps), out_dir


def exact_softmax(z):
    exps = [math.exp(x) for x in z]
    return [e / sum(exps) for e in exps]


def test_exponentials_and_probabilities(demo):
    _, found, _ = demo
    for z, post in zip(LOGITS, ("181.3", "8.2", "0.45")):
        check(found[f"e^{z:g}"], post, math.exp(z))
        assert found[f"e^{z:g}"].verdict == "exact"
    for word, post, p in zip(("the", "a", "cat"), ("95.4", "4.3", "0.2"), exact_softmax(LOGITS)):
        check(found[f"P({word})"], post, 100 * p)
    assert found["P(the)"].verdict == "rounded"  # 95.46 shows as 95.5


def test_the_posts_sum_adds_rounded_terms(demo):
    steps, found, _ = demo
    claim = found["sum of the e^z"]
    true_sum = sum(math.exp(z) for z in LOGITS)
    check(claim, "189.95", true_sum)
    assert claim.verdict == "differs"
    assert claim.note  # it prints the terms recorded here
    terms = recorded(steps, "§4 Watching")["the post's rounded terms"]
    assert terms == [round(math.exp(5.2), 1), round(math.exp(2.1), 1), round(math.exp(-0.8), 2)]
    assert f"{sum(terms):.2f}" == "189.95"


def test_naive_division(demo):
    _, found, _ = demo
    check(found["Σ logits"], "6.5", sum(LOGITS))
    for z, post in zip(LOGITS, ("80", "32", "-12")):
        check(found[f"{z:g} / 6.5"], post, 100 * z / sum(LOGITS))
        assert found[f"{z:g} / 6.5"].verdict == "exact" and found[f"{z:g} / 6.5"].unit == "%"  # the post's "80%"


def test_amplification_and_the_curve_labels(demo):
    _, found, _ = demo
    check(found["the after e^z"], "181", math.exp(5.2))
    check(found["a after e^z"], "8", math.exp(2.1))
    check(found["logit gap 5.2 − 2.1"], "3.1", 5.2 - 2.1)
    check(found["e^5.2 / e^2.1"], "22", math.exp(5.2) / math.exp(2.1))
    check(found["e^3.1"], "22", math.exp(3.1))
    for x, post in (("0", "1"), ("1", "2.7"), ("2", "7.4"), ("4", "54.6"), ("5", "148")):
        check(found[f"e^{x}"], post, math.exp(int(x)))
    check(found["e^4 / e^2"], "7", math.exp(2))
    assert {c.verdict for name, c in found.items() if name != "sum of the e^z" and name != "P(the)"} == {"exact"}


def test_three_properties_hold(demo):
    steps, _, _ = demo
    said = recorded(steps, "§4 The three things")
    assert said["every p > 0"] is said["random rows: all positive"] is said["random rows: same order in every row"] is True
    assert said["ranking of the logits"] == said["ranking of the probabilities"] == "the > a > cat"
    assert said["random rows: largest |Σ p − 1|"] < 1e-14


def test_jacobian_matches_the_closed_form(demo):
    steps, _, _ = demo
    said = recorded(steps, "§4 Softmax's gradient")
    p = np.array(exact_softmax(LOGITS))
    formula = np.diag(p) - np.outer(p, p)
    assert said["Jacobian, tensorgrad"] == pytest.approx(formula, abs=6e-6)
    for engine in ("tensorgrad", "scalargrad"):
        assert said[f"largest |backward − formula|, {engine}"] < 1e-12


def test_shift_invariance_and_the_max_trick(demo):
    steps, _, _ = demo
    said = recorded(steps, "§4 Only the gaps matter")
    changes = [value for name, value in said.items() if name.endswith("largest change in any probability")]
    assert len(changes) == 2 and max(changes) < 1e-12
    assert said["naive e^z / Σ e^z in tensorgrad"].startswith("OverflowError")
    assert np.isnan(said["plain NumPy"]).all()
    p = 1 / (1 + math.exp(-1))  # softmax([1000, 999]) = softmax([1, 0])
    for name in ("F.softmax", "softmax after subtracting the max", "scalargrad's softmax"):
        assert list(said[name]) == pytest.approx([p, 1 - p], abs=5e-5), name  # printed to 4 decimals


def test_picture_and_rendering(demo):
    steps, _, out_dir = demo
    path = out_dir / softmax.CURVE_PNG
    assert path.read_bytes().startswith(b"\x89PNG") and 1000 < path.stat().st_size < 150_000
    assert [p for step in steps for p, _ in step.pictures] == [path]
    lines = printed(steps).splitlines()
    assert all(len(line) <= 110 for line in lines if "picture:" not in line)
