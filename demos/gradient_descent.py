"""§10 Gradients, first half: the derivative as the slope of the tangent line, and gradient descent.

The post draws a loss curve without a formula and marks four tangent slopes on it: −7, −3, 0
(the minimum) and +5. So the demo picks one simple curve, loss(w) = (w − 3)², and lets
scalargrad find where those slopes occur: ``backward()`` gives the slope at any weight, and
bisection on it finds the weight with each slope. Then it checks ``backward()`` against a
finite difference, walks downhill with a fixed learning rate (the steps shrink as the slope
flattens), shows what a learning rate that is too large does, and finds the largest one that
still works: 2 / curvature, with the curvature from a second backward pass (scalargrad's
``grad`` in one dimension; tensorgrad's Hessian-vector products in two). Nothing here trains a
network, so ``fast`` is accepted and ignored.
"""

from itertools import pairwise
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import tensorgrad as tg
from demos._plots import save
from demos._solve import bisect
from demos._stepper import Step, illustrative, number
from scalargrad import Value, grad

TITLE = "§10 Gradients: the slope of the tangent, and walking downhill"

BEST_WEIGHT = 3.0  # loss(w) = (w − BEST_WEIGHT)²: the demo's choice of curve
POST_SLOPES = ("-7", "-3", "0", "+5")  # the tangent slopes the post marks, left to right
BRACKET = (-100.0, 100.0)  # where bisection looks for each slope
H = 1e-5  # the finite difference's nudge
LR = 0.2
DESCENT_STEPS = 8
LR_TOO_LARGE = 1.1
TOO_LARGE_STEPS = 4
STABILITY_MARGIN = 0.05  # the largest stable learning rate is tried 5% below and 5% above
STABILITY_STEPS = 60
BOTTOM_2D = np.array([3.0, -1.0])  # where the two-weight loss below is lowest
POWER_ITERATIONS = 30
TANGENTS_PNG = "gradient_descent_tangents.png"
DESCENT_PNG = "gradient_descent_steps.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted for symmetry with the training demos (this one is always fast)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    marked = [(post, weight_with_slope(float(post))) for post in POST_SLOPES]
    start = marked[0][1]  # start walking where the post's curve is steepest, at slope −7
    good = descend(start, LR, DESCENT_STEPS)
    too_large = descend(start, LR_TOO_LARGE, TOO_LARGE_STEPS)
    return [
        _tangents(marked, out_dir),
        _backward_vs_finite_difference(marked),
        _walking_downhill(good, too_large, out_dir / DESCENT_PNG),
        _too_large(too_large),
        _largest_stable_learning_rate(),
    ]


def loss(w):
    """The demo's loss curve; takes a Value (to build a graph) or a float."""
    return (w - BEST_WEIGHT) ** 2


def slope(w):
    """d loss / d w at ``w``: one forward pass, then backward() through scalargrad's graph."""
    weight = Value(w, label="w")
    loss(weight).backward()
    return weight.grad


def weight_with_slope(target):
    """The weight where the slope is ``target``, by bisection (the curve bends upward, so the slope only grows)."""
    return bisect(slope, target, *BRACKET)


def descend(start, lr, n_steps):
    """Gradient descent from ``start``: rows of (w, loss, slope, step = −lr·slope), then the final w."""
    w, rows = start, []
    for _ in range(n_steps):
        weight = Value(w)
        value = loss(weight)
        value.backward()
        step = -lr * weight.grad
        rows.append((w, value.data, weight.grad, step))
        w += step
    return rows, w


def _direction(s):
    if s < 0:
        return "negative slope: loss falls if w grows → move right"
    if s > 0:
        return "positive slope: loss grows if w grows → move left"
    return "zero slope: you're at the bottom → stop! the optimal weight"


