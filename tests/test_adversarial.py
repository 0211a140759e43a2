"""The hostile user (issue 11, item 13): every bad input is a clear error that names the op and the value or shape.

One table per area. Each case is a short call, the error type it must raise,
and the words its message must contain: the op's (or function's) name and
the value, index or shapes at fault. None of them may pass silently, return
a NaN or an infinity, or end in a raw NumPy traceback.
"""

import math

import numpy as np
import pytest

import scalargrad as sg
import tensorgrad as tg
from scalargrad import Value
from scalargrad import functional as SF
from tensorgrad import Tensor
from tensorgrad import functional as F
from tensorgrad.attention import scaled_dot_product_attention as attention
from tensorgrad.nn import MLP, Linear
from tensorgrad.optim import SGD, Adam, AdamW, clip_grad_norm
from tensorgrad.rl import (
    advantages,
    aggregate,
    clipped_surrogate_loss,
    reinforce_loss,
    token_log_probs,
)
from tensorgrad.sampling import sample, temperature, top_k, top_p

INF, NAN = math.inf, math.nan


def ones(*shape):
    return Tensor(np.ones(shape))


def leaf(*values):
    return Tensor(np.array(values, dtype=float), requires_grad=True)


def with_gradient(optimizer_class, grad, data=(1.0, 2.0), **settings):
    """An optimizer over one parameter whose gradient is ``grad``; calling it takes a step."""
    p = leaf(*data)
    p.grad = np.array(grad, dtype=float)
    return optimizer_class([p], **settings).step


def backward_of(build):
    """Build a loss from a leaf, then backward(): for errors that only the backward pass can see."""
    x = leaf(1e-150, 1.0)
    x.label = "x"
    return lambda: build(x).backward()


def written_between_forward_and_backward():
    layer = Linear(2, 1)
    loss = layer(np.ones((1, 2))).sum()
    layer.weight.data -= 1.0  # an in-place update the pending backward would miss
    loss.backward()


def nested_grad_through_fused(op):
    x = leaf(0.1, 0.2, 0.3)
    (g,) = tg.grad(op(x).sum() if op is not F.cross_entropy else op(x[None], np.array([0])), [x], create_graph=True)
    return g


def diverging_mlp():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = (x[:, :1] * x[:, 1:] > 0).astype(float)
    model = MLP(2, [16, 16, 1], activation="tanh", rng=0)
    optimizer = SGD(model.named_parameters(), lr=5)
    for _ in range(500):
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


SCALARGRAD = [
    ("Value of a string", lambda: Value("1"), TypeError, ["Value", "'1'"]),
    ("Value of None", lambda: Value(None), TypeError, ["Value", "None"]),
    ("Value of NaN", lambda: Value(NAN), ValueError, ["Value", "nan"]),
    ("Value of -inf", lambda: Value(-INF), ValueError, ["Value", "-inf"]),
    ("division by zero", lambda: Value(3.0) / 0, ValueError, ["div", "3.0", "0"]),
    ("log of 0", lambda: Value(0.0).log(), ValueError, ["log", "0.0"]),
    ("log of a negative", lambda: Value(-1.0).log(), ValueError, ["log", "-1.0"]),
    ("sqrt of a negative", lambda: Value(-4.0).sqrt(), ValueError, ["sqrt", "-4.0"]),
    ("negative base, fractional power", lambda: Value(-8.0) ** (1 / 3), ValueError, ["pow", "-8.0", "fractional"]),
    ("0 to a negative power", lambda: Value(0.0) ** -1, ValueError, ["pow", "0"]),
    ("exp overflow", lambda: Value(1000.0).exp(), OverflowError, ["exp", "1000"]),
    ("mul overflow", lambda: Value(1e200) * Value(1e200), OverflowError, ["mul", "1e+200", "overflows"]),
    ("adding NaN", lambda: Value(1.0) + NAN, ValueError, ["add", "nan"]),
    ("a power beyond float", lambda: Value(2.0) ** 10**400, ValueError, ["pow", "inf"]),
    ("softmax of nothing", lambda: SF.softmax([]), ValueError, ["softmax"]),
    ("scalar cross_entropy target out of range", lambda: SF.cross_entropy([Value(1.0), Value(2.0)], 5), ValueError,
     ["cross_entropy", "5"]),
    ("entropy of a bare list", lambda: SF.entropy([0.5, 0.5]), TypeError, ["entropy", "probs="]),
    ("kl with q = 0 where p > 0", lambda: SF.kl_divergence(p=[0.5, 0.5], q=[1.0, 0.0]), ValueError,
     ["kl_divergence", "infinite"]),
    ("backward seed NaN", lambda: (Value(2.0) * 3).backward(NAN), ValueError, ["backward", "nan"]),
    ("grad of a non-Value", lambda: sg.grad(Value(1.0) * 2, [1.0]), TypeError, ["grad"]),
]

