"""Tests for tensorgrad.sampling: temperature, top-k, top-p, sample and generate (§6–§8).

Distributions are checked by Monte Carlo: N = 40,000 draws (one batched call,
fixed seed), and every token's observed frequency must lie within 5 binomial
standard errors √(p(1 − p)/N) of the probability it should have. A correct
sampler fails that with probability < 6e-7 per token; a wrong one cannot pass
by luck: an error of 0.0125 at p = 0.5 (less for smaller p) is already 5
standard errors, and ``test_the_frequency_check_rejects_a_slightly_wrong_distribution``
shows it catching a temperature of 1.1 in place of 1. References are
computed here from the definitions, never with the code under test.
"""

import numpy as np
import pytest

from tensorgrad import Tensor, is_grad_enabled
from tensorgrad.sampling import (
    GREEDY_TEMPERATURE,
    generate,
    sample,
    temperature,
    top_k,
    top_p,
)

N = 40_000
POST_LOGITS = np.array([5.2, 2.1, 1.5, 0.3, -0.8])  # §6's "the, a, an, big, cat"
POST_TOP_P = np.array([0.45, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02])  # §7's "the, a, an, big, old, my, red"


def rng(seed=0):
    return np.random.default_rng(seed)


def softmax(z):
    """The definition e^zᵢ / Σⱼ e^zⱼ, for the small logits used here."""
    e = np.exp(np.asarray(z, dtype=np.float64))
    return e / e.sum(axis=-1, keepdims=True)


def draws(logits, n=N, seed=0, **options):
    """n tokens from one distribution, drawn as one batch of n identical rows."""
    logits = np.asarray(logits, dtype=np.float64)
    return sample(np.broadcast_to(logits, (n, *logits.shape)), rng=rng(seed), **options)


def frequencies_match(tokens, probs):
    """Each token's frequency within 5 standard errors of p, and tokens with p = 0 never drawn."""
    probs = np.asarray(probs)
    freq = np.bincount(tokens, minlength=len(probs)) / len(tokens)
    allowed = 5 * np.sqrt(probs * (1 - probs) / len(tokens))
    return bool(np.all(np.abs(freq - probs) <= allowed) and np.all(freq[probs == 0] == 0))


# ---- the Monte Carlo check itself -------------------------------------------------------------------
def test_the_frequency_check_rejects_a_slightly_wrong_distribution():
    tokens = draws(POST_LOGITS).tokens
    assert frequencies_match(tokens, softmax(POST_LOGITS))
    assert not frequencies_match(tokens, softmax(POST_LOGITS / 1.1))


# ---- plain sampling and temperature (§4, §6) -----------------------------------------------------------
def test_plain_sampling_draws_from_softmax():
    result = draws(POST_LOGITS)
    assert frequencies_match(result.tokens, softmax(POST_LOGITS))
    np.testing.assert_allclose(result.probs[0], softmax(POST_LOGITS), rtol=1e-12)


@pytest.mark.parametrize("T", [0.5, 2.0, 10.0])
def test_temperature_draws_from_softmax_of_z_over_T(T):
    expected = softmax(POST_LOGITS / T)
    result = draws(POST_LOGITS, temperature=T)
    assert frequencies_match(result.tokens, expected)
    np.testing.assert_allclose(result.probs[0], expected, rtol=1e-12)
    np.testing.assert_allclose(softmax(temperature(POST_LOGITS, T)), expected, rtol=1e-12)


def test_temperature_keeps_the_ranking_and_moves_entropy_the_posts_way():
    """§8: low T → low entropy (confident), high T → high entropy, towards log n as T → ∞."""
    entropies = [sample(POST_LOGITS, temperature=T, rng=rng()).entropy for T in (0.1, 0.5, 1, 2, 1000)]
    assert np.all(np.diff(entropies) > 0)
    assert entropies[-1] == pytest.approx(np.log(5), rel=1e-4)
    for T in (0.1, 2.0):
        assert np.array_equal(np.argsort(temperature(POST_LOGITS, T)), np.argsort(POST_LOGITS))


