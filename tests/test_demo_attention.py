"""The §12/§13 demo, headless: every verdict checked against values computed here with plain NumPy."""

import math
import re

import numpy as np
import pytest

from demos import attention
from demos.__main__ import main
from demos._stepper import run_steps, verdict

FIGURE = re.compile(r"^\s+(.*): post (\S+) · engine (\S+) · (exact|rounded|differs)$", re.MULTILINE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's printed text, split by step title, and its output folder."""
    out_dir = tmp_path_factory.mktemp("attention")
    printed = []
    run_steps(attention.steps(out_dir), pause=False, write=printed.append)
    parts = re.split(r"^── \d+/\d+ · (.*) ──$", "".join(printed), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2])), out_dir


def step(demo, title_start):
    by_title, _ = demo
    (text,) = [text for title, text in by_title.items() if title.startswith(title_start)]
    return text


def figures(text):
    """[(name, post, engine, verdict)] in the order printed."""
    return [(name, post, float(engine), v) for name, post, engine, v in FIGURE.findall(text)]


def softmax(z):
    e = np.exp(np.asarray(z, dtype=float) - np.max(z))
    return e / e.sum()


def check(found, expected):
    """Each printed figure matches the NumPy value, and its verdict is the verdict of that value."""
    assert [(name, post) for name, post, _, _ in found] == [(name, post) for name, post, _ in expected]
    for (name, post, engine, printed_verdict), (_, _, value) in zip(found, expected):
        assert engine == pytest.approx(value, abs=1e-9), name
        assert printed_verdict == verdict(post, value), name


def test_movie_dot_products_are_exact(demo):
    die_hard, notebook, smith = (np.array(v) for v in ([9, 1], [1, 9], [7, 7]))
    found = figures(step(demo, "§12 Dot products"))
    check(found, [
        ("Die Hard · The Notebook", "18", die_hard @ notebook),
        ("Die Hard · Mr. & Mrs. Smith", "70", die_hard @ smith),
    ])
    assert {v for *_, v in found} == {"exact"}


def test_unit_vectors_at_15_90_180_degrees(demo):
    angles = ((15, "0.97"), (90, "0"), (180, "-1.0"))
    expected = [(f"θ = {d}°: A · B", post, math.cos(math.radians(d))) for d, post in angles]
    found = figures(step(demo, "§12 The angle"))
    check(found, expected)
    assert {v for *_, v in found} == {"exact"}


def test_matrix_product_and_the_highlighted_cell(demo):
    a, b = np.array([[1, 2, 3], [4, 5, 6]]), np.array([[7, 8], [9, 10], [11, 12]])
    c = a @ b
    terms = a[0] * b[:, 1]
    expected = [(f"(A @ B)[{i + 1},{j + 1}]", str(c[i, j]), c[i, j]) for i in range(2) for j in range(2)]
    expected += [(name, str(t), t) for name, t in zip(("1×8", "2×10", "3×12"), terms)]
    expected.append(("their sum", "64", terms.sum()))
    found = figures(step(demo, "§12 Matrix multiplication"))
    check(found, expected)
    assert c.tolist() == [[58, 64], [139, 154]] and {v for *_, v in found} == {"exact"}


def test_sentence_weights_are_softmax_of_the_scores_and_differ_from_the_post(demo):
    text = step(demo, "§13 \"The cat sat")
    weights = softmax([0.8, 4.2, 2.8, 1.1, 1.5])
    post = ("5", "42", "28", "10", "15")
    found = figures(text)
    check(found, [(word, p, 100 * w) for word, p, w in zip(("The", "cat", "sat", "on", "the"), post, weights)])
    assert {v for *_, v in found} == {"differs"}
    assert round(100 * weights[1], 1) == 71.8 and f"softmax gives \"cat\" {100 * weights[1]:.1f}%" in text
    # No temperature in the searched range gives whole percentages within one point of the post's.
    temperatures = attention.TEMPERATURES[:, None]
    swept = np.exp(np.array([0.8, 4.2, 2.8, 1.1, 1.5]) / temperatures)
    swept = 100 * swept / swept.sum(axis=1, keepdims=True)
    assert not (np.abs(np.round(swept) - np.array(post, dtype=float)) <= 1).all(axis=1).any()
    assert "no single temperature" in text


