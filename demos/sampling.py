"""§7 Sampling strategies: greedy, full sampling, top-k and top-p on the post's seven tokens.

The post's distribution ("the" 45%, "a" 20%, ... "red" 2%) goes into
``tensorgrad.sampling`` as logits log p (softmax gives p back). Greedy
decoding always takes "the"; full sampling draws every token about as often
as its probability says; top-k (k = 3) keeps three tokens whatever the
distribution looks like; top-p (p = 0.9) keeps tokens until their mass
reaches 90%: four here, one when "the" has 95%, nearly all when the
distribution is flat. That adaptivity is why the post says top-p won.

Nothing is trained: ``fast`` is accepted for symmetry with the other demos
and ignored.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, illustrative
from tensorgrad import functional as F
from tensorgrad import sampling, tensor

TITLE = "§7 Sampling strategies: greedy, full sampling, top-k and top-p (nucleus)"

TOKENS = ("the", "a", "an", "big", "old", "my", "red")
PROBS = (0.45, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02)  # the post's distribution
K, P = 3, 0.9  # the post's top-k and top-p settings
CONFIDENT_TOP = 0.95  # "if 'the' was 95%": the other tokens share the last 5% in the post's proportions
UNSURE = (0.14, 0.13, 0.12, 0.11, 0.10, 0.10, 0.09, 0.08, 0.07, 0.06)  # "many tokens around 10-15%"
# "sometimes your top 2 dishes cover 90%, sometimes your top 20 do": two menus of our own making
SURE_MENU = (0.62, 0.30) + (0.01,) * 8
UNSURE_MENU = (0.046,) * 20 + (0.01,) * 8
GREEDY_CALLS = 200
DRAWS = 20_000
SHIFTS = np.linspace(-10, 10, 401)  # logit + c gives the same softmax: the same 90%, rounded differently
SEED = 0
PICTURE = "sampling_cutoffs.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    logits = tensor(PROBS).log().data  # softmax(log p) = p
    confident = _confident()
    return [
        _greedy(logits),
        _full_sampling(logits, rng),
        _top_k(logits, rng),
        _top_p(logits, rng),
        _float_rounding(logits),
        _adaptivity(confident, rng),
        _picture(logits, tensor(confident).log().data, out_dir / PICTURE),
    ]


def _confident():
    """'the' at 95%, the other six sharing 5% in the post's proportions."""
    rest = np.array(PROBS[1:])
    return np.concatenate([[CONFIDENT_TOP], (1 - CONFIDENT_TOP) * rest / rest.sum()])


def _kept(filtered):
    """Which tokens a filter left (the others have logit −inf)."""
    return np.isfinite(filtered)


def _percent(probs):
    """Each token's share in %, leaving out the tokens a filter removed (share 0)."""
    return ", ".join(f"{token} {100 * p:.1f}%" for token, p in zip(TOKENS, probs) if p > 0)


def _frequencies(tokens):
    """How often each token id was drawn, as a share of all draws."""
    return np.bincount(tokens, minlength=len(TOKENS)) / len(tokens)


def _greedy(logits):
    picks = [TOKENS[int(sampling.sample(logits, greedy=True).tokens)] for _ in range(GREEDY_CALLS)]
    cold = TOKENS[int(sampling.sample(logits, temperature=0.0).tokens)]
    step = Step("§7 The post's distribution, and greedy decoding (argmax)")
    step.record("greedy picks", {token: picks.count(token) for token in dict.fromkeys(picks)})
    step.record("temperature 0 picks", cold)
    return step.say(
        "Next-token probabilities: " + _percent(F.softmax(tensor(logits)).data),
        figure(f"the post's {len(PROBS)} probabilities sum to", "100", 100 * tensor(PROBS).sum().item(), "%"),
        "  (logits = log p: softmax(log p) gives p back)",
        "Greedy: always pick #1, like always ordering the dish you want most.",
        f"  {GREEDY_CALLS} calls of sample(logits, greedy=True) picked: "
        + ", ".join(f"{token!r} × {picks.count(token)}" for token in dict.fromkeys(picks)),
        f"  temperature 0 is the same limit: it picks {cold!r}. Deterministic, same output every time.",
    )


