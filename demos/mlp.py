"""Training an MLP on two moons with both engines: a whole batch of arrays vs one Value at a time.

tensorgrad's MLP pushes all the points through each layer with one matrix
multiplication (``x @ weight + bias``); scalargrad's builds a graph of
thousands of scalar Values per step. Both learn the same data
(``demos._data.two_moons``) for the same number of steps. Every accuracy and
time printed is measured while the demo runs; the trained tensorgrad weights
are saved, so the accuracy can be checked without the engine.
"""

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from tqdm import tqdm

import scalargrad
import scalargrad.nn
from demos._data import two_moons
from demos._plots import save
from demos._stepper import Step
from tensorgrad import functional as F
from tensorgrad import nn, no_grad, optim, tensor

TITLE = "§10 in practice: an MLP learns two moons, in tensorgrad and in scalargrad"

POINTS = 100
SEED = 0
STEPS, FAST_STEPS = 60, 30
TARGET_ACCURACY = 0.95
ADAMW_LR = 0.03  # tensorgrad: AdamW on the cross-entropy
SGD_LR = (1.0, 0.1)  # scalargrad: plain SGD, decaying linearly from the first to the second
L2_WEIGHT = 1e-4  # scalargrad: weight of the penalty Σp² added to the hinge loss
BOUNDARY_PNG = "mlp_decision_boundary.png"
WEIGHTS_NPZ = "mlp_tensorgrad.npz"


@dataclass
class Run:
    """What one engine's training gave: the model, its training accuracy, and the time of each step."""

    model: object
    correct: int
    first_loss: float
    last_loss: float
    step_seconds: list

    @property
    def accuracy(self):
        return self.correct / POINTS

    @property
    def median_ms(self):
        return 1e3 * statistics.median(self.step_seconds)


def steps(out_dir, fast=False):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_steps = FAST_STEPS if fast else STEPS
    points, labels = two_moons(POINTS, seed=SEED)
    fast_run = train_tensorgrad(points, labels, n_steps)
    fast_run.model.save(out_dir / WEIGHTS_NPZ)
    picture = plot_decision_boundary(fast_run, points, labels, out_dir / BOUNDARY_PNG)
    slow_run = train_scalargrad(points, labels, n_steps)
    with_tensorgrad = Step(f"tensorgrad: MLP(2, [16, 16, 2]), cross-entropy, AdamW, {n_steps} steps").say(
        "Each step: logits = MLP(all points at once), loss = cross_entropy(logits, classes),",
        "loss.backward(), optimizer.step(): a few matrix products per layer, whatever the batch size.",
    )
    _results(with_tensorgrad, "tensorgrad", fast_run, n_steps).say(f"  trained weights saved to {out_dir / WEIGHTS_NPZ}")
    with_scalargrad = Step(f"scalargrad: MLP(2, [16, 16, 1]), hinge loss, SGD, {n_steps} steps").say(
        "Each step: one Value per weight and per intermediate number, for every point;",
        "loss = mean(relu(1 − label·score)) + 1e-4·Σp², backward(), p -= lr·p.grad.",
    )
    _results(with_scalargrad, "scalargrad", slow_run, n_steps)
    timing = Step(f"How long did each take? The same {POINTS} points, the same hidden widths, {n_steps} steps each")
    for name, value in (("tensorgrad ms per step", fast_run.median_ms), ("scalargrad ms per step", slow_run.median_ms),
                        ("speed ratio", slow_run.median_ms / fast_run.median_ms)):
        timing.record(name, value)
    return [
        Step("The data: two moons").say(
            f"{POINTS} points on two interleaved half circles, noise 0.1, seed {SEED}:",
            f"  {labels.count(-1.0)} on the upper moon (class 0), {labels.count(1.0)} on the lower one (class 1).",
            "No straight line separates them: the network has to learn a curve.",
        ),
        with_tensorgrad,
        Step("tensorgrad's decision boundary").say(
            "P(class 1) over the plane, from the trained network (with no_grad(): no graph is built):",
        ).show(picture, "P(class 1) over the plane, with the training points"),
        with_scalargrad,
        timing.say(
            f"  tensorgrad {fast_run.median_ms:.3f} ms per step (median of {n_steps}),"
            f" {sum(fast_run.step_seconds):.3f} s in all",
            f"  scalargrad {slow_run.median_ms:.3f} ms per step (median of {n_steps}),"
            f" {sum(slow_run.step_seconds):.3f} s in all",
            f"  speed ratio: tensorgrad is {slow_run.median_ms / fast_run.median_ms:.0f}x faster per step on this machine",
            "scalargrad pays Python's price for every number; tensorgrad pays it once per array,",
            "and NumPy does the arithmetic on the whole array in compiled loops.",
        ),
    ]


