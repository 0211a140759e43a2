"""Exercise matmul_vjp (§12): matmul's vector-Jacobian product, batched.

For C = A @ B, given G = dL/dC, write ``matmul_backward(a, b, g)`` returning
(dL/dA, dL/dB), each of its input's shape. ``a`` is (..., n, k); ``b`` is
either (..., k, m) with the same leading (batch) axes, or a 2-D (k, m)
shared by the whole batch, as a weight matrix is. ``g`` is (..., n, m).

The check compares with tensorgrad's own backward of ``a @ b``.

    python -m exercises check matmul_vjp      grade this file
    python -m exercises matmul_vjp --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def matmul_backward(a, b, g):
    """(dL/dA, dL/dB) for C = A @ B and G = dL/dC."""
    raise NotImplementedError("not implemented yet")
