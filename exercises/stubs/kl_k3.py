"""Exercise kl_k3 (§15): the k3 estimator of KL(π ‖ π_ref).

RL fine-tuning keeps the policy π on a leash: near the reference model
π_ref (§15). The exact KL needs both full distributions; from the sampled
tokens alone, with r = π_ref(x)/π(x) for a token x drawn from π, it is
estimated per token:

    k1 = −log r              unbiased, but a single value can be negative
    k3 = r − 1 − log r       unbiased too (E_π[r] = 1), and never negative

Write ``kl_k3(log_probs, ref_log_probs)``: the k3 estimate for every token,
from the log-probabilities log π(x) and log π_ref(x) (arrays of the same
shape). The check compares with ``tensorgrad.rl.objectives.kl_estimate``
and averages your estimates over sampled tokens against the exact KL.

    python -m exercises check kl_k3      grade this file
    python -m exercises kl_k3 --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def kl_k3(log_probs, ref_log_probs):
    """k3 = r − 1 − log r per token, with r = π_ref/π."""
    raise NotImplementedError("not implemented yet")
