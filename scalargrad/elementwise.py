"""The elementwise ops of both engines, each written once: forward beside local derivative (§10).

An elementwise op works on each entry on its own, so its local derivative is
one number per entry and input. Each rule below is plain arithmetic plus the
few helpers at the top (``exp``, ``log``, ``step``, ``choose``, ...). The
forward rule runs on

    a float             scalargrad
    a NumPy array       tensorgrad

and the derivative rule on those and also on

    a Value or Tensor   ``grad(..., create_graph=True)`` in either engine: the derivative is
                        itself a graph, so it can be differentiated again (second derivatives)

so a derivative rule never compares a Value or Tensor itself: it asks
``step``, ``sign`` or ``choose``, which look at the number inside (``plain``).

Each engine turns a rule into its own op (``scalargrad.value.apply``,
``tensorgrad.ops.from_table``), so adding an elementwise op is one rule here
plus one method on ``Value`` and one on ``Tensor``; gradcheck, higher-order
gradients and drawing then work in both.

``derivative(*inputs, out)`` returns one local derivative per input:
d(out)/d(input). It may use the output (``tanh: 1 − out²``), which both
engines have at hand. ``domain`` lists the inputs an op refuses, each as
``Refuse(bad, message, error)``: ``bad(*inputs)`` is True (for arrays, a
mask) where the input is outside the domain, and ``message`` is formatted
with the offending input values. ``keep`` names an intermediate both rules
use (gelu's tanh), computed once per forward pass. Three flags tell
tensorgrad which checks an op needs (scalargrad checks every number anyway): ``singular`` (the
derivative can be infinite, as 1/x's at 0), ``may_overflow`` (the result can
overflow, as eˣ) and ``constant_slope`` (the derivatives are ±1: nothing to
save for backward).
"""

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

_ARRAYS = (np.ndarray, np.generic)


# ---- helpers for the rules: floats, arrays, and (in derivatives) Values and Tensors --------
def _on_any(on_float, on_array, method):
    """One math function for every kind of number: ``math``'s on a float, NumPy's on an array, the method
    of a Value or Tensor (``x.exp()``), so that a derivative rule builds a graph when given one."""

    def function(x):
        if type(x) is float:
            return on_float(x)
        return on_array(x) if isinstance(x, _ARRAYS) else getattr(x, method)()

    function.__name__ = method
    return function


exp = _on_any(math.exp, np.exp, "exp")
log = _on_any(math.log, np.log, "log")
sqrt = _on_any(math.sqrt, np.sqrt, "sqrt")
tanh = _on_any(math.tanh, np.tanh, "tanh")


_PLAIN = (float, int, *_ARRAYS)


def plain(x):
    """The number or array inside a Value or Tensor (a constant: no gradient flows through it)."""
    if type(x) is float:  # the common case (every scalar derivative), checked first
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x if isinstance(x, _PLAIN) else x.data


def step(x):
    """1 where x > 0, else 0 (also at 0, as PyTorch): relu's slope. A constant, never a graph."""
    x = plain(x)
    if type(x) is float:
        return 1.0 if x > 0 else 0.0
    if isinstance(x, _ARRAYS):
        return (x > 0).astype(x.dtype)  # of x's own dtype: float32 stays float32
    return 1.0 if x > 0 else 0.0


def sign(x):
    """−1, 0 or 1: the slope of |x| (0 at the kink, as PyTorch). A constant, never a graph."""
    x = plain(x)
    if isinstance(x, _ARRAYS):
        return np.sign(x)
    return float((x > 0) - (x < 0))


def positive_part(x):
    """max(x, 0), entrywise (a forward rule: floats and arrays)."""
    if type(x) is float or not isinstance(x, _ARRAYS):
        return x if x > 0 else 0.0
    return np.maximum(x, 0)


def choose(condition, a, b):
    """a where the condition holds, else b. The condition is a constant: a bool or a mask of plain numbers
    (``choose(plain(x) > 0, ...)``); a and b may be Values or Tensors, and then the result is a graph."""
    condition = plain(condition)
    if isinstance(a, (float, int, *_ARRAYS)) and isinstance(b, (float, int, *_ARRAYS)):
        return np.where(condition, a, b) if isinstance(condition, _ARRAYS) else a if condition else b
    mask = np.asarray(condition, dtype=float) if isinstance(condition, _ARRAYS) else float(condition)
    return a * mask + b * (1 - mask)


def is_integer(k):
    return float(k).is_integer()


# ---- the table -------------------------------------------------------------------------
class DivisionByZero(ZeroDivisionError, ValueError):
    """Division by zero, 0 to a negative power: Python's ZeroDivisionError, and a bad input value."""


@dataclass(frozen=True)
class Refuse:
    """Inputs an op cannot take: ``bad(*inputs)`` marks them, ``message`` says why."""

    bad: Callable
    message: str  # formatted with the inputs' offending values: "division by zero ({0} / {1})"
    error: type = ValueError


@dataclass(frozen=True, eq=False)  # eq=False: ops compare and hash by identity, which is fast
class Op:
    """An op: its name and symbol (for errors and drawings), forward and local derivatives."""

    name: str
    symbol: str
    forward: Callable
    derivative: Callable
    domain: tuple = ()
    constant_slope: bool = False  # the local derivatives are ±1 (+, −): nothing to save
    singular: bool = False  # the local derivative can be infinite inside the domain (1/x at 0)
    may_overflow: bool = False  # the result can overflow for ordinary inputs (eˣ at 1000)
    keep: Callable | None = None  # an intermediate both rules use, computed once: then the rules are
    # forward(*inputs, kept) and derivative(*inputs, out, kept)


