"""Tests for tensorgrad.attention: softmax(Q·Kᵀ/√d)·V as one fused op (§13).

Values are compared with the formula written out in NumPy, gradients with
tensorgrad.gradcheck (float64, tiny shapes).
"""

import numpy as np
import pytest

from tensorgrad import Tensor, gradcheck
from tensorgrad.attention import scaled_dot_product_attention as attention


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def reference(q, k, v, allowed=None):
    """The formula, entry by entry in NumPy; a fully blocked row gives weights 0."""
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    exps = np.exp(scores - np.where(np.isfinite(top), top, 0))
    sums = exps.sum(axis=-1, keepdims=True)
    weights = exps / np.where(sums > 0, sums, 1)
    return weights @ v, weights


def qkv(batch=(2,), t=4, s=4, d=3, d_v=3, seed=0):
    return random(*batch, t, d, seed=seed), random(*batch, s, d, seed=seed + 1), random(*batch, s, d_v, seed=seed + 2)


def test_matches_the_formula_without_a_mask():
    q, k, v = qkv(batch=(2, 3), t=4, s=5, d=3, d_v=2)
    out, weights = attention(q, k, v, return_weights=True)
    expected_out, expected_weights = reference(q, k, v)
    assert out.shape == (2, 3, 4, 2)
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-12)
    np.testing.assert_allclose(weights.data, expected_weights, rtol=1e-12)


def test_causal_mask_lets_each_query_see_itself_and_earlier_keys_only():
    q, k, v = qkv(t=5, s=5)
    out, weights = attention(q, k, v, causal=True, return_weights=True)
    np.testing.assert_allclose(out.data, reference(q, k, v, np.tri(5, dtype=bool))[0], rtol=1e-12)
    assert np.all(np.triu(weights.data, 1) == 0)  # nothing above the diagonal: no later key
    np.testing.assert_allclose(weights.data[..., 0, 0], 1.0)  # the first query can only see itself


def test_causal_with_fewer_queries_than_keys_treats_them_as_the_last_positions():
    """Decoding with cached keys: the last T queries of a full causal attention, computed alone."""
    q, k, v = qkv(t=6, s=6)
    full = attention(q, k, v, causal=True).data
    np.testing.assert_allclose(attention(q[:, -2:], k, v, causal=True).data, full[:, -2:], rtol=1e-12)


@pytest.mark.parametrize("case", ["causal", "causal, fewer queries", "banded mask with an empty row"])
def test_long_sequences_skip_keys_blocked_for_a_whole_block_of_queries(case, monkeypatch):
    """Over 64 queries, a 2-D mask lets blocks of queries skip keys: same outputs, gradients and weights."""
    t, s = (150, 170) if case == "causal, fewer queries" else (150, 150)
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(batch=(2,), t=t, s=s, d=4, d_v=3))
    causal = case.startswith("causal")
    if causal:
        allowed = np.tri(t, s, k=s - t, dtype=bool)
    else:  # a band: each query sees itself and the 39 keys before it
        allowed = np.tri(t, s, dtype=bool) & ~np.tri(t, s, k=-40, dtype=bool)
        allowed[7] = False  # a query with no key at all
    upstream = random(2, t, 3, seed=9)
    found = []
    for block in (64, 10**9):  # in blocks of 64 queries, then all queries in one block
        monkeypatch.setattr("tensorgrad.attention.QUERY_BLOCK", block)
        for x in (q, k, v):
            x.grad = None
        out, weights = attention(q, k, v, causal=causal, mask=None if causal else allowed, return_weights=True)
        (out * upstream).sum().backward()
        found.append([out.data, weights.data, q.grad, k.grad, v.grad])
    np.testing.assert_allclose(found[0][0], reference(q.data, k.data, v.data, allowed)[0], rtol=1e-10, atol=1e-12)
    for blocked, whole in zip(*found):
        np.testing.assert_allclose(blocked, whole, rtol=1e-10, atol=1e-12)


def test_blocked_keys_have_no_influence():
    q, k, v = qkv(t=3, s=4)
    allowed = np.array([True, False, True, False])  # a key-padding mask, broadcast over the queries
    out = attention(q, k, v, mask=allowed).data
    k2, v2 = k.copy(), v.copy()
    k2[:, ~allowed], v2[:, ~allowed] = 100.0, -100.0
    np.testing.assert_array_equal(attention(q, k2, v2, mask=allowed).data, out)
    np.testing.assert_allclose(out, reference(q, k[:, allowed], v[:, allowed])[0], rtol=1e-12)


