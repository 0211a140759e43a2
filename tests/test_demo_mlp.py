"""The MLP demo, headless and fast: accuracies checked without trusting the demo or the engine."""

import re

import numpy as np
import pytest

from demos import mlp
from demos.__main__ import main
from demos._data import two_moons
from demos._stepper import run_steps


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the demo once with fast=True; the text it prints and its output folder."""
    out_dir = tmp_path_factory.mktemp("mlp")
    printed = []
    run_steps(mlp.steps(out_dir, fast=True), pause=False, write=printed.append)
    return "".join(printed), out_dir


def printed_accuracy(text, engine):
    """(accuracy, correct, total) as the demo printed them for ``engine``."""
    match = re.search(rf"{engine}: accuracy (\S+) \((\d+) of (\d+) points\)", text)
    assert match, f"no accuracy line for {engine}"
    return float(match[1]), int(match[2]), int(match[3])


def numpy_forward(weights, x):
    """The saved MLP evaluated with plain NumPy: relu between the layers, linear at the end."""
    layers = sorted({name.split(".")[1] for name in weights}, key=int)
    for i, layer in enumerate(layers):
        x = x @ weights[f"layers.{layer}.weight"] + weights[f"layers.{layer}.bias"]
        if i < len(layers) - 1:
            x = np.maximum(x, 0)
    return x


def test_tensorgrad_accuracy_recomputed_from_the_saved_weights(demo):
    text, out_dir = demo
    accuracy, correct, total = printed_accuracy(text, "tensorgrad")
    points, labels = two_moons(mlp.POINTS, seed=mlp.SEED)
    with np.load(out_dir / mlp.WEIGHTS_NPZ) as saved:
        logits = numpy_forward(dict(saved), np.array(points))
    ours = int((logits.argmax(axis=1) == (np.array(labels) > 0)).sum())
    assert (correct, total) == (ours, len(points))
    assert accuracy == round(ours / total, 2)
    assert ours / total >= 0.95


def test_scalargrad_reaches_the_same_accuracy(demo):
    text, _ = demo
    accuracy, correct, total = printed_accuracy(text, "scalargrad")
    assert total == mlp.POINTS and accuracy == round(correct / total, 2)
    assert correct / total >= 0.95
    assert text.count("target ≥ 0.95 met") == 2


def test_speed_ratio_is_the_ratio_of_the_printed_times(demo):
    text, _ = demo
    times = dict(re.findall(r"(tensorgrad|scalargrad) (\S+) ms per step", text))
    ratio = float(re.search(r"tensorgrad is (\S+)x faster", text)[1])
    assert ratio == pytest.approx(float(times["scalargrad"]) / float(times["tensorgrad"]), rel=0.02, abs=1)


def test_decision_boundary_png_is_written(demo):
    text, out_dir = demo
    picture = out_dir / mlp.BOUNDARY_PNG
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert f"picture: {picture}" in text


def test_fast_mode_trains_fewer_steps(demo):
    text, _ = demo
    assert f"AdamW, {mlp.FAST_STEPS} steps" in text and f"SGD, {mlp.FAST_STEPS} steps" in text


def test_demo_is_listed(capsys):
    assert main([]) == 0
    assert "mlp" in capsys.readouterr().out
