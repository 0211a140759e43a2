"""§12 Dot products & matrix multiplication, §13 attention: the post's numbers, recomputed.

Every value is computed by tensorgrad (``@``, ``F.softmax``,
``scaled_dot_product_attention``) and printed beside the post's own figure
with a verdict. The post's attention weights turn out not to be the softmax
of its attention scores; the demo shows the softmax values, looks for a
temperature that would explain the post's figures, and computes the scores
that would give them.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._stepper import Step, figure, verdict
from tensorgrad import functional as F
from tensorgrad import scaled_dot_product_attention, tensor

TITLE = "§12 Dot products & matrix multiplication, §13 attention: the post's numbers, recomputed"

MOVIES = {"Die Hard": [9, 1], "The Notebook": [1, 9], "Mr. & Mrs. Smith": [7, 7]}  # [action, romance]
ANGLES = (("15", "0.97"), ("90", "0"), ("180", "-1.0"))  # degrees, the post's dot product of unit vectors
A = [[1, 2, 3], [4, 5, 6]]
B = [[7, 8], [9, 10], [11, 12]]
PRODUCT = (("58", "64"), ("139", "154"))  # the post's A·B
# §13's first figure: the query "mat" against the keys of "The cat sat on the mat".
SENTENCE = ("The", "cat", "sat", "on", "the")
SENTENCE_SCORES = [0.8, 4.2, 2.8, 1.1, 1.5]
SENTENCE_WEIGHTS = ("5", "42", "28", "10", "15")  # percent
# §13's "Inside the Attention Formula": Q·Kᵀ for three words, and the weights the post prints.
WORDS = ("cat", "sat", "mat")
SCORES = [[4.2, 1.1, 0.5], [2.8, 3.5, 1.8], [3.1, 2.4, 0.9]]
WEIGHTS = (("0.80", "0.12", "0.08"), ("0.27", "0.55", "0.18"), ("0.40", "0.32", "0.28"))
HEAD_DIM = 4  # "each represented as a 4-dimensional vector"
TEMPERATURES = np.geomspace(0.05, 20, 4000)  # searched for a temperature that reproduces a row
WIDTH = 768  # §13: "if your vectors have 768 dimensions"
PAIRS, KEYS, SEED = 1000, 8, 0
HEATMAP_PNG = "attention_weights.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is accepted for symmetry with the other demos (this one is always fast)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        _movies(),
        _angles(),
        _matrix_product(),
        _sentence(),
        _score_matrix(out_dir),
        _scores_for_the_posts_weights(),
        _scaling(),
    ]


def _movies():
    die_hard, notebook, smith = (tensor(v) for v in MOVIES.values())
    lines = [f"  {name:17} {vector}" for name, vector in MOVIES.items()]
    pairs = (
        ("Die Hard · The Notebook", die_hard, notebook, "18"),
        ("Die Hard · Mr. & Mrs. Smith", die_hard, smith, "70"),
    )
    for name, a, b, post in pairs:
        terms = (a * b).data
        dot = a @ b
        lines += [
            (
                f"{name} = {a.data[0]:.0f}×{b.data[0]:.0f} + {a.data[1]:.0f}×{b.data[1]:.0f}"
                f" = {terms[0]:.0f} + {terms[1]:.0f} = {dot.item():.0f}"
            ),
            figure(name, post, dot.item()),
        ]
    cosines = [(a @ b).item() / math.sqrt((a @ a).item() * (b @ b).item()) for _, a, b, _ in pairs]
    lines += [
        (
            "The dot product also grows with length: Mr. & Mrs. Smith · itself is"
            f" {(smith @ smith).item():.0f}, Die Hard · itself {(die_hard @ die_hard).item():.0f}."
        ),
        (
            "Divided by both lengths, only the angle is left (cosine similarity):"
            f" {cosines[0]:.2f} for Die Hard/The Notebook, {cosines[1]:.2f} for Die Hard/Mr. & Mrs. Smith."
        ),
    ]
    return Step("§12 Dot products: movies as [action, romance] vectors").say(*lines)


def _angles():
    lines = ["A = [1, 0] and B = [cos θ, sin θ], two arrows of length 1: A · B = cos θ."]
    a = tensor([1.0, 0.0])
    for degrees, post in ANGLES:
        theta = math.radians(float(degrees))
        b = tensor([math.cos(theta), math.sin(theta)])
        lines.append(figure(f"θ = {degrees}°: A · B", post, (a @ b).item()))
    lines.append("Same direction → near 1, perpendicular → 0, opposite → −1.")
    return Step("§12 The angle decides: unit vectors at 15°, 90° and 180°").say(*lines)


def _matrix_product():
    a, b = tensor(A), tensor(B)
    c = a @ b
    terms = a[0] * b[:, 1]  # row 1 of A times column 2 of B, entry by entry
    lines = [
        f"A (2×3) = {A}   B (3×2) = {B}",
        f"A @ B = {c.data.astype(int).tolist()}",
    ]
    for i, row in enumerate(PRODUCT):
        for j, post in enumerate(row):
            lines.append(figure(f"(A @ B)[{i + 1},{j + 1}]", post, c.data[i, j]))
    t = terms.data
    lines += [
        "The highlighted cell, row 1 · column 2:",
        f"  (1×8) + (2×10) + (3×12) = {t[0]:.0f} + {t[1]:.0f} + {t[2]:.0f} = {terms.sum().item():.0f}",
        *(figure(name, post, value) for name, post, value in zip(("1×8", "2×10", "3×12"), ("8", "20", "36"), t)),
        figure("their sum", "64", terms.sum().item()),
        (
            f"Row 1 · column 2 {'is' if terms.sum().item() == c.data[0, 1] else 'is NOT'} the cell (A @ B)[1,2]:"
            " each cell of a matrix product is one dot product."
        ),
    ]
    return Step("§12 Matrix multiplication: many dot products at once").say(*lines)


def _sentence():
    scores = tensor(SENTENCE_SCORES)
    weights = F.softmax(scores)
    share = scores / scores.sum()  # the plain division §4 rejects
    post = np.array([float(p) for p in SENTENCE_WEIGHTS]) / 100
    lines = [
        "Query: \"mat\". Scores Q·K: " + ", ".join(f"{w} {s}" for w, s in zip(SENTENCE, SENTENCE_SCORES)),
        "softmax(scores), in %:",
        *(figure(word, p, 100 * w) for word, p, w in zip(SENTENCE, SENTENCE_WEIGHTS, weights.data)),
        (
            f"The post's weights are not the softmax of its scores: softmax gives \"cat\""
            f" {100 * weights.data[1]:.1f}%, not {SENTENCE_WEIGHTS[1]}%."
        ),
        *_temperature_search(SENTENCE_SCORES, SENTENCE_WEIGHTS, 100),
        "For comparison, the plain division §4 rejects, score / Σ scores, gives "
        + ", ".join(f"{100 * s:.0f}%" for s in share.data)
        + f": {_closer(share.data, weights.data, post)}",
    ]
    return Step("§13 \"The cat sat on the mat\": scores → softmax → weights").say(*lines)


def _closer(share, softmax, post):
    """Which of two guesses lies nearer the post's weights, by their largest gap in percentage points."""
    gap_share, gap_softmax = 100 * np.abs(share - post).max(), 100 * np.abs(softmax - post).max()
    nearer = "nearer the post's figure than softmax" if gap_share < gap_softmax else "no nearer than softmax"
    return f"{nearer} (largest gap {gap_share:.1f} points vs {gap_softmax:.1f}), though not equal to it either."


