"""Bisection: how the demos find the inputs that would give one of the post's figures.

A temperature that gives an entropy, a weight where the slope is −7, a
per-sample accuracy that makes a majority vote right 83% of the time: each
is the x where a monotonic function of x crosses a target.
"""


def bisect(f, target, low, high, halvings=60):
    """The x in [low, high] where the monotonic ``f`` (rising or falling) crosses ``target``."""
    rising = f(high) > f(low)
    for _ in range(halvings):
        middle = (low + high) / 2
        low, high = (middle, high) if (f(middle) < target) == rising else (low, middle)
    return (low + high) / 2