def test_gradients_without_a_mask():
    gradcheck(lambda q, k, v: attention(q, k, v), qkv(t=3, s=4, d=2, d_v=3))


def test_gradients_with_the_causal_mask():
    gradcheck(lambda q, k, v: attention(q, k, v, causal=True), qkv(t=4, s=4, d=3))


def test_gradients_with_an_explicit_mask():
    allowed = np.array([[True, False, True], [False, True, True], [True, True, False]])
    gradcheck(lambda q, k, v: attention(q, k, v, mask=allowed), qkv(t=3, s=3, d=2))


def test_gradients_with_the_mask_and_causal_together():
    allowed = np.array([[True, True, False, True]] * 4)
    gradcheck(lambda q, k, v: attention(q, k, v, mask=allowed, causal=True), qkv(t=4, s=4, d=2))


def test_a_fully_blocked_row_gives_zeros_and_passes_no_gradient():
    allowed = np.ones((2, 4, 5), dtype=bool)
    allowed[0, 1] = False  # query 1 of the first sequence may attend to nothing
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv(t=4, s=5))
    with np.errstate(all="raise"):  # any NaN, 0/0 or overflow would raise here
        out, weights = attention(q, k, v, mask=allowed, return_weights=True)
        out.backward(random(*out.shape, seed=5))
    assert np.all(out.data[0, 1] == 0) and np.all(weights.data[0, 1] == 0)
    np.testing.assert_allclose(weights.data.sum(axis=-1), np.where(allowed.any(axis=-1), 1.0, 0.0))
    assert np.all(q.grad[0, 1] == 0)
    assert all(np.isfinite(t.grad).all() for t in (q, k, v))
    gradcheck(lambda q, k, v: attention(q, k, v, mask=allowed), [q.data, k.data, v.data])


def test_causal_with_more_queries_than_keys_blocks_the_first_rows_entirely():
    q, k, v = qkv(t=4, s=2)
    out = attention(q, k, v, causal=True)
    assert np.all(out.data[:, :2] == 0) and np.all(out.data[:, 2:] != 0)
    gradcheck(lambda q, k, v: attention(q, k, v, causal=True), [q, k, v])


def test_batch_and_head_axes_broadcast():
    q = random(2, 3, 4, 2)  # (batch, heads, T, d)
    k = random(3, 5, 2, seed=1)  # one set of keys for every batch entry
    v = random(1, 1, 5, 2, seed=2)  # and one set of values for everything
    out = attention(q, k, v, causal=False).data
    expected = reference(q, np.broadcast_to(k, (2, 3, 5, 2)), np.broadcast_to(v, (2, 3, 5, 2)))[0]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    gradcheck(lambda q, k, v: attention(q, k, v), [q, k, v])


def test_returned_weights_are_outside_the_graph_and_read_only():
    q, k, v = (Tensor(a, requires_grad=True) for a in qkv())
    out, weights = attention(q, k, v, causal=True, return_weights=True)
    assert out.requires_grad and not weights.requires_grad and weights.shape == (2, 4, 4)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="read-only"):
        weights[0, 0, 0] = 1.0


def test_float32_stays_float32():
    q, k, v = (Tensor(a.astype(np.float32), requires_grad=True) for a in qkv())
    out = attention(q, k, v, causal=True)
    out.sum().backward()
    assert out.dtype == np.float32 and all(t.grad.dtype == np.float32 for t in (q, k, v))
    expected = reference(*(t.data.astype(np.float64) for t in (q, k, v)), np.tri(4, dtype=bool))[0]
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


def test_errors_name_the_function_and_the_shapes():
    q, k, v = qkv(t=3, s=4, d=2)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: q of shape \(2, 3, 2\) and k of shape"):
        attention(q, random(2, 4, 5), v)
    with pytest.raises(ValueError, match=r"k of shape \(2, 4, 2\) and v of shape \(2, 5, 3\).*\(4 != 5\)"):
        attention(q, k, random(2, 5, 3))
    with pytest.raises(ValueError, match=r"mask of shape \(3, 3\) does not broadcast to .*\(2, 3, 4\)"):
        attention(q, k, v, mask=np.ones((3, 3), dtype=bool))
    with pytest.raises(TypeError, match="mask must be boolean"):
        attention(q, k, v, mask=np.ones((3, 4)))
    with pytest.raises(ValueError, match="leading axes"):
        attention(q, random(3, 4, 2), v)
    with pytest.raises(ValueError, match=r"q needs shape \(\.\.\., length, width\)"):
        attention(q[0, 0], k, v)
    with pytest.raises(TypeError, match="k must hold floating-point values"):
        attention(q, np.ones((2, 4, 2), dtype=int), v)