def _tangents(marked, out_dir):
    step = Step("§10 What is a derivative? The slope of the tangent line")
    lines = [
        "The post's curve has no formula; the demo uses loss(w) = (w − 3)², whose bottom is at w = 3.",
        "backward() gives the slope at any w; bisection finds the w where it equals each slope the post marks:",
    ]
    for post, w in marked:
        s = slope(w)
        step.record(f"slope {post}: at w", w)
        lines += [
            f"  w = {number(w):>5}: loss {number(loss(Value(w)).data):>5}, slope {number(s):>5}  ({_direction(s)})",
            illustrative(
                f"slope {post}",
                post,
                engine=s,
                note=f"no curve given; on loss(w) = (w − 3)², backward() gives slope {number(s)} at w = {number(w)}",
            ),
        ]
    lines.append("The rule: move opposite to the gradient. Negative slope → go right, positive → go left.")
    step.say(*lines)
    return step.show(_draw_tangents(marked, out_dir / TANGENTS_PNG), "the loss curve and its tangents")


def _backward_vs_finite_difference(marked):
    step = Step("§10 backward() vs nudging the weight: the same slope")
    lines = [
        "The slope means: nudge w a tiny bit, see how much the loss changes. Do exactly that, both ways",
        f"(h = {H:g}), and compare with backward():",
        f"  {'w':>5}  {'backward()':>10}  {'(loss(w+h) − loss(w−h)) / 2h':>29}  {'difference':>10}",
    ]
    for _, w in marked:
        analytic = slope(w)
        numeric = (loss(Value(w + H)).data - loss(Value(w - H)).data) / (2 * H)
        step.record(f"w = {number(w)}: backward(), finite difference", (analytic, numeric))
        lines.append(f"  {number(w):>5}  {number(analytic):>10}  {numeric:>29.8f}  {abs(analytic - numeric):>10.1e}")
    lines.append("Same slopes: backward() gets them in one pass, without nudging anything.")
    return step.say(*lines)


def _table(rows):
    lines = [f"  {'step':>4}  {'w':>8}  {'loss':>8}  {'slope':>8}  {'step = −lr·slope':>16}"]
    for i, (w, value, s, step) in enumerate(rows, start=1):
        lines.append(f"  {i:>4}  {w:>8.4f}  {value:>8.4f}  {s:>8.4f}  {step:>+16.4f}")
    return lines


def _walking_downhill(good, too_large, path):
    """The lr = LR walk as a table; the picture shows it beside the ``too_large`` one."""
    rows, final = good
    sizes = [abs(step) for *_, step in rows]
    lines = [
        f"Start at w = {number(rows[0][0])} (slope {number(rows[0][2])}), learning rate lr = {LR}: w ← w − lr·slope.",
        *_table(rows),
        f"  after {len(rows)} steps w = {final:.4f}, loss {loss(Value(final)).data:.6f} (the bottom is w = 3, loss 0)",
        (
            f"Steps get smaller as the slope flattens near the bottom: {sizes[0]:.2f}, {sizes[1]:.2f}, {sizes[2]:.2f}, …"
            f" each {sizes[1] / sizes[0]:.2f}× the one before:"
        ),
        f"the slope is 2 × (w − 3), so a step of lr × slope covers {200 * LR:.0f}% of the distance left: it never overshoots.",
    ]
    step = Step("§10 Gradient descent: walking downhill to better weights").say(*lines)
    for name, value in (("(w, loss, slope, step) rows", rows), ("final w", final),
                        ("each step over the one before", sizes[1] / sizes[0]),
                        ("share of the distance left a step covers", 2 * LR)):
        step.record(name, value)
    _draw_descent(good, too_large, path)
    return step.show(path, f"lr = {LR} walks down, lr = {LR_TOO_LARGE} diverges")


