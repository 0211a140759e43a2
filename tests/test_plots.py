"""The pictures' shared helper: resolution, signed labels, labels that do not overlap (demos/_plots.py)."""

import struct

import numpy as np
from matplotlib.figure import Figure

from demos import _plots as plots


def png_size(path):
    """(width, height) in pixels, read from the PNG header (IHDR)."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_save_writes_at_150_dpi_or_more(tmp_path):
    figure = Figure(figsize=(4, 2))
    figure.subplots().plot([0, 1], [0, 1])
    path = plots.save(figure, tmp_path / "line.png")
    assert plots.DPI >= 150 and png_size(path) == (4 * plots.DPI, 2 * plots.DPI)


def test_signed_drops_the_minus_of_a_number_that_rounds_to_zero():
    assert plots.signed(-0.0, ".2f") == "0.00"
    assert plots.signed(-0.001, ".2f") == "0.00"
    assert plots.signed(-0.01, ".2f") == "-0.01"
    assert plots.signed(4.605, ".2f") == f"{4.605:.2f}"
    assert plots.signed(-1e-300, ".1e") == "-1.0e-300"  # a digit is shown: the sign stays


def test_labels_of_a_tight_cluster_do_not_overlap_and_stay_inside_the_axes():
    figure = Figure(figsize=(4, 3), layout="constrained")
    axes = figure.subplots()
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 0.02, (5, 2)), rng.normal(3, 0.02, (4, 2)), [[1.5, 1.5]]])
    axes.scatter(points[:, 0], points[:, 1])
    axes.set(xlim=(-1, 4), ylim=(-1, 4))
    words = ["horse", "cat", "dog", "fish", "bird", "walk", "run", "swim", "jump", "alone"]
    boxes = plots.label_points(axes, points, words)
    assert len(boxes) == len(words)
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[:i]), words[i]
        assert axes.bbox.contains(box.x0, box.y0) and axes.bbox.contains(box.x1, box.y1), words[i]
    assert sorted(text.get_text() for text in axes.texts) == sorted(words)
