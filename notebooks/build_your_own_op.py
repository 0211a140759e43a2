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
# # Build your own op
#
# Every elementwise op of both engines is one entry in a table
# (`scalargrad/elementwise.py`): its **forward rule** beside its **local
# derivative** (§10). The forward rule runs on a float (scalargrad) and on a
# NumPy array (tensorgrad); the derivative rule also runs on Values and
# Tensors, which is how both engines get second derivatives for free.
#
# This notebook adds **softplus**, log(1 + eˣ), a smooth ReLU, to both engines
# without touching their files, checks it against finite differences, and
# watches it in a graph. To make it permanent, paste the entry into the table
# and add one method per engine (the README's "How to add an op").

# %%
import numpy as np

import scalargrad
import tensorgrad as tg
from demos.notebook import stepper
from scalargrad import Value, draw
from scalargrad.elementwise import Op, exp, log, positive_part
from scalargrad.value import apply
from tensorgrad.ops import from_table

# %% [markdown]
# ## 1 · The entry: forward beside derivative
#
# Forward: log(1 + eˣ) overflows for large x if written as it reads, so it is
# computed as max(x, 0) + log(1 + e^(−|x|)), where the exponent is never
# positive. Derivative: d/dx softplus(x) = eˣ/(1 + eˣ), the sigmoid, which
# equals e^(x − out): with the output at hand, x − out ≤ 0, so this never
# overflows either.

# %%
softplus = Op(
    "softplus", "softplus",
    lambda a: positive_part(a) + log(1 + exp(-abs(a))),  # forward
    lambda a, out: (exp(a - out),),                      # d(out)/da = σ(a)
)

# %% [markdown]
# ## 2 · Use it in both engines
#
# `apply(op, value)` makes a scalargrad node; `from_table(op)` makes a
# tensorgrad Function from the same entry.

# %%
x = Value(0.0, label="x")
y = apply(softplus, x)
y.backward()
print("scalargrad: softplus(0) =", y.data, "· slope", x.grad)  # log 2 and 1/2

t = tg.Tensor([-3.0, 0.0, 3.0], requires_grad=True)
u = from_table(softplus).apply(t)
u.sum().backward()
print("tensorgrad: softplus =", u.data.round(4), "· slopes", t.grad.round(4))

# %% [markdown]
# ## 3 · Check it against finite differences
#
# `gradcheck` nudges each input by ±h and compares the slope it measures with
# the one backward computed; the same call in both engines. Try it at the kink
# of a ReLU-like function (0) and far out (±30, ±700).

# %%
for point in (-700.0, -30.0, 0.0, 2.5, 30.0, 700.0):
    print(point, scalargrad.gradcheck(lambda v: apply(softplus, v), [point]))
print(tg.gradcheck(lambda a: from_table(softplus).apply(a), [np.linspace(-5, 5, 11)]))

# %% [markdown]
# At −30 and below, the finite differences measure 0: log(1 + 9·10⁻¹⁴) keeps
# only a few digits of the tiny term in float64, so a nudge of 10⁻⁶ cannot be
# seen. The analytic slope, e^(x − out), is the better number there.

# %% [markdown]
# A wrong derivative is caught, and the report names the input: here the
# derivative forgot that it is the *sigmoid*, not eˣ.

# %%
wrong = Op("softplus", "softplus", softplus.forward, lambda a, out: (exp(a),))
print(scalargrad.gradcheck(lambda v: apply(wrong, v), [1.0], raise_on_failure=False))

# %% [markdown]
# ## 4 · Second derivatives come free
#
# The derivative rule `exp(a − out)` is arithmetic, so on Values it builds a
# graph of its own, and `grad(..., create_graph=True)` can differentiate it
# again: softplus'' = σ(x)(1 − σ(x)), ¼ at 0.

# %%
x = Value(0.0)
(slope,) = scalargrad.grad(apply(softplus, x), [x], create_graph=True)
(curvature,) = scalargrad.grad(slope, [x])
print("slope", slope.data, "· curvature", curvature)

# %% [markdown]
# ## 5 · Watch it in a graph
#
# A one-neuron model with a softplus: the backward view writes each edge's
# *upstream × local = contribution*, with softplus' local derivative σ(z) on
# its edge.

# %%
w = Value(-1.5, label="w")
b = Value(0.5, label="b")
inp = Value(2.0, label="x")
z = w * inp + b
z.label = "z"
act = apply(softplus, z)
act.label = "softplus(z)"
loss = (act - 1.0) ** 2
loss.label = "loss"
loss.backward()
draw(loss, "backward")

# %% [markdown]
# And step by step, as in §10: forward node by node, then the chain rule for
# each gradient written out in numbers.

# %%
stepper(loss)

# %% [markdown]
# ## 6 · Make it a method
#
# In the library, the op is one more entry in `scalargrad/elementwise.py` and
# one line on each engine's node class. Here the same, attached for this
# session only:

# %%
Value.softplus = lambda self: apply(softplus, self)
tg.Tensor.softplus = lambda self: from_table(softplus).apply(self)
print(Value(1.0).softplus(), tg.tensor([1.0, 2.0]).softplus())