TENSOR_INPUTS = [
    ("Tensor of a string", lambda: Tensor("abc"), TypeError, ["Tensor", "abc"]),
    ("Tensor of None", lambda: Tensor(None), TypeError, ["Tensor", "None"]),
    ("Tensor of NaN", lambda: Tensor([1.0, NAN]), ValueError, ["Tensor", "NaN", "(1,)"]),
    ("Tensor of +inf", lambda: Tensor([INF]), ValueError, ["Tensor", "+infinity", "(0,)"]),
    ("an int tensor requiring grad", lambda: Tensor(np.array([1, 2]), requires_grad=True), TypeError,
     ["Tensor", "int64"]),
    ("log of a negative entry", lambda: Tensor([1.0, -2.0]).log(), ValueError, ["log", "-2.0", "(1,)"]),
    ("sqrt of a negative entry", lambda: Tensor([4.0, -0.5]).sqrt(), ValueError, ["sqrt", "-0.5", "(1,)"]),
    ("division by a zero entry", lambda: Tensor([1.0, 2.0]) / Tensor([3.0, 0.0]), ValueError, ["div", "zero", "(1,)"]),
    ("negative base, fractional power", lambda: Tensor([-8.0]) ** (1 / 3), ValueError, ["pow", "-8.0", "fractional"]),
    ("an int array to a negative power, with 0", lambda: Tensor(np.array([0, 2])) ** -1, ValueError, ["pow", "0"]),
    ("exp overflow", lambda: Tensor([1.0, 800.0]).exp(), OverflowError, ["exp", "overflow", "(1,)"]),
    ("an array exponent", lambda: ones(2) ** np.array([1.0, 2.0]), TypeError, ["pow", "ndarray"]),
    ("a string exponent", lambda: ones(2) ** "2", TypeError, ["pow", "str"]),
    ("negation of a bool array", lambda: -Tensor(np.array([True, False])), TypeError, ["neg", "bool"]),
    ("shapes that do not broadcast", lambda: ones(2, 3) + ones(4), ValueError, ["add", "(2, 3)", "(4,)"]),
    ("matmul misaligned", lambda: ones(2, 3) @ ones(2, 3), ValueError, ["matmul", "(2, 3)"]),
    ("index out of range", lambda: ones(2, 3)[5], IndexError, ["getitem", "5", "(2, 3)"]),
    ("reshape to another size", lambda: ones(2, 3).reshape(4, 2), ValueError, ["reshape", "(2, 3)"]),
    ("where with an int condition", lambda: tg.where(np.array([1, 0]), ones(2), 0.0), TypeError, ["where", "int64"]),
    ("clip with low above high", lambda: ones(2).clip(1.0, -1.0), ValueError, ["clip", "1.0", "-1.0"]),
    ("linear of the wrong width", lambda: F.linear(ones(2, 3), ones(4, 5)), ValueError, ["linear", "(2, 3)", "(4, 5)"]),
    ("layer_norm weight shape", lambda: F.layer_norm(ones(2, 3), ones(4), ones(3)), ValueError, ["layer_norm", "(4,)"]),
    ("dropout probability", lambda: F.dropout(ones(2), p=1.5), ValueError, ["dropout", "1.5"]),
    ("softmax temperature 0", lambda: F.softmax(ones(2), temperature=0), ValueError, ["softmax", "temperature", "0"]),
    ("cross_entropy float targets", lambda: F.cross_entropy(ones(2, 3), np.array([0.0, 1.0])), TypeError,
     ["cross_entropy", "float64"]),
    ("cross_entropy target out of range", lambda: F.cross_entropy(ones(2, 3), np.array([0, 3])), IndexError,
     ["cross_entropy", "3", "(1,)"]),
    ("mse_loss shapes", lambda: F.mse_loss(ones(2, 1), ones(2)), ValueError, ["mse_loss", "(2, 1)", "(2,)"]),
    ("sample without a generator", lambda: sample(np.zeros((1, 3))), TypeError, ["sample", "rng"]),
    ("top_p of 0", lambda: top_p(np.zeros(3), 0.0), ValueError, ["top_p", "0.0"]),
    ("top_k of 0", lambda: top_k(np.zeros(3), 0), ValueError, ["top_k", "0"]),
]

