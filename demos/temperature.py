"""§6 Temperature: dividing the logits by T before softmax sharpens or flattens the distribution.

The post's figures (five tokens at T = 0.1, 1 and 2; the two-token gap
example) are recomputed with tensorgrad (``F.softmax(z, temperature=T)``,
``tensorgrad.sampling.temperature``) and printed beside the post's own with
a verdict. Two of the post's three rows are not the softmax of its logits at
its temperatures: for each, the demo searches for the single temperature that
fits it best and computes the logits that would give it exactly. Then the
limits (T → 0 is greedy, T → ∞ uniform, the ranking never changes), and a
picture. Nothing is trained: ``fast`` is accepted for symmetry and ignored.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._solve import printed_range
from demos._stepper import Step, figure, verdict
from scalargrad import Value
from tensorgrad import functional as F
from tensorgrad import sampling, tensor

TITLE = "§6 Temperature: the confidence dial"

TOKENS = ("the", "a", "an", "big", "cat")
LOGITS = [5.2, 2.1, 1.5, 0.3, -0.8]
POST_ROWS = {  # the post's "Temperature: How One Number Changes Everything", in percent
    0.1: ("99.9", "0.1", "~0", "~0", "~0"),
    1.0: ("72", "15", "8", "4", "1"),
    2.0: ("35", "22", "18", "14", "11"),
}
SEARCH = np.geomspace(0.05, 50, 6001)  # temperatures tried when fitting a row
PAIR = [5.2, 2.1]  # "Temperature: Amplify or Compress the Gap"
POST_PAIR_GAP = "3.1"
POST_PAIR = {  # T: (divided logits, their gap, softmax in percent)
    0.5: (("10.4", "4.2"), "6.2", ("99.8", "0.2")),
    2.0: (("2.6", "1.05"), "1.55", ("68", "32")),
}
GAP, POST_GAP_FACTOR = 3.0, "22"  # "A logit gap of 3 becomes a 22x probability gap"
POST_DIVIDED_GAPS = ((2.0, "1.5"), (0.5, "6.0"))  # "divide all logits by 2 ... a gap of 3.0 becomes 1.5"
COLD = (0.05, 0.01, 0.001)
HOT = (10.0, 100.0, 10000.0)
RANKING_SWEEP = np.geomspace(0.01, 1000, 200)
PICTURE_TEMPERATURES = (0.1, 0.5, 1.0, 2.0, 5.0)
ENTROPY_SWEEP = np.geomspace(0.05, 50, 200)
PICTURE_PNG = "temperature_distributions.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        *(_row(T, post) for T, post in POST_ROWS.items()),
        _rows_disagree(),
        _gap_rule(),
        _pair(),
        _limits(),
        _picture(out_dir),
    ]


def _row(T, post):
    z = tensor(LOGITS)
    probs = 100 * F.softmax(z, temperature=T).data
    via_sampling = 100 * F.softmax(tensor(sampling.temperature(LOGITS, T))).data
    best_T, error, best_row, reproducing = _fit(post)
    # the range as printed, both ends checked to give the post's row
    shown = printed_range(reproducing[0], reproducing[-1], lambda t: _gives(t, post)) if reproducing else None
    differs = any(verdict(p, x) == "differs" for p, x in zip(post, probs))
    has_zeros = any(p.startswith("~") for p in post)  # "~0" has no logarithm: no logits give it exactly
    implied = _implied_logits(post, T) if differs and not has_zeros else None
    note = _row_note(T, implied, best_T, error, shown) if differs else ""
    step = Step(f"§6 Same logits, T = {T:g}")
    for name, value in (("softmax, in %", probs), ("best T", best_T), ("largest error at the best T", error),
                        ("temperatures reproducing the post", tuple(map(float, shown)) if shown else None),
                        ("logits giving the post's row", implied)):
        step.record(name, value)
    lines = [
        f"softmax({_numbers(LOGITS)} / {T:g}), in % (F.softmax(z, temperature={T:g})):",
        *(figure(f"T={T:g} {w}", p, x, unit="%", would_give=note) for w, p, x in zip(TOKENS, post, probs)),
        f"  exactly: {', '.join(f'{w} {x:.3g}%' for w, x in zip(TOKENS, probs))}",
        f"  (sampling.temperature(z, {T:g}) then softmax: largest difference {np.abs(via_sampling - probs).max():.0e})",
        f"  best single T for the post's row (smallest largest error): T = {best_T:.2f}, at most {error:.2f} points off:",
        f"    {_percents(best_row)}",
        _reproduced(shown),
    ]
    if implied is not None:
        check = 100 * F.softmax(tensor(implied), temperature=T).data
        lines += [
            f"  logits that give the post's row exactly at T = {T:g} (log p, scaled by T, top kept at {LOGITS[0]:g}):",
            f"    {_numbers(implied)} → {_percents(check)}",
            (
                "  So this row is the post's logits at another temperature."
                if shown
                else "  So no temperature explains this row: it needs different logits."
            ),
        ]
    elif differs:
        lines += [
            (f"  \"{TOKENS[1]}\" is really {probs[1]:.1e}%, not {post[1]}%:"
            f" a row with {post[0]}% and {post[1]}% is what T ≈ {best_T:.2f} gives."),
        ]
    return step.say(*lines)


def _fit(post):
    """(best T, its largest error in points, its row, the Ts whose row has no "differs")."""
    z = tensor(LOGITS)
    sweep = 100 * F.softmax(z[None, :] / tensor(SEARCH)[:, None]).data  # one row per temperature
    target = np.array([float(p.lstrip("~")) for p in post])
    errors = np.abs(sweep - target).max(axis=1)
    best = int(errors.argmin())
    reproducing = [T for T, row in zip(SEARCH, sweep) if all(verdict(p, x) != "differs" for p, x in zip(post, row))]
    return SEARCH[best], errors[best], sweep[best], reproducing


def _gives(T, post):
    """Whether softmax(z / T) shows as the post's row: no figure's verdict is "differs"."""
    row = 100 * F.softmax(tensor(LOGITS), temperature=T).data
    return all(verdict(p, x) != "differs" for p, x in zip(post, row))


def _implied_logits(post, T):
    """softmax(z / T) = p when z = T · log p + a constant; the constant keeps the top logit at LOGITS[0]."""
    log_p = tensor([float(p) / 100 for p in post]).log()
    return (T * (log_p - log_p[0]) + LOGITS[0]).data


def _row_note(T, implied, best_T, error, shown):
    """What would give a differing row: the temperatures that reproduce it (as printed), or logits that do at T."""
    if shown and implied is None:
        return f"T from {shown[0]} to {shown[1]} gives this row"
    if shown:
        return f"T from {shown[0]} to {shown[1]} gives this row; so do logits {_numbers(implied)}"
    return f"logits {_numbers(implied)} give it at T={T:g}; no single T does (best T={best_T:.2f}, {error:.1f} points off)"


def _reproduced(shown):
    """The line saying which temperatures of the search reproduce the post's row (printed range), if any."""
    if shown:
        return (
            f"  softmax(z / T) reproduces the post's row for T from {shown[0]} to {shown[1]}"
            f" (tried {SEARCH[0]:g} to {SEARCH[-1]:g})"
        )
    return f"  no single T from {SEARCH[0]:g} to {SEARCH[-1]:g} reproduces the post's row"


