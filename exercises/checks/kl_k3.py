"""The k3 check (§15): against tensorgrad's kl_estimate, then averaged over sampled tokens against the exact KL."""

import numpy as np

import tensorgrad as tg
from exercises.grader import as_array, expect_close
from exercises.mistakes import Failed
from tensorgrad.rl import objectives

SAMPLES = 200_000


def check(module):
    rng = np.random.default_rng(9)
    cases = [("log π = [-1, -2], log π_ref = [-1.5, -1]", np.array([-1.0, -2.0]), np.array([-1.5, -1.0])),
             ("random log-probabilities of shape (3, 4)", -rng.exponential(size=(3, 4)), -rng.exponential(size=(3, 4))),
             ("equal log-probabilities (π = π_ref)", np.array([-0.3, -2.0]), np.array([-0.3, -2.0]))]
    for case, log_p, ref in cases:
        expected = objectives.kl_estimate(tg.Tensor(log_p), ref, "k3").data
        got = module.kl_k3(log_p.copy(), ref.copy())
        log_r = ref - log_p
        wrong = [("ratio_upside_down", np.exp(-log_r) - 1 + log_r), ("k1_not_k3", -log_r),
                 ("sign_flip", np.exp(log_r) - 1 + log_r)]
        expect_close(got, expected, "kl_k3", case, wrong=wrong)
    return [_law_of_large_numbers(module, rng)]


def _law_of_large_numbers(module, rng):
    """The mean of the learner's k3 over tokens sampled from π, against the exact KL(π ‖ π_ref) (§3, §15)."""
    pi, ref = np.array([0.5, 0.3, 0.15, 0.05]), np.array([0.4, 0.3, 0.2, 0.1])
    exact = float((pi * np.log(pi / ref)).sum())
    tokens = rng.choice(len(pi), size=SAMPLES, p=pi)
    estimates = as_array(module.kl_k3(np.log(pi[tokens]), np.log(ref[tokens])), "kl_k3", "sampled tokens")
    mean, error = estimates.mean(), estimates.std() / np.sqrt(SAMPLES)
    if abs(mean - exact) > 5 * error:
        raise Failed(f"kl_k3 averaged over {SAMPLES:,} tokens sampled from π: {mean:.5f}, but KL(π ‖ π_ref) = "
                     f"{exact:.5f} (±{error:.5f} expected)")
    return (f"averaged over {SAMPLES:,} tokens sampled from π, your k3 gives {mean:.5f} ± {error:.5f}; the exact "
            f"KL(π ‖ π_ref) is {exact:.5f} (§3's law of large numbers at work), and no estimate is below 0.")
