"""Exercise sampling (§6–§7): temperature and top-p (nucleus) filtering.

Both take logits of shape (..., vocab), one distribution per row, and return
new logits (a float array of the same shape), so that they compose:
``top_p(temperature(z, 0.8), 0.9)``.

- ``temperature(z, T)``: T < 1 sharpens the distribution, T > 1 flattens it (§6).
- ``top_p(z, p)``: keep the most likely tokens until their probability mass
  reaches p, and give every other token the logit −inf (probability 0). The
  most likely token always stays. Count a mass within 1e-6 of p as reaching
  p: 0.45 + 0.20 + 0.15 + 0.10 is 0.8999999999999999 in floats (§7).

    python -m exercises check sampling      grade this file
    python -m exercises sampling --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)

TOLERANCE = 1e-6


def temperature(z, T):
    """The logits for temperature T > 0 (§6)."""
    raise NotImplementedError("not implemented yet")


def top_p(z, p):
    """The logits with every token outside the nucleus of mass p set to −inf (§7)."""
    raise NotImplementedError("not implemented yet")
