"""§12 Dot products & matrix multiplication: the post's movie vectors, unit arrows and 2×3·3×2 product.

Every value is computed by tensorgrad (``@`` on tensors) and set beside the
post's own figure. A dot product measures how much two vectors point the same
way; a matrix product is a table of them, which is how attention (§13)
compares every word with every other at once. Nothing here trains, so
``fast`` is accepted and ignored.
"""

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure
from tensorgrad import tensor

TITLE = "§12 Dot products & matrix multiplication: similarity, many at once"

MOVIES = {"Die Hard": [9, 1], "The Notebook": [1, 9], "Mr. & Mrs. Smith": [7, 7]}  # [action, romance]
LONGER = [10, 10]  # a vector in no movie's direction, longer than each: it beats "identical"
MOVIE_DOTS = (("Die Hard", "The Notebook", "18"), ("Die Hard", "Mr. & Mrs. Smith", "70"))  # the post's
ANGLES = (("15", "0.97"), ("90", "0"), ("180", "-1.0"))  # degrees, the post's dot product of unit vectors
A = [[1, 2, 3], [4, 5, 6]]
B = [[7, 8], [9, 10], [11, 12]]
PRODUCT = (("58", "64"), ("139", "154"))  # the post's A·B
CELL_TERMS = (("1×8", "8"), ("2×10", "20"), ("3×12", "36"))  # row 1 · column 2, term by term
CELL = "64"
DOT_PRODUCTS, RESULT_SHAPE = "4", ("2", "2")  # "= 4 dot products = a 2×2 result"
ARROWS_PNG = "dot_products_arrows.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_movies(out_dir), _angles(), _matrix_product()]


def _movies(out_dir):
    vectors = {name: tensor(v) for name, v in MOVIES.items()}
    step = Step("§12 Dot products: movies as [action, romance] vectors")
    step.say(*(f"  {name:17} {vector}" for name, vector in MOVIES.items()))
    for first, second, post in MOVIE_DOTS:
        a, b = vectors[first], vectors[second]
        terms, dot = (a * b).data, (a @ b).item()
        step.say(
            f"{first} · {second} = {a.data[0]:.0f}×{b.data[0]:.0f} + {a.data[1]:.0f}×{b.data[1]:.0f}"
            f" = {terms[0]:.0f} + {terms[1]:.0f} = {dot:.0f}",
            figure(f"{first} · {second}", post, dot),
        )
    die_hard, smith = vectors["Die Hard"], vectors["Mr. & Mrs. Smith"]
    cosines = []
    for first, second, _ in MOVIE_DOTS:
        similarity = step.record(f"cosine, {first}/{second}", _cosine(vectors[first], vectors[second]))
        cosines.append(f"{similarity:.2f} for {first}/{second}")
    step.say(
        (
            "The dot product also grows with length: Mr. & Mrs. Smith · itself is"
            f" {(smith @ smith).item():.0f}, Die Hard · itself {(die_hard @ die_hard).item():.0f}."
        ),
        "Divided by both lengths, only the angle is left (cosine similarity):",
        f"  {', '.join(cosines)}.",
    )
    step.say(
        "\"Two identical vectors give the highest dot product\", counted over each vector's dot products with all of them:",
        _best_is_itself(vectors, "the post's movies"),
        f"but a longer arrow beats an identical one: add {LONGER} ([action, romance], no movie's length),",
        _best_is_itself({**vectors, str(LONGER): tensor(LONGER)}, f"with {LONGER} added"),
        "Only among arrows of one length (or with lengths divided out: cosine similarity) is identical the highest.",
    )
    return step.show(_arrows(vectors, out_dir / ARROWS_PNG), "the three movies as arrows, with their dot products")


def _best_is_itself(vectors, which):
    """The claim "identical vectors give the highest dot product", counted: how many vectors' best partner is itself."""
    names = list(vectors)
    matrix = tensor(np.stack([vectors[n].data for n in names]))  # one row per vector
    table = matrix @ matrix.T  # every dot product at once (a matrix product, as below)
    best = table.data.argmax(axis=1)
    itself = int((best == np.arange(len(names))).sum())
    beaten = [f"{names[i]} · {names[j]} = {table.data[i, j]:.0f} > {names[i]} · itself = {table.data[i, i]:.0f}"
              for i, j in enumerate(best) if j != i]
    return figure(f"{which}: vectors whose highest dot product is with themselves", str(len(names)), itself,
                  would_give="; ".join(beaten[:1]) + " (Cauchy–Schwarz: a·b ≤ |a|·|b|, so equal lengths only)")


