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
# # Part 3 · How Models Learn
#
# A model learns with three things: a way to measure its mistakes
# (**cross-entropy loss**, §9), a way to find which weights caused them
# (**gradients and backpropagation**, §10), and a way to keep the adjustments
# reasonable (**norms and regularization**, §11). This is where the engines'
# graphs appear: `draw()` shows a graph right under the cell, and `stepper()`
# walks through its forward and backward passes one node at a time.

# %%
import numpy as np

import tensorgrad as tg
from demos.notebook import show, stepper
from scalargrad import Value, draw
from tensorgrad import functional as F

FAST = True

# %% [markdown]
# ## §9 Cross-entropy loss
#
# The loss is −log of the probability the model gave the right answer: 0 for
# a perfect prediction, huge for a confident mistake. Its gradient with respect
# to the logits is the famous closed form p − onehot:

# %%
logits = tg.Tensor([[5.2, 2.1, -0.8]], requires_grad=True)
loss = F.cross_entropy(logits, np.array([0]))  # the right answer is token 0, "the"
loss.backward()
print("loss:", round(loss.item(), 4))
print("p − onehot:", (F.softmax(logits).data - [1, 0, 0]).round(4))
print("backward():", logits.grad.round(4))

# %%
show("cross_entropy", fast=FAST)

# %% [markdown]
# ## §10 Gradients: walking downhill
#
# A derivative is the slope of the tangent: how much the loss changes per unit
# change of a weight. Gradient descent steps against it, w ← w − lr·slope. Try
# a learning rate of 0.2, then 1.1 (too large: it overshoots and diverges).

# %%
lr, w = 0.2, Value(-0.5, label="w")
for step in range(6):
    loss = (w - 3) ** 2
    w.grad = 0.0
    loss.backward()
    print(f"step {step}: w = {w.data:8.4f}, loss = {loss.data:9.4f}, slope = {w.grad:8.4f}")
    w.data -= lr * w.grad

# %%
show("gradient_descent", fast=FAST)

# %% [markdown]
# ## §10 Backpropagation, drawn
#
# The post's network: input 0.5, weights 2 and 3, loss = output²/2. Numbers
# flow forward; `backward()` sends gradients back, multiplying the local
# derivatives link by link (the chain rule). The forward view shows each value:

# %%
x = Value(0.5, label="input")
w1 = Value(2.0, label="w1")
w2 = Value(3.0, label="w2")
hidden = x * w1
hidden.label = "hidden"
output = hidden * w2
output.label = "output"
loss = output**2 / 2
loss.label = "loss"
draw(loss, "forward")

# %% [markdown]
# After `loss.backward()`, the backward view writes on every edge the chain
# rule's step *upstream × local = contribution*:

# %%
loss.backward()
print("dL/dw1 =", w1.grad, "· dL/dw2 =", w2.grad)
draw(loss, "backward")

# %% [markdown]
# The step-through: the forward pass node by node, then the backward pass with
# the chain rule for each node written out in numbers. Click into it and use
# the arrow keys, or the buttons.

# %%
stepper(loss)

# %%
show("backprop", fast=FAST)

# %% [markdown]
# ## §10 in practice: an MLP learns two moons
#
# The same machinery at scale: a small multi-layer perceptron, trained with
# tensorgrad (cross-entropy, AdamW) and with scalargrad (hinge loss, SGD) on
# the same 100 points.

# %%
show("mlp", fast=FAST)

# %% [markdown]
# ## §11 Norms & regularization
#
# The L1 norm is Σ|w|, the L2 norm √Σw². A penalty on the weights' size keeps
# them from growing to fit the noise: L2 pulls big weights hardest, L1 pushes
# small ones to exactly zero.

# %%
weights = np.array([5.0, -2.0, 0.3])
print("L1:", np.abs(weights).sum(), "· L2:", np.sqrt((weights**2).sum()).round(4))

# %%
show("norms", fast=FAST)
