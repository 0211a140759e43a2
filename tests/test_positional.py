"""Tests for tensorgrad.positional: learned, sinusoidal and rotary position encodings (§14)."""

import numpy as np
import pytest

from tensorgrad import Tensor, gradcheck
from tensorgrad.positional import (
    LearnedPositionalEmbedding,
    apply_rope,
    sinusoidal_positions,
)


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- learned ---------------------------------------------------------------------------------
def test_learned_positions_add_one_trainable_vector_per_position():
    positions = LearnedPositionalEmbedding(6, 3, rng=0)
    x = random(2, 4, 3)
    np.testing.assert_array_equal(positions(x).data, x + positions.weight.data[:4])
    assert [name for name, _ in positions.named_parameters()] == ["weight"]

    def with_table(x, table):
        positions.weight = table
        return positions(x)

    gradcheck(with_table, [x, random(6, 3, seed=1)])  # rows 4 and 5 are unused: gradient 0


def test_learned_positions_refuse_sequences_longer_than_the_table():
    with pytest.raises(ValueError, match="length 7 is longer than block_size=6"):
        LearnedPositionalEmbedding(6, 3)(random(7, 3))
    with pytest.raises(ValueError, match=r"expected shape \(\.\.\., length, 3\), got \(4, 5\)"):
        LearnedPositionalEmbedding(6, 3)(random(4, 5))


# ---- sinusoidal --------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [6, 7])
def test_sinusoidal_table_matches_the_formula(dim):
    table = sinusoidal_positions(5, dim, base=100.0)
    assert table.shape == (5, dim) and not table.requires_grad
    for p in range(5):
        for j in range(dim):
            angle = p / 100.0 ** (2 * (j // 2) / dim)
            assert table.data[p, j] == pytest.approx(np.sin(angle) if j % 2 == 0 else np.cos(angle), abs=1e-15)


def test_sinusoidal_similarity_depends_only_on_the_offset():
    """PE[p]·PE[p+k] = Σᵢ cos(k·ωᵢ), the same for every p."""
    table = sinusoidal_positions(40, 8).data
    for offset in (1, 3, 10):
        dots = (table[:-offset] * table[offset:]).sum(axis=1)
        np.testing.assert_allclose(dots, dots[0], rtol=1e-12)


def test_sinusoidal_table_keeps_the_dtype():
    assert sinusoidal_positions(3, 4, dtype=np.float32).dtype == np.float32


# ---- rotary --------------------------------------------------------------------------------------
def test_rope_rotates_each_pair_like_a_complex_number():
    """(x₂ᵢ + i·x₂ᵢ₊₁)·e^(i·m·ωᵢ): the RoFormer definition."""
    x = random(2, 5, 6)
    out = apply_rope(x, base=50.0).data
    angles = np.arange(5)[:, None] * 50.0 ** (-np.arange(0, 6, 2) / 6)
    turned = (x[..., 0::2] + 1j * x[..., 1::2]) * np.exp(1j * angles)
    np.testing.assert_allclose(out[..., 0::2], turned.real, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out[..., 1::2], turned.imag, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(out[:, 0], x[:, 0])  # position 0: angle 0, no change
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12)


def test_rope_score_depends_only_on_the_distance_between_positions():
    """q_m·k_n after rotation is a function of m − n: shifting both positions changes nothing."""
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal(8), rng.standard_normal(8)
    length = 12
    q_rot = apply_rope(np.tile(q, (length, 1))).data  # the same q at positions 0..11
    k_rot = apply_rope(np.tile(k, (length, 1))).data
    scores = q_rot @ k_rot.T  # scores[m, n] = rotated q at m · rotated k at n
    for shift in (1, 2, 5, 9):
        np.testing.assert_allclose(scores[shift:, shift:], scores[:-shift, :-shift], rtol=1e-10, atol=1e-12)
    far = apply_rope(np.tile(q, (length, 1)), positions=np.arange(length) + 1000).data
    far_k = apply_rope(np.tile(k, (length, 1)), positions=np.arange(length) + 1000).data
    np.testing.assert_allclose(far @ far_k.T, scores, rtol=1e-8, atol=1e-10)
    assert not np.allclose(scores[0, 0], scores[0, 1])  # but the distance itself does matter


def test_rope_gradients():
    gradcheck(lambda x: apply_rope(x), random(2, 3, 4))
    gradcheck(lambda x: apply_rope(x, positions=np.array([4, 1, 7])), random(3, 6))


def test_rope_keeps_float32():
    x = Tensor(random(3, 4).astype(np.float32), requires_grad=True)
    out = apply_rope(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_rope_errors():
    with pytest.raises(ValueError, match="even length"):
        apply_rope(random(3, 5))
    with pytest.raises(ValueError, match="positions must be 3 integers"):
        apply_rope(random(3, 4), positions=np.arange(4))
    with pytest.raises(ValueError, match="positions must be 3 integers"):
        apply_rope(random(3, 4), positions=np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"apply_rope: expected shape"):
        apply_rope(random(4))
