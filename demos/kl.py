"""§15 KL divergence: how far a trained model has drifted from the original, the leash of RL training.

The post's figures, computed by ``tensorgrad``: its two KL values (0.3, healthy
drift; 4.8, the penalty kicks in) as shifted next-token distributions found by
bisection; KL as the extra surprise H(P, Q) − H(P); KL ≥ 0 with 0 only at
P = Q; the asymmetry; the reward with the leash folded in; forward vs reverse
KL, with a one-peaked Q fitted to a two-peaked P by gradient descent on each
direction (``demos._kl_fit``); and the sample estimates k1 and k3 that RL
trainers use when only the sampled tokens are at hand. Nothing here trains a
model, so ``fast`` changes nothing.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._kl_fit import FIT_STEPS, GRID, PEAKS, Q_STARTS, fit_q, target_log_probs
from demos._plots import save
from demos._solve import bisect
from demos._stepper import Step, figure, illustrative, number
from tensorgrad import functional as F
from tensorgrad import tensor
from tensorgrad.rl import kl_estimate, kl_exact, kl_shaped_rewards

TITLE = "§15 KL divergence: the leash that keeps a trained model near the original"

SEED = 0
# The post's leash figure: two KL values, without the distributions behind them.
DRIFTS = (("0.3", "Healthy drift"), ("4.8", "Penalty kicks in"))
TOKENS = np.arange(41)  # a vocabulary of 41 tokens, in the order the bell below puts them
CENTRE, WIDTH = 14.0, 3.0  # P, the original model: a bell over the tokens, peaked at token 14
# The post's "extra surprise" example: H(P) = 1.5, H(P, Q) = 2.3, so D = 0.8 nats.
H_P, H_PQ, D_PQ = "1.5", "2.3", "0.8"
SCORES = np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.0])  # six outcomes; P = softmax(a · SCORES)
TILT = np.linspace(0.0, 1.0, len(SCORES))  # Q = softmax(a · SCORES + t · TILT): belief moved to the tail
RANDOM_PAIRS = 10_000  # random (P, Q) pairs for the "KL ≥ 0" check
# Asymmetry: P splits its mass over two outcomes, Q bets nearly everything on the first.
ASYMMETRY_P, ASYMMETRY_Q = (0.49, 0.49, 0.02), (0.98, 0.01, 0.01)
REWARD = 1.0  # a correct answer's reward, before the leash
BETAS = (0.01, 0.1, 1.0)  # leash lengths β
SAMPLES = (10, 100, 1_000, 10_000, 100_000)  # sample counts for the k1/k3 estimates

LEASH_PNG = "kl_leash.png"
FITS_PNG = "kl_fits.png"
ESTIMATES_PNG = "kl_estimates.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted like every demo's, and changes nothing (no training here)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drifts = [drifted(float(kl)) for kl, _ in DRIFTS]
    return [
        _leash(drifts, out_dir / LEASH_PNG),
        _extra_surprise(),
        _never_negative(),
        _asymmetry(),
        _reward_adjusted(drifts),
        _forward_vs_reverse(out_dir / FITS_PNG),
        _estimates(drifts, out_dir / ESTIMATES_PNG),
    ]


def kl(p_logits, q_logits):
    """KL(P ‖ Q) in nats, by ``functional.kl_divergence`` (which takes logits)."""
    return F.kl_divergence(p_logits=tensor(p_logits), q_logits=tensor(q_logits)).item()


# ---- the leash: KL = 0.3 and KL = 4.8 ----------------------------------------------------------
def bell(centre):
    """Logits of a bell over TOKENS peaked at ``centre``: softmax makes it a next-token distribution."""
    return -0.5 * ((TOKENS - centre) / WIDTH) ** 2


@dataclass
class Drift:
    """P (the original model) and Q (the trained one, P's bell moved by ``shift`` tokens), and KL(P ‖ Q)."""

    shift: float
    p_logits: np.ndarray
    q_logits: np.ndarray
    kl: float


def drifted(target):
    """Q = P moved along the tokens far enough that KL(P ‖ Q) = ``target`` (bisection on the shift)."""
    p = bell(CENTRE)
    shift = bisect(lambda s: kl(p, bell(CENTRE + s)), target, 0.0, 20.0)
    q = bell(CENTRE + shift)
    return Drift(shift, p, q, kl(p, q))


def _leash(drifts, png):
    step = Step("§15 The leash: how far has the trained model drifted from the original?").say(
        "The post shows two drifts, KL = 0.3 and KL = 4.8, without the distributions behind them. Here P, the",
        f"original model's next-token distribution, is a bell over {len(TOKENS)} tokens (width {WIDTH:.0f}); Q, the"
        " trained model,",
        "is the same bell moved along the tokens, just far enough (found by bisection) to hit each KL:",
    )
    for (post, words), drift in zip(DRIFTS, drifts):
        step.record(f"{words.lower()}: shift", drift.shift)
        step.say(illustrative(
            f"KL(P‖Q), {words.lower()}", post, " nats", engine=drift.kl,
            note=f"the post gives no P, Q; its bell moved by {drift.shift:.2f} tokens has KL(P‖Q) = {drift.kl:.4f}"))
    step.say(
        f"  (for a bell moved by s tokens KL ≈ s²/(2·{WIDTH:.0f}²): "
        + ", ".join(f"{d.shift:.2f}²/{2 * WIDTH**2:.0f} = {d.shift**2 / (2 * WIDTH**2):.2f}" for d in drifts) + ")",
        "Healthy drift: the two bells still overlap; past a few nats the trained model lives where the original",
        "would rarely go, and the penalty takes back much of the reward (see the step on reward − β·KL).",
    )
    return step.show(_plot_leash(drifts, png), "P and Q at KL = 0.3 and KL = 4.8")


# ---- KL = cross-entropy − entropy --------------------------------------------------------------
def cross_entropy(p_logits, q_logits):
    """H(P, Q) = −Σ P(x)·log Q(x): the average surprise of believing Q when P is true."""
    return -(F.softmax(tensor(p_logits)) * F.log_softmax(tensor(q_logits))).sum().item()


def entropy(logits):
    return F.entropy(logits=tensor(logits)).item()


def surprise_pair():
    """P with H(P) = 1.5 and Q with H(P, Q) = 2.3, the post's numbers, found by two bisections."""
    sharpness = bisect(lambda a: entropy(a * SCORES), float(H_P), 0.0, 10.0)  # H falls as a grows
    p = sharpness * SCORES
    tilt = bisect(lambda t: kl(p, p + t * TILT), float(H_PQ) - float(H_P), 0.0, 20.0)
    return sharpness, tilt, p, p + tilt * TILT


def _extra_surprise():
    sharpness, tilt, p, q = surprise_pair()
    h_p, h_pq, d = entropy(p), cross_entropy(p, q), kl(p, q)
    subtraction = (tensor(float(H_PQ)) - tensor(float(H_P))).item()
    probabilities = F.softmax(tensor([p, q])).data
    step = Step("§15 KL is the extra surprise of believing Q when P is true: D(P‖Q) = H(P, Q) − H(P)")
    step.record("P's sharpness and Q's tilt", (sharpness, tilt))
    return step.say(
        "The post's example gives the two entropies but no distributions. Two bisections find six-outcome ones:",
        f"  P = softmax({sharpness:.3f} × {SCORES.tolist()}) = [{_probabilities(probabilities[0])}]",
        f"  Q = softmax(that + {tilt:.3f} × {np.round(TILT, 1).tolist()}) = [{_probabilities(probabilities[1])}]",
        illustrative("H(P), the true distribution's surprise", H_P, " nats", engine=h_p,
                     note="the post gives no P; the P above has H(P) = −Σ P log P = " + number(h_p)),
        illustrative("H(P, Q), the average surprise believing Q", H_PQ, " nats", engine=h_pq,
                     note="the post gives no Q; the Q above has H(P, Q) = −Σ P log Q = " + number(h_pq)),
        figure("D(P‖Q) = 2.3 − 1.5", D_PQ, subtraction, " nats"),
        f"  for that P and Q, functional.kl_divergence gives Σ P·log(P/Q) = {d:.6f},",
        f"  and H(P, Q) − H(P) = {h_pq - h_p:.6f}: the same number (they differ by {abs(d - (h_pq - h_p)):.0e})",
        figure("D(P‖Q) if Q = P exactly", "0", kl(p, p), " nats"),
    )


def _probabilities(row):
    return ", ".join(f"{x:.3f}" for x in row)


# ---- KL ≥ 0, and 0 only at P = Q ---------------------------------------------------------------
def _never_negative():
    rng = np.random.default_rng(SEED)
    p_logits, q_logits = (2 * rng.standard_normal((RANDOM_PAIRS, len(SCORES))) for _ in range(2))
    divergences = F.kl_divergence(p_logits=tensor(p_logits), q_logits=tensor(q_logits)).data
    same = F.kl_divergence(p_logits=tensor(p_logits), q_logits=tensor(p_logits)).data
    noise = rng.standard_normal(len(SCORES))
    near = [(eps, kl(p_logits[0], p_logits[0] + eps * noise)) for eps in (1.0, 0.1, 0.01)]
    step = Step("§15 KL ≥ 0, and KL = 0 only when P = Q: checked on random distributions")
    step.record("KL(P‖Q): smallest, negative ones, largest",
                (divergences.min(), (divergences < 0).sum(), divergences.max()))
    return step.say(
        f"{RANDOM_PAIRS:,} random pairs (P, Q) of distributions over {len(SCORES)} outcomes (logits ~ 2·N(0, 1), seed"
        f" {SEED}):",
        f"  smallest KL(P‖Q) {divergences.min():.2e}, negative ones {int((divergences < 0).sum())}, largest"
        f" {divergences.max():.2f}",
        f"  KL(P‖P) for all of them: largest {np.abs(same).max():.1e}",
        "  Q → P, Q = softmax(logits of P + ε·noise): "
        + "; ".join(f"ε {eps}: KL {value:.1e}" for eps, value in near),
        "  KL shrinks like ε²: near P = Q it is flat, a minimum of 0, as a sum of squares would be.",
        "You can never be less surprised on average by the wrong model than by the right one.",
    )


# ---- not symmetric ------------------------------------------------------------------------------
def _asymmetry():
    p, q = np.log(ASYMMETRY_P), np.log(ASYMMETRY_Q)  # logits: softmax(log p) = p
    step = Step("§15 KL is not symmetric: D(P‖Q) ≠ D(Q‖P)")
    forward, reverse = step.record("D(P‖Q), D(Q‖P)", (kl(p, q), kl(q, p)))
    return step.say(
        f"P = {list(ASYMMETRY_P)} splits its mass; Q = {list(ASYMMETRY_Q)} bets nearly all of it on the first outcome.",
        f"  D(P‖Q) = {forward:.3f} nats: where P has mass (0.49 on outcome 2) Q has almost none (0.01): costly",
        f"  D(Q‖P) = {reverse:.3f} nats: Q's own mass sits where P has plenty; missing P's second outcome is cheap",
        f"  {forward:.3f} ≠ {reverse:.3f}: the direction decides what a fit is punished for (forward vs reverse, below).",
    )


# ---- the leash on the reward -------------------------------------------------------------------
def _reward_adjusted(drifts):
    kl_per_token = np.array([[drift.kl] for drift in drifts])
    mask = np.ones(kl_per_token.shape, dtype=bool)
    step = Step("§15 The leash on the reward: reward_adjusted = reward − β·D_KL")
    lines = [
        f"reward_adjusted = reward − β·D_KL (tensorgrad.rl.kl_shaped_rewards), for a correct answer (reward {REWARD})",
        "from the healthy and the excessive drift above:",
        "      β     KL = " + "   KL = ".join(f"{d.kl:.1f}" for d in drifts),
    ]
    for beta in BETAS:
        adjusted = step.record(f"β = {beta}", kl_shaped_rewards([REWARD] * len(drifts), kl_per_token, mask, beta))
        lines.append(f"  {beta:5}      " + "      ".join(f"{a:+.3f}" for a in adjusted))
    return step.say(
        *lines,
        f"β = {BETAS[0]}: drifting far costs almost nothing, the leash is too long. β = {BETAS[-1]}: the excessive"
        " drift turns",
        f"a correct answer into a loss, and even healthy drift costs {BETAS[-1] * drifts[0].kl:.1f} of the reward:"
        " too short, the model",
        "can hardly move. β sets the leash's length; choosing it is part of the craft.",
    )


# ---- forward vs reverse: one bump fitted to two peaks ------------------------------------------
def _forward_vs_reverse(png):
    log_p = target_log_probs()
    p = np.exp(log_p)
    mean = float((p * GRID).sum())
    std = math.sqrt(float((p * (GRID - mean) ** 2).sum()))
    fits = [fit_q("forward", "broad", log_p), fit_q("reverse", "broad", log_p), fit_q("reverse", "right", log_p)]
    forward, reverse, other = fits
    q_mean = float((forward.q * GRID).sum())
    q_std = math.sqrt(float((forward.q * (GRID - q_mean) ** 2).sum()))
    (w1, c1, s1), (w2, c2, _) = PEAKS
    step = Step("§15 Forward vs reverse KL: one bump fitted to two peaks, by gradient descent").say(
        f"P: two bumps on a grid of {len(GRID)} points in [{GRID[0]:.0f}, {GRID[-1]:.0f}]: {w1:.0%} at x = {c1}"
        f" and {w2:.0%} at x = {c2}, each of width {s1}.",
        f"Q: a single bump with a centre μ and a width σ. Adam on (μ, log σ), {FIT_STEPS} steps,",
        f"  from μ = {Q_STARTS['broad'][0]}, σ = {Q_STARTS['broad'][1]} (broad, over both peaks):",
        "  minimise           μ        σ      KL(P‖Q)   KL(Q‖P)",
    )
    for fit in fits:
        name = "KL(P‖Q) forward" if fit.direction == "forward" else "KL(Q‖P) reverse"
        if fit.start != "broad":
            name += " *"
        step.record(f"{name}: μ, σ", (fit.mu, fit.sigma))
        step.say(f"  {name:17} {fit.mu:+6.2f}   {fit.sigma:5.2f}   {fit.forward_kl:7.3f}   {fit.reverse_kl:7.3f}")
    step.say(
        f"Forward (mode-covering): Q spreads over both peaks. Its mean {q_mean:+.2f} and spread {q_std:.2f} are P's"
        f" ({mean:+.2f}, {std:.2f}):",
        "  minimising KL(P‖Q) over this family matches them. Used in distillation.",
        f"Reverse (mode-seeking): Q sits on the higher peak (μ = {reverse.mu:+.2f}, σ = {reverse.sigma:.2f}) and ignores"
        " the other;",
        "  it pays nothing for the mass of P it misses. Used in RLHF.",
        f"* started at μ = {Q_STARTS['right'][0]}, σ = {Q_STARTS['right'][1]}: reverse KL settles on the *lower* peak"
        f" (μ = {other.mu:+.2f}) instead,",
        f"  a worse fit (KL(Q‖P) {other.reverse_kl:.3f} > {reverse.reverse_kl:.3f}) that gradient descent cannot leave."
        " Mode-seeking picks *a* mode,",
        "  not always the best one.",
        "RLHF's and GRPO's leash is the reverse one, KL(π ‖ π_ref), with the policy first (tensorgrad.rl.kl_exact).",
    )
    return step.show(_plot_fits(p, fits, png), "forward KL covers both peaks, reverse KL picks one")


# ---- KL from samples: the k1 and k3 estimators -------------------------------------------------
@dataclass
class Estimates:
    """Running means of k1 and k3 over samples x ~ π, and the exact KL(π ‖ π_ref) they estimate."""

    exact: float
    k1: np.ndarray  # running mean after 1, 2, ... samples
    k3: np.ndarray
    spread: tuple  # per-sample standard deviations of k1 and k3


def estimates(drift, rng):
    """π = Q (the trained model), π_ref = P; max(SAMPLES) tokens sampled from π, estimated by rl.kl_estimate."""
    log_pi = F.log_softmax(tensor(drift.q_logits)).data
    log_ref = F.log_softmax(tensor(drift.p_logits)).data
    tokens = rng.choice(len(TOKENS), size=max(SAMPLES), p=np.exp(log_pi))
    per_sample = {name: kl_estimate(log_pi[tokens][None], log_ref[tokens][None], name).data[0]
                  for name in ("k1", "k3")}
    counts = np.arange(1, max(SAMPLES) + 1)
    return Estimates(kl_exact(tensor(drift.q_logits), tensor(drift.p_logits)).item(),
                     per_sample["k1"].cumsum() / counts, per_sample["k3"].cumsum() / counts,
                     (per_sample["k1"].std(), per_sample["k3"].std()))


def _estimates(drifts, png):
    rng = np.random.default_rng(SEED)
    runs = [estimates(drift, rng) for drift in drifts]
    healthy = runs[0]
    step = Step("§15 KL from samples: the k1 and k3 estimates approach the exact KL (law of large numbers, §3)").say(
        "A trainer sees only the tokens π sampled, not whole distributions. With r = π_ref(x)/π(x) for a sampled x:",
        "  k1 = −log r and k3 = r − 1 − log r both average to KL(π‖π_ref) (tensorgrad.rl.kl_estimate);",
        "  k3 is never negative (log r ≤ r − 1). Here π = Q and π_ref = P of the healthy drift,",
        f"  whose exact KL(Q‖P) (rl.kl_exact) is {healthy.exact:.4f}:",
        "       n      k1 mean    k3 mean",
        *(f"  {n:7,}     {healthy.k1[n - 1]:.4f}     {healthy.k3[n - 1]:.4f}" for n in SAMPLES),
    )
    for (_, words), run in zip(DRIFTS, runs):
        step.record(f"{words.lower()}: exact, k1 and k3 means, spreads", (run.exact, run.k1[-1], run.k3[-1], run.spread))
        step.say(f"  {words.lower()} (exact KL {run.exact:.2f}): one sample's spread k1 ± {run.spread[0]:.2f},"
                 f" k3 ± {run.spread[1]:.2f};",
                 f"    mean of {max(SAMPLES):,} samples: k1 {run.k1[-1]:.3f}, k3 {run.k3[-1]:.3f}")
    step.say(
        "Close to π_ref, k3 varies less than k1. Far from it, a rare token with a huge r makes k3 jump (the picture):",
        "its spread is then far larger than k1's.",
        "Either way the error of a mean of n samples shrinks like 1/√n.",
    )
    return step.show(_plot_estimates(runs, png), "k1 and k3 running means against the exact KL")


# ---- pictures ----------------------------------------------------------------------------------
def _plot_leash(drifts, path):
    picture = Figure(figsize=(9, 3.4), layout="constrained")
    for axes, (post, words), drift in zip(picture.subplots(1, 2, sharey=True), DRIFTS, drifts):
        p, q = F.softmax(tensor([drift.p_logits, drift.q_logits])).data
        axes.fill_between(TOKENS, np.minimum(p, q), color="lightgray", step="mid", label="overlap")
        axes.step(TOKENS, p, where="mid", color="tab:blue", label="P, original model")
        axes.step(TOKENS, q, where="mid", color="tab:red", label="Q, trained model")
        axes.set_title(f"KL(P‖Q) = {drift.kl:.1f}: {words.lower()} (post: {post})")
        axes.set_xlabel("token")
        axes.legend(fontsize=8)
    picture.axes[0].set_ylabel("next-token probability")
    return save(picture, path)


def _plot_fits(p, fits, path):
    picture = Figure(figsize=(8, 4.5), layout="constrained")
    axes = picture.subplots()
    axes.fill_between(GRID, p, color="lightgray", label="P (two peaks)")
    styles = {("forward", "broad"): ("tab:blue", "-"), ("reverse", "broad"): ("tab:red", "-"),
              ("reverse", "right"): ("tab:red", ":")}
    for fit in fits:
        color, line = styles[fit.direction, fit.start]
        which = "KL(P‖Q), mode-covering" if fit.direction == "forward" else "KL(Q‖P), mode-seeking"
        axes.plot(GRID, fit.q, color=color, linestyle=line,
                  label=f"Q minimising {which} (start {fit.start}): μ {fit.mu:+.2f}, σ {fit.sigma:.2f}")
    axes.set_xlabel("x")
    axes.set_ylabel("probability on the grid")
    axes.set_title("§15 forward vs reverse KL: a one-peaked Q fitted to a two-peaked P")
    axes.set_ylim(0, 1.4 * max(p.max(), *(fit.q.max() for fit in fits)))  # room for the legend
    axes.legend(fontsize=8, loc="upper right")
    return save(picture, path)


def _plot_estimates(runs, path):
    picture = Figure(figsize=(9, 3.6), layout="constrained")
    counts = np.unique(np.geomspace(1, max(SAMPLES), 400).astype(int))  # enough points for a smooth log axis
    for axes, (post, words), run in zip(picture.subplots(1, 2), DRIFTS, runs):
        axes.plot(counts, run.k1[counts - 1], color="tab:orange", linewidth=1, label="k1 = −log r, running mean")
        axes.plot(counts, run.k3[counts - 1], color="tab:green", linewidth=1, label="k3 = r − 1 − log r, running mean")
        axes.axhline(run.exact, color="black", linestyle="--", label=f"exact KL(π‖π_ref) = {run.exact:.2f}")
        axes.set_xscale("log")
        axes.set_xlabel("number of sampled tokens")
        axes.set_title(f"{words.lower()} (post: KL = {post})")
        axes.legend(fontsize=8)
    picture.axes[0].set_ylabel("estimate of KL (nats)")
    return save(picture, path)
