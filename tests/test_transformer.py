"""Tests for tensorgrad.transformer: MultiHeadAttention, TransformerBlock and GPT (§12–§14).

Multi-head attention is checked against a loop over the heads in NumPy;
gradients with tensorgrad.gradcheck on a few small parameters at a time
(gradcheck costs two forward passes per entry).
"""

import numpy as np
import pytest

import tensorgrad.functional as F
from tensorgrad import Tensor, gradcheck
from tensorgrad.positional import apply_rope
from tensorgrad.transformer import GPT, MultiHeadAttention, TransformerBlock


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def set_parameter(model, name, value):
    """model.<dotted name> = value, e.g. "blocks.0.attn.qkv.weight"."""
    *path, last = name.split(".")
    for part in path:
        model = model[int(part)] if part.isdigit() else getattr(model, part)
    setattr(model, last, value)


def check_gradients(model, f, names, *inputs):
    """gradcheck of f(*inputs) as a function of the inputs and of the named parameters."""

    def with_parameters(*tensors):
        for name, tensor in zip(names, tensors[len(inputs) :]):
            set_parameter(model, name, tensor)
        return f(*tensors[: len(inputs)])

    params = dict(model.named_parameters())
    gradcheck(with_parameters, [*inputs, *[params[name].data for name in names]])


def reference_attention(mha, x):
    """Each head on its own slice of Q, K, V, in a Python loop: what the reshapes must reproduce."""
    q, k, v = np.split(x @ mha.qkv.weight.data + mha.qkv.bias.data, 3, axis=-1)
    width, length = mha.dim // mha.n_heads, x.shape[-2]
    heads = []
    for h in range(mha.n_heads):
        qh, kh, vh = (a[..., h * width : (h + 1) * width] for a in (q, k, v))
        if mha.rope:
            qh, kh = apply_rope(qh).data, apply_rope(kh).data
        scores = qh @ np.swapaxes(kh, -1, -2) / np.sqrt(width)
        if mha.causal:
            scores = np.where(np.tri(length, dtype=bool), scores, -np.inf)
        weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads.append(weights / weights.sum(axis=-1, keepdims=True) @ vh)
    return np.concatenate(heads, axis=-1) @ mha.out.weight.data + mha.out.bias.data


# ---- multi-head attention ----------------------------------------------------------------------
@pytest.mark.parametrize(("causal", "rope"), [(True, False), (False, False), (True, True)])
def test_multi_head_attention_matches_a_loop_over_heads(causal, rope):
    mha = MultiHeadAttention(8, 2, causal=causal, rope=rope, rng=1)
    x = random(3, 5, 8)
    out = mha(x)
    assert out.shape == (3, 5, 8)
    np.testing.assert_allclose(out.data, reference_attention(mha, x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mha(x[1]).data, out.data[1], rtol=1e-12)  # one sequence, no batch axis


@pytest.mark.parametrize("rope", [False, True])
def test_multi_head_attention_gradients(rope):
    mha = MultiHeadAttention(4, 2, rope=rope, rng=2)
    check_gradients(mha, mha, ["qkv.weight", "out.bias"], random(2, 3, 4))


def test_multi_head_attention_keeps_its_weights_when_asked():
    mha = MultiHeadAttention(6, 3, rng=0)
    mha(random(2, 4, 6))
    assert mha.last_weights is None
    mha.keep_weights = True
    mha(random(2, 4, 6))
    weights = mha.last_weights.data
    assert weights.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(np.triu(weights, 1) == 0)


@pytest.mark.parametrize("causal", [True, False])
def test_multi_head_attention_in_one_op_matches_the_spelled_out_graph(causal):
    """Without rope or kept weights the heads are split and merged inside one op: same outputs, same gradients."""
    mha = MultiHeadAttention(8, 2, causal=causal, rng=1)
    x = Tensor(random(3, 5, 8), requires_grad=True)
    found = []
    for spelled_out in (False, True):
        mha.keep_weights = spelled_out  # kept weights take the spelled-out path
        for p in (*mha.parameters(), x):
            p.grad = None
        out = mha(x)
        (out * random(3, 5, 8, seed=1)).sum().backward()
        found.append([out.data, x.grad, *(p.grad for p in mha.parameters())])
    for fused, spelled_out in zip(*found):
        np.testing.assert_allclose(fused, spelled_out, rtol=1e-12, atol=1e-14)


def test_multi_head_attention_errors():
    with pytest.raises(ValueError, match="dim=6 must split evenly into n_heads=4"):
        MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match="head width dim/n_heads = 3 must be even"):
        MultiHeadAttention(6, 2, rope=True)
    with pytest.raises(ValueError, match=r"expected inputs of shape \(\.\.\., length, 6\), got \(2, 5\)"):
        MultiHeadAttention(6, 2)(random(2, 5))


# ---- transformer block -------------------------------------------------------------------------------
def test_transformer_block_is_two_residual_steps():
    block = TransformerBlock(4, 2, mlp_ratio=2, rng=0)
    x = random(2, 3, 4)
    after_attention = x + block.attn(block.ln1(x)).data
    expected = after_attention + block.mlp(block.ln2(after_attention)).data
    np.testing.assert_allclose(block(x).data, expected, rtol=1e-12)
    assert block.mlp.layers[0].out_features == 8


