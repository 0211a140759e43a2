"""A GPT from the parts of §12–§14: multi-head attention, transformer blocks, the model.

    ids (B, T) → token embedding + position (§14) → n_layers × block → LayerNorm → head → logits (B, T, vocab)
    block:  x + attention(LayerNorm(x)),  then  x + MLP(LayerNorm(x))

The LayerNorms come before each sublayer ("pre-norm", GPT-2's arrangement),
so the residual path x → x + … carries every block's input straight through
to the output, and gradients straight back.
"""

import functools
import math

import numpy as np

from tensorgrad import checks
from tensorgrad import functional as F
from tensorgrad.attention import ScaledDotProductAttention, scaled_dot_product_attention
from tensorgrad.nn import MLP, Embedding, LayerNorm, Linear, Module
from tensorgrad.positional import (
    LearnedPositionalEmbedding,
    apply_rope,
    sinusoidal_positions,
)
from tensorgrad.tensor import Function, Tensor, constant, no_grad

POSITIONS = ("learned", "sinusoidal", "rope")


class MultiHeadAttention(Module):
    """``n_heads`` attentions side by side (§13), each on its own dim/n_heads slice of Q, K, V.

    One Linear makes Q, K and V at once (dim → 3·dim); the heads are split off
    by a reshape, attend independently (one batched op over all heads), are
    put back side by side and mixed by the output Linear. Different heads can
    look for different things: one the previous token, one the subject.

    Input and output have shape (..., T, dim). ``rope=True`` rotates each
    head's queries and keys by position first (``positional.apply_rope``).
    Set ``keep_weights = True`` to keep the last forward pass's attention
    weights, shape (..., n_heads, T, T), in ``last_weights`` (a Tensor outside the
    graph), for plotting.
    """

    def __init__(self, dim, n_heads, causal=True, rope=False, bias=True, dtype=np.float64, rng=0):
        if n_heads < 1 or dim % n_heads:
            raise ValueError(f"MultiHeadAttention: dim={dim} must split evenly into n_heads={n_heads} heads")
        if rope and (dim // n_heads) % 2:
            raise ValueError(f"MultiHeadAttention: rope rotates pairs of entries, so the head width dim/n_heads = "
                             f"{dim // n_heads} must be even")
        rng = checks.seeded_generator(rng, "MultiHeadAttention")
        self.dim, self.n_heads, self.causal, self.rope = dim, n_heads, causal, rope
        self.qkv = Linear(dim, 3 * dim, bias=bias, dtype=dtype, rng=rng)
        self.out = Linear(dim, dim, bias=bias, dtype=dtype, rng=rng)
        self.keep_weights = False
        self.last_weights = None

    def forward(self, x):
        x = constant(x)
        if x.ndim < 2 or x.shape[-1] != self.dim:
            raise ValueError(f"{self!r}: expected inputs of shape (..., length, {self.dim}), got {x.shape}")
        if not (self.rope or self.keep_weights):  # the same computation as below, in one op
            self.last_weights = None
            return self.out(PackedSelfAttention.apply(self.qkv(x), n_heads=self.n_heads, causal=self.causal))
        *lead, length, _ = x.shape
        n = len(lead)
        # (..., T, 3·dim) → (..., T, 3, heads, head_dim) → (3, ..., heads, T, head_dim)
        qkv = self.qkv(x).reshape(*lead, length, 3, self.n_heads, self.dim // self.n_heads)
        qkv = qkv.permute(n + 1, *range(n), n + 2, n, n + 3)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.rope:
            q, k = apply_rope(q), apply_rope(k)
        result = scaled_dot_product_attention(q, k, v, causal=self.causal, return_weights=self.keep_weights)
        heads, self.last_weights = result if self.keep_weights else (result, None)
        # (..., heads, T, head_dim) → (..., T, heads, head_dim) → (..., T, dim): the heads side by side
        merged = heads.permute(*range(n), n + 1, n, n + 2).reshape(*lead, length, self.dim)
        return self.out(merged)

    def __repr__(self):
        return f"MultiHeadAttention({self.dim}, n_heads={self.n_heads}, causal={self.causal}, rope={self.rope})"


class PackedSelfAttention(Function):
    """MultiHeadAttention's middle in one op: packed projections (..., T, 3·dim) in, the heads side by side out.

    What ``MultiHeadAttention.forward`` spells out with a reshape, a permute,
    three index ops, the attention, a permute and a reshape: eight nodes, each
    with its own backward (the three index ops each scatter into a zero array
    of the whole input's shape). Here the shape changes are array views inside
    one op, around attention's own forward and backward (``attention.py``),
    and the backward packs dQ, dK and dV straight into one gradient.
    """

    name, symbol = "self_attention", "attn"

    @staticmethod
    def forward(ctx, qkv, n_heads, causal):
        *lead, length, width = qkv.shape
        head_dim = width // (3 * n_heads)
        # (..., T, 3·dim) → (..., T, 3, heads, head_dim) → (3, ..., heads, T, head_dim), as views
        n = len(lead)
        q, k, v = qkv.reshape(*lead, length, 3, n_heads, head_dim).transpose(n + 1, *range(n), n + 2, n, n + 3)
        blocked = causal_mask(length) if causal else None
        heads = ScaledDotProductAttention.forward(
            ctx, q, k, v, blocked=blocked, empty_rows=None, scale=1 / math.sqrt(head_dim), weights_sink=None
        )
        ctx.qkv_shape, ctx.heads = qkv.shape, (n_heads, head_dim)
        # (..., heads, T, head_dim) → (..., T, heads, head_dim) → (..., T, dim)
        return heads.swapaxes(-2, -3).reshape(*lead, length, width // 3)

    @staticmethod
    def backward(ctx, g):
        rows = ctx.qkv_shape[:-1]  # (..., T)
        g_heads = g.reshape(*rows, *ctx.heads).swapaxes(-2, -3)  # (..., heads, T, head_dim)
        grads = ScaledDotProductAttention.backward(ctx, g_heads)
        packed = np.empty((*rows, 3, *ctx.heads), dtype=g.dtype)
        for i, grad in enumerate(grads):  # dQ, dK, dV into their thirds of the packed gradient
            packed[..., i, :, :] = grad.swapaxes(-2, -3)
        return (packed.reshape(ctx.qkv_shape),)


@functools.lru_cache(maxsize=16)
def causal_mask(length):
    """True where key j comes after query i, shape (length, length): made once per length, not once per step,
    and read-only, since every step shares it."""
    blocked = ~np.tri(length, dtype=bool)
    blocked.flags.writeable = False
    return blocked


class TransformerBlock(Module):
    """x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)): one layer of a GPT (pre-norm).

    Attention moves information between positions; the MLP (dim → mlp_ratio·dim
    → dim, GELU between) then works on each position on its own.
    """

    def __init__(self, dim, n_heads, mlp_ratio=4, causal=True, rope=False, bias=True, dtype=np.float64, rng=0):
        rng = checks.seeded_generator(rng, "TransformerBlock")
        self.ln1 = LayerNorm(dim, dtype=dtype)
        self.attn = MultiHeadAttention(dim, n_heads, causal=causal, rope=rope, bias=bias, dtype=dtype, rng=rng)
        self.ln2 = LayerNorm(dim, dtype=dtype)
        self.mlp = MLP(dim, [mlp_ratio * dim, dim], activation="gelu", dtype=dtype, rng=rng)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))

    def __repr__(self):
        return f"TransformerBlock({self.attn!r}, {self.mlp!r})"


class GPT(Module):
    """A decoder-only transformer: token ids (B, T) in, next-token logits (B, T, vocab_size) out.

    ``position`` picks the positional encoding (§14, see ``positional``):
    "learned" vectors added to the embeddings, the fixed "sinusoidal" table
    added to them, or "rope" rotations inside every attention. Attention is
    causal, so the logits at position t depend on tokens 0..t only and
    predict token t+1. ``tie_weights=True`` reuses the token embedding table
    as the output head (logits = h·Eᵀ), as GPT-2 does; ``head_bias`` adds a
    bias to the head. Token embeddings start as N(0, 0.02²) draws (GPT-2).
    With the sinusoidal table (entries of size ~1) they are multiplied by
    √dim first, as in "Attention Is All You Need", so that the table does
    not drown them out.
    """

    def __init__(
        self,
        vocab_size,
        block_size,
        dim,
        n_heads,
        n_layers,
        position="learned",
        tie_weights=False,
        head_bias=False,
        dtype=np.float64,
        rng=0,
    ):
        checks.choice(position, POSITIONS, "GPT", "position")
        rng = checks.seeded_generator(rng, "GPT")
        self.vocab_size, self.block_size, self.position = vocab_size, block_size, position
        self.dim, self.n_heads = dim, n_heads
        self.token_embedding = Embedding(vocab_size, dim, dtype=dtype, rng=rng)
        self.token_embedding.weight.data *= 0.02
        if position == "learned":
            self.position_embedding = LearnedPositionalEmbedding(block_size, dim, dtype=dtype, rng=rng)
        elif position == "sinusoidal":
            self.position_table = sinusoidal_positions(block_size, dim, dtype=dtype)
        self.blocks = [
            TransformerBlock(dim, n_heads, rope=position == "rope", dtype=dtype, rng=rng) for _ in range(n_layers)
        ]
        self.ln_f = LayerNorm(dim, dtype=dtype)
        if tie_weights:
            self.head_bias = Tensor(np.zeros(vocab_size, dtype=dtype), requires_grad=True) if head_bias else None
        else:
            self.head = Linear(dim, vocab_size, bias=head_bias, dtype=dtype, rng=rng)
        self.tie_weights = tie_weights

    def forward(self, ids):
        ids = self._check_ids(ids, "ids")  # once: the lookups below take the checked ids as they are
        x = self.token_embedding.weight[ids]
        if self.position == "learned":
            x = x + self.position_embedding.weight[: ids.shape[-1]]
        elif self.position == "sinusoidal":
            x = x * math.sqrt(self.dim) + self.position_table[: ids.shape[-1]]
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        if not self.tie_weights:
            return self.head(x)
        logits = x @ self.token_embedding.weight.T
        return logits if self.head_bias is None else logits + self.head_bias

    def loss(self, ids, targets, ignore_index=None):
        """Mean cross-entropy (§9) of the logits at every position against ``targets`` (the next tokens)."""
        targets = self._check_ids(targets, "targets", ignore_index)
        return F.cross_entropy(self(ids), targets, ignore_index=ignore_index)

    def attention_weights(self, ids):
        """Every layer's attention weights for ``ids``, a list of (..., n_heads, T, T) arrays (no graph built)."""
        layers = [block.attn for block in self.blocks]
        for attn in layers:
            attn.keep_weights = True
        try:
            with no_grad():
                self(ids)
            return [attn.last_weights.data for attn in layers]
        finally:
            for attn in layers:
                attn.keep_weights, attn.last_weights = False, None

    def _check_ids(self, ids, what, ignore_index=None):
        """Integer token ids of shape (..., T), T ≤ block_size, each in [0, vocab_size)."""
        ids = checks.token_ids(ids, "GPT", what, high=self.vocab_size, ignore=ignore_index)
        if ids.shape[-1] > self.block_size:
            raise ValueError(f"GPT: a sequence of length {ids.shape[-1]} is longer than block_size={self.block_size}; "
                             f"feed the last {self.block_size} tokens only (ids[..., -{self.block_size}:])")
        return ids

    def __repr__(self):
        return (
            f"GPT(vocab_size={self.vocab_size}, block_size={self.block_size}, dim={self.dim}, "
            f"n_heads={self.n_heads}, n_layers={len(self.blocks)}, position={self.position!r}, "
            f"tie_weights={self.tie_weights})"
        )
