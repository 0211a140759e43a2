"""Reference solution: log-sum-exp and log-softmax (§5)."""

import numpy as np


def logsumexp(z, axis=-1):
    """log Σ e^z along ``axis``, that axis kept with length 1."""
    m = z.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))  # every exponent ≤ 0


def log_softmax(z, axis=-1):
    """log softmax(z) along ``axis``: z − logsumexp(z)."""
    return z - logsumexp(z, axis)
