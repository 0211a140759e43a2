"""The unbroadcast check (§10): shapes that add and stretch axes, then tensorgrad's backward using it."""

import numpy as np

import tensorgrad as tg
from exercises.grader import as_array, expect_close
from exercises.mistakes import found
from exercises.solutions import unbroadcast as reference
from tensorgrad import autograd

SHAPES = [((3, 4), (4,)), ((3, 4), (3, 1)), ((2, 3, 4), (1, 4)), ((2, 3, 4), (2, 1, 4)), ((3, 4), (3, 4)),
          ((2, 3), ())]


def check(module):
    rng = np.random.default_rng(4)
    for big, shape in SHAPES:
        g = rng.standard_normal(big)
        case = f"a gradient of shape {big} for an input of shape {shape}"
        expected = reference.unbroadcast(g, shape)
        got = as_array(module.unbroadcast(g.copy(), shape), "unbroadcast", case)
        if got.shape == big and big != shape:
            raise found("sum_over_broadcast_axes", f"unbroadcast for {case}: shape {got.shape}, expected {shape}")
        if got.shape != shape and got.size == expected.size and got.shape == tuple(n for n in shape if n != 1):
            raise found("keepdims_dropped", f"unbroadcast for {case}: shape {got.shape}, expected {shape}")
        expect_close(got, expected, "unbroadcast", case)
    return [_plugged_in(module, rng)]


def _plugged_in(module, rng):
    """d/dx, d/db, d/dc of sum(x·b + c) with x (3, 4), b (4,), c (3, 1): the engine's way, then with yours."""
    arrays = [rng.standard_normal(s) for s in ((3, 4), (4,), (3, 1))]
    expected = _gradients(arrays)
    own = autograd.unbroadcast
    autograd.unbroadcast = module.unbroadcast  # the one place tensorgrad un-broadcasts
    try:
        got = _gradients(arrays)
    finally:
        autograd.unbroadcast = own
    for name, g, e in zip("xbc", got, expected):
        expect_close(g, e, f"tensorgrad's d/d{name} of sum(x·b + c), with your unbroadcast", "x (3, 4), b (4,), c (3, 1)")
    return "your unbroadcast ran inside tensorgrad's backward: sum(x·b + c) with x (3, 4), b (4,), c (3, 1) " \
           "gets the engine's gradients, each of its input's shape."


def _gradients(arrays):
    x, b, c = (tg.Tensor(a, requires_grad=True) for a in arrays)
    (x * b + c).sum().backward()
    return x.grad, b.grad, c.grad
