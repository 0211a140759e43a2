"""tensorgrad: scalargrad's graph with a NumPy array in every node."""

from tensorgrad import functional, nn, optim, sampling

# Importing tensorgrad.drawing also teaches scalargrad's drawing module to draw Tensors.
from tensorgrad.drawing import GraphvizNotFoundError, draw, render, step_through
from tensorgrad.gradcheck import gradcheck
from tensorgrad.routines import (
    clip,
    concatenate,
    matmul,
    maximum,
    minimum,
    one_hot,
    ones,
    stack,
    take_along_axis,
    where,
    zeros,
)
from tensorgrad.sampling import generate
from tensorgrad.tensor import Function, Tensor, is_grad_enabled, no_grad, tensor
from tensorgrad.tokenizer import CharTokenizer

__all__ = [
    "CharTokenizer",
    "Function",
    "GraphvizNotFoundError",
    "Tensor",
    "clip",
    "concatenate",
    "draw",
    "functional",
    "generate",
    "gradcheck",
    "is_grad_enabled",
    "matmul",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "one_hot",
    "ones",
    "optim",
    "render",
    "sampling",
    "stack",
    "step_through",
    "take_along_axis",
    "tensor",
    "where",
    "zeros",
]
