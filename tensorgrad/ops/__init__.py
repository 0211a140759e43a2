"""Every op of tensorgrad: a Function with its forward and its vector-Jacobian product."""

from tensorgrad.ops.elementwise import (
    Clip,
    Maximum,
    Minimum,
    Where,
    from_table,
)
from tensorgrad.ops.index import Select, Slice, TakeAlongAxis, is_basic
from tensorgrad.ops.linalg import MatMul
from tensorgrad.ops.reduce import LogSumExp, Max, Mean, Min, Sum, Var, normalize_axes
from tensorgrad.ops.shape import BroadcastTo, Concatenate, Permute, Reshape, Stack

__all__ = [
    "BroadcastTo",
    "Clip",
    "Concatenate",
    "LogSumExp",
    "MatMul",
    "Max",
    "Maximum",
    "Mean",
    "Min",
    "Minimum",
    "Permute",
    "Reshape",
    "Select",
    "Slice",
    "Stack",
    "Sum",
    "TakeAlongAxis",
    "Var",
    "Where",
    "from_table",
    "is_basic",
    "normalize_axes",
]
