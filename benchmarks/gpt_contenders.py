"""The GPT benchmark's workloads and contenders; each engine's code is imported only by the process that runs it.

Workloads: the GPT step (W2), the same step on a small configuration where
the cost per op dominates (W2-small), and causal attention alone (W3).
Every contender of a step can compute its loss and gradients (``gradients``),
take one AdamW update from given gradients (``update``), take a whole timed
step (``__call__``) and show its weights (``weights``). An attention contender
returns its output and the gradients of q, k and v for a fixed output gradient.

The hand-written NumPy contenders live here (with ``numpy_gpt``, NumPy only),
tensorgrad's in ``tensorgrad_gpt`` and PyTorch's in ``torch_gpt``: the
process that times the NumPy reference never imports tensorgrad, whose
import changes how the process allocates memory (``tensorgrad/memory.py``).
"""

import numpy as np
import numpy_gpt

GPT_STEP = {"vocab": 65, "block": 32, "batch": 16, "dim": 64, "heads": 4, "layers": 2}
SMALL_STEP = {"vocab": 65, "block": 16, "batch": 4, "dim": 32, "heads": 4, "layers": 1}
ATTENTION = (8, 4, 128, 32)  # batch, heads, length, head width
LR, WEIGHT_DECAY = 3e-4, 0.01
STEPS = {"GPT step": GPT_STEP, "small step": SMALL_STEP}  # the cases that are training steps


def describe(config):
    c = config
    return f"B{c['batch']} T{c['block']} C{c['dim']} H{c['heads']} L{c['layers']}"


TITLES = {
    "GPT step": f"W2 GPT step {describe(GPT_STEP)}",
    "small step": f"W2-small {describe(SMALL_STEP)}",
    "attention": "W3 causal attention fwd+bwd {}x{}x{}x{}".format(*ATTENTION),
}


def batch(config, seed=0):
    """Random token ids (B, T) and their next tokens, the targets."""
    tokens = np.random.default_rng(seed).integers(0, config["vocab"], (config["batch"], config["block"] + 1))
    return np.ascontiguousarray(tokens[:, :-1]), np.ascontiguousarray(tokens[:, 1:])


def attention_inputs(seed=0):
    """q, k, v and the output gradient, standard normal float32 arrays of shape ATTENTION."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(ATTENTION).astype(np.float32) for _ in range(4)]


class NumpyStep:
    def __init__(self, params, ids, targets, n_heads):
        self.params = {name: a.copy() for name, a in params.items()}
        self.optimizer = numpy_gpt.AdamW(self.params, LR, WEIGHT_DECAY)
        self.ids, self.targets, self.n_heads = ids, targets, n_heads

    def gradients(self):
        loss, grads = numpy_gpt.gpt_loss_and_grads(self.params, self.ids, self.targets, self.n_heads)
        return float(loss), grads

    def update(self, grads):
        self.optimizer.step(grads)

    def __call__(self):
        _, grads = numpy_gpt.gpt_loss_and_grads(self.params, self.ids, self.targets, self.n_heads)
        self.optimizer.step(grads)

    def weights(self):
        return self.params


class NumpyAttention:
    def __init__(self, q, k, v, grad_out):
        self.q, self.k, self.v, self.grad_out = q, k, v, grad_out

    def __call__(self):
        out, cache = numpy_gpt.attention_forward(self.q, self.k, self.v)
        return out, list(numpy_gpt.attention_backward(self.grad_out, cache))


def make(kind, case, start):
    """The ``kind`` contender ("tensorgrad", "numpy" or "torch") for ``case``, from the weights ``start``.

    ``start`` maps parameter names to arrays (tensorgrad's names and layout);
    it is None for attention, whose inputs come from ``attention_inputs``.
    """
    if kind == "tensorgrad":
        import tensorgrad_gpt as engine
    elif kind == "torch":
        import torch_gpt as engine
    else:
        engine = None
    if case == "attention":
        inputs = attention_inputs()
        return NumpyAttention(*inputs) if engine is None else engine.Attention(*inputs)
    config = STEPS[case]
    ids, targets = batch(config)
    if engine is None:
        return NumpyStep(start, ids, targets, config["heads"])
    if kind == "tensorgrad":
        return engine.Step(config, start, ids, targets, LR, WEIGHT_DECAY)
    return engine.Step(start, ids, targets, config["heads"], LR, WEIGHT_DECAY)
