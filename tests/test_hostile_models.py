"""A hostile pass over tensorgrad's models and trainers, looking for wrong numbers without an error.

Each test is a case that once returned a silent infinity, a wrong step or a
half-changed state. The judge is exact arithmetic, a hand-written NumPy
reference, or the same computation in a range where it cannot overflow
(scaled by a power of two, which is exact).
"""

import copy

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import Tensor, nn
from tensorgrad.layers import linear
from tensorgrad.nn import Dropout, LayerNorm, Linear, Module
from tensorgrad.optim import SGD, Adam, AdamW, clip_grad_norm
from tensorgrad.positional import apply_rope, sinusoidal_positions
from tensorgrad.rl import (
    GRPOConfig,
    GRPOTrainer,
    advantages,
    aggregate,
    clipped_objective,
    clipped_surrogate_loss,
    kl_estimate,
    kl_exact,
    kl_shaped_rewards,
    reinforce_loss,
)
from tensorgrad.sampling import sample, temperature
from tensorgrad.tokenizer import CharTokenizer


def leaf(values, dtype=np.float64, grad=None):
    p = Tensor(np.array(values, dtype=dtype), requires_grad=True)
    if grad is not None:
        p.grad = np.array(grad, dtype=dtype)
    return p


# ---- clip_grad_norm --------------------------------------------------------------------------
def test_clip_grad_norm_counts_and_scales_a_parameter_listed_twice_once():
    p = leaf([3.0, 4.0], grad=[3.0, 4.0])
    assert clip_grad_norm([p, p], 1.0) == 5.0  # not √2·5: one gradient, not two
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-15)  # scaled once, not twice


def test_clip_grad_norm_of_a_gradient_set_by_hand_as_a_list():
    p = leaf([3.0, 4.0])
    p.grad = [3.0, 4.0]  # a bare TypeError before
    assert clip_grad_norm([p], 1.0) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-15)


def test_clip_grad_norm_over_two_models_that_share_a_layer():
    shared = Linear(2, 2, rng=1)
    first, second = [shared, Linear(2, 1, rng=2)], [shared, Linear(2, 3, rng=3)]
    params = [p for layer in first + second for p in layer.parameters()]
    unique = list({id(p): p for p in params}.values())
    for i, p in enumerate(unique):
        p.grad = np.full(p.shape, float(i + 1))
    expected = np.sqrt(sum(float((p.grad**2).sum()) for p in unique))
    before = [p.grad.copy() for p in unique]
    assert clip_grad_norm(params, 1.0) == pytest.approx(expected, rel=1e-15)
    for p, g in zip(unique, before):
        np.testing.assert_allclose(p.grad, g / expected, rtol=1e-14)


# ---- optimizers: gradients that do not fit their parameter ----------------------------------
def test_sgd_refuses_a_float64_gradient_that_overflows_its_float32_parameter():
    p = leaf([3e38], np.float32)
    p.grad = np.array([-1e38])  # float64, set by hand: the step is finite in float64, not in float32
    with pytest.raises(FloatingPointError, match=r"SGD: this step would make parameter 0 .* inf"):
        SGD([p], lr=1.0).step()
    assert p.data[0] == np.float32(3e38)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: Adam(ps, lr=0.1), lambda ps: AdamW(ps, lr=0.1)])
def test_optimizers_refuse_a_gradient_of_another_shape_than_its_parameter(make):
    p, q = leaf([1.0, 2.0]), leaf([[1.0, 2.0]])
    p.grad, q.grad = np.array([1.0]), np.ones((1, 2))  # p's would broadcast
    optimizer = make([p, q])
    with pytest.raises(ValueError, match=r"gradient of parameter 0 of shape \(2,\) has shape \(1,\)"):
        optimizer.step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])
    np.testing.assert_array_equal(q.data, [[1.0, 2.0]])


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.1)])
def test_a_gradient_set_by_hand_as_a_list_or_a_tensor_steps_as_an_array_would(make):
    steps = []
    for grad in ([1.0, -2.0], Tensor(np.array([1.0, -2.0])), np.array([1.0, -2.0])):
        p = leaf([1.0, 2.0])
        p.grad = grad  # a list and a Tensor ended in bare TypeError / AttributeError
        make([p]).step()
        steps.append(p.data.copy())
    np.testing.assert_array_equal(steps[0], steps[2])
    np.testing.assert_array_equal(steps[1], steps[2])


