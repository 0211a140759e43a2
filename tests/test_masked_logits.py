"""Masked logits (issue 11, item 7): −inf is a value, NaN and +inf are not, and −inf never becomes NaN unnoticed.

Every answer is checked against an independent reference: the same function
of the unmasked entries alone, in plain NumPy (PyTorch 2.13 gives the same
numbers, checked by hand), and every gradient against central differences on
the unmasked entries, with exactly 0 at the masked ones.
"""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Tensor
from tensorgrad import functional as F
from tensorgrad.attention import scaled_dot_product_attention
from tensorgrad.rl import token_log_probs
from tensorgrad.sampling import sample, top_k

INF = np.inf
LOGITS = np.array([[-INF, 0.3, 1.2, -0.5], [2.0, -INF, -INF, 0.1], [0.4, -1.0, 0.9, -INF]])
WEIGHTS = np.random.default_rng(0).standard_normal(LOGITS.shape)


def reference_softmax(z):
    """softmax over each row's finite entries only, 0 elsewhere."""
    out = np.zeros_like(z)
    for i, row in enumerate(z):
        kept = np.isfinite(row)
        e = np.exp(row[kept] - row[kept].max())
        out[i, kept] = e / e.sum()
    return out


def masked_loss(function, z):
    """Σ w·out over the entries where ``function``'s output is finite (a −inf output takes no part)."""
    out = function(z)
    kept = np.isfinite(out.data)
    return (tg.where(kept, out, 0.0) * WEIGHTS.reshape(-1)[: out.size].reshape(out.shape)).sum()


def check_masked_gradient(function, z, h=1e-6):
    """backward() against central differences on the finite entries of z; exactly 0 at the −inf ones."""
    leaf = Tensor(z, requires_grad=True)
    masked_loss(function, leaf).backward()
    assert np.isfinite(leaf.grad).all()
    np.testing.assert_array_equal(leaf.grad[~np.isfinite(z)], 0.0)
    for index in zip(*np.nonzero(np.isfinite(z))):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        slope = (masked_loss(function, Tensor(up)).item() - masked_loss(function, Tensor(down)).item()) / (2 * h)
        assert leaf.grad[index] == pytest.approx(slope, rel=1e-5, abs=1e-7), index


# ---- answers: PyTorch's, from the unmasked entries alone ------------------------------------------
def test_softmax_of_masked_logits_is_the_softmax_of_the_rest():
    np.testing.assert_array_equal(F.softmax(np.array([-INF, 0.0])).data, [0.0, 1.0])
    np.testing.assert_allclose(F.softmax(LOGITS).data, reference_softmax(LOGITS), rtol=1e-14)
    np.testing.assert_allclose(F.softmax(LOGITS.T, axis=0).data, reference_softmax(LOGITS).T, rtol=1e-14)


def test_log_softmax_is_minus_inf_exactly_where_masked():
    out = F.log_softmax(LOGITS).data
    np.testing.assert_array_equal(out == -INF, LOGITS == -INF)
    kept = np.isfinite(LOGITS)
    np.testing.assert_allclose(out[kept], np.log(reference_softmax(LOGITS)[kept]), rtol=1e-13)


def test_cross_entropy_and_nll_loss_of_masked_logits():
    targets = np.array([2, 0, 1])
    expected = -np.log(reference_softmax(LOGITS)[np.arange(3), targets])
    np.testing.assert_allclose(F.cross_entropy(LOGITS, targets, reduction="none").data, expected, rtol=1e-13)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(LOGITS), targets).item(), expected.mean(), rtol=1e-13)


def test_an_ignored_row_may_be_all_masked():
    z = np.array([[0.0, 1.0], [-INF, -INF]])
    for loss in (F.cross_entropy(z, np.array([1, 0]), ignore_index=0), F.nll_loss(F.log_softmax(z[:1]), np.array([1]))):
        assert loss.item() == pytest.approx(np.log1p(np.exp(-1.0)))
    leaf = Tensor(z, requires_grad=True)
    F.cross_entropy(leaf, np.array([1, 0]), ignore_index=0).backward()
    np.testing.assert_array_equal(leaf.grad[1], [0.0, 0.0])


def test_entropy_and_kl_treat_zero_times_log_zero_as_zero():
    z = np.array([-INF, 0.3, 1.2])
    p = reference_softmax(z[None])[0, 1:]
    assert F.entropy(logits=z).item() == pytest.approx(-(p * np.log(p)).sum(), rel=1e-13)
    q_logits = np.array([-INF, -0.4, 2.0])
    q = reference_softmax(q_logits[None])[0, 1:]
    assert F.kl_divergence(p_logits=z, q_logits=q_logits).item() == pytest.approx((p * np.log(p / q)).sum(), rel=1e-12)
    assert F.kl_divergence(p_logits=z, q=np.array([0.0, 0.5, 0.5])).item() == pytest.approx(
        (p * np.log(p / 0.5)).sum(), rel=1e-12)


