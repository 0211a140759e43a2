"""The clipped-objective check (§18): ratios inside and outside the band, both signs, symmetric and DAPO's."""

import numpy as np

import tensorgrad as tg
from exercises.grader import expect_close
from tensorgrad.rl import objectives

RATIOS = np.array([0.1, 0.7, 0.8, 0.95, 1.0, 1.1, 1.2, 1.25, 1.5, 8.5])  # §18's 10 % → 85 % is r = 8.5


def check(module):
    ratio = np.concatenate([RATIOS, RATIOS])
    adv = np.concatenate([np.ones_like(RATIOS), -np.ones_like(RATIOS)])
    rng = np.random.default_rng(11)
    cases = [("r from 0.1 to 8.5, A = ±1", ratio, adv),
             ("random r (2, 6) and A (2, 6)", rng.lognormal(0, 0.5, (2, 6)), rng.standard_normal((2, 6)))]
    for case, r, a in cases:
        for eps_low, eps_high in ((0.2, None), (0.2, 0.28), (0.1, 0.3)):
            band = f"{case}, eps_low={eps_low}, eps_high={eps_high}"
            expected = objectives.clipped_objective(tg.Tensor(r), tg.Tensor(a), eps_low, eps_high).data
            got = module.clipped_objective(r.copy(), a.copy(), eps_low, eps_high)
            high = eps_low if eps_high is None else eps_high
            wrong = [("clip_not_asymmetric", np.minimum(r * a, np.clip(r, 1 - eps_low, 1 + eps_low) * a)),
                     ("max_not_min", np.maximum(r * a, np.clip(r, 1 - eps_low, 1 + high) * a))]
            expect_close(got, expected, "clipped_objective", band, wrong=wrong)
    capped = module.clipped_objective(np.array([8.5]), np.array([1.0]), 0.2, 0.28)[0]
    symmetric = module.clipped_objective(np.array([8.5]), np.array([1.0]))[0]
    return [(f"§18's ratio 8.5 with A = +1 is capped at {symmetric:g} (ε = 0.2), and at {capped:g} with DAPO's "
             "eps_high = 0.28; moves against the advantage are never clipped.")]
