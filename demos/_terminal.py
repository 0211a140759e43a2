"""What the demos print fits the terminal: its width, lines wrapped between words, verdicts in colour.

A line wider than the terminal is broken at spaces only, never inside a word
or a number ("temperature=0.1" stays whole): the continuation is indented two
spaces more than the line it continues, so it reads as the same line. A token
wider than the terminal (a long file path) is left whole; the terminal wraps it.

A table (lines whose columns are set apart by two spaces or more) is folded
instead: its too-wide rows are cut at one column gap shared by all of them,
and each row's remainder goes on the next line, indented four spaces, so the
columns still line up.

Colour goes only to a terminal, and only when ``NO_COLOR`` is unset
(https://no-color.org): piped into a file or another program, the text is
plain.
"""

import itertools
import os
import re
import shutil
import textwrap
from dataclasses import dataclass

MIN_WIDTH = 60  # narrower terminals get 60-column lines and wrap them themselves
HANGING = "  "  # how much further a wrapped line's continuation is indented
FOLDED = "    "  # how much further a folded table row's remainder is indented
COLUMN_GAP = re.compile(r"\S {2,}\S")  # what makes a line a table row: two columns two or more spaces apart
COLOURS = {  # ANSI SGR codes: each verdict its own colour
    "exact": "32",  # green
    "rounded": "36",  # cyan
    "differs": "1;31",  # bold red
    "illustrative": "35",  # magenta
}
RESET = "\033[0m"


@dataclass(frozen=True)
class Terminal:
    """Where the text goes: how wide a line may be, and whether verdicts are coloured."""

    width: int = 80
    colour: bool = False

    @classmethod
    def of(cls, stream):
        """The terminal ``stream`` writes to: its width (COLUMNS, else the terminal's, else 80; at least 60)."""
        tty = hasattr(stream, "isatty") and stream.isatty()
        colour = tty and not os.environ.get("NO_COLOR")
        return cls(max(MIN_WIDTH, shutil.get_terminal_size().columns), colour)

    def wrap(self, line, hanging=None):
        """``line`` as a list of lines no wider than ``width``, broken at spaces only.

        ``hanging`` is the continuation's indent: by default the line's own
        indent and two spaces more.
        """
        if len(line) <= self.width:
            return [line]
        body = line.lstrip(" ")
        indent = line[: len(line) - len(body)]
        if hanging is None:
            hanging = indent + HANGING if len(indent) + len(HANGING) < self.width // 2 else indent
        return textwrap.wrap(
            body,
            self.width,
            initial_indent=indent,
            subsequent_indent=hanging,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [line]

    def fit(self, text):
        """``text`` fitted to ``width``: tables folded, other lines wrapped; the text's final newline kept."""
        ending = "\n" if text.endswith("\n") else ""
        return "\n".join(self.lines(text[: len(text) - len(ending)].split("\n"))) + ending

    def lines(self, lines):
        """``lines`` fitted to ``width``, as a list: runs of table rows folded, other lines wrapped."""
        fitted = []
        for is_table, run in itertools.groupby(lines, key=lambda line: bool(COLUMN_GAP.search(line))):
            rows = list(run)
            fitted += self.fold(rows) if is_table else [part for line in rows for part in self.wrap(line)]
        return fitted

    def fold(self, rows):
        """Table ``rows`` whose too-wide rows are cut at one shared column gap, each remainder on the next line.

        The cut is the rightmost column where every too-wide row has two spaces,
        else one (a heading's words may stand one space apart). One too-wide
        row (a long heading, say) is wrapped like prose, as is a table with no
        such column in the right half of the line.
        """
        wrapped = [part for row in rows for part in self.wrap(row)]
        wide = [row for row in rows if len(row) > self.width]
        if len(wide) < 2:
            return wrapped
        columns = range(self.width, self.width // 2, -1)
        gap = next((c for c in columns if all(row[c - 1 : c + 1] == "  " for row in wide)), None)
        cut = gap or next((c for c in columns if all(row[c] == " " for row in wide)), None)
        if cut is None:
            return wrapped
        indent = " " * min(len(row) - len(row.lstrip(" ")) for row in wide) + FOLDED
        lead = min(len(row[cut:]) - len(row[cut:].lstrip(" ")) for row in wide)
        folded = []
        for row in rows:
            folded += self.wrap(row) if row not in wide else [row[:cut].rstrip(), *self.wrap(indent + row[cut + lead :])]
        return folded

    def paint(self, word, verdict):
        """``word`` in ``verdict``'s colour, when this terminal shows colour."""
        return f"\033[{COLOURS[verdict]}m{word}{RESET}" if self.colour else word

    def rule(self, char="═"):
        """A line across the terminal."""
        return char * self.width
