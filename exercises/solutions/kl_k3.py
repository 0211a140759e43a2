"""Reference solution: the k3 estimator (§15)."""

import numpy as np


def kl_k3(log_probs, ref_log_probs):
    """k3 = r − 1 − log r per token, with r = π_ref/π."""
    log_r = ref_log_probs - log_probs  # log(π_ref/π)
    return np.exp(log_r) - 1 - log_r
