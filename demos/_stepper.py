"""What every demo shares: steps shown one at a time, and the post-vs-engine verdict.

A demo is a list of ``Step``s computed up front, so the learner can go back
and forth through them. In a terminal the stepper waits after each step
(Enter: next, b: back, q: quit); with ``pause=False`` (``--no-pause``, or
stdin not a terminal) it prints them straight through.
"""

import sys
from dataclasses import dataclass, field

PROMPT = "[Enter] next · b back · q quit › "


@dataclass
class Step:
    title: str
    lines: list = field(default_factory=list)

    def say(self, *lines):
        self.lines.extend(lines)
        return self


def run_steps(steps, pause, write=None, read=input):
    """Show ``steps``; returns False if the learner quit early."""
    write = write or sys.stdout.write
    i = 0
    while i < len(steps):
        step = steps[i]
        write(f"\n── {i + 1}/{len(steps)} · {step.title} ──\n")
        write("".join(f"{line}\n" for line in step.lines))
        if not pause or i == len(steps) - 1:
            i += 1
            continue
        try:
            key = read(PROMPT).strip().lower()
        except EOFError:  # stdin closed: run through the rest
            key, pause = "", False
        if key == "q":
            return False
        i = max(i - 1, 0) if key == "b" else i + 1
    return True


def verdict(post, engine):
    """How the post's printed figure (a string such as "4.5") compares with the engine's value.

    exact: equal to the digits the post shows; rounded: off by one unit in the
    last digit shown; differs: anything else.
    """
    digits = len(post.split(".")[1]) if "." in post else 0
    shown = round(engine, digits)
    if shown == float(post):
        return "exact"
    if abs(shown - float(post)) <= 1.000001 * 10**-digits:
        return "rounded"
    return "differs"


def figure(name, post, engine):
    """One line: what the post says, what the engine computes, and the verdict."""
    return f"  {name}: post {post} · engine {number(engine)} · {verdict(post, engine)}"


def number(x):
    """A float as a learner would write it: 3.0, 4.5, 0.3 (not 0.30000000000000004)."""
    return repr(round(float(x), 10))
