"""The §9 demo, headless: every claim and printed number checked against plain math/NumPy computed here."""

import math

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import cross_entropy
from demos._stepper import claims, verdict

UNCERTAIN = np.array([0.40, 0.35, 0.25])
TEACHER = np.array([0.70, 0.20, 0.10])


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("cross_entropy")


def test_claim_names_are_unique_and_all_checked(demo):
    steps, _ = demo
    names = [c.name for c in claims(steps)]
    assert len(names) == len(set(names))
    assert set(names) == {
        "loss, confident & correct", "loss, uncertain but correct",
        *(f"-log({p})" for p in ("1.0", "0.5", "0.1", "0.01", "0.001")),
        *(f"curve at p = {p}" for p in ("0.1", "0.5", "1.0")),
        "90% → 100% saves", "10% → 1% costs", "1 − p adds", "−log p adds",
        *(f"slope at p = {p}" for p in ("0.1", "0.5", "0.9")),
        "confident & correct: the three probabilities sum to", "uncertain but correct: the three probabilities sum to",
    }
    for name, percents in (("confident & correct", (90, 5, 5)), ("uncertain but correct", (40, 35, 25))):
        check(claim(steps, f"{name}: the three probabilities sum to"), "100", sum(percents))


def test_paris_losses(demo):
    steps, _ = demo
    check(claim(steps, "loss, confident & correct"), "0.105", -math.log(0.90))
    check(claim(steps, "loss, uncertain but correct"), "0.916", -math.log(0.40))


def test_negative_log_table_and_curve_labels(demo):
    steps, _ = demo
    for p, post in (("1.0", "0.0"), ("0.5", "0.69"), ("0.1", "2.30"), ("0.01", "4.61"), ("0.001", "6.91")):
        check(claim(steps, f"-log({p})"), post, -math.log(float(p)))
    for p, post in (("0.1", "2.30"), ("0.5", "0.69"), ("1.0", "0")):
        check(claim(steps, f"curve at p = {p}"), post, -math.log(float(p)))
    assert claim(steps, "-log(1.0)").engine == "0.0"  # not "-0.0"


def test_asymmetry_and_the_posts_rounded_subtraction(demo):
    steps, _ = demo
    check(claim(steps, "90% → 100% saves"), "0.105", -math.log(0.9))
    cost = claim(steps, "10% → 1% costs")
    check(cost, "2.31", math.log(10))
    # log 10 = 2.3026 shows as 2.30, one unit of the last digit from 2.31: the rule says "rounded", so no note.
    assert cost.verdict == "rounded" and cost.note == ""
    table = round(-math.log(0.01), 2), round(-math.log(0.1), 2)
    subtracted = recorded(steps, "§9 The asymmetry")["the post's table values subtracted"]
    assert subtracted == pytest.approx(table[0] - table[1], abs=1e-12)
    assert verdict("2.31", table[0] - table[1]) == "exact"  # subtracting the table's rounded values gives the post's


def test_one_minus_p_versus_negative_log(demo):
    steps, _ = demo
    check(claim(steps, "1 − p adds"), "0.009", (1 - 0.001) - (1 - 0.01))
    check(claim(steps, "−log p adds"), "2.3", math.log(0.01) - math.log(0.001))


def test_tangent_slopes(demo):
    steps, _ = demo
    for p, post in (("0.1", "-10"), ("0.5", "-2"), ("0.9", "-1.1")):
        check(claim(steps, f"slope at p = {p}"), post, -1 / float(p))


def test_cross_entropy_is_entropy_plus_kl(demo):
    steps, _ = demo
    said = recorded(steps, "§9 Cross-entropy = entropy")
    p, q = np.random.default_rng(cross_entropy.SEED).dirichlet(np.ones(cross_entropy.CLASSES), size=2)
    pairs = {f"random p, q on {cross_entropy.CLASSES} classes": (p, q),
             "teacher vs the 40/35/25 model": (TEACHER, UNCERTAIN), "model matching the teacher": (TEACHER, TEACHER)}
    for name, (target, model) in pairs.items():
        cross = -(target * np.log(model)).sum()
        h = -(target * np.log(target)).sum()
        kl = (target * np.log(target / model)).sum()
        shown_cross, shown_h, shown_kl = (said[f"{name}: {term}"] for term in ("H(p, q)", "H(p)", "KL(p ‖ q)"))
        assert [shown_cross, shown_h, shown_kl, shown_h + shown_kl] == pytest.approx([cross, h, kl, h + kl], abs=5.1e-5)
        assert abs(shown_cross - shown_h - shown_kl) < 1e-12
    assert said["KL(onehot ‖ q)"] == pytest.approx(-math.log(0.40), abs=5.1e-4)


def test_one_training_step(demo):
    steps, _ = demo
    said = recorded(steps, "§9 One training step")
    grad = UNCERTAIN - np.eye(3)[0]
    assert said["dLoss/dlogits, engine"] == pytest.approx(grad, abs=5.1e-5)
    assert said["p − onehot"] == pytest.approx(grad, abs=5.1e-5)
    z = np.log(UNCERTAIN) - cross_entropy.LEARNING_RATE * grad
    after = np.exp(z) / np.exp(z).sum()
    before_pct, after_pct = 100 * said["p(Paris) before"], 100 * said["p(Paris) after"]
    assert round(before_pct, 1) == 40.0 and after_pct == pytest.approx(100 * after[0], abs=0.051)
    assert after_pct > before_pct
    assert said["loss before"] == pytest.approx(-math.log(0.4), abs=5.1e-4)
    assert said["loss after"] == pytest.approx(-math.log(after[0]), abs=5.1e-4)
    assert said["the 90% model's gradient on Paris"] == pytest.approx(0.9 - 1, abs=0.005)  # printed as -0.10


def test_picture_and_rendering(demo):
    steps, out_dir = demo
    png = out_dir / cross_entropy.PICTURE
    assert png.read_bytes().startswith(b"\x89PNG") and 10_000 < png.stat().st_size < 150_000
    assert [p for s in steps for p, _ in s.pictures] == [png]
    shown = printed(steps)
    assert all(s.title in shown for s in steps)
