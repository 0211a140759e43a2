"""tensorgrad.checks: each helper lets good input through and names the function and the value at fault."""

import numpy as np
import pytest

from tensorgrad import Tensor, checks


def test_float_tensor_converts_and_refuses_integers():
    assert isinstance(checks.float_tensor([1.0, 2.0], "f"), Tensor)
    with pytest.raises(TypeError, match="f: expected floating-point values, got dtype int64"):
        checks.float_tensor(np.arange(3), "f")
    with pytest.raises(TypeError, match="f: q must hold floating-point values"):
        checks.float_tensor(np.arange(3), "f", "q")


def test_axis_counts_from_the_end_and_refuses_what_is_not_one_axis():
    x = Tensor(np.zeros((2, 3)))
    assert checks.axis(x, -1, "f") == 1
    with pytest.raises(ValueError, match=r"f: axis 2 is out of range for a tensor with 2 dimension"):
        checks.axis(x, 2, "f")
    with pytest.raises(TypeError, match="f: axis must be one int"):
        checks.axis(x, (0, 1), "f")


def test_integer_ids_in_range_with_an_ignored_value():
    ids = checks.integers([0, 2, -100], "f", "ids")
    checks.in_range(ids, 3, "f", "ids", ignore=-100)
    with pytest.raises(IndexError, match=r"f: ids must lie in \[0, 3\), got -100 at index \(2,\)"):
        checks.in_range(ids, 3, "f", "ids")
    with pytest.raises(TypeError, match="f: ids must be integer token ids, got dtype float64"):
        checks.integers([0.0], "f", "ids", "integer token ids")


@pytest.mark.parametrize(("value", "bounds", "ok"), [
    (0, "[)", True), (1, "[)", False), (0, "(]", False), (1, "(]", True), (0.5, "()", True),
    (float("nan"), "[]", False), (True, "[]", False), ("0.5", "[]", False),
])
def test_interval_respects_which_ends_belong(value, bounds, ok):
    if ok:
        checks.interval(value, 0, 1, "f", "p", bounds)
    else:
        with pytest.raises(ValueError, match=rf"f: p must lie in \{bounds[0]}0, 1\{bounds[1]}"):
            checks.interval(value, 0, 1, "f", "p", bounds)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, None, "1"])
def test_positive_refuses_what_is_not_a_number_above_zero(bad):
    with pytest.raises(ValueError, match=r"f: lr must be > 0"):
        checks.positive(bad, "f", "lr")


@pytest.mark.parametrize("bad", [0, 2.0, True, np.float64(3.0)])
def test_count_refuses_non_integers_and_too_few(bad):
    with pytest.raises(ValueError, match="f: k must be an integer ≥ 1"):
        checks.count(bad, "f", "k")
    checks.count(np.int64(3), "f", "k")


def test_completion_mask_accepts_zero_one_and_refuses_empty_or_misshapen():
    assert checks.completion_mask([[0, 1]], (1, 2), "f", "values").dtype == bool
    with pytest.raises(TypeError, match="f: the mask must be boolean"):
        checks.completion_mask([[0, 2]], (1, 2), "f", "values")
    with pytest.raises(ValueError, match=r"f: the mask has shape \(1, 2\) but the values have shape \(2, 1\)"):
        checks.completion_mask([[True, True]], (2, 1), "f", "values")
    with pytest.raises(ValueError, match="marks no completion token"):
        checks.completion_mask([[False, False]], (1, 2), "f", "values")


def test_probabilities_must_lie_in_zero_one_and_sum_to_one():
    checks.probabilities(np.array([[0.5, 0.5], [1.0, 0.0]]), -1, "f", "p")
    with pytest.raises(ValueError, match=r"f: probabilities must lie in \[0, 1\], got p\[1\] = 1.5"):
        checks.probabilities(np.array([0.5, 1.5]), -1, "f", "p")
    with pytest.raises(ValueError, match="f: probabilities q must sum to 1, got 0.6"):
        checks.probabilities(np.array([0.3, 0.3]), -1, "f", "q")


def test_rewards_are_finite_and_one_per_sequence():
    assert checks.rewards([1, 0], "f").dtype == np.float64
    with pytest.raises(ValueError, match=r"f: rewards of shape \(2,\) contain 1 NaN or infinite value\(s\), "
                                         r"the first inf at index \(1,\)"):
        checks.rewards([0.0, np.inf], "f")
    with pytest.raises(ValueError, match=r"f: rewards must have shape \(B,\) or \(prompts, G\)"):
        checks.rewards(np.zeros((1, 1, 1)), "f")


def test_generators_strict_where_draws_repeat_seeded_where_models_start():
    generator = np.random.default_rng(0)
    assert checks.generator(generator, "f") is generator
    with pytest.raises(TypeError, match="f: rng must be a numpy Generator"):
        checks.generator(0, "f")
    assert checks.seeded_generator(generator, "f") is generator
    np.testing.assert_array_equal(checks.seeded_generator(3, "f").random(2), np.random.default_rng(3).random(2))
    with pytest.raises(TypeError, match="f: rng must be an int seed or a numpy Generator"):
        checks.seeded_generator(None, "f")


