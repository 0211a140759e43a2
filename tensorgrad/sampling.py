"""From logits to tokens: temperature (§6), greedy, top-k and top-p sampling (§7), entropy (§8).

The post's generation pipeline is logits → temperature → softmax → sampling.
Each filter here takes logits of shape (..., vocab), a NumPy array or a
Tensor in which every row is one distribution, and returns new logits as a
float64 NumPy array, so the filters compose:

    z = top_p(top_k(temperature(logits, 0.8), 50), 0.9)

A token that is filtered out gets the logit −inf: e^−inf = 0, so softmax
gives it probability exactly 0 and log-probability −inf, with no NaN on the
way (``tensorgrad.masking``); logits given with −inf already (a Tensor may
hold it) are masked the same way. NaN or +inf logits, and a row with every
logit −inf, are errors naming the function. The filters return plain arrays:
no gradient flows through sampling. ``sample`` runs the
pipeline in that order, temperature first, then top-k, then top-p, and draws
one token per row; ``generate`` repeats it, feeding each new token back into
the model. No graph is built: drawing a token has no derivative, which is why
§16's REINFORCE works with the log-probabilities that ``sample`` returns.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np

from tensorgrad import checks, masking
from tensorgrad.functional import log_softmax_array
from tensorgrad.tensor import no_grad

# Below this temperature, sampling is greedy: the limit T → 0, without dividing by ~0.
GREEDY_TEMPERATURE = 1e-6
# Top-p counts a mass within this of p as reaching p: 0.45 + 0.20 + 0.15 + 0.10 comes out
# as 0.8999999999999999 in float64 and must still count as the post's 90%.
TOP_P_TOLERANCE = 1e-6


# ---- the three filters (§6, §7) -------------------------------------------------------------
def temperature(logits, T):
    """z / T: T < 1 sharpens the distribution, T > 1 flattens it, T = 1 leaves it (§6).

    As T → 0, softmax(z / T) puts all its mass on the largest logit. A T below
    ``GREEDY_TEMPERATURE`` (0 included) returns that limit instead of dividing:
    logit 0 for the largest logit and −inf for every other token. If several
    logits tie for the largest, the first one wins, as in ``np.argmax``, so
    sampling the result is exactly greedy decoding. A logit that z / T would
    take beyond the largest float (1e304 at T = 1e-5) is an OverflowError;
    ``sample`` shifts each row by its maximum first and has no such limit.
    """
    z = _logits(logits, "temperature")
    _check_temperature(T, "temperature")
    if T < GREEDY_TEMPERATURE:
        return _greedy(z)
    scaled, overflowed = _over_temperature(z, T)
    if overflowed is not None:
        index = checks.first_index(overflowed)
        raise OverflowError(f"temperature: logit {z[index]:g} at index {index} divided by T={T:g} overflows float64; "
                            "sample(logits, temperature=T) takes the distribution it stands for (it shifts each row "
                            "by its maximum first, which softmax ignores)")
    return scaled


def top_k(logits, k):
    """Keep the k largest logits of each row and set the others to −inf (§7).

    Exactly k tokens survive: among equal logits at the cut, the lower index
    is kept. A k at least the vocabulary size keeps everything.
    """
    z = _logits(logits, "top_k")
    checks.count(k, "top_k", "top_k")
    return _keep_top_k(z, k)


def top_p(logits, p):
    """Nucleus sampling's filter: keep the most likely tokens until their mass reaches p (§7).

    Tokens are ranked by probability (equal probabilities: lower index first)
    and kept while the mass of the tokens ranked before them is still below p.
    This is the smallest set whose mass reaches p (to within
    ``TOP_P_TOLERANCE``), and it always holds at least the most likely token. The post's example: 45, 20, 15, 10, 5, 3, 2 %
    with p = 0.9 keeps the first four (45 + 20 + 15 + 10 = 90 %). p = 1
    keeps everything.
    """
    z = _logits(logits, "top_p")
    checks.interval(p, 0, 1, "top_p", "top_p", "(]")
    return _keep_top_p(z, p)


def _over_temperature(z, T):
    """(z / T, None), or (z / T, where a finite logit became infinite): huge logits and T ≪ 1."""
    with np.errstate(over="ignore"):  # reported to the caller
        scaled = z / T
    if T >= 1 or np.isfinite(scaled).all():  # T ≥ 1 shrinks every logit
        return scaled, None
    overflowed = np.isinf(scaled) & np.isfinite(z)
    return scaled, overflowed if overflowed.any() else None


def _greedy(z):
    """Logit 0 at each row's (first) argmax, −inf elsewhere: the T → 0 limit."""
    out = np.full_like(z, -np.inf)
    np.put_along_axis(out, z.argmax(axis=-1)[..., None], 0.0, axis=-1)
    return out


