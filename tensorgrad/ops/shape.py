"""Ops that move entries around without changing them: reshape, permute, broadcast, join.

Their backward moves the gradient back the same way: reshape it back,
permute it back, split it back. (A broadcast's backward is a sum, done by
the backward walk's ``unbroadcast``.)
"""

import numpy as np

from tensorgrad.function import Function, Node


class Reshape(Function):
    name, symbol = "reshape", "reshape"
    view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape shape {a.shape} ({a.size} entries) into {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.shape),)


class Permute(Function):
    """Reorder the axes: output axis i is input axis ``axes[i]``."""

    name, symbol = "permute", "permute"
    view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, axes):
        n = a.ndim
        in_range = all(isinstance(ax, (int, np.integer)) and -n <= ax < n for ax in axes)
        if len(axes) != n or not in_range or len({ax % n for ax in axes}) != n:
            raise ValueError(f"permute: {tuple(axes)} is not an ordering of the {n} axes of shape {a.shape}")
        ctx.axes = tuple(int(ax) % n for ax in axes)
        return np.transpose(a, ctx.axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(int(i) for i in np.argsort(ctx.axes))
        return (g.permute(back) if isinstance(g, Node) else np.transpose(g, back),)


class BroadcastTo(Function):
    name, symbol = "broadcast_to", "bcast"
    view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, shape):
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {a.shape} cannot be broadcast to {tuple(shape)}") from None

    @staticmethod
    def backward(ctx, g):
        return (g,)  # the backward walk sums it back to the input's shape


def _join(numpy_join, name, arrays, axis):
    """np.concatenate or np.stack, with an error that names the op and every shape."""
    try:
        return numpy_join(arrays, axis=axis)
    except (ValueError, np.exceptions.AxisError) as error:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"{name}: cannot join shapes {shapes} along axis {axis}: {error}") from None


class Concatenate(Function):
    """Join tensors along an existing axis; the gradient is split at the same places."""

    name, symbol = "concatenate", "concat"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        out = _join(np.concatenate, "concatenate", arrays, axis)
        ctx.axis = axis % out.ndim
        ends = np.cumsum([a.shape[axis] for a in arrays])
        ctx.pieces = [slice(int(end - a.shape[axis]), int(end)) for a, end in zip(arrays, ends)]
        return out

    @staticmethod
    def backward(ctx, g):
        before = (slice(None),) * ctx.axis
        return tuple(g[(*before, piece)] for piece in ctx.pieces)


class Stack(Function):
    """Join equally shaped tensors along a new axis."""

    name, symbol = "stack", "stack"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, *arrays, axis=0):
        out = _join(np.stack, "stack", arrays, axis)
        ctx.axis = axis % out.ndim
        return out

    @staticmethod
    def backward(ctx, g):
        before = (slice(None),) * ctx.axis
        return tuple(g[(*before, i)] for i in range(g.shape[ctx.axis]))
