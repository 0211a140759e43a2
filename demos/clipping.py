"""§18 Clipping & surrogate objectives: "don't overcorrect", with the ratio r = π_new/π_old.

The post's figures, computed by ``tensorgrad``: its clipping example
(10% → 85% is a ratio of 8.5, capped at 1.2, so 10% → 12% this step), the
band [0.8, 1.2] for ε = 0.2, and what a ratio means. Then
L^CLIP = min(r·A, clip(r, 1 − ε, 1 + ε)·A) from ``tensorgrad.rl`` with its
gradient dL/dr by ``backward()`` over a range of r, for A > 0 and A < 0: the
gradient is zeroed outside the band only on the side the advantage pushes
toward; on the other side it still flows, which the post's summary leaves
out. Last, DAPO's asymmetric band. Nothing here trains a model, so ``fast``
changes nothing.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, illustrative
from tensorgrad import tensor
from tensorgrad.rl import clip_ratio, clipped_objective

TITLE = "§18 Clipping: a speed limit on how far one update may move the policy"

# The post's "Clipping in action": P("correct approach") before and after one update, and ε.
OLD, NEW = 0.10, 0.85
EPS = 0.2
RATIO, CAPPED, CAPPED_STEP = "8.5", "1.2", "12"  # the post's ratio, clipped ratio, and new probability in %
BAND = ("0.8", "1.2")  # the post's band [1 − ε, 1 + ε] for ε = 0.2
# "If r = 0.1, it's now 10x less likely"; "a ratio of 1.2 means 20% more likely, whether ... 5% or 50%".
SMALL_RATIO, TIMES_LESS = 0.1, "10"
DOUBLE_RATIO, TIMES_MORE = 2.0, "2"  # "If r = 2, this action is now 2x more likely"
MORE_LIKELY = "20"
STARTS = (0.05, 0.50)
BIG_STEP = (0.05, 0.80)  # "the probability might jump from 5% to 80%"
R_GRID = np.arange(0.005, 2.0, 0.01)  # ratios to evaluate L^CLIP at; none falls exactly on 0.8 or 1.2
PLOT_GRID = np.geomspace(0.1, 10, 401)  # the picture's ratios: 10x less likely to 10x more, the post's 8.5 among them
SHOWN_RATIOS = (0.5, 0.9, 1.1, 1.5, 8.5)
DAPO_EPS_HIGH = 0.28  # DAPO's upper ε (Yu et al. 2025, arXiv 2503.14476), with ε_low = 0.2 kept
RARE, UPDATES = 0.01, 10  # a rare good token, and a number of updates it grows through

CLIP_PNG = "clipping_objective.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted like every demo's, and changes nothing (no training here)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_in_action(), _the_ratio(), _gate(out_dir / CLIP_PNG), _dapo()]


def _in_action():
    ratio = (tensor(NEW) / tensor(OLD)).item()
    capped = clip_ratio(ratio, EPS)
    allowed = (tensor(OLD) * capped).item()
    return Step("§18 Clipping in action: P(\"correct approach\") 10% → 85% in one update").say(
        f"Old policy {OLD:.0%}, after the update {NEW:.0%}: the ratio r = π_new/π_old,",
        figure("ratio 85% / 10%", RATIO, ratio, "x"),
        f"With ε = {EPS} (tensorgrad.rl.clip_ratio):",
        figure("ratio capped by clip(r, 1 − ε, 1 + ε)", CAPPED, capped, "x"),
        figure("what the step may do: 10% × the capped ratio", CAPPED_STEP, 100 * allowed, "%"),
        "The gradient was computed for the old policy: move far in one step and you steer with a stale map.",
    )


def _the_ratio():
    low, high = clip_ratio(np.array([0.0, np.inf]), EPS)
    less = (1 / tensor(SMALL_RATIO)).item()
    doubled = (tensor(STARTS[0]) * DOUBLE_RATIO).item()  # an action at 5%, then r = 2
    more = ((tensor(float(CAPPED)) - 1) * 100).item()
    grown = [(p, (tensor(p) * float(CAPPED)).item()) for p in STARTS]
    before, after = BIG_STEP
    jump = (tensor(after) / tensor(before)).item()
    step = Step("§18 Reading the ratio, and the band [1 − ε, 1 + ε]")
    for name, value in (("probabilities grown by the capped ratio", grown), ("5% → 80%: ratio", jump),
                        ("5% → 80%: where the capped step may reach", before * high)):
        step.record(name, value)
    return step.say(
        "r = 1: nothing changed; r > 1: the action became more likely; r < 1: less likely.",
        figure(f"r = {DOUBLE_RATIO:g}: how many times as likely", TIMES_MORE, doubled / STARTS[0], "x"),
        figure(f"r = {SMALL_RATIO}: how many times less likely", TIMES_LESS, less, "x"),
        figure(f"r = {CAPPED}: how much more likely", MORE_LIKELY, more, "%"),
        "  whatever the start: " + ", ".join(f"{p:.0%} → {q:.0%}" for p, q in grown)
        + ". A ratio has no units: it means the same for rare and common tokens.",
        f"The band for ε = {EPS}: clipping a ratio far below it and one far above it gives its two edges,",
        figure("lower edge, 1 − ε", BAND[0], low),
        figure("upper edge, 1 + ε", BAND[1], high),
        illustrative(f"\"{before:.0%} to {after:.0%}\" in one big step: where a clipped step may reach instead",
                     f"{100 * after:.0f}", "%", engine=100 * before * high,
                     note=f"the post's jump is a ratio of {jump:.0f}; clipped to {float(high):.1f}, the step reaches"
                          f" {before:.0%} × {float(high):.1f} = {before * high:.0%}"),
    )


# ---- the one-way gate: L^CLIP and its gradient ---------------------------------------------------
def objective_and_gradient(ratios, advantage, eps_high=None):
    """L^CLIP at each ratio and dL/dr there, from rl.clipped_objective and backward()."""
    r = tensor(np.asarray(ratios, dtype=float), requires_grad=True)
    objective = clipped_objective(r, advantage, EPS, eps_high)
    objective.sum().backward()  # each L depends on its own r only, so this gives every dL/dr at once
    return objective.data, r.grad


def zero_runs(ratios, grad):
    """The stretches of ``ratios`` (sorted) where the gradient is exactly 0, as (from, to).

    Each ratio stands for the stretch up to halfway to its neighbours; the
    first and last stretches end at the grid's ends.
    """
    edges = np.concatenate([ratios[:1], (ratios[1:] + ratios[:-1]) / 2, ratios[-1:]])
    runs, start = [], None
    for i, g in enumerate(grad):
        if g == 0 and start is None:
            start = edges[i]
        if g != 0 and start is not None:
            runs.append((start, edges[i]))
            start = None
    if start is not None:
        runs.append((start, edges[-1]))
    return runs


def _gate(png):
    step = Step("§18 L^CLIP = min(r·A, clip(r, 1 − ε, 1 + ε)·A): a one-way gate").say(
        f"The post's formula, by tensorgrad.rl.clipped_objective with ε = {EPS}. A is the advantage (§17): +1 for a",
        "good action, −1 for a bad one. The update maximises L; dL/dr (by backward()) is how hard it still pushes r:",
        "      r     A = +1: L    dL/dr     A = −1: L    dL/dr",
    )
    table = {a: objective_and_gradient(SHOWN_RATIOS, a) for a in (1.0, -1.0)}
    for i, r in enumerate(SHOWN_RATIOS):
        (up, d_up), (down, d_down) = ((table[a][0][i], table[a][1][i]) for a in (1.0, -1.0))
        step.record(f"r = {r}: L and dL/dr for A = +1 and A = −1", ((up, d_up), (down, d_down)))
        step.say(f"  {r:5.1f}      {up:+6.2f}    {d_up + 0.0:+5.1f}        {down:+6.2f}    {d_down + 0.0:+5.1f}")
    for a, action, side, other in ((1.0, "a good action, pushed up", "above", "below"),
                                   (-1.0, "a bad action, pushed down", "below", "above")):
        value, grad = objective_and_gradient(R_GRID, a)
        outside_low, outside_high = R_GRID < 1 - EPS, R_GRID > 1 + EPS
        zero_side = outside_high if a > 0 else outside_low
        flowing_side = outside_low if a > 0 else outside_high
        for name, found in (("ratios with dL/dr = 0", int((grad == 0).sum())),
                            ("share zeroed past the band", np.mean(grad[zero_side] == 0)),
                            ("share zeroed on the other side", np.mean(grad[flowing_side] == 0)),
                            ("dL/dr on the other side", np.unique(grad[flowing_side])),
                            ("largest L^CLIP − r·A", (value - R_GRID * a).max())):
            step.record(f"A = {a:+.0f}: {name}", found)
        step.say(
            f"  A = {a:+.0f} ({action}): over r from {R_GRID[0]:.3f} to {R_GRID[-1]:.3f},"
            f" dL/dr = 0 at {int((grad == 0).sum())} of {len(R_GRID)} ratios:",
            f"    at {np.mean(grad[zero_side] == 0):.0%} of those {side} the band, at"
            f" {np.mean(grad[flowing_side] == 0):.0%} of those {other} it (there dL/dr ="
            f" {np.unique(grad[flowing_side])[0]:+.0f}, as without clipping);",
            f"    the largest L^CLIP − r·A is {(value - R_GRID * a).max() + 0.0:.1f}: clipping can only reduce the"
            " update, never increase it.",
        )
    step.say(
        "So \"outside clip range: gradient is zeroed out\" holds on one side only: past 1 + ε when A > 0, below",
        "1 − ε when A < 0, once the token has moved far enough the way its advantage asks. A token that moved the",
        "*wrong* way (r < 0.8 with A > 0, r > 1.2 with A < 0) keeps its full gradient, pulling it back: the post's",
        "summary leaves this side out. min() takes the more conservative of the two, so the gate opens one way only.",
    )
    return step.show(_plot(png), "L^CLIP against r for A = +1 and A = −1, r from 0.1 to 10")


def _dapo():
    high = 1 + DAPO_EPS_HIGH
    capped = clip_ratio(float(RATIO), EPS, DAPO_EPS_HIGH)
    symmetric = (tensor(1 + EPS) ** UPDATES * RARE).item()
    wider = (tensor(high) ** UPDATES * RARE).item()
    low, top = clip_ratio(np.array([0.0, np.inf]), EPS, DAPO_EPS_HIGH)
    _, grad = objective_and_gradient(R_GRID, 1.0, DAPO_EPS_HIGH)
    step = Step("§18 DAPO: a wider band for reinforcing than for suppressing")
    for name, value in (("band", (low, top)), ("capped ratio", capped),
                        ("first zero-gradient ratio", R_GRID[grad == 0].min()),
                        ("first zero-gradient ratio, symmetric band", 1 + EPS + (R_GRID[1] - R_GRID[0]) / 2),
                        ("rare token after the updates, symmetric and wider", (symmetric, wider))):
        step.record(name, value)
    return step.say(
        f"DAPO (arXiv 2503.14476) keeps ε_low = {EPS} and widens the top to ε_high = {DAPO_EPS_HIGH}:",
        f"  band [{low:.2f}, {top:.2f}] (rl.clip_ratio(r, {EPS}, {DAPO_EPS_HIGH}) of a ratio far below and one far above)",
        f"  the post's 10% → 85%: ratio capped at {capped:.2f}, so 10% → {100 * OLD * capped:.1f}% this step"
        f" (symmetric: {100 * OLD * (1 + EPS):.0f}%)",
        f"  A > 0 (a good action): dL/dr = 0 only from r = {R_GRID[grad == 0].min():.3f} on the grid (the symmetric band: from"
        f" {1 + EPS + (R_GRID[1] - R_GRID[0]) / 2:.3f})",
        f"  a rare good token at {RARE:.0%}, capped every update for {UPDATES} updates: {100 * symmetric:.1f}%"
        f" with ε = {EPS}, {100 * wider:.1f}% with ε_high = {DAPO_EPS_HIGH}",
        "Suppressing bad tokens stays as cautious as before; rare good ones (new reasoning moves) can grow faster.",
    )


def _plot(path):
    """L^CLIP against r on a log axis (r = 0.1 and r = 10 are equally far from 1), for A = +1 and A = −1."""
    picture = Figure(figsize=(10, 4), layout="constrained")
    panels = picture.subplots(1, 2)
    for axes, a in zip(panels, (1.0, -1.0)):
        value, grad = objective_and_gradient(PLOT_GRID, a)
        axes.axvspan(1 - EPS, 1 + EPS, color="tab:green", alpha=0.12, label=f"band [{1 - EPS}, {1 + EPS}]")
        for i, (start, end) in enumerate(zero_runs(PLOT_GRID, grad)):
            axes.axvspan(start, end, color="tab:red", alpha=0.1, linewidth=0,
                         label="$dL/dr = 0$ (gradient zeroed)" if i == 0 else None)
        axes.plot(PLOT_GRID, PLOT_GRID * a, color="gray", linestyle="--", label="$r A$, unclipped")
        axes.plot(PLOT_GRID, value, color="tab:blue", linewidth=2,
                  label=r"$L^{CLIP} = \min(r A,\ \mathrm{clip}(r) A)$")
        if a > 0:
            dapo, _ = objective_and_gradient(PLOT_GRID, a, DAPO_EPS_HIGH)
            axes.plot(PLOT_GRID, dapo, color="tab:purple", linestyle=":", linewidth=2,
                      label=rf"DAPO, $\varepsilon_{{high}}$ = {DAPO_EPS_HIGH}")
            axes.annotate(f"r = {RATIO} (10% → 85%):\n" + rf"$L^{{CLIP}}$ = {CAPPED}·A, flat",
                          xy=(float(RATIO), (1 + EPS) * a), xytext=(2.0, 2.0), arrowprops={"arrowstyle": "->"}, fontsize=8)
            axes.annotate(r"$r < 1 - \varepsilon$ with A > 0: not clipped," "\nthe gradient still flows",
                          xy=(0.5, 0.5), xytext=(0.13, 1.2), arrowprops={"arrowstyle": "->"}, fontsize=8)
        else:
            axes.annotate(r"$r > 1 + \varepsilon$ with A < 0: not clipped," "\nthe gradient still flows",
                          xy=(2.0, -2.0), xytext=(1.4, -0.6), arrowprops={"arrowstyle": "->"}, fontsize=8)
        axes.set_xscale("log")
        axes.set_xlim(PLOT_GRID[0], PLOT_GRID[-1])
        axes.set_ylim(*sorted((-0.3 * a, 3 * a)))  # r·A runs on to ±10 past the top (or bottom) edge
        ticks = [0.1, 0.2, 0.5, 1 - EPS, 1 + EPS, 2, 5, 10]
        axes.set_xticks(ticks, [f"{t:g}" for t in ticks])
        axes.minorticks_off()
        axes.set_xlabel(r"ratio $r = \pi_{new} / \pi_{old}$ (log scale)")
        axes.set_ylabel("objective (to maximise)")
        axes.set_title(f"A = {a:+.0f}: " + ("a good action, pushed up" if a > 0 else "a bad action, pushed down"))
        axes.legend(fontsize=7, loc="upper left" if a > 0 else "lower left")
    picture.suptitle(rf"§18 the clipped surrogate, $\varepsilon$ = {EPS}: flat (no gradient) only on the side A pushes"
                     " toward")
    return save(picture, path)
