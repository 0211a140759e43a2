"""§11 Norms & regularization: measuring how far weights drift, and the rubber band pulling them back.

The L1 and L2 norms of the post's rubber-band weights come from scalargrad's ``l1``, ``l2``
(the sum of squares, Σw², the L2 *penalty*) and ``l2_norm`` (its square root, ‖w‖₂); each
weight's pull is the gradient of its penalty w², 2w, from ``backward()``. Then a small seeded
linear regression (8 features, only 3 used) is solved for a sweep of penalty strengths λ, with
L1 (proximal gradient descent: a gradient step on the data fit, then soft-thresholding) and with
L2 (gradient descent on fit + λ·Σw²); both gradients come from tensorgrad's backward(). The L1
weights hit exactly 0 one by one; the L2 weights shrink but never reach 0. Last, weight decay is
checked to be the L2 penalty's gradient applied at every update. Nothing here is slow, so
``fast`` is accepted and ignored.
"""

from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, number
from scalargrad import Value, l1, l2, l2_norm
from tensorgrad import functional as F
from tensorgrad import optim, tensor

TITLE = "§11 Norms & regularization: keeping the weights on a leash"

RUBBER_BAND = [5.0, 2.0, 0.3, -3.0]  # the post's weights w1..w4
POST_PULLS = ("10.0", "4.0", "0.6", "6.0")  # the post's pull on each (the last one "toward 0")
POST_PENALTIES = ((5.0, "25"), (0.3, "0.09"))  # "A weight of 5.0 gets penalty 25. A weight of 0.3 gets penalty 0.09."
OUTLIER, SPREAD = [4.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]  # the same L1 norm, one big weight vs many small
# The regression: y = X·TRUE_WEIGHTS + noise, with only the first 3 of 8 features used.
TRUE_WEIGHTS = [3.0, -2.0, 1.5, 0.0, 0.0, 0.0, 0.0, 0.0]
TRAIN, HELD_OUT, NOISE, SEED = 40, 500, 1.0, 0
N_LAMBDAS, LAMBDA_RANGE = 30, 1e-3  # λ from the smallest that zeroes every L1 weight down to 1000× smaller
SHOWN_EVERY = 3  # rows printed from the sweep
TOLERANCE, MAX_ITERATIONS = 1e-10, 5000  # stop when no weight moves by more than TOLERANCE
DECAY_LR, DECAY, DECAY_STEPS = 0.1, 0.5, 20  # the weight-decay check
PATHS_PNG = "norms_paths.png"
RUBBER_BAND_PNG = "norms_rubber_band.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted for symmetry with the training demos (this one is always fast)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    problem = regression_problem()
    lambdas, l1_path, l2_path = regularization_paths(*problem[:2])
    return [
        _norms(),
        _rubber_band(out_dir / RUBBER_BAND_PNG),
        _paths(lambdas, l1_path, l2_path, out_dir / PATHS_PNG),
        _held_out(problem, lambdas, l1_path, l2_path),
        _weight_decay(*problem[:2]),
    ]


def regression_problem():
    """(x, y, held-out x, held-out y): y = x·TRUE_WEIGHTS + Gaussian noise, from SEED."""
    rng = np.random.default_rng(SEED)
    xs = [rng.standard_normal((n, len(TRUE_WEIGHTS))) for n in (TRAIN, HELD_OUT)]
    ys = [x @ TRUE_WEIGHTS + NOISE * rng.standard_normal(len(x)) for x in xs]
    return xs[0], ys[0], xs[1], ys[1]


def fit_loss(w, x, y):
    """The data fit: half the mean squared error of x·w against y (a tensorgrad Tensor)."""
    residual = tensor(x) @ w - tensor(y)
    return (residual * residual).mean() / 2


def fit_gradient(w, x, y):
    """d fit / d w by tensorgrad's backward()."""
    weights = tensor(w, requires_grad=True)
    fit_loss(weights, x, y).backward()
    return weights.grad


