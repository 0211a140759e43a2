"""§13 The attention mechanism: the post's scores and weights, recomputed.

Every value is computed by tensorgrad (``F.softmax``,
``scaled_dot_product_attention``) and set beside the post's own figure. The
post's attention weights turn out not to be the softmax of its attention
scores: each weight's claim says what would give the post's figure instead (a
temperature, when one exists, and the scores log w − mean, which always do),
and the last step shows why the formula divides by √d. Nothing here trains,
so ``fast`` is accepted and ignored. The dot products and matrix products
underneath are §12's demo, ``demos/dot_products.py``.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._solve import printed_range
from demos._stepper import Step, figure, verdict
from scalargrad import Value
from scalargrad.graph import topological_order
from tensorgrad import functional as F
from tensorgrad import scaled_dot_product_attention, tensor

TITLE = "§13 Attention: softmax(Q·Kᵀ/√d)·V, the post's weights recomputed"

# The post's first attention figure: the query "mat" against the keys of "The cat sat on the mat".
SENTENCE = ("The", "cat", "sat", "on", "the")
SENTENCE_SCORES = [0.8, 4.2, 2.8, 1.1, 1.5]
SENTENCE_WEIGHTS = ("5", "42", "28", "10", "15")  # percent
# "Inside the Attention Formula": Q·Kᵀ for three words, and the weights the post prints.
WORDS = ("cat", "sat", "mat")
SCORES = [[4.2, 1.1, 0.5], [2.8, 3.5, 1.8], [3.1, 2.4, 0.9]]
WEIGHTS = (("0.80", "0.12", "0.08"), ("0.27", "0.55", "0.18"), ("0.40", "0.32", "0.28"))
HEAD_DIM = 4  # "each represented as a 4-dimensional vector"
TEMPERATURES = np.geomspace(0.05, 20, 4000)  # searched for a temperature that reproduces a row
WIDTH, ROOT_WIDTH = 768, "27.7"  # "Dividing by √768 ≈ 27.7"
PAIRS, KEYS, SEED = 1000, 8, 0
RNN_TOKENS, COMPRESSIONS = 500, "500"  # "squeezed through 500 compression steps to reach token 500"
RNN_CARRY = 0.5  # how much of the old state an update keeps (our choice: the post gives no RNN)
HEATMAP_PNG = "attention_weights.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_sentence(), _score_matrix(out_dir), _scores_for_the_posts_weights(), _scaling(), _long_range()]


def _sentence():
    scores = tensor(SENTENCE_SCORES)
    weights = F.softmax(scores)
    share = scores / scores.sum()  # the plain division §4 rejects
    post = np.array([float(p) for p in SENTENCE_WEIGHTS]) / 100
    fit = _Fit(SENTENCE_SCORES, SENTENCE_WEIGHTS, 100)
    step = Step("§13 \"The cat sat on the mat\": scores → softmax → weights")
    fit.record(step, "The cat sat… (mat)")
    step.say(
        "Query: \"mat\". Scores Q·K: " + ", ".join(f"{w} {s}" for w, s in zip(SENTENCE, SENTENCE_SCORES)),
        "softmax(scores), in %:",
    )
    for word, p, w in zip(SENTENCE, SENTENCE_WEIGHTS, weights.data):
        step.say(figure(word, p, 100 * w, unit="%", would_give=fit.would_give()))
    return step.say(
        (
            f"The post's weights are not the softmax of its scores: softmax gives \"cat\""
            f" {100 * weights.data[1]:.1f}%, not {SENTENCE_WEIGHTS[1]}%."
        ),
        *fit.lines(),
        _sums_to_100("the post's weights", SENTENCE_WEIGHTS, 100),
        "For comparison, the plain division §4 rejects, score / Σ scores, gives "
        + ", ".join(f"{100 * s:.0f}%" for s in share.data)
        + ":",
        f"  {_closer(share.data, weights.data, post)}",
    )


def _closer(share, softmax, post):
    """Which of two guesses lies nearer the post's weights, by their largest gap in percentage points."""
    gap_share, gap_softmax = 100 * np.abs(share - post).max(), 100 * np.abs(softmax - post).max()
    nearer = "nearer the post's figure than softmax" if gap_share < gap_softmax else "no nearer than softmax"
    return f"{nearer} (largest gap {gap_share:.1f} points vs {gap_softmax:.1f}), though not equal to it either."


