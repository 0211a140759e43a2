"""One training step of an MLP 2→64→64→2 (batch 256, float32): tensorgrad vs the same step hand-written in NumPy.

A step is a forward pass on the batch, the softmax cross-entropy, the
gradients of every parameter, and a plain SGD update. The NumPy step writes
the backward pass out by hand (no autograd), so the difference between the
two is what tensorgrad's graph bookkeeping costs. Before timing, both compute
the gradients at the same weights, and they must agree to float32 tolerance.
"""

import numpy as np
from benchlib import interleaved, table, target

import tensorgrad.functional as F
from tensorgrad import nn, optim, tensor

SIZES = [2, 64, 64, 2]
BATCH = 256
# The timed steps use a learning rate too small to move the weights: the same
# arithmetic, but both contenders stay at the same weights for the whole run
# instead of training apart (their speed drifts with the weights, e.g. through
# subnormal numbers).
LEARNING_RATE = 1e-9
ROUNDS, STEPS_PER_ROUND = 15, 200
TARGET_RATIO = 1.3  # tensorgrad's seconds per step, at most this many times the hand-written NumPy step's


def batch(seed=0):
    """BATCH random points in the plane (float32) and a class 0 or 1 for each."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, SIZES[0])).astype(np.float32)
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # the class: same sign or not


def tensorgrad_step(model, optimizer, x, classes):
    loss = F.cross_entropy(model(x), classes)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def numpy_gradients(params, x, classes):
    """Forward and backward by hand: the mean cross-entropy, and its gradient for [W1, b1, W2, b2, W3, b3]."""
    w1, b1, w2, b2, w3, b3 = params
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    rows = np.arange(len(x))
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=1, keepdims=True)
    loss = (np.log(sums[:, 0]) - shifted[rows, classes]).mean()
    d_logits = exps / sums  # softmax, minus the one-hot targets, over the batch size
    d_logits[rows, classes] -= 1
    d_logits /= len(x)
    d_z2 = (d_logits @ w3.T) * (z2 > 0)
    d_z1 = (d_z2 @ w2.T) * (z1 > 0)
    return loss, [x.T @ d_z1, d_z1.sum(axis=0), h1.T @ d_z2, d_z2.sum(axis=0), h2.T @ d_logits, d_logits.sum(axis=0)]


def numpy_step(params, x, classes):
    _, grads = numpy_gradients(params, x, classes)
    for p, g in zip(params, grads):
        p -= LEARNING_RATE * g


def run():
    """Check that both compute the same gradients, time them interleaved, return the target."""
    x, classes = batch()
    model = nn.MLP(SIZES[0], SIZES[1:], dtype=np.float32, rng=0)
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    params = [p.data.copy() for p in model.parameters()]  # W1, b1, W2, b2, W3, b3: the same start
    x_tensor = tensor(x)

    engine_loss = F.cross_entropy(model(x_tensor), classes)
    engine_loss.backward()
    engine_grads = [p.grad for p in model.parameters()]
    hand_loss, hand_grads = numpy_gradients(params, x, classes)
    worst = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(engine_grads, hand_grads))
    same = np.isclose(engine_loss.item(), hand_loss, rtol=1e-5) and all(
        a.dtype == np.float32 and np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(engine_grads, hand_grads)
    )
    checks = [
        target(f"same loss and gradients as the hand-written step, in float32 (worst relative error {worst:.1e})", same)
    ]

    print(f"\nseconds per step: median of {ROUNDS} interleaved rounds of {STEPS_PER_ROUND} steps each")
    sec = interleaved(
        {
            "tensorgrad": (lambda: tensorgrad_step(model, optimizer, x_tensor, classes), True),
            "NumPy by hand": (lambda: numpy_step(params, x, classes), True),
        },
        ROUNDS,
        STEPS_PER_ROUND,
    )
    ratio = sec["tensorgrad"] / sec["NumPy by hand"]
    table(
        ["step", "tensorgrad", "NumPy by hand", "ratio"],
        [["MLP 2→64→64→2, batch 256, float32, SGD", sec["tensorgrad"], sec["NumPy by hand"], f"{ratio:.2f}x"]],
    )
    return checks + [target(f"tensorgrad within {TARGET_RATIO}x of hand-written NumPy (got {ratio:.2f}x)", ratio <= TARGET_RATIO)]