def test_logsumexp_skips_masked_entries():
    assert Tensor(LOGITS).logsumexp(axis=1).data == pytest.approx(
        [np.log(np.exp(row[np.isfinite(row)]).sum()) for row in LOGITS], rel=1e-14)


def test_attention_takes_a_float_mask_of_zeros_and_minus_inf_as_the_boolean_mask():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    allowed = rng.random((3, 5)) < 0.6
    allowed[:, 0] = True
    additive = np.where(allowed, 0.0, -INF)
    out = scaled_dot_product_attention(q, k, v, mask=additive).data
    np.testing.assert_array_equal(out, scaled_dot_product_attention(q, k, v, mask=allowed).data)
    scores = np.where(allowed, q @ k.swapaxes(-1, -2) / 2.0, -INF)
    np.testing.assert_allclose(out, np.stack([reference_softmax(s) for s in scores]) @ v, rtol=1e-12)
    tg.gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, mask=additive), [q, k, v])


def test_sampling_takes_a_tensor_with_masked_logits():
    drawn = sample(Tensor(np.array([[-INF, 0.0, -INF], [1.0, -INF, 1.0]])), rng=np.random.default_rng(0))
    assert drawn.tokens[0] == 1 and drawn.tokens[1] in (0, 2)
    np.testing.assert_array_equal(drawn.entropy, [0.0, np.log(2)])
    np.testing.assert_array_equal(top_k(Tensor(np.array([-INF, 2.0, 1.0])), 1), [-INF, 2.0, -INF])


# ---- gradients: central differences on the unmasked entries, 0 at the masked ones --------------------
GRADIENT_CASES = {
    "softmax": lambda z: F.softmax(z),
    "softmax axis 0": lambda z: F.softmax(z, axis=0) if np.isfinite(z.data).any(axis=0).all() else F.softmax(z),
    "softmax temperature": lambda z: F.softmax(z, temperature=0.7),
    "log_softmax": lambda z: F.log_softmax(z),
    "cross_entropy": lambda z: F.cross_entropy(z, np.array([2, 0, 1]), reduction="none"),
    "cross_entropy mean, ignored row": lambda z: F.cross_entropy(z, np.array([2, 1, 0]), ignore_index=1),
    "nll_loss of log_softmax": lambda z: F.nll_loss(F.log_softmax(z), np.array([1, 3, 2])),
    "entropy": lambda z: F.entropy(logits=z),
    "kl p_logits": lambda z: F.kl_divergence(p_logits=z, q_logits=np.tile([0.1, 0.2, -0.3, 0.4], (3, 1))),
    "kl q_logits": lambda z: F.kl_divergence(p_logits=np.where(np.isfinite(LOGITS), 0.5, -INF), q_logits=z),
    "logsumexp": lambda z: z.logsumexp(axis=1),
    "masked by where": lambda z: F.softmax(tg.where(np.isfinite(LOGITS), z, -INF)),
}


@pytest.mark.parametrize("name", GRADIENT_CASES)
def test_the_gradient_is_right_on_unmasked_entries_and_zero_on_masked_ones(name):
    z = np.where(np.isfinite(LOGITS), LOGITS, 0.0) if name == "masked by where" else LOGITS
    check_masked_gradient(GRADIENT_CASES[name], z)


# ---- what has no answer is an error naming the op and the row -------------------------------------------
NO_ANSWER = [
    ("softmax, a row all masked", lambda: F.softmax(np.array([[0.0, 1.0], [-INF, -INF]])), ["softmax", "row (1,)", "−inf"]),
    ("softmax axis 0", lambda: F.softmax(np.array([[0.0, -INF], [1.0, -INF]]), axis=0),
     ["softmax", "row (1,)", "axis 0"]),
    ("log_softmax", lambda: F.log_softmax(np.array([-INF, -INF])), ["log_softmax", "row ()"]),
    ("cross_entropy row", lambda: F.cross_entropy(np.array([[-INF, -INF], [0.0, 1.0]]), np.array([0, 1])),
     ["cross_entropy", "row (0,)"]),
    ("cross_entropy target", lambda: F.cross_entropy(np.array([[0.0, -INF]]), np.array([1])),
     ["cross_entropy", "row (0,)", "class 1", "−inf"]),
    ("nll_loss target", lambda: F.nll_loss(F.log_softmax(np.array([[0.0, -INF]])), np.array([1])),
     ["nll_loss", "row (0,)", "class 1"]),
    ("entropy", lambda: F.entropy(logits=np.array([-INF, -INF])), ["entropy", "−inf"]),
    ("kl, q masked where p is not", lambda: F.kl_divergence(p_logits=np.array([0.0, 0.0]), q_logits=np.array([0.0, -INF])),
     ["kl_divergence", "q_logits[1]", "infinite"]),
    ("token_log_probs of a masked token", lambda: token_log_probs(np.array([[[0.0, -INF]]]), np.array([[1]])),
     ["token_log_probs", "token 1", "(0, 0)"]),
    ("sample, a row all masked", lambda: sample(Tensor(np.array([[-INF, -INF]])), greedy=True), ["sample", "row (0,)"]),
]


