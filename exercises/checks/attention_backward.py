"""The attention-backward check (§13): against tensorgrad's fused op, then inside the tiny GPT's training step."""

import numpy as np

import tensorgrad as tg
from exercises.grader import expect_close
from exercises.mistakes import Failed
from exercises.solutions import attention_backward as reference
from tensorgrad import transformer
from tensorgrad.transformer import PackedSelfAttention


def check(module):
    rng = np.random.default_rng(7)
    cases = [("q, k, v of shape (4, 3)", (4, 3), (4, 3), (4, 3), False),
             ("q, k, v of shape (5, 2), causal", (5, 2), (5, 2), (5, 2), True),
             ("q (3, 2), k (5, 2), v (5, 4)", (3, 2), (5, 2), (5, 4), False),
             ("batch × heads: q, k, v of shape (2, 3, 4, 2), causal", (2, 3, 4, 2), (2, 3, 4, 2), (2, 3, 4, 2), True)]
    for case, sq, sk, sv, causal in cases:
        q, k, v = rng.standard_normal(sq), rng.standard_normal(sk), rng.standard_normal(sv)
        g = rng.standard_normal((*sq[:-1], sv[-1]))
        expected = _engine(q, k, v, g, causal)
        got = module.attention_backward(q.copy(), k.copy(), v.copy(), g.copy(), causal)
        wrong = {name: _gradients(q, k, v, g, causal, **{name: False}) for name in ("transpose", "scale", "row_sum")}
        wrong["mask"] = _gradients(q, k, v, g, False) if causal else (None,) * 3
        for i, what in enumerate(("dL/dQ", "dL/dK", "dL/dV")):
            expect_close(got[i], expected[i], what, case, wrong=[
                ("missing_transpose", wrong["transpose"][i]), ("missing_scale", wrong["scale"][i]),
                ("softmax_vjp_without_row_sum", wrong["row_sum"][i]), ("mask_ignored", wrong["mask"][i])])
    return [_plugged_in(module)]


def _engine(q, k, v, g, causal):
    tensors = [tg.Tensor(a, requires_grad=True) for a in (q, k, v)]
    tg.scaled_dot_product_attention(*tensors, causal=causal).backward(g)
    return [t.grad for t in tensors]


def _gradients(q, k, v, g, causal, transpose=True, scale=True, row_sum=True):
    """The gradients with one step done wrong (None where that mistake's shapes cannot fit)."""
    _, w = reference.attention_forward(q, k, v, causal)
    c = 1 / np.sqrt(q.shape[-1]) if scale else 1.0
    t = (lambda x: np.swapaxes(x, -1, -2)) if transpose else (lambda x: x)
    dw = g @ np.swapaxes(v, -1, -2)
    ds = w * (dw - (dw * w).sum(axis=-1, keepdims=True)) if row_sum else w * dw
    fits = transpose or q.shape[-2] == k.shape[-2]
    dv = t(w) @ g if fits else None
    return c * ds @ k, (c * t(ds) @ q if fits else None), dv


def _plugged_in(module):
    """One training step of a tiny GPT with the learner's backward in its attention: gradients and loss."""
    rng = np.random.default_rng(8)
    ids = rng.integers(0, 11, size=(2, 8))
    expected, _ = _gpt_step(ids)
    own = transformer.PackedSelfAttention
    transformer.PackedSelfAttention = _with_backward(module.attention_backward)  # for this step only
    try:
        got, losses = _gpt_step(ids)
    finally:
        transformer.PackedSelfAttention = own
    for name, g in got.items():
        expect_close(g, expected[name], f"the tiny GPT's gradient of {name}, with your attention backward",
                     "one training step", atol=1e-10)
    if not losses[1] < losses[0]:
        raise Failed(f"the tiny GPT's loss went from {losses[0]:.4f} to {losses[1]:.4f} after a step with your gradients")
    return (f"your attention backward trained the tiny GPT (tensorgrad.transformer, 1 layer, 2 heads) one AdamW step: "
            f"every parameter's gradient matches the engine's, and the loss went {losses[0]:.4f} → {losses[1]:.4f}.")


def _gpt_step(ids):
    """(each parameter's gradient by name, (loss before, loss after one AdamW step)) for a fresh tiny GPT."""
    model = tg.GPT(vocab_size=11, block_size=8, dim=16, n_heads=2, n_layers=1, rng=0)
    loss = model.loss(ids[:, :-1], ids[:, 1:])
    loss.backward()
    grads = {name: p.grad.copy() for name, p in model.named_parameters()}
    tg.optim.AdamW(model.parameters(), lr=1e-2).step()
    with tg.no_grad():
        after = model.loss(ids[:, :-1], ids[:, 1:])
    return grads, (float(loss.data), float(after.data))


def _with_backward(attention_backward):
    """The GPT's packed attention op with its backward replaced by the learner's function."""

    class LearnersAttention(PackedSelfAttention):
        @staticmethod
        def forward(ctx, qkv, n_heads, causal):
            ctx.packed = (qkv, n_heads, causal)
            return PackedSelfAttention.forward(ctx, qkv, n_heads, causal)

        @staticmethod
        def backward(ctx, g):
            qkv, n_heads, causal = ctx.packed
            *lead, length, width = qkv.shape
            n, head_dim = len(lead), width // (3 * n_heads)
            q, k, v = qkv.reshape(*lead, length, 3, n_heads, head_dim).transpose(n + 1, *range(n), n + 2, n, n + 3)
            g_heads = g.reshape(*lead, length, n_heads, head_dim).swapaxes(-2, -3)
            grads = attention_backward(q, k, v, g_heads, causal)
            packed = np.empty((*lead, length, 3, n_heads, head_dim), dtype=g.dtype)
            for i, grad in enumerate(grads):
                packed[..., i, :, :] = np.swapaxes(grad, -2, -3)
            return (packed.reshape(qkv.shape),)

    return LearnersAttention
