"""Exercise layer_norm_vjp (§13): layer norm's vector-Jacobian product.

A transformer block normalises each position's vector before attention and
before the MLP: for each row x (the last axis, of width D),

    x̂ = (x − mean(x)) / σ,   σ = √(var(x) + eps),   y = x̂ · weight + bias

with ``weight`` and ``bias`` of shape (D,), shared by every row. Given
g = dL/dy, write ``layer_norm_backward(x, weight, g, eps)`` returning
(dL/dx, dL/dweight, dL/dbias), each of its input's shape. The check
compares with tensorgrad's ``functional.layer_norm``.

    python -m exercises check layer_norm_vjp      grade this file
    python -m exercises layer_norm_vjp --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def layer_norm_backward(x, weight, g, eps=1e-5):
    """(dL/dx, dL/dweight, dL/dbias) for y = layer_norm(x)·weight + bias and g = dL/dy."""
    raise NotImplementedError("not implemented yet")
