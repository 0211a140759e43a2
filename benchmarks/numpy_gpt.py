"""A GPT-2-style training step written out by hand in NumPy: every layer's forward beside its backward.

No autograd. Each ``*_forward`` returns its output and what its backward
will need; each ``*_backward`` takes the gradient of the loss with respect to
that output and returns the gradients with respect to the inputs and the
parameters. ``gpt_loss_and_grads`` chains them: the forward pass from token
ids to the mean cross-entropy, then the same layers in reverse.

Shapes: B sequences of T tokens, width C, H heads of width D = C/H. Between
layers the activations are (B·T, C) matrices, one row per token, so every
linear layer is one matrix product; attention reshapes them to (B, H, T, D).

Parameters live in a dict under tensorgrad's names ("blocks.0.attn.qkv.weight",
…), so the benchmark can copy tensorgrad's weights in and compare gradients
name by name. Linear weights are (in, out): y = x @ W + b.
"""

import math

import numpy as np

GELU_C = math.sqrt(2 / math.pi)  # Python floats keep float32 arrays float32


# ---- embedding: a row lookup; its backward adds each row's gradient back to its row ----
def embedding_forward(table, ids):
    return table[ids]


def embedding_backward(d_out, ids, table_shape):
    d_table = np.zeros(table_shape, dtype=d_out.dtype)
    np.add.at(d_table, ids.reshape(-1), d_out.reshape(-1, table_shape[1]))  # a repeated id gets every share
    return d_table


# ---- linear: y = x @ W + b ----------------------------------------------------------------------
def linear_forward(x, weight, bias=None):
    y = x @ weight
    if bias is not None:
        y += bias
    return y


def linear_backward(d_y, x, weight, bias=True):
    """(dx, dW, db): dx = dy @ Wᵀ, dW = xᵀ @ dy, db = Σ dy over the rows (None without a bias)."""
    return d_y @ weight.T, x.T @ d_y, d_y.sum(axis=0) if bias else None


# ---- layer norm over each row ---------------------------------------------------------------------
def layer_norm_forward(x, weight, bias, eps=1e-5):
    centered = x - x.mean(axis=-1, keepdims=True)
    inv_std = 1 / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + eps)
    normed = centered * inv_std
    return normed * weight + bias, (normed, inv_std, weight)


def layer_norm_backward(d_y, cache):
    """dx = (d − mean(d) − x̂·mean(d·x̂)) / σ with d = dy·weight; dweight = Σ dy·x̂, dbias = Σ dy."""
    normed, inv_std, weight = cache
    d = d_y * weight
    d_x = inv_std * (d - d.mean(axis=-1, keepdims=True) - normed * (d * normed).mean(axis=-1, keepdims=True))
    return d_x, (d_y * normed).sum(axis=0), d_y.sum(axis=0)


# ---- GELU, GPT-2's tanh approximation -----------------------------------------------------------
def gelu_forward(x):
    t = np.tanh(GELU_C * (x + 0.044715 * (x * x * x)))
    return 0.5 * x * (1 + t), (x, t)


def gelu_backward(d_y, cache):
    """d/dx ½x(1 + t) = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)."""
    x, t = cache
    return d_y * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (GELU_C * (1 + 3 * 0.044715 * (x * x))))


# ---- causal attention, fused: softmax(Q·Kᵀ/√D + mask)·V ---------------------------------------------
def attention_forward(q, k, v):
    """q, k, v of shape (..., T, D); query i sees keys 0..i."""
    length, width = q.shape[-2:]
    q_scaled = q * (1 / math.sqrt(width))
    scores = q_scaled @ np.swapaxes(k, -1, -2)  # (..., T, T)
    np.copyto(scores, -np.inf, where=np.triu(np.ones((length, length), dtype=bool), 1))  # the future
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores, out=scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    out = weights @ v
    return out, (q_scaled, k, v, weights, out)