def _results(step, engine, run, n_steps):
    """Say and record on ``step`` what ``run`` reached: its loss, its accuracy, and whether it met the target."""
    met = step.record("target met", run.accuracy >= TARGET_ACCURACY)
    for name, value in (("steps", n_steps), ("correct", run.correct), ("accuracy", run.accuracy),
                        ("loss, first and last", (run.first_loss, run.last_loss))):
        step.record(name, value)
    return step.say(
        f"  loss {run.first_loss:.4f} → {run.last_loss:.4f}",
        f"  {engine}: accuracy {run.accuracy:.2f} ({run.correct} of {POINTS} points) · target ≥ {TARGET_ACCURACY}"
        f" {'met' if met else 'MISSED'}",
    )


def train_tensorgrad(points, labels, n_steps):
    """MLP(2, [16, 16, 2]) on all points at once: cross-entropy over the two classes, AdamW."""
    x = tensor(points)
    classes = (np.array(labels) > 0).astype(int)  # label −1 → class 0, +1 → class 1
    model = nn.MLP(2, [16, 16, 2], rng=SEED)
    optimizer = optim.AdamW(model.parameters(), lr=ADAMW_LR)
    losses, seconds = [], []
    for _ in tqdm(range(n_steps), desc="tensorgrad", unit="step"):
        start = time.perf_counter()
        loss = F.cross_entropy(model(x), classes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seconds.append(time.perf_counter() - start)
        losses.append(loss.item())
    with no_grad():
        correct = int((model(x).data.argmax(axis=1) == classes).sum())
    return Run(model, correct, losses[0], losses[-1], seconds)


def train_scalargrad(points, labels, n_steps):
    """scalargrad.nn.MLP(2, [16, 16, 1]): micrograd's hinge loss and plain SGD, one point at a time."""
    model = scalargrad.nn.MLP(2, [16, 16, 1], rng=SEED)
    params = model.parameters()
    losses, seconds = [], []
    for step in tqdm(range(n_steps), desc="scalargrad", unit="step"):
        start = time.perf_counter()
        scores = [model(p) for p in points]
        margins = [(1 - y * score).relu() for y, score in zip(labels, scores)]
        loss = scalargrad.sum_of(margins) / POINTS + L2_WEIGHT * scalargrad.dot(params, params)
        model.zero_grad()
        loss.backward()
        lr = SGD_LR[0] + (SGD_LR[1] - SGD_LR[0]) * step / n_steps
        for p in params:
            p.data -= lr * p.grad
        seconds.append(time.perf_counter() - start)
        losses.append(loss.data)
    correct = sum((model(p).data > 0) == (y > 0) for p, y in zip(points, labels))
    return Run(model, correct, losses[0], losses[-1], seconds)


def plot_decision_boundary(run, points, labels, path):
    """Shade P(class 1) on a grid around the points, draw the points, write a PNG (Agg, no window)."""
    xy = np.array(points)
    xs = np.linspace(xy[:, 0].min() - 0.5, xy[:, 0].max() + 0.5, 200)
    ys = np.linspace(xy[:, 1].min() - 0.5, xy[:, 1].max() + 0.5, 200)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with no_grad():
        logits = run.model(tensor(np.column_stack([grid_x.ravel(), grid_y.ravel()])))
        p_lower = F.softmax(logits).data[:, 1].reshape(grid_x.shape)
    figure = Figure(figsize=(6, 4.5))  # a Figure made directly draws with Agg: no display needed
    axes = figure.subplots()
    shading = axes.contourf(grid_x, grid_y, p_lower, levels=20, cmap="RdBu_r", alpha=0.6)
    axes.contour(grid_x, grid_y, p_lower, levels=[0.5], colors="black", linewidths=1.5)
    axes.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="RdBu_r", edgecolors="black", s=28)
    figure.colorbar(shading, ax=axes, label="P(lower moon)")
    axes.set_title(f"tensorgrad MLP: training accuracy {run.accuracy:.2f}")
    return save(figure, path)