def _rows_disagree():
    """If the post's T = 1 row were right, its T = 2 row would follow from it: softmax(log p / 2)."""
    one, two = POST_ROWS[1.0], POST_ROWS[2.0]
    log_p = tensor([float(p) / 100 for p in one]).log()
    heated = 100 * F.softmax(log_p, temperature=2.0).data
    softened = 100 * F.softmax(tensor(LOGITS), temperature=2.0).data
    agree = all(verdict(p, h) != "differs" for p, h in zip(two, heated))
    step = Step("§6 Do the post's own rows agree with each other?")
    step.record("the T = 1 row's logits at T = 2, in %", heated)
    step.record("the rows agree", agree)
    return step.say(
        "Logits giving the post's T = 1 row are log p + c; at T = 2 those same logits must give softmax(log p / 2).",
        f"  the post's T = 1 row:                    {', '.join(one)} %",
        f"  the same logits at T = 2:                {_row_text(heated)} %",
        f"  the post's T = 2 row:                    {', '.join(two)} %",
        f"  the post's logits at T = 2:              {_row_text(softened)} %",
        (
            "The two rows fit one set of logits."
            if agree
            else "No set of logits gives both of the post's rows: they show the trend, not a calculation."
        ),
    )


def _row_text(values):
    return ", ".join(f"{v:.1f}" for v in values)