def soft_threshold(z, threshold):
    """The L1 penalty's step: shrink every weight toward 0 by ``threshold``; those within it become exactly 0."""
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def regularization_paths(x, y):
    """λ from large to small, and the L1 and L2 solutions for each (each run starts from the previous λ's answer)."""
    n = len(y)
    start = np.abs(x.T @ y).max() / n  # above this λ the L1 solution is all zeros
    lambdas = np.geomspace(start, start * LAMBDA_RANGE, N_LAMBDAS)
    curvature = np.linalg.norm(x, 2) ** 2 / n  # the fit's steepest curvature: a step of 1/curvature is safe
    l1_path, l2_path = [], []
    w1 = w2 = np.zeros(x.shape[1])
    for lam in lambdas:
        w1 = _until_still(partial(_l1_step, x=x, y=y, lam=lam, lr=1 / curvature), w1)
        w2 = _until_still(partial(_l2_step, x=x, y=y, lam=lam, lr=1 / (curvature + 2 * lam)), w2)
        l1_path.append(w1)
        l2_path.append(w2)
    return lambdas, np.array(l1_path), np.array(l2_path)


def _l1_step(w, x, y, lam, lr):
    """One proximal-gradient step on fit + λ·‖w‖₁: a gradient step on the fit, then soft-thresholding."""
    return soft_threshold(w - lr * fit_gradient(w, x, y), lr * lam)


def _l2_step(w, x, y, lam, lr):
    """One gradient-descent step on fit + λ·Σw², the penalty through tensorgrad's F.l2."""
    weights = tensor(w, requires_grad=True)
    (fit_loss(weights, x, y) + lam * F.l2(weights)).backward()
    return w - lr * weights.grad


def _until_still(update, w):
    """Apply ``update`` until no weight moves by more than TOLERANCE."""
    for _ in range(MAX_ITERATIONS):
        new = update(w)
        if np.abs(new - w).max() < TOLERANCE:
            return new
        w = new
    raise RuntimeError(f"no convergence in {MAX_ITERATIONS} iterations")


def _norms():
    w = [Value(v) for v in RUBBER_BAND]
    absolutes = " + ".join(f"|{number(v)}|" for v in RUBBER_BAND)
    squares = " + ".join(number((v**2).data) for v in w)
    step = Step("§11 Norms: measuring how far weights have drifted")
    for name, value in (("‖w‖₁", l1(w).data), ("Σw²", l2(w).data), ("‖w‖₂", l2_norm(w).data)):
        step.record(name, value)
    lines = [
        f"w = {RUBBER_BAND}",
        f"  ‖w‖₁ = {absolutes} = {number(l1(w).data)}   (scalargrad l1: the city-grid distance)",
        f"  Σw² = {squares} = {number(l2(w).data)}   (scalargrad l2: the L2 penalty, no square root)",
        f"  ‖w‖₂ = √{number(l2(w).data)} = {l2_norm(w).data:.4f}   (scalargrad l2_norm: the straight-line distance)",
        (
            f"  tensorgrad agrees: F.l1 = {number(F.l1(tensor(RUBBER_BAND)).item())},"
            f" F.l2 = {number(F.l2(tensor(RUBBER_BAND)).item())} (also the sum of squares)"
        ),
        "L2 penalizes one big outlier more than many small weights; L1 cannot tell them apart:",
    ]
    for name, v in (("one outlier", OUTLIER), ("spread out", SPREAD)):
        step.record(f"{name}: ‖w‖₁, ‖w‖₂", (l1(v).data, l2_norm(v).data))
        lines.append(f"  {name:11} {v}: ‖w‖₁ = {number(l1(v).data)}, ‖w‖₂ = {number(l2_norm(v).data)}")
    return step.say(*lines)


