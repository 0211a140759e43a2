"""The §2 demo: every claim checked against values computed here with plain NumPy."""

import re

import numpy as np
import pytest

from demos import expected_value
from demos._stepper import claims, run_steps, verdict

A = (np.array([100_000.0]), np.array([1.0]))
B = (np.array([50_000.0, 170_000.0]), np.array([0.5, 0.5]))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("expected_value")
    return expected_value.steps(out_dir, fast=True), out_dir


def claim(demo, name):
    steps, _ = demo
    (found,) = [c for c in claims(steps) if c.name == name]
    return found


def text(demo, title_start):
    steps, _ = demo
    (step,) = [s for s in steps if s.title.startswith(title_start)]
    return "\n".join(str(line) for line in step.lines)


def check(name, demo, post, value, tolerance=1e-6):
    found = claim(demo, name)
    assert found.post == post
    assert float(found.engine) == pytest.approx(value, abs=tolerance)
    assert found.verdict == verdict(post, value) == "exact"  # the post's offers are simple enough to be exact


def mean(x, p):
    return float(np.sum(x * p))


def var(x, p):
    return float(np.sum((x - mean(x, p)) ** 2 * p))


def test_expected_values_and_variances_of_the_two_offers(demo):
    check("E[A] in $", demo, "100", mean(*A) / 1000)
    check("E[B] in $", demo, "110", mean(*B) / 1000)
    check("Var(A)", demo, "0", var(*A))
    high = claim(demo, "Var(B), in 10⁹ $²")
    assert (high.post, high.unit, high.verdict) == ("High", "", "illustrative")  # "High" carries no unit
    assert float(high.engine) == pytest.approx(var(*B) / 1e9) == 3.6
    assert "Var(B) = 3.6e9 $²" in high.note and f"√Var = ${np.sqrt(var(*B)) / 1000:.0f}K" in high.note
    assert np.sqrt(var(*B)) == 60_000


def test_base_plus_bonus(demo):
    """"$50,000 base with a 50% chance of a $120,000 bonus — so either $50K or $170K"."""
    check("B's base + bonus, in $", demo, "170", (50_000 + 120_000) / 1000)
    assert claim(demo, "B's base + bonus, in $").unit == "K"
    assert "so either $50K or $50K + $120K = $170K:" in text(demo, "§2 Two job offers")
    assert sorted(expected_value.OFFERS["Company B"].items()) == list(zip(B[0], B[1]))


def test_the_thousand_universes(demo):
    counts = 1000 * B[1]
    check("average over 1,000 universes, in $", demo, "110", (counts @ B[0]) / 1000 / 1000)
    check("500/1000", demo, "0.5", 500 / 1000)
    check("E[B] = Σ x·P(x), in $", demo, "110", mean(*B) / 1000)
    check("influence of a 90% outcome over a 10% one", demo, "9", 0.9 / 0.1)
    bonus = mean(B[0], np.array([0.1, 0.9]))
    assert f"= ${bonus / 1000:.0f}K" in text(demo, "§2 Why a weighted sum") and bonus == 158_000


def test_distances_cancel_and_squares_do_not(demo):
    x, p = B
    check("average distance from the mean, in $", demo, "60", np.sum(np.abs(x - mean(x, p)) * p) / 1000)
    check("Σ signed distances, $50K/$170K", demo, "0", np.sum(x - mean(x, p)))
    narrow = np.array([109_000.0, 111_000.0])
    check("Σ signed distances, $109K/$111K", demo, "0", np.sum(narrow - narrow.mean()))
    check("($60K)²", demo, "3,600,000,000", 60_000.0**2)  # as the post prints them
    check("($1K)²", demo, "1,000,000", 1_000.0**2)
    check("how much more the big gap counts", demo, "3,600", 60_000.0**2 / 1_000.0**2)
    shown = text(demo, "§2 Variance")
    assert (var(x, p), var(narrow, p)) == (3.6e9, 1e6)
    assert "= 3.6e9 $² (standard deviation $60K)" in shown
    assert "Var of $109K/$111K = 1.0e6 $²" in shown


def test_a_baseline_moves_the_mean_and_keeps_the_variance(demo):
    shown = text(demo, "§2 A baseline")
    rows = re.findall(r"b = +\$(\d+)K   E\[B − b\] = +\$(-?\d+)K   Var\(B − b\) = (\S+) \$²", shown)
    assert [int(b) for b, *_ in rows] == [0, 110, 50]
    for b, e, v in rows:
        assert int(e) == (mean(*B) - 1000 * int(b)) / 1000
        assert float(v) == pytest.approx(var(*B), rel=1e-2)


def test_seven_of_ten_correct(demo):
    answers = np.array([1.0] * 7 + [0.0] * 3)
    check("expected correctness", demo, "70", 100 * answers.mean())
    assert claim(demo, "expected correctness").unit == "%"
    assert f"= {answers.var():.2f}, which is p(1 − p)" in text(demo, "§2 Correctness")


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / expected_value.OFFERS_PNG
    assert png.read_bytes().startswith(b"\x89PNG") and 0 < png.stat().st_size < 120_000
    assert [path for step in steps for path, _ in step.pictures] == [png]
    printed = []
    assert run_steps(steps, pause=False, write=printed.append)
    assert "── 5/5" in "".join(printed)
