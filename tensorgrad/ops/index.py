"""Picking entries: indexing ``t[...]`` and ``take_along_axis`` (gather).

The backward is a *scatter-add*: each picked entry's gradient goes back to
the place it came from, and a place picked twice (``t[[0, 0]]``, or the same
token in two positions of an embedding lookup) receives the sum.

The index is the op's own: a list or array in it is copied before it is used
(``Function.apply`` copies an array setting; ``Select`` copies lists and the
arrays inside a tuple), so changing ``idx`` after ``t[idx]`` cannot send the
gradient to other entries.
"""

import numpy as np

from tensorgrad.function import Function, Node
from tensorgrad.ops.reduce import normalize_axes


def is_basic(index):
    """Slices, integers, None and ``...`` only: then no entry can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, int, np.integer, type(None), type(Ellipsis))) for p in parts)


class Slice(Function):
    """``t[1:3, 0]``: basic indexing, a view of the input; each entry is picked at most once."""

    name, symbol = "slice", "[:]"
    view = True
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.index, ctx.shape = index, a.shape
        try:
            return a[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {a.shape})") from None

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Node):
            return (Scatter.apply(g, index=ctx.index, shape=ctx.shape),)
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        grad[ctx.index] = g
        return (grad,)


class Select(Slice):
    """``t[[0, 0, 2]]`` or ``t[mask]``: integer-array or boolean indexing, a copy."""

    name, symbol = "select", "[i]"
    view = False

    @staticmethod
    def forward(ctx, a, index):
        return Slice.forward(ctx, a, _owned(index))

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Node):
            return (Scatter.apply(g, index=ctx.index, shape=ctx.shape),)
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(grad, ctx.index, g)  # an entry picked twice gets both gradients
        return (grad,)


def _owned(index):
    """The index with its lists and the arrays inside a tuple copied (an array alone was copied by apply)."""
    if isinstance(index, list):
        return _copied(index)
    if isinstance(index, tuple):
        return tuple(_copied(part) if isinstance(part, (list, np.ndarray)) else part for part in index)
    return index


def _copied(part):
    """A list or array of indices as a new array; an empty list stays an integer index, as NumPy reads it."""
    array = np.array(part)
    return array.astype(np.intp) if array.size == 0 and array.dtype.kind == "f" else array


class Scatter(Function):
    """The backward of picking entries, as an op: zeros of ``shape`` with ``g`` added where
    ``index`` picked. Its own backward picks again, so gradients of gradients flow through indexing."""

    name, symbol = "scatter", "scatter"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, g, index, shape):
        ctx.index = index
        grad = np.zeros(shape, dtype=g.dtype)
        np.add.at(grad, index, g)
        return grad

    @staticmethod
    def backward(ctx, gg):
        return (gg[ctx.index],)


class TakeAlongAxis(Function):
    """out[..., i, ...] = a[..., indices[..., i, ...], ...] along ``axis`` (NumPy's take_along_axis).

    With log-probabilities of shape (batch, vocab) and chosen tokens of shape
    (batch, 1), this picks log π(token) for each row: the REINFORCE quantity.
    """

    name, symbol = "take_along_axis", "gather"

    @staticmethod
    def forward(ctx, a, indices, axis):
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"take_along_axis: indices must be integers, got dtype {indices.dtype}")
        if indices.ndim != a.ndim:
            raise ValueError(
                f"take_along_axis: indices need as many dimensions as the tensor: "
                f"shapes {indices.shape} and {a.shape}"
            )
        (axis,) = normalize_axes(axis, a.ndim, "take_along_axis")
        if indices.size and (indices.min() < -a.shape[axis] or indices.max() >= a.shape[axis]):
            raise IndexError(
                f"take_along_axis: indices must lie in [0, {a.shape[axis]}) along axis {axis} "
                f"of shape {a.shape}, got min {indices.min()} and max {indices.max()}"
            )
        out = np.take_along_axis(a, indices, axis)
        # indices are this op's own (apply copied an array, asarray made one of a list): a view is enough
        ctx.indices, ctx.axis, ctx.shape = np.broadcast_to(indices, out.shape), axis, a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        where = list(np.ix_(*[np.arange(n) for n in g.shape]))
        where[ctx.axis] = ctx.indices
        np.add.at(grad, tuple(where), g)
        return (grad,)
