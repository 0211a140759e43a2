"""One training step of micrograd's demo MLP (2→16→16→1, 100 two-moons points): scalargrad vs micrograd.

A step is a forward pass on all points, the loss mean(relu(1 − y·score)) + 1e-4·Σp²,
zero_grad, backward, and an SGD update. Both engines start from the same weights:
micrograd draws them from ``random`` after ``random.seed(SEED)``, scalargrad from
``random.Random(SEED)``, in the same order.
"""

import math
import random
from functools import partial

import micrograd.engine
import micrograd.nn
from benchlib import interleaved, table, target

import scalargrad
import scalargrad.nn
from demos._data import two_moons

SEED = 0
POINTS = 100
ALPHA = 1e-4  # weight of the L2 penalty Σp²
LEARNING_RATE = 0.1
CHECK_STEPS = 5
ROUNDS, STEPS_PER_ROUND = 7, 3


def micrograd_step(model, points, labels):
    """One step as micrograd's demo writes it: Values for the inputs, Python's ``sum``."""
    inputs = [list(map(micrograd.engine.Value, p)) for p in points]
    scores = list(map(model, inputs))
    losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return loss.data


def scalargrad_step(model, points, labels):
    """The same step with scalargrad's API: plain floats in, each n-ary sum one node."""
    scores = [model(p) for p in points]
    losses = [(1 - y * score).relu() for y, score in zip(labels, scores)]
    params = model.parameters()
    loss = scalargrad.sum_of(losses) / len(losses) + ALPHA * scalargrad.dot(params, params)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= LEARNING_RATE * p.grad
    return loss.data


def run():
    """Check that both steps learn, time them interleaved, return the targets."""
    points, labels = two_moons(POINTS, seed=SEED)
    random.seed(SEED)
    mg_model = micrograd.nn.MLP(2, [16, 16, 1])
    sg_model = scalargrad.nn.MLP(2, [16, 16, 1], seed=SEED)

    mg_losses = [micrograd_step(mg_model, points, labels) for _ in range(CHECK_STEPS)]
    sg_losses = [scalargrad_step(sg_model, points, labels) for _ in range(CHECK_STEPS)]
    table(["loss after step", *range(1, CHECK_STEPS + 1)], [["micrograd", *mg_losses], ["scalargrad", *sg_losses]])
    checks = [
        target(f"both losses decrease over {CHECK_STEPS} steps", mg_losses[-1] < mg_losses[0] and sg_losses[-1] < sg_losses[0]),
        target("both engines compute the same losses", all(map(math.isclose, mg_losses, sg_losses))),
    ]

    print(f"\nseconds per step: median of {ROUNDS} interleaved rounds of {STEPS_PER_ROUND} steps each")
    mg_step = partial(micrograd_step, mg_model, points, labels)
    sec = interleaved(
        {
            "micrograd": (mg_step, True),
            "micrograd, gc off": (mg_step, False),
            "scalargrad": (partial(scalargrad_step, sg_model, points, labels), True),
        },
        ROUNDS,
        STEPS_PER_ROUND,
    )
    speedup_gc, speedup_nogc = sec["micrograd"] / sec["scalargrad"], sec["micrograd, gc off"] / sec["scalargrad"]
    table(
        ["setting", "micrograd", "scalargrad", "speed-up"],
        [
            ["(a) gc on for both", sec["micrograd"], sec["scalargrad"], f"{speedup_gc:.1f}x"],
            ["(b) micrograd gc off", sec["micrograd, gc off"], sec["scalargrad"], f"{speedup_nogc:.1f}x"],
        ],
    )
    return checks + [
        target("(a) scalargrad >= 8x faster than micrograd, gc on for both", speedup_gc >= 8),
        target("(b) scalargrad faster than micrograd with its gc off", speedup_nogc > 1),
    ]