DEGENERATE_SHAPES = [
    ("softmax over a size-0 axis", lambda: F.softmax(np.zeros((2, 0))), ValueError, ["softmax", "(2, 0)", "empty"]),
    ("log_softmax of nothing", lambda: F.log_softmax(np.zeros(0)), ValueError, ["log_softmax", "(0,)"]),
    ("entropy over a size-0 axis", lambda: F.entropy(logits=np.zeros((2, 0))), ValueError, ["entropy", "(2, 0)"]),
    ("logsumexp of nothing", lambda: Tensor(np.zeros(0)).logsumexp(), ValueError, ["logsumexp", "(0,)"]),
    ("mean of nothing", lambda: Tensor(np.zeros((0, 2))).mean(axis=0), ValueError, ["mean", "(0, 2)"]),
    ("max of nothing", lambda: Tensor(np.zeros(0)).max(), ValueError, ["max", "(0,)"]),
    ("attention with no keys", lambda: attention(np.ones((2, 3)), np.ones((0, 3)), np.ones((0, 3))), ValueError,
     ["scaled_dot_product_attention", "(0, 3)"]),
    ("attention with head width 0", lambda: attention(np.ones((2, 0)), np.ones((2, 0)), np.ones((2, 3))), ValueError,
     ["scaled_dot_product_attention", "(2, 0)"]),
    ("attention of a vector", lambda: attention(np.ones(3), np.ones((2, 3)), np.ones((2, 3))), ValueError,
     ["scaled_dot_product_attention", "(3,)"]),
    ("cross_entropy of a scalar", lambda: F.cross_entropy(Tensor(1.0), np.array(0)), ValueError,
     ["cross_entropy", "class axis"]),
    ("item of many", lambda: ones(2).item(), ValueError, ["item", "(2,)"]),
    ("bool of many", lambda: bool(ones(2)), ValueError, ["bool", "(2,)"]),
    ("sample from no vocabulary", lambda: sample(np.zeros((2, 0)), greedy=True), ValueError, ["sample", "(2, 0)"]),
    ("advantages of no rewards", lambda: advantages([]), ValueError, ["advantages", "(0,)"]),
]

