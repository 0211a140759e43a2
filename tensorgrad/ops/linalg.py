"""Matrix multiplication (§12): many dot products at once, as NumPy's ``@`` defines them.

For C = A @ B the gradients are G @ Bᵀ for A and Aᵀ @ G for B: each entry of
A met a row of B in the dot products it took part in. A 1-D operand is
treated as a row (on the left) or a column (on the right) vector, and batch
dimensions broadcast; the backward walk sums the broadcast copies.
"""

import numpy as np

from tensorgrad.function import Function, Node


def _check_shapes(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} and {b.shape}")
    inner_a, inner_b = a.shape[-1], b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({inner_a} != {inner_b})")
    if a.ndim <= 2 and b.ndim <= 2:
        return
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions of shapes {a.shape} and {b.shape} do not broadcast"
        ) from None


def _transpose_last_two(x):
    return x.swapaxes(-1, -2) if isinstance(x, Node) else np.swapaxes(x, -1, -2)


class MatMul(Function):
    name, symbol = "matmul", "@"
    differentiable_backward = True  # its backward is two matmuls: they run on Tensors too

    @staticmethod
    def forward(ctx, a, b):
        _check_shapes(a, b)
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        if a.ndim == 1 and b.ndim == 1:  # a dot product: out = Σ aᵢbᵢ
            return g * b, g * a
        a2 = a[None, :] if a.ndim == 1 else a  # a row vector
        b2 = b[:, None] if b.ndim == 1 else b  # a column vector
        g2 = g[..., None, :] if a.ndim == 1 else g
        g2 = g2[..., None] if b.ndim == 1 else g2
        grad_a = grad_b = None  # skipped when that input needs no gradient (e.g. the data)
        if ctx.needs_input_grad[0]:
            grad_a = g2 @ _transpose_last_two(b2)
            grad_a = grad_a[..., 0, :] if a.ndim == 1 else grad_a
        if ctx.needs_input_grad[1]:
            grad_b = _transpose_last_two(a2) @ g2
            grad_b = grad_b[..., 0] if b.ndim == 1 else grad_b
        return grad_a, grad_b