def test_choice_and_dims():
    checks.choice("mean", ("mean", "sum"), "f", "reduction")
    with pytest.raises(ValueError, match=r"f: reduction must be one of \('mean', 'sum'\), got 'avg'"):
        checks.choice("avg", ("mean", "sum"), "f", "reduction")
    with pytest.raises(ValueError, match=r"f: logits must have shape \(B, T, V\), got \(2, 3\)"):
        checks.dims((2, 3), 3, "f", "logits", "(B, T, V)")


# ---- the checks that several public functions share ------------------------------------------------
def test_interval_spells_a_half_line_as_a_comparison_and_takes_infinity_in_when_closed():
    checks.positive(np.inf, "f", "max_norm")  # "(]": clip_grad_norm(max_norm=inf) measures and never clips
    checks.non_negative(0, "f", "eps")
    with pytest.raises(ValueError, match=r"f: eps must be >= 0, got -1"):
        checks.non_negative(-1, "f", "eps")
    with pytest.raises(ValueError, match=r"f: c must be > 2, got 2"):
        checks.interval(2, 2, np.inf, "f", "c", "(]")


def test_of_kind_names_the_kind_in_words():
    assert checks.of_kind([True, False], "b", "f", "condition", "boolean").dtype == bool
    with pytest.raises(TypeError, match="f: condition must be boolean, got dtype float64"):
        checks.of_kind([1.0], "b", "f", "condition", "boolean")


def test_integers_check_their_range_when_given_one():
    np.testing.assert_array_equal(checks.integers([2, -1], "f", "ids", high=3, ignore=-1), [2, -1])
    with pytest.raises(IndexError, match=r"f: ids must lie in \[0, 3\), got 3 at index \(0,\)"):
        checks.integers([3], "f", "ids", high=3)


def test_token_ids_need_their_layout_and_a_long_enough_last_axis():
    assert checks.token_ids([[1, 2]], "f", "ids", "(B, T)", (2,), 2).shape == (1, 2)
    with pytest.raises(ValueError, match=r"f: ids must have shape \(B, T\) with T ≥ 2 \(a prompt\), got \(1, 1\)"):
        checks.token_ids([[1]], "f", "ids", "(B, T)", (2,), 2, " (a prompt)")
    with pytest.raises(ValueError, match=r"f: ids must have shape \(\.\.\., T\) with T ≥ 1, got \(\)"):
        checks.token_ids(3, "f", "ids")
    with pytest.raises(IndexError, match=r"f: ids must lie in \[0, 5\)"):
        checks.token_ids([7], "f", "ids", high=5)


def test_class_indices_fit_the_logits_rows_and_classes():
    assert checks.class_indices([0, 2], (2, 3), "f", "logits", "targets", "integers").shape == (2,)
    with pytest.raises(ValueError, match=r"f: logits need a class axis, got shape \(\)"):
        checks.class_indices(0, (), "f", "logits", "targets", "integers")
    with pytest.raises(ValueError, match=r"f: logits of shape \(2, 3\) need targets of shape \(2,\), got targets of "
                                         r"shape \(3,\)"):
        checks.class_indices([0, 1, 2], (2, 3), "f", "logits", "targets", "integers")
    with pytest.raises(IndexError, match=r"f: targets must lie in \[0, 3\), got 3"):
        checks.class_indices([0, 3], (2, 3), "f", "logits", "targets", "integers")
    with pytest.raises(TypeError, match="f: targets must be integer class indices, got dtype float64"):
        checks.class_indices([0.0, 1.0], (2, 3), "f", "logits", "targets", "integer class indices")


def test_logits_are_a_float_tensor_with_a_non_empty_axis():
    x, axis = checks.logits([[1.0, 2.0]], -1, "f")
    assert isinstance(x, Tensor) and axis == 1
    with pytest.raises(ValueError, match=r"f: axis 0 of shape \(0, 2\) is empty"):
        checks.logits(np.zeros((0, 2)), 0, "f")


def test_model_logits_are_batch_time_vocab_for_the_ids():
    checks.model_logits((2, 3, 5), (2, 3), "f", "model_fn")
    with pytest.raises(ValueError, match=r"f: model_fn must map ids of shape \(2, 3\) to logits of shape "
                                         r"\(batch, time, vocab\) = \(2, 3, vocab\), got shape \(2, 5\)"):
        checks.model_logits((2, 5), (2, 3), "f", "model_fn")


def test_finite_returns_float64_and_names_the_first_bad_entry():
    assert checks.finite([1, 2], "f", "advantages").dtype == np.float64
    with pytest.raises(ValueError, match=r"f: advantages of shape \(2,\) contain 1 NaN .* the first nan at index \(1,\)"):
        checks.finite([0.0, np.nan], "f", "advantages")
