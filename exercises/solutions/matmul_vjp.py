"""Reference solution: matmul's VJP, batched (§12)."""

import numpy as np


def matmul_backward(a, b, g):
    """(dL/dA, dL/dB) for C = A @ B and G = dL/dC."""
    da = g @ np.swapaxes(b, -1, -2)  # G @ Bᵀ
    db = np.swapaxes(a, -1, -2) @ g  # Aᵀ @ G, one per matrix of the batch
    if b.ndim == 2 and db.ndim > 2:  # a shared B served the whole batch: sum its gradients
        db = db.reshape(-1, *b.shape).sum(axis=0)
    return da, db