def _keep_top_k(z, k):
    if k >= z.shape[-1]:
        return z
    ranked = np.argsort(-z, axis=-1, kind="stable")  # largest first; a stable sort keeps ties in index order
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, ranked[..., :k], True, axis=-1)
    return np.where(keep, z, -np.inf)


def _keep_top_p(z, p):
    if p == 1:
        return z
    probs = np.exp(log_softmax_array(z))
    ranked = np.argsort(-probs, axis=-1, kind="stable")
    ranked_probs = np.take_along_axis(probs, ranked, axis=-1)
    cumulative = np.cumsum(ranked_probs, axis=-1)
    mass_before = np.concatenate([np.zeros_like(cumulative[..., :1]), cumulative[..., :-1]], axis=-1)
    keep_ranked = mass_before < p - TOP_P_TOLERANCE
    keep_ranked[..., 0] = True  # the most likely token always stays, however small p is
    keep = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(keep, ranked, keep_ranked, axis=-1)
    return np.where(keep, z, -np.inf)


# ---- drawing one token per row --------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """What ``sample`` drew, one entry per row of the logits.

    ``tokens`` (...) the chosen ids; ``log_probs`` (...) the log-probability of
    each under the distribution actually sampled from (after temperature and
    filtering: what §16's REINFORCE needs); ``entropy`` (...) that
    distribution's entropy −Σ p·log p in nats (§8); ``probs`` (..., vocab)
    the distribution itself.
    """

    tokens: np.ndarray
    log_probs: np.ndarray
    entropy: np.ndarray
    probs: np.ndarray


def sample(logits, *, temperature=1.0, top_k=None, top_p=None, greedy=False, rng=None):
    """Draw one token from each row of ``logits`` (..., vocab): the post's last step (§6–§8).

    The logits are divided by ``temperature``, then cut to the ``top_k``
    largest, then to the nucleus of mass ``top_p`` (None: no cut), and one
    token is drawn from the softmax of what is left. ``greedy=True``, or a
    temperature below ``GREEDY_TEMPERATURE``, takes each row's argmax instead
    (the first one if several tie). ``rng`` is a NumPy Generator
    (``np.random.default_rng(seed)``); there is no global random state, and
    greedy decoding needs none. Returns a ``Sample``.
    """
    z = _logits(logits, "sample")
    deterministic = _check_options("sample", temperature, top_k, top_p, greedy, rng)
    return _sample(z, temperature, top_k, top_p, deterministic, rng)


def _sample(z, temperature, top_k, top_p, deterministic, rng):
    """``sample`` on checked float64 logits and options."""
    if deterministic:
        z = _greedy(z)
    else:
        scaled, overflowed = _over_temperature(z, temperature)
        with np.errstate(over="ignore"):  # z − max(z) of ±1e308: −inf, a probability that is 0 anyway
            z = scaled if overflowed is None else (z - z.max(axis=-1, keepdims=True)) / temperature  # same softmax
        if top_k is not None:
            z = _keep_top_k(z, top_k)
        if top_p is not None:
            z = _keep_top_p(z, top_p)
    log_probs = log_softmax_array(z)  # −inf where a token was cut
    probs = np.exp(log_probs)
    tokens = log_probs.argmax(axis=-1) if deterministic else _draw(probs, rng)
    chosen = np.take_along_axis(log_probs, tokens[..., None], axis=-1)[..., 0]
    # −Σ p·log p with 0·log 0 = 0: a cut token has p = 0 and contributes nothing
    entropy = -(probs * np.where(np.isfinite(log_probs), log_probs, 0.0)).sum(axis=-1)
    return Sample(tokens, chosen, entropy, probs)


def _draw(probs, rng):
    """One index per row, with P(index = i) = probs[i]: the first i whose cumulative mass exceeds u ~ U[0, 1)."""
    cumulative = np.cumsum(probs, axis=-1)
    cumulative /= cumulative[..., -1:]  # ends at exactly 1, so every u < 1 lands on a token
    u = rng.random(probs.shape[:-1] + (1,))
    # A token of probability 0 adds nothing to the cumulative mass, so u never lands on it.
    return (cumulative <= u).sum(axis=-1)


# ---- generating a sequence ------------------------------------------------------------------
@dataclass(frozen=True)
class Generation:
    """What ``generate`` produced: ``tokens``, ``log_probs`` and ``entropy`` per new position.

    Each has shape (batch, max_new_tokens), or (max_new_tokens,) for a 1-d
    prompt. ``log_probs.sum(-1)`` is each new sequence's log-probability (§5).
    """

    tokens: np.ndarray
    log_probs: np.ndarray
    entropy: np.ndarray


def generate(model_fn, prompt_ids, max_new_tokens, block_size, *, temperature=1.0, top_k=None,
             top_p=None, greedy=False, rng=None):
    """Extend ``prompt_ids`` one token at a time: next-token prediction, repeated (§1, §7).

    ``model_fn(ids)`` takes integer ids of shape (batch, time) and returns
    logits of shape (batch, time, vocab), an array or a Tensor; it is called
    under ``no_grad`` on the last ``block_size`` ids only (the longest context
    the model knows), and the logits of its last position give the next token,
    drawn by ``sample`` with the options given here. ``prompt_ids`` has shape
    (batch, time) or (time,). Returns a ``Generation`` of the new tokens only.
    """
    ids = _prompt(prompt_ids)
    checks.count(max_new_tokens, "generate", "max_new_tokens", least=0)
    checks.count(block_size, "generate", "block_size")
    deterministic = _check_options("generate", temperature, top_k, top_p, greedy, rng)  # once, not per token
    tokens = np.zeros((len(ids), max_new_tokens), dtype=np.int64)
    log_probs = np.zeros((len(ids), max_new_tokens))
    entropy = np.zeros((len(ids), max_new_tokens))
    for t in range(max_new_tokens):
        context = ids[:, -block_size:]
        with no_grad():
            logits = model_fn(context)
        step = _sample(_logits(_last_logits(logits, context), "generate"), temperature, top_k, top_p, deterministic, rng)
        tokens[:, t], log_probs[:, t], entropy[:, t] = step.tokens, step.log_probs, step.entropy
        ids = np.concatenate([ids, step.tokens[:, None]], axis=1)
    if np.ndim(prompt_ids) == 1:
        tokens, log_probs, entropy = tokens[0], log_probs[0], entropy[0]
    return Generation(tokens, log_probs, entropy)


def _prompt(prompt_ids):
    ids = checks.token_ids(prompt_ids, "generate", "prompt_ids", "(time,) or (batch, time)", (1, 2))
    return np.atleast_2d(ids).astype(np.int64)


def _last_logits(logits, context):
    logits = checks.array(logits)
    checks.model_logits(logits.shape, context.shape, "generate", "model_fn")
    return logits[:, -1]


# ---- checking inputs where they enter ---------------------------------------------------------
def _logits(logits, where):
    """A float64 copy of the logits, checked: a vocabulary axis, no NaN or +inf, a finite logit in every row."""
    z = checks.of_kind(logits, "iuf", where, "logits", "numbers")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"{where}: logits need a vocabulary axis (the last) of length ≥ 1, got shape {z.shape}")
    z = z.astype(np.float64)
    masking.entering(z, where, "logits contain", "a softmax of them has no meaning. Look for an overflow earlier in "
                     "the model (a step size too large?)")
    masking.refuse_rows_without_answer(z.max(axis=-1, keepdims=True), -1, where, "logit")  # all −inf: no token left
    return z


def _check_options(where, temperature, top_k, top_p, greedy, rng):
    """Check the sampling options; True when they make sampling greedy (no rng needed)."""
    _check_temperature(temperature, where)
    if top_k is not None:
        checks.count(top_k, where, "top_k")
    if top_p is not None:
        checks.interval(top_p, 0, 1, where, "top_p", "(]")
    deterministic = bool(greedy) or temperature < GREEDY_TEMPERATURE
    if not deterministic:
        checks.generator(rng, where, " (greedy=True needs none)")
    return deterministic


def _check_temperature(T, where):
    if isinstance(T, bool) or not isinstance(T, Real) or not 0 <= T < np.inf:
        raise ValueError(f"{where}: temperature must be a finite number ≥ 0 (below 1e-6 means greedy), got {T!r}")