def _rubber_band(path):
    w = [Value(v, label=f"w{i}") for i, v in enumerate(RUBBER_BAND, start=1)]
    l2(w).backward()  # d(Σw²)/dwᵢ = 2wᵢ: each weight's own penalty wᵢ² is the only term that depends on it
    step = Step("§11 L2 regularization: bigger weights get pulled harder")
    lines = ["Each weight's penalty is w²; its gradient 2w (from backward()) is the rubber band's pull:"]
    for weight, post in zip(w, POST_PULLS):
        toward = "down" if weight.grad > 0 else "up"
        step.record(f"{weight.label}: gradient", weight.grad)
        lines += [
            (
                f"  {weight.label} = {number(weight.data):>4}: gradient {number(weight.grad):>5},"
                f" so a descent step −lr·({number(weight.grad)}) moves it {toward}, toward 0"
            ),
            figure(f"pull on {number(weight.data)}", post, abs(weight.grad)),
        ]
    lines.append("The post prints the size of the pull; its direction is always toward 0 (the gradient's sign is w's).")
    (big, _), (small, _) = POST_PENALTIES
    penalties = [(Value(v) ** 2).data for v in (big, small)]
    l1_pulls = step.record("L1 pulls", _l1_pulls())
    lines += [figure(f"penalty of {number(v)}", post, p) for (v, post), p in zip(POST_PENALTIES, penalties)]
    lines += [
        (
            f"Squaring makes large weights disproportionately expensive: {number(big)} is {big / small:.1f}×"
            f" {number(small)}, its penalty {penalties[0] / penalties[1]:.0f}×."
        ),
        f"L1's pull is sign(w) = {_numbers(l1_pulls)}: as hard on {number(small)} as on {number(big)},",
        "which is what drives small weights all the way to 0.",
    ]
    _draw_rubber_band(w, path)
    return step.say(*lines).show(
        path, "each weight's pull toward 0"
    )


def _l1_pulls():
    w = [Value(v) for v in RUBBER_BAND]
    l1(w).backward()
    return [v.grad for v in w]


def _numbers(values):
    return "[" + ", ".join(number(v) for v in values) + "]"


def _paths(lambdas, l1_path, l2_path, path):
    step = Step("§11 L1 vs L2 regularization paths: zeros vs shrinking")
    for name, value in (("λ", lambdas), ("L1 weights", l1_path), ("L2 weights", l2_path)):
        step.record(name, value)
    lines = [
        f"A seeded regression: {TRAIN} samples, {len(TRUE_WEIGHTS)} features, y = x·w + noise,",
        f"with true w = {TRUE_WEIGHTS} (only 3 features used).",
        "Minimize fit(w) + penalty for a sweep of λ (data-fit gradients from tensorgrad's backward()):",
        "  L1: λ·‖w‖₁ by proximal gradient: w ← soft_threshold(w − lr·∇fit, lr·λ),",
        "      which sets every weight with |w| ≤ lr·λ to exactly 0",
        "  L2: λ·Σw² by plain gradient descent on fit + λ·F.l2(w)",
    ]
    for name, weights in (("L1", l1_path), ("L2", l2_path)):
        lines.append(f"  {name}      λ  weights (exact zeros shown as 0)" + " " * 27 + "zeros")
        for lam, w in list(zip(lambdas, weights))[::SHOWN_EVERY]:
            shown = " ".join("     0" if v == 0 else f"{v:+6.2f}" for v in w)
            lines.append(f"  {name}  {lam:7.4f}  {shown}   {int(np.sum(w == 0))}")
    lines += [
        f"L1 encourages sparse weights (many zeros): {int(np.sum(l1_path == 0))} exact zeros over the sweep.",
        "As λ falls, its weights leave 0 in turn (at the first λ of the sweep where they are non-zero;",
        "true weight in brackets):",
        *_entries(lambdas, l1_path),
        (
            f"L2 shrinks every weight but leaves them non-zero: {int(np.sum(l2_path == 0))} exact zeros,"
            f" smallest |w| {np.abs(l2_path).min():.1e}."
        ),
    ]
    _draw_paths(lambdas, l1_path, l2_path, path)
    return step.say(*lines).show(
        path, "each weight as λ falls: L1 hits 0, L2 only shrinks"
    )