# ---- nn: arrays cast into a float32 model ----------------------------------------------------
def test_load_state_dict_refuses_values_beyond_the_parameters_dtype_and_changes_nothing():
    model = Linear(2, 2, dtype=np.float32)
    before = model.state_dict()
    for bias in ([-1e300, 0.0], [1e300, 0.0]):  # −inf would be a masked weight, +inf an error half-way
        state = {name: a.astype(np.float64) * 2 for name, a in before.items()}
        state["bias"] = np.array(bias)
        with pytest.raises(ValueError, match=r"load_state_dict into Linear: bias holds .*e\+300 at index \(0,\), "
                                             r"beyond the range of float32"):
            model.load_state_dict(state)
        for name, array in model.state_dict().items():
            np.testing.assert_array_equal(array, before[name])


def test_a_float32_linear_refuses_a_float64_input_beyond_float32():
    layer = Linear(1, 1, dtype=np.float32)
    with pytest.raises(ValueError, match=r"Linear\(1, 1, bias=True\): the input holds -1e\+300 at index \(0, 0\), "
                                         r"beyond the range of float32"):
        layer(np.array([[-1e300]]))  # cast, it was −inf: a masked position, and the output silently −inf
    out = layer(np.array([[1e30]]))  # within float32's range: cast, as before
    assert out.dtype == np.float32 and np.isfinite(out.data).all()


def test_linear_refuses_a_bias_that_is_not_one_entry_per_output():
    x, w = Tensor(np.ones((4, 3))), Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"linear: bias of shape \(4, 2\) must have shape \(2,\)"):
        linear(x, w, Tensor(np.ones((4, 2))))  # broadcast in the forward pass, wrong in the backward
    with pytest.raises(ValueError, match=r"linear: weight must have shape \(in, out\), got \(3,\)"):
        linear(x, Tensor(np.ones(3)))


# ---- rl: advantages of huge and tiny rewards --------------------------------------------------
def scaled_reference(rewards, baseline, normalize_std=False, eps=0.0, power=1000):
    """advantages computed on rewards·2^−power (exact), then scaled back: the same numbers, without overflow."""
    r = np.ldexp(np.asarray(rewards, dtype=np.float64), -power)
    b = r.mean() if baseline == "group_mean" else (r.sum() - r) / (r.size - 1)
    if normalize_std:
        return (r - b) / (r.std() + np.ldexp(eps, -power))
    return np.ldexp(r - b, power)


@pytest.mark.parametrize("baseline", ["batch_mean", "group_mean", "leave_one_out"])
def test_advantages_of_rewards_whose_sum_overflows_are_finite(baseline):
    rewards = [1e308, 1.5e308, 0.0]  # every advantage is a float; the sum 2.5e308 is not
    reference = scaled_reference(rewards, "leave_one_out" if baseline == "leave_one_out" else "group_mean")
    np.testing.assert_allclose(advantages(rewards, baseline), reference, rtol=1e-15)
    normalized = advantages(rewards, baseline, normalize_std=True)
    np.testing.assert_allclose(normalized, scaled_reference(rewards, baseline if baseline != "batch_mean" else
                                                            "group_mean", True, 1e-4), rtol=1e-14)


def test_an_advantage_beyond_the_largest_float_is_an_error_naming_it():
    with pytest.raises(OverflowError, match=r"advantages: the advantage of rewards\[0\] = 1e\+308 overflows float64"):
        advantages([1e308, -1e308], "leave_one_out")  # 1e308 − (−1e308)
    np.testing.assert_array_equal(advantages([1e308, -1e308], "group_mean"), [1e308, -1e308])  # it fits


def test_normalized_advantages_of_subnormal_rewards():
    tiny = 5e-324  # the smallest float: σ = 2.5e-324 rounds to 0 when computed directly
    np.testing.assert_array_equal(advantages([tiny, 0.0], "leave_one_out", normalize_std=True, eps=0.0), [2.0, -2.0])
    np.testing.assert_array_equal(advantages([tiny, 0.0], "group_mean", normalize_std=True, eps=0.0), [1.0, -1.0])


