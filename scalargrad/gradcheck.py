"""Check a gradient against central finite differences.

A derivative is a slope (§10): nudge an input by ±h and watch the output,
    f'(x) ≈ (f(x + h) − f(x − h)) / 2h,
which is off by only O(h²). Backpropagation must agree with that slope for
every input; this is how every derivative rule in the project is tested.
"""

import math
from dataclasses import dataclass

from scalargrad.value import Value


class GradcheckError(AssertionError):
    """Backpropagation and finite differences disagree."""


@dataclass
class GradcheckReport:
    """What ``gradcheck`` found; the same report in both engines (tensorgrad.gradcheck returns one too).

    ``analytic`` and ``numeric`` hold one gradient per input (a float here, an
    array in tensorgrad); ``worst_input`` is the input where they disagree
    most and ``worst_entry`` the entry of it (``()`` for a scalar input).
    """

    analytic: list  # from backward()
    numeric: list  # from central differences
    worst_input: int  # the input where they disagree most
    worst_entry: tuple  # the entry of that input, () for a scalar
    worst_error: float  # |analytic − numeric| there
    ok: bool

    def or_raise(self, raise_on_failure):
        """The report itself, or GradcheckError if it failed and ``raise_on_failure``: both engines end so."""
        if not self.ok and raise_on_failure:
            raise GradcheckError(str(self))
        return self

    def __str__(self):
        i, j = self.worst_input, self.worst_entry
        analytic, numeric = (_entry(grads[i], j) for grads in (self.analytic, self.numeric))
        return (
            f"gradcheck {'passed' if self.ok else 'FAILED'}: worst at input {i}{f', entry {j}' if j else ''}: "
            f"backward {analytic:.10g} vs finite differences {numeric:.10g} (error {self.worst_error:.3g})"
        )


def check_output(out, node_type):
    """Refuse what ``f`` returned unless it is a node of the engine being checked (a Value, a Tensor)."""
    if not isinstance(out, node_type):
        raise TypeError(f"gradcheck: f must return a {node_type.__name__}, got {type(out).__name__}")


def _entry(gradient, index):
    return gradient[index] if index else gradient


def numerical_gradient(f, inputs, h=1e-6):
    """(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for each input i; ``f`` takes and returns Values."""
    inputs = [x.data if isinstance(x, Value) else float(x) for x in inputs]  # numbers, or Values read as theirs
    slopes = []
    for i in range(len(inputs)):
        up, down = list(inputs), list(inputs)
        up[i] += h
        down[i] -= h
        slopes.append((_evaluate(f, up) - _evaluate(f, down)) / (2 * h))
    return slopes


def gradcheck(f, inputs, *, h=1e-6, atol=1e-6, rtol=1e-5, raise_on_failure=True):
    """Compare backward() with finite differences for ``f(*Values(inputs))``.

    ``inputs`` is a list of numbers, one per argument of ``f`` (or a single
    number), as in ``torch.autograd.gradcheck(f, inputs)`` and
    ``tensorgrad.gradcheck(f, inputs)``. Passes when |analytic − numeric| ≤
    atol + rtol·|numeric| for every input. Returns a GradcheckReport; raises
    GradcheckError on failure unless told not to.
    """
    inputs = [inputs] if isinstance(inputs, (int, float, Value)) else list(inputs)
    values = [Value(x) for x in inputs]
    out = f(*values)
    check_output(out, Value)
    out.backward()
    analytic = [v.grad for v in values]
    numeric = numerical_gradient(f, inputs, h)
    errors = [abs(a - n) - rtol * abs(n) for a, n in zip(analytic, numeric)]
    worst = max(range(len(errors)), key=errors.__getitem__) if errors else 0
    ok = all(e <= atol for e in errors) and all(map(math.isfinite, analytic))
    error = abs(analytic[worst] - numeric[worst]) if errors else 0.0
    return GradcheckReport(analytic, numeric, worst, (), error, ok).or_raise(raise_on_failure)


def _evaluate(f, xs):
    return f(*[Value(x) for x in xs]).data
