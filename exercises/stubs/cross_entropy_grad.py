"""Exercise cross_entropy_grad (§9): cross-entropy's gradient in closed form, p − onehot.

The loss of logits (N, C) against integer targets (N,) is the mean over the
rows of −log softmax(z)[target] (§9). Write its gradient with respect to the
logits without any autograd: ``cross_entropy_grad(logits, targets)`` returns
an array of the logits' shape. The check compares it with tensorgrad's
backward of ``functional.cross_entropy``.

    python -m exercises check cross_entropy_grad      grade this file
    python -m exercises cross_entropy_grad --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def cross_entropy_grad(logits, targets):
    """d(mean cross-entropy)/d(logits), shape (N, C)."""
    raise NotImplementedError("not implemented yet")
