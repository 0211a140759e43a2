"""The §2 demo: every claim checked against values computed here with plain NumPy."""


import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import expected_value

A = (np.array([100_000.0]), np.array([1.0]))
B = (np.array([50_000.0, 170_000.0]), np.array([0.5, 0.5]))


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("expected_value")


def check_exact(steps, name, post, value):
    """``check`` the claim ``name`` to 1e-6, and its verdict must be "exact".

    Stricter than ``check``: the post's offers are simple enough that every figure checked here is exact.
    """
    found = claim(steps, name)
    check(found, post, value, 1e-6)
    assert found.verdict == "exact"


def mean(x, p):
    return float(np.sum(x * p))


def var(x, p):
    return float(np.sum((x - mean(x, p)) ** 2 * p))


def test_expected_values_and_variances_of_the_two_offers(demo):
    steps, _ = demo
    check_exact(steps, "E[A] in $", "100", mean(*A) / 1000)
    check_exact(steps, "E[B] in $", "110", mean(*B) / 1000)
    check_exact(steps, "Var(A)", "0", var(*A))
    high = claim(steps, "Var(B), in 10⁹ $²")
    assert (high.post, high.unit, high.verdict) == ("High", "", "illustrative")  # "High" carries no unit
    assert float(high.engine) == pytest.approx(var(*B) / 1e9) == 3.6
    assert high.note  # it prints the values recorded here
    shown = recorded(steps, "§2 Two job offers")["Var(B) and its standard deviation"]
    assert shown == pytest.approx((var(*B), np.sqrt(var(*B))), rel=1e-12)
    assert np.sqrt(var(*B)) == 60_000


def test_base_plus_bonus(demo):
    """"$50,000 base with a 50% chance of a $120,000 bonus — so either $50K or $170K"."""
    steps, _ = demo
    check_exact(steps, "B's base + bonus, in $", "170", (50_000 + 120_000) / 1000)
    assert claim(steps, "B's base + bonus, in $").unit == "K"
    assert recorded(steps, "§2 Two job offers")["Company B's outcomes"] == (50_000, 50_000 + 120_000)
    assert sorted(expected_value.OFFERS["Company B"].items()) == list(zip(B[0], B[1]))


def test_the_thousand_universes(demo):
    steps, _ = demo
    counts = 1000 * B[1]
    check_exact(steps, "average over 1,000 universes, in $", "110", (counts @ B[0]) / 1000 / 1000)
    check_exact(steps, "500/1000", "0.5", 500 / 1000)
    check_exact(steps, "E[B] = Σ x·P(x), in $", "110", mean(*B) / 1000)
    check_exact(steps, "influence of a 90% outcome over a 10% one", "9", 0.9 / 0.1)
    bonus = mean(B[0], np.array([0.1, 0.9]))
    shown = recorded(steps, "§2 Why a weighted sum")["E[B] with a 90% chance of the bonus"]
    assert shown == pytest.approx(bonus, abs=500) and bonus == 158_000  # printed in whole $K


def test_distances_cancel_and_squares_do_not(demo):
    steps, _ = demo
    x, p = B
    check_exact(steps, "average distance from the mean, in $", "60", np.sum(np.abs(x - mean(x, p)) * p) / 1000)
    check_exact(steps, "Σ signed distances, $50K/$170K", "0", np.sum(x - mean(x, p)))
    narrow = np.array([109_000.0, 111_000.0])
    check_exact(steps, "Σ signed distances, $109K/$111K", "0", np.sum(narrow - narrow.mean()))
    check_exact(steps, "($60K)²", "3,600,000,000", 60_000.0**2)  # as the post prints them
    check_exact(steps, "($1K)²", "1,000,000", 1_000.0**2)
    check_exact(steps, "how much more the big gap counts", "3,600", 60_000.0**2 / 1_000.0**2)
    shown = recorded(steps, "§2 Variance")
    assert (var(x, p), var(narrow, p)) == (3.6e9, 1e6)
    assert shown["Var(B)"] == pytest.approx(var(x, p), rel=0.05)  # printed as 3.6e9
    assert shown["standard deviation of B"] == pytest.approx(60_000, abs=500)  # printed as $60K
    assert shown["Var of $109K/$111K"] == pytest.approx(var(narrow, p), rel=0.05)  # printed as 1.0e6


def test_a_baseline_moves_the_mean_and_keeps_the_variance(demo):
    steps, _ = demo
    shown = recorded(steps, "§2 A baseline")
    assert list(shown) == [f"b = {b}: E[B − b], Var(B − b)" for b in (0, 110_000, 50_000)]
    for b in (0, 110_000, 50_000):
        e, v = shown[f"b = {b}: E[B − b], Var(B − b)"]
        assert e == pytest.approx(mean(*B) - b, abs=500)  # printed in whole $K
        assert v == pytest.approx(var(*B), rel=1e-2)


def test_seven_of_ten_correct(demo):
    steps, _ = demo
    answers = np.array([1.0] * 7 + [0.0] * 3)
    check_exact(steps, "expected correctness", "70", 100 * answers.mean())
    assert claim(steps, "expected correctness").unit == "%"
    assert recorded(steps, "§2 Correctness")["Var of the scores"] == pytest.approx(answers.var(), abs=0.005)


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / expected_value.OFFERS_PNG
    assert png.read_bytes().startswith(b"\x89PNG") and 0 < png.stat().st_size < 120_000
    assert [path for step in steps for path, _ in step.pictures] == [png]
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