def test_transformer_block_gradients():
    block = TransformerBlock(4, 2, mlp_ratio=2, rng=1)
    check_gradients(block, block, ["ln1.weight", "attn.qkv.bias", "mlp.layers.0.weight"], random(2, 3, 4))


# ---- GPT -----------------------------------------------------------------------------------------------
VOCAB, BLOCK = 7, 5
CONFIGS = [(position, tied) for position in ("learned", "sinusoidal", "rope") for tied in (False, True)]


def tiny_gpt(position="learned", tie_weights=False, dtype=np.float64, rng=0):
    """A 2-layer GPT of width 4 with 2 heads; the tied one also has a head bias."""
    return GPT(
        VOCAB, BLOCK, dim=4, n_heads=2, n_layers=2, position=position, tie_weights=tie_weights,
        head_bias=tie_weights, dtype=dtype, rng=rng,
    )


def token_ids(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, shape)


@pytest.mark.parametrize(("position", "tied"), CONFIGS)
def test_gpt_gradients(position, tied):
    model = tiny_gpt(position, tied)
    ids, targets = token_ids(2, 4), token_ids(2, 4, seed=1)
    names = ["token_embedding.weight", "blocks.1.attn.qkv.bias"]
    names += ["head_bias"] if tied else ["head.weight"]
    names += ["position_embedding.weight"] if position == "learned" else []
    check_gradients(model, lambda: model.loss(ids, targets), names)


@pytest.mark.parametrize(("position", "tied"), CONFIGS)
def test_gpt_is_causal_exactly(position, tied):
    """Changing token t never changes the logits at positions before t, not even in the last bit."""
    model = tiny_gpt(position, tied)
    ids = token_ids(3, BLOCK)
    logits = model(ids).data
    assert logits.shape == (3, BLOCK, VOCAB)
    for t in range(1, BLOCK):
        changed = ids.copy()
        changed[:, t] = (changed[:, t] + 1) % VOCAB
        new = model(changed).data
        np.testing.assert_array_equal(new[:, :t], logits[:, :t])
        assert not np.array_equal(new[:, t], logits[:, t])


def test_gpt_loss_is_the_cross_entropy_of_its_logits():
    model = tiny_gpt()
    ids, targets = token_ids(2, 4), token_ids(2, 4, seed=1)
    assert model.loss(ids, targets).item() == F.cross_entropy(model(ids), targets).item()
    assert model(ids[0]).shape == (4, VOCAB)  # one sequence without a batch axis


def test_gpt_ties_the_head_to_the_embedding_table():
    tied, untied = tiny_gpt(tie_weights=True), tiny_gpt()
    names = [name for name, _ in tied.named_parameters()]
    assert "head.weight" not in names and "head_bias" in names
    assert len(untied.parameters()) == len(tied.parameters())  # a head weight instead of a head bias
    h = tied.ln_f(Tensor(random(2, 4)))
    logits = h.data @ tied.token_embedding.weight.data.T + tied.head_bias.data
    np.testing.assert_allclose((h @ tied.token_embedding.weight.T + tied.head_bias).data, logits)


@pytest.mark.parametrize(("position", "tied"), CONFIGS)
def test_state_dict_round_trip_reproduces_the_logits_exactly(tmp_path, position, tied):
    model = tiny_gpt(position, tied, rng=0)
    path = tmp_path / "gpt.npz"
    model.save(path)
    fresh = tiny_gpt(position, tied, rng=1)
    ids = token_ids(2, BLOCK)
    assert not np.array_equal(fresh(ids).data, model(ids).data)
    fresh.load(path)
    np.testing.assert_array_equal(fresh(ids).data, model(ids).data)


def test_gpt_attention_weights_for_plots():
    model = tiny_gpt()
    weights = model.attention_weights(token_ids(2, 4))
    assert len(weights) == 2 and weights[0].shape == (2, 2, 4, 4)
    np.testing.assert_allclose(weights[1].sum(axis=-1), 1.0, rtol=1e-12)
    assert all(not block.attn.keep_weights and block.attn.last_weights is None for block in model.blocks)


def test_gpt_in_float32():
    model = tiny_gpt("rope", True, dtype=np.float32)
    loss = model.loss(token_ids(2, 4), token_ids(2, 4, seed=1))
    loss.backward()
    assert loss.dtype == np.float32
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_gpt_errors():
    model = tiny_gpt()
    with pytest.raises(ValueError, match=r"length 6 is longer than block_size=5.*ids\[\.\.\., -5:\]"):
        model(token_ids(2, 6))
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 7\), got 7"):
        model(np.array([[1, 7, 2]]))
    with pytest.raises(IndexError, match=r"targets must lie in \[0, 7\), got -2"):
        model.loss(np.array([[1, 2]]), np.array([[-2, 3]]))
    with pytest.raises(TypeError, match="integer token ids"):
        model(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="position must be one of"):
        tiny_gpt(position="absolute")
    assert model.loss(np.array([[1, 2]]), np.array([[-1, 3]]), ignore_index=-1).item() > 0
