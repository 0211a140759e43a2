"""§9 Cross-entropy loss: −log of the probability the model gave the right answer.

Two models both put "Paris" first, at 90% and at 40%: cross-entropy tells
them apart (0.105 vs 0.916). The demo computes those losses with
``tensorgrad.functional.cross_entropy``, the post's table of −log p and the
slopes of its tangent lines with ``scalargrad`` (by backward, not by
formula), compares −log p with the naive loss 1 − p, checks that
cross-entropy = entropy + KL divergence (also for a teacher's soft target,
as in distillation), and takes one training step: the gradient with respect
to the logits is p − onehot, and the step raises p(Paris).

Nothing is trained for long: ``fast`` is accepted for symmetry with the
other demos and ignored.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure
from scalargrad import Value, kl_divergence
from tensorgrad import functional as F
from tensorgrad import tensor

TITLE = "§9 Cross-entropy loss: how wrong was I?"

CITIES = ("Paris", "London", "Berlin")
PARIS = 0  # the correct next token
CONFIDENT = (0.90, 0.05, 0.05)  # "Confident & Correct"
UNCERTAIN = (0.40, 0.35, 0.25)  # "Uncertain but Correct"
NEG_LOG = (("1.0", "0.0"), ("0.5", "0.69"), ("0.1", "2.30"), ("0.01", "4.61"), ("0.001", "6.91"))
SLOPES = (("0.1", "-10"), ("0.5", "-2"), ("0.9", "-1.1"))  # the tangent's slope at p
CURVE_LABELS = (("0.1", "2.30"), ("0.5", "0.69"), ("1.0", "0"))  # "The loss function shape" figure
TEACHER = (0.70, 0.20, 0.10)  # a teacher's soft target for distillation (our choice: the post gives none)
CLASSES = 5  # the random pair for H(p, q) = H(p) + KL(p ‖ q)
LEARNING_RATE = 1.0
SEED = 0
PICTURE = "cross_entropy_tangents.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (one training step is always fast)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _two_models(),
        _negative_log(),
        _asymmetry(),
        _tangents(out_dir / PICTURE),
        _entropy_plus_kl(np.random.default_rng(SEED)),
        _training_step(),
    ]


def _loss(probs, target=PARIS):
    """tensorgrad's cross_entropy for logits log p: −log p[target]."""
    logits = tensor(probs).log().reshape(1, len(probs))
    return F.cross_entropy(logits, np.array([target])).item()


def _neg_log(p):
    return -Value(p).log().data


def _shown(probs):
    return ", ".join(f"{city} {100 * p:.0f}%" for city, p in zip(CITIES, probs))


def _two_models():
    lines = ["The right next token is \"Paris\". Both models rank it first; cross_entropy(logits = log p, Paris):"]
    for name, probs, post in (("confident & correct", CONFIDENT, "0.105"), ("uncertain but correct", UNCERTAIN, "0.916")):
        lines += [f"  {name}: {_shown(probs)}",
                  figure(f"{name}: the three probabilities sum to", "100", 100 * tensor(probs).sum().item(), "%"),
                  figure(f"loss, {name}", post, _loss(probs))]
    lines += (
        f"Same top pick, yet the uncertain model's loss is {_loss(UNCERTAIN) / _loss(CONFIDENT):.1f} times larger:",
        "  the loss measures how confident the model was in the right answer, not just whether it was right.",
    )
    return Step("§9 Both models \"got it right\": the loss tells them apart").say(*lines)


def _negative_log():
    lines = ["The loss for a probability p on the right answer is −log p:"]
    lines += [figure(f"-log({p})", post, _neg_log(float(p))) for p, post in NEG_LOG]
    lines.append("Zero at 1, gentle near 1, exploding as p → 0. Labels of the post's loss curve:")
    lines += [figure(f"curve at p = {p}", post, _neg_log(float(p))) for p, post in CURVE_LABELS]
    lines.append(
        f"90% → 91% changes the loss by {_neg_log(0.90) - _neg_log(0.91):.3f}; 5% → 1% by"
        f" {_neg_log(0.01) - _neg_log(0.05):.2f}: barely vs a catastrophe."
    )
    return Step("§9 Negative log: zero for perfect, enormous for confidently wrong").say(*lines)