def attention_backward(d_out, cache):
    """With G the output's gradient and O the output:

    dV = Wᵀ·G,  dS = W ⊙ (G·Vᵀ − rowsum(G ⊙ O)) (softmax's backward),  dQ = dS·K/√D,  dK = dSᵀ·Q/√D.
    rowsum(G ⊙ O) is rowsum(G·Vᵀ ⊙ W) computed over D columns instead of T.
    """
    q_scaled, k, v, weights, out = cache
    d_v = np.swapaxes(weights, -1, -2) @ d_out
    d_scores = d_out @ np.swapaxes(v, -1, -2)
    d_scores -= (d_out * out).sum(axis=-1, keepdims=True)
    d_scores *= weights
    d_q = d_scores @ k
    d_q *= 1 / math.sqrt(q_scaled.shape[-1])
    d_k = np.swapaxes(d_scores, -1, -2) @ q_scaled
    return d_q, d_k, d_v


# ---- cross-entropy of the logits against the next tokens, averaged over the rows -----------------------
def cross_entropy_forward(logits, targets):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    sums = exps.sum(axis=-1, keepdims=True)
    rows = np.arange(len(targets))
    loss = (np.log(sums[:, 0]) - shifted[rows, targets]).mean()
    return loss, exps / sums  # the softmax probabilities, for the backward


def cross_entropy_backward(probs, targets):
    """(softmax − one-hot) / rows: the one-hot is never built, 1 is subtracted at each target."""
    d_logits = probs / len(targets)
    d_logits[np.arange(len(targets)), targets] -= 1 / len(targets)
    return d_logits


# ---- one transformer block: x + attention(LN(x)), then x + MLP(LN(x)) ---------------------------------
def block_forward(x, p, batch, n_heads):
    """x: (B·T, C); p: this block's parameters without the "blocks.i." prefix."""
    rows, width = x.shape
    length, head = rows // batch, width // n_heads
    a, ln1 = layer_norm_forward(x, p["ln1.weight"], p["ln1.bias"])
    qkv = linear_forward(a, p["attn.qkv.weight"], p["attn.qkv.bias"])
    # (B·T, 3C) → (B, T, 3, H, D) → (3, B, H, T, D): q, k, v with the heads as a batch axis
    q, k, v = qkv.reshape(batch, length, 3, n_heads, head).transpose(2, 0, 3, 1, 4)
    heads, attn = attention_forward(q, k, v)
    merged = heads.transpose(0, 2, 1, 3).reshape(rows, width)  # heads side by side again
    x = x + linear_forward(merged, p["attn.out.weight"], p["attn.out.bias"])
    m, ln2 = layer_norm_forward(x, p["ln2.weight"], p["ln2.bias"])
    hidden = linear_forward(m, p["mlp.layers.0.weight"], p["mlp.layers.0.bias"])
    act, gelu = gelu_forward(hidden)
    x = x + linear_forward(act, p["mlp.layers.1.weight"], p["mlp.layers.1.bias"])
    return x, (a, ln1, qkv.shape, attn, merged, m, ln2, gelu, act)