add = Op("add", "+", operator.add, lambda a, b, out: (1.0, 1.0), constant_slope=True)

sub = Op("sub", "−", operator.sub, lambda a, b, out: (1.0, -1.0), constant_slope=True)

neg = Op("neg", "−x", operator.neg, lambda a, out: (-1.0,), constant_slope=True)

mul = Op("mul", "×", operator.mul, lambda a, b, out: (b, a))

div = Op(
    "div", "÷",
    operator.truediv,
    lambda a, b, out: (1 / b, -(out / b)),  # −a/b² as −(a/b)/b: b² alone underflows at b = 1e-170
    domain=(Refuse(lambda a, b: b == 0, "division by zero ({0} / {1})", DivisionByZero),),
    singular=True,
)

def _slope_of_power(a, k, out):
    """k·a^(k−1), the slope of aᵏ in a; for 0 < |k| < 1 as k·aᵏ/a, since a^(k−1) alone overflows at a tiny a
    where the slope does not (a = 1e-310, k = 1e-10: a^(k−1) ≈ 1e310, k·a^(k−1) ≈ 1e300), and aᵏ lies
    between a and 1 there, so it neither overflows nor underflows."""
    exponent = plain(k)
    if type(exponent) is float:  # one exponent: only the branch it needs
        if 0 < abs(exponent) < 1:
            return k * out / a
        try:
            return k * a ** (k - 1)
        except OverflowError:  # a float's ** raises; the slope is infinite, an error only if it is used
            # ±∞ with the sign k·a^(k−1) has (a negative base only comes with a whole k); a float even when k is
            # a Value (create_graph), since no graph can hold an infinity
            sign = exponent * math.copysign(1.0, plain(a)) ** (exponent - 1)
            return math.copysign(math.inf, sign) if sign else 0.0  # a⁰ is flat
    return choose(abs(exponent) < 1, k * out / a, k * a ** (k - 1))


def _power_slope(a, k, out):
    k = plain(k)  # the exponent is a constant: no gradient flows to it
    return (0.0 if k == 0 else _slope_of_power(a, k, out), 0.0)  # x⁰ is constant: slope 0, even at 0


power = Op(  # x ** k for a constant k
    "pow", "xᵏ",
    lambda a, k: a**k,
    _power_slope,
    domain=(
        Refuse(lambda a, k: (a < 0) & (not is_integer(k)),
               "a negative base ({0}) to a fractional power ({1}) has no real value"),
        Refuse(lambda a, k: (a == 0) & (k < 0), "0 to a negative power ({1}) divides by zero", DivisionByZero),
    ),
    singular=True,
    may_overflow=True,
)

power_of_variables = Op(  # a ** b where the exponent is differentiated too
    "pow", "aᵇ",
    lambda a, b: a**b,
    lambda a, b, out: (_slope_of_power(a, b, out), out * log(a)),
    domain=(Refuse(lambda a, b: a <= 0,
                   "with a variable exponent the base must be positive (d/db aᵇ = aᵇ·ln a), got base {0}"),),
    singular=True,
    may_overflow=True,
)

exponential = Op("exp", "exp", exp, lambda a, out: (out,), may_overflow=True)

logarithm = Op(
    "log", "log", log, lambda a, out: (1 / a,),
    domain=(Refuse(lambda a: a <= 0, "input must be positive, got {0}"),),
    singular=True,
)

square_root = Op(
    "sqrt", "√",
    sqrt,
    lambda a, out: (0.5 / out,),
    domain=(Refuse(lambda a: a < 0, "input must be non-negative, got {0}"),),
    singular=True,
)

hyperbolic_tangent = Op("tanh", "tanh", tanh, lambda a, out: (1 - out * out,))


def _sigmoid(a):
    e = exp(-abs(a))  # the exponent is ≤ 0, so it never overflows, whatever the sign of a
    return choose(a >= 0, 1 / (1 + e), e / (1 + e))


sigmoid = Op("sigmoid", "σ", _sigmoid, lambda a, out: (out * (1 - out),))

relu = Op("relu", "relu", positive_part, lambda a, out: (step(a),))

absolute = Op("abs", "|x|", abs, lambda a, out: (sign(a),))

GELU_C = math.sqrt(2 / math.pi)  # a Python float, so float32 stays float32


def _gelu_tanh(a):
    """t = tanh(√(2/π)(a + 0.044715a³)), which both of gelu's rules use: kept from the forward pass."""
    with np.errstate(over="ignore"):  # a³ overflows past |a| ≈ 1e102 (float32: 7e12), where t is ±1 anyway
        return tanh(GELU_C * (a + 0.044715 * (a * a * a)))


def _gelu_slope(a, out, t):
    sa = (1 - t * t) * a  # sech²·a: exactly 0 once |a| is large, before a² could overflow into 0·∞
    return (0.5 * (1 + t) + 0.5 * GELU_C * (sa + 3 * 0.044715 * (sa * a) * a),)


gelu = Op(  # x·Φ(x) in GPT-2's tanh approximation: ½x(1 + t)
    "gelu", "gelu", lambda a, t: 0.5 * a * (1 + t), _gelu_slope, keep=_gelu_tanh
)