def _asymmetry():
    saved = _neg_log(0.9) - _neg_log(1.0)
    cost = _neg_log(0.01) - _neg_log(0.1)
    table = round(_neg_log(0.01), 2), round(_neg_log(0.1), 2)  # the post's table shows −log p to 2 decimals
    linear = (1 - Value(0.001)) - (1 - Value(0.01))
    log_added = _neg_log(0.001) - _neg_log(0.01)
    step = Step("§9 The asymmetry: confident mistakes cost far more than small gains save")
    step.record("the post's table values subtracted", table[0] - table[1])
    return step.say(
        figure("90% → 100% saves", "0.105", saved),
        figure("10% → 1% costs", "2.31", cost),
        f"  −log(0.01) − (−log(0.1)) = log 10 = {cost:.4f}, which rounds to {cost:.2f};",
        f"  the post's 2.31 is its rounded table values subtracted:"
        f" {table[0]:.2f} − {table[1]:.2f} = {table[0] - table[1]:.2f}.",
        "Why not the simpler loss 1 − p? From 1% to 0.1% on the right answer:",
        figure("1 − p adds", "0.009", linear.data),
        figure("−log p adds", "2.3", log_added),
        f"  1 − p barely moves ({linear.data:.3f}, a rounding error); −log p adds log 10 = {log_added:.3f},"
        " a screaming alarm.",
    )


def _tangents(path):
    lines = ["The slope of −log p at p, by backward() on a scalargrad Value (not by the formula −1/p):"]
    slopes = {}
    for p, post in SLOPES:
        prob = Value(float(p))
        loss = 0 - prob.log()
        loss.backward()
        slopes[float(p)] = prob.grad
        lines.append(figure(f"slope at p = {p}", post, prob.grad))
    lines.append("Steep at 0.1 (\"FIX THIS NOW!\"), moderate at 0.5, gentle at 0.9 (\"almost there\").")
    _picture(slopes, path)
    return Step("§9 Tangent lines: the slope is how urgently to improve").say(*lines).show(
        path, "−log p, its tangents at 0.1, 0.5, 0.9, and 1 − p"
    )


def _soft_cross_entropy(p, q):
    """H(p, q) = −Σ pᵢ log qᵢ, with log q from log_softmax of the logits log q."""
    return -(tensor(p) * F.log_softmax(tensor(q).log())).sum().item()


def _identity_line(step, name, p, q):
    """One line checking H(p, q) = H(p) + KL(p ‖ q); the three terms are recorded under ``name``."""
    cross = step.record(f"{name}: H(p, q)", _soft_cross_entropy(p, q))
    h = step.record(f"{name}: H(p)", F.entropy(logits=tensor(p).log()).item())
    kl = step.record(f"{name}: KL(p ‖ q)", F.kl_divergence(p_logits=tensor(p).log(), q_logits=tensor(q).log()).item())
    return (
        f"  {name}: H(p, q) = {cross:.4f};  H(p) + KL(p ‖ q) = {h:.4f} + {kl:.4f} = {h + kl:.4f}"
        f"  (gap {abs(cross - h - kl):.1g})"
    )


