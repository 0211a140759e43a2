"""Functions of whole distributions, over lists of Values.

softmax (§4), log_softmax (§5), cross_entropy (§9), entropy (§8),
kl_divergence (§15) and the L1/L2 penalties (§11). Inputs may be Values or
plain numbers; every function is built from ``Value`` ops, so gradients flow
through it and each step can be drawn.

Stability: e^z overflows a float for z > 709, and a probability can underflow
to 0. Softmax-type functions subtract the largest logit first: that leaves the
result unchanged (the common factor e^-max cancels in the ratio) but keeps
every exponent ≤ 0. Terms with p = 0 contribute 0 to entropy and KL (the limit
of p·log p as p → 0). ``entropy`` and ``kl_divergence`` take their
distributions by name (``probs=`` or ``logits=``), as tensorgrad's do.
"""

import math
from numbers import Integral

from scalargrad.sums import dot, sum_of
from scalargrad.value import Constant, Value, lift_all


def softmax(logits, temperature=1.0):
    """e^(zᵢ/T) / Σⱼ e^(zⱼ/T) (§4, with §6's temperature T > 0)."""
    zs = _logits(logits, "softmax")
    temperature = _positive(temperature, "softmax", "temperature")
    top = max(z.data for z in zs)
    exps = [_shifted_exp(z, top, temperature) for z in zs]
    total = sum_of(exps)
    return [e / total for e in exps]


