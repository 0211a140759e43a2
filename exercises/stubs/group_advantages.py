"""Exercise group_advantages (§17): group-normalised advantages, GRPO's "grading on a curve".

GRPO samples G completions for each prompt and scores them. ``rewards`` has
shape (prompts, G): each row is one group. The advantage of a completion
is how much better it did than its own group (§17):

    A = r − mean(group)                          normalize_std=False
    A = (r − mean(group)) / (std(group) + eps)   normalize_std=True (GRPO's)

with the population std √(Σ(r − μ)²/G) (§2). A group whose rewards are all
equal carries no signal, whatever the rewards: its advantages are 0.

Write ``group_advantages(rewards, normalize_std=True, eps=1e-4)``. The check
compares with ``tensorgrad.rl.advantages``.

    python -m exercises check group_advantages      grade this file
    python -m exercises group_advantages --hint     the next hint
"""

import numpy as np  # noqa: F401  (for your code)


def group_advantages(rewards, normalize_std=True, eps=1e-4):
    """The advantages, of the rewards' shape (prompts, G)."""
    raise NotImplementedError("not implemented yet")
