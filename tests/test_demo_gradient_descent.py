"""The §10 gradient-descent demo, headless: slopes, steps and the divergence recomputed with plain math."""

import re
from itertools import pairwise

import pytest
from demo_checks import printed, step_text

from demos import gradient_descent
from demos._stepper import claims

ROW = re.compile(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+([+-]\S+)$", re.MULTILINE)


def loss(w):
    return (w - 3.0) ** 2


def slope(w):
    return 2 * (w - 3.0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("gradient_descent")
    steps = gradient_descent.steps(out_dir, fast=True)
    return steps, out_dir


def table(text):
    """[(w, loss, slope, step)] of a printed descent table."""
    return [tuple(float(v) for v in row[1:]) for row in ROW.findall(text)]


def test_the_four_marked_slopes_are_illustrative_at_the_weights_the_notes_name(demo):
    steps, _ = demo
    found = claims(steps)
    assert [c.name for c in found] == ["slope -7", "slope -3", "slope 0", "slope +5"]
    for claim in found:
        # The post's curve has no formula: the demo picks (w − 3)², so these can only be illustrative.
        assert claim.verdict == "illustrative"
        w = float(re.search(r"at w = (\S+)$", claim.note)[1])
        assert slope(w) == pytest.approx(float(claim.post), abs=1e-9)
        assert float(claim.engine) == pytest.approx(float(claim.post), abs=1e-9)
    weights = [float(re.search(r"at w = (\S+)$", c.note)[1]) for c in found]
    assert weights == pytest.approx([-0.5, 1.5, 3.0, 5.5], abs=1e-9)


def test_backward_matches_the_finite_difference(demo):
    steps, _ = demo
    rows = re.findall(r"^\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", step_text(steps, "§10 backward() vs"), re.MULTILINE)
    numbers = [tuple(map(float, row)) for row in rows]
    assert len(numbers) == 4
    for w, analytic, numeric, difference in numbers:
        assert analytic == pytest.approx(slope(w), abs=1e-9)
        assert numeric == pytest.approx(slope(w), abs=1e-6)
        assert difference < 1e-6


def test_descent_steps_follow_the_rule_and_shrink(demo):
    steps, _ = demo
    said = step_text(steps, "§10 Gradient descent")
    rows = table(said)
    assert len(rows) == gradient_descent.DESCENT_STEPS
    w = -0.5  # where the slope is −7
    for row in rows:
        expected = (w, loss(w), slope(w), -0.2 * slope(w))
        assert row == pytest.approx(expected, abs=6e-5)
        w += expected[3]
    sizes = [abs(step) for *_, step in rows]
    assert all(b < a for a, b in pairwise(sizes))
    assert "each 0.60× the one before" in said  # 1 − lr·2 with lr = 0.2
    assert "covers 40% of the distance left: it never overshoots" in said  # lr·2 = 0.4
    assert f"after {len(rows)} steps w = {w:.4f}, loss {loss(w):.6f}" in said


def test_too_large_a_learning_rate_diverges(demo):
    steps, _ = demo
    said = step_text(steps, "§10 A learning rate that is too large")
    rows = table(said)
    w, distances = -0.5, [3.5]
    for row in rows:
        expected = (w, loss(w), slope(w), -1.1 * slope(w))
        assert row == pytest.approx(expected, abs=6e-5)
        w += expected[3]
        distances.append(abs(w - 3.0))
    assert all(b == pytest.approx(1.2 * a) for a, b in pairwise(distances))
    assert " → ".join(f"{d:.2f}" for d in distances) in said
    assert "lr > 1/2.0 = 0.5" in said and "lr > 2/2.0 = 1.0" in said  # the curvature of (w − 3)² is 2


def test_pictures_are_written_and_every_step_renders(demo):
    steps, out_dir = demo
    for name in (gradient_descent.TANGENTS_PNG, gradient_descent.DESCENT_PNG):
        path = out_dir / name
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pictures = [path for step in steps for path, _ in step.pictures]
    assert sorted(p.name for p in pictures) == sorted((gradient_descent.TANGENTS_PNG, gradient_descent.DESCENT_PNG))
    shown = printed(steps)
    assert "4/4" in shown
