"""Helpers shared by the demo tests: find a claim, read a step's recorded values, check a claim, softmax.

A demo test computes the post's figures itself, with plain math or NumPy, and
checks each ``Claim`` of the demo against them: the claim quotes the post, its
engine figure is the independent value, and its verdict is the one the rule in
``demos._stepper.verdict`` gives for that value. The other numbers a step
prints are read from what it recorded (``Step.record``), never parsed back out
of the printed text: how a step prints is tested once, in test_demo_stepper.py.
"""

from decimal import Decimal

import numpy as np
import pytest

from demos._stepper import claims, run_steps, verdict
from demos._terminal import Terminal


def claim(steps, name):
    """The one Claim in ``steps`` named ``name``; fails if there is none or more than one."""
    (found,) = [c for c in claims(steps) if c.name == name]
    return found


def by_name(steps):
    """Every claim of ``steps`` by its name; names must be unique within a demo."""
    found = {c.name: c for c in claims(steps)}
    assert len(found) == len(claims(steps)), "two claims share a name"
    return found


UNWRAPPED = Terminal(width=10**9)  # a terminal so wide that no line wraps


def printed(steps, terminal=UNWRAPPED):
    """Everything the demo prints with --no-pause, as one string; fails if the stepper stops early.

    By default no line wraps: how lines wrap is tested in test_terminal.py.
    """
    written = []
    assert run_steps(steps, pause=False, write=written.append, terminal=terminal)
    return "".join(written)


def step(steps, title_start):
    """The one step whose title starts with ``title_start``; fails if there is none or more than one."""
    (found,) = [s for s in steps if s.title.startswith(title_start)]
    return found


def recorded(steps, title_start):
    """The values (``Step.record``) of the one step whose title starts with ``title_start``, by name."""
    return step(steps, title_start).values


def half_a_digit(shown):
    """Half a unit of the last digit ``shown`` prints, and a hair more for float noise: "0.105" → 0.0005."""
    half = 0.5 * 10.0 ** Decimal(shown).as_tuple().exponent  # "27.713" → -3, "42" → 0, "8.4e-113" → -114
    return half + min(half / 50, half * 1e-9 + 1e-12)


def check(claim, post, value, tolerance=None):
    """``claim`` quotes ``post``, its engine figure is ``value``, and its verdict is ``verdict(post, value)``.

    ``tolerance=None``: the engine figure is ``value`` to the digits it prints
    (within half a unit of its last digit); a number: within that absolute
    tolerance. ``value`` may be a Fraction or a NumPy scalar.
    """
    value = float(value)
    if tolerance is None:
        tolerance = half_a_digit(claim.engine)
    assert claim.post == post, claim.name
    assert float(claim.engine) == pytest.approx(value, abs=tolerance), claim.name
    assert claim.verdict == verdict(post, value), claim.name


def softmax(z):
    """Softmax of a vector in plain NumPy, the largest logit subtracted first so nothing overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()
