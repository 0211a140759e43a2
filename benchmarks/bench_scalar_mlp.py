"""micrograd's demo step (MLP 2→16→16→1, 100 two-moons points): micrograd vs scalargrad, on micrograd's graph and on scalargrad's own.

A step is a forward pass on all points, the SVM max-margin loss
mean(relu(1 − y·score)) + 1e-4·Σp², zero_grad, backward, and an SGD update.
Three contenders, all from the same weights (drawn from ``random`` after
``random.seed(SEED)``, in micrograd's order):

* micrograd, its own ``nn.MLP`` and its demo's loss code;
* scalargrad on the same graph: the same code, line for line
  (``micrograd_demo.py``), with scalargrad's Value; binary ``+`` and ``*``
  only, so both engines build and walk the same nodes;
* scalargrad with its own ``nn``, whose neurons are one ``dot`` node each and
  whose sums are one ``sum_of`` node: far fewer nodes for the same numbers.

Two more rows, not targets, run with Python's cyclic GC switched off: micrograd
(whose closures make reference cycles) and scalargrad on micrograd's graph
(no cycles, yet the collector still walks its live nodes): what the GC costs each.
"""

import math
import random
from functools import partial

import micrograd.engine
import micrograd.nn
import micrograd_demo
from benchlib import interleaved, table, target

import scalargrad
import scalargrad.nn
from demos._data import two_moons

SEED = 0
POINTS = 100
SIZES = [16, 16, 1]
ALPHA = 1e-4  # weight of the L2 penalty Σp²
LEARNING_RATE = 0.1
CHECK_STEPS = 5
ROUNDS, STEPS_PER_ROUND = 7, 3
SAME_GRAPH_TARGET, OWN_NN_TARGET = 10, 50  # at least this many times faster than micrograd, gc on for all


def scalargrad_nn_step(model, points, labels):
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


def models():
    """{contender: one step of it}, every model starting from micrograd's initial weights."""
    points, labels = two_moons(POINTS, seed=SEED)
    random.seed(SEED)
    mg_model = micrograd.nn.MLP(2, SIZES)
    random.seed(SEED)
    same_graph = micrograd_demo.MLP(scalargrad.Value, 2, SIZES)
    own_nn = scalargrad.nn.MLP(2, SIZES, rng=SEED)
    start = [p.data for p in mg_model.parameters()]
    for model in (same_graph, own_nn):
        for p, w in zip(model.parameters(), start, strict=True):
            p.data = w
    demo = partial(micrograd_demo.demo_step, points=points, labels=labels, alpha=ALPHA, learning_rate=LEARNING_RATE)
    return {
        "micrograd": partial(demo, micrograd.engine.Value, mg_model),
        "scalargrad, micrograd's graph": partial(demo, scalargrad.Value, same_graph),
        "scalargrad, its own nn": partial(scalargrad_nn_step, own_nn, points, labels),
    }


def run():
    """Check that all steps learn alike, time them interleaved, return the targets."""
    steps = models()
    losses = {name: [step() for _ in range(CHECK_STEPS)] for name, step in steps.items()}
    table(["loss after step", *range(1, CHECK_STEPS + 1)], [[name, *ls] for name, ls in losses.items()])
    mg_losses = losses["micrograd"]
    checks = [
        target(f"every loss decreases over {CHECK_STEPS} steps", all(ls[-1] < ls[0] for ls in losses.values())),
        # Not bit for bit: micrograd keeps a node's inputs in a set, so the order in which gradients
        # add up (and round) follows the nodes' memory addresses, which change from run to run.
        target(
            "scalargrad on micrograd's graph computes micrograd's losses (to 1e-12)",
            all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(losses["scalargrad, micrograd's graph"], mg_losses)),
        ),
        target(
            "scalargrad's own nn computes micrograd's losses (to rounding)",
            all(map(math.isclose, losses["scalargrad, its own nn"], mg_losses)),
        ),
    ]

    print(f"\nseconds per step: median of {ROUNDS} interleaved rounds of {STEPS_PER_ROUND} steps each")
    contenders = {name: (step, True) for name, step in steps.items()}
    contenders["micrograd, gc off"] = (steps["micrograd"], False)
    # Not a target: how much of scalargrad's step on micrograd's graph is Python's cyclic GC walking its nodes.
    contenders["scalargrad, micrograd's graph, gc off"] = (steps["scalargrad, micrograd's graph"], False)
    sec = interleaved(contenders, ROUNDS, STEPS_PER_ROUND)
    rows = [
        [name, sec[name], f"{sec['micrograd'] / sec[name]:.1f}x", f"{sec['micrograd, gc off'] / sec[name]:.1f}x"]
        for name in contenders
    ]
    table(["contender", "s per step", "speed-up over micrograd", "over micrograd with gc off"], rows)
    same, own = (sec["micrograd"] / sec[name] for name in ("scalargrad, micrograd's graph", "scalargrad, its own nn"))
    return checks + [
        target(
            f"W1 on micrograd's graph: scalargrad >= {SAME_GRAPH_TARGET}x faster than micrograd, gc on for both "
            f"(got {same:.1f}x)",
            same >= SAME_GRAPH_TARGET,
        ),
        target(
            f"W1 with scalargrad's own nn: >= {OWN_NN_TARGET}x faster than micrograd, gc on for both (got {own:.1f}x)",
            own >= OWN_NN_TARGET,
        ),
    ]