def _entropy_plus_kl(rng):
    p, q = rng.dirichlet(np.ones(CLASSES), size=2)
    step = Step("§9 Cross-entropy = entropy + KL divergence")
    onehot_kl = step.record("KL(onehot ‖ q)", kl_divergence(p=[1.0, 0.0, 0.0], q=list(UNCERTAIN)).data)
    return step.say(
        "With a target distribution p and the model's q: H(p, q) = −Σ p log q = H(p) + KL(p ‖ q).",
        _identity_line(step, f"random p, q on {CLASSES} classes", p, q),
        f"Distillation: the teacher's soft target {_shown(TEACHER)} instead of the one correct answer,",
        _identity_line(step, "teacher vs the 40/35/25 model", TEACHER, UNCERTAIN),
        _identity_line(step, "model matching the teacher", TEACHER, TEACHER),
        "  when q = p, KL = 0 and cross-entropy equals entropy: you literally can't do better.",
        f"A one-hot target (Paris) has H = 0, so the loss is all KL: KL(onehot ‖ q) = {onehot_kl:.3f}"
        f" = the {_loss(UNCERTAIN):.3f} above.",
        "Minimising cross-entropy = minimising KL: making the model's distribution match reality.",
    )


def _training_step():
    logits = tensor(tensor(UNCERTAIN).log().data.reshape(1, -1), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([PARIS]))
    loss.backward()
    probs = F.softmax(logits).data[0]
    formula = probs - np.eye(len(CITIES))[PARIS]
    after = F.softmax(tensor(logits.data - LEARNING_RATE * logits.grad)).data[0]
    confident = tensor(tensor(CONFIDENT).log().data.reshape(1, -1), requires_grad=True)
    F.cross_entropy(confident, np.array([PARIS])).backward()
    step = Step("§9 One training step: the gradient is p − onehot")
    for name, value in (("dLoss/dlogits, engine", logits.grad[0]), ("p − onehot", formula),
                        ("p(Paris) before", probs[PARIS]), ("p(Paris) after", after[PARIS]),
                        ("loss before", loss.item()), ("loss after", _loss(after)),
                        ("the 90% model's gradient on Paris", confident.grad[0, PARIS])):
        step.record(name, value)
    return step.say(
        f"Logits log p for {_shown(UNCERTAIN)}, loss {loss.item():.3f}. loss.backward() gives dLoss/dlogits:",
        "  engine:        [" + ", ".join(f"{g:+.4f}" for g in logits.grad[0]) + "]",
        "  p − onehot:    [" + ", ".join(f"{g:+.4f}" for g in formula) + "]"
        f"  (largest gap {np.abs(logits.grad[0] - formula).max():.1g})",
        f"Step logits −= {LEARNING_RATE} × gradient: Paris up, the others down. Now {_shown(after)}:",
        f"  p(Paris) {100 * probs[PARIS]:.1f}% → {100 * after[PARIS]:.1f}%,"
        f" loss {loss.item():.3f} → {_loss(after):.3f}.",
        f"The 90% model's gradient on Paris is only {confident.grad[0, PARIS]:+.2f}: a small nudge when almost there.",
    )


def _picture(slopes, path):
    grid = np.linspace(0.02, 1, 300)
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.plot(grid, -tensor(grid).log().data, color="black", label="loss = −log p")
    ax.plot(grid, 1 - grid, color="grey", linestyle="--", label="loss = 1 − p (too gentle)")
    for (p, slope), colour in zip(slopes.items(), ("tab:red", "tab:orange", "tab:green")):
        y = _neg_log(p)
        xs = np.linspace(max(p - 0.12, 0.01), min(p + 0.12, 1), 2)
        ax.plot(xs, y + slope * (xs - p), color=colour, linewidth=2.5)
        ax.plot(p, y, "o", color=colour)
        left = p > 0.8  # keep the last label inside the axes
        ax.annotate(f"p = {p}: slope {slope:.3g}", (p, y), textcoords="offset points",
                    xytext=(-4 if left else 10, 16 if left else 8), ha="right" if left else "left",
                    color=colour, fontsize=9)
    ax.set(xlim=(0, 1.02), ylim=(0, 4.2), xlabel="probability assigned to the correct token",
           ylabel="loss", title="Why −log p: the tangent's slope says how urgently to fix it")
    ax.legend(loc="upper right")
    save(fig, path)
