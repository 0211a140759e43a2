"""Exercise clipped_objective (§18): the clipped surrogate objective, symmetric and asymmetric (DAPO).

One update must not move the policy too far (§18). With the probability
ratio r = π_new(token)/π_old(token) and the advantage A of each token,

    L^CLIP = min(r·A, clip(r, 1 − eps_low, 1 + eps_high)·A)

per token: the objective to maximise. PPO and GRPO clip symmetrically
(eps_high = eps_low, which is what ``eps_high=None`` means); DAPO widens the
top (eps_high = 0.28 > eps_low = 0.2) so that rare good tokens can grow.

Write ``clipped_objective(ratio, adv, eps_low=0.2, eps_high=None)`` for
arrays of the same shape. The check compares with
``tensorgrad.rl.objectives.clipped_objective``.

    python -m exercises check clipped_objective      grade this file
    python -m exercises clipped_objective --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def clipped_objective(ratio, adv, eps_low=0.2, eps_high=None):
    """L^CLIP per token (§18)."""
    raise NotImplementedError("not implemented yet")