class _Fit:
    """What would turn one row of the post's scores into the post's weights for that row.

    ``post`` holds the post's figures as printed, ``scale`` is 100 for
    percentages and 1 for fractions. Two answers:

    - a temperature: softmax(s/T) = w means log w = s/T + a constant, so the
      best T comes from a straight-line fit of the centred log-weights
      against the centred scores; a T *reproduces* the row when no weight's
      verdict is "differs" (searched over ``TEMPERATURES``);
    - scores: softmax only sees differences, so log w − mean(log w), shown
      rounded to two decimals, gives w back (§4).
    """

    def __init__(self, scores, post, scale):
        self.post, self.scale = post, scale
        s = tensor(scores)
        log_w = tensor([float(p) / scale for p in post]).log()
        x, y = s - s.mean(), log_w - log_w.mean()
        self.needed = np.round(y.data, 2)  # the scores as shown, so the note's numbers are the ones checked
        self.from_needed = F.softmax(tensor(self.needed)).data
        slope = (x @ y).item() / (x @ x).item()
        self.best = 1 / slope if slope > 0 else None
        self.from_best = F.softmax(s, temperature=self.best).data if self.best else None
        sweep = F.softmax(s[None, :] / tensor(TEMPERATURES)[:, None]).data  # one row per temperature
        found = [T for T, row in zip(TEMPERATURES, sweep) if self._shows_post(row)]
        self.shown = None  # the range of T as printed, both ends checked to give the post's row
        if found:
            self.shown = printed_range(found[0], found[-1], lambda t: self._shows_post(F.softmax(s, temperature=t).data))

    def _shows_post(self, weights):
        """Whether ``weights`` show as the post's row: no figure's verdict is "differs"."""
        return all(verdict(p, self.scale * w) != "differs" for p, w in zip(self.post, weights))

    def record(self, step, row):
        """Record what ``lines`` prints for ``row`` on ``step``: the best T, the row it gives, the T that reproduce it."""
        step.record(f"{row}: best temperature", self.best)
        step.record(f"{row}: softmax at the best temperature", self.from_best)
        step.record(f"{row}: temperatures reproducing the post", tuple(map(float, self.shown)) if self.shown else None)

    def lines(self):
        lines = []
        if self.best:
            lines.append(
                f"  best single temperature (least squares on log-weights): T = {self.best:.2f},"
                f" giving {_shown(self.from_best, self.scale)}"
            )
        if self.shown:
            lines.append(f"  softmax(scores / T) reproduces the post's figure for T from {self.shown[0]} to {self.shown[1]}")
        else:
            lines.append(
                f"  no single temperature T from {TEMPERATURES[0]} to {TEMPERATURES[-1]:.0f} reproduces the post's figure"
            )
        return lines

    def would_give(self):
        """The row's note, one terminal line: the scores that give the post's row, and whether a temperature does.

        The best temperature and the row it gives are in ``lines``; the row the scores give, in the step on scores.
        """
        scores = f"scores {_numbers(self.needed)} (log w − mean) give the post's row"
        if self.shown:
            return f"{scores}; so do temperatures T {self.shown[0]}–{self.shown[1]}"
        return f"{scores}; no temperature does"


def _shown(weights, scale):
    """Weights as the post prints them: whole percentages, or fractions with two decimals."""
    return ", ".join(f"{100 * w:.0f}%" if scale == 100 else f"{w:.2f}" for w in weights)


def _numbers(values):
    return "[" + ", ".join(f"{v:+.2f}" for v in values) + "]"