def _gap_rule():
    ratio = Value(GAP).exp()
    pair_gap = Value(PAIR[0]) - Value(PAIR[1])
    meant = pair_gap.exp()
    step = Step("§6 Why dividing the logits controls confidence")
    step.record(f"e^{pair_gap.data:.1f}", meant.data)
    note = f"a gap of {pair_gap.data:.1f} (§4's 5.2 − 2.1) gives e^{pair_gap.data:.1f} = {meant.data:.1f}x"
    lines = [
        figure(f"e^{GAP:g} (a logit gap of {GAP:g})", POST_GAP_FACTOR, ratio.data, unit="x", would_give=note),
        f"  e^3 is {ratio.data:.1f}: the post's 22x is §4's gap of 3.1 (e^3.1 = {meant.data:.1f}), rounded to 3 here.",
    ]
    for T, post in POST_DIVIDED_GAPS:
        divided = sampling.temperature([GAP, 0.0], T)
        lines.append(figure(f"a gap of {GAP:.1f} divided by T={T:g}", post, divided[0] - divided[1]))
    lines.append("Dividing by T > 1 shrinks every gap (flatter); by T < 1 stretches them (sharper).")
    return step.say(*lines)


def _pair():
    z = tensor(PAIR)
    step = Step("§6 Amplify or compress the gap: logits [5.2, 2.1]")
    lines = [figure("gap 5.2 − 2.1", POST_PAIR_GAP, (z[0] - z[1]).item())]
    for T, (post_logits, post_gap, post_probs) in POST_PAIR.items():
        divided = sampling.temperature(z, T)
        probs = 100 * F.softmax(z, temperature=T).data
        split_T, note = _pair_note(post_probs, (z[0] - z[1]).item())
        step.record(f"temperature giving the post's split at T={T:g}", split_T)
        lines += [
            f"Divide by T = {T:g}:",
            *(figure(f"{x:g} / {T:g}", p, d) for x, p, d in zip(PAIR, post_logits, divided)),
            figure(f"gap at T={T:g}", post_gap, divided[0] - divided[1]),
            *(figure(f"T={T:g} P({x:g})", p, q, unit="%", would_give=note) for x, p, q in zip(PAIR, post_probs, probs)),
        ]
        if any(verdict(p, q) == "differs" for p, q in zip(post_probs, probs)):
            lines.append(f"  At T = {T:g} softmax gives {probs[0]:.1f}% vs {probs[1]:.1f}%; {note}.")
    return step.say(*lines)


def _pair_note(post_probs, gap):
    """(T, note): the temperature giving the post's split p : q (softmax of two logits only sees gap / T = log(p / q))."""
    p, q = (float(x) for x in post_probs)
    T = Value(gap) / (Value(p) / q).log()
    check = 100 * F.softmax(tensor(PAIR), temperature=T.data).data
    return T.data, f"T = {gap:.1f} / ln({p:g}/{q:g}) = {T.data:.2f} gives {check[0]:.1f}% vs {check[1]:.1f}%"


def _limits():
    z = tensor(LOGITS)
    uniform = 100 / len(LOGITS)
    step = Step("§6 The edge cases: T → 0 is greedy, T → ∞ is uniform, the order never changes")
    lines = ["T → 0: every gap looks infinite, the top token takes everything (greedy decoding):"]
    for T in COLD:
        probs = 100 * F.softmax(z, temperature=T).data
        step.record(f"T = {T:g}: P(the), in %", probs[0])
        lines.append(f"  T = {T:g}: P(the) = {probs[0]:.1f}%, all the others together {probs[1:].sum():.1e}%")
    greedy = step.record("sampling.temperature(z, 0)", sampling.temperature(LOGITS, 0))
    lines += [
        f"  sampling.temperature(z, 0) returns the limit itself: {greedy.tolist()} (only \"the\" can be drawn)",
        f"T → ∞: every logit / T → 0, e^0 = 1 for all, so each of the {len(LOGITS)} tokens tends to {uniform:g}%:",
    ]
    for T in HOT:
        probs = 100 * F.softmax(z, temperature=T).data
        step.record(f"T = {T:g}: largest distance from uniform, in points", np.abs(probs - uniform).max())
        lines.append(f"  T = {T:g}: {_percents(probs, 3)} (at most {np.abs(probs - uniform).max():.2g} points from {uniform:g}%)")
    farthest = probs[np.abs(probs - uniform).argmax()]  # at the hottest T: the token farthest from equal
    lines.append(figure(f"T → ∞ (T = {HOT[-1]:,.0f}): \"equal probability\", the token farthest from it", f"{uniform:g}",
                        farthest, "%"))
    sweep = F.softmax(z[None, :] / tensor(RANKING_SWEEP)[:, None]).data
    same = all((np.argsort(-row, kind="stable") == np.argsort(-z.data)).all() for row in sweep)
    unchanged = step.record("T = 1 changes nothing", np.array_equal(F.softmax(z, temperature=1.0).data, F.softmax(z).data))
    step.record("the ranking never changes", same)
    lines += [
        f"T = 1 leaves the logits alone: F.softmax(z, temperature=1) equals F.softmax(z): {bool(unchanged)}",
        (
            f"Ranking at {len(RANKING_SWEEP)} temperatures from {RANKING_SWEEP[0]:g} to {RANKING_SWEEP[-1]:g}:"
            f" {' > '.join(TOKENS)} every time: {same}"
        ),
    ]
    return step.say(*lines)


