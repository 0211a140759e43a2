"""scalargrad: a scalar autograd engine that shows the chain rule at work (§10).

    from scalargrad import Value
    w = Value(2.0, label="w1")
    loss = (w * 0.5 * 3.0) ** 2 / 2
    loss.backward()
    w.grad   # 4.5: the post's dL/dw1
"""

from scalargrad import nn
from scalargrad.drawing import GraphvizNotFoundError, draw, register_style, render
from scalargrad.functional import (
    cross_entropy,
    entropy,
    kl_divergence,
    l1,
    l2,
    l2_norm,
    log_softmax,
    softmax,
)
from scalargrad.gradcheck import (
    GradcheckError,
    GradcheckReport,
    gradcheck,
    numerical_gradient,
)
from scalargrad.gradients import grad
from scalargrad.scalar_style import ScalarStyle
from scalargrad.stepper import step_through
from scalargrad.sums import dot, sum_of
from scalargrad.value import Value, zero_grad

register_style(Value, ScalarStyle)  # how the drawings write a Value (tensorgrad registers its Tensor the same way)

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "GraphvizNotFoundError",
    "Value",
    "cross_entropy",
    "dot",
    "draw",
    "entropy",
    "grad",
    "gradcheck",
    "kl_divergence",
    "l1",
    "l2",
    "l2_norm",
    "log_softmax",
    "nn",
    "numerical_gradient",
    "render",
    "softmax",
    "step_through",
    "sum_of",
    "zero_grad",
]
