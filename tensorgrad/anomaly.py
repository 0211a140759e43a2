"""``detect_anomaly()``: find the op that first made a NaN or an infinity, forward or backward.

Always on, ``backward()`` refuses a gradient that is not finite when it
reaches a leaf (a parameter); that says something went wrong, not where.
Inside ``with tensorgrad.detect_anomaly():`` every op's output and every
vector-Jacobian product is checked as it is made, and the error names the
op, its input shapes, the first bad entry, and the line of your code that
made the op. It costs a check per op and a look at the call stack, so it is
for finding a bug, not for training (as PyTorch's ``detect_anomaly``).
"""

import threading
import traceback
from pathlib import Path

import numpy as np

ENGINE_FOLDERS = tuple(str(Path(__file__).resolve().parent.parent / name) for name in ("tensorgrad", "scalargrad"))


class _AnomalyMode(threading.local):
    enabled = False


mode = _AnomalyMode()  # mode.enabled: read on every op, so an attribute rather than a call


class detect_anomaly:
    """``with detect_anomaly():`` check every op's output and every VJP's, naming where the op was made."""

    def __init__(self):
        self._previous = []

    def __enter__(self):
        self._previous.append(mode.enabled)
        mode.enabled = True

    def __exit__(self, *exc):
        mode.enabled = self._previous.pop()


def is_anomaly_enabled():
    return mode.enabled


def user_line():
    """Where the op is being made: the innermost frame of the call stack outside the engines' own files."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not str(Path(frame.filename).resolve()).startswith(ENGINE_FOLDERS):
            return f"{frame.filename}:{frame.lineno}: {frame.line}"
    return "(no frame outside the engines)"


def first_index(bad):
    """The index (a tuple of ints, () for a 0-d array) of the first True entry: how an error names the entry
    at fault."""
    return tuple(int(i) for i in np.argwhere(bad)[0])


def refuse_non_finite(array, what, op_name, inputs, made_at, masked=False):
    """Raise, naming the op, its input shapes, the first bad entry and where the op was made, if ``array``
    (a float array) holds a NaN or an infinity; ``masked=True`` lets −inf pass (a masked position, which
    ``tensorgrad.masking`` has already followed from a masked input)."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return
    bad = ~np.isfinite(array) & ~(array == -np.inf) if masked else ~np.isfinite(array)
    if not bad.any():
        return
    index = first_index(bad)
    shapes = ", ".join(str(np.shape(a)) for a in inputs)
    raise FloatingPointError(
        f"detect_anomaly: {what} of {op_name} is {array[index]} at index {index} "
        f"(input shapes {shapes}); the op was made at {made_at}"
    )