def _picture(out_dir):
    z = tensor(LOGITS)
    rows = [100 * F.softmax(z, temperature=T).data for T in PICTURE_TEMPERATURES]
    bits = (F.entropy(logits=z[None, :] / tensor(ENTROPY_SWEEP)[:, None]) / np.log(2)).data
    marked = (F.entropy(logits=z[None, :] / tensor(PICTURE_TEMPERATURES)[:, None]) / np.log(2)).data
    path = _plot(rows, bits, marked, out_dir / PICTURE_PNG)
    step = Step("§6 The confidence dial, pictured")
    for T, h in zip(PICTURE_TEMPERATURES, marked):
        step.record(f"T = {T:g}: entropy in bits", h)
    step.say(
        *(f"  T = {T:<4g} {_percents(row)}   entropy {h:.2f} bits" for T, row, h in zip(PICTURE_TEMPERATURES, rows, marked)),
        f"Entropy (§8) rises with T, from 0 bits (certain) toward log2 {len(LOGITS)} = {np.log2(len(LOGITS)):.2f} bits (uniform).",
    )
    return step.show(path, "five temperatures, the post's rows as dots; entropy vs T")


def _numbers(values):
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _percents(values, digits=1):
    """Percentages labelled with their tokens: "the 92.6%, a 4.2%, ..."."""
    return ", ".join(f"{w} {v:.{digits}f}%" for w, v in zip(TOKENS, values))


def _plot(rows, bits, marked, path):
    """Grouped bars for each temperature with the post's rows as dots, and entropy against T (Agg, no window)."""
    picture = Figure(figsize=(9, 3.6), layout="constrained")
    bars, curve = picture.subplots(1, 2, width_ratios=(3, 2))
    width = 0.8 / len(PICTURE_TEMPERATURES)
    x = np.arange(len(TOKENS))
    for k, (T, row) in enumerate(zip(PICTURE_TEMPERATURES, rows)):
        offset = (k - (len(PICTURE_TEMPERATURES) - 1) / 2) * width
        bars.bar(x + offset, row, width, label=f"T = {T:g}", color=f"C{k}")
        if T in POST_ROWS:
            post = [float(p.lstrip("~")) for p in POST_ROWS[T]]
            first = T == min(POST_ROWS)
            bars.plot(x + offset, post, "o", color="black", markersize=4, label="the post's rows" if first else None)
    bars.set_xticks(x, TOKENS)
    bars.set_ylabel("probability (%)")
    bars.set_title(f"softmax(logits / T), logits {LOGITS}")
    bars.legend(fontsize="small")
    curve.plot(ENTROPY_SWEEP, bits, color="tab:purple")
    curve.plot(PICTURE_TEMPERATURES, marked, "o", color="tab:purple")
    for T, h in zip(PICTURE_TEMPERATURES, marked):
        curve.annotate(f"T={T:g}", (T, h), textcoords="offset points", xytext=(6, -10), fontsize="small")
    curve.axhline(np.log2(len(TOKENS)), linestyle=":", color="gray", label="uniform: log2 5")
    curve.set_xscale("log")
    curve.set_ylim(-0.2, 1.1 * np.log2(len(TOKENS)))
    curve.set_xlabel("temperature T")
    curve.set_ylabel("entropy (bits)")
    curve.set_title("Higher T, flatter, more uncertain")
    curve.legend(fontsize="small")
    return save(picture, path)
