"""Attention (§13): softmax(Q·Kᵀ/√d)·V, one fused op.

Each of T queries (rows of Q) takes a dot product with each of S keys (rows
of K): Q·Kᵀ is a (T, S) table of similarities (§12). Dividing by √d keeps
their spread near 1 whatever the width d, so the softmax along each row
(§4) stays out of its flat, near-0/near-1 zones. Each row of weights then
mixes the rows of V: output row i is Σⱼ Wᵢⱼ·Vⱼ.

A mask says which keys each query may attend to. Blocked scores become −∞
before the softmax, so their weights are exactly 0. ``causal=True`` blocks
every key after the query's own position: a language model predicting token
t+1 must not read it. The mask is boolean (True: may attend) or, as the
additive masks of PyTorch and nanoGPT, float: 0 where a query may attend and
−∞ where it may not (``tensorgrad.masking`` has the rule for −∞).

The whole computation is one ``Function``: its backward is four batched
matrix products and one row-wise step, written out below, instead of a
graph of a dozen small ops.
"""

import math

import numpy as np

from tensorgrad import checks
from tensorgrad.tensor import Function, Tensor


class ScaledDotProductAttention(Function):
    """O = W·V with W = softmax(Q·Kᵀ/√d) along each row (blocked scores count as −∞).

    VJP for the output gradient G, with c = 1/√d:
        dV = Wᵀ·G
        dW = G·Vᵀ
        dS = W ⊙ (dW − Σⱼ dWⱼ⊙Wⱼ)        (softmax's VJP, row by row)
        dQ = c·dS·K,   dK = dSᵀ·(c·Q)
    The row sum Σⱼ dWᵢⱼ·Wᵢⱼ = Σⱼ (G·Vᵀ)ᵢⱼ·Wᵢⱼ equals Σₖ Gᵢₖ·Oᵢₖ, a sum over
    the d columns of G ⊙ O instead of the S columns of dW ⊙ W: same number,
    less work. Blocked entries have W = 0, so they get dS = 0.

    The same trick twice more: W = E/s, the exponentials E divided by their
    row sums s, is never formed. O = (E·V)/s divides the (T, d) output, not
    the (T, S) weights, and the backward divides G instead: with G' = G/s,
    dV = Eᵀ·G' and dS = E ⊙ (G'·Vᵀ − Σₖ G'ᵢₖ·Oᵢₖ).

    The (T, S) tables are stored transposed, (S, T), one column per query:
    the softmax's max and sum then run down the columns, which NumPy
    vectorises (the max took 2.5x less time than along rows, 8x4x128x128
    float32). ``_t`` swaps the last two axes back, as a view.

    Keys that no query of a block may see are skipped. With a 2-D mask
    (causal, say) the queries go in blocks of QUERY_BLOCK, and each block is
    scored only against the keys up to the last one its queries may see:
    for causal attention over 128 positions, 3/4 of the table.

    Settings: ``blocked`` is True where a score is masked out (or None),
    ``empty_rows`` True for the rows with every key blocked (or None),
    ``scale`` is c, and ``weights_sink`` a list that receives W (or None).

    A score that is not finite where no mask put −∞ (q·kᵀ overflowing, or
    −inf in q or k) would make its row's weights NaN: the row maximum,
    computed anyway, is checked, and such a row is an error naming the query.
    """

    name, symbol = "scaled_dot_product_attention", "attn"

    @staticmethod
    def forward(ctx, q, k, v, blocked, empty_rows, scale, weights_sink):
        length, keys = q.shape[-2], k.shape[-2]
        q_scaled = q * scale  # c·Q: scaling the (T, d) queries costs less than the (T, S) scores
        q_t = _transposed(q_scaled)
        if blocked is not None:
            # −∞ where blocked, to be added: a (T, S) mask is made once, not once per batch and head
            dtype = np.result_type(q_scaled, k)
            mask_t = _t(np.atleast_2d(np.where(blocked, dtype.type(-np.inf), dtype.type(0))))
        empty_t = None if empty_rows is None else _t(np.atleast_2d(empty_rows))
        blocks = _query_blocks(blocked, length, keys)
        outs, all_sums_t, all_exps_t = [], [], []
        for lo, hi, end in blocks:
            scores_t = k[..., :end, :] @ q_t[..., lo:hi]  # Sᵀ, (..., keys, queries): a column per query
            if blocked is not None:
                scores_t += mask_t[..., :end, lo:hi]
            col_max = scores_t.max(axis=-2, keepdims=True)
            if empty_t is not None:
                np.copyto(col_max, 0, where=empty_t[..., lo:hi])  # a query with only −∞: shift by 0, not by −∞
            if not np.isfinite(col_max).all():
                _refuse_scores(col_max, lo)
            scores_t -= col_max  # every exponent ≤ 0, as in softmax
            exps_t = np.exp(scores_t, out=scores_t)
            sums_t = exps_t.sum(axis=-2, keepdims=True)  # s, one total per query
            if empty_t is not None:
                np.copyto(sums_t, 1, where=empty_t[..., lo:hi])  # its weights are all 0: 0 / 1 = 0, not 0 / 0
            out = _t(exps_t) @ v[..., :end, :]
            out /= _t(sums_t)
            outs.append(out)
            all_sums_t.append(sums_t)
            all_exps_t.append(exps_t)
        out = _joined(outs, axis=-2)
        ctx.save_for_backward(k, v, out)
        ctx.q_scaled, ctx.blocks, ctx.exps_t, ctx.scale = q_scaled, blocks, all_exps_t, scale
        ctx.sums = _t(_joined(all_sums_t, axis=-1))
        if weights_sink is not None:
            weights = np.zeros((*exps_t.shape[:-2], length, keys), exps_t.dtype)
            for (lo, hi, end), exps_t, sums_t in zip(blocks, all_exps_t, all_sums_t):
                weights[..., lo:hi, :end] = _t(exps_t / sums_t)
            weights_sink.append(weights)
        return out

    @staticmethod
    def backward(ctx, g):
        k, v, out = ctx.saved
        keys, q_scaled = k.shape[-2], ctx.q_scaled
        g_scaled = g / ctx.sums  # G' = G/s
        g_t = _transposed(g_scaled)
        row_sums_t = _t((g_scaled * out).sum(axis=-1, keepdims=True))  # Σₖ G'ᵢₖ·Oᵢₖ, one per query
        dq_parts, dk, dv = [], None, None
        for (lo, hi, end), exps_t in zip(ctx.blocks, ctx.exps_t):
            dv = _added(dv, exps_t @ g_scaled[..., lo:hi, :], keys)
            ds_t = v[..., :end, :] @ g_t[..., lo:hi]  # (G'·Vᵀ)ᵀ, turned into dSᵀ in place
            ds_t -= row_sums_t[..., lo:hi]
            ds_t *= exps_t
            dq_parts.append(_t(ds_t) @ k[..., :end, :])
            dk = _added(dk, ds_t @ q_scaled[..., lo:hi, :], keys)
        dq = _joined(dq_parts, axis=-2)
        dq *= ctx.scale
        return dq, dk, dv


