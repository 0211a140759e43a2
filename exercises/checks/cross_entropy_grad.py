"""The cross-entropy gradient check (§9): against tensorgrad's own backward of functional.cross_entropy."""

import numpy as np

import tensorgrad as tg
from exercises.grader import expect_close
from tensorgrad import functional as F


def check(module):
    rng = np.random.default_rng(3)
    cases = [("§4's logits [[5.2, 2.1, -0.8]], target 0", np.array([[5.2, 2.1, -0.8]]), np.array([0])),
             ("random logits (5, 4), random targets", 2 * rng.standard_normal((5, 4)), rng.integers(0, 4, 5)),
             ("logits (3, 3) of ±1e4", np.array([[1e4, -1e4, 0], [0, 1e4, 1e4], [-1e4, 0, 0]]), np.array([1, 2, 0]))]
    for case, logits, targets in cases:
        expected = _engine_gradient(logits, targets)
        got = module.cross_entropy_grad(logits.copy(), targets.copy())
        n = len(targets)
        probs = _softmax(logits)
        wrong = [("missing_1_over_n", expected * n), ("onehot_not_subtracted", probs / n),
                 ("onehot_not_subtracted", probs)]
        expect_close(got, expected, "cross_entropy_grad", case, wrong=wrong)
    first = module.cross_entropy_grad(cases[0][1], cases[0][2])[0]
    return [f"§9's gradient for 'the': p − 1 = {first[0]:.4f}; tensorgrad's backward gives the same for every case."]


def _engine_gradient(logits, targets):
    z = tg.Tensor(logits, requires_grad=True)
    F.cross_entropy(z, targets).backward()
    return z.grad


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
