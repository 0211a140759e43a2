"""Check tensor gradients against central finite differences, in float64.

A non-scalar output y is reduced to the scalar ⟨y, r⟩ with a fixed random r,
whose gradient is the vector-Jacobian product VJP(r) that backward computes.
Each input entry is then nudged by ±h:
    ∂⟨y, r⟩/∂xᵢ ≈ (⟨f(x + h·eᵢ), r⟩ − ⟨f(x − h·eᵢ), r⟩) / 2h.
The report names the entry where backpropagation and the slope disagree most.
"""

import numpy as np

from scalargrad.gradcheck import GradcheckReport, check_output
from tensorgrad.tensor import Tensor


def gradcheck(f, inputs, *, h=1e-6, atol=1e-6, rtol=1e-5, seed=0, raise_on_failure=True):
    """Compare backward() with finite differences for ``f(*tensors)``; the same call as scalargrad's.

    ``inputs`` is a list of arrays (or Tensors), one per argument of ``f``,
    or a single array or Tensor for an ``f`` of one argument, as in
    ``torch.autograd.gradcheck(f, inputs)``. Each is converted to a float64
    tensor that requires grad. Passes when |analytic − numeric| ≤
    atol + rtol·|numeric| everywhere. Returns scalargrad's GradcheckReport,
    naming the worst input and entry; raises GradcheckError on failure unless
    told not to.
    """
    if isinstance(inputs, (Tensor, np.ndarray)):
        inputs = [inputs]
    arrays = [np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64) for x in inputs]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = f(*tensors)
    check_output(out, Tensor)
    probe = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(probe)
    analytic = [t.grad if t.grad is not None else np.zeros_like(t.data) for t in tensors]
    numeric = [_slopes(f, arrays, i, probe, h) for i in range(len(arrays))]
    worst = (0, (), 0.0, -np.inf)  # input, entry, |error|, excess over tolerance
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if a.size == 0:
            continue
        excess = np.abs(a - n) - rtol * np.abs(n)
        excess = np.where(np.isnan(excess), np.inf, excess)  # a NaN slope is the worst disagreement, not none
        j = np.unravel_index(np.argmax(excess), a.shape)
        if excess[j] > worst[3]:
            worst = (i, tuple(int(k) for k in j), float(abs(a[j] - n[j])), float(excess[j]))
    ok = worst[3] <= atol and all(np.isfinite(a).all() for a in analytic)
    return GradcheckReport(analytic, numeric, worst[0], worst[1], worst[2], ok).or_raise(raise_on_failure)


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
