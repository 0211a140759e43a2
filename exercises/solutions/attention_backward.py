"""Reference solution: attention's backward (§13)."""

import numpy as np


def attention_forward(q, k, v, causal=False):
    """(O, W): the output and the weights, as in §13 (given; yours to read and to reuse)."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:  # query i (the last T of S positions) may see keys 0 .. S − T + i
        t, s = scores.shape[-2:]
        scores = np.where(np.tri(t, s, k=s - t, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


def attention_backward(q, k, v, g, causal=False):
    """(dL/dQ, dL/dK, dL/dV) for O = softmax(Q·Kᵀ/√d)·V and G = dL/dO."""
    _, w = attention_forward(q, k, v, causal)
    c = 1 / np.sqrt(q.shape[-1])
    dv = np.swapaxes(w, -1, -2) @ g  # Wᵀ·G
    dw = g @ np.swapaxes(v, -1, -2)  # G·Vᵀ
    ds = w * (dw - (dw * w).sum(axis=-1, keepdims=True))  # softmax's VJP, row by row; masked entries: W = 0
    dq = c * ds @ k
    dk = c * np.swapaxes(ds, -1, -2) @ q
    return dq, dk, dv
