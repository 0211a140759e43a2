"""§4 Softmax: the post's logits 5.2, 2.1, -0.8 through e^x, a sum and a division.

Every exponential and probability is computed by the engines (tensorgrad's
``Tensor.exp`` and ``F.softmax``, scalargrad's Values for the gradient check)
and printed beside the post's own figure with a verdict. Beyond the post's
figures: the three properties it names, checked; the "clean closed form" of
softmax's gradient, p_i(δ_ij − p_j), against what backward computes; and why
real implementations subtract the largest logit first. Nothing is trained:
``fast`` is accepted for symmetry with the other demos and ignored.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, decimals, figure
from scalargrad import Value
from scalargrad import functional as SF
from tensorgrad import functional as F
from tensorgrad import tensor

TITLE = "§4 Softmax: turning numbers into probabilities"

TOKENS = ("the", "a", "cat")
LOGITS = [5.2, 2.1, -0.8]
POST_EXPS = ("181.3", "8.2", "0.45")  # the post's e^z
POST_SUM = "189.95"
POST_PROBS = ("95.4", "4.3", "0.2")  # percent
POST_NAIVE = ("80", "32", "-12")  # the post's z / Σz, in percent
POST_NAIVE_SUM = "6.5"
POST_GAP_AFTER_EXP = ("181", "8")  # "5.2 vs 2.1 became 181 vs 8"
POST_LOGIT_GAP, POST_AMPLIFICATION = "3.1", "22"  # "e^5.2 / e^2.1 = e^3.1 ≈ 22x"
POST_CURVE = (("0", "1"), ("1", "2.7"), ("2", "7.4"), ("4", "54.6"), ("5", "148"))  # x, e^x as labelled
CURVE_GAP, POST_CURVE_GAP = (2, 4), "7"  # "Logit gap: 2 to 4, Output gap: 7x"
CURVE_RANGE = (-3.0, 5.0)
SHIFTS = (100.0, -50.0)  # constants added to every logit
HUGE_LOGITS = [1000.0, 999.0]
RANDOM_ROWS, RANDOM_SCALE, SEED = 1000, 5.0, 0
CURVE_PNG = "softmax_exp_curve.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _transformation(),
        _naive_division(),
        _amplification(),
        _exp_curve(out_dir),
        _three_properties(),
        _gradient(),
        _shift_and_overflow(),
    ]


def _transformation():
    z = tensor(LOGITS)
    exps = z.exp()
    total = exps.sum()
    probs = exps / total
    fused = F.softmax(z)
    rounded_terms = [round(e, decimals(post)) for e, post in zip(exps.data, POST_EXPS)]
    rounded_sum = sum(rounded_terms)
    sum_note = (
        "the post summed its rounded terms: "
        + " + ".join(f"{t:g}" for t in rounded_terms)
        + f" = {rounded_sum:.2f}"
    )
    step = Step("§4 Watching the transformation: logits → e^z → ÷ sum")
    step.record("the post's rounded terms", rounded_terms)
    return step.say(
        "1  Raw logits: " + ", ".join(f"{w} {z:g}" for w, z in zip(TOKENS, LOGITS)) + "  (one is negative; they do not sum to 1)",
        "2  e^z, computed by tensorgrad's Tensor.exp():",
        *(figure(f"e^{z:g}", post, e) for z, post, e in zip(LOGITS, POST_EXPS, exps.data)),
        figure("sum of the e^z", POST_SUM, total.item(), would_give=sum_note),
        f"   The true sum is {total.item():.2f}: an error of {abs(float(POST_SUM) - total.item()):.2f} the probabilities barely notice.",
        "3  Divide each by the sum: probabilities, in %:",
        *(figure(f"P({w})", post, 100 * p, unit="%") for w, post, p in zip(TOKENS, POST_PROBS, probs.data)),
        f"   The post's own arithmetic, {rounded_terms[0]:g}/{rounded_sum:.2f}, gives {100 * rounded_terms[0] / rounded_sum:.2f}%;"
        f" exactly, P(the) = {100 * probs.data[0]:.2f}%.",
        f"   F.softmax does the three steps in one op; largest difference from them:"
        f" {np.abs(fused.data - probs.data).max():.1e}.",
    )


def _naive_division():
    z = tensor(LOGITS)
    total = z.sum()
    shares = 100 * z / total
    return Step("§4 Why not just divide each logit by the total?").say(
        figure("Σ logits", POST_NAIVE_SUM, total.item()),
        *(figure(f"{z:g} / {total.item():g}", post, s, unit="%") for z, post, s in zip(LOGITS, POST_NAIVE, shares.data)),
        f"They do sum to {shares.sum().item():.0f}%, but \"cat\" gets {shares.data[2]:.1f}%: a negative probability.",
        "Logits can be any number; e^x turns every one of them into a positive number, keeping the order.",
    )


def _amplification():
    z = tensor(LOGITS)
    exps = z.exp()
    gap = z[0] - z[1]
    ratio = exps[0] / exps[1]
    return Step("§4 e^x amplifies gaps: 5.2 vs 2.1 becomes 181 vs 8").say(
        *(figure(f"{w} after e^z", post, e) for w, post, e in zip(TOKENS, POST_GAP_AFTER_EXP, exps.data)),
        figure("logit gap 5.2 − 2.1", POST_LOGIT_GAP, gap.item()),
        figure("e^5.2 / e^2.1", POST_AMPLIFICATION, ratio.item(), unit="x"),
        figure("e^3.1", POST_AMPLIFICATION, gap.exp().item(), unit="x"),
        "Why the two agree: e^a / e^b = e^(a − b), so only the gap matters, and the gap is exponentiated.",
        f"A gap of {gap.item():.1f} in logits becomes a factor of {ratio.item():.1f} in probability.",
    )


def _exp_curve(out_dir):
    xs = tensor([float(x) for x, _ in POST_CURVE])
    ys = xs.exp()
    low, high = tensor([float(x) for x in CURVE_GAP]).exp().data
    path = _plot_exp(ys.data, (low, high), out_dir / CURVE_PNG)
    step = Step("§4 The shape of e^x: flat for negative logits, explosive for positive ones").say(
        *(figure(f"e^{x}", post, y) for (x, post), y in zip(POST_CURVE, ys.data)),
        figure(f"e^{CURVE_GAP[1]} / e^{CURVE_GAP[0]}", POST_CURVE_GAP, high / low, unit="x"),
        f"Logits {CURVE_GAP[0]} → {CURVE_GAP[1]}: the output goes from {low:.1f} to {high:.1f}, {high / low:.2f} times as big.",
        f"Below 0 every output is squeezed into (0, 1): e^{CURVE_RANGE[0]:g} = {np.exp(CURVE_RANGE[0]):.3f}.",
    )
    return step.show(path, "e^x with the post's marked points and the 2 → 4 gap")


def _three_properties():
    rng = np.random.default_rng(SEED)
    z = tensor(LOGITS)
    p = F.softmax(z).data
    rows = RANDOM_SCALE * rng.standard_normal((RANDOM_ROWS, len(LOGITS)))
    batch = F.softmax(tensor(rows)).data
    same_order = (np.argsort(rows, axis=1) == np.argsort(batch, axis=1)).all()
    step = Step("§4 The three things softmax guarantees, checked")
    for name, value in (("every p > 0", bool((p > 0).all())), ("ranking of the logits", _ranking(LOGITS)),
                        ("ranking of the probabilities", _ranking(p)), ("random rows: all positive", bool((batch > 0).all())),
                        ("random rows: same order in every row", bool(same_order)),
                        ("random rows: largest |Σ p − 1|", np.abs(batch.sum(axis=1) - 1).max())):
        step.record(name, value)
    return step.say(
        f"For the post's logits, p = [{', '.join(f'{x:.4f}' for x in p)}]:",
        f"  (1) every p > 0: {bool((p > 0).all())}",
        f"  (2) ranking kept: logits order {_ranking(LOGITS)}, probabilities order {_ranking(p)}",
        f"  (3) Σ p = {p.sum():.15f} (off by {abs(p.sum() - 1):.1e})",
        f"The same checks on {RANDOM_ROWS} random rows of {len(LOGITS)} logits (normal, scale {RANDOM_SCALE:g}, seed {SEED}):",
        f"  all positive: {bool((batch > 0).all())} · same order in every row: {bool(same_order)}"
        f" · largest |Σ p − 1|: {np.abs(batch.sum(axis=1) - 1).max():.1e}",
        "(Positive in exact arithmetic, always; in float64 a logit about 745 below the top gives exactly 0.0,",
        " which is why §5 computes log-probabilities with log_softmax.)",
    )


def _ranking(values):
    order = np.argsort(values)[::-1]
    return " > ".join(TOKENS[i] for i in order)


def _gradient():
    """Row i of the Jacobian is the gradient of p_i: one backward pass per row, in both engines."""
    n = len(LOGITS)
    fused, composed = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        z = tensor(LOGITS, requires_grad=True)
        F.softmax(z)[i].backward()
        fused[i] = z.grad
        values = [Value(x) for x in LOGITS]
        SF.softmax(values)[i].backward()
        composed[i] = [v.grad for v in values]
    p = F.softmax(tensor(LOGITS)).data
    formula = np.diag(p) - np.outer(p, p)  # p_i δ_ij − p_i p_j
    step = Step("§4 Softmax's gradient has a clean closed form: ∂p_i/∂z_j = p_i(δ_ij − p_j)")
    for name, value in (("Jacobian, tensorgrad", fused), ("largest |backward − formula|, tensorgrad", np.abs(fused - formula).max()),
                        ("largest |backward − formula|, scalargrad", np.abs(composed - formula).max())):
        step.record(name, value)
    return step.say(
        "The Jacobian ∂p_i/∂z_j, row i from p_i.backward() (tensorgrad's F.softmax):",
        *(f"  ∂p({w})/∂z = [{', '.join(f'{g:+.5f}' for g in row)}]" for w, row in zip(TOKENS, fused)),
        "The formula p_i(δ_ij − p_j): the diagonal is p_i(1 − p_i), off the diagonal −p_i p_j.",
        f"  largest |backward − formula|, tensorgrad (its fused op's rule):  {np.abs(fused - formula).max():.1e}",
        f"  largest |backward − formula|, scalargrad (chain rule through exp, +, ÷): {np.abs(composed - formula).max():.1e}",
        f"Each row sums to 0 (largest |row sum| {np.abs(fused.sum(axis=1)).max():.0e}):"
        " raising every logit together changes no probability.",
        "One multiply-and-subtract per entry, no exponentials: this is why backprop through softmax is cheap.",
    )


def _shift_and_overflow():
    z = tensor(LOGITS)
    p = F.softmax(z).data
    step = Step("§4 Only the gaps matter: why implementations subtract the max")
    lines = ["Add the same constant c to every logit: e^(z+c) = e^z · e^c, and e^c cancels in the division."]
    for c in SHIFTS:
        shifted = F.softmax(z + c).data
        step.record(f"c = {c:+g}: largest change in any probability", np.abs(shifted - p).max())
        lines.append(f"  c = {c:+g}: largest change in any probability {np.abs(shifted - p).max():.1e}")
    huge = tensor(HUGE_LOGITS)
    naive = _attempt(lambda: (huge.exp() / huge.exp().sum()).data)
    lines += [f"Naive e^z / Σ e^z at {HUGE_LOGITS} in tensorgrad:", f"  {naive}"]
    with np.errstate(over="ignore", invalid="ignore"):
        plain = np.exp(HUGE_LOGITS) / np.exp(HUGE_LOGITS).sum()
    safe = F.softmax(huge).data
    small = F.softmax(huge - huge.max()).data
    scalar = [v.data for v in SF.softmax(HUGE_LOGITS)]
    for name, value in (("naive e^z / Σ e^z in tensorgrad", naive), ("plain NumPy", plain), ("F.softmax", safe),
                        ("softmax after subtracting the max", small), ("scalargrad's softmax", scalar)):
        step.record(name, value)
    lines += [
        f"  (plain NumPy returns {plain}: e^1000 is inf in float64, and inf / inf is nan)",
        "Every softmax in both engines first subtracts the largest logit, so the largest exponent is e^0 = 1:",
        f"  F.softmax({HUGE_LOGITS}) = [{', '.join(f'{x:.4f}' for x in safe)}]",
        f"  the same as softmax of {(huge - huge.max()).data.tolist()}: [{', '.join(f'{x:.4f}' for x in small)}]",
        f"  scalargrad's softmax of {HUGE_LOGITS}: [{', '.join(f'{x:.4f}' for x in scalar)}]",
    ]
    return step.say(*lines)


def _attempt(compute):
    """The result of ``compute()``, or the error it raised, as text."""
    try:
        return str(compute())
    except (OverflowError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def _plot_exp(marked, gap, path):
    """The curve e^x with the post's labelled points and the 2 → 4 gap (Agg, no window)."""
    grid = tensor(np.linspace(*CURVE_RANGE, 300))
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    axes.plot(grid.data, grid.exp().data, color="tab:blue", label="$e^x$")
    axes.axvspan(CURVE_RANGE[0], 0, color="tab:green", alpha=0.08, label="outputs < 1")
    offsets = ((-45, 12), (-15, 26), (10, -16), (-75, 4), (-75, -4))  # keep the labels apart
    for (x, post), y, offset in zip(POST_CURVE, marked, offsets):
        axes.plot(float(x), y, "o", color="tab:red")
        axes.annotate(f"$e^{x}$ = {post}", (float(x), y), textcoords="offset points", xytext=offset)
    low, high = gap
    x_gap = CURVE_GAP[1] + 0.3
    for y in gap:
        axes.plot([CURVE_GAP[0], x_gap], [y, y], ":", color="tab:orange")
    axes.annotate("", (x_gap, high), (x_gap, low), arrowprops={"arrowstyle": "<->", "color": "tab:orange"})
    axes.text(x_gap + 0.1, (low + high) / 2, f"logits {CURVE_GAP[0]} → {CURVE_GAP[1]}:\n{high / low:.1f}x", color="tab:orange")
    axes.set_xlim(CURVE_RANGE[0], CURVE_RANGE[1] + 1.2)
    axes.set_ylim(-5, 1.15 * np.exp(CURVE_RANGE[1]))
    axes.set_xlabel("input (logit value)")
    axes.set_ylabel("output ($e$ to the $x$)")
    axes.set_title("$e^x$: nearly flat below 0, explodes above")
    axes.legend(loc="upper left")
    return save(picture, path)
