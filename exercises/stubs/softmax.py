"""Exercise softmax (§4): softmax that survives logits of ±1e4.

Write ``softmax(z, axis=-1)`` for a NumPy array of logits: e^zᵢ / Σⱼ e^zⱼ
along ``axis``, every slice along that axis its own distribution. Logits
such as 1e4 must work too, although e^10000 overflows a float.

    python -m exercises check softmax      grade this file
    python -m exercises softmax --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def softmax(z, axis=-1):
    """Probabilities along ``axis``: each non-negative, each slice summing to 1 (§4)."""
    raise NotImplementedError("not implemented yet")
