"""Every fused op is right on any memory layout: inputs that are permuted, transposed, sliced with steps
or broadcast views, checked against central differences (a reshape of such a view is a copy, and a
write through it is lost: cross-entropy's backward once lost its −1 at each target that way)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad import functional as F

SETTINGS = settings(max_examples=60, deadline=None)
CLASSES = 4


def view(x, kind):
    """A non-contiguous view of x (shape (2, 3, 4) in, (3, 2, 4) out), made by the graph's own ops."""
    if kind == "permuted":
        return x.permute(1, 0, 2)
    if kind == "transposed then back":  # the last axis strided
        return x.transpose().permute(1, 2, 0)
    if kind == "reversed steps":
        return x[::-1, ::-1, :].permute(1, 0, 2)
    if kind == "broadcast":  # one row seen three times, then permuted
        return x[:, :1].broadcast_to((2, 3, 4)).permute(1, 0, 2)
    return x.permute(1, 0, 2) * 1.0  # an op's output that keeps the permuted layout


VIEWS = st.sampled_from(["permuted", "transposed then back", "reversed steps", "broadcast", "computed"])
ARRAYS = st.integers(0, 2**32 - 1).map(lambda seed: np.random.default_rng(seed).normal(size=(2, 3, 4)) * 2)


def targets(seed):
    return np.random.default_rng(seed).integers(0, CLASSES, size=(3, 2))


def weights(seed, shape):
    return np.random.default_rng(seed + 1).normal(size=shape)


def assert_gradcheck(f, x):
    report = tg.gradcheck(f, [x], raise_on_failure=False)
    assert report.ok, str(report)


@SETTINGS
@given(x=ARRAYS, kind=VIEWS, seed=st.integers(0, 1000))
def test_cross_entropy_on_any_layout(x, kind, seed):
    assert_gradcheck(lambda t: F.cross_entropy(view(t, kind), targets(seed)), x)


@SETTINGS
@given(x=ARRAYS, kind=VIEWS, seed=st.integers(0, 1000))
def test_nll_loss_on_any_layout(x, kind, seed):
    assert_gradcheck(lambda t: F.nll_loss(F.log_softmax(view(t, kind)), targets(seed), reduction="sum"), x)


@SETTINGS
@given(x=ARRAYS, kind=VIEWS, seed=st.integers(0, 1000))
def test_log_softmax_on_any_layout(x, kind, seed):
    w = weights(seed, (3, 2, 4))
    assert_gradcheck(lambda t: (F.log_softmax(view(t, kind)) * w).sum(), x)


@SETTINGS
@given(x=ARRAYS, kind=VIEWS, seed=st.integers(0, 1000))
def test_layer_norm_on_any_layout(x, kind, seed):
    w = weights(seed, (3, 2, 4))
    gain, shift = tg.Tensor(weights(seed + 7, (4,)) + 1.0), tg.Tensor(weights(seed + 9, (4,)))
    assert_gradcheck(lambda t: (F.layer_norm(view(t, kind), gain, shift) * w).sum(), x)


@SETTINGS
@given(x=ARRAYS, kind=VIEWS, seed=st.integers(0, 1000), causal=st.booleans())
def test_attention_on_any_layout(x, kind, seed, causal):
    w = weights(seed, (3, 2, 4))
    other = tg.Tensor(weights(seed + 3, (3, 2, 4)))

    def f(t):
        q = view(t, kind)  # (3, 2, 4): batch 3, length 2, width 4
        k = (q * other).transpose().permute(2, 1, 0)  # its own strided layout
        return (tg.scaled_dot_product_attention(q, k, view(t, kind), causal=causal) * w).sum()

    assert_gradcheck(f, x)
