"""The §10 gradient-descent demo, headless: slopes, steps and the divergence recomputed with plain math."""

from itertools import pairwise

import numpy as np
import pytest
from demo_checks import printed, recorded

from demos import gradient_descent
from demos._stepper import claims


def loss(w):
    return (w - 3.0) ** 2


def slope(w):
    return 2 * (w - 3.0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("gradient_descent")
    steps = gradient_descent.steps(out_dir, fast=True)
    return steps, out_dir


def test_the_four_marked_slopes_are_illustrative_at_the_weights_the_notes_name(demo):
    steps, _ = demo
    found = claims(steps)
    assert [c.name for c in found] == ["slope -7", "slope -3", "slope 0", "slope +5"]
    for claim in found:
        # The post's curve has no formula: the demo picks (w − 3)², so these can only be illustrative.
        assert claim.verdict == "illustrative"
        assert claim.note  # it prints the weight recorded here
        w = recorded(steps, "§10 What is a derivative")[f"{claim.name}: at w"]
        assert slope(w) == pytest.approx(float(claim.post), abs=1e-9)
        assert float(claim.engine) == pytest.approx(float(claim.post), abs=1e-9)
    weights = [recorded(steps, "§10 What is a derivative")[f"{c.name}: at w"] for c in found]
    assert weights == pytest.approx([-0.5, 1.5, 3.0, 5.5], abs=1e-9)


def test_backward_matches_the_finite_difference(demo):
    steps, _ = demo
    said = recorded(steps, "§10 backward() vs")
    assert list(said) == [f"w = {w}: backward(), finite difference" for w in ("-0.5", "1.5", "3.0", "5.5")]
    for name, (analytic, numeric) in said.items():
        w = float(name.split()[2].rstrip(":"))
        assert analytic == pytest.approx(slope(w), abs=1e-9)
        assert numeric == pytest.approx(slope(w), abs=1e-6)
        assert abs(analytic - numeric) < 1e-6


def test_descent_steps_follow_the_rule_and_shrink(demo):
    steps, _ = demo
    said = recorded(steps, "§10 Gradient descent")
    rows = said["(w, loss, slope, step) rows"]
    assert len(rows) == gradient_descent.DESCENT_STEPS
    w = -0.5  # where the slope is −7
    for row in rows:
        expected = (w, loss(w), slope(w), -0.2 * slope(w))
        assert row == pytest.approx(expected, abs=6e-5)
        w += expected[3]
    sizes = [abs(step) for *_, step in rows]
    assert all(b < a for a, b in pairwise(sizes))
    assert said["each step over the one before"] == pytest.approx(0.60, abs=0.005)  # 1 − lr·2 with lr = 0.2
    assert said["share of the distance left a step covers"] == pytest.approx(0.4)  # lr·2 = 0.4
    assert said["final w"] == pytest.approx(w, abs=5e-5) and loss(said["final w"]) == pytest.approx(loss(w), abs=5e-7)


def test_too_large_a_learning_rate_diverges(demo):
    steps, _ = demo
    said = recorded(steps, "§10 A learning rate that is too large")
    rows = said["(w, loss, slope, step) rows"]
    w, distances = -0.5, [3.5]
    for row in rows:
        expected = (w, loss(w), slope(w), -1.1 * slope(w))
        assert row == pytest.approx(expected, abs=6e-5)
        w += expected[3]
        distances.append(abs(w - 3.0))
    assert all(b == pytest.approx(1.2 * a) for a, b in pairwise(distances))
    assert said["distances to the bottom"] == pytest.approx(distances, abs=0.005)
    assert said["curvature"] == 2.0  # of (w − 3)²: overshoot once lr > 1/2, diverge once lr > 2/2


def test_the_largest_stable_learning_rate_is_two_over_the_largest_curvature(demo):
    """Curvatures against the Hessians written out by hand, and the descents redone with NumPy."""
    steps, _ = demo
    said = recorded(steps, "§10 The largest learning rate that works")
    assert said["one weight: curvature"] == 2.0
    hessian = np.array([[2.0, 1.0], [1.0, 10.0]])  # of (w0 − 3)² + 5(w1 + 1)² + (w0 − 3)(w1 + 1)
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    assert said["two weights: largest curvature"] == pytest.approx(eigenvalues[-1], rel=1e-10)
    assert abs(said["two weights: steepest direction"] @ eigenvectors[:, -1]) == pytest.approx(1.0, rel=1e-8)
    bottoms = {"one weight": np.array([3.0]), "two weights": np.array([3.0, -1.0])}
    hessians = {"one weight": np.array([[2.0]]), "two weights": hessian}
    for name, (bound, begin, below, above) in said["runs: bound, start, below, above"].items():
        assert bound == pytest.approx(2 / np.linalg.eigvalsh(hessians[name])[-1], rel=1e-10)
        ends = []
        for factor in (0.95, 1.05):
            w = np.zeros(len(bottoms[name]))
            for _ in range(gradient_descent.STABILITY_STEPS):
                w = w - factor * bound * hessians[name] @ (w - bottoms[name])  # the gradient of a quadratic
            ends.append(np.linalg.norm(w - bottoms[name]))
        assert begin == pytest.approx(np.linalg.norm(bottoms[name]))
        assert (below, above) == pytest.approx(ends, rel=1e-6)
        assert below < begin / 100 and above > begin * 10  # converges just below the limit, diverges just above


def test_pictures_are_written_and_every_step_renders(demo):
    steps, out_dir = demo
    for name in (gradient_descent.TANGENTS_PNG, gradient_descent.DESCENT_PNG):
        path = out_dir / name
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pictures = [path for step in steps for path, _ in step.pictures]
    assert sorted(p.name for p in pictures) == sorted((gradient_descent.TANGENTS_PNG, gradient_descent.DESCENT_PNG))
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