@pytest.mark.parametrize("T", [0, 0.0, 1e-9, GREEDY_TEMPERATURE / 2])
def test_temperature_near_zero_is_greedy_without_dividing_by_zero(T):
    logits = rng(1).standard_normal((50, 6))
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        cold = sample(logits, temperature=T, rng=rng())
        greedy = sample(logits, greedy=True)
        filtered = temperature(logits, T)
    assert np.array_equal(cold.tokens, logits.argmax(axis=-1))
    assert np.array_equal(greedy.tokens, cold.tokens)
    assert np.all(cold.log_probs == 0) and np.all(cold.entropy == 0)
    assert np.array_equal(np.isfinite(filtered), filtered == 0)
    assert np.all(np.isfinite(filtered).sum(axis=-1) == 1)


def test_greedy_takes_the_first_of_tied_maxima_and_needs_no_rng():
    logits = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    assert sample(logits, greedy=True).tokens.tolist() == [1, 0]
    assert sample(logits, temperature=0).tokens.tolist() == [1, 0]
    np.testing.assert_array_equal(temperature(logits, 0)[0], [-np.inf, 0, -np.inf])


def test_a_small_temperature_above_the_greedy_cutoff_neither_overflows_nor_loses_the_top_token():
    logits = np.array([800.0, 799.0, -800.0])
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        result = sample(np.broadcast_to(logits, (1000, 3)), temperature=1e-3, rng=rng())
    assert np.all(result.tokens == 0)
    assert np.all(np.isfinite(result.entropy))


# ---- top-k (§7) -------------------------------------------------------------------------------------
def test_top_k_draws_only_the_top_k_with_renormalised_probabilities():
    logits = rng(2).standard_normal(8)
    best = np.argsort(logits)[-3:]
    expected = np.zeros(8)
    expected[best] = softmax(logits[best])
    result = draws(logits, top_k=3)
    assert set(np.unique(result.tokens)) <= set(best.tolist())
    assert frequencies_match(result.tokens, expected)
    np.testing.assert_allclose(result.probs[0], expected, rtol=1e-12, atol=0)


def test_top_k_at_least_the_vocabulary_keeps_everything():
    assert np.array_equal(top_k(POST_LOGITS, 5), POST_LOGITS)
    assert np.array_equal(top_k(POST_LOGITS, 1000), POST_LOGITS)
    assert np.array_equal(draws(POST_LOGITS, top_k=1000).tokens, draws(POST_LOGITS).tokens)


