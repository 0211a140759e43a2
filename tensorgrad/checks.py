"""Input checks for tensorgrad's public functions: called once, where input enters.

A public function (``F.softmax``, ``sample``, ``advantages``, …) checks what
it is given with these helpers and then works on trusted arrays; the
functions it calls inside tensorgrad do not check again. The ``Function``
classes (``Softmax.apply``, ``LogSoftmax.apply``, …) never check: they are
the trusted inner path. Every message starts with ``where``, the public
function the learner called, and names the shapes or values at fault.
"""

import math
from numbers import Integral, Real

import numpy as np

from tensorgrad.anomaly import first_index
from tensorgrad.ops import normalize_axes
from tensorgrad.tensor import Tensor, constant


def array(x):
    """The NumPy array inside a Tensor, or ``x`` as an array (no copy when it already is one)."""
    return np.asarray(x._data if isinstance(x, Tensor) else x)  # the array itself: checks only read it


# ---- tensors ---------------------------------------------------------------------------------
def float_tensor(x, where, name=None):
    """``x`` as a Tensor of floating-point values; NaN or +inf in numbers given as an array is refused by
    the Tensor they become, with ``where`` named (−inf is a masked position, ``tensorgrad.masking``)."""
    try:
        x = constant(x)
    except ValueError as error:
        raise ValueError(f"{where}: {name or 'the input'} {str(error).removeprefix('Tensor: data ')}") from None
    except TypeError as error:
        raise TypeError(f"{where}: {error}") from None
    if x.dtype.kind != "f":
        what = "expected floating-point values" if name is None else f"{name} must hold floating-point values"
        raise TypeError(f"{where}: {what}, got dtype {x.dtype}")
    return x


def dims(shape, ndim, where, what, layout):
    """Refuse a shape without exactly ``ndim`` axes; ``layout`` spells the expected shape, e.g. "(B, T)"."""
    if len(shape) != ndim:
        raise ValueError(f"{where}: {what} must have shape {layout}, got {tuple(shape)}")


def axis(x, axis, where):
    """One axis of ``x`` (negatives count from the end), as a non-negative int; its range checked as the
    reductions check theirs (``ops.normalize_axes``)."""
    if isinstance(axis, bool) or not isinstance(axis, Integral):
        raise TypeError(f"{where}: axis must be one int, got {axis!r}")
    (axis,) = normalize_axes(axis, x.ndim, where)
    return axis


def logits(x, axis_, where, name=None):
    """(``x`` as a float Tensor, ``axis`` of it): logits of distributions along an axis, which must have
    entries: a distribution over nothing has no probabilities."""
    x = float_tensor(x, where, name)
    return x, distribution_axis(x, axis_, where)


def distribution_axis(x, axis_, where):
    """``axis`` of ``x``, which must have entries: a distribution over nothing has no probabilities."""
    axis_ = axis(x, axis_, where)
    if x.shape[axis_] == 0:
        raise ValueError(f"{where}: axis {axis_} of shape {x.shape} is empty: there is nothing to normalise over")
    return axis_


