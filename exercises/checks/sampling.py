"""The sampling check (§6–§7): compared with tensorgrad.sampling itself, on the post's example and random rows."""

import numpy as np

from exercises.grader import expect_close, show
from tensorgrad import sampling

POST_PROBS = np.array([0.45, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02])  # §7's example: p = 0.9 keeps four tokens


def check(module):
    rng = np.random.default_rng(2)
    for case, z, T in [("the logits [2, 1, 0.5] at T = 0.5", np.array([2.0, 1.0, 0.5]), 0.5),
                       ("random logits of shape (3, 6) at T = 2", rng.standard_normal((3, 6)), 2.0)]:
        got = module.temperature(z.copy(), T)
        expect_close(got, sampling.temperature(z, T), "temperature", case,
                     wrong=[("temperature_multiplies", z * T)])
    post = np.log(POST_PROBS)
    shuffled = post[[3, 0, 6, 1, 5, 2, 4]]  # the same tokens in another vocabulary order
    cases = [(f"§7's probabilities {show(POST_PROBS)}, p = 0.9", post, 0.9),
             ("§7's probabilities in another vocabulary order, p = 0.9", shuffled, 0.9),
             ("random logits of shape (4, 8), p = 0.7", 2 * rng.standard_normal((4, 8)), 0.7),
             ("random logits of shape (2, 5), p = 0.01", rng.standard_normal((2, 5)), 0.01),
             ("random logits of shape (2, 5), p = 1", rng.standard_normal((2, 5)), 1.0)]
    for case, z, p in cases:
        got = module.top_p(z.copy(), p)
        expect_close(got, sampling.top_p(z, p), "top_p", case, wrong=_mistakes(z, p))
    kept = int(np.isfinite(module.top_p(post, 0.9)).sum())
    return [f"§7's example keeps {kept} tokens (45 + 20 + 15 + 10 = 90 %), as tensorgrad.sampling.top_p does."]


def _mistakes(z, p):
    """What top-p gives when the crossing token is dropped, and when the tokens are not ranked first."""
    probs = np.exp(z - z.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    ranked = np.argsort(-probs, axis=-1, kind="stable")
    mass = np.cumsum(np.take_along_axis(probs, ranked, axis=-1), axis=-1)
    keep = mass < p - 1e-6
    keep[..., 0] = True
    dropped = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(dropped, ranked, keep, axis=-1)
    in_order = np.cumsum(probs, axis=-1) - probs < p - 1e-6
    return [("top_p_drops_crossing_token", np.where(dropped, z, -np.inf)),
            ("top_p_not_ranked", np.where(in_order, z, -np.inf))]