def _refuse_scores(col_max, first_query):
    """The error for a query whose scores' maximum is NaN or ±inf where no mask blocks all its keys."""
    index = checks.first_index(~np.isfinite(col_max))
    query = (*index[:-2], first_query + index[-1])
    raise OverflowError(f"scaled_dot_product_attention: the largest score of query {query} is {col_max[index]}: "
                        "q·kᵀ/√d overflowed, or q or k hold −inf or NaN (block keys with mask=, not through q or k)")


QUERY_BLOCK = 64  # queries per block, when a (T, S) mask lets blocks of queries skip keys


def _query_blocks(blocked, length, keys):
    """(first query, end of queries, end of keys) for each block: keys from the end on are blocked for all.

    One block with every key unless ``blocked`` is a whole (T, S) mask (as
    causal attention's is) under which some block of queries skips keys.
    """
    whole = [(0, length, keys)]
    if blocked is None or blocked.shape != (length, keys) or length <= QUERY_BLOCK:
        return whole
    ends = keys - np.argmax(~blocked[:, ::-1], axis=1)  # one past each query's last allowed key
    starts = range(0, length, QUERY_BLOCK)
    blocks = [(lo, min(lo + QUERY_BLOCK, length), int(ends[lo : lo + QUERY_BLOCK].max())) for lo in starts]
    return blocks if any(end < keys for _, _, end in blocks) else whole


