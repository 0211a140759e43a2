"""Reference solution: temperature and top-p (§6–§7)."""

import numpy as np

TOLERANCE = 1e-6


def temperature(z, T):
    """The logits for temperature T > 0 (§6)."""
    return z / T


def top_p(z, p):
    """The logits with every token outside the nucleus of mass p set to −inf (§7)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    ranked = np.argsort(-probs, axis=-1, kind="stable")  # most likely first
    ranked_probs = np.take_along_axis(probs, ranked, axis=-1)
    before = np.cumsum(ranked_probs, axis=-1) - ranked_probs  # the mass of the tokens ranked before each
    keep_ranked = before < p - TOLERANCE
    keep_ranked[..., 0] = True
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, ranked, keep_ranked, axis=-1)
    return np.where(keep, z, -np.inf)
