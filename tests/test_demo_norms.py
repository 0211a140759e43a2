"""The §11 norms demo, headless: pulls, penalties and both regularization paths recomputed with plain NumPy."""

import math

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

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
    said = recorded(steps, "§11 Norms")
    w = np.array(WEIGHTS)
    assert said["‖w‖₁"] == pytest.approx(sum(abs(w)), abs=1e-12)
    assert said["Σw²"] == pytest.approx(sum(w * w), abs=1e-12)
    assert said["‖w‖₂"] == pytest.approx(math.sqrt(sum(w * w)), abs=5e-5)
    assert said["one outlier: ‖w‖₁, ‖w‖₂"] == pytest.approx((4.0, 4.0))
    assert said["spread out: ‖w‖₁, ‖w‖₂"] == pytest.approx((4.0, 2.0))


def test_pulls_are_the_size_of_2w_and_point_toward_zero(demo):
    steps, _ = demo
    for w, post in zip(WEIGHTS, ("10.0", "4.0", "0.6", "6.0")):
        pull = claim(steps, f"pull on {w}")
        check(pull, post, abs(2 * w), 1e-12)
        assert pull.verdict == "exact"
    said = recorded(steps, "§11 L2 regularization")
    assert [said[f"w{i}: gradient"] for i in range(1, 5)] == [2 * w for w in WEIGHTS]  # down for w > 0, up for w < 0
    assert said["L1 pulls"] == list(np.sign(WEIGHTS))


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
    said = recorded(steps, "§11 L1 vs L2")
    assert len(said["λ"]) == N_LAMBDAS and norms.SHOWN_EVERY == 3  # ten rows printed, every third
    for lam, weights, expected_lam, expected in zip(said["λ"], said["L1 weights"], grid, l1):
        assert lam == pytest.approx(expected_lam, abs=5e-5)
        assert weights == pytest.approx(expected, abs=0.0051)
        assert list(weights == 0) == list(zero(expected))  # the exact zeros, printed as "0"
    zeros = (said["L1 weights"] == 0).sum(axis=1)
    assert zeros[0] == 8 and zeros[-1] == 0  # all zero at the top of the sweep, none at the bottom
    assert zeros.sum() == int(np.sum(zero(l1)))


def test_l2_path_matches_the_closed_form_and_has_no_zeros(demo, paths):
    steps, _ = demo
    grid, _, l2 = paths
    said = recorded(steps, "§11 L1 vs L2")
    for lam, weights, expected_lam, expected in zip(said["λ"], said["L2 weights"], grid, l2):
        assert lam == pytest.approx(expected_lam, abs=5e-5)
        assert weights == pytest.approx(expected, abs=0.0051)
        assert np.all(weights != 0) and np.all(expected != 0)
    smallest = np.abs(said["L2 weights"]).min()
    assert f"{smallest:.1e}" == f"{np.abs(l2).min():.1e}"  # printed to 2 significant digits


def test_held_out_errors(demo, paths):
    steps, _ = demo
    grid, l1, l2 = paths
    x, y, x_held, y_held = norms.regression_problem()
    said = recorded(steps, "§11 Overfitting")
    for name, path in (("L1", l1), ("L2", l2)):
        train = [np.mean((x @ w - y) ** 2) for w in path]
        held = [np.mean((x_held @ w - y_held) ** 2) for w in path]
        best = int(np.argmin(held))
        assert said[f"{name}: weakest penalty (λ, train, held-out)"] == pytest.approx(
            (grid[-1], train[-1], held[-1]), abs=5e-4)  # printed to 3 decimals, λ to 4
        lam, train_best, _ = said[f"{name}: best for new data (λ, train, held-out)"]
        assert (lam, train_best) == pytest.approx((grid[best], train[best]), abs=5e-4)
        assert train[-1] < 1.0 < held[-1]  # the printed story: below the noise on training data, above it on new
    assert said["training error at the weakest penalty below the noise"] is True


def test_weight_decay_is_the_l2_penalty_gradient(demo):
    steps, _ = demo
    said = recorded(steps, "§11 Weight decay")
    assert said["largest difference, penalty vs decay"] < 1e-12
    assert said["largest difference, AdamW vs Adam minus lr·λ·w"] < 1e-12
    assert said["shrink factor (1 − lr·λ)"] == pytest.approx(0.95)  # lr 0.1, λ 0.5


def test_pictures_are_written_and_every_step_renders(demo):
    steps, out_dir = demo
    for name in (norms.PATHS_PNG, norms.RUBBER_BAND_PNG):
        path = out_dir / name
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
