"""Tests for functional: softmax family, entropy, KL divergence, L1/L2 penalties.

Values are compared with the textbook definitions computed in plain floats
(``math``), gradients with closed forms and with ``gradcheck``.
"""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scalargrad import (
    Value,
    cross_entropy,
    entropy,
    gradcheck,
    kl_divergence,
    l1,
    l2,
    l2_norm,
    log_softmax,
    softmax,
    sum_of,
)

FAST = settings(max_examples=50, deadline=None)

LOGITS = st.lists(st.floats(-20, 20), min_size=1, max_size=8)


def reference_softmax(zs):
    """The definition, e^zᵢ / Σ e^zⱼ, in floats (safe for |z| ≤ 20)."""
    exps = [math.exp(z) for z in zs]
    total = math.fsum(exps)
    return [e / total for e in exps]


def data(values):
    return [v.data for v in values]


def distributions(min_size=2, max_size=6):
    """Strictly positive probability vectors (normalised positive weights)."""

    def normalise(weights):
        total = math.fsum(weights)
        return [w / total for w in weights]

    return st.lists(st.floats(0.01, 1), min_size=min_size, max_size=max_size).map(normalise)


def one_hot(i, n):
    return [1.0 if j == i else 0.0 for j in range(n)]


def assert_matches_finite_differences(f, inputs):
    report = gradcheck(f, inputs)
    assert report.ok, str(report)


# ---- softmax ----------------------------------------------------------------------------------


@FAST
@given(zs=LOGITS)
def test_softmax_matches_the_definition_and_sums_to_one(zs):
    probs = data(softmax(zs))
    assert probs == pytest.approx(reference_softmax(zs), rel=1e-12, abs=1e-300)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(zs=st.lists(st.floats(-5, 5), min_size=2, max_size=5), i=st.integers(0, 4))
def test_softmax_gradient(zs, i):
    """∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ), and gradcheck agrees."""
    i %= len(zs)
    logits = [Value(z) for z in zs]
    softmax(logits)[i].backward()
    s = reference_softmax(zs)
    expected = [s[i] * ((i == j) - s[j]) for j in range(len(zs))]
    assert [z.grad for z in logits] == pytest.approx(expected, abs=1e-12)
    assert_matches_finite_differences(lambda *v: softmax(v)[i], zs)


@FAST
@given(zs=st.lists(st.floats(-5, 5), min_size=1, max_size=6), temperature=st.floats(0.1, 10))
def test_softmax_temperature_divides_the_logits(zs, temperature):
    assert data(softmax(zs, temperature)) == pytest.approx(reference_softmax([z / temperature for z in zs]), rel=1e-9)


def test_lower_temperature_sharpens():
    zs = [2.0, 1.0, 0.1]
    top = [softmax(zs, t)[0].data for t in (5.0, 1.0, 0.2)]
    assert top[0] < top[1] < top[2]


@pytest.mark.parametrize(
    "zs, expected",
    [([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0]), ([-1e4, 1e4], [0.0, 1.0]), ([800.0, 800.0], [0.5, 0.5])],
)
def test_softmax_is_stable_at_extreme_logits(zs, expected):
    """e^1000 overflows a float; subtracting the largest logit first keeps every exponent ≤ 0."""
    logits = [Value(z) for z in zs]
    probs = softmax(logits)
    assert data(probs) == pytest.approx(expected, abs=1e-300)
    probs[0].backward()
    assert all(math.isfinite(z.grad) for z in logits)


@FAST
@given(zs=st.lists(st.floats(-1e300, 1e300), min_size=1, max_size=5), i=st.integers(0, 4))
def test_softmax_family_is_finite_for_huge_logits(zs, i):
    """No error, no NaN, no infinity in values or gradients, however far apart the logits are."""
    i %= len(zs)
    logits = [Value(z) for z in zs]
    outputs = [softmax(logits)[i], log_softmax(logits)[i], cross_entropy(logits, i)]
    for out in outputs:
        out.backward()
    assert all(math.isfinite(out.data) for out in outputs)
    assert all(math.isfinite(z.grad) for z in logits)
    assert math.fsum(p.data for p in softmax(zs)) == pytest.approx(1.0, abs=1e-12)


@FAST
@given(zs=st.lists(st.floats(-30, 30), min_size=1, max_size=8))
def test_log_softmax_is_log_of_softmax(zs):
    assert data(log_softmax(zs)) == pytest.approx([math.log(p.data) for p in softmax(zs)], rel=1e-9, abs=1e-12)


def test_log_softmax_is_finite_where_softmax_underflows():
    """softmax([1000, 0, −1000]) holds exact zeros, whose log is −∞; log_softmax keeps −1000 and −2000."""
    assert data(log_softmax([1000.0, 0.0, -1000.0])) == pytest.approx([0.0, -1000.0, -2000.0], abs=1e-9)


