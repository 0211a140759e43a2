"""The §18 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""


import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import clipping
from demos._stepper import claims

TOLERANCE = 1e-9  # the figures are ratios and percentages of the post's round numbers


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("clipping")


def l_clip(r, a, low=0.2, high=0.2):
    """min(r·A, clip(r, 1 − low, 1 + high)·A) and its derivative in r (0 where the clipped branch is the smaller)."""
    clipped = np.clip(r, 1 - low, 1 + high)
    value = np.minimum(r * a, clipped * a)
    flat = (clipped * a < r * a)  # the clipped branch wins, and it does not move with r
    return value, np.where(flat, 0.0, a)


def test_every_figure_is_exact(demo):
    steps, _ = demo
    found = claims(steps)
    assert len(found) == len({c.name for c in found}) == 9
    jump = '"5% to 80%" in one big step: where a clipped step may reach instead'  # the post's jump is hypothetical
    assert {c.verdict for c in found if c.name != jump} == {"exact"}
    assert claim(steps, jump).verdict == "illustrative"


def test_clipping_in_action(demo):
    steps, _ = demo
    ratio = 0.85 / 0.10
    capped = min(max(ratio, 0.8), 1.2)
    check(claim(steps, "ratio 85% / 10%"), "8.5", ratio, TOLERANCE)
    check(claim(steps, "ratio capped by clip(r, 1 − ε, 1 + ε)"), "1.2", capped, TOLERANCE)
    check(claim(steps, "what the step may do: 10% × the capped ratio"), "12", 100 * 0.10 * capped, TOLERANCE)


def test_reading_the_ratio_and_the_band(demo):
    steps, _ = demo
    check(claim(steps, "r = 2: how many times as likely"), "2", 0.05 * 2 / 0.05, TOLERANCE)
    check(claim(steps, "r = 0.1: how many times less likely"), "10", 1 / 0.1, TOLERANCE)
    check(claim(steps, "r = 1.2: how much more likely"), "20", (1.2 - 1) * 100, TOLERANCE)
    check(claim(steps, "lower edge, 1 − ε"), "0.8", 1 - 0.2, TOLERANCE)
    check(claim(steps, "upper edge, 1 + ε"), "1.2", 1 + 0.2, TOLERANCE)
    said = recorded(steps, "§18 Reading the ratio")
    grown = np.ravel(said["probabilities grown by the capped ratio"])
    assert grown == pytest.approx([0.05, 0.06, 0.50, 0.60], abs=1e-12)
    assert said["5% → 80%: ratio"] == pytest.approx(0.80 / 0.05, abs=1e-12)
    assert said["5% → 80%: where the capped step may reach"] == pytest.approx(0.05 * 1.2, abs=1e-12)
    jump = claim(steps, '"5% to 80%" in one big step: where a clipped step may reach instead')
    assert (jump.post, jump.unit) == ("80", "%") and float(jump.engine) == pytest.approx(100 * 0.05 * 1.2)
    assert "a ratio of 16" in jump.note and "5% × 1.2 = 6%" in jump.note


def test_gate_table_and_one_sided_zero_gradient(demo):
    steps, _ = demo
    said = recorded(steps, "§18 L^CLIP")
    for r in (0.5, 0.9, 1.1, 1.5, 8.5):
        expected = np.ravel([l_clip(np.array(r), a) for a in (1.0, -1.0)])
        assert np.ravel(said[f"r = {r}: L and dL/dr for A = +1 and A = −1"]) == pytest.approx(expected, abs=1e-12)
    grid = np.arange(0.005, 2.0, 0.01)
    for a, side, other in ((1.0, "above", "below"), (-1.0, "below", "above")):
        _, grad = l_clip(grid, a)
        zero_side = grid > 1.2 if a > 0 else grid < 0.8
        other_side = grid < 0.8 if a > 0 else grid > 1.2
        assert (grad[zero_side] == 0).all() and (grad[other_side] == a).all()
        assert (grad == 0).sum() == zero_side.sum() == 80
        assert len(clipping.R_GRID) == len(grid) and said[f"A = {a:+.0f}: ratios with dL/dr = 0"] == (grad == 0).sum()
        assert said[f"A = {a:+.0f}: share zeroed past the band"] == 1  # all of those {side} the band
        assert said[f"A = {a:+.0f}: share zeroed on the other side"] == 0  # none of those {other} it
        assert list(said[f"A = {a:+.0f}: dL/dr on the other side"]) == [a]  # as without clipping
        assert said[f"A = {a:+.0f}: largest L^CLIP − r·A"] <= 0.05  # printed as 0.0


def test_dapo(demo):
    steps, _ = demo
    said = recorded(steps, "§18 DAPO")
    assert said["band"] == pytest.approx((0.80, 1.28), abs=1e-12)
    assert said["capped ratio"] == pytest.approx(1.28, abs=1e-12)
    grid = np.arange(0.005, 2.0, 0.01)
    _, grad = l_clip(grid, 1.0, 0.2, 0.28)
    assert said["first zero-gradient ratio"] == pytest.approx(grid[grad == 0].min(), abs=5e-4)
    assert said["rare token after the updates, symmetric and wider"] == pytest.approx(
        (0.01 * 1.2**10, 0.01 * 1.28**10), abs=5e-4)  # printed as percentages to 0.1
    assert said["first zero-gradient ratio"] > said["first zero-gradient ratio, symmetric band"]


def test_picture_exists_and_the_steps_render(demo):
    steps, out_dir = demo
    ((path, _),) = [picture for step in steps for picture in step.pictures]
    assert path == out_dir / clipping.CLIP_PNG and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
