"""Gradients of gradients in tensorgrad: ``grad(..., create_graph=True)``.

Each op's Hessian-vector product H·v (backward through the gradient) is
checked against central differences of the gradient itself,
(∇f(x + h·v) − ∇f(x − h·v)) / 2h, in float64; small functions are checked
against scalargrad's Hessians entry by entry; and every op whose backward is
written for arrays only refuses ``create_graph=True`` with an error naming it.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scalargrad
import tensorgrad as tg
from tensorgrad import Tensor
from tensorgrad import functional as F

H = 1e-5


def gradient(f, x):
    """∇f(x) as an array, by an ordinary backward pass."""
    t = Tensor(x, requires_grad=True)
    (g,) = tg.grad(f(t), [t])
    return g


def hessian_vector_product(f, x, v):
    """H·v by backpropagating through the gradient (create_graph=True)."""
    t = Tensor(x, requires_grad=True)
    (g,) = tg.grad(f(t), [t], create_graph=True)
    assert isinstance(g, Tensor) and g.requires_grad
    (hv,) = tg.grad((g * v).sum(), [t])
    return hv


def assert_hvp_matches_finite_differences(f, x, seed=0):
    v = np.random.default_rng(seed).normal(size=np.shape(x))
    expected = (gradient(f, x + H * v) - gradient(f, x - H * v)) / (2 * H)
    np.testing.assert_allclose(hessian_vector_product(f, x, v), expected, rtol=1e-5, atol=1e-6)


RNG = np.random.default_rng(7)
W = RNG.normal(size=(3, 4))  # random weights, so no entry of a Hessian hides in a plain sum
POSITIVE = RNG.uniform(0.5, 2.0, size=(3, 4))
AWAY_FROM_KINKS = RNG.uniform(0.3, 1.5, size=(3, 4)) * RNG.choice([-1.0, 1.0], size=(3, 4))
OTHER = Tensor(RNG.normal(size=(3, 4)))
MATRIX = Tensor(RNG.normal(size=(4, 5)))

OPS = {
    "add": lambda x: ((x + x * x) * W).sum(),
    "sub": lambda x: ((x * x - 3.0 * x) * W).sum(),
    "mul": lambda x: (x * x * OTHER * W).sum(),
    "div": lambda x: ((1.0 / x + x / (x * x + 1.0)) * W).sum(),
    "neg": lambda x: (-(x * x) * W).sum(),
    "pow": lambda x: (x**3 * W).sum() + (x**-0.5 * W).sum(),
    "pow of tensors": lambda x: (x**x * W).sum() + (2.0**x * W).sum(),
    "exp": lambda x: (x.exp() * W).sum(),
    "log": lambda x: (x.log() * x * W).sum(),
    "sqrt": lambda x: (x.sqrt() * W).sum(),
    "tanh": lambda x: (x.tanh() * W).sum(),
    "sigmoid": lambda x: (x.sigmoid() * W).sum(),
    "gelu": lambda x: (x.gelu() * W).sum(),
    "relu": lambda x: (x.relu() * x * W).sum(),
    "abs": lambda x: (x.abs() * x * W).sum(),
    "maximum": lambda x: (tg.maximum(x * x, x) * W).sum(),
    "minimum": lambda x: (tg.minimum(x * x, x) * W).sum(),
    "clip": lambda x: (tg.clip(x, -0.9, 0.9) * x * W).sum(),
    "where": lambda x: (tg.where(W > 0, x * x, x.exp()) * W).sum(),
    "sum": lambda x: ((x * x).sum(axis=0) ** 2).sum(),
    "mean": lambda x: ((x * x).mean(axis=1, keepdims=True) * x).sum(),
    "max": lambda x: ((x * W).max(axis=1) ** 2).sum(),
    "min": lambda x: ((x * W).min(axis=0) ** 2).sum(),
    "var": lambda x: (x.var(axis=1) * x.sum(axis=1)).sum(),
    "logsumexp": lambda x: (x * W).logsumexp(axis=1).sum() * x.sum(),
    "matmul": lambda x: (((x * x) @ MATRIX) ** 2).sum(),
    "matmul batched": lambda x: ((x.reshape(3, 2, 2) @ x.reshape(3, 2, 2)) ** 2).sum(),
    "matmul vector": lambda x: ((x[0] @ x[1]) * (x[2] @ MATRIX) ** 2).sum(),
    "reshape": lambda x: ((x.reshape(2, 6) ** 2) @ Tensor(W.reshape(6, 2))).sum(),
    "permute": lambda x: ((x.T ** 3) * W.T).sum(),
    "broadcast_to": lambda x: (x[0].broadcast_to((5, 4)) ** 3).sum(),
    "concatenate": lambda x: (tg.concatenate([x * x, x.exp()], axis=1) ** 2).sum(),
    "stack": lambda x: (tg.stack([x * x, x.tanh()], axis=-1) ** 2).sum(),
    "slice": lambda x: ((x[1:, ::2] ** 3) * 2.0).sum(),
    "select": lambda x: ((x[[0, 0, 2]] ** 3) * W).sum(),
}

POINTS = {"log": POSITIVE, "sqrt": POSITIVE, "pow": POSITIVE, "pow of tensors": POSITIVE}


@pytest.mark.parametrize("name", list(OPS))
def test_hessian_vector_product_matches_finite_differences_of_the_gradient(name):
    x = POINTS.get(name, AWAY_FROM_KINKS)
    for seed in range(3):
        assert_hvp_matches_finite_differences(OPS[name], x, seed)


@pytest.mark.parametrize("name", list(OPS))
def test_second_derivatives_keep_float32(name):
    x = POINTS.get(name, AWAY_FROM_KINKS).astype(np.float32)
    v = np.ones_like(x)
    assert hessian_vector_product(OPS[name], x, v).dtype == np.float32


@settings(max_examples=30, deadline=None)
@given(
    x=st.lists(st.floats(0.2, 3.0), min_size=4, max_size=4),
    name=st.sampled_from(["mul", "div", "exp", "tanh", "sigmoid", "gelu", "log", "sqrt", "matmul", "logsumexp"]),
)
def test_hessian_vector_products_at_random_points(x, name):
    point = np.resize(np.array(x), (3, 4))
    assert_hvp_matches_finite_differences(OPS[name], point)


# ---- against scalargrad: the same function, both engines, every Hessian entry ----------------


def both_engines(x, y, z, exp, tanh, sqrt):
    return tanh(x * y) + exp(z) / y + sqrt(x * x + 1.0) * z**3 - (x - z) ** 2 / (y * y + 2.0)


def scalar_hessian(point):
    xs = [scalargrad.Value(p) for p in point]
    out = both_engines(*xs, exp=lambda v: v.exp(), tanh=lambda v: v.tanh(), sqrt=lambda v: v.sqrt())
    rows = []
    for d in scalargrad.grad(out, xs, create_graph=True):
        rows.append(scalargrad.grad(d, xs))
    return np.array(rows)


def tensor_hessian(point):
    def f(t):
        return both_engines(t[0], t[1], t[2], exp=Tensor.exp, tanh=Tensor.tanh, sqrt=Tensor.sqrt)

    return np.array([hessian_vector_product(f, np.array(point), unit) for unit in np.eye(3)])


@pytest.mark.parametrize("point", [(0.5, 1.5, -0.3), (1.2, -0.7, 0.9), (-2.0, 0.4, 1.1)])
def test_tensor_hessian_equals_scalargrad_hessian(point):
    expected = scalar_hessian(point)
    np.testing.assert_allclose(tensor_hessian(point), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(expected, expected.T, rtol=1e-12, atol=1e-12)  # second derivatives commute


def test_third_derivative_of_a_cube():
    x = Tensor([2.0, -1.0], requires_grad=True)
    (d1,) = tg.grad((x**3).sum(), [x], create_graph=True)
    (d2,) = tg.grad(d1.sum(), [x], create_graph=True)
    (d3,) = tg.grad(d2.sum(), [x])
    np.testing.assert_array_equal(d1.data, [12.0, 3.0])
    np.testing.assert_array_equal(d2.data, [12.0, -6.0])
    np.testing.assert_array_equal(d3, [6.0, 6.0])


def test_newton_step_on_a_quadratic_lands_on_the_minimum():
    """For f(x) = ½xᵀAx − bᵀx the Hessian is A; one Newton step from anywhere solves Ax = b."""
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x = Tensor([5.0, 5.0], requires_grad=True)
    loss = 0.5 * (x @ (Tensor(a) @ x)) - (Tensor(b) * x).sum()
    (g,) = tg.grad(loss, [x], create_graph=True)
    hessian = np.array([tg.grad(g[i], [x], grad_outputs=None)[0] for i in range(2)])
    np.testing.assert_allclose(hessian, a, rtol=1e-14)
    step = np.linalg.solve(hessian, g.data)
    np.testing.assert_allclose(x.data - step, np.linalg.solve(a, b), rtol=1e-12)


# ---- grad(): its own semantics ---------------------------------------------------------------


def test_grad_leaves_dot_grad_untouched_and_gives_zeros_for_unused_inputs():
    x = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([3.0], requires_grad=True)
    gx, gu = tg.grad((x * x).sum(), [x, unused])
    np.testing.assert_array_equal(gx, [2.0, 4.0])
    np.testing.assert_array_equal(gu, [0.0])
    assert x.grad is None and unused.grad is None


def test_grad_of_several_outputs_adds_them_up_with_their_seeds():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.grad([x * x, x.exp()], [x], grad_outputs=[np.array([1.0, 0.5]), np.array([2.0, 0.0])])
    np.testing.assert_allclose(g, [2.0 + 2 * np.e, 2.0])


def test_grad_of_a_non_scalar_output_needs_its_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: the root has shape \(2,\)"):
        tg.grad(x * x, [x])
    with pytest.raises(ValueError, match=r"grad: 1 output\(s\) but 2 grad_outputs"):
        tg.grad([x * x], [x], grad_outputs=[None, None])
    with pytest.raises(TypeError, match=r"grad: outputs and inputs must be Tensors, got list"):
        tg.grad((x * x).sum(), [[1.0]])


def test_the_gradient_graph_broadcasts_back_like_the_first_one():
    """d/db of Σ (x + b)² with b broadcast over rows, differentiated again: 2·rows on the diagonal."""
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    b = Tensor([0.5, -0.5], requires_grad=True)
    (gb,) = tg.grad(((x + b) ** 2).sum(), [b], create_graph=True)
    assert gb.shape == (2,)
    (hb,) = tg.grad(gb.sum(), [b])
    np.testing.assert_allclose(hb, [6.0, 6.0])


# ---- ops without a second derivative say so ---------------------------------------------------

NO_SECOND_DERIVATIVE = {
    "take_along_axis": lambda x: x.take_along_axis(np.array([[0], [1], [2]]), axis=1).sum(),
    "softmax": lambda x: (F.softmax(x) * W).sum(),
    "log_softmax": lambda x: (F.log_softmax(x) * W).sum(),
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 1, 2])),
    "layer_norm": lambda x: (F.layer_norm(x, Tensor(np.ones(4)), Tensor(np.zeros(4))) * W).sum(),
}


@pytest.mark.parametrize("name", list(NO_SECOND_DERIVATIVE))
def test_ops_without_a_second_derivative_refuse_create_graph_by_name(name):
    x = Tensor(AWAY_FROM_KINKS, requires_grad=True)
    out = NO_SECOND_DERIVATIVE[name](x)
    with pytest.raises(RuntimeError, match=r"create_graph=True.*has no second derivative here"):
        tg.grad(out, [x], create_graph=True)
    (g,) = tg.grad(out, [x])  # the first derivative works as ever
    assert g.shape == x.shape


# ---- found by review: each was a silently wrong answer or an unclear error ---------------------


@pytest.mark.parametrize("constant", [lambda x: x.data, lambda x: x.detach(), lambda x: Tensor(x.data)])
def test_a_constant_sharing_an_inputs_array_stays_a_constant_in_the_second_derivative(constant):
    x = Tensor([2.0, 3.0], requires_grad=True)
    c = constant(x)
    (g,) = tg.grad((x * c).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, [2.0, 3.0])
    assert not g.requires_grad  # x·c is linear in x: its slope c does not depend on x
    (g,) = tg.grad((x * x * c).sum(), [x], create_graph=True)  # 2x·c
    (h,) = tg.grad(g.sum(), [x])
    np.testing.assert_array_equal(h, [4.0, 6.0])  # 2c, not the 6x of x³


def test_a_seed_that_requires_grad_stays_in_the_graph():
    """The double-backward trick: d/dv of (vᵀJ)·1 is J·1, a Jacobian-vector product."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    v = Tensor([0.0, 0.0], requires_grad=True)
    (g,) = tg.grad(x * x, [x], grad_outputs=v, create_graph=True)
    (jvp,) = tg.grad(g.sum(), [v])
    np.testing.assert_array_equal(jvp, [2.0, 4.0])