def tensor_list(tensors, where):
    """A non-empty list of float Tensors (one Tensor counts as a list of one)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [float_tensor(t, where) for t in tensors]
    if not tensors:
        raise ValueError(f"{where}: needs at least one tensor")
    return tensors


def probabilities(p, axis, where, name):
    """Refuse an array that is not a probability distribution along ``axis``: entries in [0, 1], sums 1 ± 1e-6."""
    outside = ~((p >= 0) & (p <= 1))
    if outside.any():
        index = first_index(outside)
        raise ValueError(f"{where}: probabilities must lie in [0, 1], got {name}{list(index)} = {p[index]:g}")
    totals = p.sum(axis=axis)
    off = np.abs(totals - 1) > 1e-6
    if off.any():
        raise ValueError(f"{where}: probabilities {name} must sum to 1, got {totals[first_index(off)]:.6g}")


# ---- integer ids ----------------------------------------------------------------------------
def of_kind(x, kinds, where, what, kind):
    """``x`` as a NumPy array whose dtype is of ``kinds`` (NumPy's letters: "iu" integers, "b" booleans);
    ``kind`` says in words what it must hold, e.g. "integer token ids"."""
    x = array(x)
    if x.dtype.kind not in kinds:
        raise TypeError(f"{where}: {what} must be {kind}, got dtype {x.dtype}")
    return x


def integers(x, where, what, kind="integers", high=None, ignore=None):
    """``x`` as an integer NumPy array; ``kind`` says what they should be, e.g. "integer token ids"; with
    ``high``, each in [0, high) unless it equals ``ignore`` (``in_range``)."""
    x = of_kind(x, "iu", where, what, kind)
    if high is not None:
        in_range(x, high, where, what, ignore)
    return x


def token_ids(ids, where, what, layout="(..., T)", ndims=None, least=1, why="", high=None, ignore=None):
    """Integer token ids of shape ``layout``: ``ndims`` axes (None: any number but 0), the last of length
    ``least`` or more (``why`` says why, if it is more than 1); the length's name is the layout's last.
    With ``high`` (the vocabulary's size), each id in [0, high) unless it equals ``ignore``."""
    ids = integers(ids, where, what, "integer token ids", high, ignore)
    if ids.ndim == 0 or (ndims is not None and ids.ndim not in ndims) or ids.shape[-1] < least:
        length = layout.split()[-1].strip("(,)")  # the last axis's name: "T" of "(B, T)"
        raise ValueError(f"{where}: {what} must have shape {layout} with {length} ≥ {least}{why}, got {ids.shape}")
    return ids


def class_indices(indices, logits_shape, where, what, name, kind, ignore=None):
    """Integer ``indices`` (``kind`` says what, e.g. "integer token ids"), one per row of logits of shape
    ``logits_shape`` (..., C) that ``what`` names, each in [0, C) unless it equals ``ignore``."""
    indices = integers(indices, where, name, kind)
    if len(logits_shape) == 0:
        raise ValueError(f"{where}: {what} need a class axis, got shape {logits_shape}")
    if indices.shape != logits_shape[:-1]:
        raise ValueError(f"{where}: {what} of shape {logits_shape} need {name} of shape {logits_shape[:-1]}, "
                         f"got {name} of shape {indices.shape}")
    in_range(indices, logits_shape[-1], where, name, ignore)
    return indices


def in_range(ids, high, where, what, ignore=None):
    """Refuse an id outside [0, high), naming the first; ids equal to ``ignore`` are exempt."""
    bad = (ids < 0) | (ids >= high)
    if ignore is not None:
        bad &= ids != ignore
    if bad.any():
        index = first_index(bad)
        raise IndexError(f"{where}: {what} must lie in [0, {high}), got {ids[index]} at index {index}")


# ---- options --------------------------------------------------------------------------------
def choice(value, choices, where, what):
    """Refuse a value that is not one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{where}: {what} must be one of {choices}, got {value!r}")


def positive(x, where, what):
    """Refuse anything but a number > 0 (NaN included); +inf passes (softmax's temperature=inf: the uniform limit)."""
    if type(x) is not float or not x > 0:  # a float > 0 passes at once (the ABC check for Real is slow)
        interval(x, 0, math.inf, where, what, "(]")


def non_negative(x, where, what):
    """Refuse anything but a number ≥ 0 (NaN included)."""
    if type(x) is not float or not x >= 0:
        interval(x, 0, math.inf, where, what, "[]")


def interval(x, low, high, where, what, bounds="[)"):
    """Refuse a number outside the interval; ``bounds`` says which ends belong to it: "[)", "(]", "()", "[]".
    A half-line (high = inf, "(]" or "[]" to take inf in) is spelled as a comparison: "must be > 0"."""
    number = type(x) is float or isinstance(x, Real) and not isinstance(x, bool)  # float first: the ABC is slow
    inside = number and (x >= low if bounds[0] == "[" else x > low) and (x <= high if bounds[1] == "]" else x < high)
    if not inside:
        spelled = f"lie in {bounds[0]}{low}, {high}{bounds[1]}"
        if high == math.inf:
            spelled = f"be {'' if bounds[1] == ']' else 'finite and '}{'>=' if bounds[0] == '[' else '>'} {low}"
        raise ValueError(f"{where}: {what} must {spelled}, got {x!r}")


def count(x, where, what, least=1):
    """Refuse anything but an integer ≥ ``least`` (a bool is not a count)."""
    if isinstance(x, bool) or not isinstance(x, Integral) or x < least:
        raise ValueError(f"{where}: {what} must be an integer ≥ {least}, got {x!r}")


# ---- arrays of numbers ----------------------------------------------------------------------
def finite(a, where, what):
    """``a`` as a float64 array (no copy if it is one), NaN and infinities refused, naming how many and the first."""
    a = np.asarray(array(a), dtype=np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        index = first_index(bad)
        raise ValueError(f"{where}: {what} of shape {a.shape} contain {int(bad.sum())} NaN or infinite value(s), "
                         f"the first {a[index]} at index {index}")
    return a


def narrowed(a, dtype, where, what):
    """The array ``a`` as ``dtype``, refusing a finite number that the cast would make infinite (1e300 into float32):
    −inf would pass as a masked position, +inf fail later, far from here. Checked only for a narrowing cast."""
    cast, problem = cast_to(a, dtype, what)
    if problem:
        raise ValueError(f"{where}: {problem}")
    return cast


def cast_to(a, dtype, what):
    """(``a`` as an array of ``dtype``, None), or (…, the problem in words) if a finite number of ``a`` (``what``
    names it) became infinite in the cast."""
    a, dtype = np.asarray(a), np.dtype(dtype)
    if a.dtype.kind != "f" or dtype.kind != "f" or a.dtype.itemsize <= dtype.itemsize:
        return a.astype(dtype, copy=False), None
    with np.errstate(over="ignore"):  # an overflow is reported just below
        cast = a.astype(dtype)
    beyond = np.isinf(cast) & np.isfinite(a)
    if not beyond.any():
        return cast, None
    index = first_index(beyond)
    return cast, f"{what} holds {a[index]:g} at index {index}, beyond the range of {dtype} (±{np.finfo(dtype).max:.4g})"


def finite_result(result, where, what="the loss"):
    """``result`` (a Tensor) itself, if it is finite; else an error naming ``where``: a loss or penalty that
    overflowed (OverflowError) or is NaN (FloatingPointError) is never returned in silence. Checked once, on
    the result, so it costs one look at one number for a reduced loss."""
    a = result._data  # read only: no DataView needed
    bad = ~np.isfinite(a)
    if bad.any():
        index = first_index(bad)
        at = f" at index {index}" if index else ""
        error = FloatingPointError if np.isnan(a[index]) else OverflowError
        raise error(f"{where}: {what} is {a[index]}{at}; a term overflowed a float (inputs or weights too large? "
                    "a step size too large?); rerun under tensorgrad.detect_anomaly() to find the op")
    return result


def rewards(rewards, where):
    """Rewards as a float64 array of shape (B,) or (prompts, G): finite, one per sequence, not empty."""
    r = np.array(array(rewards), dtype=np.float64)
    if r.ndim not in (1, 2) or r.size == 0:
        raise ValueError(f"{where}: rewards must have shape (B,) or (prompts, G), one per sequence, got shape {r.shape}")
    finite(r, where, "rewards")
    return r


def completion_mask(mask, shape, where, what):
    """A boolean array of exactly ``shape`` (0/1 numbers are converted) with at least one True."""
    keep = array(mask)
    if keep.dtype != bool:
        if keep.dtype.kind not in "iuf" or not np.isin(keep, (0, 1)).all():
            raise TypeError(f"{where}: the mask must be boolean (or 0/1), got dtype {keep.dtype}")
        keep = keep.astype(bool)
    if keep.shape != tuple(shape):
        raise ValueError(f"{where}: the mask has shape {keep.shape} but the {what} have shape {tuple(shape)}")
    if not keep.any():
        raise ValueError(f"{where}: the mask of shape {keep.shape} marks no completion token at all, so there is "
                         "nothing to learn from (is the prompt as long as the whole sequence?)")
    return keep


def model_logits(shape, ids_shape, where, model):
    """Refuse logits of ``shape`` unless they are (batch, time, vocab) for ids of ``ids_shape`` (batch, time):
    what a language model (``model``, e.g. "model_fn") must return."""
    if len(shape) != 3 or tuple(shape[:2]) != tuple(ids_shape):
        raise ValueError(f"{where}: {model} must map ids of shape {ids_shape} to logits of shape (batch, time, vocab) "
                         f"= ({ids_shape[0]}, {ids_shape[1]}, vocab), got shape {tuple(shape)}")


# ---- randomness -----------------------------------------------------------------------------
def generator(rng, where, hint=""):
    """Refuse anything but a NumPy Generator: where a draw happens on every call, a fixed seed would repeat it."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: rng must be a numpy Generator, e.g. np.random.default_rng(0), got {rng!r}{hint}")
    return rng


def seeded_generator(rng, where):
    """The rng convention of both engines: an int seed (a fresh generator) or a generator, used as given."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or not isinstance(rng, Integral):
        raise TypeError(f"{where}: rng must be an int seed or a numpy Generator, got {rng!r}")
    return np.random.default_rng(rng)
