"""Writing a drawing to files: its DOT source, then the picture Graphviz's ``dot`` makes of it.

    render(graph, path)       writes <path>.dot, then the picture <path>.svg or .png

Without ``dot`` the source is still written, and the error says how to install Graphviz.
"""

from pathlib import Path

import graphviz

FORMATS = ("svg", "png")
INSTALL_HINT = (
    "install Graphviz with `sudo apt-get install graphviz` (Debian/Ubuntu) "
    "or `brew install graphviz` (macOS)"
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is missing: the DOT source was written, no picture."""


# ---- writing pictures ----------------------------------------------------------------
def render(graph, path, format="svg"):
    """Write ``<path>.dot``, then draw it with Graphviz to ``<path>.<format>``; return that path.

    The DOT source is written first, so that without Graphviz there is still a
    text file to read; then ``GraphvizNotFoundError`` says how to install it.
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(map(repr, FORMATS))}, got {format!r}")
    path = Path(path)
    source = write_source(graph, path)
    picture = path.with_name(f"{path.name}.{format}")
    try:
        graphviz.render("dot", format, source, outfile=picture)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"render: Graphviz's `dot` program was not found, so {picture} could not be drawn; "
            f"the DOT source was written to {source}. To get pictures, {INSTALL_HINT}."
        ) from None
    return picture


def write_source(graph, path):
    """Write the graph's DOT source to ``<path>.dot``, creating folders as needed."""
    source = path.with_name(f"{path.name}.dot")
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(graph.source, encoding="utf-8")
    return source