@FAST
@given(zs=st.lists(st.floats(-5, 5), min_size=2, max_size=5), i=st.integers(0, 4))
def test_log_softmax_gradient(zs, i):
    assert_matches_finite_differences(lambda *v: log_softmax(v)[i % len(zs)], zs)


# ---- cross-entropy ----------------------------------------------------------------------------


@FAST
@given(zs=st.lists(st.floats(-10, 10), min_size=2, max_size=6), target=st.integers(0, 5))
def test_cross_entropy_is_minus_log_softmax_of_the_target(zs, target):
    target %= len(zs)
    loss = cross_entropy(zs, target)
    assert loss.data == pytest.approx(-math.log(reference_softmax(zs)[target]), rel=1e-12, abs=1e-12)


@FAST
@given(zs=st.lists(st.floats(-10, 10), min_size=2, max_size=6), target=st.integers(0, 5))
def test_cross_entropy_gradient_is_softmax_minus_one_hot(zs, target):
    target %= len(zs)
    logits = [Value(z) for z in zs]
    cross_entropy(logits, target).backward()
    expected = [p - y for p, y in zip(reference_softmax(zs), one_hot(target, len(zs)))]
    assert [z.grad for z in logits] == pytest.approx(expected, abs=1e-12)
    assert_matches_finite_differences(lambda *v: cross_entropy(v, target), zs)


def test_cross_entropy_is_stable_at_extreme_logits():
    logits = [Value(1000.0), Value(0.0), Value(-1000.0)]
    loss = cross_entropy(logits, 2)
    loss.backward()
    assert loss.data == pytest.approx(2000.0)
    assert [z.grad for z in logits] == pytest.approx([1.0, 0.0, -1.0], abs=1e-300)


# ---- entropy and KL divergence -----------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 8, 100])
def test_entropy_of_uniform_is_log_n(n):
    uniform = [1 / n] * n
    assert entropy(probs=uniform).data == pytest.approx(math.log(n), abs=1e-12)
    assert entropy(probs=uniform, base=2).data == pytest.approx(math.log2(n), abs=1e-12)


def test_fair_coin_has_one_bit():
    assert entropy(probs=[0.5, 0.5], base=2).data == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("i, n", [(0, 1), (0, 3), (2, 3)])
def test_entropy_of_one_hot_is_zero(i, n):
    assert entropy(probs=one_hot(i, n)).data == 0.0


@FAST
@given(p=distributions())
def test_entropy_gradient(p):
    """∂H/∂pᵢ = −(ln pᵢ + 1) in nats."""
    ps = [Value(x) for x in p]
    h = entropy(probs=ps)
    h.backward()
    assert h.data == pytest.approx(-math.fsum(x * math.log(x) for x in p), rel=1e-12)
    assert [v.grad for v in ps] == pytest.approx([-(math.log(x) + 1) for x in p], rel=1e-12)


@FAST
@given(zs=st.lists(st.floats(-3, 3), min_size=2, max_size=5))
def test_entropy_of_softmax_gradient(zs):
    assert_matches_finite_differences(lambda *v: entropy(probs=softmax(v)), zs)


@FAST
@given(p=distributions(3, 3), q=distributions(3, 3))
def test_kl_is_non_negative_and_zero_only_for_equal_distributions(p, q):
    assert kl_divergence(p=p, q=p).data == 0.0
    assert kl_divergence(p=p, q=q).data >= -1e-15
    assume(max(abs(a - b) for a, b in zip(p, q)) > 1e-3)
    assert kl_divergence(p=p, q=q).data > 0


def test_kl_is_asymmetric():
    p, q = [0.9, 0.1], [0.5, 0.5]
    forward = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    backward = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert kl_divergence(p=p, q=q).data == pytest.approx(forward, rel=1e-12)
    assert kl_divergence(p=q, q=p).data == pytest.approx(backward, rel=1e-12)
    assert abs(forward - backward) > 0.1


def test_kl_skips_terms_where_p_is_zero():
    """0·log(0/q) = 0 (the limit), even where q is also 0."""
    assert kl_divergence(p=[0.0, 1.0], q=[0.0, 1.0]).data == 0.0
    assert kl_divergence(p=[0.0, 1.0], q=[0.5, 0.5]).data == pytest.approx(math.log(2), rel=1e-12)


@FAST
@given(p=distributions(4, 4), q=distributions(4, 4))
def test_cross_entropy_is_entropy_plus_kl(p, q):
    """H(p, q) = −Σ pᵢ log qᵢ = H(p) + D_KL(p ‖ q)."""
    cross = -sum_of([pi * Value(qi).log() for pi, qi in zip(p, q)])
    assert cross.data == pytest.approx(entropy(probs=p).data + kl_divergence(p=p, q=q).data, rel=1e-12)


