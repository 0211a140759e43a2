"""Positional encodings (§14): telling attention where each token sits.

Attention compares every query with every key (§13), and nothing in that
comparison depends on where the tokens are: shuffle the sequence and each
token gets the same mix, shuffled. "dog bites man" and "man bites dog" would
look alike. Three standard fixes, each usable by ``transformer.GPT``:

* learned: a trainable vector per position, added to the token embedding
  (GPT-2). Simple and flexible, but there is no vector for a position the
  model never saw, so the length is capped at ``block_size``.
* sinusoidal: a fixed table of sines and cosines of geometrically spaced
  frequencies, added to the token embedding ("Attention Is All You Need").
  Nothing to learn, defined for any position.
* rotary (RoPE): instead of adding anything, rotate each pair of entries of
  the queries and keys by an angle proportional to the position. A rotated
  query·key product then depends only on how far apart the two tokens are,
  not on where they are (used by LLaMA and most recent models).
"""

import numpy as np

from tensorgrad import checks
from tensorgrad.nn import Module
from tensorgrad.tensor import Function, Tensor


class LearnedPositionalEmbedding(Module):
    """One trainable vector per position 0..block_size−1, added to the token embeddings (GPT-2's wpe).

    ``forward(x)`` takes token embeddings of shape (..., T, dim) and returns
    x + weight[:T]. The vectors start as N(0, 0.02²) draws, GPT-2's scale.
    """

    def __init__(self, block_size, dim, dtype=np.float64, rng=0):
        rng = checks.seeded_generator(rng, "LearnedPositionalEmbedding")
        self.block_size, self.dim = block_size, dim
        self.weight = Tensor(
            (0.02 * rng.standard_normal((block_size, dim))).astype(dtype), requires_grad=True, label="weight"
        )

    def forward(self, x):
        x = checks.float_tensor(x, repr(self))
        length = _sequence_length(x, self.dim, repr(self))
        if length > self.block_size:
            raise ValueError(f"{self!r}: a sequence of length {length} is longer than block_size={self.block_size}, "
                             "the number of positions that have a vector")
        return x + self.weight[:length]

    def __repr__(self):
        return f"LearnedPositionalEmbedding({self.block_size}, {self.dim})"


def sinusoidal_positions(length, dim, base=10000.0, dtype=np.float64):
    """The fixed (length, dim) table of "Attention Is All You Need", as a Tensor that takes no gradient.

    Row p, for i = 0, 1, …: PE[p, 2i] = sin(p·ωᵢ) and PE[p, 2i+1] = cos(p·ωᵢ)
    with ωᵢ = base^(−2i/dim). Each pair of columns is a clock hand turning at
    its own speed, from one radian per position down to one turn per
    ~2π·base positions, so every position gets a distinct pattern, and
    PE[p + k] is a fixed rotation of PE[p] for every p: relative offsets are
    easy to read off. Add it to the token embeddings.
    """
    checks.count(length, "sinusoidal_positions", "length", least=0)
    checks.count(dim, "sinusoidal_positions", "dim")
    checks.positive(base, "sinusoidal_positions", "base")  # base^(−2i/dim) of a base ≤ 0 is NaN or inf
    angles = np.arange(length)[:, None] * _frequencies(dim, base)  # (length, ⌈dim/2⌉)
    table = np.empty((length, dim))
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : dim // 2])
    return Tensor(table.astype(dtype))


def _frequencies(dim, base):
    """ωᵢ = base^(−2i/dim) for i = 0 .. ⌈dim/2⌉ − 1: one angular speed per pair of entries."""
    return base ** (-np.arange(0, dim, 2) / dim)


class Rope(Function):
    """Rotate each pair (x₂ᵢ, x₂ᵢ₊₁) of every row by its angle θ = position·ωᵢ.

    (a, b) ↦ (a·cos θ − b·sin θ, a·sin θ + b·cos θ). A rotation is linear and
    its transpose is the rotation by −θ, so the VJP rotates the gradient back:
    (g₀, g₁) ↦ (g₀·cos θ + g₁·sin θ, −g₀·sin θ + g₁·cos θ).
    """

    name, symbol = "rope", "rope"

    @staticmethod
    def forward(ctx, x, cos, sin):
        ctx.cos, ctx.sin = cos, sin
        return _rotate(x, cos, sin)

    @staticmethod
    def backward(ctx, g):
        return (_rotate(g, ctx.cos, -ctx.sin),)


def _rotate(x, cos, sin):
    """Each pair (x[..., 2i], x[..., 2i+1]) turned by the angle whose cosine and sine are given, shape (T, d/2)."""
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def apply_rope(x, positions=None, base=10000.0):
    """Rotary position embedding (RoPE) of queries or keys ``x`` of shape (..., T, d), d even.

    Entries (2i, 2i+1) of the row at position m are rotated by the angle
    m·ωᵢ, ωᵢ = base^(−2i/d). Rotations preserve lengths, and rotating q by
    m·ω and k by n·ω rotates their dot product's frame by (m − n)·ω: the
    score q_m·k_n depends on the positions only through m − n. Apply it to q
    and k (not v) right before attention. ``positions``: T integer positions
    (default 0..T−1; e.g. an offset range when generating with cached keys).
    """
    x = checks.float_tensor(x, "apply_rope")
    checks.positive(base, "apply_rope", "base")  # base^(−2i/d) of a base ≤ 0 is NaN or inf
    length = _sequence_length(x, None, "apply_rope")
    if x.shape[-1] % 2:
        raise ValueError(f"apply_rope: the last axis must have even length (pairs are rotated), got shape {x.shape}")
    positions = np.arange(length) if positions is None else np.asarray(positions)
    if positions.shape != (length,) or positions.dtype.kind not in "iu":
        raise ValueError(f"apply_rope: positions must be {length} integers, one per row of x of shape {x.shape}, "
                         f"got shape {positions.shape} and dtype {positions.dtype}")
    angles = positions[:, None] * _frequencies(x.shape[-1], base)  # (T, d/2)
    return Rope.apply(x, cos=np.cos(angles).astype(x.dtype), sin=np.sin(angles).astype(x.dtype))


def _sequence_length(x, dim, where):
    """The sequence length T of x of shape (..., T, dim)."""
    if x.ndim < 2 or (dim is not None and x.shape[-1] != dim):
        width = "width" if dim is None else dim
        raise ValueError(f"{where}: expected shape (..., length, {width}), got {x.shape}")
    return x.shape[-2]
