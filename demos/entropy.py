"""§8 Entropy: one number for how uncertain a distribution is.

Surprise is −log p: zero for a certain event, huge for a rare one. Entropy is
the average surprise, H = Σ p·(−log p): 0 for a one-hot distribution, log n
(the most there is) for n equally likely outcomes. The demo computes the
post's surprise values and weather forecasts with ``scalargrad`` (in bits
with base 2, and in nats), shows that halving a probability adds log 2 to its
surprise (1% is less than 2× as surprising as 2%, not "way more"), and checks
that entropy is the expected surprise, that no distribution beats the
uniform one, and that entropy rises with temperature. Last, it uses the
gradient of ``tensorgrad.functional.entropy`` once, as an entropy bonus that
pushes a distribution flatter (the cure for the "entropy collapse" of RL
training).

The post's "H = 0.47 bits", "H = 1.92 bits" and "from 2.5 to 0.01" come
without distributions: the demo finds distributions that have those
entropies. Nothing is trained: ``fast`` is accepted for symmetry with the
other demos and ignored.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save, signed
from demos._solve import bisect
from demos._stepper import Step, figure, illustrative
from scalargrad import Value, entropy, sum_of
from tensorgrad import functional as F
from tensorgrad import tensor

TITLE = "§8 Entropy: measuring uncertainty as average surprise"

OUTCOMES = ("sun", "rain", "clouds", "snow")
FORECAST_A = (1.0, 0.0, 0.0, 0.0)  # "100% sunny"
FORECAST_B = (0.30, 0.25, 0.25, 0.20)
# The post's panels give entropies only; the demo looks for [q, (1−q)/3, (1−q)/3, (1−q)/3] with each.
LOW_BITS, HIGH_BITS = "0.47", "1.92"
# (p, the post's −log p) from "Surprise levels" and "Does this make sense", then the curve's labels.
SURPRISES = (("0.99", "0.01"), ("0.25", "1.39"), ("0.01", "4.61"), ("0.5", "0.69"), ("1", "0"))
CURVE_LABELS = (("0.01", "4.6"), ("0.1", "2.3"), ("0.25", "1.4"), ("0.5", "0.69"), ("1.0", "0"))
RARE, LESS_RARE = 0.01, 0.02  # "an event with 1% probability is not just 2x more surprising than 2%"
UNIFORM_SIZES = (2, 4, 8)
DIRICHLET_SAMPLES = 5000
SURPRISE_DRAWS = 100_000
VOCAB, LOGIT_SCALE = 50, 2.0  # "entropy dropped from 2.5 to 0.01": a 50-token logit vector of our own
COLLAPSE = ("2.5", "0.01")  # nats
TEMPERATURES = np.geomspace(0.05, 20, 40)
BONUS_STEP = 1.0  # one gradient-ascent step on H
SEED = 0
BARS_PNG, CURVE_PNG = "entropy_sharp_vs_flat.png", "entropy_surprise_curve.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    low, high = (_with_entropy(float(bits)) for bits in (LOW_BITS, HIGH_BITS))
    return [
        _forecasts(low, high, out_dir / BARS_PNG),
        _surprise(out_dir / CURVE_PNG),
        _expected_surprise(np.random.default_rng(SEED)),
        _extremes(np.random.default_rng(SEED)),
        _temperature(np.random.default_rng(SEED)),  # each step its own seeded generator: reproducible alone
        _entropy_bonus(low),
    ]


def _bits(probs):
    return entropy(probs=list(probs), base=2).data


def _nats(probs):
    return entropy(probs=list(probs)).data


def _family(q):
    """Four outcomes: q on the first, the rest shared equally."""
    return (q, *[(1 - q) / 3] * 3)


def _with_entropy(bits):
    """The q ∈ [1/4, 1] whose _family(q) has ``bits`` of entropy, by bisection (H falls as q rises)."""
    return _family(bisect(lambda q: _bits(_family(q)), bits, 0.25, 1.0))


def _shown(probs):
    return ", ".join(f"{name} {100 * p:.1f}%" for name, p in zip(OUTCOMES, probs))


def _forecasts(low, high, path):
    step = Step("§8 Two forecasts: which one leaves you more uncertain?")
    a_bits = _bits(FORECAST_A)
    b_bits = step.record("H(Forecast B) in bits", _bits(FORECAST_B))
    b_nats = step.record("H(Forecast B) in nats", _nats(FORECAST_B))
    lines = [
        "Forecast A: \"100% sunny\"; Forecast B: \"30% sun, 25% rain, 25% clouds, 20% snow\".",
        figure("Forecast B: its four probabilities sum to", "100", 100 * tensor(FORECAST_B).sum().item(), "%"),
        figure("H(Forecast A)", "0", a_bits, unit=" bits"),
        f"H(Forecast B) = {b_bits:.4f} bits = {b_nats:.4f} nats (bits: log base 2; nats: natural log)",
        (
            f"  the most any 4-outcome forecast can have is log2(4) = {_bits([0.25] * 4):.0f} bits:"
            " B is close to the maximum."
        ),
        "The post's Low/High panels give no distributions; bisection finds ones of the form",
        "  [q, (1−q)/3, (1−q)/3, (1−q)/3] with their entropies:",
    ]
    for name, post, probs in (("low", LOW_BITS, low), ("high", HIGH_BITS, high)):
        step.record(f"{name} entropy distribution", probs)
        lines.append(
            illustrative(
                f"{name} entropy", post, unit=" bits", engine=_bits(probs),
                note="no distribution in the post; bisection on q finds ["
                + ", ".join(f"{100 * p:.1f}%" for p in probs) + "]",
            )
        )
    _bars((("Forecast A", FORECAST_A), ("sharp spike", low), ("flat spread", high), ("Forecast B", FORECAST_B)),
          path)
    return step.say(*lines).show(path, "sharp: \"I know the answer\"; flat: \"I'm really not sure\"")


def _surprise(path):
    step = Step("§8 Surprise = −log p: rare events are surprising, common ones boring")
    lines = ["Surprise of an event of probability p: −log p (natural log, in nats)."]
    for p, post in SURPRISES:
        lines.append(figure(f"-log({p})", post, _surprise_of(float(p))))
    lines.append("The curve's labels:")
    for p, post in CURVE_LABELS:
        lines.append(figure(f"curve at p = {p}", post, _surprise_of(float(p))))
    lines += _one_vs_two_percent(step)
    _curve(path)
    return step.say(*lines).show(
        path, "−log p with the post's marked points"
    )


def _one_vs_two_percent(step):
    """What halving a probability does to −log p: it adds log 2, it does not multiply the surprise."""
    rare, less_rare = (0 - Value(p).log() for p in (RARE, LESS_RARE))
    step.record(f"−log({RARE})", rare.data)
    step.record(f"−log({LESS_RARE})", less_rare.data)
    times = step.record("how many times as surprising", (rare / less_rare).data)
    gap = step.record("how much more surprising, in nats", (rare - less_rare).data)
    odds, log_2 = (Value(LESS_RARE) / RARE).data, step.record("log 2", Value(2.0).log().data)
    top_gap = step.record("50% vs 100%, in nats", _surprise_of(0.5) - _surprise_of(1.0))
    as_surprising = 2 * less_rare.data  # twice the surprise of 2%: −log p = 2·(−log 0.02) at p = 0.02²
    return [
        "The post: 1% is \"not just 2x more surprising than 2%. It's way more surprising.\" Under −log p, not even 2×:",
        figure(f"−log {RARE} ÷ −log {LESS_RARE} (post: more than 2×)", "2", times, "x",
               would_give=f"twice the surprise of {LESS_RARE:.0%} ({as_surprising:.2f} nats) is p ="
                          f" {LESS_RARE}² = {100 * (0 - Value(as_surprising)).exp().data:.2f}%"),
        (
            f"  −log({RARE}) = {rare.data:.2f} nats vs −log({LESS_RARE}) = {less_rare.data:.2f} nats:"
            f" only {times:.2f}× as surprising."
        ),
        (
            f"  What is {odds:.0f}× is the probability ({LESS_RARE}/{RARE}); the surprise grows by {gap:.2f} nats,"
            f" which is log 2 = {log_2:.2f},"
        ),
        (
            f"  at every scale (50% vs 100%: {top_gap:.2f} nats too)."
            " Halving a probability adds log 2; it does not multiply."
        ),
    ]


def _surprise_of(p):
    return -Value(p).log().data


def _expected_surprise(rng):
    ps = [Value(p) for p in FORECAST_B]
    weighted = sum_of([p * (0 - p.log()) for p in ps])
    draws = rng.choice(len(FORECAST_B), size=SURPRISE_DRAWS, p=FORECAST_B)
    surprises = np.array([_surprise_of(p) for p in FORECAST_B])
    step = Step("§8 Entropy = expected surprise")
    by_weights = step.record("Σ p·(−log p)", weighted.data)
    by_scalargrad = step.record("scalargrad.entropy(p)", _nats(FORECAST_B))
    by_tensorgrad = step.record("tensorgrad.functional.entropy(logits)", F.entropy(logits=tensor(FORECAST_B).log()).item())
    by_sampling = step.record("mean surprise of the draws", surprises[draws].mean())
    return step.say(
        "H = Σ p·(−log p): each outcome's surprise, weighted by how often it happens. Forecast B, four ways:",
        "  " + " + ".join(f"{p}·{s:.3f}" for p, s in zip(FORECAST_B, surprises)) + f" = {by_weights:.6f} nats",
        f"  scalargrad.entropy(probs=p)                  = {by_scalargrad:.6f} nats",
        f"  tensorgrad.functional.entropy(logits=log p)  = {by_tensorgrad:.6f} nats",
        f"  mean surprise of {SURPRISE_DRAWS:,} seeded weather draws = {by_sampling:.6f} nats",
        "Rare outcomes are very surprising but seldom happen; common ones happen often but surprise little.",
    )


def _extremes(rng):
    step = Step("§8 Edge cases: H = 0 for a certainty, H = log n for n equal options")
    lines = [figure("H(one-hot, 8 outcomes)", "0", _bits([1.0] + [0.0] * 7), unit=" bits")]
    for n in UNIFORM_SIZES:
        h = F.entropy(logits=tensor(np.zeros(n))).item()  # equal logits: the uniform distribution
        log_n = tensor(float(n)).log().item()
        lines.append(figure(f"H({n} equal outcomes), the post's H = log(n) = log {n}", f"{math.log(n):.6f}", h,
                            " nats"))
        step.record(f"uniform over {n}: H in nats", h)
        step.record(f"uniform over {n}: log {n}", log_n)
        step.record(f"uniform over {n}: H in bits", _bits([1 / n] * n))
        lines.append(f"    in bits: {_bits([1 / n] * n):.3f} (log₂ {n})")
    n = UNIFORM_SIZES[-1]
    log_n = tensor(float(n)).log().item()
    samples = rng.dirichlet(np.ones(n), size=DIRICHLET_SAMPLES)
    hs = F.entropy(logits=tensor(samples).log()).data
    step.record("random distributions: lowest and highest entropy", (hs.min(), hs.max()))
    step.record(f"random distributions: none above log {n}", bool(hs.max() < log_n))
    lines += [
        (
            f"{DIRICHLET_SAMPLES:,} random distributions on {n} outcomes (Dirichlet(1, …, 1)):"
            f" entropies from {hs.min():.3f} to {hs.max():.3f} nats,"
        ),
        (
            f"  none above log {n} = {log_n:.3f}: {'true' if hs.max() < log_n else 'FALSE'}."
            " Equal odds is the most uncertain a distribution can be."
        ),
    ]
    return step.say(
        "One outcome at 100%: its surprise is 0, the others never happen and add nothing.", *lines
    )


def _temperature(rng):
    logits = LOGIT_SCALE * rng.standard_normal(VOCAB)
    swept = F.entropy(logits=tensor(logits[None, :] / TEMPERATURES[:, None])).data
    step = Step("§8 Entropy and temperature: low T, low entropy; high T, high entropy")
    rising = "yes" if step.record("entropy rises with T", bool(np.all(np.diff(swept) > 0))) else "NO"
    lines = [
        f"A {VOCAB}-token logit vector (seeded normal, scale {LOGIT_SCALE}), divided by T before softmax:",
        "  " + ", ".join(f"T={T:.2g}: {h:.2f}" for T, h in zip(TEMPERATURES[::6], swept[::6])) + " nats",
        (
            f"  entropy rises with T at all {len(TEMPERATURES)} temperatures from {TEMPERATURES[0]} to"
            f" {TEMPERATURES[-1]:.0f}: {rising}."
        ),
        f"  As T → ∞ it tends to log {VOCAB} = {F.entropy(logits=tensor(np.zeros(VOCAB))).item():.2f} (uniform).",
        "Temperature is the knob; entropy is the measurement of where the knob is pointing.",
        "The post's RL quiz, \"entropy dropped from 2.5 to 0.01\", with the temperature standing in for training:",
    ]
    for post in COLLAPSE:
        T = _temperature_for(logits, float(post))
        probs = F.softmax(tensor(logits), temperature=T).data
        h = F.entropy(logits=tensor(logits / T)).item()
        step.record(f"entropy {post}: temperature", T)
        step.record(f"entropy {post}: top token p", probs.max())
        lines.append(
            illustrative(
                f"entropy {post}", post, unit=" nats", engine=h,
                note=f"no model in the post; this logit vector has it at T = {T:.3g} (top token p = {probs.max():.3f})",
            )
        )
    lines.append("At 0.01 the model says the same token almost every time: entropy collapse, exploration is dead.")
    return step.say(*lines)


def _temperature_for(logits, nats):
    """The temperature at which softmax(logits / T) has entropy ``nats``, by bisection on log T."""
    log_t = bisect(lambda log_t: F.entropy(logits=tensor(logits / math.exp(log_t))).item(), nats, math.log(1e-3), math.log(1e3))
    return math.exp(log_t)


def _entropy_bonus(probs):
    log_p = tensor(probs).log().data
    logits = tensor(log_p, requires_grad=True)
    h = F.entropy(logits=logits)
    h.backward()
    p = np.array(probs)
    by_hand = -p * (log_p + h.item())  # dH/dz_i = −p_i (log p_i + H)
    stepped = logits.data + BONUS_STEP * logits.grad  # gradient ascent: the bonus rewards entropy
    after = F.softmax(tensor(stepped)).data
    step = Step("§8 An entropy bonus: \"stay surprised, keep exploring\"")
    for name, value in (("distribution", p), ("dH/dlogits, engine", logits.grad), ("dH/dlogits, by hand", by_hand),
                        ("H in bits, before the step", _bits(p)), ("H in bits, after the step", _bits(after))):
        step.record(name, value)
    return step.say(
        f"The sharp distribution ({_shown(p)}) has H = {h.item():.3f} nats = {_bits(p):.3f} bits.",
        "F.entropy(logits=logits).backward() gives dH/dlogits:",
        "  engine:  [" + ", ".join(f"{g:+.4f}" for g in logits.grad) + "]",
        "  −p(log p + H) by hand: [" + ", ".join(f"{g:+.4f}" for g in by_hand) + "]"
        f"  (largest gap {np.abs(logits.grad - by_hand).max():.1e})",
        "It lowers the top logit and raises the others: the push of an entropy bonus.",
        "(The post credits DAPO with such bonuses; DAPO's own fix for collapse is a wider upper clip, Clip-Higher.)",
        f"One step logits + {BONUS_STEP} × gradient gives {_shown(after)},",
        f"  with H = {_bits(after):.3f} bits (was {_bits(p):.3f}): flatter, so the model keeps exploring.",
    )


def _bars(panels, path):
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    for ax, (name, probs) in zip(fig.subplots(1, len(panels), sharey=True), panels):
        ax.bar(OUTCOMES, 100 * np.array(probs), color="tab:orange" if _bits(probs) > 1 else "tab:blue")
        ax.set_title(f"{name}\nH = {_bits(probs):.2f} bits", fontsize=10)
        ax.set_ylim(0, 105)
    fig.axes[0].set_ylabel("probability (%)")
    fig.suptitle("Low entropy = confident (blue), high entropy = uncertain (orange)")
    save(fig, path)


def _curve(path):
    grid = np.linspace(0.004, 1, 400)
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.subplots()
    for low, high, name, colour in ((0, 1, "boring", "#e8f4e8"), (1, 3, "notable", "#fdf3dc"),
                                    (3, 5.6, "SHOCK", "#fbe3e3")):
        ax.axhspan(low, high, color=colour)
        ax.text(0.98, (low + high) / 2, name, ha="right", va="center", color="grey")
    ax.plot(grid, -tensor(grid).log().data, color="black")
    for p, _ in CURVE_LABELS:
        s = _surprise_of(float(p))
        ax.plot(float(p), s, "o", color="tab:red", clip_on=False)
        left = float(p) > 0.9  # the label of p = 1 goes inside the axes
        ax.annotate(f"p = {p} → {signed(s, '.2f')}", (float(p), s), textcoords="offset points", xytext=(-8 if left else 8, 6),
                    ha="right" if left else "left", fontsize=9)
    ax.set(xlim=(0, 1), ylim=(0, 5.6), xlabel="probability of the event p", ylabel="surprise = −log p (nats)",
           title="The shape of surprise: −log p explodes as p drops")
    save(fig, path)
