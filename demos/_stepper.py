"""What every demo shares: steps shown one at a time, and the post-vs-engine verdict.

A demo is a list of ``Step``s computed up front, so the learner can go back
and forth through them. In a terminal the stepper waits after each step
(Enter: next, b: back, q: quit); with ``pause=False`` (``--no-pause``, or
stdin not a terminal) it prints them straight through.

Each figure the post states becomes a ``Claim``: the post's number, the
engine's number, and one of four verdicts:

- exact: the engine's value, rounded to the digits the post shows, is the post's;
- rounded: off by one unit in the last digit the post shows, and within 10% of it
  (so 1% for 0.23% differs: one unit, but more than four times too big);
- differs: anything else; the note says what inputs would give the post's figure;
- illustrative: the post gives no inputs that determine the figure.

The other numbers a step prints are kept by name with ``Step.record``, so a
test reads them as values instead of parsing the printed text.

What is printed fits the terminal (``demos._terminal``): lines wrap between
words, and on a colour terminal the claims of a step line up in columns with
each verdict in its own colour.
"""

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from demos._terminal import Terminal

PROMPT = "[Enter] next · b back · q quit › "
VERDICTS = ("exact", "rounded", "differs", "illustrative")
ROUNDED_WITHIN = 0.1  # a rounded figure is off by one unit in its last digit and by at most 10%


@dataclass(frozen=True)
class Claim:
    """One figure of the post beside the engine's value (see the module docstring for verdicts)."""

    name: str
    post: str  # as the post prints it, e.g. "95.4" or "~0"
    engine: str  # the engine's value as shown, "" when there is nothing to compute
    verdict: str
    unit: str = ""  # "%", " bits", ... printed after both numbers
    note: str = ""  # differs: what would give the post's figure; illustrative: what the engine shows instead

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim {self.name!r}: verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def engine_shown(self):
        """The engine's figure written as the post writes its own: 3,600,000,000 beside the post's 3,600,000,000."""
        return grouped_like(self.post, self.engine)

    def columns(self):
        """The claim's three columns as printed: "name:", the post's figure and the engine's, with their units."""
        engine = f"{self.engine_shown()}{self.unit}" if self.engine else "—"
        return f"{self.name}:", f"{self.post}{self.unit}", engine

    def headline(self, widths=(0, 0, 0)):
        """The claim in one line; ``widths`` pads its columns so the claims of a step line up."""
        (name, post, engine), (name_width, post_width, engine_width) = self.columns(), widths
        return f"  {name:{name_width}} post {post:{post_width}} · engine {engine:{engine_width}} · {self.verdict}"

    def note_line(self):
        return f"      ↳ {self.note}"

    def __str__(self):
        return self.headline() + (f"\n{self.note_line()}" if self.note else "")


@dataclass
class Step:
    """One screenful: a title, lines (text or Claims), the pictures written for it, and the values it measured."""

    title: str
    lines: list = field(default_factory=list)
    pictures: list = field(default_factory=list)  # (Path, caption) of PNG, SVG, HTML or .dot files
    values: dict = field(default_factory=dict)  # name → a number (array, tuple, text) the step prints: record()

    def say(self, *lines):
        self.lines.extend(lines)
        return self

    def show(self, path, caption=""):
        """Attach a picture the demo wrote: the terminal says where it is, the tour's report embeds it."""
        self.pictures.append((Path(path), caption))
        return self

    def record(self, name, value):
        """Keep ``value``, a number the step's text prints, under ``name``, and return it.

        Claims record the post's figures; ``record`` keeps the other numbers a
        demo computes, so a test (or any tool) reads them by name instead of
        parsing them back out of the printed text.
        """
        if name in self.values:
            raise ValueError(f"Step {self.title!r}: a value named {name!r} is already recorded")
        self.values[name] = value
        return value

    def claims(self):
        return [line for line in self.lines if isinstance(line, Claim)]

    def notes_shown(self):
        """(line, whether to show its note): claims in one run sharing a note show it once, after the last."""
        shown = []
        for i, line in enumerate(self.lines):
            if not (isinstance(line, Claim) and line.note):
                shown.append((line, False))
                continue
            run = []
            for later in self.lines[i + 1 :]:
                if not isinstance(later, Claim):
                    break
                run.append(later.note)
            shown.append((line, line.note not in run))
        return shown

    def text(self, terminal=None):
        """The step's lines as printed: as they are, or fitted to ``terminal`` (see the module docstring)."""
        fit = terminal or Terminal(width=10**9)
        widths = self.aligned_widths(terminal.width) if terminal and terminal.colour else (0, 0, 0)
        printed, text = [], []  # text: the lines since the last claim, fitted together (a table is folded whole)
        for line, show_note in self.notes_shown():
            if isinstance(line, Claim):
                printed += fit.lines(text)
                *start, last = fit.wrap(line.headline(widths))
                printed += [*start, last[: -len(line.verdict)] + fit.paint(line.verdict, line.verdict)]
                printed += fit.wrap(line.note_line()) if show_note else []
                text = []
            else:
                text += str(line).split("\n")
        printed += fit.lines(text)
        for path, caption in self.pictures:
            printed += fit.wrap(f"  picture: {path}" + (f" ({caption})" if caption else ""))
        return "".join(f"{line}\n" for line in printed)

    def aligned_widths(self, width):
        """Column widths that line up this step's claims, or no padding if lined up they would not fit ``width``."""
        columns = [claim.columns() for claim in self.claims()]
        if not columns:
            return (0, 0, 0)
        widths = tuple(max(len(column[i]) for column in columns) for i in range(3))
        longest = max(len(claim.headline(widths)) for claim in self.claims())
        return widths if longest <= width else (0, 0, 0)


