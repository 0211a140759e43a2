"""The same GPT step in PyTorch eager (CPU), for comparison only: imported only where torch is installed.

Written the way a PyTorch user would: ``F.linear``, ``F.layer_norm``,
``F.scaled_dot_product_attention(is_causal=True)``, ``F.gelu(approximate="tanh")``,
``torch.optim.AdamW``. The parameters are tensorgrad's, copied under the same
names; PyTorch keeps a linear weight as (out, in), the transpose of
tensorgrad's (in, out), so those are transposed on the way in and their
gradients on the way out.
"""

import numpy as np
import torch
import torch.nn.functional as F

EMBEDDINGS = ("token_embedding.weight", "position_embedding.weight")


def _is_linear_weight(name, array):
    return array.ndim == 2 and name not in EMBEDDINGS


def from_numpy(params):
    """{name: leaf tensor requiring grad}, linear weights transposed to PyTorch's (out, in)."""
    return {
        name: torch.tensor(a.T if _is_linear_weight(name, a) else a).contiguous().requires_grad_()
        for name, a in params.items()
    }


def to_numpy(tensors):
    """{name: NumPy array in tensorgrad's layout} for {name: tensor} (weights or gradients)."""
    return {name: (t.numpy().T if _is_linear_weight(name, t) else t.numpy()) for name, t in tensors.items()}


def gpt_loss(p, ids, targets, n_heads):
    """Mean cross-entropy of the next-token logits; ids and targets are (B, T) int64 tensors."""
    batch, length = ids.shape
    width = p["token_embedding.weight"].shape[1]
    n_layers = sum(name.endswith(".ln1.weight") for name in p)
    x = F.embedding(ids, p["token_embedding.weight"]) + p["position_embedding.weight"][:length]
    for i in range(n_layers):
        b = f"blocks.{i}."
        a = F.layer_norm(x, (width,), p[b + "ln1.weight"], p[b + "ln1.bias"])
        qkv = F.linear(a, p[b + "attn.qkv.weight"], p[b + "attn.qkv.bias"])
        q, k, v = qkv.view(batch, length, 3, n_heads, width // n_heads).permute(2, 0, 3, 1, 4).unbind(0)
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        merged = heads.transpose(1, 2).reshape(batch, length, width)
        x = x + F.linear(merged, p[b + "attn.out.weight"], p[b + "attn.out.bias"])
        m = F.layer_norm(x, (width,), p[b + "ln2.weight"], p[b + "ln2.bias"])
        hidden = F.gelu(F.linear(m, p[b + "mlp.layers.0.weight"], p[b + "mlp.layers.0.bias"]), approximate="tanh")
        x = x + F.linear(hidden, p[b + "mlp.layers.1.weight"], p[b + "mlp.layers.1.bias"])
    x = F.layer_norm(x, (width,), p["ln_f.weight"], p["ln_f.bias"])
    logits = F.linear(x, p["head.weight"])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class Step:
    """One training step (forward, backward, AdamW) on copies of ``params`` (a {name: array} dict)."""

    def __init__(self, params, ids, targets, n_heads, lr, weight_decay):
        self.params = from_numpy(params)
        self.ids = torch.from_numpy(np.asarray(ids, dtype=np.int64))
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.int64))
        self.n_heads = n_heads
        self.optimizer = torch.optim.AdamW(self.params.values(), lr=lr, weight_decay=weight_decay)

    def gradients(self):
        """The loss and every gradient at the current weights (no update yet), for checking."""
        self.optimizer.zero_grad()
        loss = gpt_loss(self.params, self.ids, self.targets, self.n_heads)
        loss.backward()
        return loss.item(), to_numpy({name: p.grad for name, p in self.params.items()})

    def update(self, grads):
        """One AdamW update from the given gradients ({name: array} in tensorgrad's layout)."""
        for name, p in self.params.items():
            g = grads[name]
            p.grad = torch.tensor(g.T if _is_linear_weight(name, g) else g)
        self.optimizer.step()

    def __call__(self):
        loss = gpt_loss(self.params, self.ids, self.targets, self.n_heads)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def weights(self):
        return to_numpy({name: p.detach() for name, p in self.params.items()})


class Attention:
    """Causal attention forward and backward with a fixed output gradient, by ``F.scaled_dot_product_attention``."""

    def __init__(self, q, k, v, grad_out):
        self.q, self.k, self.v = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        self.grad_out = torch.tensor(grad_out)

    def __call__(self):
        for t in (self.q, self.k, self.v):
            t.grad = None
        out = F.scaled_dot_product_attention(self.q, self.k, self.v, is_causal=True)
        out.backward(self.grad_out)
        return out.detach().numpy(), [t.grad.numpy() for t in (self.q, self.k, self.v)]