def test_top_k_keeps_exactly_k_breaking_ties_by_index():
    kept = top_k(np.array([[1.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]), 2)
    np.testing.assert_array_equal(np.isfinite(kept), [[False, True, True, False], [True, True, False, False]])


# ---- top-p (§7) -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_top_p_on_the_posts_example_keeps_exactly_the_first_four(dtype):
    """45 + 20 + 15 + 10 = 90%: p = 0.9 keeps "the, a, an, big", though the sum rounds to 0.8999999999999999."""
    logits = np.log(POST_TOP_P).astype(dtype)
    assert np.isfinite(top_p(logits, 0.9)).tolist() == [True] * 4 + [False] * 3
    expected = np.append(POST_TOP_P[:4] / 0.9, [0, 0, 0])
    result = draws(logits, top_p=0.9)
    assert frequencies_match(result.tokens, expected)
    np.testing.assert_allclose(result.probs[0], expected, rtol=1e-6)


def test_top_p_ranks_tokens_by_probability_not_by_position():
    order = np.array([4, 0, 6, 2, 1, 5, 3])
    kept = np.isfinite(top_p(np.log(POST_TOP_P[order]), 0.9))
    assert sorted(order[kept].tolist()) == [0, 1, 2, 3]


def test_top_p_adapts_to_confidence():
    """§7: "if 'the' was 95%, only 1 token kept. If flat, many tokens kept." """
    assert np.isfinite(top_p(np.log([0.95, 0.03, 0.02]), 0.9)).sum() == 1
    assert np.isfinite(top_p(np.zeros(10), 0.9)).sum() == 9


@pytest.mark.parametrize("p", [1e-300, 1e-9, 0.3])
def test_top_p_always_keeps_the_most_likely_token(p):
    logits = np.log(POST_TOP_P)
    assert np.isfinite(top_p(logits, p)).tolist() == [True] + [False] * 6
    assert np.all(draws(logits, n=1000, top_p=p).tokens == 0)


def test_top_p_breaks_ties_by_index_and_one_keeps_everything():
    np.testing.assert_array_equal(np.isfinite(top_p(np.zeros(4), 0.5)), [True, True, False, False])
    np.testing.assert_array_equal(top_p(POST_LOGITS, 1.0), POST_LOGITS)


# ---- the pipeline: order, log-probabilities, entropy ------------------------------------------------
def test_sample_applies_temperature_then_top_k_then_top_p():
    z = np.log([0.4, 0.3, 0.2, 0.1])
    # top-k first leaves [0.4, 0.3] → [0.571, 0.429]: 0.571 already reaches p = 0.5
    assert np.count_nonzero(sample(z, top_k=2, top_p=0.5, rng=rng()).probs) == 1
    # temperature first: at T = 3 the nucleus of [0.5, 0.3, 0.2] at p = 0.8 grows from two tokens to three
    z = np.log([0.5, 0.3, 0.2])
    assert np.count_nonzero(sample(z, top_p=0.8, rng=rng()).probs) == 2
    assert np.count_nonzero(sample(z, temperature=3.0, top_p=0.8, rng=rng()).probs) == 3
    logits = rng(3).standard_normal((4, 10))
    composed = top_p(top_k(temperature(logits, 0.7), 6), 0.8)
    result = sample(logits, temperature=0.7, top_k=6, top_p=0.8, rng=rng())
    np.testing.assert_allclose(result.probs, softmax(composed), rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"temperature": 0.5}, {"top_k": 3}, {"top_p": 0.7},
                                     {"temperature": 1.5, "top_k": 5, "top_p": 0.9}, {"greedy": True}])
def test_log_probs_and_entropy_are_those_of_the_distribution_sampled_from(options):
    logits = rng(4).standard_normal((200, 8))
    result = sample(logits, rng=rng(), **options)
    rows = np.arange(200)
    np.testing.assert_allclose(result.log_probs, np.log(result.probs[rows, result.tokens]), rtol=1e-12)
    assert np.all(result.probs[rows, result.tokens] > 0)
    np.testing.assert_allclose(result.probs.sum(axis=-1), 1, rtol=1e-12)
    p = result.probs
    surprise = -np.log(p, where=p > 0, out=np.zeros_like(p))  # 0·log 0 taken as 0
    np.testing.assert_allclose(result.entropy, (p * surprise).sum(axis=-1), rtol=1e-12, atol=1e-15)


def test_entropy_of_a_uniform_step_is_log_n():
    """§8: "H = log(n): all n outcomes equally likely"; and top-k = 4 of them gives log 4."""
    assert sample(np.zeros(6), rng=rng()).entropy == pytest.approx(np.log(6))
    assert sample(np.zeros(6), top_k=4, rng=rng()).entropy == pytest.approx(np.log(4))


# ---- batches, inputs, randomness ----------------------------------------------------------------
def test_batched_rows_are_sampled_from_their_own_distributions():
    two = np.stack([POST_LOGITS, -POST_LOGITS])
    result = sample(np.broadcast_to(two, (N, 2, 5)), temperature=2.0, rng=rng())
    assert result.tokens.shape == result.log_probs.shape == result.entropy.shape == (N, 2)
    assert result.probs.shape == (N, 2, 5)
    assert frequencies_match(result.tokens[:, 0], softmax(POST_LOGITS / 2))
    assert frequencies_match(result.tokens[:, 1], softmax(-POST_LOGITS / 2))


