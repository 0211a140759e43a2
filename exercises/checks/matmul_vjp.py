"""The matmul VJP check (§12): square, rectangular, batched and shared-weight cases, against tensorgrad."""

import numpy as np

import tensorgrad as tg
from exercises.grader import attempt, expect_close


def check(module):
    rng = np.random.default_rng(5)
    shapes = [((3, 3), (3, 3)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((2, 5, 3), (3, 4))]
    for sa, sb in shapes:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        g = rng.standard_normal(np.broadcast_shapes(sa[:-2], sb[:-2]) + (sa[-2], sb[-1]))
        case = f"A {sa} @ B {sb}"
        da, db = _engine(a, b, g)
        got_a, got_b = module.matmul_backward(a.copy(), b.copy(), g.copy())
        expect_close(got_a, da, "dL/dA", case, wrong=[("missing_transpose", attempt(np.matmul, g, b)),
                                                      ("missing_transpose", attempt(np.matmul, _t(b), g))])
        batch = _t(a) @ g
        wrong = [("missing_transpose", attempt(np.matmul, a, g)), ("missing_transpose", attempt(np.matmul, g, a))]
        if b.ndim < a.ndim:
            wrong.append(("sum_over_broadcast_axes", batch))
        expect_close(got_b, db, "dL/dB", case, wrong=wrong)
    return ["your VJP gives tensorgrad's gradients of A @ B for every case, the shared weight's summed over the batch."]


def _t(x):
    return np.swapaxes(x, -1, -2)


def _engine(a, b, g):
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)
    (ta @ tb).backward(g)
    return ta.grad, tb.grad
