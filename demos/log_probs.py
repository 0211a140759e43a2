"""§5 Log probabilities: products of tiny numbers underflow, sums of logs do not.

The post's figures (the Richter scale, its six token probabilities and their
logs, the three-word sentence, the log curve's labels) are recomputed with
scalargrad Values and tensorgrad Tensors and printed beside the post's own,
with a verdict. Then the underflow the post warns about, for real: a running
product of token probabilities hits exactly 0.0 in float64 and float32 while
the sum of their logs stays an ordinary number; and why frameworks fuse
log_softmax instead of taking log(softmax). Nothing is trained: ``fast`` is
accepted for symmetry with the other demos and ignored.
"""

import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, illustrative
from scalargrad import Value
from tensorgrad import functional as F
from tensorgrad import tensor

TITLE = "§5 Log probabilities: why we work in log-space"

MAGNITUDES = (8, 7)
ENERGY_PER_MAGNITUDE = 1.5  # energy grows as 10^(1.5 · magnitude)
POST_AMPLITUDE, POST_ENERGY = "10", "31.6"
TOKEN_PROBS = (0.02, 0.15, 0.08, 0.12, 0.03, 0.22)  # the post's figure "Why Log Probabilities"
POST_TOKEN_LOGS = ("-3.91", "-1.90", "-2.53", "-2.12", "-3.51", "-1.51")
SEQUENCE_LENGTH = 100
POST_SEQUENCE_LOG = "-247.3"
POST_SEQUENCE_PROB = "0.000000000000000000000000000001"  # "something astronomically small — like ..."
CURVE = (("0.01", "-4.6"), ("0.1", "-2.3"), ("0.5", "-0.69"), ("1.0", "0"))  # p, the post's log p
SPANS = (("0.5", "1.0", "0.69"), ("0.01", "0.1", "2.3"))  # "0.5 → 1.0 maps to just 0.69", ...
CONFIDENT = (0.9, 0.8, 0.7)
POST_CONFIDENT_PRODUCT, POST_CONFIDENT_SUM = "0.504", "240"
SENTENCE = (("I", 0.02), ("love", 0.15), ("cats", 0.08))
POST_SENTENCE_PRODUCT, POST_SENTENCE_LOG = "0.00024", "-8.34"
READINGS = (("-0.1", "90"), ("-4.6", "1"))  # a log-prob, the post's "~" probability in %
MAX_TOKENS = 400  # enough for float64's product to reach 0.0
EXTREME_LOGITS = {"float64": [0.0, -1000.0], "float32": [0.0, -120.0]}
CURVE_PNG = "log_probs_curve.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _richter(),
        _token_logs(),
        _hundred_tokens(),
        _underflow(),
        _log_curve(out_dir),
        _chain_rule(),
        _readings(),
        _fused_log_softmax(),
    ]


def _richter():
    high, low = MAGNITUDES
    amplitude = Value(10.0) ** (high - low)
    energy = Value(10.0) ** (ENERGY_PER_MAGNITUDE * (high - low))
    return Step("§5 The Richter scale: one step on a log scale is a big factor").say(
        f"Magnitude {high} vs {low}: shaking amplitude grows 10^1 per step, energy 10^{ENERGY_PER_MAGNITUDE} per step.",
        figure("amplitude ratio 10^1", POST_AMPLITUDE, amplitude.data, unit="x"),
        figure("energy ratio 10^1.5", POST_ENERGY, energy.data, unit="x"),
        "A log scale turns those factors into steps of 1: huge ranges become small, evenly spaced numbers.",
    )


def _token_logs():
    logs = tensor(TOKEN_PROBS).log()
    return Step("§5 Six token probabilities and their logs (tensorgrad's Tensor.log())").say(
        *(figure(f"log {p:g}", post, lp) for p, post, lp in zip(TOKEN_PROBS, POST_TOKEN_LOGS, logs.data)),
        "Every log of a probability is ≤ 0: the smaller the probability, the more negative its log.",
    )


def _cycled_tokens(n):
    """n token probabilities, going round the post's six again and again."""
    return [TOKEN_PROBS[i % len(TOKEN_PROBS)] for i in range(n)]