@FAST
@given(zs=st.lists(st.floats(-10, 10), min_size=2, max_size=6), target=st.integers(0, 5))
def test_cross_entropy_loss_is_kl_from_the_one_hot_target(zs, target):
    """With a one-hot target, H(target) = 0, so the loss is all KL."""
    target %= len(zs)
    target_distribution = one_hot(target, len(zs))
    kl = kl_divergence(p=target_distribution, q=softmax(zs))
    assert cross_entropy(zs, target).data == pytest.approx(
        entropy(probs=target_distribution).data + kl.data, rel=1e-9, abs=1e-12
    )


@FAST
@given(p=distributions(3, 3), q=distributions(3, 3))
def test_kl_gradients(p, q):
    """∂D/∂pᵢ = ln(pᵢ/qᵢ) + 1, ∂D/∂qᵢ = −pᵢ/qᵢ."""
    ps, qs = [Value(x) for x in p], [Value(x) for x in q]
    kl_divergence(p=ps, q=qs).backward()
    assert [v.grad for v in ps] == pytest.approx([math.log(a / b) + 1 for a, b in zip(p, q)], rel=1e-9, abs=1e-12)
    assert [v.grad for v in qs] == pytest.approx([-a / b for a, b in zip(p, q)], rel=1e-12)


@FAST
@given(a=st.lists(st.floats(-3, 3), min_size=3, max_size=3), b=st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_kl_of_softmaxes_gradient(a, b):
    assert_matches_finite_differences(lambda *v: kl_divergence(p=softmax(v[:3]), q=softmax(v[3:])), a + b)


# ---- L1 and L2 (§11) ----------------------------------------------------------------------------

WEIGHTS = st.lists(st.floats(0.01, 10).flatmap(lambda m: st.sampled_from([m, -m])), min_size=1, max_size=6)


def test_section_11_l2_pull():
    """The post's rubber bands: the pull on each weight is ∂(Σw²)/∂w = 2w."""
    ws = [Value(w) for w in (5.0, 2.0, 0.3, -3.0)]
    l2(ws).backward()
    assert [w.grad for w in ws] == pytest.approx([10.0, 4.0, 0.6, -6.0], abs=1e-12)


@pytest.mark.parametrize("w, penalty", [(5.0, 25.0), (0.3, 0.09)])
def test_section_11_l2_penalty(w, penalty):
    assert l2([w]).data == pytest.approx(penalty, abs=1e-12)


@FAST
@given(ws=WEIGHTS)
def test_l1_value_and_gradient_is_sign(ws):
    values = [Value(w) for w in ws]
    penalty = l1(values)
    penalty.backward()
    assert penalty.data == pytest.approx(math.fsum(abs(w) for w in ws), rel=1e-12)
    assert [v.grad for v in values] == [math.copysign(1.0, w) for w in ws]
    assert_matches_finite_differences(lambda *v: l1(v), ws)


@FAST
@given(ws=WEIGHTS)
def test_l2_value_and_gradient_is_two_w(ws):
    values = [Value(w) for w in ws]
    penalty = l2(values)
    penalty.backward()
    assert penalty.data == pytest.approx(math.fsum(w * w for w in ws), rel=1e-12)
    assert [v.grad for v in values] == pytest.approx([2 * w for w in ws], rel=1e-12)
    assert_matches_finite_differences(lambda *v: l2(v), ws)


@FAST
@given(ws=WEIGHTS)
def test_l2_norm_value_and_gradient_is_the_unit_vector(ws):
    values = [Value(w) for w in ws]
    norm = l2_norm(values)
    norm.backward()
    length = math.sqrt(math.fsum(w * w for w in ws))
    assert norm.data == pytest.approx(length, rel=1e-12)
    assert [v.grad for v in values] == pytest.approx([w / length for w in ws], rel=1e-12)
    assert_matches_finite_differences(lambda *v: l2_norm(v), ws)


def test_norms_of_a_3_4_vector():
    assert (l1([3.0, -4.0]).data, l2([3.0, -4.0]).data, l2_norm([3.0, -4.0]).data) == (7.0, 25.0, 5.0)


# ---- errors -------------------------------------------------------------------------------------


def assert_raises_naming(error, action, *fragments):
    with pytest.raises(error) as caught:
        action()
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


ERRORS = [
    pytest.param(lambda: cross_entropy([1.0, 2.0, 3.0], 3), ["cross_entropy", "3"], id="target-too-big"),
    pytest.param(lambda: cross_entropy([1.0, 2.0, 3.0], -1), ["cross_entropy", "-1"], id="target-negative"),
    pytest.param(lambda: cross_entropy([1.0, 2.0, 3.0], 1.0), ["cross_entropy", "1.0"], id="target-float"),
    pytest.param(lambda: cross_entropy([1.0, 2.0, 3.0], True), ["cross_entropy", "True"], id="target-bool"),
    pytest.param(lambda: entropy(probs=[0.5, 0.6]), ["entropy", "1.1"], id="entropy-sum-not-1"),
    pytest.param(lambda: entropy(probs=[-0.2, 1.2]), ["entropy", "-0.2"], id="entropy-negative"),
    pytest.param(lambda: kl_divergence(p=[0.5, 0.5], q=[0.3, 0.3]), ["kl_divergence", "0.6"], id="kl-sum-not-1"),
    pytest.param(lambda: kl_divergence(p=[0.5, 0.5], q=[1.5, -0.5]), ["kl_divergence", "1.5"], id="kl-outside-0-1"),
    pytest.param(lambda: kl_divergence(p=[0.5, 0.5], q=[1.0, 0.0]), ["kl_divergence", "q[1]", "0.5"], id="kl-q-zero"),
    pytest.param(lambda: kl_divergence(p=[0.5, 0.5], q=[1.0]), ["kl_divergence", "2", "1"], id="kl-lengths"),
    pytest.param(lambda: softmax([1.0, 2.0], temperature=0), ["softmax", "temperature", "0"], id="temperature-0"),
    pytest.param(lambda: softmax([1.0, 2.0], temperature=-1.5), ["softmax", "-1.5"], id="temperature-negative"),
    pytest.param(lambda: softmax([]), ["softmax", "at least one"], id="softmax-empty"),
    pytest.param(lambda: log_softmax([]), ["log_softmax", "at least one"], id="log_softmax-empty"),
    pytest.param(lambda: cross_entropy([], 0), ["cross_entropy", "at least one"], id="cross_entropy-empty"),
    pytest.param(lambda: entropy(probs=[]), ["entropy", "at least one"], id="entropy-empty"),
    pytest.param(lambda: kl_divergence(p=[], q=[]), ["kl_divergence", "at least one"], id="kl-empty"),
    pytest.param(lambda: l1([]), ["l1"], id="l1-empty"),
    pytest.param(lambda: l2([]), ["l2"], id="l2-empty"),
    pytest.param(lambda: l2_norm([]), ["l2_norm"], id="l2_norm-empty"),
]


@pytest.mark.parametrize("action, fragments", ERRORS)
def test_bad_input_is_a_value_error_naming_function_and_value(action, fragments):
    assert_raises_naming(ValueError, action, *fragments)


@pytest.mark.parametrize("function", [softmax, log_softmax, l1, l2, l2_norm])
def test_non_numbers_are_a_type_error(function):
    assert_raises_naming(TypeError, lambda: function([0.5, "0.5"]), function.__name__, "'0.5'")


def test_non_numbers_are_a_type_error_for_entropy():
    assert_raises_naming(TypeError, lambda: entropy(probs=[0.5, "0.5"]), "entropy", "'0.5'")


@pytest.mark.parametrize("base", [1, 0, -2, "2"])
def test_entropy_rejects_a_base_that_is_not_a_log_base(base):
    with pytest.raises(ValueError, match=r"entropy: base must be a positive number other than 1"):
        entropy(probs=[0.5, 0.5], base=base)


def test_kl_names_the_distribution_at_fault():
    with pytest.raises(ValueError, match=r"got q\[0\] = -0\.5"):
        kl_divergence(p=[0.5, 0.5], q=[-0.5, 1.5])


@pytest.mark.parametrize("temperature", ["hot", None, True])
def test_softmax_rejects_a_temperature_that_is_not_a_number(temperature):
    with pytest.raises(ValueError, match=r"softmax: temperature must be > 0"):
        softmax([1.0, 2.0], temperature=temperature)


def test_entropy_of_a_certain_outcome_is_plain_zero():
    h = entropy(probs=[1.0, 0.0, 0.0])
    assert h.data == 0.0 and math.copysign(1.0, h.data) == 1.0  # 0.0, never printed as -0.0


def test_cross_entropy_takes_a_numpy_integer_target_like_an_int():
    import numpy as np

    logits = [Value(1.0), Value(2.0), Value(-0.5)]
    assert cross_entropy(logits, np.int64(1)).data == cross_entropy(logits, 1).data
    with pytest.raises(ValueError, match=r"cross_entropy: target must be an int in \[0, 3\)"):
        cross_entropy(logits, np.float64(1.0))


def test_softmax_of_logits_a_float_apart_is_one_and_zero():
    """1e308 − (−1e308) overflows a float; the far term is e^−∞ = 0 all the same, and so is its slope."""
    zs = [Value(1e308), Value(-1e308)]
    probs = softmax(zs)
    assert [p.data for p in probs] == [1.0, 0.0]
    probs[0].backward()
    assert [z.grad for z in zs] == [0.0, 0.0]
    assert cross_entropy([Value(1e308), Value(-1e308)], 0).data == 0.0