def block_backward(d_x, cache, p, grads, prefix):
    """The block in reverse. The residual x → x + f(x) passes d_x straight through, plus f's share."""
    a, ln1, qkv_shape, attn, merged, m, ln2, gelu, act = cache
    batch, n_heads, length, head = attn[0].shape

    d_act, grads[prefix + "mlp.layers.1.weight"], grads[prefix + "mlp.layers.1.bias"] = linear_backward(
        d_x, act, p["mlp.layers.1.weight"]
    )
    d_hidden = gelu_backward(d_act, gelu)
    d_m, grads[prefix + "mlp.layers.0.weight"], grads[prefix + "mlp.layers.0.bias"] = linear_backward(
        d_hidden, m, p["mlp.layers.0.weight"]
    )
    d_ln2, grads[prefix + "ln2.weight"], grads[prefix + "ln2.bias"] = layer_norm_backward(d_m, ln2)
    d_x = d_x + d_ln2

    d_merged, grads[prefix + "attn.out.weight"], grads[prefix + "attn.out.bias"] = linear_backward(
        d_x, merged, p["attn.out.weight"]
    )
    d_heads = d_merged.reshape(batch, length, n_heads, head).transpose(0, 2, 1, 3)
    d_q, d_k, d_v = attention_backward(d_heads, attn)
    d_qkv = np.empty((batch, length, 3, n_heads, head), dtype=d_x.dtype)  # q, k, v back into one matrix
    for i, d in enumerate((d_q, d_k, d_v)):
        d_qkv[:, :, i] = d.transpose(0, 2, 1, 3)
    d_a, grads[prefix + "attn.qkv.weight"], grads[prefix + "attn.qkv.bias"] = linear_backward(
        d_qkv.reshape(qkv_shape), a, p["attn.qkv.weight"]
    )
    d_ln1, grads[prefix + "ln1.weight"], grads[prefix + "ln1.bias"] = layer_norm_backward(d_a, ln1)
    return d_x + d_ln1


# ---- the whole model ----------------------------------------------------------------------------
def block_params(params, i):
    prefix = f"blocks.{i}."
    return prefix, {name[len(prefix) :]: array for name, array in params.items() if name.startswith(prefix)}


def gpt_loss_and_grads(params, ids, targets, n_heads):
    """Forward to the mean cross-entropy, then backward: (loss, {parameter name: gradient})."""
    batch, length = ids.shape
    n_layers = sum(name.endswith(".ln1.weight") for name in params)
    blocks = [block_params(params, i) for i in range(n_layers)]

    tokens = embedding_forward(params["token_embedding.weight"], ids)  # (B, T, C)
    x = (tokens + params["position_embedding.weight"][:length]).reshape(batch * length, -1)
    caches = []
    for _, p in blocks:
        x, cache = block_forward(x, p, batch, n_heads)
        caches.append(cache)
    h, ln_f = layer_norm_forward(x, params["ln_f.weight"], params["ln_f.bias"])
    logits = linear_forward(h, params["head.weight"])
    loss, probs = cross_entropy_forward(logits, targets.reshape(-1))

    grads = {}
    d_logits = cross_entropy_backward(probs, targets.reshape(-1))
    d_h, grads["head.weight"], _ = linear_backward(d_logits, h, params["head.weight"], bias=False)
    d_x, grads["ln_f.weight"], grads["ln_f.bias"] = layer_norm_backward(d_h, ln_f)
    for prefix, p in reversed(blocks):
        d_x = block_backward(d_x, caches.pop(), p, grads, prefix)  # a layer's saved arrays go once used
    d_x = d_x.reshape(batch, length, -1)
    d_positions = np.zeros_like(params["position_embedding.weight"])
    d_positions[:length] = d_x.sum(axis=0)  # every sequence used the same position vectors
    grads["position_embedding.weight"] = d_positions
    grads["token_embedding.weight"] = embedding_backward(d_x, ids, params["token_embedding.weight"].shape)
    return loss, grads


# ---- AdamW, updating the arrays in place ----------------------------------------------------------
class AdamW:
    """p ← p·(1 − lr·wd), then p ← p − lr·m̂/(√v̂ + eps): tensorgrad's and PyTorch's AdamW."""

    def __init__(self, params, lr, weight_decay, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.weight_decay, self.betas, self.eps = params, lr, weight_decay, betas, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads):
        b1, b2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - b1**self.t)  # the bias corrections are numbers: fold them in
        v_scale = 1 / (1 - b2**self.t)
        for name, p in self.params.items():
            g, m, v = grads[name], self.m[name], self.v[name]
            p *= 1 - self.lr * self.weight_decay
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= step_size * m / (np.sqrt(v * v_scale) + self.eps)