@pytest.mark.parametrize("name, call, needles", NO_ANSWER, ids=[c[0] for c in NO_ANSWER])
def test_no_answer_is_an_error_naming_the_op_and_the_row(name, call, needles):
    with pytest.raises(ValueError) as caught:
        call()
    for needle in needles:
        assert needle in str(caught.value), f"{needle!r} missing from {caught.value}"


# ---- −inf never turns into NaN or +inf downstream -----------------------------------------------------
DOWNSTREAM = [
    ("x * 0", lambda x: x * 0.0, "mul"),
    ("x - x", lambda x: x - x, "sub"),
    ("-x", lambda x: -x, "neg"),
    ("x / x", lambda x: x / x, "div"),
    ("x @ w", lambda x: x @ Tensor([[0.0], [1.0]]), "matmul"),
    ("var", lambda x: x.var(), "var"),
    ("gelu", lambda x: x.gelu(), "gelu"),
    ("abs", lambda x: x.abs(), "abs"),
    ("x ** 2", lambda x: x**2, "pow"),
    ("logsumexp of nothing but −inf", lambda x: x[:1].logsumexp(), "logsumexp"),
    ("after a reshape", lambda x: x.reshape(2, 1) * 0.0, "mul"),
]


@pytest.mark.parametrize("name, call, op", DOWNSTREAM, ids=[c[0] for c in DOWNSTREAM])
def test_an_op_that_would_turn_minus_inf_into_nan_or_plus_inf_names_itself(name, call, op):
    x = Tensor([-INF, 1.0])
    with pytest.raises(ArithmeticError) as caught, np.errstate(all="ignore"):
        call(x)
    message = str(caught.value)
    assert message.startswith(f"{op}: ") and "at index" in message and "inf" in message


def test_ops_that_keep_minus_inf_pass_it_on_without_a_word():
    x = Tensor([-INF, 1.0], requires_grad=True)
    y = ((x + 2.0) * 3.0)[::-1].reshape(2, 1).max(axis=1)
    np.testing.assert_array_equal(y.data, [9.0, -INF])
    np.testing.assert_array_equal((x.exp() * 1.0).data, [0.0, np.e])


def test_nan_and_plus_inf_are_refused_where_they_enter():
    with pytest.raises(ValueError, match=r"Tensor: data contains NaN .*index \(1,\)"):
        Tensor([0.0, np.nan, -INF])
    with pytest.raises(ValueError, match=r"Tensor: data contains \+infinity .*index \(0,\)"):
        Tensor([INF, -INF])
    with pytest.raises(ValueError, match=r"softmax: row \(\) holds NaN"), np.errstate(all="ignore"):
        F.softmax(Tensor([1e200, 1.0]) * 1e200 - Tensor([1e200, 1.0]) * 1e200)


def test_the_float_mask_of_attention_takes_zeros_and_minus_inf_only():
    q = np.ones((2, 3))
    with pytest.raises(TypeError, match=r"scaled_dot_product_attention: mask must be boolean .* got nan"):
        scaled_dot_product_attention(q, q, q, mask=np.array([[0.0, np.nan]] * 2))
    with pytest.raises(OverflowError, match=r"scaled_dot_product_attention: the largest score of query \(0,\) is inf"), \
            np.errstate(over="ignore"):
        scaled_dot_product_attention(np.full((1, 2), 1e200), np.full((1, 2), 1e200), q[:1, :2])


def test_detect_anomaly_lets_masked_positions_pass_and_still_names_a_real_overflow():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        F.softmax(tg.where(np.array([True, False]), x, -INF)).sum().backward()
        with pytest.raises(FloatingPointError, match="detect_anomaly: the output of mul is inf"), np.errstate(over="ignore"):
            x * 1e308
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
