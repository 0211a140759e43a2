"""The §12 demo, headless: every claim checked against values computed here with plain NumPy."""

import math

import numpy as np
import pytest
from demo_checks import by_name as claims_by_name
from demo_checks import check, printed

from demos import dot_products
from demos.__main__ import main

TOLERANCE = 1e-9  # the figures are dot products and counts of small integers


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    return dot_products.steps(tmp_path_factory.mktemp("dot_products"), fast=True)


@pytest.fixture(scope="module")
def by_name(steps):
    return claims_by_name(steps)


def test_movie_dot_products_are_exact(by_name):
    die_hard, notebook, smith = (np.array(v) for v in ([9, 1], [1, 9], [7, 7]))
    check(by_name["Die Hard · The Notebook"], "18", die_hard @ notebook, TOLERANCE)
    check(by_name["Die Hard · Mr. & Mrs. Smith"], "70", die_hard @ smith, TOLERANCE)
    assert by_name["Die Hard · The Notebook"].verdict == by_name["Die Hard · Mr. & Mrs. Smith"].verdict == "exact"


def best_is_itself(vectors):
    """How many of ``vectors`` have their largest dot product (over all of them) with themselves, by loops."""
    return sum(max(range(len(vectors)), key=lambda j: np.dot(a, vectors[j])) == i for i, a in enumerate(vectors))


def test_identical_vectors_highest_for_the_movies_but_not_in_general(by_name):
    movies = [[9, 1], [1, 9], [7, 7]]
    mine = by_name["the post's movies: vectors whose highest dot product is with themselves"]
    check(mine, "3", best_is_itself(movies), TOLERANCE)
    assert mine.verdict == "exact"
    longer = by_name["with [10, 10] added: vectors whose highest dot product is with themselves"]
    check(longer, "4", best_is_itself([*movies, [10, 10]]), TOLERANCE)
    assert longer.verdict == "differs" and "Die Hard · [10, 10] = 100 > Die Hard · itself = 82" in longer.note


def test_unit_vectors_at_15_90_180_degrees(by_name):
    for degrees, post in ((15, "0.97"), (90, "0"), (180, "-1.0")):
        claim = by_name[f"θ = {degrees}°: A · B"]
        check(claim, post, math.cos(math.radians(degrees)), tolerance=5e-5)  # shown to 4 decimals
        assert claim.verdict == "exact"


def test_matrix_product_and_the_highlighted_cell(by_name, steps):
    a, b = np.array([[1, 2, 3], [4, 5, 6]]), np.array([[7, 8], [9, 10], [11, 12]])
    c = a @ b
    assert c.tolist() == [[58, 64], [139, 154]]
    for i in range(2):
        for j in range(2):
            check(by_name[f"(A @ B)[{i + 1},{j + 1}]"], str(c[i, j]), c[i, j], TOLERANCE)
    terms = a[0] * b[:, 1]
    for name, term in zip(("1×8", "2×10", "3×12"), terms):
        check(by_name[name], str(term), term, TOLERANCE)
    check(by_name["their sum"], "64", terms.sum(), TOLERANCE)
    assert list(steps[2].values["row 1 · column 2, term by term"]) == [1 * 8, 2 * 10, 3 * 12]  # the post's line
    differing = {name for name, claim in by_name.items() if claim.verdict != "exact"}
    assert differing == {"with [10, 10] added: vectors whose highest dot product is with themselves"}  # checked above
    assert len(by_name) == 2 + 2 + 3 + 4 + 3 + 1 + 3


def test_a_2x3_times_a_3x2_is_four_dot_products_in_a_2x2_result(by_name, steps):
    """One dot product per cell: (rows of A) × (columns of B) of them, each as long as A's rows."""
    a, b = np.ones((2, 3)), np.ones((3, 2))
    rows, columns = (a @ b).shape
    check(by_name["dot products in A @ B (its cells)"], "4", rows * columns, TOLERANCE)
    check(by_name["rows of A @ B"], "2", rows, TOLERANCE)
    check(by_name["columns of A @ B"], "2", columns, TOLERANCE)
    assert by_name["dot products in A @ B (its cells)"].engine == "4"  # a count, not "4.0"
    assert steps[2].values["shapes of A, B and A @ B"] == ((2, 3), (3, 2), (2, 2))


def test_cosine_similarities_are_recorded(steps):
    said = steps[0].values
    die_hard, notebook, smith = (np.array(v, dtype=float) for v in ([9, 1], [1, 9], [7, 7]))
    cosine = [x @ y / np.linalg.norm(x) / np.linalg.norm(y) for x, y in ((die_hard, notebook), (die_hard, smith))]
    shown = [said["cosine, Die Hard/The Notebook"], said["cosine, Die Hard/Mr. & Mrs. Smith"]]
    assert shown == pytest.approx(cosine, abs=0.005)  # printed to 2 decimals


def test_the_arrow_picture_is_attached_and_written(steps):
    pictures = [path for step in steps for path, _ in step.pictures]
    assert [path.name for path in pictures] == [dot_products.ARROWS_PNG]
    assert pictures[0].read_bytes().startswith(b"\x89PNG") and pictures[0].stat().st_size < 150_000


def test_renders_and_runs_from_the_command_line(steps, tmp_path, capsys):
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
    assert main(["dot-products", "--no-pause", "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith(dot_products.TITLE)