def _full_sampling(logits, rng):
    drawn = sampling.sample(np.tile(logits, (DRAWS, 1)), rng=rng).tokens
    freq = _frequencies(drawn)
    spread = np.sqrt(np.array(PROBS) * (1 - np.array(PROBS)) / DRAWS)  # binomial standard deviation
    lines = [
        f"Full sampling: every token in the hat, weighted by its probability. {DRAWS:,} seeded draws:",
        *(
            f"  {token:4} p = {100 * p:4.1f}%   drawn {100 * f:5.2f}% of the time"
            f"   ({(f - p) / s:+.1f} standard deviations)"
            for token, p, f, s in zip(TOKENS, PROBS, freq, spread)
        ),
        f"Even 'red' (2%) came up {np.count_nonzero(drawn == TOKENS.index('red'))} times: maximum variety, risky.",
    ]
    step = Step("§7 Full sampling: draw from the whole distribution")
    step.record("shares drawn", freq)
    return step.say(*lines)


def _top_k(logits, rng):
    kept = _kept(sampling.top_k(logits, K))
    renormalised = sampling.sample(logits, top_k=K, rng=rng).probs
    share = F.softmax(tensor(logits)).data[kept].sum()
    drawn = sampling.sample(np.tile(logits, (DRAWS, 1)), top_k=K, rng=rng).tokens
    step = Step(f"§7 Top-k (k = {K}): keep exactly the top {K} tokens, discard the rest")
    step.record("renormalised", renormalised)
    step.record("shares drawn", _frequencies(drawn))
    return step.say(
        f"top_k(logits, {K}) keeps: " + ", ".join(t for t, k in zip(TOKENS, kept) if k),
        figure("top-k: tokens kept", str(K), kept.sum()),
        f"They held {100 * share:.0f}% of the mass; renormalised to 100% they become: {_percent(renormalised)}",
        f"{DRAWS:,} draws with top_k={K}: " + _percent(_frequencies(drawn))
        + f" — the other {len(TOKENS) - K} never appear.",
    )


def _top_p(logits, rng):
    kept = _kept(sampling.top_p(logits, P))
    probs = F.softmax(tensor(logits)).data
    drawn = sampling.sample(np.tile(logits, (DRAWS, 1)), top_p=P, rng=rng).tokens
    step = Step(f"§7 Top-p (p = {P}): keep adding tokens until the mass reaches 90%")
    step.record("shares drawn", _frequencies(drawn))
    return step.say(
        "Running total: " + " → ".join(f"{100 * c:.0f}%" for c in np.cumsum(probs)),
        f"top_p(logits, {P}) keeps: " + ", ".join(t for t, k in zip(TOKENS, kept) if k),
        figure("top-p: tokens kept", "4", kept.sum()),
        figure("top-p: 45+20+15+10", "90", 100 * probs[kept].sum(), unit="%"),
        "Renormalised: " + _percent(sampling.sample(logits, top_p=P, rng=rng).probs),
        f"{DRAWS:,} draws with top_p={P}: " + _percent(_frequencies(drawn)),
    )


def _float_rounding(logits):
    """The 90% boundary in floating point: the four tokens' mass is not always exactly 0.9."""
    rows = logits[None, :] + SHIFTS[:, None]  # every row has the post's softmax
    mass_of_four = np.cumsum(F.softmax(tensor(rows)).data, axis=-1)[:, 3]
    below = mass_of_four < P
    kept = _kept(sampling.top_p(rows, P)).sum(axis=-1)
    step = Step("§7 Top-p at exactly 90%: floating point and the cut")
    step.record("masses below 0.9", int(below.sum()))
    step.record("tokens kept, over all shifts", np.unique(kept))
    return step.say(
        "45 + 20 + 15 + 10 lands exactly on p = 90%, and float64 cannot always say so:",
        f"  with the logits shifted by {len(SHIFTS)} constants c from {SHIFTS[0]:.0f} to {SHIFTS[-1]:.0f}"
        " (softmax(z + c) = softmax(z)),",
        f"  the mass of the first four came out as {len(np.unique(mass_of_four))} different floats, from"
        f" {float(mass_of_four.min())!r} to {float(mass_of_four.max())!r};",
        f"  {below.sum()} of them fall below 0.9, where a strict 'add tokens while the total is < 0.9'"
        " would take a fifth token.",
        f"tensorgrad's top_p counts a mass within {sampling.TOP_P_TOLERANCE:g} of p as reaching p,",
        f"  and kept {', '.join(str(n) for n in np.unique(kept))} tokens for every one of the {len(SHIFTS)} shifts.",
    )


