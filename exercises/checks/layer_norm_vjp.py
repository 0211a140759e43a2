"""The layer-norm VJP check (§13): rows of several widths and batch shapes, against tensorgrad's layer_norm."""

import numpy as np

import tensorgrad as tg
from exercises.grader import expect_close
from exercises.mistakes import Failed
from tensorgrad import functional as F


def check(module):
    rng = np.random.default_rng(6)
    for shape in [(1, 4), (3, 5), (2, 3, 6)]:
        x = 2 * rng.standard_normal(shape) + 1
        weight, bias = rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])
        g = rng.standard_normal(shape)
        case = f"x of shape {shape}"
        expected = _engine(x, weight, bias, g)
        got = module.layer_norm_backward(x.copy(), weight.copy(), g.copy(), 1e-5)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise Failed(f"layer_norm_backward for {case}: expected (dx, dweight, dbias), got {type(got).__name__}")
        sigma, normed, d = _parts(x, weight, g)
        rows = tuple(range(x.ndim - 1))
        expect_close(got[0], expected[0], "dL/dx", case, wrong=[
            ("mean_and_variance_constant", d / sigma),
            ("missing_1_over_n", (d - d.sum(-1, keepdims=True) - normed * (d * normed).sum(-1, keepdims=True)) / sigma),
        ])
        expect_close(got[1], expected[1], "dL/dweight", case, wrong=[("sum_over_broadcast_axes", g * normed)]
                     if rows else [])
        expect_close(got[2], expected[2], "dL/dbias", case, wrong=[("sum_over_broadcast_axes", g)] if rows else [])
    return ["your VJP gives tensorgrad's LayerNorm gradients for x, weight and bias, batch axes included."]


def _parts(x, weight, g):
    centred = x - x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt((centred**2).mean(axis=-1, keepdims=True) + 1e-5)
    return sigma, centred / sigma, g * weight


def _engine(x, weight, bias, g):
    tensors = [tg.Tensor(a, requires_grad=True) for a in (x, weight, bias)]
    F.layer_norm(*tensors, eps=1e-5).backward(g)
    return [t.grad for t in tensors]
