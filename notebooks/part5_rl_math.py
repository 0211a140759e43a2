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
# # Part 5 · The RL Math
#
# How a reasoning model is trained with reinforcement learning: **KL
# divergence** (§15) keeps it near the original model; **REINFORCE** (§16)
# makes what worked more likely; a **baseline** (§17) grades each answer on a
# curve; **clipping** (§18) stops a single step from overcorrecting. The last
# demo puts them together: GRPO teaching a tiny GPT to add.

# %%
import numpy as np

import tensorgrad as tg
from demos.notebook import show
from tensorgrad import functional as F
from tensorgrad.rl import advantages
from tensorgrad.rl.objectives import clip_ratio

FAST = True

# %% [markdown]
# ## §15 KL divergence
#
# D(P‖Q) = Σ P·log(P/Q): the extra surprise of believing Q when P is true. It
# is never negative, 0 only when P = Q, and not symmetric:

# %%
p = tg.tensor([0.7, 0.2, 0.1])
q = tg.tensor([0.4, 0.4, 0.2])
print("D(P‖Q) =", round(F.kl_divergence(p=p, q=q).item(), 4), "· D(Q‖P) =", round(F.kl_divergence(p=q, q=p).item(), 4))

# %%
show("kl", fast=FAST)

# %% [markdown]
# ## §16 REINFORCE
#
# The gradient of the expected reward is E[reward · ∇log π(action)]: push up
# the log-probability of what earned a reward, in proportion to the reward.

# %%
show("reinforce", fast=FAST)

# %% [markdown]
# ## §17 Baselines: grading on a curve
#
# Subtracting a baseline b from the reward leaves the gradient's expectation
# unchanged and shrinks its variance. GRPO's baseline is the mean reward of the
# group of answers to the same prompt. Change the rewards:

# %%
rewards = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]])  # two prompts, four answers each
print(advantages(rewards, baseline="group_mean", normalize_std=True).round(3))

# %%
show("baselines", fast=FAST)

# %% [markdown]
# ## §18 Clipping & surrogate objectives
#
# The ratio r = π_new/π_old says how much more likely an action became. The
# clipped objective holds it to [1 − ε, 1 + ε], so one step cannot move a
# probability from 10 % to 85 %:

# %%
for ratio in (0.5, 1.0, 1.2, 8.5):
    print(f"r = {ratio}: clipped to {clip_ratio(ratio, 0.2):.2f}")

# %%
show("clipping", fast=FAST)

# %% [markdown]
# ## GRPO: all of it at once
#
# A tiny GPT is pre-trained on addition problems, then trained with GRPO:
# sample a group of answers per problem, reward the correct ones, grade them on
# the group's curve, and take clipped policy-gradient steps with a KL leash.

# %%
show("grpo", fast=FAST)
