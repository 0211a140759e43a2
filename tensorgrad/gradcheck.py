"""Check tensor gradients against central finite differences, in float64.

A non-scalar output y is reduced to the scalar ⟨y, r⟩ with a fixed random r,
whose gradient is the vector-Jacobian product VJP(r) that backward computes.
Each input entry is then nudged by ±h:
    ∂⟨y, r⟩/∂xᵢ ≈ (⟨f(x + h·eᵢ), r⟩ − ⟨f(x − h·eᵢ), r⟩) / 2h.
The report names the entry where backpropagation and the slope disagree most.
"""

from dataclasses import dataclass

import numpy as np

from scalargrad.gradcheck import GradcheckError
from tensorgrad.tensor import Tensor


@dataclass
class TensorGradcheckReport:
    analytic: list  # one gradient array per input, from backward()
    numeric: list  # the same from finite differences
    worst_input: int
    worst_index: tuple
    worst_error: float
    ok: bool

    def __str__(self):
        i, j = self.worst_input, self.worst_index
        return (
            f"gradcheck {'passed' if self.ok else 'FAILED'}: worst at input {i}, entry {j}: "
            f"backward {self.analytic[i][j]:.10g} vs finite differences {self.numeric[i][j]:.10g} "
            f"(error {self.worst_error:.3g})"
        )


def gradcheck(f, *inputs, h=1e-6, atol=1e-6, rtol=1e-5, seed=0, raise_on_failure=True):
    """Compare backward() with finite differences for ``f(*tensors)``.

    ``inputs`` are arrays (or Tensors), converted to float64 tensors that
    require grad. Passes when |analytic − numeric| ≤ atol + rtol·|numeric|
    everywhere. Raises GradcheckError on failure unless told not to.
    """
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    probe = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(probe)
    analytic = [t.grad if t.grad is not None else np.zeros_like(t.data) for t in tensors]
    numeric = [_slopes(f, arrays, i, probe, h) for i in range(len(arrays))]
    worst = (0, (), 0.0, -np.inf)  # input, entry, |error|, excess over tolerance
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if a.size == 0:
            continue
        excess = np.abs(a - n) - rtol * np.abs(n)
        j = np.unravel_index(np.argmax(excess), a.shape)
        if excess[j] > worst[3]:
            worst = (i, tuple(int(k) for k in j), float(abs(a[j] - n[j])), float(excess[j]))
    ok = worst[3] <= atol and all(np.isfinite(a).all() for a in analytic)
    report = TensorGradcheckReport(analytic, numeric, worst[0], worst[1], worst[2], ok)
    if not ok and raise_on_failure:
        raise GradcheckError(str(report))
    return report


def _slopes(f, arrays, i, probe, h):
    """∂⟨f, probe⟩/∂ each entry of input i, by central differences."""
    slopes = np.zeros_like(arrays[i])
    for j in np.ndindex(arrays[i].shape):
        nudged = [a.copy() for a in arrays]
        nudged[i][j] += h
        up = _project(f, nudged, probe)
        nudged[i][j] -= 2 * h
        down = _project(f, nudged, probe)
        slopes[j] = (up - down) / (2 * h)
    return slopes


def _project(f, arrays, probe):
    return float(np.sum(f(*[Tensor(a) for a in arrays]).data * probe))
