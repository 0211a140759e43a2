"""Bisection: how the demos find the inputs that would give one of the post's figures.

A temperature that gives an entropy, a weight where the slope is −7, a
per-sample accuracy that makes a majority vote right 83% of the time: each
is the x where a monotonic function of x crosses a target.
"""

import math


def bisect(f, target, low, high, halvings=60):
    """The x in [low, high] where the monotonic ``f`` (rising or falling) crosses ``target``."""
    rising = f(high) > f(low)
    for _ in range(halvings):
        middle = (low + high) / 2
        low, high = (middle, high) if (f(middle) < target) == rising else (low, middle)
    return (low + high) / 2


def printed_range(low, high, gives):
    """[low, high] as text, rounded inward to the fewest decimals (2 to 4) at which both printed ends ``gives``.

    A range found on a grid and printed to two decimals can end on a number
    that no longer gives the figure (0.4796 prints as 0.48, and T = 0.48 does
    not give the post's row): rounding each end inward, and checking the
    printed ends themselves, keeps a printed range true.
    """
    for digits in (2, 3, 4):
        scale = 10**digits
        start, end = math.ceil(round(low * scale, 6)) / scale, math.floor(round(high * scale, 6)) / scale
        if start <= end and gives(start) and gives(end):
            return f"{start:.{digits}f}", f"{end:.{digits}f}"
    return f"{low:.6f}", f"{high:.6f}"