def test_grad_of_an_output_that_does_not_require_grad_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"grad: output 0 \(shape \(\)\) does not require grad"):
        tg.grad(y, [x])


def test_one_output_takes_its_seed_as_it_is():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.grad(x * x, [x], grad_outputs=np.array([1.0, 0.5]))
    np.testing.assert_array_equal(g, [2.0, 2.0])
    (g,) = tg.grad((x * x).sum(), [x], grad_outputs=2.0)
    np.testing.assert_array_equal(g, [4.0, 8.0])


def test_an_error_in_a_second_derivative_names_the_op_it_differentiates():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"backward through sqrt \(create_graph=True\): .*division by zero"):
        tg.grad(x.sqrt().sum(), [x], create_graph=True)


def test_inputs_may_be_one_tensor_and_must_require_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (g,) = tg.grad((x * x).sum(), x)
    np.testing.assert_array_equal(g, [2.0, 4.0])
    data = Tensor([1.0, 2.0])  # the output depends on it, but it asks for no gradient
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(2,\)\) does not require grad"):
        tg.grad((x * data * data).sum(), [x, data])


def test_the_gradient_of_a_linear_function_is_a_constant_and_grad_of_it_says_so():
    x = Tensor([1.5, -1.0], requires_grad=True)
    (g,) = tg.grad((x * 2.0).sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, [2.0, 2.0])
    with pytest.raises(RuntimeError, match=r"does not require grad: .*gradient of a linear function"):
        tg.grad(g.sum(), [x])


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e200), (np.float32, 1e30)])
def test_gelu_slope_at_huge_inputs_is_one_and_zero_not_nan(dtype, big):
    x = Tensor(np.array([big, -big], dtype=dtype), requires_grad=True)
    with np.errstate(over="ignore"):
        x.gelu().sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])
