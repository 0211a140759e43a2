"""The §18 demo, headless: its claims and printed numbers recomputed with plain NumPy, not with the demo's code."""

import re

import numpy as np
import pytest
from demo_checks import check, claim, printed, step_text

from demos import clipping
from demos._stepper import claims

TOLERANCE = 1e-9  # the figures are ratios and percentages of the post's round numbers


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("clipping")
    return clipping.steps(out_dir, fast=True), out_dir


def l_clip(r, a, low=0.2, high=0.2):
    """min(r·A, clip(r, 1 − low, 1 + high)·A) and its derivative in r (0 where the clipped branch is the smaller)."""
    clipped = np.clip(r, 1 - low, 1 + high)
    value = np.minimum(r * a, clipped * a)
    flat = (clipped * a < r * a)  # the clipped branch wins, and it does not move with r
    return value, np.where(flat, 0.0, a)


def test_every_figure_is_exact(demo):
    steps, _ = demo
    found = claims(steps)
    assert len(found) == len({c.name for c in found}) == 7
    assert {c.verdict for c in found} == {"exact"}


def test_clipping_in_action(demo):
    steps, _ = demo
    ratio = 0.85 / 0.10
    capped = min(max(ratio, 0.8), 1.2)
    check(claim(steps, "ratio 85% / 10%"), "8.5", ratio, TOLERANCE)
    check(claim(steps, "ratio capped by clip(r, 1 − ε, 1 + ε)"), "1.2", capped, TOLERANCE)
    check(claim(steps, "what the step may do: 10% × the capped ratio"), "12", 100 * 0.10 * capped, TOLERANCE)


def test_reading_the_ratio_and_the_band(demo):
    steps, _ = demo
    check(claim(steps, "r = 0.1: how many times less likely"), "10", 1 / 0.1, TOLERANCE)
    check(claim(steps, "r = 1.2: how much more likely"), "20", (1.2 - 1) * 100, TOLERANCE)
    check(claim(steps, "lower edge, 1 − ε"), "0.8", 1 - 0.2, TOLERANCE)
    check(claim(steps, "upper edge, 1 + ε"), "1.2", 1 + 0.2, TOLERANCE)
    printed = step_text(steps, "§18 Reading the ratio")
    assert "5% → 6%, 50% → 60%" in printed
    assert f"a ratio of {0.80 / 0.05:.0f}; clipped to 1.2, that step may only reach {0.05 * 1.2:.0%}" in printed


def test_gate_table_and_one_sided_zero_gradient(demo):
    steps, _ = demo
    printed = step_text(steps, "§18 L^CLIP")
    for r in (0.5, 0.9, 1.1, 1.5, 8.5):
        (up, d_up), (down, d_down) = (l_clip(np.array(r), a) for a in (1.0, -1.0))
        assert f"  {r:5.1f}      {up:+6.2f}    {d_up + 0:+5.1f}        {down:+6.2f}    {d_down + 0:+5.1f}" in printed
    grid = np.arange(0.005, 2.0, 0.01)
    for a, side, other in ((1.0, "above", "below"), (-1.0, "below", "above")):
        _, grad = l_clip(grid, a)
        zero_side = grid > 1.2 if a > 0 else grid < 0.8
        other_side = grid < 0.8 if a > 0 else grid > 1.2
        assert (grad[zero_side] == 0).all() and (grad[other_side] == a).all()
        assert (grad == 0).sum() == zero_side.sum() == 80
        assert (f"dL/dr = 0 at {(grad == 0).sum()} of {len(grid)} ratios:\n    at 100% of those {side} the band,"
                f" at 0% of those {other} it (there dL/dr = {a:+.0f}, as without clipping)") in printed
    assert printed.count("the largest L^CLIP − r·A is 0.0") == 2
    assert "the post's\nsummary leaves this side out" in printed


def test_dapo(demo):
    steps, _ = demo
    printed = step_text(steps, "§18 DAPO")
    assert "band [0.80, 1.28]" in printed
    assert f"ratio capped at 1.28, so 10% → {100 * 0.10 * 1.28:.1f}%" in printed
    grid = np.arange(0.005, 2.0, 0.01)
    _, grad = l_clip(grid, 1.0, 0.2, 0.28)
    assert f"dL/dr = 0 only from r = {grid[grad == 0].min():.3f}" in printed
    assert f"{100 * 0.01 * 1.2**10:.1f}% with ε = 0.2, {100 * 0.01 * 1.28**10:.1f}% with ε_high = 0.28" in printed
    found = re.search(r"from r = ([\d.]+) on the grid \(the symmetric band: from ([\d.]+)\)", printed)
    assert float(found[1]) > float(found[2])


def test_picture_exists_and_the_steps_render(demo):
    steps, out_dir = demo
    ((path, _),) = [picture for step in steps for picture in step.pictures]
    assert path == out_dir / clipping.CLIP_PNG and path.read_bytes().startswith(b"\x89PNG")
    shown = printed(steps)
    assert "ratio 85% / 10%: post 8.5x" in shown
