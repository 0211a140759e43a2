"""The one-dot-product finiteness test (``autograd.all_finite``) and the paths that use it.

Σx² is finite only if every x is, so one BLAS dot product answers the usual case. When it is not finite,
the entries may still all be finite (their squares overflowed): the exact pass must then say so, and
nothing that is finite may be refused.
"""

import numpy as np
import pytest

from tensorgrad import Tensor
from tensorgrad.autograd import all_finite
from tensorgrad.optim import SGD, AdamW
from tensorgrad.transformer import causal_mask


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_agrees_with_isfinite_on_every_kind_of_entry(dtype):
    huge = np.finfo(dtype).max / 2  # finite, but its square overflows
    cases = [
        np.array([1.0, -2.0]),
        np.array([huge, -huge]),
        np.array([np.nan, 1.0]),
        np.array([1.0, np.inf]),
        np.array([-np.inf]),
        np.array([huge, np.nan]),
        np.ones((3, 4))[:, ::2],  # not contiguous
        np.array(5.0),  # 0-d
        np.array([]),
    ]
    for case in cases:
        array = case.astype(dtype)
        assert all_finite(array) == bool(np.isfinite(array).all()), array


def test_a_finite_gradient_whose_squares_overflow_reaches_the_leaf():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (x * np.float32(1e30)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.float32(1e30))  # refusing it (NaN or inf) is tested in test_tensor_modes


def test_sgd_moves_a_weight_by_a_step_whose_square_overflows_and_refuses_an_infinite_one():
    p = Tensor(np.array([0.0, 0.0], dtype=np.float32), requires_grad=True)
    optimizer = SGD([p], lr=1.0)
    p.grad = np.array([1e30, 0.0], dtype=np.float32)
    optimizer.step()
    np.testing.assert_array_equal(p.data, np.array([-1e30, 0.0], dtype=np.float32))
    p.grad = np.array([1e38, 0.0], dtype=np.float32)  # a finite gradient, but 4·1e38 overflows float32
    with pytest.raises(FloatingPointError, match="this step would make"):
        SGD([p], lr=4.0).step()
    np.testing.assert_array_equal(p.data, np.array([-1e30, 0.0], dtype=np.float32))


def test_adamw_reuses_its_buffers_and_writes_each_parameter_its_own_new_weights():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.full(4, 2.0), requires_grad=True)
    optimizer = AdamW([a, b], lr=0.1, weight_decay=0.0)
    for _ in range(2):
        a.grad, b.grad = np.ones((2, 3)), -np.ones(4)
        optimizer.step()
    # Adam's step is lr·sign(g) while g is constant: two steps of 0.1 each
    np.testing.assert_allclose(a.data, np.full((2, 3), 0.8), rtol=1e-6)
    np.testing.assert_allclose(b.data, np.full(4, 2.2), rtol=1e-6)
    assert not np.shares_memory(a.data, optimizer.flat_w) and not np.shares_memory(b.data, optimizer.flat_w)


def test_the_shared_causal_mask_cannot_be_written():
    mask = causal_mask(4)
    assert mask is causal_mask(4)
    np.testing.assert_array_equal(mask, ~np.tri(4, dtype=bool))
    with pytest.raises(ValueError, match="read-only"):
        mask[0, 1] = False
