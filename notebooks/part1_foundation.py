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
# # Part 1 · The Foundation
#
# Three ideas everything else in the post builds on: a **probability
# distribution** (§1), its **expected value and variance** (§2), and the **law
# of large numbers** (§3). Each section below has a cell to play with (change a
# number, run it again) and then the tour's demo for that concept: every figure
# the post states, recomputed by the engines, beside the post's own number with a
# verdict (*exact*, *rounded*, *differs*, *illustrative*).
#
# Run the cells top to bottom (Shift-Enter). `FAST = True` trains the training
# demos briefly, as the tour does.

# %%
import numpy as np

import tensorgrad as tg
from demos.notebook import show
from tensorgrad import functional as F

FAST = True

# %% [markdown]
# ## §1 Probability & distributions
#
# A phone keyboard that suggests the next word is a probability machine: for
# "I'm on my ___" it holds a number for every candidate word, each between 0 and
# 1, all of them adding up to 1. That is all a distribution is. A language
# model does the same over its whole vocabulary, one token at a time.
#
# Change the scores below and see the distribution follow (softmax, which turns
# any scores into such numbers, is §4's subject).

# %%
words = ["way", "own", "phone", "mind", "break"]
scores = tg.tensor([2.3, 0.9, 0.3, -0.2, -0.7])
p = F.softmax(scores)
for word, prob in zip(words, p.data):
    print(f"{word:>6}: {prob:6.1%}")
print("all between 0 and 1:", bool(((p.data >= 0) & (p.data <= 1)).all()), "· sum:", p.data.sum())

# %%
show("probability", fast=FAST)

# %% [markdown]
# ## §2 Expected value & variance
#
# Two job offers with the same average pay can be very different bets. The
# expected value is the probability-weighted sum of the outcomes, Σ x·P(x); the
# variance, Σ (x − μ)²·P(x), says how far the outcomes scatter around it.
# Change the outcomes and see which number moves.

# %%
outcomes = np.array([50_000.0, 170_000.0])  # Company B: a $50K salary, or $50K plus a $120K bonus
probs = np.array([0.5, 0.5])
mean = (outcomes * probs).sum()
variance = ((outcomes - mean) ** 2 * probs).sum()
print(f"expected value ${mean:,.0f}, standard deviation ${variance ** 0.5:,.0f}")

# %%
show("expected_value", fast=FAST)

# %% [markdown]
# ## §3 The law of large numbers
#
# One coin flip tells you little; ten thousand tell you the coin's bias to
# within a percent. The average of many independent samples closes in on the
# expected value, which is why sampling a model several times and taking a
# majority vote works. Change the number of flips:

# %%
rng = np.random.default_rng(0)
for flips in (1, 10, 100, 10_000):
    heads = rng.integers(0, 2, size=flips).mean()
    print(f"{flips:>6} flips: {heads:6.1%} heads")

# %%
show("large_numbers", fast=FAST)
