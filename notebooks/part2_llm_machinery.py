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
# # Part 2 · The LLM Machinery
#
# Follow one token through the model's output side: raw scores (**logits**)
# become probabilities with **softmax** (§4), sequences are scored in
# **log-space** (§5), **temperature** sharpens or flattens the distribution
# (§6), a **sampling strategy** picks the token (§7), and **entropy** measures
# how uncertain the model was (§8). As in Part 1, play with each cell, then run
# the tour's demo: the post's figures recomputed, each with a verdict.

# %%
import numpy as np

import tensorgrad as tg
from demos.notebook import show
from tensorgrad import functional as F
from tensorgrad import sampling

FAST = True

# %% [markdown]
# ## §4 Softmax
#
# e^z makes every score positive and stretches the gaps between them; dividing
# by the sum makes them add up to 1. The post's logits for "the", "a", "cat" are
# 5.2, 2.1 and −0.8. Add the same number to all three: the probabilities do not
# move, since only the gaps matter.

# %%
logits = tg.tensor([5.2, 2.1, -0.8])
print("e^z:  ", logits.exp().data.round(2))
print("p:    ", F.softmax(logits).data.round(4))
print("p(z + 100):", F.softmax(logits + 100).data.round(4))

# %%
show("softmax", fast=FAST)

# %% [markdown]
# ## §5 Log probabilities
#
# A sentence's probability is a product of its tokens' probabilities, and a
# product of a hundred numbers below 1 soon underflows to 0.0. Logs turn the
# product into a sum that stays an ordinary number.

# %%
probs = np.full(400, 0.1)  # 400 tokens, each with probability 0.1
print("product:", np.prod(probs), "· sum of logs:", np.log(probs).sum())

# %%
show("log_probs", fast=FAST)

# %% [markdown]
# ## §6 Temperature
#
# Temperature divides the logits before softmax: T < 1 sharpens the
# distribution, T > 1 flattens it, T → 0 is greedy. Try T = 0.1, 1 and 2:

# %%
for T in (0.1, 1.0, 2.0):
    print(f"T = {T}:", F.softmax(logits / T).data.round(3))

# %%
show("temperature", fast=FAST)

# %% [markdown]
# ## §7 Sampling strategies
#
# Greedy takes the top token; full sampling may pick any; top-k keeps the k
# most likely; top-p (nucleus) keeps the smallest set whose mass reaches p.
# The post's distribution, with p = 0.9, keeps four tokens:

# %%
post = np.log([0.45, 0.20, 0.15, 0.10, 0.05, 0.03, 0.02])
print("top-p 0.9 keeps", int(np.isfinite(sampling.top_p(post, 0.9)).sum()), "tokens")
draws = sampling.sample(np.tile(post, (10_000, 1)), top_p=0.9, rng=np.random.default_rng(0))
print("share of each token in 10,000 draws:", np.bincount(draws.tokens, minlength=7) / 10_000)

# %%
show("sampling", fast=FAST)

# %% [markdown]
# ## §8 Entropy
#
# Surprise is −log p; entropy is the expected surprise, Σ p·(−log p). A sure
# thing has entropy 0; n equally likely outcomes have log n, the most there is.

# %%
for name, dist in {"confident": [0.9, 0.05, 0.05], "unsure": [0.4, 0.3, 0.3], "uniform": [1 / 3] * 3}.items():
    print(f"{name:>9}: {F.entropy(probs=tg.tensor(dist), base=2).item():.3f} bits")

# %%
show("entropy", fast=FAST)
