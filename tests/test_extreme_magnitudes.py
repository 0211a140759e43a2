"""Values and gradients at magnitudes 1e±150 to 1e±308, against closed forms in float64 (issue 11, item 4).

Each case's true value and true gradient are ordinary floats, but a naive
formula overflows or underflows on the way: x² at 1e160, 1/b² at 1e-170,
a^(k−1) at 1e-310, a sum of two 1e308s. The expected numbers are worked out
by hand: from the closed form in log space, or at unit scale and rescaled
(layer norm's x̂ does not change when x is multiplied by m; its gradient is
divided by m). Where the true answer itself is out of range, the right
answer is an error that names the op.
"""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from scalargrad import Value
from scalargrad import functional as SF
from scalargrad.gradients import grad
from tensorgrad import Tensor
from tensorgrad import functional as F

REL = 1e-10  # a few dozen roundings at most: the naive formulas are off by factors of inf or 0, not by this


def scalar_value_and_grads(f, *xs):
    values = [Value(x) for x in xs]
    out = f(*values)
    return out.data, grad(out, values)


def tensor_value_and_grads(f, *arrays, dtype=np.float64):
    tensors = [Tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out = f(*tensors)
    (out if out.ndim == 0 else out.sum()).backward()
    return out.data, [t.grad for t in tensors]


def close(actual, expected, rel=REL):
    return np.allclose(actual, expected, rtol=rel, atol=0)


# ---- pow: a^(k−1) overflows at a tiny base with an exponent between −1 and 1 -------------------
A, K = 1e-310, 1e-10  # the slope k·a^(k−1) ≈ 1e300, though a^(k−1) ≈ 1e310 alone is out of range
POW_VALUE = math.exp(K * math.log(A))
POW_SLOPE = math.exp(math.log(K) + (K - 1) * math.log(A))  # in log space: nothing overflows


def test_scalar_pow_with_a_small_exponent_at_a_tiny_base():
    value, (slope,) = scalar_value_and_grads(lambda a: a**K, A)
    assert close(value, POW_VALUE) and close(slope, POW_SLOPE)


def test_scalar_pow_of_two_variables_at_a_tiny_base():
    value, (slope_a, slope_k) = scalar_value_and_grads(lambda a, k: a**k, A, K)
    assert close(value, POW_VALUE) and close(slope_a, POW_SLOPE)
    assert close(slope_k, POW_VALUE * math.log(A))


def test_tensor_pow_with_a_small_exponent_at_a_tiny_base():
    value, (slope,) = tensor_value_and_grads(lambda a: a**K, [A, 4.0])
    assert close(value, [POW_VALUE, 4.0**K]) and close(slope, [POW_SLOPE, K * 4.0 ** (K - 1)])


def test_tensor_pow_of_two_variables_at_a_tiny_base():
    value, (slope_a, slope_k) = tensor_value_and_grads(lambda a, k: a**k, [A, 1e300], [K, 0.5])
    assert close(value, [POW_VALUE, 1e150])
    assert close(slope_a, [POW_SLOPE, 0.5e-150]) and close(slope_k, value * np.log([A, 1e300]))


# ---- lengths and spreads: squares overflow at 1e160 and underflow at 1e-170 ------------------
@pytest.mark.parametrize("scale", [1e160, 1e300, 1e-170, 1e-300])
def test_scalar_l2_norm_is_scaled_by_its_largest_entry(scale):
    value, grads = scalar_value_and_grads(lambda a, b: SF.l2_norm([a, b]), 3 * scale, 4 * scale)
    assert close(value, 5 * scale) and close(grads, [0.6, 0.8])  # ‖w‖ = 5s, ∂‖w‖/∂w = w/‖w‖


UNIT_ROW = np.array([1.0, -1.0, 3.0, 0.5])
WEIGHT, BIAS, UPSTREAM = np.array([0.5, 2.0, -1.0, 1.0]), np.array([0.1, 0.0, 0.0, -0.2]), np.array([1.0, 2.0, 3.0, 4.0])


def layer_norm_at_unit_scale():
    """y = x̂·w + b and the gradients of Σ c·y for UNIT_ROW with eps = 0, by the closed form in float64."""
    centred = UNIT_ROW - UNIT_ROW.mean()
    sigma = math.sqrt((centred**2).mean())
    normed = centred / sigma
    d = UPSTREAM * WEIGHT
    dx = (d - d.mean() - normed * (d * normed).mean()) / sigma
    return normed * WEIGHT + BIAS, dx, UPSTREAM * normed, UPSTREAM


@pytest.mark.parametrize("scale, dtype", [(1e160, np.float64), (1e300, np.float64), (1e20, np.float32)])
def test_layer_norm_where_the_squares_overflow(scale, dtype):
    """x̂ of m·x is x̂ of x, and ∂/∂x is divided by m; eps (1e-5) is nothing beside a variance of m²."""
    y, dx, dw, db = layer_norm_at_unit_scale()
    value, grads = tensor_value_and_grads(
        lambda x, w, b: F.layer_norm(x, w, b) * Tensor(UPSTREAM.astype(dtype)),
        [UNIT_ROW * scale, UNIT_ROW], WEIGHT, BIAS, dtype=dtype,
    )
    rel = REL if dtype == np.float64 else 1e-5
    assert close(value[0], UPSTREAM * y, rel) and close(grads[0][0] * scale, dx, rel)
    unit_value, unit_grads = tensor_value_and_grads(  # the ordinary row beside it is untouched
        lambda x, w, b: F.layer_norm(x, w, b) * Tensor(UPSTREAM.astype(dtype)), [UNIT_ROW], WEIGHT, BIAS, dtype=dtype
    )
    assert close(value[1], unit_value[0], 1e-6) and close(grads[0][1], unit_grads[0][0], 1e-6)
    assert close(grads[1], dw + unit_grads[1], rel) and close(grads[2], 2 * db, rel)


def test_var_where_the_squares_overflow_but_the_variance_does_not():
    x = [1e154] * 5 + [-1e154] * 5  # squares 1e308, their sum 1e309 (out of range), the variance 1e308
    value, (slope,) = tensor_value_and_grads(lambda a: a.var(), x)
    assert close(value, 1e308) and close(slope, np.array(x) * (2 / 10))  # ∂var/∂xᵢ = 2(xᵢ − μ)/n


def test_mse_loss_where_the_sum_of_squares_overflows_but_the_mean_does_not():
    value, (slope, _) = tensor_value_and_grads(lambda a, b: F.mse_loss(a, b), [1e154] * 10, [0.0] * 10)
    assert close(value, 1e308) and close(slope, [2e153] * 10)  # ∂/∂xᵢ = 2xᵢ/n


def test_grpo_advantages_normalised_by_a_spread_whose_squares_overflow():
    rewards = np.array([1.0, -1.0, 3.0, 0.0])
    expected = (rewards - rewards.mean()) / rewards.std()  # scale-free: eps = 1e-4 is nothing beside σ·1e160
    advantages = tg.advantages(rewards * 1e160, baseline="group_mean", group_size=4, normalize_std=True)
    assert close(advantages, expected)


# ---- means: a sum of 1e308s overflows where the mean does not ------------------------------
def test_mean_of_huge_numbers():
    value, (slope,) = tensor_value_and_grads(lambda a: a.mean(), [1e308, 1e308, 5e307])
    assert close(value, (1 + 1 + 0.5) / 3 * 1e308) and close(slope, [1 / 3] * 3)


def test_mean_over_an_axis_of_huge_numbers():
    value, (slope,) = tensor_value_and_grads(lambda a: a.mean(axis=0), [[1e308, 1.0], [1e308, 3.0]])
    assert close(value, [1e308, 2.0]) and close(slope, np.full((2, 2), 0.5))


def test_var_of_equal_huge_numbers_is_zero():
    value, (slope,) = tensor_value_and_grads(lambda a: a.var(), [1e308, 1e308])
    assert value == 0 and close(slope, [0.0, 0.0])


HUGE_LOSS_LOGITS = [[0.0, -1e308], [0.0, -1e308]]  # the target (class 1) is 1e308 below: each loss is 1e308


def test_cross_entropy_mean_of_huge_losses():
    value, (slope,) = tensor_value_and_grads(lambda z: F.cross_entropy(z, np.array([1, 1])), HUGE_LOSS_LOGITS)
    assert close(value, 1e308) and close(slope, [[0.5, -0.5], [0.5, -0.5]])  # (softmax − onehot) / 2


def test_nll_loss_mean_of_huge_losses():
    value, (slope,) = tensor_value_and_grads(lambda lp: F.nll_loss(lp, np.array([1, 1])), HUGE_LOSS_LOGITS)
    assert close(value, 1e308) and close(slope, [[0.0, -0.5], [0.0, -0.5]])


# ---- softmax with a large temperature: z − max overflows where z/T − max/T does not -------------
T = 1e308
S0, S1 = 1 / (1 + math.exp(-2)), math.exp(-2) / (1 + math.exp(-2))  # softmax([1, −1])


def test_scalar_softmax_with_a_huge_temperature():
    values = [Value(1e308), Value(-1e308)]
    probs = SF.softmax(values, temperature=T)
    assert close([p.data for p in probs], [S0, S1])
    assert close(grad(probs[0], values), [S0 * S1 / T, -S0 * S1 / T], 1e-9)  # subnormal: a few bits fewer


def test_tensor_softmax_with_a_huge_temperature():
    value, (slope,) = tensor_value_and_grads(
        lambda z: F.softmax(z, temperature=T) * Tensor([1.0, 0.0]), [1e308, -1e308]
    )
    assert close(value, [S0, 0.0]) and close(slope, [S0 * S1 / T, -S0 * S1 / T], 1e-9)


# ---- out of range for real: an error that names the op ---------------------------------------
def test_a_variance_out_of_range_is_an_error_naming_var():
    with pytest.raises(OverflowError, match=r"^var: "):
        Tensor([1e160, -1e160]).var()


def test_a_sum_of_losses_out_of_range_is_an_error_naming_cross_entropy():
    with pytest.raises(OverflowError, match=r"^cross_entropy: the sum"):
        F.cross_entropy(Tensor(HUGE_LOSS_LOGITS), np.array([1, 1]), reduction="sum")


def test_a_layer_norm_row_wider_than_the_float_range_is_an_error_naming_layer_norm():
    x = Tensor([[1.7e308, -1.7e308, -1.7e308]])  # x − mean(x) = 2.3e308 overflows
    with pytest.raises(OverflowError, match=r"^layer_norm: "), np.errstate(over="ignore"):
        F.layer_norm(x, Tensor([1.0, 1.0, 1.0]), Tensor([0.0, 0.0, 0.0]))


@pytest.mark.parametrize("f, op", [
    (lambda a: a**-1, "pow"),  # slope −1/a² = −1e400
    (lambda a: a.log(), "log"),  # slope 1/a with a subnormal base... at 1e-310: 1e310
])
def test_a_scalar_slope_out_of_range_is_an_error_naming_the_op(f, op):
    base = 1e-200 if op == "pow" else 1e-310
    with pytest.raises(OverflowError, match=op):
        scalar_value_and_grads(f, base)


# ---- already careful, kept so: 1e±150 against closed forms ---------------------------------
@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_division_slope_of_tiny_numbers(engine):
    run = scalar_value_and_grads if engine == "scalar" else tensor_value_and_grads
    value, (da, db) = run(lambda a, b: a / b, 1e-200, 1e-170)
    assert close(value, 1e-30) and close(da, 1e170) and close(db, -1e140)  # −a/b² as −(a/b)/b


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("name, f, x, value, slope", [
    ("square", lambda a: a**2, 1e-150, 1e-300, 2e-150),
    ("sqrt", lambda a: a.sqrt(), 1e300, 1e150, 0.5e-150),
    ("sqrt tiny", lambda a: a.sqrt(), 1e-300, 1e-150, 0.5e150),
    ("tanh", lambda a: a.tanh(), 1e-150, 1e-150, 1.0),
    ("sigmoid", lambda a: a.sigmoid(), -700.0, math.exp(-700) / (1 + math.exp(-700)), math.exp(-700) / (1 + math.exp(-700)) ** 2),
    ("gelu huge", lambda a: a.gelu(), 1e150, 1e150, 1.0),
    ("gelu tiny", lambda a: a.gelu(), 1e-150, 0.5e-150, 0.5),
])
def test_elementwise_ops_at_extreme_magnitudes(engine, name, f, x, value, slope):
    run = scalar_value_and_grads if engine == "scalar" else tensor_value_and_grads
    with warnings.catch_warnings():  # no RuntimeWarning either (gelu's a³ overflows harmlessly: tanh(inf) = 1)
        warnings.simplefilter("error", RuntimeWarning)
        out, (d,) = run(f, x)
    assert close(out, value) and close(d, slope)


def test_attention_with_queries_and_keys_150_orders_apart():
    q, k = np.array([[1e-150, 2e-150]]), np.array([[1e150, 0.0], [0.0, 1e150]])  # scores 1/√2 and 2/√2
    v = np.array([[1.0, 0.0], [0.0, 1.0]])
    scores = np.array([1.0, 2.0]) / math.sqrt(2)
    weights = np.exp(scores) / np.exp(scores).sum()
    out, (dq, dk, dv) = tensor_value_and_grads(
        lambda q, k, v: tg.scaled_dot_product_attention(q, k, v) * Tensor([[1.0, 0.0]]), q, k, v
    )
    ds = weights * (np.array([1.0, 0.0]) - weights[0])  # softmax's VJP for an upstream of (1, 0) on the weights
    assert close(out[0], [weights[0], 0.0]) and close(dq[0], ds @ k / math.sqrt(2))
    assert close(dk, np.outer(ds, q[0]) / math.sqrt(2)) and close(dv, np.outer(weights, [1.0, 0.0]))


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("base, x", [(0.5, -1023.0), (1e-300, -1.0)])
def test_a_constant_base_below_one_to_a_large_negative_power_has_its_finite_slope(engine, base, x):
    """d/dx cˣ = cˣ·ln c is finite here; the base's own slope, x·c^(x−1), would overflow, and is not needed."""
    run = scalar_value_and_grads if engine == "scalar" else tensor_value_and_grads
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out, (d,) = run(lambda a: base**a, x)
    assert close(out, base**x) and close(d, base**x * math.log(base))


def test_an_overflowing_power_slope_keeps_its_sign_and_stays_out_of_create_graph():
    x = Value(-1023.0)
    (plain,) = grad(0.5**x, [x])
    (as_graph,) = grad(0.5**x, [x], create_graph=True)  # the base's infinite slope is a float, never a node
    assert plain == as_graph.data == pytest.approx(0.5**-1023 * math.log(0.5), rel=1e-12)
    for base, k, sign in [(-1e-154, -2.0, "inf"), (-3e-103, -3.0, "-inf"), (1e-154, -2.0, "-inf")]:
        a = Value(base)  # aᵏ is finite; k·a^(k−1) is −2·(−1e-154)⁻³ = +∞, −3·(−3e-103)⁻⁴ = −∞, −2·(1e-154)⁻³ = −∞
        with pytest.raises(OverflowError, match=rf"backward through pow: the gradient of its input .* is {sign},"):
            (a**k).backward()