NON_FINITE = [
    ("softmax of NaN made by x*x − x*x", lambda: F.softmax(Tensor([1e200, 1.0]) * 1e200 - Tensor([1e200, 1.0]) * 1e200),
     ValueError, ["softmax", "NaN"]),
    ("cross_entropy beyond a float", lambda: F.cross_entropy(Tensor([[1e308, -1e308]]), np.array([1])), OverflowError,
     ["cross_entropy", "row (0,)", "inf"]),
    ("mse_loss overflow", lambda: F.mse_loss(Tensor([1e200]), Tensor([-1e200])), OverflowError, ["mse_loss", "inf"]),
    ("l2 overflow", lambda: F.l2([Tensor([1e200, 1.0])]), OverflowError, ["l2", "inf"]),
    ("reinforce_loss overflow", lambda: reinforce_loss(Tensor([[-1e308, -1e308]]), [1e10], np.ones((1, 2), bool)),
     OverflowError, ["reinforce_loss", "inf"]),
    ("a ratio that overflows", lambda: clipped_surrogate_loss(Tensor([[800.0]]), [[0.0]], [1.0], [[True]]),
     OverflowError, ["clipped_surrogate_loss", "ratio", "overflow"]),
    ("aggregate overflow", lambda: aggregate(Tensor([[1e308, 1e308]]), np.ones((1, 2), bool), "token_mean"),
     OverflowError, ["aggregate", "inf"]),
    ("infinite gradient at a leaf", backward_of(lambda x: ((1.0 / x) * 1e10).sum()), FloatingPointError,
     ["backward", "'x'", "-inf", "detect_anomaly"]),
    ("NaN seed", lambda: (leaf(1.0, 2.0) * 2).backward(np.array([1.0, NAN])), ValueError, ["backward", "seed", "NaN"]),
    ("detect_anomaly names mul", lambda: _under_anomaly(lambda: leaf(1e200) * leaf(1e200)), FloatingPointError,
     ["detect_anomaly", "mul", "inf", "test_adversarial.py"]),
    ("NaN written into .data", lambda: setattr(ones(2), "data", np.array([0.0, NAN])), ValueError,
     ["Tensor.data", "NaN", "(1,)"]),
    ("softmax of an array with NaN", lambda: F.softmax(np.array([0.0, NAN])), ValueError,
     ["softmax", "NaN", "(1,)"]),
    ("cross_entropy of a list with +inf", lambda: F.cross_entropy([[0.0, INF]], np.array([0])), ValueError,
     ["cross_entropy", "+infinity", "(0, 1)"]),
    ("attention of q with NaN", lambda: attention(np.array([[NAN, 1.0]]), np.ones((1, 2)), np.ones((1, 2))),
     ValueError, ["scaled_dot_product_attention", "q", "NaN"]),
    ("sampling NaN logits", lambda: sample(np.array([[0.0, NAN]]), greedy=True), ValueError, ["sample", "NaN", "(0, 1)"]),
    ("top_p of +inf logits", lambda: top_p(np.array([0.0, INF]), 0.5), ValueError, ["top_p", "+inf"]),
    ("temperature of inf", lambda: temperature(np.zeros(2), INF), ValueError, ["temperature", "inf"]),
    ("infinite rewards", lambda: advantages([1.0, INF], "batch_mean"), ValueError, ["advantages", "infinite", "(1,)"]),
]

MASKED_LOGITS = [
    ("softmax of a row all −inf", lambda: F.softmax(np.array([[0.0, 1.0], [-INF, -INF]])), ValueError,
     ["softmax", "row (1,)", "−inf"]),
    ("log_softmax of a row all −inf", lambda: F.log_softmax(Tensor([-INF, -INF])), ValueError, ["log_softmax", "−inf"]),
    ("cross_entropy at a masked target", lambda: F.cross_entropy(np.array([[0.0, -INF]]), np.array([1])), ValueError,
     ["cross_entropy", "row (0,)", "class 1", "−inf"]),
    ("cross_entropy of a row all −inf", lambda: F.cross_entropy(np.array([[-INF, -INF]]), np.array([0])), ValueError,
     ["cross_entropy", "row (0,)"]),
    ("nll_loss at a masked target", lambda: F.nll_loss(Tensor([[0.0, -INF]]), np.array([1])), ValueError,
     ["nll_loss", "row (0,)", "class 1"]),
    ("masked × 0", lambda: Tensor([-INF, 1.0]) * 0.0, FloatingPointError, ["mul", "−inf", "nan", "(0,)"]),
    ("masked − masked", lambda: _minus_itself(Tensor([-INF, 1.0])), FloatingPointError, ["sub", "nan", "(0,)"]),
    ("−masked", lambda: -Tensor([-INF, 1.0]), FloatingPointError, ["neg", "inf", "(0,)"]),
    ("masked through matmul", lambda: Tensor([[-INF, 1.0]]) @ Tensor([[0.0], [1.0]]), FloatingPointError,
     ["matmul", "nan"]),
    ("kl with q masked where p is not", lambda: F.kl_divergence(p_logits=np.zeros(2), q_logits=np.array([0.0, -INF])),
     ValueError, ["kl_divergence", "q_logits[1]", "infinite"]),
    ("attention float mask of ones", lambda: attention(np.ones((2, 2)), np.ones((2, 2)), np.ones((2, 2)),
                                                       mask=np.ones((2, 2))), TypeError,
     ["scaled_dot_product_attention", "mask", "1.0", "(0, 0)"]),
    ("attention scores overflow", lambda: attention(np.full((1, 2), 1e200), np.full((1, 2), 1e200), np.ones((1, 2))),
     OverflowError, ["scaled_dot_product_attention", "query (0,)", "inf"]),
    ("sampling a row all −inf", lambda: sample(Tensor([[0.0, 1.0], [-INF, -INF]]), greedy=True), ValueError,
     ["sample", "row (1,)", "−inf"]),
    ("a masked token's log-probability", lambda: token_log_probs(np.array([[[0.0, -INF]]]), np.array([[1]])),
     ValueError, ["token_log_probs", "token 1", "(0, 0)", "−inf"]),
    ("NaN beside −inf", lambda: Tensor([-INF, NAN]), ValueError, ["Tensor", "NaN", "(1,)"]),
]