def _score_matrix(out_dir):
    scores = tensor(SCORES)
    # softmax(Q·Kᵀ/√d)·V with Q·Kᵀ/√d equal to the post's scores: K holds the first three unit vectors of
    # 4-d space, Q the scores times √d (0 in the fourth slot), and V one-hot rows, so output row i is row i's mix.
    q = tensor(np.hstack([SCORES, np.zeros((3, HEAD_DIM - 3))]) * math.sqrt(HEAD_DIM))
    k, v = tensor(np.eye(3, HEAD_DIM)), tensor(np.eye(3))
    out, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    fits = [_Fit(row, post_row, 1) for row, post_row in zip(SCORES, WEIGHTS)]
    step = Step("§13 Inside the formula: softmax(Q·Kᵀ/√d)·V for cat, sat, mat")
    gap = step.record("largest difference from F.softmax", np.abs(weights.data - F.softmax(scores).data).max())
    for word, fit in zip(WORDS, fits):
        fit.record(step, word)
    step.say(
        "Q·Kᵀ (the post's scores):",
        *(f"  {word}  {row}" for word, row in zip(WORDS, SCORES)),
        f"tensorgrad's scaled_dot_product_attention (d = {HEAD_DIM}; Q and K chosen so that Q·Kᵀ/√{HEAD_DIM}",
        f"is that table, V = one-hot rows) gives the row-wise softmax (largest difference from F.softmax {gap:.1e}):",
    )
    for word, row, post_row, fit in zip(WORDS, weights.data, WEIGHTS, fits):
        step.say(*(figure(f"{word}→{key}", p, w, would_give=fit.would_give()) for key, p, w in zip(WORDS, post_row, row)))
    step.say("The post's rows are distributions, as softmax's are:",
             *(_sums_to_100(f"{word}: the post's row", row, 1) for word, row in zip(WORDS, WEIGHTS)),
             "Output = weights · V, one mix per word:")
    for word, row in zip(WORDS, out.data):
        step.say(f"  {word}'s output = " + " + ".join(f"{100 * w:.1f}% {key}" for key, w in zip(WORDS, row)))
    step.say("So the post's weights are not softmax(scores). Is there a temperature that explains each row?")
    for word, fit in zip(WORDS, fits):
        step.say(f" {word}:", *fit.lines())
    with_root_d = F.softmax(scores, temperature=math.sqrt(HEAD_DIM)).data
    step.say(
        f"Nor is it softmax(scores / √{HEAD_DIM}), in case the scores were meant before the scaling:",
        f"  row cat would be {_shown(with_root_d[0], 1)}.",
    )
    return step.show(_heatmap(weights.data, out_dir / HEATMAP_PNG), "the post's weights beside softmax of its scores")


def _scores_for_the_posts_weights():
    """softmax only sees differences, so log w − mean(log w) is the one set of centred scores giving w (§4)."""
    step = Step("What scores would give the post's weights?")
    step.say(
        "softmax(z) = w when z = log w + any constant; centring (subtracting the mean) picks one.",
        "Scores that WOULD give the post's weights (log w − mean), beside the post's scores − their mean:",
    )
    rows = [("The cat sat… (mat)", SENTENCE_SCORES, SENTENCE_WEIGHTS, 100)]
    rows += [(word, s, w, 1) for word, s, w in zip(WORDS, SCORES, WEIGHTS)]
    for name, scores, post, scale in rows:
        fit = _Fit(scores, post, scale)
        given = tensor(scores) - tensor(scores).mean()
        step.record(f"{name}: needed scores", fit.needed)
        step.record(f"{name}: softmax of the needed scores", fit.from_needed)
        step.say(
            f"  {name}: would need {_numbers(fit.needed)}",
            f"    the post has {_numbers(given.data)}",
            f"    softmax of the needed scores: {_shown(fit.from_needed, scale)}   (the post: "
            + ", ".join(p + ("%" if scale == 100 else "") for p in post)
            + ")",
        )
    return step.say("The post's scores are spread further apart than the scores its weights need.")


