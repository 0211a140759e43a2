"""Elementwise ops: the output's entry i depends only on the inputs' entries i.

So each vector-Jacobian product is just scalargrad's local derivative applied
entrywise: ``grad * local``. Broadcasting is undone by the backward walk.
"""

import math

import numpy as np

from tensorgrad.tensor import Function


def _refuse(name, array, bad, rule):
    """A clear error for inputs outside an op's domain, naming the first offending entry."""
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        value = array[index] if array.ndim else array
        raise ValueError(f"{name}: {rule}, got {value!r} at index {index} (input shape {array.shape})")


def _check_overflow(name, out):
    if not np.isfinite(out).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise OverflowError(f"{name}: the result overflows {out.dtype} at index {index} (output shape {out.shape})")


class Add(Function):
    name, symbol = "add", "+"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    name, symbol = "sub", "−"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    name, symbol = "mul", "×"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        return g * b, g * a


class Div(Function):
    name, symbol = "div", "÷"

    @staticmethod
    def forward(ctx, a, b):
        _refuse("div", b, b == 0, "division by zero: the divisor")
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        return g / b, -g * a / (b * b)


class Neg(Function):
    name, symbol = "neg", "−x"

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return (-g,)


class PowScalar(Function):
    """a ** k for a plain number k."""

    name, symbol = "pow", "xᵏ"

    @staticmethod
    def forward(ctx, a, exponent):
        if not float(exponent).is_integer():
            _refuse("pow", a, a < 0, f"a negative base to the fractional power {exponent} has no real value")
        if exponent < 0:
            _refuse("pow", a, a == 0, f"0 to the negative power {exponent} divides by zero")
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        k = ctx.exponent
        if k == 0:
            return (np.zeros_like(g),)
        if k < 1:
            _refuse("backward through pow", a, a == 0, f"the derivative of x**{k} at 0 is infinite")
        return (g * k * a ** (k - 1),)


class Pow(Function):
    """a ** b where the exponent is a tensor too (needs a > 0: d/db = a**b · ln a)."""

    name, symbol = "pow", "aᵇ"

    @staticmethod
    def forward(ctx, a, b):
        _refuse("pow", a, a <= 0, "with a tensor exponent the base must be positive")
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        return g * b * a ** (b - 1), g * out * np.log(a)


class Exp(Function):
    name, symbol = "exp", "exp"

    @staticmethod
    def forward(ctx, a):
        with np.errstate(over="ignore"):
            out = np.exp(a)
        _check_overflow("exp", out)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return (g * out,)


class Log(Function):
    name, symbol = "log", "log"

    @staticmethod
    def forward(ctx, a):
        _refuse("log", a, a <= 0, "input must be positive")
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        return (g / a,)


class Sqrt(Function):
    name, symbol = "sqrt", "√"

    @staticmethod
    def forward(ctx, a):
        _refuse("sqrt", a, a < 0, "input must be non-negative")
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        _refuse("backward through sqrt", out, out == 0, "the derivative at 0 is infinite")
        return (g * 0.5 / out,)


class Abs(Function):
    name, symbol = "abs", "|x|"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        return (g * np.sign(a),)


class Tanh(Function):
    name, symbol = "tanh", "tanh"

    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return (g * (1 - out * out),)


class Sigmoid(Function):
    name, symbol = "sigmoid", "σ"

    @staticmethod
    def forward(ctx, a):
        e = np.exp(-np.abs(a))  # never overflows: the exponent is ≤ 0
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return (g * out * (1 - out),)


class Relu(Function):
    name, symbol = "relu", "relu"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        return (g * (a > 0),)


GELU_C = math.sqrt(2 / math.pi)  # a Python float, so float32 stays float32


class Gelu(Function):
    """x·Φ(x) in GPT-2's tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))."""

    name, symbol = "gelu", "gelu"

    @staticmethod
    def forward(ctx, a):
        t = np.tanh(GELU_C * (a + 0.044715 * (a * a * a)))
        ctx.save_for_backward(a, t)
        return 0.5 * a * (1 + t)

    @staticmethod
    def backward(ctx, g):
        a, t = ctx.saved
        inner_slope = GELU_C * (1 + 3 * 0.044715 * a * a)
        return (g * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner_slope),)


class _Choose(Function):
    """Elementwise max or min of two tensors; at a tie each input gets half the gradient."""

    pick = beats = None  # np.maximum and np.greater, or np.minimum and np.less

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return cls.pick(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved
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

    @staticmethod
    def forward(ctx, a, low, high):
        if low is not None and high is not None and low > high:
            raise ValueError(f"clip: low ({low}) must not exceed high ({high})")
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return np.clip(a, low, high)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        inside = np.ones(a.shape, dtype=bool)
        if ctx.low is not None:
            inside &= a >= ctx.low
        if ctx.high is not None:
            inside &= a <= ctx.high
        return (g * inside,)


class Where(Function):
    """``condition ? a : b`` entrywise; each branch gets the gradient where it was chosen."""

    name, symbol = "where", "where"

    @staticmethod
    def forward(ctx, a, b, condition):
        ctx.condition = condition.copy()  # a later change to the caller's mask must not reach backward
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.condition, g, 0), np.where(ctx.condition, 0, g)
