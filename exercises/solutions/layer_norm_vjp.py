"""Reference solution: layer norm's VJP (§13)."""

import numpy as np


def layer_norm_backward(x, weight, g, eps=1e-5):
    """(dL/dx, dL/dweight, dL/dbias) for y = layer_norm(x)·weight + bias and g = dL/dy."""
    centred = x - x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt((centred * centred).mean(axis=-1, keepdims=True) + eps)
    normed = centred / sigma  # x̂
    d = g * weight  # dL/dx̂
    dx = (d - d.mean(axis=-1, keepdims=True) - normed * (d * normed).mean(axis=-1, keepdims=True)) / sigma
    rows = tuple(range(x.ndim - 1))  # weight and bias served every row: sum over them
    return dx, (g * normed).sum(axis=rows), g.sum(axis=rows)
