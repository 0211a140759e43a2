"""The MLP demo, headless and fast: accuracies checked without trusting the demo or the engine."""

import numpy as np
import pytest
from demo_checks import printed, recorded

from demos import mlp
from demos.__main__ import main
from demos._data import two_moons


@pytest.fixture(scope="module")
def demo(demo_run):
    """Run the demo once with fast=True; its steps and its output folder."""
    return demo_run("mlp")


def numpy_forward(weights, x):
    """The saved MLP evaluated with plain NumPy: relu between the layers, linear at the end."""
    layers = sorted({name.split(".")[1] for name in weights}, key=int)
    for i, layer in enumerate(layers):
        x = x @ weights[f"layers.{layer}.weight"] + weights[f"layers.{layer}.bias"]
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return x


def test_tensorgrad_accuracy_recomputed_from_the_saved_weights(demo):
    steps, out_dir = demo
    said = recorded(steps, "tensorgrad:")
    points, labels = two_moons(mlp.POINTS, seed=mlp.SEED)
    with np.load(out_dir / mlp.WEIGHTS_NPZ) as saved:
        logits = numpy_forward(dict(saved), np.array(points))
    ours = int((logits.argmax(axis=1) == (np.array(labels) > 0)).sum())
    assert said["correct"] == ours and mlp.POINTS == len(points)
    assert said["accuracy"] == pytest.approx(ours / len(points))
    assert ours / len(points) >= 0.95 and said["target met"] is True


def test_scalargrad_reaches_the_same_accuracy(demo):
    steps, _ = demo
    said = recorded(steps, "scalargrad:")
    assert said["accuracy"] == pytest.approx(said["correct"] / mlp.POINTS)
    assert said["correct"] / mlp.POINTS >= 0.95 and said["target met"] is True


def test_speed_ratio_is_the_ratio_of_the_printed_times(demo):
    steps, _ = demo
    said = recorded(steps, "How long")
    ratio = said["speed ratio"]
    assert ratio == pytest.approx(said["scalargrad ms per step"] / said["tensorgrad ms per step"], rel=0.02, abs=1)


def test_decision_boundary_png_is_written(demo):
    steps, out_dir = demo
    picture = out_dir / mlp.BOUNDARY_PNG
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert [path for step in steps for path, _ in step.pictures] == [picture]
    assert all(step.title in printed(steps) for step in steps)


def test_fast_mode_trains_fewer_steps(demo):
    steps, _ = demo
    assert recorded(steps, "tensorgrad:")["steps"] == recorded(steps, "scalargrad:")["steps"] == mlp.FAST_STEPS


def test_demo_is_listed(capsys):
    assert main([]) == 0
    assert "mlp" in capsys.readouterr().out