def _joined(parts, axis):
    """The blocks' parts side by side along ``axis`` (the one part itself if there is one)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)


def _added(total, part, rows):
    """``part`` added into the first rows of ``total``, of shape (..., rows, n); None counts as zeros."""
    if total is None:
        if part.shape[-2] == rows:
            return part
        total = np.zeros((*part.shape[:-2], rows, part.shape[-1]), part.dtype)
    total[..., : part.shape[-2], :] += part
    return total


def _t(a):
    """The last two axes swapped: a view, no copy."""
    return np.swapaxes(a, -1, -2)


def _transposed(a):
    """The last two axes swapped, as a contiguous copy.

    For a product X·Aᵀ, OpenBLAS multiplied a contiguous copy of Aᵀ about
    1.6x faster than the transposed view (8x4x128x32 float32, one thread):
    the copy of the (S, d) matrix costs less than the time it saves.
    """
    return np.ascontiguousarray(_t(a))


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, return_weights=False):
    """softmax(Q·Kᵀ/√d)·V over the last two axes (§13), as PyTorch's ``F.scaled_dot_product_attention``.

    ``q`` has shape (..., T, d), ``k`` (..., S, d) and ``v`` (..., S, d_v);
    the leading axes (batch, heads) broadcast. The output has shape
    (..., T, d_v).

    ``mask``: a boolean array broadcastable to (..., T, S), True where query
    i may attend to key j; or a float array of that shape, 0 where query i
    may attend to key j and −inf where it may not (the additive mask that is
    added to the scores; any other number is refused, so a 0/1 mask meant as
    boolean is not taken for one). ``causal=True`` also blocks every key after the
    query: with T == S, query i sees keys 0..i. With T < S the queries are
    taken to be the *last* T positions (query i sees keys 0..S−T+i), which is
    what generating with cached keys needs; PyTorch's ``is_causal`` aligns
    them to the first T instead, and the two agree when T == S.

    A query whose keys are all blocked has nothing to attend to. Its weights
    are defined to be all 0 and its output row 0 (no NaN, no warning), and no
    gradient flows through that row. (PyTorch's math kernel returns NaN
    there; here the row is 0 whether a boolean or a float mask blocked it.)

    ``return_weights=True`` returns ``(output, weights)``: the weights of
    shape (..., T, S) as a read-only Tensor outside the graph, for looking
    at (rows sum to 1, or to 0 for a fully blocked row).
    """
    where = "scaled_dot_product_attention"
    q, k, v = (_sequences(t, name, where) for t, name in ((q, "q"), (k, "k"), (v, "v")))
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{where}: q of shape {q.shape} and k of shape {k.shape} need the same last axis d "
                         f"({q.shape[-1]} != {k.shape[-1]})")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{where}: k of shape {k.shape} and v of shape {v.shape} need the same number of keys S "
                         f"({k.shape[-2]} != {v.shape[-2]})")
    if k.shape[-2] == 0 or q.shape[-1] == 0:
        raise ValueError(f"{where}: q of shape {q.shape} and k of shape {k.shape} leave nothing to attend to "
                         "(no keys, or head width 0)")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"{where}: the leading axes of q {q.shape}, k {k.shape} and v {v.shape} do not broadcast") from None
    scores_shape = (*np.broadcast_shapes(q.shape[:-2], k.shape[:-2]), q.shape[-2], k.shape[-2])
    allowed = _allowed(mask, causal, scores_shape, where)
    blocked = empty_rows = None
    if allowed is not None:
        blocked = ~allowed
        empty = ~allowed.any(axis=-1, keepdims=True)
        empty_rows = empty if empty.any() else None
    sink = [] if return_weights else None
    out = ScaledDotProductAttention.apply(
        q, k, v, blocked=blocked, empty_rows=empty_rows, scale=1 / math.sqrt(q.shape[-1]), weights_sink=sink
    )
    if not return_weights:
        return out
    weights = sink[0].view()
    weights.flags.writeable = False  # backward still needs them: look, do not touch
    return out, Tensor(weights, copy=False)  # the read-only view itself, not a writable copy


def _allowed(mask, causal, scores_shape, where):
    """The boolean (…, T, S) array of allowed (query, key) pairs, or None if every pair is allowed."""
    t, s = scores_shape[-2:]
    allowed = np.tri(t, s, k=s - t, dtype=bool) if causal else None  # key j ≤ query's position S − T + i
    if mask is None:
        return allowed
    mask = checks.array(mask)
    if mask.dtype != bool:
        mask = _additive_mask(mask, where)
    if not _broadcasts_to(mask.shape, scores_shape):
        raise ValueError(f"{where}: mask of shape {mask.shape} does not broadcast to the scores' shape {scores_shape} "
                         "(..., T, S)")
    return mask if allowed is None else mask & allowed


def _additive_mask(mask, where):
    """A float mask of 0 (may attend) and −inf (blocked) as the boolean mask it stands for; anything else refused."""
    if mask.dtype.kind == "f":
        odd = (mask != 0) & (mask != -np.inf)
        if not odd.any():
            return mask == 0
        index = checks.first_index(odd)
        got = f"{mask[index]} at index {index}"
    else:
        got = f"dtype {mask.dtype}"
    raise TypeError(f"{where}: mask must be boolean (True = may attend) or a float mask of 0 (may attend) and −inf "
                    f"(blocked), got {got}")


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _sequences(x, name, where):
    """``x`` as a float Tensor of shape (..., length, width)."""
    x = checks.float_tensor(x, where, name)
    if x.ndim < 2:
        raise ValueError(f"{where}: {name} needs shape (..., length, width), got {x.shape}")
    return x