def log_softmax(logits):
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^zⱼ, computed without forming tiny probabilities (§5)."""
    zs = _logits(logits, "log_softmax")
    log_total = _logsumexp(zs)
    return [z - log_total for z in zs]


def cross_entropy(logits, target):
    """−log softmax(z)[target]: the loss for the correct class ``target`` (§9)."""
    zs = _logits(logits, "cross_entropy")
    if isinstance(target, bool) or not isinstance(target, Integral) or not 0 <= target < len(zs):
        raise ValueError(f"cross_entropy: target must be an int in [0, {len(zs)}), got {target!r}")
    return _logsumexp(zs) - zs[int(target)]


def entropy(*positional, logits=None, probs=None, base=math.e):
    """H(p) = −Σ pᵢ·log pᵢ: average surprise, in nats (base e) or bits (base 2) (§8).

    Say what the numbers are: ``entropy(probs=[0.5, 0.5])`` for probabilities,
    ``entropy(logits=z)`` for p = softmax(z); the same call means the same in
    tensorgrad. Terms with pᵢ = 0 contribute 0 (the limit of p·log p as p → 0).
    """
    terms = _p_log_p("entropy", positional, ("logits", logits), ("probs", probs))
    check_entropy_base(base)
    return (0.0 - sum_of([p * log_p for p, log_p in terms])) / math.log(base)  # 0.0 − …: never −0.0


def kl_divergence(*positional, p=None, q=None, p_logits=None, q_logits=None):
    """D_KL(p ‖ q) = Σ pᵢ·log(pᵢ/qᵢ): the extra surprise of believing q when p is true (§15).

    Give each distribution by name, as probabilities (``p=``, ``q=``) or as
    logits (``p_logits=``, ``q_logits=``); the same call means the same in
    tensorgrad. Not symmetric: KL(p ‖ q) != KL(q ‖ p) in general.
    """
    ps = _p_log_p("kl_divergence", positional, ("p_logits", p_logits), ("p", p), keep_zeros=True)
    qs = _p_log_p("kl_divergence", (), ("q_logits", q_logits), ("q", q), keep_zeros=True)
    if len(ps) != len(qs):
        raise ValueError(f"kl_divergence: p and q have different lengths ({len(ps)} and {len(qs)})")
    terms = []
    for i, ((pi, log_pi), (qi, log_qi)) in enumerate(zip(ps, qs)):
        if pi.data == 0:
            continue
        if log_qi is None:
            raise ValueError(f"kl_divergence: q[{i}] = 0 where p[{i}] = {pi.data:g} > 0, so the divergence is infinite")
        terms.append(pi * (log_pi - log_qi))
    return sum_of(terms)


def _p_log_p(where, positional, logits, probs, keep_zeros=False):
    """[(pᵢ, log pᵢ)] of a distribution named by exactly one keyword; pᵢ = 0 is dropped unless ``keep_zeros``."""
    check_named(where, positional, logits, probs)
    (_, zs), (probs_name, ps) = logits, probs
    if zs is not None:
        zs = _logits(zs, where)
        log_total = _logsumexp(zs)
        return [(log_p.exp(), log_p) for log_p in (z - log_total for z in zs)]
    ps = _distribution(ps, where, probs_name)
    return [(p, p.log() if p.data > 0 else None) for p in ps if keep_zeros or p.data > 0]


def check_named(where, positional, logits, probs):
    """Refuse a distribution not given by exactly one keyword, as entropy and kl_divergence take it (both
    engines): ``logits`` and ``probs`` are (keyword, value) pairs."""
    (logits_name, zs), (probs_name, ps) = logits, probs
    if positional or (zs is None) == (ps is None):
        raise TypeError(f"{where}: name the distribution, as {logits_name}= or {probs_name}= (exactly one), got "
                        f"{len(positional)} unnamed argument(s); e.g. {where}({logits_name}=z) or {where}({probs_name}=p)")


def check_entropy_base(base):
    """Refuse a logarithm base that is not a positive number other than 1 (entropy's, in both engines)."""
    if not (isinstance(base, (int, float)) and base > 0 and base != 1):
        raise ValueError(f"entropy: base must be a positive number other than 1, got {base!r}")


def l1(weights):
    """‖w‖₁ = Σ|wᵢ|, the L1 penalty; its gradient sign(w) pushes weights to exactly 0 (§11)."""
    return sum_of([w.abs() for w in _weights(weights, "l1")])


def l2(weights):
    """Σ wᵢ², the L2 penalty (weight decay); its gradient 2w pulls big weights hardest (§11)."""
    ws = _weights(weights, "l2")
    return dot(ws, ws)


def l2_norm(weights):
    """‖w‖₂ = √(Σ wᵢ²), the straight-line length of the weight vector (§11).

    The squares overflow from |w| ≈ 1e154 and underflow to 0 below 1e-162, where the length itself is an
    ordinary number: then the weights are divided by the largest |wᵢ| = s first, as ``math.hypot`` does, and
    ‖w‖ = s·√(Σ (wᵢ/s)²). Its gradient wᵢ/‖w‖ is the same either way.
    """
    ws = _weights(weights, "l2_norm")
    top = max(abs(w.data) for w in ws)
    if top == 0 or 1e-100 < top < 1e100:  # every square, and their sum, fit in a float
        return dot(ws, ws).sqrt()
    shrunk = [w / top for w in ws]
    return dot(shrunk, shrunk).sqrt() * top


def _logsumexp(zs):
    top = max(z.data for z in zs)
    return sum_of([_shifted_exp(z, top) for z in zs]).log() + top


def _shifted_exp(z, top, temperature=1.0):
    """e^((z − top)/T) as a node; a term that underflows to 0 (even its shift may overflow: 1e308 apart) is the
    constant 0, as its slope is 0 too. A temperature above 1 divides first: z/T − top/T cannot overflow where
    z − top would (1e308 apart at T = 1e308 is e^-2, not 0)."""
    if temperature > 1:
        z, top, temperature = z / temperature, top / temperature, 1.0
    if math.exp((z.data - top) / temperature) == 0.0:
        return Constant(0.0)
    return ((z - top) / temperature).exp()


def _logits(logits, where):
    return _nonempty(logits, where, "logit")


def _weights(weights, where):
    return _nonempty(weights, where, "weight")


def _nonempty(xs, where, what):
    values = lift_all(xs, where)
    if not values:
        raise ValueError(f"{where}: needs at least one {what}")
    return values


def _distribution(probs, where, name="p"):
    ps = _nonempty(probs, where, "probability")
    for i, p in enumerate(ps):
        if not 0 <= p.data <= 1:
            raise ValueError(f"{where}: probabilities must lie in [0, 1], got {name}[{i}] = {p.data:g}")
    total = math.fsum(p.data for p in ps)
    if abs(total - 1) > 1e-6:
        raise ValueError(f"{where}: probabilities {name} must sum to 1, got {total:.6g}")
    return ps


def _positive(x, where, name):
    if isinstance(x, Value):  # taking x.data would drop its gradient in silence
        raise TypeError(f"{where}: {name} must be a number, got {x!r}, whose gradient would be dropped; to learn "
                        f"it, divide the logits by it: {where}([z / t for z in logits])")
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not x > 0:
        raise ValueError(f"{where}: {name} must be > 0, got {x!r}")
    return x