def _cosine(a, b):
    """a·b / (|a|·|b|): the dot product with both lengths divided out, 1 for the same direction."""
    return (a @ b).item() / math.sqrt((a @ a).item() * (b @ b).item())


def _angles():
    step = Step("§12 The angle decides: unit vectors at 15°, 90° and 180°")
    step.say("A = [1, 0] and B = [cos θ, sin θ], two arrows of length 1: A · B = cos θ.")
    a = tensor([1.0, 0.0])
    for degrees, post in ANGLES:
        theta = math.radians(float(degrees))
        b = tensor([math.cos(theta), math.sin(theta)])
        step.say(figure(f"θ = {degrees}°: A · B", post, (a @ b).item()))
    return step.say("Same direction → near 1, perpendicular → 0, opposite → −1.")


def _matrix_product():
    a, b = tensor(A), tensor(B)
    c = a @ b
    terms = a[0] * b[:, 1]  # row 1 of A times column 2 of B, entry by entry
    cell = terms.sum().item()
    step = Step("§12 Matrix multiplication: many dot products at once")
    step.say(f"A (2×3) = {A}   B (3×2) = {B}", f"A @ B = {c.data.astype(int).tolist()}")
    for i, row in enumerate(PRODUCT):
        for j, post in enumerate(row):
            step.say(figure(f"(A @ B)[{i + 1},{j + 1}]", post, c.data[i, j]))
    t = terms.data
    rows, columns = c.shape
    step.record("shapes of A, B and A @ B", (a.shape, b.shape, c.shape))
    products = " + ".join(f"({x}×{y})" for x, y in zip(A[0], [row[1] for row in B]))
    step.record("row 1 · column 2, term by term", t)
    return step.say(
        "The highlighted cell, row 1 · column 2:",
        f"  {products} = {' + '.join(f'{x:.0f}' for x in t)} = {cell:.0f}",
        *(figure(name, post, value) for (name, post), value in zip(CELL_TERMS, t)),
        figure("their sum", CELL, cell),
        (
            f"Row 1 · column 2 {'is' if cell == c.data[0, 1] else 'is NOT'} the cell (A @ B)[1,2]:"
            " each cell of a matrix product is one dot product."
        ),
        f"{_shape(a)} times {_shape(b)} = {rows} × {columns} cells, one dot product each:",
        figure("dot products in A @ B (its cells)", DOT_PRODUCTS, rows * columns),
        figure("rows of A @ B", RESULT_SHAPE[0], rows),
        figure("columns of A @ B", RESULT_SHAPE[1], columns),
        f"  a {_shape(c)} result. Attention does the same with every query and every key.",
    )


def _shape(t):
    """A tensor's shape as the post writes it: "2×3"."""
    return "×".join(str(n) for n in t.shape)


def _arrows(vectors, path):
    """The movie vectors as arrows from the origin, each pair's dot product written beside it."""
    picture = Figure(figsize=(5.2, 4.4), layout="constrained")
    axes = picture.subplots()
    colours = ("tab:red", "tab:blue", "tab:purple")
    for (name, vector), colour in zip(vectors.items(), colours):
        x, y = vector.data
        axes.annotate("", xy=(x, y), xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2})
        axes.text(x + 0.2, y + 0.2, f"{name} [{x:.0f}, {y:.0f}]", color=colour)
    names = list(vectors)
    pairs = list(zip(names, names[1:] + names[:1]))  # every pair once: 1·2, 2·3, 3·1
    lines = []
    for radius, (first, second) in zip((2.5, 4.0, 5.5), pairs):
        a, b = vectors[first].data, vectors[second].data
        start, end = sorted(math.atan2(v[1], v[0]) for v in (a, b))
        arc = np.linspace(start, end, 30)
        axes.plot(radius * np.cos(arc), radius * np.sin(arc), color="grey", lw=1)
        middle = (start + end) / 2
        dot = (vectors[first] @ vectors[second]).item()
        axes.text(radius * math.cos(middle), radius * math.sin(middle), f"{dot:.0f}", ha="center", va="center",
                  bbox={"boxstyle": "round", "fc": "lightyellow", "ec": "grey"})
        lines.append(f"{first} · {second} = {dot:.0f}")
    axes.text(11.8, 10.8, "\n".join(lines), ha="right", va="top", fontsize=8)
    axes.set_xlim(0, 12)
    axes.set_ylim(0, 11)
    axes.set_aspect("equal")
    axes.set_xlabel("action")
    axes.set_ylabel("romance")
    axes.set_title("Movies as arrows: each pair's dot product on its arc")
    return save(picture, path)
