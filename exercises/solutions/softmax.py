"""Reference solution: softmax (§4)."""

import numpy as np


def softmax(z, axis=-1):
    """Probabilities along ``axis``: each non-negative, each slice summing to 1 (§4)."""
    shifted = z - z.max(axis=axis, keepdims=True)  # softmax(z − c) = softmax(z); now every exponent ≤ 0
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