def _entries(lambdas, path):
    """Lines of 'w1 (3.0) at λ 1.678', … in the order the L1 weights first leave 0."""
    first = [int(np.argmax(path[:, j] != 0)) if path[:, j].any() else len(lambdas) for j in range(path.shape[1])]
    order = sorted(range(path.shape[1]), key=lambda j: first[j])
    entries = [
        f"w{j + 1} ({number(TRUE_WEIGHTS[j])}) " + (f"at λ {lambdas[first[j]]:.3f}" if first[j] < len(lambdas) else "never")
        for j in order
    ]
    return ["  " + ", ".join(entries[i : i + 4]) for i in range(0, len(entries), 4)]


def _held_out(problem, lambdas, l1_path, l2_path):
    x, y, x_held, y_held = problem
    step = Step("§11 Overfitting: training error vs new data")
    lines = [
        (
            f"Mean squared error on the {TRAIN} training samples and on {HELD_OUT} new ones from the same recipe"
            f" (noise variance {NOISE**2:g}):"
        )
    ]
    weakest_train = []  # each path's training error at the weakest penalty
    for name, weights in (("L1", l1_path), ("L2", l2_path)):
        train = [2 * fit_loss(tensor(w), x, y).item() for w in weights]
        held = [2 * fit_loss(tensor(w), x_held, y_held).item() for w in weights]
        best = int(np.argmin(held))
        weakest_train.append(train[-1])
        step.record(f"{name}: weakest penalty (λ, train, held-out)", (lambdas[-1], train[-1], held[-1]))
        step.record(f"{name}: best for new data (λ, train, held-out)", (lambdas[best], train[best], held[best]))
        lines += [
            f"  {name} weakest penalty λ = {lambdas[-1]:.4f}: train {train[-1]:.3f}, held-out {held[-1]:.3f}",
            (
                f"  {name} best for new data λ = {lambdas[best]:.4f}: train {train[best]:.3f},"
                f" held-out {held[best]:.3f} ({100 * (held[-1] - held[best]) / held[-1]:.1f}% lower)"
            ),
        ]
    below = step.record("training error at the weakest penalty below the noise", max(weakest_train) < NOISE**2)
    lines += [
        f"The true weights would score about {NOISE**2:g} (the noise) on both. With the weakest penalty the training",
        (
            f"error is {'below' if below else 'not below'} that: the fit has bent toward this"
            " sample's noise, and new data shows it."
        ),
        "A penalty trades a little training error for better answers on new data; the gain is modest here",
        f"({TRAIN} samples for {len(TRUE_WEIGHTS)} weights leave little room to overfit).",
    ]
    return step.say(*lines)


def _weight_decay(x, y):
    rng = np.random.default_rng(SEED)
    start = rng.standard_normal(len(TRUE_WEIGHTS))
    penalized, decayed = tensor(start, requires_grad=True), tensor(start, requires_grad=True)
    sgd_penalized, sgd_decayed = optim.SGD([penalized], DECAY_LR), optim.SGD([decayed], DECAY_LR)
    for _ in range(DECAY_STEPS):
        (fit_loss(penalized, x, y) + DECAY / 2 * F.l2(penalized)).backward()
        sgd_penalized.step()
        sgd_penalized.zero_grad()
        fit_loss(decayed, x, y).backward()
        decayed.data *= 1 - DECAY_LR * DECAY  # weight decay: shrink every weight a little ...
        sgd_decayed.step()  # ... then the plain step on the data fit
        sgd_decayed.zero_grad()
    step = Step("§11 Weight decay: a small L2 penalty at every update")
    gap = step.record("largest difference, penalty vs decay", np.abs(penalized.data - decayed.data).max())
    step.record("shrink factor (1 − lr·λ)", 1 - DECAY_LR * DECAY)
    lines = [
        f"Two runs of {DECAY_STEPS} SGD steps (lr = {DECAY_LR}) from the same seeded start:",
        f"  (a) the gradient of fit + (λ/2)·Σw² with λ = {DECAY}, through tensorgrad's backward()",
        f"  (b) the gradient of the fit alone, after shrinking the weights by (1 − lr·λ) = {1 - DECAY_LR * DECAY:g}",
        f"  largest difference between the final weights: {gap:.1e} ({'the same' if gap < 1e-12 else 'NOT the same'})",
        "  since (λ/2)·Σw² has gradient λ·w: w − lr·(∇fit + λ·w) = (1 − lr·λ)·w − lr·∇fit.",
        *_adamw(step, x, y, start),
    ]
    return step.say(*lines)


