"""Hypothesis strategies shared by the tensorgrad tests: tiny shapes, values clear of kinks.

Shapes stay tiny because ``tensorgrad.gradcheck`` runs the function twice per
input entry. Values stay away from the places where a central difference
straddles two slopes (relu and abs at 0, a tie in max) or leaves the domain
(log and sqrt at 0, division by 0).
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def broadcastable_shapes(n=2, max_dims=3, max_side=3):
    """``n`` shapes that broadcast together: extra leading axes, length-1 axes and 0-d included.

    Draws a ``BroadcastableShapes``: ``.input_shapes`` and ``.result_shape``.
    """
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=0, max_dims=max_dims, max_side=max_side)


def shapes(min_dims=0, max_dims=3, max_side=3):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def reals(shape, lo=-2.0, hi=2.0):
    """float64 arrays with entries in [lo, hi]."""
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi))


def away_from_zero(shape, lo=0.2, hi=2.0):
    """float64 arrays with lo <= |x| <= hi, of either sign."""
    signs = hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0]))
    return st.tuples(reals(shape, lo, hi), signs).map(lambda pair: pair[0] * pair[1])


def grid(shape, offset=0.0, unique=False):
    """Multiples of 0.1 in [-3, 3], plus ``offset``.

    Two grids with different offsets never tie (maximum, minimum), a grid
    with offset 0.05 never hits a clip bound at a multiple of 0.1, and with
    ``unique=True`` no two entries tie (max, min reductions).
    """
    elements = st.integers(-30, 30).map(lambda k: k / 10 + offset)
    return hnp.arrays(np.float64, shape, elements=elements, unique=unique)


@st.composite
def shapes_and_axes(draw, max_dims=3, max_side=3):
    """A shape and an ``axis`` for a reduction: None, an int (maybe negative) or a tuple."""
    shape = draw(shapes(0, max_dims, max_side))
    ndim = len(shape)
    choices = [st.none()]
    if ndim:
        one_axis = st.integers(-ndim, ndim - 1)
        choices += [one_axis, st.lists(one_axis, min_size=1, max_size=ndim, unique_by=lambda ax: ax % ndim).map(tuple)]
    return shape, draw(st.one_of(choices))
