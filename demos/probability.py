"""§1 Probability & distributions: the phone keyboard after "I'm on my" as a next-token distribution.

The post's keyboard suggests "way" 60%, "own" 15%, "phone" 8%, ... Here that
distribution lives in tensorgrad as logits z = log p, and ``F.softmax(z)``
gives the probabilities back; the engine checks the two properties every
distribution has (each p between 0 and 1, all of them summing to 1).
``tensorgrad.sampling.sample`` then draws from it: once per step in a tiny
pick-append-predict loop (next-token prediction), and many times over, where
the counted frequencies approach 60/15/8/... (a preview of §3's law of large
numbers). Nothing here trains, so ``fast`` is accepted and ignored.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure
from tensorgrad import functional as F
from tensorgrad import tensor
from tensorgrad.sampling import sample

TITLE = "§1 Probability & distributions: a keyboard is a next-token probability machine"

PROMPT = "I'm on my"
KEYBOARD = {"way": "60", "own": "15", "phone": "8", "mind": "5", "break": "3", "...rest": "9"}  # the post's %
TOP_THREE = 3  # "Everything else shares the remaining 17%": what way, own and phone leave
REMAINING = "17"
TOTAL = "100"  # "All probabilities sum to 100%"
RAW_SCORES = [2.3, -0.7, 0.4, -1.9, 0.0]  # any real numbers (logits, §4): softmax still gives a distribution
RAIN, DAYS = 0.7, 100  # "70% chance of rain ... about 70 out of 100 days"
RAINY_DAYS = "70"
# A toy model for the pick-append-predict loop (the post gives only its first row): last word → next word.
TOY_MODEL = {
    "my": {word: float(p) / 100 for word, p in KEYBOARD.items()},
    "way": {"home": 0.5, ".": 0.3, "now": 0.2},
    "home": {".": 0.7, "now": 0.3},
    "now": {".": 1.0},
}
END = "."  # the loop stops at END, or after MAX_NEW_WORDS; a word without a row is followed by END
MAX_NEW_WORDS = 4
SAMPLE_SIZES = (10, 100, 1_000, 10_000, 100_000)
SEED = 0
BARS_PNG = "probability_keyboard.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    return [_keyboard(), _two_properties(), _rain(rng), _next_token_loop(rng), _many_samples(rng, out_dir)]


def _logits_for(probabilities):
    """Logits whose softmax is ``probabilities``: z = log p (any constant could be added, §4)."""
    return tensor(list(probabilities)).log()


def _keyboard_logits():
    return _logits_for(float(p) / 100 for p in KEYBOARD.values())


def _keyboard():
    logits = _keyboard_logits()
    probs = F.softmax(logits).data
    words = list(KEYBOARD)
    top, rest = words[:TOP_THREE], words[TOP_THREE:]
    top_mass = probs[:TOP_THREE].sum()
    rest_terms = " + ".join(f"{100 * p:.0f}%" for p in probs[TOP_THREE:])
    step = Step(f"§1 \"{PROMPT} ___\": the keyboard's probability distribution")
    step.record("softmax of the logits", probs)
    return step.say(
        "The post's bars are this demo's inputs, not results to check. A model outputs logits, so they are",
        "stored as z = log p, and F.softmax(z) turns them back into probabilities:",
        "  " + "   ".join(f"{word} z = {z:+.2f}" for word, z in zip(words, logits.data)),
        "  " + "   ".join(f"{word} {100 * p:.0f}%" for word, p in zip(words, probs)),
        f"The top {TOP_THREE} ({', '.join(top)}) take {100 * top_mass:.0f}%; everything else shares the rest:",
        figure("everything else, 1 − P(way) − P(own) − P(phone)", REMAINING, 100 * (1 - top_mass), "%"),
        f"  which is {' + '.join(rest)} = {rest_terms} = {100 * probs[TOP_THREE:].sum():.0f}%.",
        figure("all probabilities together, Σ p", TOTAL, 100 * probs.sum(), "%"),
    )


def _two_properties():
    keyboard = F.softmax(_keyboard_logits()).data
    scores = tensor(RAW_SCORES)
    from_softmax = F.softmax(scores).data
    divided = (scores / scores.sum()).data  # the naive "share of the total" (§4 shows why it fails)
    step = Step("§1 The two properties of every distribution, checked by the engine")
    for name, p in (("the keyboard", keyboard), (f"softmax({RAW_SCORES})", from_softmax)):
        in_range = step.record(f"{name}: every p in [0, 1]", bool(((p >= 0) & (p <= 1)).all()))
        sums_to_one = step.record(f"{name}: they sum to 1", math.isclose(p.sum(), 1))
        step.record(f"{name}: smallest and largest p", (p.min(), p.max()))
        step.say(
            f"{name}: smallest p {p.min():.3f}, largest {p.max():.3f}, Σ p = {p.sum():.6f}",
            f"  (1) every p in [0, 1]: {_yes(in_range)}   (2) they sum to 1: {_yes(sums_to_one)}",
        )
    step.record("raw scores / their sum", divided)
    step.record("raw scores / their sum: every p in [0, 1]", bool(((divided >= 0) & (divided <= 1)).all()))
    return step.say(
        "softmax makes ANY list of real numbers a distribution: e^z is always positive, dividing by the sum makes 1.",
        f"Dividing the raw scores by their sum instead gives {', '.join(f'{d:+.2f}' for d in divided)}:",
        f"  every p in [0, 1]: {_yes(((divided >= 0) & (divided <= 1)).all())}"
        " — 'probabilities' below 0 and above 1, which is why §4 needs softmax.",
    )


def _yes(ok):
    return "yes" if ok else "NO"


def _rain(rng):
    per_day = (tensor([RAIN, 1 - RAIN]) @ tensor([1.0, 0.0])).item()  # E[rain] = 1 × 0.7 + 0 × 0.3
    expected = DAYS * per_day
    days = sample(np.tile(_logits_for([RAIN, 1 - RAIN]).data, (DAYS, 1)), rng=rng).tokens
    rainy = int((days == 0).sum())
    gap = abs(rainy - RAIN * DAYS)
    as_far = _binomial_tail(DAYS, RAIN, gap)
    step = Step("§1 \"A 70% chance of rain\": about 70 rainy days out of 100")
    for name, value in (("rainy days in the simulated stretch", rainy), ("days from 70", gap), ("P(that far)", as_far)):
        step.record(name, value)
    return step.say(
        f"P(rain) = {RAIN}: over {DAYS} days like today, expect {RAIN} × {DAYS} rainy days.",
        figure(f"expected rainy days of {DAYS}", RAINY_DAYS, expected, " days"),
        "\"About 70\" is the average over many stretches of 100 days; any one stretch scatters around it:",
        f"  one simulated stretch (seed {SEED}) had {rainy} rainy days;",
        f"  a stretch lands at least {gap:.0f} days from {RAIN * DAYS:.0f} with probability {as_far:.2f}"
        f" (binomial, n = {DAYS}, p = {RAIN}).",
    )


def _binomial_tail(n, p, gap):
    """P(|X − np| ≥ gap) for X ~ Binomial(n, p), summed exactly."""
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1) if abs(k - n * p) >= gap - 1e-9)


def _next_token_loop(rng):
    words = PROMPT.split()
    step = Step("§1 Next-token prediction: predict, pick one, append, predict again")
    step.say(f"A toy model (its first row is the post's keyboard; the rest is made up) continues \"{PROMPT}\":")
    while words[-1] != END and len(words) < len(PROMPT.split()) + MAX_NEW_WORDS:
        row = TOY_MODEL.get(words[-1], {END: 1.0})
        logits = _logits_for(row.values())
        probs = F.softmax(logits).data
        picked = list(row)[sample(logits.data, rng=rng).tokens.item()]
        top = sorted(zip(row, probs), key=lambda pair: -pair[1])[:3]
        shown = ", ".join(f"{w} {100 * p:.0f}%" for w, p in top)
        step.record(f"after \"{' '.join(words)}\": top three and the pick", (top, picked))
        step.say(f"  \"{' '.join(words)}\" → {shown}  → picked \"{picked}\"")
        words.append(picked)
    return step.say(
        f"Result: \"{' '.join(words).replace(' ' + END, END)}\".",
        "Each new word comes from a fresh distribution over what comes next, given everything so far.",
        "An LLM does exactly this over a vocabulary of 100,000+ tokens, hundreds of times per answer",
        "(tensorgrad.sampling.generate runs this loop for a real model).",
    )


def _many_samples(rng, out_dir):
    logits = _keyboard_logits()
    probs = F.softmax(logits).data
    drawn = sample(np.tile(logits.data, (max(SAMPLE_SIZES), 1)), rng=rng).tokens
    header = "  samples   " + "".join(f"{word:>8}" for word in KEYBOARD) + "   largest gap"
    rows, frequencies = [], {}
    for n in SAMPLE_SIZES:
        freq = np.bincount(drawn[:n], minlength=len(KEYBOARD)) / n
        frequencies[n] = freq
        shares = "".join(f"{100 * f:>7.1f}%" for f in freq)
        rows.append(f"  {n:>7,}   {shares}   {100 * np.abs(freq - probs).max():5.1f} points")
    step = Step("§1 Sampling the keyboard again and again: counts approach the probabilities")
    step.record("shares in the first n draws", frequencies)
    step.say(
        f"tensorgrad.sampling.sample draws \"{PROMPT} ___\" {max(SAMPLE_SIZES):,} times (seed {SEED}).",
        "The share of each word among the first n draws:",
        "  the post  " + "".join(f"{p:>7}%" for p in KEYBOARD.values()),
        header,
        *rows,
        "The more draws, the closer the shares get to the distribution: the law of large numbers (§3).",
    )
    shown = (SAMPLE_SIZES[1], SAMPLE_SIZES[3])
    path = _bars(probs, {n: frequencies[n] for n in shown}, out_dir / BARS_PNG)
    return step.show(path, f"the distribution beside the shares in {shown[0]:,} and {shown[1]:,} draws")


def _bars(probs, frequencies, path):
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    x = np.arange(len(KEYBOARD))
    width = 0.8 / (1 + len(frequencies))
    axes.bar(x - width, 100 * probs, width, label="the post's distribution", color="tab:blue")
    for offset, ((n, freq), color) in enumerate(zip(frequencies.items(), ("tab:gray", "tab:orange"))):
        axes.bar(x + offset * width, 100 * freq, width, label=f"share in {n:,} draws", color=color)
    for i, p in enumerate(probs):
        axes.text(x[i] - width, 100 * p + 1, f"{100 * p:.0f}%", ha="center", fontsize=8)
    axes.set_xticks(x, list(KEYBOARD))
    axes.set_ylabel("probability / share (%)")
    axes.set_title(f"\"{PROMPT} ___\": the distribution and what sampling it gives")
    axes.legend()
    return save(picture, path)
