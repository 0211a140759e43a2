"""The group-advantages check (§17): the post's groups, random ones and equal-rewards groups, against tensorgrad."""

import numpy as np

from exercises.grader import as_array, expect_close, show
from exercises.mistakes import found
from tensorgrad.rl import advantages

POST = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])  # §17's four responses; a 3-of-4 group
QUICK_CHECK = np.array([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]])  # the post's quiz: 3 of 8 correct
TIED = np.array([[1.0, 1.0, 1.0], [0.1, 0.1, 0.1], [0.0, 1.0, 0.5]])


def check(module):
    rng = np.random.default_rng(10)
    cases = [(f"rewards {show(TIED)} (two equal-rewards groups)", TIED),  # first: 0/0 is the mistake to catch
             (f"§17's rewards {show(POST)}", POST),
             (f"the quiz's rewards {show(QUICK_CHECK)}", QUICK_CHECK),
             ("random rewards of shape (3, 5)", rng.standard_normal((3, 5)))]
    for normalize in (False, True):
        for case, r in cases:
            case = f"{case}, normalize_std={normalize}"
            expected = advantages(r, "group_mean", normalize_std=normalize)
            got = as_array(module.group_advantages(r.copy(), normalize_std=normalize, eps=1e-4), "advantages", case)
            if got.shape == r.shape and not np.isfinite(got).all():
                row = int(np.argwhere(~np.isfinite(got))[0][0])
                raise found("equal_rewards_group", f"advantages for {case}: row {row} is {show(got[row])}, expected "
                                                   f"{show(expected[row])}")
            expect_close(got, expected, "advantages", case, wrong=_mistakes(r, normalize))
    quiz = module.group_advantages(QUICK_CHECK, normalize_std=False)[0]
    return [(f"the post's quiz: 3 of 8 correct, mean 0.375, so a correct answer's advantage is {quiz[0]:+.3f} and a "
             f"wrong one's {quiz[-1]:+.3f}; equal-rewards groups get exactly 0.")]


def _mistakes(r, normalize):
    """What the advantages would be with the whole batch as the curve, or with the sample std."""
    batch = r - r.mean()
    sample = (r - r.mean(axis=1, keepdims=True)) / (r.std(axis=1, ddof=1, keepdims=True) + 1e-4)
    if normalize:
        batch = batch / (r.std() + 1e-4)
    tied = (r.max(axis=1) == r.min(axis=1))[:, None]
    return [("batch_not_group_mean", np.where(tied, 0.0, batch) if r.shape[0] > 1 else None),
            ("batch_not_group_mean", batch if r.shape[0] > 1 else None),
            ("sample_std", np.where(tied, 0.0, sample) if normalize else None)]
