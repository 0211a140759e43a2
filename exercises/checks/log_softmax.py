"""The log-sum-exp and log-softmax check (§5): random logits, and ±1e4 where the naive forms fail."""

import numpy as np

from exercises.grader import as_array, expect_close, show
from exercises.mistakes import found
from exercises.solutions import log_softmax as reference

EXTREME = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4]])


def check(module):
    rng = np.random.default_rng(1)
    cases = [
        ("random logits of shape (4, 5)", 3 * rng.standard_normal((4, 5)), -1),
        ("random logits of shape (3, 4), axis=0", rng.standard_normal((3, 4)), 0),
        (f"logits {show(EXTREME)}", EXTREME, -1),
    ]
    for case, z, axis in cases:
        expected = reference.logsumexp(z, axis)
        got = module.logsumexp(z.copy(), axis=axis)
        if not np.isfinite(as_array(got, "logsumexp", case)).all():
            raise found("logsumexp_without_shift", f"logsumexp for {case}: expected {show(expected)}, got {show(got)}")
        m = z.max(axis=axis, keepdims=True)
        expect_close(got, expected, "logsumexp", case, wrong=[("max_not_added_back", expected - m)])
    for case, z, axis in cases:
        expected = reference.log_softmax(z, axis)
        got = module.log_softmax(z.copy(), axis=axis)
        if np.isneginf(as_array(got, "log_softmax", case)).any():
            raise found("log_of_softmax", f"log_softmax for {case}: expected {show(expected)}, got {show(got)}")
        expect_close(got, expected, "log_softmax", case)
    tiny = module.log_softmax(np.array([0.0, -800.0]))[1]
    return [f"log p of a token 800 logits below the best: {tiny:.1f} (its probability, e^−800, is 0 in a float) (§5)."]