def _hundred_tokens():
    probs = _cycled_tokens(SEQUENCE_LENGTH)
    log_total = sum((Value(p).log() for p in probs), Value(0.0))
    product = Value(1.0)
    for p in probs:
        product = product * p
    per_token = Value(float(POST_SEQUENCE_LOG)) / SEQUENCE_LENGTH
    step = Step(f"§5 A {SEQUENCE_LENGTH}-token response: multiply, or add logs?")
    implied = Value(float(POST_SEQUENCE_LOG)).exp()  # the product the post's own Σ log p stands for
    zeros = (_zeros_after_point(product.data), _zeros_after_point(float(POST_SEQUENCE_PROB)),
             _zeros_after_point(implied.data))
    for name, value in (("the post's typical token probability", per_token.exp().data), ("Π p", product.data),
                        ("e^(the post's Σ log p)", implied.data),
                        ("zeros after the point: Π p, the post's, e^(the post's Σ log p)", zeros)):
        step.record(name, value)
    return step.say(
        f"The post gives no {SEQUENCE_LENGTH} probabilities; here: its six, repeated until there are {SEQUENCE_LENGTH}.",
        illustrative(
            f"Σ log p over {SEQUENCE_LENGTH} tokens",
            POST_SEQUENCE_LOG,
            engine=round(log_total.data, 1),
            note=(
                f"the six cycled give {log_total.data:.1f}; {POST_SEQUENCE_LOG} means a typical token"
                f" probability of e^({per_token.data:.3f}) = {100 * per_token.exp().data:.1f}%"
            ),
        ),
        figure(
            f"Π p of the {SEQUENCE_LENGTH} with Σ log p = {POST_SEQUENCE_LOG}",
            POST_SEQUENCE_PROB,
            implied.data,
            would_give=(
                f"e^({POST_SEQUENCE_LOG}) = {implied.data:.1e}: {zeros[2]} zeros after the point, not {zeros[1]}"
                f" (that is Σ log p = {math.log(float(POST_SEQUENCE_PROB)):.1f})"
            ),
        ),
        f"The six cycled give Π p = {product.data:.1e}, {zeros[0]} zeros after the point.",
        f"{product.data:.1e} is still a float64 number, but a few hundred more tokens and it is not (next step).",
        f"The sum of logs just falls by {-log_total.data / SEQUENCE_LENGTH:.2f} per token on average, far from any limit.",
    )


def _underflow():
    """Running products and running sums of logs, in float64 and float32 tensors."""
    probs = _cycled_tokens(MAX_TOKENS)
    step = Step("§5 Underflow, for real: the product hits exactly 0.0")
    lines = [f"Multiply the cycled token probabilities one at a time, up to {MAX_TOKENS} tokens (tensorgrad):"]
    for dtype in ("float64", "float32"):
        smallest_normal = np.finfo(dtype).tiny
        product, log_sum = tensor(1.0, dtype=dtype), tensor(0.0, dtype=dtype)
        denormal_at = zero_at = None
        for n, p in enumerate(probs, start=1):
            token = tensor(p, dtype=dtype)
            product, log_sum = product * token, log_sum + token.log()
            if denormal_at is None and product.item() < smallest_normal:
                denormal_at = (n, product.item())
            if product.item() == 0.0:
                zero_at = (n, log_sum.item())
                break
        step.record(f"{dtype}: tokens until below the smallest normal number", denormal_at[0])
        step.record(f"{dtype}: tokens until exactly 0.0, and the sum of logs there", zero_at)
        lines += [
            (
                f"  {dtype}: below the smallest normal number ({smallest_normal:.1e}) after {denormal_at[0]} tokens"
                f" ({denormal_at[1]:.1e}: digits start to drop off);"
            ),
            f"           exactly 0.0 after {zero_at[0]} tokens, when the sum of logs is a plain {zero_at[1]:.1f}",
        ]
    lines += [
        "Once the product is 0.0, every longer response scores the same 0: nothing left to compare.",
        "Models often run in float32 or lower precision: there it takes only a few dozen tokens.",
    ]
    return step.say(*lines)


def _log_curve(out_dir):
    ps = tensor([float(p) for p, _ in CURVE])
    logs = ps.log()
    lines = [figure(f"log {p}", post, lp) for (p, post), lp in zip(CURVE, logs.data)]
    for low, high, post in SPANS:
        span = Value(float(high)).log() - Value(float(low)).log()
        lines += [
            figure(f"log {high} − log {low}", post, span.data),
            f"    {low} → {high} is a step of {float(high) - float(low):g} in probability, {span.data:.2f} in log-space",
        ]
    lines.append("Tiny probabilities are spread apart, large ones squeezed together: where e^x explodes, log flattens.")
    path = _plot_log(logs.data, out_dir / CURVE_PNG)
    return Step("§5 The shape of log(x) on (0, 1]").say(*lines).show(path, "log p with the post's marked points")


def _chain_rule():
    product = Value(1.0)
    for p in CONFIDENT:
        product = product * p
    added = sum((Value(100 * p) for p in CONFIDENT), Value(0.0))
    words = [Value(p) for _, p in SENTENCE]
    sentence = words[0] * words[1] * words[2]
    logs = [w.log() for w in words]
    log_sentence = logs[0] + logs[1] + logs[2]
    rounded_logs = [round(lp.data, 2) for lp in logs]
    step = Step("§5 Why a sequence's probability is a product (the chain rule of probability)")
    step.record("the post's rounded logs added", sum(rounded_logs))
    return step.say(
        "Three words, 90%, 80% and 70% sure, each given the words before it:",
        figure("90% + 80% + 70%", POST_CONFIDENT_SUM, added.data, unit="%"),
        figure("0.9 × 0.8 × 0.7", POST_CONFIDENT_PRODUCT, product.data),
        "  Adding gives more than 100%: nonsense. Passing three checkpoints in a row multiplies the pass rates.",
        "P(\"I\") · P(\"love\" | \"I\") · P(\"cats\" | \"I love\"):",
        figure("0.02 × 0.15 × 0.08", POST_SENTENCE_PRODUCT, sentence.data),
        figure("log 0.02 + log 0.15 + log 0.08", POST_SENTENCE_LOG, log_sentence.data),
        f"  The exact sum is {log_sentence.data:.4f}; the post added its rounded logs:"
        f" {' + '.join(f'({x:.2f})' for x in rounded_logs)} = {sum(rounded_logs):.2f}.",
        f"  Back from log-space: e^{log_sentence.data:.4f} = {log_sentence.exp().data:.5f}, the product again.",
    )


