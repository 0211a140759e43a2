"""Reference solution: the clipped surrogate objective (§18)."""

import numpy as np


def clipped_objective(ratio, adv, eps_low=0.2, eps_high=None):
    """L^CLIP per token (§18)."""
    high = eps_low if eps_high is None else eps_high
    return np.minimum(ratio * adv, np.clip(ratio, 1 - eps_low, 1 + high) * adv)  # the min: a one-way gate
