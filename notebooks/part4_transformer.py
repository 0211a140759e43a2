# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Part 4 · The Transformer
#
# Between the input text and the logits sits the transformer, and its key
# operation is surprisingly simple: measuring how similar words are. **Dot
# products and matrix multiplication** (§12) measure similarity many at once;
# **attention** (§13) turns the similarities into weights for mixing words;
# **embeddings and positional encodings** (§14) make text into vectors that
# know their order. The last demo trains a tiny character-level GPT built from
# these pieces.

# %%
import numpy as np

import tensorgrad as tg
from demos.notebook import show

FAST = True

# %% [markdown]
# ## §12 Dot products & matrix multiplication
#
# Movies as [action, romance] vectors: the dot product is large when two
# vectors point the same way. A matrix product computes every such dot
# product of rows with columns at once.

# %%
movies = tg.tensor([[9.0, 1.0], [1.0, 9.0], [7.0, 7.0]])  # Die Hard, The Notebook, Mr. & Mrs. Smith
print(movies @ movies.T)

# %%
show("dot_products", fast=FAST)

# %% [markdown]
# ## §13 Attention
#
# softmax(Q·Kᵀ/√d)·V: each query scores every key, softmax turns the scores
# into weights, and the output is the weighted mix of the values. Change the
# query and see the weights move.

# %%
rng = np.random.default_rng(0)
q = tg.Tensor(rng.normal(size=(1, 4)), requires_grad=True)
k = tg.Tensor(rng.normal(size=(5, 4)), requires_grad=True)
v = tg.Tensor(rng.normal(size=(5, 3)), requires_grad=True)
out, weights = tg.scaled_dot_product_attention(q, k, v, return_weights=True)
print("weights:", weights.data.round(3), "sum:", weights.data.sum())
out.sum().backward()
print("gradient of the keys:", k.grad.shape)

# %%
show("attention", fast=FAST)

# %% [markdown]
# ## §14 Embeddings & positional encoding
#
# An embedding is a learned vector per token; words used in the same company
# end up close together. Attention alone cannot tell "dog bites man" from "man
# bites dog", so each position gets a timestamp of its own: the sinusoidal
# table below, or rotary embeddings (RoPE).

# %%
positions = tg.sinusoidal_positions(8, 4)
print(positions.data.round(3))

# %%
show("embeddings", fast=FAST)

# %% [markdown]
# ## A tiny GPT
#
# Everything so far, put together: token and position embeddings, attention
# blocks, layer norm, cross-entropy, AdamW. The demo trains a character-level
# GPT, saves and reloads it, looks inside its attention, and samples from it.

# %%
show("gpt", fast=FAST)
