"""Exercise attention_backward (§13): attention's backward, four matrix products and a row-wise softmax step.

Attention (§13) is O = W·V with W = softmax(S) row by row and S = Q·Kᵀ/√d:
each query (a row of Q) scores every key (a row of K), the scores become
weights, and the weights mix the rows of V. ``attention_forward`` below
does it (with ``causal=True`` a query sees only the keys up to its own
position). Given G = dL/dO, write ``attention_backward(q, k, v, g, causal)``
returning (dL/dQ, dL/dK, dL/dV). Shapes: q (..., T, d), k (..., S, d),
v (..., S, d_v), g (..., T, d_v); the leading axes are batch and heads.

The check compares with tensorgrad's fused attention, then trains the tiny
GPT (``tensorgrad.transformer``) one step with your backward inside it.

    python -m exercises check attention_backward      grade this file
    python -m exercises attention_backward --hint     the next hint
"""

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
    raise NotImplementedError("not implemented yet")