def run_steps(steps, pause, write=None, read=None, prompt=PROMPT, terminal=None):
    """Show ``steps`` fitted to ``terminal`` (by default, stdout's); returns False if the learner quit early."""
    write, read = write or sys.stdout.write, read or input
    terminal = terminal or Terminal.of(sys.stdout)
    i = 0
    while i < len(steps):
        step = steps[i]
        write("\n" + terminal.fit(f"── {i + 1}/{len(steps)} · {step.title} ──\n"))
        write(step.text(terminal))
        if not pause or i == len(steps) - 1:
            i += 1
            continue
        try:
            key = read(prompt).strip().lower()
        except EOFError:  # stdin closed: run through the rest
            key, pause = "", False
        if key == "q":
            return False
        i = max(i - 1, 0) if key == "b" else i + 1
    return True


def tally(found, terminal=None):
    """How many figures ``found`` holds and their verdicts: "22 figures: 20 exact, 1 rounded, 1 differs"."""
    if not found:
        return "No figure of the post is checked in this demo."
    terminal, counts = terminal or Terminal(), Counter(claim.verdict for claim in found)
    each = ", ".join(terminal.paint(f"{counts[v]} {v}", v) for v in VERDICTS if counts[v])
    return f"{len(found)} figure{'s' if len(found) > 1 else ''}: {each}"


def verdict(post, engine):
    """How the post's printed figure (a string such as "4.5", "~0" or "3,600") compares with the engine's value."""
    digits = decimals(post)
    post_value, engine = float(_plain(post)), float(engine)
    shown = round(engine, digits)
    if shown == post_value:
        return "exact"
    one_unit = abs(shown - post_value) <= 1.000001 * 10**-digits
    close = post_value == 0 or abs(engine - post_value) <= ROUNDED_WITHIN * abs(post_value)
    return "rounded" if one_unit and close else "differs"


def figure(name, post, engine, unit="", would_give=""):
    """The post's figure checked against the engine's value.

    ``would_give`` says what inputs would give the post's figure; it is shown
    only when the verdict is *differs*.
    """
    judged = verdict(post, engine)
    note = would_give if judged == "differs" else ""
    return Claim(name, post, shown_like(post, engine), judged, unit, note)


def illustrative(name, post, unit="", engine=None, note=""):
    """A figure the post gives no inputs for; ``engine`` and ``note`` say what the engine computes instead."""
    return Claim(name, post, "" if engine is None else shown_like(post, engine), "illustrative", unit, note)


def shown_like(post, engine):
    """The engine's value with two more decimals than the post shows: enough to see the rounding."""
    digits = decimals(post)
    if digits == 0 and float(engine).is_integer():
        return str(int(engine))  # a count: "3", not "3.0"
    short = number(engine)
    if "e" in short:
        return short  # 3.4e-12, not 0.000
    return short if decimals(short) <= digits + 2 else f"{float(engine):.{digits + 2}f}"


def grouped_like(post, shown):
    """``shown`` with its digits grouped in threes if the post groups its own: "4990" → "4,990" beside "5,023"."""
    whole, point, fraction = shown.partition(".")
    if "," not in post or "e" in shown or not whole.lstrip("-").isdigit():
        return shown  # the post writes 5023, or the engine's figure is "3.4e-12" or "—"
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{point}{fraction}"


def decimals(figure_text):
    """How many digits a printed number shows after the point: "181.3" → 1, "~0" → 0."""
    plain = _plain(figure_text)
    return len(plain.split(".")[1]) if "." in plain else 0


def _plain(post):
    """The post's figure as a number's text: "~0" → "0", "3,600" → "3600"."""
    return post.lstrip("~≈").replace(",", "")


def number(x):
    """A float as a learner would write it: 3.0, 4.5, 0.3 (not 0.30000000000000004), 8.4e-113 (not 0.0)."""
    x = float(x) + 0.0  # + 0.0 turns −0.0 (−log 1, say) into 0.0
    if 0 < abs(x) < 1e-6:
        return f"{x:.2g}"
    return repr(round(x, 10))


def claims(steps):
    """Every Claim in ``steps``, in order."""
    return [claim for step in steps for claim in step.claims()]