def test_masked_logits_are_never_drawn_and_tensors_are_accepted():
    logits = np.array([0.0, -np.inf, 1.0, -np.inf])
    assert set(draws(logits, n=5000).tokens.tolist()) == {0, 2}
    z = rng(5).standard_normal((3, 4))
    tensor = Tensor(z, requires_grad=True)
    np.testing.assert_array_equal(sample(tensor, rng=rng()).tokens, sample(z, rng=rng()).tokens)
    assert tensor.grad is None and tensor.op is None


def test_the_seed_alone_decides_and_no_global_state_is_used():
    before = np.random.get_state()[1].copy()
    first, again, other = (draws(POST_LOGITS, n=500, seed=s).tokens for s in (7, 7, 8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.array_equal(np.random.get_state()[1], before)


def test_inputs_are_left_unchanged():
    logits = rng(6).standard_normal((3, 5))
    copy = logits.copy()
    temperature(logits, 0.5)
    top_k(logits, 2)
    top_p(logits, 0.5)
    sample(logits, temperature=0.5, top_k=2, top_p=0.5, rng=rng())
    np.testing.assert_array_equal(logits, copy)


# ---- clear errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("options", "match"), [
    ({"temperature": -0.5}, "temperature must be a finite number ≥ 0"),
    ({"temperature": float("nan")}, "temperature"),
    ({"temperature": float("inf")}, "temperature"),
    ({"top_k": 0}, "top_k must be an integer ≥ 1"),
    ({"top_k": 2.5}, "top_k"),
    ({"top_k": True}, "top_k"),
    ({"top_p": 0}, r"top_p must lie in \(0, 1\]"),
    ({"top_p": 1.5}, "top_p"),
    ({"top_p": float("nan")}, "top_p"),
])
def test_bad_options_are_reported(options, match):
    with pytest.raises(ValueError, match=match):
        sample(POST_LOGITS, rng=rng(), **options)


def test_bad_options_are_reported_by_the_filters_too():
    with pytest.raises(ValueError, match="temperature"):
        temperature(POST_LOGITS, -1)
    with pytest.raises(ValueError, match="top_k"):
        top_k(POST_LOGITS, 0)
    with pytest.raises(ValueError, match="top_p"):
        top_p(POST_LOGITS, 0)


def test_bad_logits_are_reported():
    with pytest.raises(ValueError, match=r"NaN \(1 of them, the first at index \(1, 2\)\)"):
        sample([[0.0, 1, 2], [0, 1, np.nan]], rng=rng())
    with pytest.raises(ValueError, match=r"\+inf"):
        top_p([0.0, np.inf], 0.5)
    with pytest.raises(ValueError, match=r"every logit of row \(1,\) is −inf"):
        top_k([[0.0, 1.0], [-np.inf, -np.inf]], 1)
    with pytest.raises(ValueError, match="vocabulary axis"):
        sample(np.float64(1.0), rng=rng())
    with pytest.raises(TypeError, match="must be numbers"):
        temperature(["a", "b"], 1.0)


def test_sampling_without_a_generator_is_refused():
    with pytest.raises(TypeError, match="np.random.default_rng"):
        sample(POST_LOGITS)
    with pytest.raises(TypeError, match="numpy Generator"):
        sample(POST_LOGITS, rng=np.random.RandomState(0))


# ---- generate: the autoregressive loop -------------------------------------------------------------
BIGRAM = np.array([  # BIGRAM[a, b] = P(next = b | last = a)
    [0.1, 0.6, 0.3, 0.0],
    [0.5, 0.0, 0.2, 0.3],
    [0.25, 0.25, 0.25, 0.25],
    [0.0, 0.0, 0.1, 0.9],
])