def _temperature_search(scores, post, scale):
    """Lines: the least-squares temperature for the post's weights, and the temperatures that reproduce them.

    ``post`` holds the post's figures as printed, ``scale`` is 100 for
    percentages and 1 for fractions. softmax(s/T) = w means log w = s/T + a
    constant, so the best T comes from a straight-line fit of the centred
    log-weights against the centred scores. A T reproduces the figure when no
    weight's verdict is "differs".
    """
    s = tensor(scores)
    log_w = tensor([float(p) / scale for p in post]).log()
    x, y = s - s.mean(), log_w - log_w.mean()
    slope = (x @ y).item() / (x @ x).item()
    lines = []
    if slope > 0:
        best = F.softmax(s, temperature=1 / slope).data
        lines.append(
            f"  best single temperature (least squares on log-weights): T = {1 / slope:.2f},"
            f" giving {_shown(best, scale)}"
        )
    sweep = F.softmax(s[None, :] / tensor(TEMPERATURES)[:, None]).data  # one row per temperature
    found = [
        T for T, row in zip(TEMPERATURES, sweep) if all(verdict(p, scale * w) != "differs" for p, w in zip(post, row))
    ]
    if found:
        lines.append(f"  softmax(scores / T) reproduces the post's figure for T from {found[0]:.2f} to {found[-1]:.2f}")
    else:
        lines.append(
            f"  no single temperature T from {TEMPERATURES[0]} to {TEMPERATURES[-1]:.0f} reproduces the post's figure"
        )
    return lines


def _shown(weights, scale):
    """Weights as the post prints them: whole percentages, or fractions with two decimals."""
    return ", ".join(f"{100 * w:.0f}%" if scale == 100 else f"{w:.2f}" for w in weights)