def _scaling():
    rng = np.random.default_rng(SEED)
    root_d = tensor(float(WIDTH)).sqrt().item()
    q = tensor(rng.standard_normal((PAIRS, WIDTH)))
    k = tensor(rng.standard_normal((PAIRS, WIDTH)))
    dots = (q * k).sum(axis=-1)
    step = Step(f"§13 Why divide by √d: √{WIDTH} ≈ {ROOT_WIDTH}")
    spread = step.record("standard deviation of q·k", dots.data.std())
    scaled_spread = step.record("standard deviation of q·k/√d", (dots / root_d).data.std())
    step.say(
        figure(f"√{WIDTH}", ROOT_WIDTH, root_d),
        f"{PAIRS} pairs of random vectors with {WIDTH} entries, each entry of variance 1:",
        figure(f"terms in one {WIDTH}-dimensional dot product q·k", str(WIDTH), (q[0] * k[0]).data.size),
        f"  q·k has standard deviation {spread:.1f} (a sum of {WIDTH} terms of variance 1: √{WIDTH});",
        f"  q·k / √{WIDTH} has {scaled_spread:.2f}.",
        f"One query against {KEYS} random keys, then softmax, with and without the scaling;",
        "the gradient is that of the output w·v (v: one random number per key) with respect to the scores:",
    )
    keys, values = rng.standard_normal((KEYS, WIDTH)), tensor(rng.standard_normal(KEYS))
    raw = (q[0:1] @ tensor(keys).T)[0].data
    for name, divide in (("without /√d", 1.0), (f"with /√{WIDTH}", root_d)):
        scores = tensor(raw / divide, requires_grad=True)
        weights = F.softmax(scores)
        (weights * values).sum().backward()
        step.record(f"largest weight {name}", weights.data.max())
        step.say(
            f"  {name:13} scores from {scores.data.min():+6.1f} to {scores.data.max():+6.1f}:"
            f" largest weight {weights.data.max():.4f}, |gradient| {np.linalg.norm(scores.grad):.1e}"
        )
    return step.say("Unscaled, softmax is pushed into its near-0/near-1 zone and the gradient all but vanishes.")


def _sums_to_100(name, post, scale):
    """The post's weights, as printed, added up: a distribution's sum to 100% (``scale``: 100 for %, 1 for fractions)."""
    return figure(f"{name} sums to", "100", 100 / scale * tensor([float(p) for p in post]).sum().item(), "%")


def _long_range():
    """"500 compression steps to reach token 500": an RNN's state updates between token 1 and token 500, counted."""
    rng = np.random.default_rng(SEED)
    tokens = [Value(x) for x in rng.standard_normal(RNN_TOKENS)]
    state = Value(0.0)
    for token in tokens:  # the simplest RNN: the whole past squeezed into one number, one update per token
        state = (RNN_CARRY * state + token).tanh()
    updates = sum(1 for node in topological_order(state) if node.op is not None and node.op.name == "tanh")
    state.backward()
    step = Step(f"§13 Before attention: token 1 reaches token {RNN_TOKENS} through every state update in between")
    first, last = step.record("∂state/∂token 1 and ∂state/∂token 500", (tokens[0].grad, tokens[-1].grad))
    return step.say(
        f"An RNN over {RNN_TOKENS} tokens (scalargrad): state = tanh({RNN_CARRY}·state + token), one update per token.",
        figure(f"compression steps from token 1 to token {RNN_TOKENS} (tanh updates on the path)", COMPRESSIONS,
               updates),
        f"  ∂state/∂token 1 = {first:.1e} (vanished), ∂state/∂token {RNN_TOKENS} = {last:.2f}: token 1 is forgotten.",
        f"Attention: token {RNN_TOKENS} reads token 1 through one weight of softmax(Q·Kᵀ/√d), as easily as token"
        f" {RNN_TOKENS - 1}.",
    )


def _heatmap(computed, path):
    """The post's printed weights beside the softmax of its scores, as two 3×3 heatmaps."""
    picture = Figure(figsize=(9, 4.4), layout="constrained")
    panels = picture.subplots(1, 2)
    posts = np.array([[float(w) for w in row] for row in WEIGHTS])
    tables = ((panels[0], posts, "the post's weights"), (panels[1], computed, "softmax(post's scores)"))
    for axes, table, title in tables:
        image = axes.imshow(table, vmin=0, vmax=1, cmap="Blues")
        for (i, j), w in np.ndenumerate(table):
            axes.text(j, i, f"{w:.2f}", ha="center", va="center", color="white" if w > 0.6 else "black")
        axes.set_xticks(range(3), WORDS)
        axes.set_yticks(range(3), WORDS)
        axes.set_xlabel("key (attended to)")
        axes.set_title(title)
    panels[0].set_ylabel("query")
    picture.suptitle("§13 attention weights for cat, sat, mat (each row sums to 1)")
    picture.colorbar(image, ax=panels, label="attention weight")
    return save(picture, path)
