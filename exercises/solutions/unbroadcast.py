"""Reference solution: un-broadcasting a gradient (§10)."""


def unbroadcast(grad, shape):
    """``grad`` summed over the axes broadcasting added or stretched, so that it has ``shape``."""
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))  # the axes added in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad  # the axes of length 1
