"""scalargrad: a scalar autograd engine that shows the chain rule at work (§10)."""

from scalargrad.value import Value, dot, grad, sum_of, zero_grad

__all__ = ["Value", "dot", "grad", "sum_of", "zero_grad"]