def test_three_word_weights_are_row_softmax_and_the_posts_mostly_differ(demo):
    text = step(demo, "§13 Inside the formula")
    scores = np.array([[4.2, 1.1, 0.5], [2.8, 3.5, 1.8], [3.1, 2.4, 0.9]])
    post = (("0.80", "0.12", "0.08"), ("0.27", "0.55", "0.18"), ("0.40", "0.32", "0.28"))
    words = ("cat", "sat", "mat")
    expected = [
        (f"{q}→{k}", post[i][j], softmax(scores[i])[j]) for i, q in enumerate(words) for j, k in enumerate(words)
    ]
    found = figures(text)
    check(found, expected)
    assert [v for *_, v in found].count("differs") == 8  # only mat→sat (0.309 vs .32) comes within a digit
    assert "largest difference from F.softmax 0.0e+00" in text or re.search(r"F\.softmax \d\.\de-1\d", text)


def test_temperature_explains_row_cat_only(demo):
    text = step(demo, "§13 Inside the formula")
    low, high = map(float, re.search(r"for T from (\S+) to (\S+)\n", text).groups())
    cat = np.array([4.2, 1.1, 0.5])
    for T in (low + 0.005, (low + high) / 2, high - 0.005):  # the printed ends are rounded to 0.01
        assert np.abs(np.round(softmax(cat / T), 2) - [0.80, 0.12, 0.08]).max() <= 0.0100001
    assert text.count("no single temperature") == 2  # rows sat and mat
    # Row sat cannot come from any temperature: its "cat" score is above the row's mean, its weight below.
    sat_scores, sat_weights = np.array([2.8, 3.5, 1.8]), np.log([0.27, 0.55, 0.18])
    assert sat_scores[0] > sat_scores.mean() and sat_weights[0] < sat_weights.mean()


def test_scores_that_would_give_the_posts_weights(demo):
    text = step(demo, "What scores would give")
    rows = {
        "The cat sat… (mat)": [0.05, 0.42, 0.28, 0.10, 0.15],
        "cat": [0.80, 0.12, 0.08], "sat": [0.27, 0.55, 0.18], "mat": [0.40, 0.32, 0.28],
    }
    for name, weights in rows.items():
        printed = re.search(rf"  {re.escape(name)}: would need \[([^\]]*)\]", text)[1]
        needed = np.log(weights) - np.log(weights).mean()
        assert [float(x) for x in printed.split(", ")] == pytest.approx(needed, abs=0.005)
        assert softmax(needed) == pytest.approx(np.array(weights) / sum(weights))
    found = figures(text)
    assert len(found) == 14 and {v for *_, v in found} == {"exact"}


def test_square_root_of_768(demo):
    text = step(demo, "§13 Why divide by √d")
    check(figures(text), [("√768", "27.7", math.sqrt(768))])
    spread, scaled = map(float, re.search(r"standard deviation (\S+) .*has (\S+)\.", text).groups())
    assert spread == pytest.approx(math.sqrt(768), rel=0.1) and scaled == pytest.approx(1, rel=0.1)
    unscaled_weight, scaled_weight = map(float, re.findall(r"largest weight (\S+),", text))
    assert unscaled_weight > 0.99 > scaled_weight


def test_heatmap_png_is_written(demo):
    _, out_dir = demo
    assert (out_dir / attention.HEATMAP_PNG).read_bytes().startswith(b"\x89PNG")


def test_runs_from_the_command_line(tmp_path, capsys):
    assert main(["attention", "--no-pause", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(attention.TITLE) and "── 7/7" in out
    assert main([]) == 0 and "attention" in capsys.readouterr().out
