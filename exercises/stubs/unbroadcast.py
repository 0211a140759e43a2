"""Exercise unbroadcast (§10): summing a gradient back to its input's shape.

NumPy broadcasting lets x of shape (3, 4) meet b of shape (4,) in x + b: b
is used for every one of the 3 rows. Backpropagation (§10) adds up the
gradients of every use, so b's gradient is the (3, 4) gradient summed over
the copies. Write ``unbroadcast(grad, shape)``: ``grad`` has the broadcast
(output) shape, the result must have ``shape``, the input's. ``shape`` may
have fewer axes (they were added in front) and axes of length 1 (stretched).

The check runs tensorgrad's backward with your function in place of its own.

    python -m exercises check unbroadcast      grade this file
    python -m exercises unbroadcast --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def unbroadcast(grad, shape):
    """``grad`` summed over the axes broadcasting added or stretched, so that it has ``shape``."""
    raise NotImplementedError("not implemented yet")
