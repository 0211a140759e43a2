"""The §11 norms demo, headless: pulls, penalties and both regularization paths recomputed with plain NumPy."""

import math
import re

import numpy as np
import pytest
from demo_checks import check, claim, printed, step_text

from demos import norms
from demos._stepper import claims

WEIGHTS = [5.0, 2.0, 0.3, -3.0]
N_LAMBDAS = 30


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("norms")
    steps = norms.steps(out_dir, fast=True)
    return steps, out_dir


def test_norms_of_the_rubber_band_weights(demo):
    steps, _ = demo
    said = step_text(steps, "§11 Norms")
    w = np.array(WEIGHTS)
    assert f"= {sum(abs(w)):g}   (scalargrad l1" in said
    assert f"= {sum(w * w):g}   (scalargrad l2:" in said
    assert f"= {math.sqrt(sum(w * w)):.4f}   (scalargrad l2_norm" in said
    assert "‖w‖₁ = 4.0, ‖w‖₂ = 4.0" in said and "‖w‖₁ = 4.0, ‖w‖₂ = 2.0" in said


def test_pulls_are_the_size_of_2w_and_point_toward_zero(demo):
    steps, _ = demo
    for w, post in zip(WEIGHTS, ("10.0", "4.0", "0.6", "6.0")):
        pull = claim(steps, f"pull on {w}")
        check(pull, post, abs(2 * w), 1e-12)
        assert pull.verdict == "exact"
    said = step_text(steps, "§11 L2 regularization")
    assert "gradient  -6.0, so a descent step −lr·(-6.0) moves it up, toward 0" in said
    assert "gradient  10.0, so a descent step −lr·(10.0) moves it down, toward 0" in said
    assert "L1's pull is sign(w) = [1.0, 1.0, 1.0, -1.0]" in said


def test_penalties_are_the_squares(demo):
    steps, _ = demo
    for w, post in ((5.0, "25"), (0.3, "0.09")):
        penalty = claim(steps, f"penalty of {w}")
        check(penalty, post, w * w, 1e-12)
        assert penalty.verdict == "exact"
    assert len(claims(steps)) == 6  # four pulls, two penalties: every figure of §11


def lambdas(x, y):
    top = np.abs(x.T @ y).max() / len(y)
    return np.geomspace(top, top * 1e-3, N_LAMBDAS)


def ridge(x, y, lam):
    """argmin ½·mean((xw − y)²) + λ·Σw², in closed form."""
    n, d = x.shape
    return np.linalg.solve(x.T @ x / n + 2 * lam * np.eye(d), x.T @ y / n)


def lasso(x, y, lam, w):
    """argmin ½·mean((xw − y)²) + λ·Σ|w| by coordinate descent from w."""
    n = len(y)
    w = w.copy()
    for _ in range(10_000):
        before = w.copy()
        for j in range(len(w)):
            rest = y - x @ w + x[:, j] * w[j]
            rho = x[:, j] @ rest / n
            w[j] = np.sign(rho) * max(abs(rho) - lam, 0.0) / (x[:, j] @ x[:, j] / n)
        if np.abs(w - before).max() < 1e-13:
            return w
    raise AssertionError("coordinate descent did not converge")


def zero(w):
    """Coordinate descent's zeros: at the top λ, |xᵀy|/n − λ can be a rounding error (1e-16) instead of 0."""
    return np.abs(w) < 1e-12


def printed_rows(said, name):
    """[(λ, weights as printed, zeros)] for one path; the demo prints an exact zero as "0", others as "+0.00"."""
    rows = re.findall(rf"^  {name}\s+(\d\.\d{{4}})  (.*?)   (\d)$", said, re.MULTILINE)
    return [(float(lam), weights.split(), int(zeros)) for lam, weights, zeros in rows]


@pytest.fixture(scope="module")
def paths():
    x, y, *_ = norms.regression_problem()
    grid = lambdas(x, y)
    l1, w = [], np.zeros(x.shape[1])
    for lam in grid:
        w = lasso(x, y, lam, w)
        l1.append(w)
    return grid, np.array(l1), np.array([ridge(x, y, lam) for lam in grid])


def test_l1_path_matches_coordinate_descent_with_the_same_exact_zeros(demo, paths):
    steps, _ = demo
    grid, l1, _ = paths
    rows = printed_rows(step_text(steps, "§11 L1 vs L2"), "L1")
    assert len(rows) == 10
    for (lam, weights, zeros), expected_lam, expected in zip(rows, grid[::3], l1[::3]):
        assert lam == round(expected_lam, 4)
        assert [float(v) for v in weights] == pytest.approx(expected, abs=0.0051)
        assert [v == "0" for v in weights] == list(zero(expected))
        assert zeros == int(np.sum(zero(expected)))
    assert rows[0][2] == 8 and rows[-1][2] == 0  # all zero at the top of the sweep, none at the bottom
    assert f"{int(np.sum(zero(l1)))} exact zeros over the sweep" in step_text(steps, "§11 L1 vs L2")


def test_l2_path_matches_the_closed_form_and_has_no_zeros(demo, paths):
    steps, _ = demo
    grid, _, l2 = paths
    said = step_text(steps, "§11 L1 vs L2")
    rows = printed_rows(said, "L2")
    assert len(rows) == 10
    for (lam, weights, zeros), expected_lam, expected in zip(rows, grid[::3], l2[::3]):
        assert lam == round(expected_lam, 4)
        assert [float(v) for v in weights] == pytest.approx(expected, abs=0.0051)
        assert zeros == 0 and "0" not in weights and np.all(expected != 0)
    assert f"smallest |w| {np.abs(l2).min():.1e}" in said


def test_held_out_errors(demo, paths):
    steps, _ = demo
    grid, l1, l2 = paths
    x, y, x_held, y_held = norms.regression_problem()
    said = step_text(steps, "§11 Overfitting")
    for name, path in (("L1", l1), ("L2", l2)):
        train = [np.mean((x @ w - y) ** 2) for w in path]
        held = [np.mean((x_held @ w - y_held) ** 2) for w in path]
        best = int(np.argmin(held))
        assert f"{name} weakest penalty λ = {grid[-1]:.4f}: train {train[-1]:.3f}, held-out {held[-1]:.3f}" in said
        assert f"{name} best for new data λ = {grid[best]:.4f}: train {train[best]:.3f}" in said
        assert train[-1] < 1.0 < held[-1]  # the printed story: below the noise on training data, above it on new
    assert "error is below that" in said


def test_weight_decay_is_the_l2_penalty_gradient(demo):
    steps, _ = demo
    said = step_text(steps, "§11 Weight decay")
    gaps = [float(g) for g in re.findall(r"largest difference (?:between the final weights: )?(\S+?)\)?:? ", said)]
    assert len(gaps) == 2 and max(gaps) < 1e-12
    assert "(1 − lr·λ) = 0.95" in said  # lr 0.1, λ 0.5


def test_pictures_are_written_and_every_step_renders(demo):
    steps, out_dir = demo
    for name in (norms.PATHS_PNG, norms.RUBBER_BAND_PNG):
        path = out_dir / name
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shown = printed(steps)
    assert "5/5" in shown
