"""What every demo's picture shares: the resolution it is saved at, signed labels, labels that do not overlap.

``save`` writes a Matplotlib figure at ``DPI`` (crisp on a high-density
screen and in the tour's page). ``signed`` formats a number for a label
without the "-0.00" a tiny negative number rounds to. ``label_points`` puts a
text beside each point of a scatter plot, moving a label away (with a thin
line back to its point) when it would cover a label placed before it.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

DPI = 150

# Where a label may go, in points from its point: beside it first, then further out in 12 directions.
_NEAR = (5, 2)
_DIRECTIONS = [(np.cos(a), np.sin(a)) for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
_CANDIDATES = [_NEAR] + [(r * dx, r * dy) for r in (12, 20, 30, 42, 56, 72) for dx, dy in _DIRECTIONS]
_LEADER_FROM = 10  # labels at least this far (points) from their point get a line back to it


def save(figure, path):
    """Write ``figure`` to ``path`` at ``DPI``; returns the path."""
    figure.savefig(path, dpi=DPI)
    return path


def signed(value, spec):
    """``value`` formatted by ``spec`` (e.g. ".2f"), without a minus sign when every digit shown is 0."""
    text = f"{value:{spec}}"
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text


def label_points(axes, points, labels, fontsize=8):
    """Write ``labels[i]`` beside ``points[i]`` (data coordinates) on ``axes``, no label covering another.

    Each label takes the first place in ``_CANDIDATES`` where its box overlaps
    no label placed before it and no other point, inside the axes; a label moved off its point
    gets a thin line back to it. Call it after the axes' limits are final.
    """
    figure = axes.get_figure()
    canvas = FigureCanvasAgg(figure)  # the renderer savefig uses for PNGs, to measure the labels' boxes
    figure.draw_without_rendering()  # lays the figure out, so that boxes are measured where they will be drawn
    renderer = canvas.get_renderer()
    marks = axes.transData.transform(np.asarray(points, dtype=float))
    placed = []
    for i, ((x, y), label) in enumerate(zip(points, labels)):
        others = np.delete(marks, i, axis=0)
        for dx, dy in _CANDIDATES:
            ha, va = _alignment(dx, dy)
            note = axes.annotate(label, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=fontsize,
                                 ha=ha, va=va)
            box = note.get_window_extent(renderer)  # the text alone: the line back to the point may cross others
            inside = axes.bbox.contains(box.x0, box.y0) and axes.bbox.contains(box.x1, box.y1)
            free = inside and not any(box.overlaps(b) for b in placed) and not any(box.contains(*m) for m in others)
            if free or (dx, dy) == _CANDIDATES[-1]:
                break
            note.remove()
        if np.hypot(dx, dy) >= _LEADER_FROM:
            note.remove()
            axes.annotate(label, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=fontsize, ha=ha, va=va,
                          arrowprops={"arrowstyle": "-", "color": "gray", "linewidth": 0.6, "shrinkA": 1, "shrinkB": 3})
        placed.append(box)
    return placed


def _alignment(dx, dy):
    """(ha, va) of a label placed (dx, dy) points from its point: the side of its box that faces the point."""
    return "left" if dx >= 0 else "right", "center" if abs(dy) < 1 else "bottom" if dy > 0 else "top"