def _adamw(step, x, y, start):
    """Lines: AdamW's decay is the same shrink, applied outside Adam's scaling (one step compared, recorded on ``step``)."""
    runs = {}
    for name, make in (("adam", optim.Adam), ("adamw", optim.AdamW)):
        w = tensor(start, requires_grad=True)
        optimizer = make([w], lr=DECAY_LR) if name == "adam" else make([w], lr=DECAY_LR, weight_decay=DECAY)
        fit_loss(w, x, y).backward()
        optimizer.step()
        runs[name] = w.data
    shrink = DECAY_LR * DECAY * start
    gap = step.record("largest difference, AdamW vs Adam minus lr·λ·w", np.abs(runs["adam"] - runs["adamw"] - shrink).max())
    return [
        "tensorgrad.optim.SGD has no weight_decay option, so (b) shrinks by hand;",
        f"AdamW(weight_decay={DECAY}) does it itself: one AdamW step = one Adam step minus lr·λ·w",
        f"  (largest difference {gap:.1e}): the same pull toward 0, kept out of Adam's per-weight scaling,",
        "  which would weaken it for weights with large gradients.",
    ]


def _draw_rubber_band(w, path):
    picture = Figure(figsize=(6.4, 3.2), layout="constrained")
    axes = picture.subplots()
    rows = range(len(w))[::-1]
    axes.axvline(0, color="gray", lw=1)
    for row, weight, post in zip(rows, w, POST_PULLS):
        axes.plot([weight.data], [row], "o", color="tab:blue", ms=6, zorder=1)
        arrow_end = weight.data - 0.25 * weight.grad  # a quarter of the pull, drawn toward 0
        arrow = {"arrowstyle": "->", "color": "tab:red", "lw": 1.5}
        axes.annotate("", (arrow_end, row), (weight.data, row), arrowprops=arrow, zorder=2)
        axes.annotate(
            f"pull {number(abs(weight.grad))} (post: {post})",
            (weight.data, row),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
        )
    axes.set_yticks(list(rows), [f"{weight.label} = {number(weight.data)}" for weight in w])
    axes.set_xlim(-4.5, 6.5)
    axes.set_ylim(-0.6, len(w) - 0.2)
    axes.set_xlabel("weight value (arrows: a quarter of the pull 2w, toward 0)")
    axes.set_title("L2's rubber band: the further a weight drifts, the harder the pull")
    return save(picture, path)


def _draw_paths(lambdas, l1_path, l2_path, path):
    picture = Figure(figsize=(9, 3.8), layout="constrained")
    panels = picture.subplots(1, 2, sharey=True)
    for axes, weights, name in ((panels[0], l1_path, "L1: weights hit exactly 0"), (panels[1], l2_path, "L2: weights shrink")):
        for j, true in enumerate(TRUE_WEIGHTS):
            style = {"lw": 2} if true else {"lw": 1, "ls": "--", "color": "gray"}
            axes.plot(lambdas, weights[:, j], label=f"true {true:g}" if true else None, **style)
        axes.axhline(0, color="black", lw=0.8)
        axes.set_xscale("log")
        axes.set_xlabel("penalty strength λ (log scale)")
        axes.set_title(name)
    panels[0].set_ylabel("weight")
    panels[0].legend(title="dashed: the 5 unused features", fontsize=8, title_fontsize=8, loc="lower left")
    picture.suptitle("Regularization paths: the weights of one regression as λ grows")
    return save(picture, path)
