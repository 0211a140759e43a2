"""tensorgrad's contenders in the GPT benchmark: its ``transformer.GPT`` with ``optim.AdamW``, and its attention.

``initial_weights`` makes the weights every contender starts from: those of
a new ``GPT(..., rng=0)`` in float32.
"""

import numpy as np

from tensorgrad import optim, tensor
from tensorgrad.attention import scaled_dot_product_attention
from tensorgrad.transformer import GPT


def new_model(config):
    c = config
    return GPT(c["vocab"], c["block"], c["dim"], c["heads"], c["layers"], dtype=np.float32, rng=0)


def initial_weights(config):
    """{parameter name: array} of a new float32 GPT for ``config``."""
    return {name: p.data.copy() for name, p in new_model(config).named_parameters()}


class Step:
    def __init__(self, config, params, ids, targets, lr, weight_decay):
        self.model = new_model(config)
        self.model.load_state_dict(params)
        self.optimizer = optim.AdamW(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        self.ids, self.targets = ids, targets

    def gradients(self):
        loss = self.model.loss(self.ids, self.targets)
        self.optimizer.zero_grad()
        loss.backward()
        return loss.item(), {name: p.grad for name, p in self.model.named_parameters()}

    def update(self, grads):
        for name, p in self.model.named_parameters():
            p.grad = grads[name].copy()
        self.optimizer.step()

    def __call__(self):
        loss = self.model.loss(self.ids, self.targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def weights(self):
        return {name: p.data for name, p in self.model.named_parameters()}


class Attention:
    def __init__(self, q, k, v, grad_out):
        self.q, self.k, self.v = (tensor(a, requires_grad=True) for a in (q, k, v))
        self.grad_out = grad_out

    def __call__(self):
        for t in (self.q, self.k, self.v):
            t.grad = None
        out = scaled_dot_product_attention(self.q, self.k, self.v, causal=True)
        out.backward(self.grad_out)
        return out.data, [t.grad for t in (self.q, self.k, self.v)]