def _too_large(too_large):
    rows, final = too_large
    start = Value(rows[0][0])
    (first,) = grad(loss(start), [start], create_graph=True)
    (curvature,) = grad(first, [start])  # the second derivative: how fast the slope changes
    distances = [abs(w - BEST_WEIGHT) for w, *_ in rows] + [abs(final - BEST_WEIGHT)]
    lines = [
        f"Same start, lr = {LR_TOO_LARGE}:",
        *_table(rows),
        "  distance to the bottom: " + " → ".join(f"{d:.2f}" for d in distances),
        (
            f"Each step jumps over the bottom and lands further up the other side ({distances[1] / distances[0]:.2f}×"
            " the distance): the walk diverges."
        ),
        (
            f"Why: the slope changes by {number(curvature)} per unit of w (the second derivative, by grad() of the"
            " slope's own graph)."
        ),
        (
            f"A step lr × slope lands past the bottom once lr > 1/{number(curvature)} = {number(1 / curvature)},"
            f" and further away once lr > 2/{number(curvature)} = {number(2 / curvature)}."
        ),
    ]
    step = Step("§10 A learning rate that is too large: overshooting the minimum").say(*lines)
    for name, value in (("(w, loss, slope, step) rows", rows), ("distances to the bottom", distances),
                        ("curvature", curvature)):
        step.record(name, value)
    return step


def loss_2d(w):
    """Two weights that pull unequally: the loss is 5× steeper along w₁ than along w₀, and they interact."""
    a, b = w[0] - BOTTOM_2D[0], w[1] - BOTTOM_2D[1]
    return a * a + 5 * b * b + a * b


def curvature_along(w, v):
    """H·v, the Hessian of ``loss_2d`` at ``w`` times ``v``: backward through the gradient's own graph."""
    weights = tg.Tensor(w, requires_grad=True)
    (gradient,) = tg.grad(loss_2d(weights), [weights], create_graph=True)
    (hv,) = tg.grad((gradient * v).sum(), [weights])
    return hv


def largest_curvature(w):
    """The Hessian's largest eigenvalue by power iteration: H·v again and again turns v toward the steepest
    direction, and v·H·v is then its curvature. No Hessian is ever formed, only Hessian-vector products."""
    v = np.ones_like(w)
    for _ in range(POWER_ITERATIONS):
        v = curvature_along(w, v)
        v /= np.linalg.norm(v)
    return float(v @ curvature_along(w, v)), v


def distance_after_descent(loss_fn, start, bottom, lr, n_steps):
    """Plain gradient descent with tensorgrad; how far from the bottom it ends."""
    w = np.array(start, dtype=float)
    for _ in range(n_steps):
        weights = tg.Tensor(w, requires_grad=True)
        (gradient,) = tg.grad(loss_fn(weights), [weights])
        w = w - lr * gradient
    return float(np.linalg.norm(w - bottom))


def _largest_stable_learning_rate():
    start = Value(0.0)
    (first,) = grad(loss(start), [start], create_graph=True)
    (curvature,) = grad(first, [start])
    steepest, direction = largest_curvature(np.zeros(2))
    below, above = 1 - STABILITY_MARGIN, 1 + STABILITY_MARGIN
    runs = {}
    for name, loss_fn, start_w, bottom, bound in (
        ("one weight", lambda w: loss(w[0]), [0.0], [BEST_WEIGHT], 2 / curvature),
        ("two weights", loss_2d, [0.0, 0.0], BOTTOM_2D, 2 / steepest),
    ):
        begin = float(np.linalg.norm(np.array(start_w) - bottom))
        ends = [distance_after_descent(loss_fn, start_w, bottom, factor * bound, STABILITY_STEPS) for factor in
                (below, above)]
        runs[name] = (bound, begin, *ends)
    step = Step("§10 The largest learning rate that works: 2 / curvature")
    lines = [
        "A step lr × slope overshoots the bottom by more than it started once lr × curvature > 2:",
        "each step then multiplies the distance by |1 − lr × curvature| > 1. The curvature is the",
        "derivative of the slope, so the engines get it by differentiating the gradient's own graph",
        "(create_graph=True):",
        f"  one weight, (w − 3)²: curvature {number(curvature)} (scalargrad.grad twice) → lr < {number(2 / curvature)}",
        "  two weights, (w₀ − 3)² + 5(w₁ + 1)² + (w₀ − 3)(w₁ + 1): the steepest direction sets the limit;",
        f"    tensorgrad's Hessian-vector products ({POWER_ITERATIONS} rounds of power iteration) find it:",
        f"    curvature {steepest:.4f} along ({direction[0]:.3f}, {direction[1]:.3f}) → lr < {2 / steepest:.4f}",
        f"Checked by {STABILITY_STEPS} steps of descent at {below:g}× and {above:g}× each limit",
        "(the distance to the bottom, start → end):",
    ]
    for name, (bound, begin, end_below, end_above) in runs.items():
        lines.append(f"  {name}: lr {below * bound:.4f}: {begin:.3g} → {end_below:.3g};"
                     f"  lr {above * bound:.4f}: {begin:.3g} → {end_above:.3g}")
    lines.append("Just below the limit descent still converges (slowly, zigzagging); just above it, it blows up.")
    step.say(*lines)
    for name, value in (("one weight: curvature", curvature), ("two weights: largest curvature", steepest),
                        ("two weights: steepest direction", direction), ("runs: bound, start, below, above", runs)):
        step.record(name, value)
    return step


