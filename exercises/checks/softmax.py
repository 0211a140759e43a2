"""The softmax check (§4): the post's logits, random ones along either axis, and ±1e4."""

import numpy as np

from exercises.grader import as_array, expect_close, show
from exercises.mistakes import found
from exercises.solutions import softmax as reference

EXTREME = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4]])


def check(module):
    rng = np.random.default_rng(0)
    cases = [
        ("the post's logits [5.2, 2.1, -0.8]", np.array([5.2, 2.1, -0.8]), -1),
        ("random logits of shape (4, 5)", 3 * rng.standard_normal((4, 5)), -1),
        ("random logits of shape (3, 4), axis=0", rng.standard_normal((3, 4)), 0),
        (f"logits {show(EXTREME)}", EXTREME, -1),
    ]
    for case, z, axis in cases:
        got = module.softmax(z.copy(), axis=axis)
        expected = reference.softmax(z, axis)
        if not np.isfinite(as_array(got, "softmax", case)).all() and np.isfinite(z).all():
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(np.asarray(got, float)))[0])
            raise found("softmax_without_shift", f"softmax for {case}, entry {bad}: expected {expected[bad]:.6g}, "
                                                 f"got {np.asarray(got, float)[bad]}")
        if _normalised_elsewhere(np.asarray(got, float), axis):
            raise found("wrong_axis", f"softmax for {case}: the slices along axis={axis} sum to "
                                      f"{show(np.asarray(got, float).sum(axis=axis))}, expected 1 each")
        expect_close(got, expected, "softmax", case)
    p_the = module.softmax(np.array([5.2, 2.1, -0.8]))[0]
    return [f"P(the) = {p_the:.3%}: the post's 95.4% (§4), and ±1e4 gives exact 0s and 1s, no nan."]


def _normalised_elsewhere(probs, axis):
    """True if the probabilities sum to 1 over the whole array or along another axis, but not along ``axis``."""
    if probs.ndim < 2 or np.allclose(probs.sum(axis=axis), 1):
        return False
    other = 0 if axis in (-1, probs.ndim - 1) else -1
    return bool(np.isclose(probs.sum(), 1) or np.allclose(probs.sum(axis=other), 1))