def _score_matrix(out_dir):
    scores = tensor(SCORES)
    # softmax(Q·Kᵀ/√d)·V with Q·Kᵀ/√d equal to the post's scores: K holds the first three unit vectors of
    # 4-d space, Q the scores times √d (0 in the fourth slot), and V one-hot rows, so output row i is row i's mix.
    q = tensor(np.hstack([SCORES, np.zeros((3, HEAD_DIM - 3))]) * math.sqrt(HEAD_DIM))
    k, v = tensor(np.eye(3, HEAD_DIM)), tensor(np.eye(3))
    out, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    gap = np.abs(weights.data - F.softmax(scores).data).max()
    lines = [
        "Q·Kᵀ (the post's scores):",
        *(f"  {word}  {row}" for word, row in zip(WORDS, SCORES)),
        (
            f"tensorgrad's scaled_dot_product_attention (d = {HEAD_DIM}; Q and K chosen so that Q·Kᵀ/√{HEAD_DIM}"
            f" is that table, V = one-hot rows) gives the row-wise softmax"
            f" (largest difference from F.softmax {gap:.1e}):"
        ),
    ]
    for word, row, post_row in zip(WORDS, weights.data, WEIGHTS):
        lines += [figure(f"{word}→{key}", post, w) for key, post, w in zip(WORDS, post_row, row)]
    lines.append("Output = weights · V, one mix per word:")
    for word, row in zip(WORDS, out.data):
        lines.append(f"  {word}'s output = " + " + ".join(f"{100 * w:.1f}% {key}" for key, w in zip(WORDS, row)))
    lines.append("So the post's weights are not softmax(scores). Is there a temperature that explains each row?")
    for word, row, post_row in zip(WORDS, SCORES, WEIGHTS):
        lines += [f" {word}:", *_temperature_search(row, post_row, 1)]
    with_root_d = F.softmax(scores, temperature=math.sqrt(HEAD_DIM)).data
    lines += [
        (
            f"Nor is it softmax(scores / √{HEAD_DIM}), in case the scores were meant before the scaling:"
            f" row cat would be {_shown(with_root_d[0], 1)}."
        ),
        f"  wrote {_heatmap(weights.data, out_dir / HEATMAP_PNG)}",
    ]
    return Step("§13 Inside the formula: softmax(Q·Kᵀ/√d)·V for cat, sat, mat").say(*lines)


def _scores_for_the_posts_weights():
    """softmax only sees differences, so log w − mean(log w) is the one set of centred scores giving w (§4)."""
    lines = [
        "softmax(z) = w when z = log w + any constant; centring (subtracting the mean) picks one.",
        "Scores that WOULD give the post's weights (log w − mean), beside the post's scores − their mean:",
    ]
    rows = [("The cat sat… (mat)", SENTENCE, SENTENCE_SCORES, SENTENCE_WEIGHTS, 100)]
    rows += [(word, WORDS, s, w, 1) for word, s, w in zip(WORDS, SCORES, WEIGHTS)]
    for name, keys, scores, post, scale in rows:
        log_w = tensor([float(p) / scale for p in post]).log()
        needed = log_w - log_w.mean()
        given = tensor(scores) - tensor(scores).mean()
        back = F.softmax(needed).data
        lines += [
            f"  {name}: would need {_numbers(needed.data)}; the post has {_numbers(given.data)}",
            *(figure(f"  softmax(needed) → {key}", p, scale * w) for key, p, w in zip(keys, post, back)),
        ]
    return Step("What scores would give the post's weights?").say(*lines)


def _numbers(values):
    return "[" + ", ".join(f"{v:+.2f}" for v in values) + "]"


def _scaling():
    rng = np.random.default_rng(SEED)
    root_d = tensor(float(WIDTH)).sqrt().item()
    q = tensor(rng.standard_normal((PAIRS, WIDTH)))
    k = tensor(rng.standard_normal((PAIRS, WIDTH)))
    dots = (q * k).sum(axis=-1)
    lines = [
        figure(f"√{WIDTH}", "27.7", root_d),
        f"{PAIRS} pairs of random vectors with {WIDTH} entries, each entry of variance 1:",
        (
            f"  q·k has standard deviation {dots.data.std():.1f} (a sum of {WIDTH} terms of variance 1: √{WIDTH});"
            f" q·k / √{WIDTH} has {(dots / root_d).data.std():.2f}."
        ),
        f"One query against {KEYS} random keys, then softmax, with and without the scaling;",
        "the gradient is that of the output w·v (v: one random number per key) with respect to the scores:",
    ]
    keys, values = rng.standard_normal((KEYS, WIDTH)), tensor(rng.standard_normal(KEYS))
    raw = (q[0:1] @ tensor(keys).T)[0].data
    for name, divide in (("without /√d", 1.0), (f"with /√{WIDTH}", root_d)):
        scores = tensor(raw / divide, requires_grad=True)
        weights = F.softmax(scores)
        (weights * values).sum().backward()
        lines.append(
            f"  {name:13} scores from {scores.data.min():+6.1f} to {scores.data.max():+6.1f}:"
            f" largest weight {weights.data.max():.4f}, |gradient| {np.linalg.norm(scores.grad):.1e}"
        )
    lines.append("Unscaled, softmax is pushed into its near-0/near-1 zone and the gradient all but vanishes.")
    return Step(f"§13 Why divide by √d: √{WIDTH} ≈ 27.7").say(*lines)


def _heatmap(computed, path):
    """The post's printed weights beside the softmax of its scores, as two 3×3 heatmaps (Agg, no window)."""
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
    picture.savefig(path, dpi=100)
    return path