def _curve(axes, weights):
    axes.plot(weights, [loss(w) for w in weights], color="black", lw=1.5, label="loss(w) = (w − 3)²")
    axes.set_xlabel("weight value w")
    axes.set_ylabel("loss")


def _draw_tangents(marked, path):
    picture = Figure(figsize=(6.4, 3.8), layout="constrained")
    axes = picture.subplots()
    _curve(axes, np.linspace(-2, 7, 200))
    for post, w in marked:
        s, height = slope(w), loss(w)
        half = 1.5 / (1 + abs(s) / 3)  # steep tangents drawn shorter, so each stays near its point
        span = np.array([w - half, w + half])
        axes.plot(span, height + s * (span - w), color="tab:red", lw=2)
        axes.plot([w], [height], "o", color="tab:red")
        label = f"slope = {post}" + ("\nMINIMUM!" if s == 0 else "")
        offset, align = ((0, 12), "center") if s == 0 else ((-10, -14), "right") if s < 0 else ((10, -14), "left")
        axes.annotate(label, (w, height), xytext=offset, textcoords="offset points", ha=align)
    axes.set_title("The derivative is the slope of the tangent line")
    axes.legend(loc="upper center")
    return save(picture, path)


def _draw_descent(good, too_large, path):
    picture = Figure(figsize=(9, 3.8), layout="constrained")
    panels = picture.subplots(1, 2)
    runs = ((panels[0], good, LR, "walks down"), (panels[1], too_large, LR_TOO_LARGE, "overshoots and diverges"))
    for axes, (rows, final), lr, story in runs:
        ws = [w for w, *_ in rows] + [final]
        low, high = min(ws + [0.0]) - 0.5, max(ws + [6.0]) + 0.5
        _curve(axes, np.linspace(low, high, 200))
        axes.plot(ws, [loss(w) for w in ws], "o", color="tab:blue")
        for a, b in pairwise(ws):
            axes.annotate("", (b, loss(b)), (a, loss(a)), arrowprops={"arrowstyle": "->", "color": "tab:blue"})
        axes.annotate("Minimum!", (BEST_WEIGHT, 0), xytext=(0, 14), textcoords="offset points", ha="center")
        axes.annotate("start", (ws[0], loss(ws[0])), xytext=(8, 0), textcoords="offset points")
        axes.set_title(f"lr = {lr}: {story}")
    third = good[0][2][0]  # the third step's start, where the steps have begun to shrink
    panels[0].annotate(
        "steps get smaller\nas the slope flattens",
        (third, loss(third)),
        xytext=(30, 60),
        textcoords="offset points",
        arrowprops={"arrowstyle": "->", "color": "gray"},
    )
    picture.suptitle("Gradient descent: w ← w − lr · slope")
    return save(picture, path)
