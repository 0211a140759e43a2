"""Functions on tensors that are not methods: making tensors, choosing, joining."""

import numpy as np

from tensorgrad import checks, ops
from tensorgrad.tensor import Tensor, constant


def zeros(shape, dtype=np.float64, requires_grad=False):
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(shape, dtype=np.float64, requires_grad=False):
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad)


def matmul(a, b):
    return ops.MatMul.apply(a, b)


def maximum(a, b):
    return ops.Maximum.apply(a, b)


def minimum(a, b):
    return ops.Minimum.apply(a, b)


def clip(a, low=None, high=None):
    return ops.Clip.apply(a, low=low, high=high)


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (condition: a boolean array or tensor)."""
    condition = checks.of_kind(condition, "b", "where", "condition", "boolean")
    return ops.Where.apply(a, b, condition=condition)


def concatenate(tensors, axis=0):
    return ops.Concatenate.apply(*_tensor_list(tensors, "concatenate"), axis=axis)


def stack(tensors, axis=0):
    return ops.Stack.apply(*_tensor_list(tensors, "stack"), axis=axis)


def take_along_axis(a, indices, axis):
    return a.take_along_axis(indices, axis)


def one_hot(indices, num_classes, dtype=np.float64):
    """Rows of the identity: one_hot([2, 0], 3) = [[0, 0, 1], [1, 0, 0]]. Takes no gradient."""
    indices = checks.integers(indices, "one_hot", "indices", high=num_classes)
    return Tensor(np.eye(num_classes, dtype=dtype)[indices])


def _tensor_list(tensors, name):
    tensors = [constant(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    return tensors