OPTIMIZERS = [
    ("SGD with a NaN gradient", with_gradient(SGD, [0.0, NAN], lr=0.1), FloatingPointError,
     ["SGD", "parameter 0 of shape (2,)", "nan", "(1,)", "no parameter was changed"]),
    ("AdamW with an infinite gradient", with_gradient(AdamW, [INF, 0.0]), FloatingPointError,
     ["AdamW", "parameter 0 of shape (2,)", "inf", "(0,)"]),
    ("SGD stepping a weight past float", with_gradient(SGD, [1e308, 0.0], data=(-1.79e308, 0.0), lr=1.0),
     FloatingPointError, ["SGD", "would make parameter 0", "-inf", "(0,)", "lr=1"]),
    ("Adam with a gradient whose square overflows", with_gradient(Adam, [1e200, 0.0]), FloatingPointError,
     ["Adam", "parameter 0", "1e+200", "square overflows"]),
    ("clip_grad_norm of a NaN gradient", lambda: clip_grad_norm([_with_grad([NAN])], 1.0), FloatingPointError,
     ["clip_grad_norm", "parameter 0", "nan"]),
    ("SGD with a negative lr", lambda: SGD([leaf(1.0)], lr=-1), ValueError, ["SGD", "lr", "-1"]),
    ("AdamW with bad betas", lambda: AdamW([leaf(1.0)], betas=(0.9, 1.0)), ValueError, ["AdamW", "betas", "1.0"]),
    ("SGD with no parameters", lambda: SGD([], lr=0.1), ValueError, ["SGD", "no parameters"]),
    ("SGD given a constant", lambda: SGD([ones(2)], lr=0.1), TypeError, ["SGD", "requires_grad"]),
    ("an MLP at lr = 5 diverging", diverging_mlp, OverflowError, ["mse_loss", "the loss is inf"]),
]

MODES_AND_COMPARISONS = [
    ("backward of a constant", lambda: (ones(2) * 2).sum().backward(), RuntimeError, ["backward", "require grad"]),
    ("backward of a vector without a seed", lambda: (leaf(1.0, 2.0) * 2).backward(), RuntimeError,
     ["backward", "(2,)", "seed"]),
    ("backward under no_grad", lambda: _under_no_grad(lambda: (leaf(1.0) * 2).sum().backward()), RuntimeError,
     ["backward", "no_grad"]),
    ("grad of an input that needs none", lambda: tg.grad((leaf(1.0) * 2).sum(), [ones(1)]), RuntimeError,
     ["grad", "input 0", "(1,)"]),
    ("create_graph through softmax", lambda: nested_grad_through_fused(F.softmax), RuntimeError,
     ["softmax", "create_graph"]),
    ("create_graph through cross_entropy", lambda: nested_grad_through_fused(F.cross_entropy), RuntimeError,
     ["cross_entropy", "create_graph"]),
    ("setitem on a parameter", lambda: leaf(1.0, 2.0).__setitem__(0, 5.0), RuntimeError, ["setitem", "no_grad"]),
    ("a write between forward and backward", written_between_forward_and_backward, RuntimeError,
     ["backward through linear", "modified in place"]),
    ("== of shapes that do not broadcast", lambda: ones(2) == ones(3), ValueError, ["==", "(2,)", "(3,)"]),
    ("< of shapes that do not broadcast", lambda: ones(2, 3) < np.ones(4), ValueError, ["<", "(2, 3)", "(4,)"]),
    ("< against a string", lambda: ones(2) < "a", TypeError, ["<", "Tensor", "str"]),
    ("where with a float tensor condition", lambda: tg.where(ones(2), ones(2), 0.0), TypeError, ["where", "float64"]),
]