# ---- sampling: a tiny temperature and huge logits ----------------------------------------------
def test_sample_with_a_tiny_temperature_takes_the_distribution_it_stands_for():
    logits = np.array([[1e304, 0.0, -1e304], [0.0, 1e304, 1e304], [-2e304, -1e304, -3e304]])  # z / T overflows
    drawn = sample(logits, temperature=1e-5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(drawn.probs, [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(drawn.log_probs, [0.0, np.log(0.5), 0.0])
    assert drawn.tokens[0] == 0 and drawn.tokens[1] in (1, 2) and drawn.tokens[2] == 1


def test_temperature_refuses_logits_it_cannot_divide():
    with pytest.raises(OverflowError, match=r"temperature: logit 1e\+304 at index \(0, 0\) divided by T=1e-05 "
                                            r"overflows"):
        temperature(np.array([[1e304, 0.0]]), 1e-5)


# ---- more: norms beyond the largest float, containers, Adam's smallest eps ----------------------
def test_clip_grad_norm_of_gradients_whose_norm_overflows_keeps_their_direction():
    p = leaf([1.5e308, -1.5e308], grad=[1.5e308, -1.5e308])  # norm 2.1e308: beyond the largest float
    q = leaf([1.0], grad=[1e300])
    assert clip_grad_norm([p, q], 2.0) == np.inf  # the norm, rounded as IEEE rounds an overflow
    norm = np.hypot(np.hypot(1.5, 1.5), 1e300 / 1e308)  # the norm / 1e308, without overflow
    np.testing.assert_allclose(p.grad, [1.5 / norm * 2, -1.5 / norm * 2], rtol=1e-15)  # it zeroed them
    np.testing.assert_allclose(q.grad, [1e-8 / norm * 2], rtol=1e-15)


class Holder(Module):
    """Layers kept in a dict and in a list of lists, as a learner might write them."""

    def __init__(self):
        self.heads = {"query": Linear(2, 3, rng=1), "drop": Dropout(0.5)}
        self.stages = [[Linear(3, 1, rng=2)], (Linear(1, 1, rng=3),)]


def test_a_module_finds_layers_in_dicts_and_nested_lists():
    model = Holder()
    assert [name for name, _ in model.named_parameters()] == [
        "heads.query.weight", "heads.query.bias", "stages.0.0.weight", "stages.0.0.bias",
        "stages.1.0.weight", "stages.1.0.bias"]  # they were silently left out: never trained, never saved
    model.eval()
    assert model.heads["drop"].training is False  # it went on dropping after eval()
    state = model.state_dict()
    fresh = Holder()
    fresh.stages[0][0].weight.data = np.zeros((3, 1))
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.stages[0][0].weight.data, model.stages[0][0].weight.data)


@pytest.mark.parametrize("dtype, eps", [(np.float32, 1e-30), (np.float64, 1e-200)])
def test_adam_refuses_an_eps_below_the_smallest_root_its_moments_hold(dtype, eps):
    # g = 1e-25 (float32): g² underflows to v = 0, and the step was lr·g/eps = 1e4·lr instead of about lr
    with pytest.raises(ValueError, match=r"Adam: eps=1e-(30|200) is below .*, the smallest √v"):
        Adam([leaf([1.0], dtype)], lr=0.1, eps=eps)
    p = leaf([1.0], dtype, grad=[1e-25 if dtype == np.float32 else 1e-170])
    smallest = float(np.sqrt(np.finfo(dtype).smallest_subnormal / 0.001)) * 1.01
    Adam([p], lr=0.1, eps=smallest).step()
    assert abs(p.data[0] - 1.0) <= 0.1 * 1.001  # at the floor a step is at most about lr


# ---- rl and positions: numbers that made NaN or ±inf out of finite input ------------------------
@pytest.mark.parametrize("kl, beta, error, words", [
    (np.full((2, 2), 1e308), 1.0, OverflowError, r"kl_shaped_rewards: the shaped reward of sequence 0 is -inf"),
    (np.array([[np.nan, 0.0], [0.0, 0.0]]), 1.0, ValueError, r"kl_shaped_rewards: kl values .* contain 1 NaN"),
    (np.array([[0.0, 0.0], [np.inf, 0.0]]), 1.0, ValueError, r"kl_shaped_rewards: kl values .* inf at index \(1, 0\)"),
    (np.zeros((2, 2)), np.inf, ValueError, r"kl_shaped_rewards: beta must be finite and >= 0, got inf"),
])
def test_kl_shaped_rewards_never_returns_nan_or_inf(kl, beta, error, words):
    with pytest.raises(error, match=words):
        kl_shaped_rewards([1.0, 2.0], kl, np.ones((2, 2), bool), beta)


def test_kl_shaped_rewards_of_finite_input_are_exact():
    kl = np.array([[0.5, 9.0], [0.25, 0.125]])
    mask = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(kl_shaped_rewards([1.0, 2.0], kl, mask, 2.0), [1.0 - 1.0, 2.0 - 0.75])


def test_an_infinite_eps_or_constant_length_is_refused_not_a_silent_zero():
    with pytest.raises(ValueError, match=r"advantages: eps must be finite and >= 0, got inf"):
        advantages([1.0, 2.0], "group_mean", normalize_std=True, eps=np.inf)  # every advantage was 0
    with pytest.raises(ValueError, match=r"aggregate: constant_length must be finite and > 0, got inf"):
        aggregate(np.ones((2, 2)), np.ones((2, 2), bool), "constant", constant_length=np.inf)


@pytest.mark.parametrize("base", [-1.0, 0.0, np.nan])
def test_positions_refuse_a_base_that_is_not_positive(base):
    with pytest.raises(ValueError, match=r"apply_rope: base must be > 0, got"):
        apply_rope(np.ones((3, 4)), base=base)  # it returned NaN for every pair past the first
    with pytest.raises(ValueError, match=r"sinusoidal_positions: base must be > 0, got"):
        sinusoidal_positions(3, 4, base=base)


# ---- the GRPO trainer ---------------------------------------------------------------------------
class Bandit(Module):
    """A policy that ignores its context: one logit per arm at every position."""

    def __init__(self, logits):
        self.logits = Tensor(np.array(logits, dtype=np.float64), requires_grad=True)

    def forward(self, ids):
        return self.logits.broadcast_to((*np.shape(ids), self.logits.shape[0]))


def test_the_trainer_refuses_the_policy_as_its_own_reference():
    policy = Bandit([0.0, 1.0])
    with pytest.raises(ValueError, match=r"GRPOTrainer: the reference is the policy itself"):
        GRPOTrainer(policy, GRPOConfig(kl_beta=0.1), reference=policy)  # its KL to itself is always 0


def test_the_trainer_refuses_a_reference_that_shares_the_policys_parameters():
    policy = Bandit([0.0, 1.0])
    with pytest.raises(ValueError, match=r"GRPOTrainer: the reference shares parameter 'logits' with the policy"):
        GRPOTrainer(policy, GRPOConfig(kl_beta=0.1), reference=copy.copy(policy))  # a shallow copy moves with it


def test_the_trainer_refuses_an_optimizer_that_holds_none_of_the_policys_parameters():
    policy = Bandit([0.0, 1.0])
    elsewhere = copy.deepcopy(policy)  # an optimizer made for another copy: the policy would never move
    with pytest.raises(ValueError, match=r"GRPOTrainer: the optimizer holds none of the policy's parameters"):
        GRPOTrainer(policy, GRPOConfig(), optimizer=SGD(elsewhere.parameters(), lr=0.1))


@pytest.mark.parametrize("name", ["kl_beta", "entropy_coef", "weight_decay", "constant_length"])
def test_grpo_config_refuses_infinite_weights(name):
    with pytest.raises(ValueError, match=rf"GRPOConfig: {name}.* must be finite"):
        GRPOConfig(**{name: np.inf})  # a NaN loss, a refused step or a loss of 0, one step later


def test_adamw_refuses_an_infinite_weight_decay():
    with pytest.raises(ValueError, match=r"AdamW: weight_decay must be finite and >= 0, got inf"):
        AdamW([leaf([1.0])], weight_decay=np.inf)


def test_a_grpo_step_with_groups_that_do_not_divide_the_batch_is_refused_before_any_update():
    policy = Bandit([0.0, 1.0, 2.0])
    before = policy.logits.data.copy()
    trainer = GRPOTrainer(policy, GRPOConfig(group_size=4, entropy_floor=None))
    ids = np.array([[0, 1], [0, 2], [0, 0], [0, 1], [0, 2], [0, 1]])
    mask = np.array([[False, True]] * 6)
    with pytest.raises(ValueError, match=r"group_size=4 does not divide the batch"):
        trainer.step(ids, mask, np.arange(6.0))
    np.testing.assert_array_equal(policy.logits.data, before)


@pytest.mark.parametrize("lr", [-0.1, np.nan, np.inf])
def test_an_lr_changed_between_steps_is_checked_as_when_it_was_given(lr):
    p = leaf([1.0, 2.0], grad=[1.0, 1.0])
    optimizer = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: lr must be finite and >= 0, got"):
        optimizer.lr = lr  # -0.1 was a silent step uphill
    assert optimizer.lr == 0.1
    optimizer.lr = 0.0  # the end of a schedule that decays to 0: no step
    optimizer.step()
    np.testing.assert_array_equal(p.data, [1.0, 2.0])


@pytest.mark.parametrize("call", [
    lambda lp, mask: reinforce_loss(lp, np.ones(2), mask),
    lambda lp, mask: clipped_surrogate_loss(lp, -np.ones((2, 3)), np.ones(2), mask),
    lambda lp, mask: clipped_surrogate_loss(-np.ones((2, 3)), lp, np.ones(2), mask),
    lambda lp, mask: kl_estimate(lp, -np.ones((2, 3))),
    lambda lp, mask: kl_estimate(-np.ones((2, 3)), lp),
])
def test_rl_losses_refuse_positive_log_probabilities(call):
    # −log π (cross_entropy's per-token loss) passed as log π would flip the gradient: a silent step the wrong way
    nll = np.array([[0.0, 0.7, 1.2], [0.0, 0.1, 2.3]])
    with pytest.raises(ValueError, match=r"log_probs must be ≤ 0 .* got 0.7 at index \(0, 1\)"):
        call(Tensor(nll), np.array([[False, True, True]] * 2))


def test_clipped_surrogate_loss_refuses_eps_high_without_eps_low():
    lp = Tensor(-np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"clipped_surrogate_loss: eps_high=0.28 needs eps_low"):
        clipped_surrogate_loss(lp, lp.data, np.ones(1), np.ones((1, 2), bool), eps_low=None, eps_high=0.28)


def test_an_infinite_eps_is_refused_where_it_would_silence_everything():
    with pytest.raises(ValueError, match=r"Adam: eps must be finite and > 0, got inf"):
        Adam([leaf([1.0])], eps=np.inf)  # every step was 0: m̂ / (√v̂ + inf)
    with pytest.raises(ValueError, match=r"layer_norm: eps must be finite and > 0, got inf"):
        LayerNorm(3, eps=np.inf)(np.ones((2, 3)))  # the output was the bias, its gradient 0


def test_layer_norm_refuses_an_eps_that_is_zero_in_the_inputs_dtype():
    x = Tensor(np.ones((2, 3), np.float32))  # equal entries: var = 0, and var + eps must not be 0
    with pytest.raises(ValueError, match=r"layer_norm: eps=1e-50 is 0 in float32, the input's dtype"):
        LayerNorm(3, eps=1e-50, dtype=np.float32)(x)  # the output was NaN, in silence
    np.testing.assert_array_equal(LayerNorm(3, eps=1e-45, dtype=np.float32)(x).data, 0.0)


@pytest.mark.parametrize("eps_low, eps_high", [(0.2, None), (0.2, 0.28), (0.1, 0.3)])
def test_at_the_band_edges_the_clipped_objective_has_the_unclipped_gradient(eps_low, eps_high):
    high = eps_low if eps_high is None else eps_high
    ratio = Tensor(np.array([1 + high, 1 - eps_low, 1 + high, 1 - eps_low]), requires_grad=True)
    adv = np.array([2.0, -3.0, -2.0, 3.0])  # at the edge, in the advantage's direction and against it
    clipped_objective(ratio, adv, eps_low, eps_high).sum().backward()
    np.testing.assert_array_equal(ratio.grad, adv)  # zero only once r is strictly beyond the edge
    beyond = Tensor(np.array([1 + high + 1e-9, 1 - eps_low - 1e-9]), requires_grad=True)
    clipped_objective(beyond, adv[:2], eps_low, eps_high).sum().backward()
    np.testing.assert_array_equal(beyond.grad, [0.0, 0.0])


# ---- optimizers against a NumPy reference, under a hostile schedule ------------------------------
def reference_steps(kind, starts, schedule, lrs, options):
    """SGD (PyTorch's momentum form), Adam or AdamW written out in NumPy, one parameter at a time."""
    weights = [w.copy() for w in starts]
    first = [np.zeros_like(w) for w in weights]
    second = [np.zeros_like(w) for w in weights]
    counts = [0] * len(weights)
    b1, b2 = 0.9, 0.999
    for grads, lr in zip(schedule, lrs):
        for i, g in enumerate(grads):
            if g is None:
                continue
            g = g.astype(weights[i].dtype)
            if kind == "sgd":
                first[i] = options["momentum"] * first[i] + g
                weights[i] = weights[i] - lr * first[i]
                continue
            counts[i] += 1
            first[i] = b1 * first[i] + (1 - b1) * g
            second[i] = b2 * second[i] + (1 - b2) * g * g
            step = lr * (first[i] / (1 - b1 ** counts[i])) / (np.sqrt(second[i] / (1 - b2 ** counts[i])) + 1e-8)
            weights[i] = weights[i] * (1 - lr * options.get("weight_decay", 0.0)) - step
    return weights


@pytest.mark.parametrize("trial", range(40))
def test_optimizers_match_numpy_under_missing_gradients_duplicates_lr_changes_and_refused_steps(trial):
    rng = np.random.default_rng(trial)
    kind = ("sgd", "adam", "adamw")[trial % 3]
    options = {"sgd": {"momentum": float(rng.choice([0.0, 0.9]))}, "adam": {}, "adamw": {"weight_decay": 0.1}}[kind]
    shapes = [tuple(int(n) for n in rng.integers(1, 4, size=rng.integers(0, 3))) for _ in range(rng.integers(1, 4))]
    dtypes = [np.float64] * len(shapes) if trial % 2 else [rng.choice([np.float32, np.float64]) for _ in shapes]
    starts = [rng.normal(size=shape).astype(dtype) for shape, dtype in zip(shapes, dtypes)]
    schedule = [[None if rng.random() < 0.25 else rng.normal(size=shape) for shape in shapes] for _ in range(5)]
    lrs = [float(rng.choice([0.1, 0.01, 0.0, 0.5])) for _ in range(5)]
    params = [Tensor(w, requires_grad=True) for w in starts]
    make = {"sgd": SGD, "adam": Adam, "adamw": AdamW}[kind]
    optimizer = make(params + params[:1], lr=0.1, **options)  # the first one listed twice: stepped once
    for grads, lr in zip(schedule, lrs):
        optimizer.lr = lr
        if rng.random() < 0.3:  # a refused step first: it must change nothing, moments and counts included
            for p in params:
                p.grad = np.full(p.shape, np.nan, p.dtype)
            with pytest.raises(FloatingPointError):
                optimizer.step()
        for p, g in zip(params, grads):
            p.grad = None if g is None else g.astype(p.dtype)
        optimizer.step()
    for p, expected in zip(params, reference_steps(kind, starts, schedule, lrs, options)):
        single = p.dtype == np.float32
        np.testing.assert_allclose(p.data, expected, rtol=1e-5 if single else 1e-12, atol=1e-6 if single else 1e-14)


def test_a_pair_of_tensors_is_not_taken_for_a_named_parameter():
    w, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(TypeError, match=r"SGD: parameters must be Tensors with requires_grad=True, got \(Tensor"):
        SGD([(w, b)], lr=0.1)  # read as the name w for the parameter b: w was silently never stepped


def test_grpo_stats_of_rewards_whose_sum_overflows_are_finite():
    policy = Bandit([0.0, 1.0, 2.0])
    trainer = GRPOTrainer(policy, GRPOConfig(group_size=2, entropy_floor=None))
    ids, mask = np.array([[0, 1], [0, 2], [0, 0], [0, 1]]), np.array([[False, True]] * 4)
    rewards = np.array([1e308, -1e308, 1.5e308, 1e308])
    stats = trainer.step(ids, mask, rewards)
    small = rewards / 2**1000  # the same statistics, exactly scaled down, where nothing overflows
    assert stats.reward_mean == pytest.approx(small.mean() * 2**1000, rel=1e-15)  # it was inf
    assert stats.reward_std == pytest.approx(small.std() * 2**1000, rel=1e-15)
    adv = advantages(rewards, "group_mean", 2, normalize_std=True)
    assert stats.advantage_mean == pytest.approx(adv.mean(), abs=1e-15)
    assert stats.advantage_std == pytest.approx(adv.std(), rel=1e-15)


# ---- areas found right: pinned so that they stay so ----------------------------------------------
def test_sampling_is_reproducible_and_advances_the_generator_it_is_given():
    logits = np.random.default_rng(0).normal(size=(6, 9))
    first, second = (sample(logits, rng=np.random.default_rng(3)).tokens for _ in range(2))
    np.testing.assert_array_equal(first, second)  # same seed, same tokens
    rng = np.random.default_rng(3)
    draws = [sample(logits, rng=rng).tokens for _ in range(4)]
    assert not all(np.array_equal(draws[0], d) for d in draws[1:])  # the generator moved on
    same = sample(logits, temperature=1.0, top_k=9 * 5, top_p=1.0, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(same.tokens, first)  # top_k beyond the vocabulary and top_p = 1 cut nothing
    greedy = sample(logits, temperature=0.0)
    np.testing.assert_array_equal(greedy.tokens, logits.argmax(axis=-1))
    np.testing.assert_array_equal(greedy.entropy, 0.0)


def test_kl_estimates_at_identical_policies_are_exactly_zero():
    log_probs = np.log(np.array([[0.3, 0.7, 1.0], [1e-300, 0.5, 0.25]]))
    for estimator in ("k1", "k3"):
        np.testing.assert_array_equal(kl_estimate(log_probs, log_probs, estimator).data, 0.0)
    logits = np.random.default_rng(1).normal(size=(2, 3, 5)) * 30
    np.testing.assert_array_equal(kl_exact(logits, logits).data, 0.0)


def test_the_tokenizer_round_trips_any_unicode():
    text = "a\x00\r\n\t é\u0301 \ud800 👩\u200d👩\u200d👧 \U0010ffff"
    tokenizer = CharTokenizer(text)
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert CharTokenizer.from_json(tokenizer.to_json()) == tokenizer
    assert tokenizer.decode(np.array([1, 2], dtype=np.uint8)) == tokenizer.chars[1:3]


def test_k3_of_nearly_identical_policies_is_accurate_and_never_negative():
    log_probs = -np.random.default_rng(0).random((1, 2000)) * 3
    ref = log_probs + np.random.default_rng(1).normal(size=log_probs.shape) * 1e-9
    y = ref - log_probs  # log(π_ref/π), ~1e-9: k3 = eʸ − 1 − y ≈ y²/2 ≈ 5e-19
    k3 = kl_estimate(log_probs, ref, "k3").data
    assert (k3 >= 0).all()  # r − 1 − log r cancelled to ±1e-16 noise, negative for 1 token in 13
    np.testing.assert_allclose(k3, np.expm1(y) - y, rtol=1e-6)
    x = Tensor(log_probs, requires_grad=True)
    kl_estimate(x, ref, "k3").sum().backward()
    np.testing.assert_allclose(x.grad, -np.expm1(y), rtol=1e-6)  # ∂k3/∂log π = −(eʸ − 1)
    with pytest.raises(OverflowError, match=r"kl_estimate: k3's ratio π_ref/π overflows"):
        kl_estimate(np.array([[-800.0]]), np.array([[-0.5]]), "k3")


def test_k3_can_be_differentiated_twice():
    ref = np.array([[-0.2, -1.5]])
    x = Tensor(np.array([[-0.7, -0.4]]), requires_grad=True)
    (g,) = tg.grad(kl_estimate(x, ref, "k3").sum(), [x], create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(ref - x.data), rtol=1e-14)  # ∂²k3/∂(log π)² = eʸ


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(0, 3), r"Linear: in_features must be an integer ≥ 1, got 0"),
    (lambda: nn.Linear(-1, 3), r"Linear: in_features must be an integer ≥ 1, got -1"),
    (lambda: nn.Linear(3, 0), r"Linear: out_features must be an integer ≥ 1, got 0"),
    (lambda: nn.Linear(2.5, 3), r"Linear: in_features must be an integer ≥ 1, got 2.5"),
    (lambda: nn.Embedding(0, 3), r"Embedding: num_embeddings must be an integer ≥ 1, got 0"),
    (lambda: nn.Embedding(5, 0), r"Embedding: embedding_dim must be an integer ≥ 1, got 0"),
    (lambda: nn.LayerNorm(0), r"LayerNorm: dim must be an integer ≥ 1, got 0"),
])
def test_layers_of_no_width_are_refused_naming_the_layer_and_the_size(make, message):
    """Linear(0, 3) ended in NumPy's "high - low range exceeds valid bounds" (1/√0); the others built empty layers."""
    with pytest.raises(ValueError, match=message):
        make()