def bigram_model(ids):
    """A fake model: the logits at each position are log P(next | token there)."""
    with np.errstate(divide="ignore"):
        return np.log(BIGRAM)[ids]


def test_generate_reproduces_a_bigram_models_distribution():
    result = generate(bigram_model, np.zeros((N, 1), dtype=int), max_new_tokens=2, block_size=8, rng=rng())
    assert result.tokens.shape == result.log_probs.shape == result.entropy.shape == (N, 2)
    first, second = result.tokens.T
    assert frequencies_match(first, BIGRAM[0])
    assert frequencies_match(second, BIGRAM[0] @ BIGRAM)  # P(second = b) = Σₐ P(a | 0)·P(b | a)
    np.testing.assert_allclose(result.log_probs[:, 0], np.log(BIGRAM[0, first]), rtol=1e-12)
    np.testing.assert_allclose(result.log_probs[:, 1], np.log(BIGRAM[first, second]), rtol=1e-12)
    p = BIGRAM[first]
    entropy = -(p * np.log(p, where=p > 0, out=np.zeros_like(p))).sum(axis=-1)
    np.testing.assert_allclose(result.entropy[:, 1], entropy, rtol=1e-12)


def test_generate_feeds_the_model_only_the_last_block_size_tokens():
    seen = []

    def model(ids):
        seen.append(ids.copy())
        assert not is_grad_enabled()
        return bigram_model(ids)

    prompt = np.array([[0, 1, 2], [3, 3, 3]])
    result = generate(model, prompt, max_new_tokens=5, block_size=4, top_k=2, rng=rng())
    sequence = np.concatenate([prompt, result.tokens], axis=1)
    assert [ids.shape for ids in seen] == [(2, 3)] + [(2, 4)] * 4
    for step, ids in enumerate(seen):
        end = 3 + step
        np.testing.assert_array_equal(ids, sequence[:, max(0, end - 4):end])


def test_generate_with_a_1d_prompt_greedy_and_no_new_tokens():
    greedy = generate(bigram_model, [2, 0], max_new_tokens=4, block_size=2, greedy=True)
    assert greedy.tokens.tolist() == [1, 0, 1, 0]
    assert np.all(greedy.log_probs == 0) and np.all(greedy.entropy == 0)
    none = generate(bigram_model, [[0], [1]], max_new_tokens=0, block_size=2, rng=rng())
    assert none.tokens.shape == (2, 0) and none.tokens.dtype == np.int64
    assert none.log_probs.shape == none.entropy.shape == (2, 0)


def test_generate_accepts_a_model_returning_tensors():
    result = generate(lambda ids: Tensor(np.log(BIGRAM + 1e-3)[ids]), [0], 3, 2, rng=rng())
    assert result.tokens.shape == (3,)


def test_generate_reports_bad_arguments_and_bad_models():
    with pytest.raises(ValueError, match=r"shape \(batch, time, vocab\) = \(1, 2, vocab\)"):
        generate(lambda ids: bigram_model(ids)[:, -1], [[0, 1]], 1, 4, rng=rng())
    with pytest.raises(ValueError, match="block_size must be an integer ≥ 1"):
        generate(bigram_model, [0], 1, 0, rng=rng())
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(bigram_model, [0], -1, 4, rng=rng())
    with pytest.raises(ValueError, match="time ≥ 1"):
        generate(bigram_model, np.zeros((2, 0), dtype=int), 1, 4, rng=rng())
    with pytest.raises(TypeError, match="integer token ids"):
        generate(bigram_model, [0.0, 1.0], 1, 4, rng=rng())
    with pytest.raises(TypeError, match="numpy Generator"):
        generate(bigram_model, [0], 0, 4)
    with pytest.raises(ValueError, match="top_p"):
        generate(bigram_model, [0], 0, 4, top_p=2, rng=rng())
