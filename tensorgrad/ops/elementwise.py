"""Elementwise ops: the output's entry i depends only on the inputs' entries i.

Their forward rules and local derivatives are scalargrad's: one table,
``scalargrad.elementwise``, serves both engines. ``from_table(op)`` turns an
entry of that table into a Function whose vector-Jacobian product is
``upstream × local``, entrywise; broadcasting is undone by the backward walk.
The same code runs on Tensors under ``grad(..., create_graph=True)``.

Written here are only the ops that choose between entries (maximum, minimum,
clip, where): their derivative is a mask, a constant.
"""

import functools
import math

import numpy as np

from scalargrad.elementwise import plain
from tensorgrad.anomaly import first_index
from tensorgrad.function import Function, Node


class Elementwise(Function):
    """An op from the shared table (``op``): forward refuses inputs outside its domain; backward is g × local."""

    op = None
    differentiable_backward = True

    @classmethod
    def forward(cls, ctx, *arrays):
        op = cls.op
        for refuse in op.domain:
            bad = refuse.bad(*arrays)
            if np.any(bad):
                _refuse(op.name, refuse, arrays, bad)
        kept = () if op.keep is None else (op.keep(*arrays),)
        if op.may_overflow:
            with np.errstate(over="ignore", invalid="ignore"):
                out = op.forward(*arrays, *kept)
            _refuse_non_finite(f"{op.name}: the result overflows {out.dtype}", out, arrays, OverflowError)
        else:
            out = op.forward(*arrays, *kept)
        if not op.constant_slope:
            ctx.save_for_backward(*arrays, out)
            ctx.kept = kept
        return out

    @classmethod
    def backward(cls, ctx, g):
        op, needs = cls.op, ctx.needs_input_grad
        if op.constant_slope:  # + and −: slopes of ±1 whatever the inputs (so none were saved)
            slopes = op.derivative(*needs, None)  # the arguments are not looked at
            return [None if not needed else g if slope == 1 else -g for slope, needed in zip(slopes, needs)]
        kept = ctx.kept
        if kept and isinstance(g, Node):  # create_graph: the kept intermediate again, as a graph of the inputs
            kept = (op.keep(*ctx.saved[:-1]),)
        if op.singular:
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                locals_ = op.derivative(*ctx.saved, *kept)  # the inputs, the output, what forward kept
            for local, needed in zip(locals_, needs):
                if needed:
                    _refuse_non_finite(f"backward through {op.name}: its derivative is not finite", local, ctx.saved[:-1])
        else:
            locals_ = op.derivative(*ctx.saved, *kept)
        return [g * local if needed else None for local, needed in zip(locals_, needs)]


@functools.cache
def from_table(op):
    """The Function for one op of the shared table, made the first time it is asked for."""
    name = op.name.title().replace("_", "")
    return type(name, (Elementwise,), {"op": op, "name": op.name, "symbol": op.symbol})


def _refuse(name, refuse, arrays, bad):
    """A clear error for inputs outside an op's domain, naming the first offending entry and its values."""
    shape = np.broadcast_shapes(np.shape(bad), *[np.shape(a) for a in arrays])
    index = first_index(np.broadcast_to(bad, shape))
    values = [float(np.broadcast_to(a, shape)[index]) for a in arrays]
    shapes = ", ".join(str(np.shape(a)) for a in arrays)
    where = f" at index {index}" if index else ""
    raise refuse.error(f"{name}: {refuse.message.format(*values)}{where} (input shapes {shapes})")


def _refuse_non_finite(problem, array, inputs, error=ValueError):
    array = plain(array)
    if not np.isfinite(array).all():
        shape = np.broadcast_shapes(np.shape(array), *[np.shape(plain(a)) for a in inputs])
        index = first_index(~np.isfinite(np.broadcast_to(array, shape)))
        values = ", ".join(f"{float(np.broadcast_to(plain(a), shape)[index]):.6g}" for a in inputs)
        raise error(f"{problem} at index {index}, input(s) {values} (shape {shape})")


def _where(condition, a, b):
    """np.where on arrays; the where op on Tensors (a constant condition either way)."""
    if isinstance(a, Node) or isinstance(b, Node):
        return Where.apply(a, b, condition=condition)
    return np.where(condition, a, b)


class _Choose(Function):
    """Elementwise max or min of two tensors; at a tie each input gets half the gradient."""

    pick = beats = None  # np.maximum and np.greater, or np.minimum and np.less

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)

    differentiable_backward = True

    @classmethod
    def backward(cls, ctx, g):
        a, b = plain(ctx.saved[0]), plain(ctx.saved[1])
        to_a = g * cls.beats(a, b) + (0.5 * g) * (a == b)
        return to_a, g - to_a


class Maximum(_Choose):
    name, symbol = "maximum", "max"
    pick, beats = staticmethod(np.maximum), staticmethod(np.greater)


class Minimum(_Choose):
    name, symbol = "minimum", "min"
    pick, beats = staticmethod(np.minimum), staticmethod(np.less)


class Clip(Function):
    """Values limited to [low, high]; no gradient where the limit took over."""

    name, symbol = "clip", "clip"

    @classmethod
    def apply(cls, a, low=None, high=None):
        dtype = a._data.dtype if isinstance(a, Node) else np.dtype(np.float64)  # (not a tensor: apply says so)
        _check_bound(low, "low", dtype, 1)
        _check_bound(high, "high", dtype, -1)
        return super().apply(a, low=low, high=high)

    @staticmethod
    def forward(ctx, a, low, high):
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip: low ({low}) must not exceed high ({high})")
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return np.clip(a, low, high)

    differentiable_backward = True

    @staticmethod
    def backward(ctx, g):
        a = plain(ctx.saved[0])
        inside = np.ones(a.shape, dtype=bool)
        if ctx.low is not None:
            inside &= a >= ctx.low
        if ctx.high is not None:
            inside &= a <= ctx.high
        return (g * inside,)


def _check_bound(bound, name, dtype, side):
    """A bound of clip is None or a number that leaves every entry finite: not NaN, and not an infinity, or a
    number beyond ``dtype``'s range, on the ``side`` (+1 for low, −1 for high) where it would replace every entry."""
    if bound is None:
        return
    if not isinstance(bound, (int, float, np.integer, np.floating)) or isinstance(bound, bool):
        raise TypeError(f"clip: {name} must be a number or None, got {type(bound).__name__}; for a bound per "
                        "entry use maximum() and minimum()")
    largest = float(np.finfo(dtype).max) if dtype.kind == "f" else math.inf
    try:
        value = float(bound)
    except OverflowError:  # an int too large for any float
        value = math.copysign(math.inf, bound)
    if math.isnan(value) or side * value > largest:
        raise ValueError(f"clip: {name} = {bound} would make every entry {'NaN' if math.isnan(value) else side * math.inf}"
                         f" (the tensor is {dtype}, largest {largest:.4g})")


class Where(Function):
    """``condition ? a : b`` entrywise; each branch gets the gradient where it was chosen."""

    name, symbol = "where", "where"

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.condition = condition  # this op's own copy (Function.apply copies an array setting)
        return np.where(condition, a, b)

    differentiable_backward = True

    @staticmethod
    def backward(ctx, g):
        return _where(ctx.condition, g, 0.0), _where(ctx.condition, 0.0, g)
