"""§16 Policy gradients / REINFORCE: "do more of what worked", on the post's five answers.

The reward has no gradient, but the log-probability of what the model did
has one: REINFORCE pushes along R·∇log π. The post's five answers to "What
is 15% of 240?" first: their arithmetic by ``scalargrad``, and a verifier that
gives each its reward from its final answer alone. Then, by ``tensorgrad``: one
REINFORCE step on those five answers (the two right ones become more likely,
the three wrong ones less); ∇log π = ∇π/π on a softmax policy; and why the
average of R·∇log π over sampled answers can stand in for the true gradient
of the expected reward: it is unbiased, and its error shrinks like 1/√n (the
law of large numbers, §3). Nothing here trains a model, so ``fast`` changes
nothing.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, number
from scalargrad import Value
from tensorgrad import functional as F
from tensorgrad import tensor
from tensorgrad.rl import advantages, reinforce_loss, token_log_probs

TITLE = "§16 REINFORCE: do more of what worked, with R × ∇log π"

SEED = 0
PERCENT, OF = 15, 240  # "What is 15% of 240?"
# The post's five answers and the reward R it gives each.
POST_ANSWERS = (
    ("15% of 240 = 0.15 × 240 = 36", "+1"),
    ("15% of 240 = 240/15 = 16", "-1"),
    ("10% is 24, half of that is 12, so 24+12 = 36", "+1"),
    ("15 + 240 = 255", "-1"),
    ("I'm not sure, maybe 30?", "-1"),
)
GUESS = 30  # answer 5's "maybe 30": a guess, with no arithmetic to check
REINFORCE_STEP = 0.5  # the plain gradient step taken on the five answers' logits
# A policy with preferences of its own over the same five answers (it likes "240/15" best), for the rest.
POLICY_LOGITS = [0.0, 1.0, -0.5, 0.5, -1.5]
SAMPLES = 10_000  # answers sampled for the running mean
REPEATS = 400  # seeded repeats of each sample size, for the typical error
SIZES = (10, 100, 1_000, 10_000)

ESTIMATE_PNG = "reinforce_estimate.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted like every demo's, and changes nothing (no training here)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_verified(), _five_answers(), _log_trick(), _unbiased(out_dir / ESTIMATE_PNG)]


# ---- the five answers' arithmetic, and the verifier's rewards ----------------------------------
def true_answer():
    """15% of 240, by scalargrad."""
    return (Value(PERCENT) / 100 * OF).data


def worked_answers():
    """The arithmetic each answer writes, by scalargrad: per answer, rows (what it writes, the post's result, Value)."""
    ten_percent = Value(0.10) * OF
    half = ten_percent / 2
    return (
        [("0.15 × 240", "36", Value(0.15) * OF)],
        [("240/15", "16", Value(OF) / PERCENT)],
        [("10% of 240", "24", ten_percent), ("half of that", "12", half), ("24 + 12", "36", ten_percent + half)],
        [("15 + 240", "255", Value(PERCENT) + OF)],
        [],  # "maybe 30?"
    )


def final_answers():
    """The number each answer ends on: its last computed value, or the guess."""
    return [rows[-1][2].data if rows else float(GUESS) for rows in worked_answers()]


def verifier(final, truth):
    """+1 if the final answer, written out ("36"), is the true one written out, else −1. It never sees the method."""
    return 1 if f"{final:g}" == f"{truth:g}" else -1


def rewards():
    """The verifier's reward for each of the post's five answers."""
    truth = true_answer()
    return np.array([verifier(final, truth) for final in final_answers()], dtype=float)


def _verified():
    truth, reward = true_answer(), rewards()
    step = Step("§16 The post's five answers, checked: each one's arithmetic, and a verifier's reward")
    step.record("the true answer", truth)
    step.say(
        f"The true answer, by scalargrad: {PERCENT}/100 × {OF} = {truth:g}.",
        "Each answer's own arithmetic, by scalargrad; then the verifier compares its final answer with the truth:",
    )
    for i, ((text, post_reward), rows, final, r) in enumerate(
        zip(POST_ANSWERS, worked_answers(), final_answers(), reward), start=1
    ):
        step.record(f"answer {i}: final answer", final)
        step.say(
            f"{i}. {text!r}",
            *(figure(f"answer {i}: {written}", post, value.data) for written, post, value in rows),
            f"   final answer {final:g} {'=' if r > 0 else '≠'} {truth:g} → R = {r:+.0f}",
            figure(f"answer {i}: reward R", post_reward, r),
        )
    return step.say(
        "Answers 2 and 4 compute correctly and still get −1: the method is wrong, and the verifier sees only the",
        "final answer. It says right or wrong, never why, and has no gradient: a black box, as §16 says.",
    )


# ---- one REINFORCE step on the post's five answers --------------------------------------------
def reinforce_on_post_answers():
    """One REINFORCE step on a policy that picks one of the post's five answers.

    The policy is a softmax over five logits, all 0 (each answer 20%); each
    answer is a one-token completion. Returns (advantages, probabilities
    before, probabilities after) with A = R (no baseline).
    """
    n = len(POST_ANSWERS)
    adv = advantages(rewards(), baseline="none")
    logits = tensor(np.zeros(n), requires_grad=True)
    batch = logits + np.zeros((n, 1, n))  # the same five logits for each of the five answers: (B, T=1, V)
    log_probs = token_log_probs(batch, np.arange(n)[:, None])  # log π(answer i)
    loss = reinforce_loss(log_probs, adv, np.ones((n, 1), dtype=bool))
    loss.backward()
    before = F.softmax(logits).data
    after = F.softmax(tensor(logits.data - REINFORCE_STEP * logits.grad)).data
    return adv, before, after


def _five_answers():
    reward = rewards()
    adv, before, after = reinforce_on_post_answers()
    step = Step("§16 \"What is 15% of 240?\": five answers, a reward each, one REINFORCE step").say(
        "A policy choosing among the post's five answers, each 20% to start (softmax of five zero logits).",
        f"Loss −A·log π with A = R (tensorgrad.rl.reinforce_loss), one gradient step of size {REINFORCE_STEP}:",
    )
    for name, value in (("R", reward), ("A", adv), ("π before", before), ("π after", after)):
        step.record(name, value)
    for (text, _), r, a, p, q in zip(POST_ANSWERS, reward, adv, before, after):
        step.say(f"  R = {r:+.0f}  A = {a:+.1f}  {100 * p:.1f}% → {100 * q:.1f}%  "
                 f"{'more' if q > p else 'less'} likely   {text!r}")
    step.say(*(figure(f"answer {i + 1} ({'more' if r == '+1' else 'less'} likely in the post): sign of the change",
                      r, np.sign(q - p)) for i, ((_, r), p, q) in enumerate(zip(POST_ANSWERS, before, after))))
    group = step.record("A with the group's mean as baseline", advantages(reward, baseline="group_mean"))
    return step.say(
        f"With the group's mean as baseline (§17): mean R = {number(reward.mean())},"
        f" A = {', '.join(f'{a:+.1f}' for a in group)}: the same directions.",
        "Next time, multiplying (right) is likelier, dividing or adding (wrong) less so: no label said which was right,",
        "only a reward after the fact.",
    )


# ---- ∇log π = ∇π / π ---------------------------------------------------------------------------
def gradients(logits):
    """For each answer a, by backward(): ∇π(a) and ∇log π(a) with respect to the logits, as (V, V) arrays."""
    n = len(logits)
    grads = {}
    for name, function in (("π", F.softmax), ("log π", F.log_softmax)):
        rows = tensor(np.tile(logits, (n, 1)), requires_grad=True)  # row a: the logits, to differentiate answer a
        function(rows).take_along_axis(np.arange(n)[:, None], axis=1).sum().backward()
        grads[name] = rows.grad
    return grads["π"], grads["log π"]


def _log_trick():
    pi = F.softmax(tensor(POLICY_LOGITS)).data
    grad_pi, grad_log_pi = gradients(POLICY_LOGITS)
    gap = np.abs(grad_log_pi - grad_pi / pi[:, None]).max()
    rare, common = int(pi.argmin()), int(pi.argmax())
    step = Step("§16 Why log π: ∇log π = ∇π / π, checked by backward()")
    for name, value in (("π", pi), ("∂π(a)/∂z_a", np.diag(grad_pi)), ("∂log π(a)/∂z_a", np.diag(grad_log_pi)),
                        ("largest |∇log π − ∇π/π|", gap)):
        step.record(name, value)
    step.say(
        f"A softmax policy over the five answers, logits {POLICY_LOGITS}. For each answer a,",
        "backward() gives ∇π(a) and ∇log π(a) with respect to all five logits; the pull on its own logit z_a:",
        "  answer   π(a)    ∂π(a)/∂z_a   ∂log π(a)/∂z_a",
        *(f"    {a + 1}     {pi[a]:.3f}     {grad_pi[a, a]:.3f}        {grad_log_pi[a, a]:.3f}" for a in range(len(pi))),
        f"  largest |∇log π − ∇π/π| over all answers and logits: {gap:.1e}",
    )
    return step.say(
        f"Dividing by π: the rare answer {rare + 1} (π = {pi[rare]:.3f}) gets a pull of {grad_log_pi[rare, rare]:.3f}"
        f" on its logit, {grad_log_pi[rare, rare] / grad_pi[rare, rare]:.0f}× its ∂π/∂z;",
        f"the common answer {common + 1} (π = {pi[common]:.3f}) gets {grad_log_pi[common, common]:.3f},"
        f" only {grad_log_pi[common, common] / grad_pi[common, common]:.1f}× its ∂π/∂z.",
        "A rare answer that turns out right gets a strong signal; a common one is not reinforced out of proportion.",
    )


# ---- E[R ∇log π] is the gradient of the expected reward ----------------------------------------
@dataclass
class Estimate:
    """The exact ∇E[R], one run's running mean of R·∇log π, and the typical error at each of SIZES."""

    exact: np.ndarray  # (V,)
    running: np.ndarray  # (SAMPLES, V): the mean of the first n per-sample estimates
    typical: np.ndarray  # (len(SIZES),): root-mean-square error over REPEATS runs of each size
    predicted: np.ndarray  # (len(SIZES),): √(total variance of one sample / n)
    small: np.ndarray  # (REPEATS, V): the estimates of the runs with the smallest size, SIZES[0]


def exact_gradient(logits, reward):
    """∇ E[R] = ∇ Σ π(a)·R(a): computable here because five answers can be listed, by backward()."""
    z = tensor(logits, requires_grad=True)
    (F.softmax(z) * reward).sum().backward()
    return z.grad


def per_sample_gradients(logits, actions, weights):
    """weightᵢ·∇log π(aᵢ) for each sampled answer aᵢ (weight: its reward R, or §17's advantage A).

    One backward() through a row of logits per sample: row i's gradient is sample i's estimate.
    """
    rows = tensor(np.tile(logits, (len(actions), 1)), requires_grad=True)
    log_pi = token_log_probs(rows[:, None, :], actions[:, None])  # (n, 1)
    (log_pi[:, 0] * weights).sum().backward()
    return rows.grad


def estimate():
    """The exact gradient beside its sampled estimates: one run's running mean, and REPEATS runs of each size."""
    rng = np.random.default_rng(SEED)
    reward = rewards()
    pi = F.softmax(tensor(POLICY_LOGITS)).data
    exact = exact_gradient(POLICY_LOGITS, reward)
    actions = rng.choice(len(pi), size=SAMPLES, p=pi)
    samples = per_sample_gradients(POLICY_LOGITS, actions, reward[actions])
    running = samples.cumsum(axis=0) / np.arange(1, SAMPLES + 1)[:, None]
    # A sample's R·∇log π depends only on which answer it drew: the mean of n samples is Σₐ (countₐ/n)·vectorₐ.
    vectors = per_sample_gradients(POLICY_LOGITS, np.arange(len(pi)), reward)
    runs = [rng.multinomial(n, pi, size=REPEATS) / n @ vectors for n in SIZES]
    typical = [np.sqrt(((means - exact) ** 2).sum(axis=1).mean()) for means in runs]
    variance = (pi[:, None] * (vectors - exact) ** 2).sum()
    return Estimate(exact, running, np.array(typical), np.sqrt(variance / np.array(SIZES)), runs[0])


def _unbiased(png):
    result = estimate()
    shown = " ".join(f"{g:+.4f}" for g in result.exact)
    step = Step("§16 E[R·∇log π] is the gradient of the expected reward: unbiased, and sharper with n")
    step.record("exact ∇E[R]", result.exact)
    step.say(
        f"The same policy (logits {POLICY_LOGITS}), the post's rewards R = {rewards().astype(int).tolist()}.",
        "With five answers, E[R] = Σ π(a)·R(a) can be written down and differentiated (backward()):",
        f"  exact ∇E[R] = [{shown}]",
        "A language model's answers cannot be listed, so REINFORCE samples: a ~ π, then R(a)·∇log π(a) (backward()).",
        f"One run's mean of its first n of {SAMPLES:,} seeded samples, and the typical error (root-mean-square)",
        f"over {REPEATS} seeded runs of each size n:",
        f"  {'n':>7}   {'one run: mean of R·∇log π':36}  {'its error':>9}   {'typical':>7}   √(variance/n)",
    )
    for n, typical, predicted in zip(SIZES, result.typical, result.predicted):
        mean = result.running[n - 1]
        error = np.linalg.norm(mean - result.exact)
        step.record(f"n = {n}: one run's mean, its error, typical error, √(variance/n)", (mean, error, typical, predicted))
        step.say(f"  {n:7,}   [{' '.join(f'{g:+.3f}' for g in mean)}]  {error:9.4f}   {typical:7.4f}   {predicted:.4f}")
    average = result.small.mean(axis=0)
    standard_error = result.small.std(axis=0) / np.sqrt(REPEATS)
    worst = step.record(f"largest gap of the n = {SIZES[0]} average, in standard errors",
                        (np.abs(average - result.exact) / standard_error).max())
    return step.say(
        f"Unbiased: the average of {REPEATS} estimates from only n = {SIZES[0]} samples each,"
        f" [{' '.join(f'{g:+.3f}' for g in average)}],",
        f"  is the exact gradient to within {worst:.1f} standard errors (the largest of the five gaps).",
        "The typical error matches √(variance of one sample / n): 100× the samples, 10× smaller error.",
        "The law of large numbers (§3) is what makes an average of sampled R·∇log π a reliable gradient.",
    ).show(_plot(result, png), "sample means of R·∇log π converge to the exact gradient")


def _plot(result, path):
    picture = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = picture.subplots(1, 2)
    counts = np.arange(1, SAMPLES + 1)
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    for a, color in enumerate(colors):
        left.plot(counts, result.running[:, a], color=color, linewidth=1, label=f"∂/∂z{a + 1}")
        left.axhline(result.exact[a], color=color, linestyle="--", linewidth=0.8)
    left.set_xscale("log")
    left.set_xlabel("number of sampled answers n")
    left.set_ylabel("mean of R·∇log π")
    left.set_title("one run's running mean (dashed: exact ∇E[R])")
    left.legend(fontsize=8, ncol=2)
    right.loglog(SIZES, result.typical, "o-", label=f"typical error over {REPEATS} runs")
    right.loglog(SIZES, result.predicted, "k--", label="√(variance of one sample / n)")
    right.set_xlabel("number of sampled answers n")
    right.set_ylabel("‖mean − exact‖")
    right.set_title("the error shrinks like 1/√n")
    right.legend(fontsize=8)
    picture.suptitle("§16 REINFORCE's estimate is unbiased: averaged over samples, it is the exact gradient")
    return save(picture, path)