CASES = SCALARGRAD + TENSOR_INPUTS + DEGENERATE_SHAPES + NON_FINITE + MASKED_LOGITS + OPTIMIZERS + MODES_AND_COMPARISONS


def _minus_itself(x):
    return x - x


def _under_anomaly(call):
    with tg.detect_anomaly():
        return call()


def _under_no_grad(call):
    with tg.no_grad():
        return call()


def _with_grad(grad):
    p = leaf(*[0.0] * len(grad))
    p.grad = np.array(grad)
    return p


@pytest.mark.parametrize("name, call, error, needles", CASES, ids=[case[0] for case in CASES])
def test_a_bad_input_is_a_clear_error(name, call, error, needles):
    with pytest.raises(error) as caught, np.errstate(all="ignore"):
        call()
    message = str(caught.value)
    for needle in needles:
        assert needle in message, f"{needle!r} missing from {message!r}"


def test_there_are_at_least_80_cases_in_every_area():
    assert len(CASES) >= 80
    assert all(len(area) >= 10 for area in (SCALARGRAD, TENSOR_INPUTS, DEGENERATE_SHAPES, NON_FINITE, MASKED_LOGITS,
                                            OPTIMIZERS, MODES_AND_COMPARISONS))


# ---- checkpoints: each refusal leaves the model as it was -----------------------------------------------
def _model():
    return Linear(2, 3, rng=0)


def _state(**changes):
    state = _model().state_dict()
    state.update(changes)
    return {name: value for name, value in state.items() if value is not None}


CHECKPOINTS = [
    ("a missing parameter", lambda m, d: m.load_state_dict(_state(bias=None)), ValueError,
     ["load_state_dict into Linear", "missing ['bias']"]),
    ("an unexpected parameter", lambda m, d: m.load_state_dict(_state(extra=np.zeros(2))), ValueError,
     ["load_state_dict", "unexpected ['extra']"]),
    ("a misshapen parameter", lambda m, d: m.load_state_dict(_state(bias=np.zeros(4))), ValueError,
     ["load_state_dict", "bias", "(3,)", "(4,)"]),
    ("a NaN in a parameter", lambda m, d: m.load_state_dict(_state(bias=np.array([0.0, NAN, 0.0]))), ValueError,
     ["load_state_dict", "bias", "NaN"]),
    ("a masked −inf in a parameter", lambda m, d: m.load_state_dict(_state(bias=np.array([0.0, -INF, 0.0]))),
     ValueError, ["load_state_dict", "bias", "infinity"]),
    ("a complex parameter", lambda m, d: m.load_state_dict(_state(bias=np.zeros(3, complex))), ValueError,
     ["load_state_dict", "bias", "complex"]),
    ("a missing file", lambda m, d: m.load(d / "nothing.npz"), FileNotFoundError, ["load", "nothing.npz"]),
    ("a .npy file", lambda m, d: (np.save(d / "one.npy", np.zeros(2)), m.load(d / "one.npy")), ValueError,
     ["load", "one.npy", ".npy"]),
    ("a damaged file", lambda m, d: ((d / "bad.npz").write_bytes(b"PK\x03\x04 not a zip"), m.load(d / "bad.npz")),
     ValueError, ["load", "bad.npz"]),
    ("pickled objects", lambda m, d: (np.savez(d / "p.npz", weight=np.array([object()]), bias=np.zeros(3)),
                                      m.load(d / "p.npz")), ValueError, ["load", "p.npz", "pickled"]),
]


@pytest.mark.parametrize("name, call, error, needles", CHECKPOINTS, ids=[case[0] for case in CHECKPOINTS])
def test_a_bad_checkpoint_is_a_clear_error_and_changes_nothing(name, call, error, needles, tmp_path):
    model = _model()
    model.weight.data = np.full((2, 3), 7.0)
    with pytest.raises(error) as caught:
        call(model, tmp_path)
    for needle in needles:
        assert needle in str(caught.value), f"{needle!r} missing from {caught.value!s}"
    np.testing.assert_array_equal(model.weight.data, np.full((2, 3), 7.0))
