"""Tests for tensorgrad.functional: softmax family, losses, entropy, KL, layer_norm, dropout, penalties.

Values are compared with the textbook definitions in plain NumPy, gradients
with tensorgrad.gradcheck (float64, tiny shapes) and with closed forms.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorgrad import Tensor, gradcheck
from tensorgrad import functional as F

FAST = settings(max_examples=25, deadline=None)


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def reference_softmax(z, axis=-1):
    """The definition e^zᵢ / Σ e^zⱼ (safe for the small logits used with it)."""
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def backward_of(f, *arrays, dtype=np.float64):
    """f's value and the gradients of sum(f) with respect to each input."""
    tensors = [Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]
    out = f(*tensors)
    out.sum().backward()
    return out, [t.grad for t in tensors]


# ---- softmax and log_softmax (§4–§6) ---------------------------------------------------------


@FAST
@given(z=hnp.arrays(np.float64, (2, 5), elements=st.floats(-20, 20)))
def test_softmax_matches_the_definition_and_sums_to_one(z):
    probs = F.softmax(z).data
    np.testing.assert_allclose(probs, reference_softmax(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-12)


def test_softmax_gives_the_posts_probabilities():
    """§4: logits 5.2, 2.1, −0.8 become 95.4%, 4.3%, 0.2% (to a tenth of a point: 95.46% exactly)."""
    probs = F.softmax([5.2, 2.1, -0.8]).data
    np.testing.assert_allclose(probs, [0.954, 0.043, 0.002], atol=1e-3)


def test_temperature_divides_the_logits():
    """§6: softmax(z, T) = softmax(z / T); T = 0.5 turns the gap 3.1 into 6.2 (99.8% vs 0.2%)."""
    z = np.array([5.2, 2.1])
    np.testing.assert_allclose(F.softmax(z, temperature=0.5).data, reference_softmax(z / 0.5), rtol=1e-12)
    assert F.softmax(z, temperature=0.5).data[0] == pytest.approx(0.998, abs=5e-4)


def test_log_softmax_is_the_log_of_softmax():
    z = random(3, 4)
    np.testing.assert_allclose(F.log_softmax(z).data, np.log(reference_softmax(z)), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(z, axis=0).data, np.log(reference_softmax(z, axis=0)), rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_gradients(axis):
    z = random(3, 4)
    gradcheck(lambda x: F.softmax(x, axis=axis), z)
    gradcheck(lambda x: F.softmax(x, axis=axis, temperature=0.7), z)
    gradcheck(lambda x: F.log_softmax(x, axis=axis), z)


def test_softmax_jacobian_closed_form():
    """∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ): the row i of the Jacobian is what backward gives for s[i]."""
    z = np.array([0.3, -1.2, 2.0])
    s = reference_softmax(z)
    for i in range(3):
        x = Tensor(z, requires_grad=True)
        F.softmax(x)[i].backward()
        np.testing.assert_allclose(x.grad, s[i] * (np.eye(3)[i] - s), rtol=1e-12, atol=1e-15)


# ---- cross_entropy and nll_loss (§9) ----------------------------------------------------------------

LOGITS = random(4, 3, seed=1)
TARGETS = np.array([0, 2, 1, 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, 2])
def test_cross_entropy_and_nll_loss_gradients(reduction, ignore_index):
    gradcheck(lambda z: F.cross_entropy(z, TARGETS, ignore_index=ignore_index, reduction=reduction), LOGITS)
    gradcheck(lambda lp: F.nll_loss(lp, TARGETS, ignore_index=ignore_index, reduction=reduction), LOGITS)
    gradcheck(
        lambda z: F.nll_loss(F.log_softmax(z), TARGETS, ignore_index=ignore_index, reduction=reduction), LOGITS
    )


def test_cross_entropy_is_minus_log_softmax_at_the_target():
    per_row = -np.log(reference_softmax(LOGITS))[np.arange(4), TARGETS]
    np.testing.assert_allclose(F.cross_entropy(LOGITS, TARGETS, reduction="none").data, per_row, rtol=1e-12)
    assert F.cross_entropy(LOGITS, TARGETS, reduction="sum").item() == pytest.approx(per_row.sum(), rel=1e-12)
    assert F.cross_entropy(LOGITS, TARGETS).item() == pytest.approx(per_row.mean(), rel=1e-12)
    kept = TARGETS != 2
    ignored = F.cross_entropy(LOGITS, TARGETS, ignore_index=2)
    assert ignored.item() == pytest.approx(per_row[kept].mean(), rel=1e-12)


def test_cross_entropy_of_the_posts_examples():
    """§9: p = 0.9 on the right token costs 0.105, p = 0.1 costs 2.30."""
    logits = np.log([[0.9, 0.1], [0.1, 0.9]])
    losses = F.cross_entropy(logits, [0, 0], reduction="none").data
    np.testing.assert_allclose(losses, [0.105, 2.303], atol=5e-4)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    onehot = np.eye(3)[TARGETS]
    _, (grad,) = backward_of(lambda z: F.cross_entropy(z, TARGETS), LOGITS)
    np.testing.assert_allclose(grad, (reference_softmax(LOGITS) - onehot) / 4, rtol=0, atol=1e-12)
    _, (grad,) = backward_of(lambda z: F.cross_entropy(z, TARGETS, reduction="sum"), LOGITS)
    np.testing.assert_allclose(grad, reference_softmax(LOGITS) - onehot, rtol=0, atol=1e-12)


def test_ignored_rows_get_no_gradient_and_the_mean_counts_the_rest():
    kept = (TARGETS != 2)[:, None]
    expected = (reference_softmax(LOGITS) - np.eye(3)[TARGETS]) * kept / kept.sum()
    _, (grad,) = backward_of(lambda z: F.cross_entropy(z, TARGETS, ignore_index=2), LOGITS)
    np.testing.assert_allclose(grad, expected, rtol=0, atol=1e-12)


def test_cross_entropy_over_a_batch_of_sequences():
    """Logits (B, T, C) with targets (B, T), as a language model's loss: the same as flattening."""
    logits, targets = random(2, 3, 4, seed=2), np.array([[0, 3, 1], [2, 2, 0]])
    flat = F.cross_entropy(logits.reshape(6, 4), targets.reshape(6)).item()
    assert F.cross_entropy(logits, targets).item() == pytest.approx(flat, rel=1e-12)
    gradcheck(lambda z: F.cross_entropy(z, targets, ignore_index=0), logits)


def test_nll_loss_of_log_softmax_is_cross_entropy():
    for reduction in ("mean", "sum", "none"):
        fused = F.cross_entropy(LOGITS, TARGETS, ignore_index=1, reduction=reduction).data
        composed = F.nll_loss(F.log_softmax(LOGITS), TARGETS, ignore_index=1, reduction=reduction).data
        np.testing.assert_allclose(fused, composed, rtol=1e-12)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_all_targets_ignored(loss):
    """Chosen behaviour: the mean over no targets (0/0) is an error; the sum is 0 with zero gradient."""
    ignored = np.array([-100, -100])
    with pytest.raises(ValueError, match=rf"{loss.__name__}: reduction='mean'.*ignore_index=-100"):
        loss(LOGITS[:2], ignored, ignore_index=-100)
    value, (grad,) = backward_of(lambda z: loss(z, ignored, ignore_index=-100, reduction="sum"), LOGITS[:2])
    assert value.item() == 0.0
    assert not grad.any()


# ---- entropy and KL divergence (§8, §15) ----------------------------------------------------------


def test_entropy_values():
    """Uniform over C outcomes: log C nats; near-certain: ≈ 0; the definition −Σ p log p otherwise."""
    assert F.entropy(logits=np.zeros(4)).item() == pytest.approx(np.log(4), rel=1e-12)
    assert F.entropy(logits=[50.0, 0.0, 0.0]).item() == pytest.approx(0.0, abs=1e-18)
    z = random(3, 5)
    p = reference_softmax(z)
    np.testing.assert_allclose(F.entropy(logits=z).data, -(p * np.log(p)).sum(axis=-1), rtol=1e-12)
    p = reference_softmax(z, axis=0)
    np.testing.assert_allclose(F.entropy(logits=z, axis=0).data, -(p * np.log(p)).sum(axis=0), rtol=1e-12)


def test_kl_divergence_values_and_both_directions():
    """KL(p‖q) = H(p, q) − H(p) ≥ 0, zero only for p = q, and not symmetric."""
    zp, zq = random(2, 4, seed=3), random(2, 4, seed=4)
    p, q = reference_softmax(zp), reference_softmax(zq)
    forward = F.kl_divergence(p_logits=zp, q_logits=zq).data
    reverse = F.kl_divergence(p_logits=zq, q_logits=zp).data
    np.testing.assert_allclose(forward, (p * np.log(p / q)).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(reverse, (q * np.log(q / p)).sum(-1), rtol=1e-12)
    cross_entropy = -(p * np.log(q)).sum(-1)
    np.testing.assert_allclose(forward, cross_entropy - F.entropy(logits=zp).data, rtol=1e-12)
    assert (forward > 0).all() and not np.allclose(forward, reverse)
    np.testing.assert_allclose(F.kl_divergence(p_logits=zp, q_logits=zp + 3.0).data, 0.0, atol=1e-15)  # a shift is the same p


def test_entropy_and_kl_gradients():
    zp, zq = random(2, 4, seed=3), random(2, 4, seed=4)
    gradcheck(lambda z: F.entropy(logits=z), zp)
    gradcheck(lambda z: F.entropy(logits=z, axis=0), zp)
    gradcheck(lambda p, q: F.kl_divergence(p_logits=p, q_logits=q), [zp, zq])
    gradcheck(lambda p, q: F.kl_divergence(p_logits=q, q_logits=p), [zp, zq])


# ---- numerical stability: extreme logits ----------------------------------------------------------

EXTREME = {
    "±1e4": [[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]],
    "all equal": [[7.0, 7.0, 7.0], [-1e4, -1e4, -1e4]],
    "one huge": [[1e4, 0.0, 0.0], [0.0, 0.0, 1e4]],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", EXTREME)
def test_extreme_logits_give_finite_values_and_gradients(case, dtype):
    z = np.array(EXTREME[case])
    targets = np.array([1, 0])
    functions = {
        "softmax": F.softmax,
        "log_softmax": F.log_softmax,
        "cross_entropy": lambda x: F.cross_entropy(x, targets),
        "nll_loss": lambda x: F.nll_loss(F.log_softmax(x), targets),
        "entropy": lambda x: F.entropy(logits=x),
        "kl p‖q": lambda x: F.kl_divergence(p_logits=x, q_logits=x[::-1]),
        "kl q‖p": lambda x: F.kl_divergence(p_logits=x[::-1], q_logits=x),
    }
    for name, f in functions.items():
        value, (grad,) = backward_of(f, z, dtype=dtype)
        assert np.isfinite(value.data).all(), name
        assert np.isfinite(grad).all(), name


def test_extreme_logits_give_the_right_values():
    z = np.array([[1e4, -1e4, 0.0]])
    np.testing.assert_array_equal(F.softmax(z).data, [[1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(F.log_softmax(z).data, [[0.0, -2e4, -1e4]])
    assert F.cross_entropy(z, [0]).item() == 0.0
    assert F.cross_entropy(z, [1]).item() == 2e4
    assert F.entropy(logits=z).item() == 0.0
    np.testing.assert_allclose(F.softmax(np.full((1, 3), 1e4)).data, 1 / 3, rtol=1e-15)
    _, (grad,) = backward_of(lambda x: F.cross_entropy(x, [1]), z)
    np.testing.assert_array_equal(grad, [[1.0, -1.0, 0.0]])  # softmax − onehot, exactly


# ---- float32 stays float32 ----------------------------------------------------------------------------


def test_float32_in_float32_out():
    z, zq = random(3, 4).astype(np.float32), random(3, 4, seed=5).astype(np.float32)
    w, b = np.ones(4, np.float32), np.zeros(4, np.float32)
    targets = np.array([0, 3, 1])
    cases = {
        "softmax": (lambda x: F.softmax(x, temperature=0.5), [z]),
        "log_softmax": (F.log_softmax, [z]),
        "cross_entropy mean": (lambda x: F.cross_entropy(x, targets, ignore_index=3), [z]),
        "cross_entropy none": (lambda x: F.cross_entropy(x, targets, reduction="none"), [z]),
        "nll_loss": (lambda x: F.nll_loss(x, targets), [z]),
        "entropy": (lambda x: F.entropy(logits=x), [z]),
        "kl": (lambda p, q: F.kl_divergence(p_logits=p, q_logits=q), [z, zq]),
        "layer_norm": (F.layer_norm, [z, w, b]),
        "dropout": (lambda x: F.dropout(x, 0.5, rng=np.random.default_rng(0)), [z]),
        "l1 + l2": (lambda x, y: F.l1([x, y]) + F.l2([x, y]), [z, zq]),
    }
    for name, (f, inputs) in cases.items():
        value, grads = backward_of(f, *inputs, dtype=np.float32)
        assert value.dtype == np.float32, name
        assert all(g.dtype == np.float32 for g in grads), name


# ---- bad inputs: errors name the function and the shapes or values ------------------------------------


def test_float_targets_are_refused():
    with pytest.raises(TypeError, match=r"cross_entropy: targets must be integer.*float64"):
        F.cross_entropy(LOGITS, TARGETS.astype(float))
    with pytest.raises(TypeError, match=r"nll_loss: targets must be integer.*float32"):
        F.nll_loss(LOGITS, TARGETS.astype(np.float32))


def test_targets_out_of_range_are_refused():
    with pytest.raises(IndexError, match=r"cross_entropy: targets must lie in \[0, 3\).*got 3 at index \(1,\)"):
        F.cross_entropy(LOGITS, [0, 3, 1, 2])
    with pytest.raises(IndexError, match=r"nll_loss: targets must lie in \[0, 3\).*got -1"):
        F.nll_loss(LOGITS, [0, -1, 1, 2])
    with pytest.raises(IndexError, match=r"got 5"):  # ignore_index excuses only itself
        F.cross_entropy(LOGITS, [0, 5, -100, 2], ignore_index=-100)


def test_shape_mismatch_names_both_shapes():
    message = r"cross_entropy: logits of shape \(4, 3\) need targets of shape \(4,\), got targets of shape \(3,\)"
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(LOGITS, [0, 1, 2])
    with pytest.raises(ValueError, match=r"nll_loss: log_probs of shape \(4, 3\).*shape \(4, 1\)"):
        F.nll_loss(LOGITS, TARGETS[:, None])


def test_other_bad_inputs():
    with pytest.raises(ValueError, match=r"cross_entropy: reduction must be one of .*'avg'"):
        F.cross_entropy(LOGITS, TARGETS, reduction="avg")
    for p in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=rf"dropout: p must lie in \[0, 1\), got {p}"):
            F.dropout(LOGITS, p, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="dropout: rng must be a numpy Generator"):
        F.dropout(LOGITS, 0.5)
    with pytest.raises(ValueError, match="softmax: temperature must be > 0, got 0"):
        F.softmax(LOGITS, temperature=0)
    with pytest.raises(ValueError, match=r"log_softmax: axis 2 is out of range"):
        F.log_softmax(LOGITS, axis=2)
    with pytest.raises(ValueError, match=r"kl_divergence: p_logits of shape \(4, 3\) and q_logits of shape \(3,\)"):
        F.kl_divergence(p_logits=LOGITS, q_logits=LOGITS[0])
    message = r"layer_norm: input of shape \(4, 3\) needs weight and bias of shape \(3,\), got \(4,\) and \(3,\)"
    with pytest.raises(ValueError, match=message):
        F.layer_norm(LOGITS, np.ones(4), np.zeros(3))
    with pytest.raises(TypeError, match="softmax: expected floating-point values, got dtype int64"):
        F.softmax(np.arange(3))
    with pytest.raises(ValueError, match="l2: needs at least one tensor"):
        F.l2([])


# ---- layer_norm ----------------------------------------------------------------------------------------


def test_layer_norm_normalises_each_row():
    x = random(3, 5) * 4 + 2
    out = F.layer_norm(x, np.ones(5), np.zeros(5), eps=1e-12).data
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=-1), 1, rtol=1e-9)
    w, b = random(5, seed=1), random(5, seed=2)
    np.testing.assert_allclose(F.layer_norm(x, w, b, eps=1e-12).data, out * w + b, rtol=1e-12)


def test_layer_norm_gradient_for_all_three_inputs():
    x, w, b = random(2, 3, 4), random(4, seed=1), random(4, seed=2)
    gradcheck(F.layer_norm, [x, w, b])
    gradcheck(lambda x, w, b: F.layer_norm(x, w, b, eps=0.5), [x[0], w, b])


# ---- dropout --------------------------------------------------------------------------------------------


def test_dropout_keeps_the_mean_and_drops_the_right_fraction():
    """n = 200 000 ones, p = 0.3: the kept fraction's standard error is 0.001 and the mean's 0.0015.

    The tolerances (0.01) are over 6 standard errors, and a dropout without the
    1/(1 − p) scaling (mean 0.7) or with the wrong p misses them by far.
    """
    x = np.ones(200_000)
    out = F.dropout(x, 0.3, training=True, rng=np.random.default_rng(0)).data
    assert np.mean(out == 0) == pytest.approx(0.3, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.01)
    assert set(np.unique(out)) == {0.0, 1 / 0.7}


def test_dropout_is_the_identity_in_eval_or_with_p_zero():
    x = Tensor(random(3, 4), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0, rng=np.random.default_rng(0)) is x


def test_dropout_gradient_is_the_mask_and_the_seed_fixes_it():
    x = random(4, 5)
    value, (grad,) = backward_of(lambda t: F.dropout(t, 0.5, rng=np.random.default_rng(7)), x)
    np.testing.assert_array_equal(grad, (value.data != 0) * 2.0)
    again = F.dropout(x, 0.5, rng=np.random.default_rng(7)).data
    np.testing.assert_array_equal(again, value.data)
    gradcheck(lambda t: F.dropout(t, 0.5, rng=np.random.default_rng(7)), x)


# ---- penalties (§11) ------------------------------------------------------------------------------------


def test_l1_and_l2_values_and_gradients():
    """§11: weights 5, 2, 0.3, −3 have L2 penalty 25 + 4 + 0.09 + 9 and gradient (pull) 2w."""
    w = Tensor([5.0, 2.0, 0.3, -3.0], requires_grad=True)
    m = Tensor([[1.0, -2.0]], requires_grad=True)
    assert F.l2([w]).item() == pytest.approx(38.09, rel=1e-12)
    assert F.l1([w, m]).item() == pytest.approx(10.3 + 3.0, rel=1e-12)
    F.l2([w, m]).backward()
    np.testing.assert_array_equal(w.grad, [10.0, 4.0, 0.6, -6.0])
    assert F.l1(w).item() == pytest.approx(10.3)  # a single tensor works too
    gradcheck(lambda a, b: F.l1([a, b]), [random(2, 3), random(4, seed=1)])
    gradcheck(lambda a, b: F.l2([a, b]), [random(2, 3), random(4, seed=1)])


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_linear_matches_finite_differences(x_shape, with_bias):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=x_shape), rng.normal(size=(4, 5))] + ([rng.normal(size=5)] if with_bias else [])
    gradcheck(lambda *t: F.linear(*t), arrays)
    expected = arrays[0] @ arrays[1] + (arrays[2] if with_bias else 0)
    np.testing.assert_allclose(F.linear(*[Tensor(a) for a in arrays]).data, expected, atol=1e-14)


def test_fused_linear_skips_the_gradient_of_data_that_needs_none():
    x = Tensor(np.ones((3, 4)))
    w = Tensor(np.ones((4, 2)), requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, np.full((4, 2), 3.0))


def test_fused_linear_names_the_shapes_that_do_not_fit():
    with pytest.raises(ValueError, match=r"linear: input of shape \(3, 5\) does not fit weight of shape \(4, 2\)"):
        F.linear(Tensor(np.ones((3, 5))), Tensor(np.ones((4, 2))))
