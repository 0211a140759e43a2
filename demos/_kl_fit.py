"""§15 forward vs reverse KL, the fitting behind ``demos.kl``: a one-peaked Q fitted to a two-peaked P.

P is a mixture of two bumps on a grid; Q is one bump with a centre μ and a
width σ. ``fit_q`` runs Adam on (μ, log σ) to minimise KL(P ‖ Q) (forward,
mode-covering) or KL(Q ‖ P) (reverse, mode-seeking), from a chosen start.
"""

import math
from dataclasses import dataclass

import numpy as np

from tensorgrad import functional as F
from tensorgrad import optim, tensor

GRID = np.linspace(-8, 8, 321)
PEAKS = ((0.6, -2.5, 0.6), (0.4, 2.5, 0.6))  # (weight, centre, width) of each bump of P
Q_STARTS = {"broad": (0.0, 3.0), "right": (1.0, 0.5)}  # (μ, σ) where a fit begins
FIT_STEPS, FIT_LR = 600, 0.05


def target_log_probs():
    """log P on GRID: the mixture of PEAKS, normalised over the grid."""
    bumps = [math.log(w) - 0.5 * ((GRID - c) / s) ** 2 - math.log(s) for w, c, s in PEAKS]
    log_p = np.logaddexp.reduce(bumps, axis=0)
    return log_p - np.logaddexp.reduce(log_p)


def q_logits(mu, log_sigma):
    """Q ∝ exp(−(x − μ)²/2σ²) on GRID, as logits (softmax normalises them): one peak, two parameters."""
    return -0.5 * ((tensor(GRID) - mu) / log_sigma.exp()) ** 2


@dataclass
class Fit:
    """Where one fit of Q ended, and both KL divergences there."""

    direction: str  # "forward": minimise KL(P ‖ Q); "reverse": minimise KL(Q ‖ P)
    start: str
    mu: float
    sigma: float
    forward_kl: float  # KL(P ‖ Q) at the end
    reverse_kl: float  # KL(Q ‖ P) at the end
    q: np.ndarray  # the fitted Q on GRID


def fit_q(direction, start, log_p):
    """Gradient descent (Adam) on μ and log σ of Q to minimise one direction of KL against P."""
    mu0, sigma0 = Q_STARTS[start]
    mu = tensor(mu0, requires_grad=True)
    log_sigma = tensor(math.log(sigma0), requires_grad=True)
    optimizer = optim.Adam([mu, log_sigma], lr=FIT_LR)
    for _ in range(FIT_STEPS):
        logits = q_logits(mu, log_sigma)
        loss = F.kl_divergence(p_logits=log_p, q_logits=logits) if direction == "forward" else F.kl_divergence(p_logits=logits, q_logits=log_p)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    logits = q_logits(mu, log_sigma)
    return Fit(direction, start, mu.item(), math.exp(log_sigma.item()),
               F.kl_divergence(p_logits=log_p, q_logits=logits).item(), F.kl_divergence(p_logits=logits, q_logits=log_p).item(),
               F.softmax(logits).data)