def _adaptivity(confident, rng):
    step = Step("§7 Why top-p won: it adapts to the model's confidence")
    lines = ["The same two rules on other distributions:"]
    cases = (
        (f"'the' at {100 * CONFIDENT_TOP:.0f}%", confident, "1"),
        ("flat, 10 tokens from 14% to 6%", np.array(UNSURE), None),
    )
    for name, probs, post_top_p in cases:
        z = tensor(probs).log().data
        kept_p = step.record(f"{name}: top-p keeps", _kept(sampling.top_p(z, P)).sum())
        kept_k = step.record(f"{name}: top-k keeps", _kept(sampling.top_k(z, K)).sum())
        lines.append(f"  {name}: top-p keeps {kept_p} of {len(probs)}, top-k keeps {kept_k}")
        if post_top_p:
            lines += [
                figure(f"top-p kept, {name}", post_top_p, kept_p),
                figure(f"top-k kept, {name}", str(K), kept_k),
            ]
    drawn = sampling.sample(np.tile(tensor(confident).log().data, (DRAWS, 1)), top_p=P, rng=rng).tokens
    the = step.record("'the' at 95%: top-p draws of 'the'", np.count_nonzero(drawn == 0))
    lines.append(f"  With 'the' at 95%, {DRAWS:,} top-p draws gave 'the' {the:,} times: acting like greedy.")
    lines.append(f"Top-k's problem: always {K} tokens, whether the model is 95% sure or completely unsure.")
    lines.append("The restaurant: keep adding dishes until they cover 90% of your preference weight.")
    for post, menu, shape in (
        ("2", SURE_MENU, "62%, 30% and eight dishes at 1%"),
        ("20", UNSURE_MENU, "twenty dishes at 4.6% and eight at 1%"),
    ):
        kept = _kept(sampling.top_p(tensor(menu).log().data, P)).sum()
        step.record(f"top {post} dishes: top_p(0.9) keeps", kept)
        lines.append(
            illustrative(
                f"top {post} dishes cover 90%", post, engine=kept,
                note=f"the post gives no menu; on one of {shape}, top_p(0.9) keeps {kept}",
            )
        )
    return step.say(*lines)


def _picture(logits, confident_logits, path):
    fig = Figure(figsize=(9, 5.6), layout="constrained")
    axes = fig.subplots(2, 2, sharey=True)
    rows = (("the post's distribution", logits), (f"'the' at {100 * CONFIDENT_TOP:.0f}%", confident_logits))
    for (name, z), row in zip(rows, axes):
        probs = F.softmax(tensor(z)).data
        for ax, (rule, filtered) in zip(row, ((f"top-k, k = {K}", sampling.top_k(z, K)),
                                               (f"top-p, p = {P}", sampling.top_p(z, P)))):
            kept = _kept(filtered)
            ax.bar(TOKENS, 100 * probs, color=np.where(kept, "tab:blue", "lightgrey"), edgecolor="grey")
            for x, p in enumerate(probs):
                ax.text(x, 100 * p + 1.5, f"{100 * p:.2g}%", ha="center", fontsize=8)
            plural = "s" if kept.sum() != 1 else ""
            ax.set_title(f"{rule} on {name}\nkeeps {kept.sum()} token{plural}, {100 * probs[kept].sum():.0f}% of the mass",
                         fontsize=9)
            ax.set_ylim(0, 110)
        row[0].set_ylabel("probability (%)")
    fig.suptitle("Where do you draw the line? Kept tokens in blue, discarded in grey")
    save(fig, path)
    return Step("§7 Picture: top-k vs top-p cut-offs").show(
        path, "top-k: 3 tokens either way; top-p: 4, then 1 when the model is sure"
    )