def _readings():
    lines = []
    for log_p, post in READINGS:
        p = Value(float(log_p)).exp()
        lines.append(figure(f"log-prob {log_p} → probability", post, 100 * p.data, unit="%"))
    lines.append("Comparing two responses: the higher (less negative) total log-probability is the one the model prefers.")
    return Step("§5 Reading a log-prob: e^(log p) gives the probability back").say(*lines)


def _fused_log_softmax():
    step = Step("§5 Why frameworks fuse log_softmax")
    lines = [
        "Extreme logits: softmax's smaller probability underflows to exactly 0.0, and log(0) is −inf.",
    ]
    for dtype, logits in EXTREME_LOGITS.items():
        z = tensor(np.array(logits, dtype=dtype), requires_grad=True)
        probs = F.softmax(z)
        log_probs = F.log_softmax(z)
        log_probs[1].backward()
        with np.errstate(divide="ignore"):
            plain = np.log(probs.data)
        for name, value in (("log(softmax) in tensorgrad", _attempt(probs.log)), ("log(softmax) in plain NumPy", plain),
                            ("F.log_softmax", log_probs.data), ("gradient of log p[1]", z.grad)):
            step.record(f"{dtype}: {name}", value)
        lines += [
            f"  {dtype} logits {logits}: softmax = {probs.data.tolist()}",
            f"    log(softmax) in tensorgrad: {_attempt(probs.log)}",
            f"    log(softmax) in plain NumPy: {plain.tolist()}",
            f"    F.log_softmax = {log_probs.data.tolist()}, finite; its gradient of log p[1]: {z.grad.tolist()}",
        ]
    lines += [
        "log_softmax(z) = z − max − log Σ e^(z − max): no probability is formed, so none can underflow.",
        "That is the fused op every framework uses, and what cross-entropy (§9) and REINFORCE (§16) build on.",
    ]
    return step.say(*lines)


def _zeros_after_point(x):
    """How many zeros a positive x < 1 has between the decimal point and its first digit."""
    return -math.floor(math.log10(x)) - 1


def _attempt(compute):
    """The result of ``compute()``, or the error it raised, as text."""
    try:
        return str(compute())
    except (OverflowError, ValueError) as error:
        return textwrap.shorten(f"{type(error).__name__}: {error}", width=70, placeholder=" …")


def _plot_log(marked, path):
    """log p on (0, 1] with the post's labelled points (Agg, no window)."""
    grid = tensor(np.linspace(0.005, 1.0, 400))
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    axes.plot(grid.data, grid.log().data, color="tab:blue", label="log p")
    offsets = ((8, -14), (14, -20), (-20, 10), (-40, 10))  # keep the labels clear of the curve
    for (p, post), y, offset in zip(CURVE, marked, offsets):
        axes.plot(float(p), y, "o", color="tab:red")
        axes.annotate(f"p={p}: {post}", (float(p), y), textcoords="offset points", xytext=offset)
    # each gap: its two p, their log p, where its arrow stands, where its text goes (x, y, va), colour
    spans = (((0.01, 0.1), (marked[0], marked[1]), 0.2, (0.215, (marked[0] + marked[1]) / 2, "center"), "tab:orange"),
             ((0.5, 1.0), (marked[2], marked[3]), 0.75, (0.765, marked[2] - 0.15, "top"), "tab:green"))
    for (p_low, p_high), (low, high), x, (text_x, text_y, va), color in spans:
        axes.plot([p_low, x], [low, low], ":", color=color)
        axes.plot([p_high, x], [high, high], ":", color=color)
        axes.annotate("", (x, high), (x, low), arrowprops={"arrowstyle": "<->", "color": color})
        axes.text(text_x, text_y, f"{p_low:g} → {p_high:g}:\n{high - low:.2f} apart", color=color, va=va)
    axes.set_xlim(0, 1.02)
    axes.set_ylim(-5.4, 0.5)
    axes.set_xlabel("probability p")
    axes.set_ylabel("log(probability)")
    axes.set_title("log p: tiny probabilities spread apart, large ones squeezed together")
    axes.legend(loc="lower right")
    return save(picture, path)
