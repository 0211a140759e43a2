"""The exercises in the post's order, each with its section, what you write, and its hints.

Every exercise NAME has three files: ``stubs/NAME.py`` (what you start from,
copied to your workspace by ``python -m exercises start NAME``),
``solutions/NAME.py`` (the reference, shown only with ``--solution``) and
``checks/NAME.py`` (its check, run by ``python -m exercises check NAME``).
"""

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Exercise:
    name: str
    section: str  # the post's section, "§4"
    title: str
    hints: tuple  # two or three, from a nudge to nearly the answer

    def source(self, kind):
        """The text of this exercise's stub or solution (``kind`` "stubs" or "solutions")."""
        return resources.files("exercises").joinpath(kind).joinpath(f"{self.name}.py").read_text(encoding="utf-8")


EXERCISES = (
    Exercise("softmax", "§4", "softmax that survives logits of ±1e4", (
        "§4: softmax(z)ᵢ = e^zᵢ / Σⱼ e^zⱼ, one distribution per row: sum along `axis` with keepdims=True.",
        "§4: softmax(z − c) = softmax(z) for any constant c, since e^(−c) cancels. Choose c = the row's max.",
        "shifted = z - z.max(axis=axis, keepdims=True); e = np.exp(shifted); return e / e.sum(axis=axis, keepdims=True)",
    )),
    Exercise("log_softmax", "§5", "log-sum-exp and log-softmax, in log space", (
        "§5: log Σ e^z overflows like softmax does; shift by the row's max m: log Σ e^z = m + log Σ e^(z − m).",
        "§5: log softmax(z) = z − log Σ e^z. Never take the log of a probability that may have rounded to 0.",
        "m = z.max(axis, keepdims=True); lse = m + np.log(np.exp(z - m).sum(axis, keepdims=True)); then z − lse.",
    )),
    Exercise("sampling", "§6–§7", "temperature and top-p (nucleus) filtering", (
        "§6: temperature divides the logits: z / T. A token that top-p cuts gets the logit −inf (probability 0).",
        ("§7: rank the tokens by probability (np.argsort(-p)), take the running mass, and keep a token while the "
         "mass of the tokens ranked *before* it is below p."),
        ("before = np.cumsum(sorted_p, axis=-1) - sorted_p; keep = before < p (the first token always stays); "
         "put the mask back in vocabulary order with np.put_along_axis."),
    )),
    Exercise("cross_entropy_grad", "§9", "cross-entropy's gradient in closed form: p − onehot", (
        "§9: the loss is the mean over N rows of −log softmax(z)[target]; its gradient has the logits' shape.",
        "§9: for one row, d/dz of −log softmax(z)[y] = softmax(z) − onehot(y). The mean divides every row by N.",
        "grad = softmax(logits); grad[np.arange(N), targets] -= 1; return grad / N",
    )),
    Exercise("local_derivatives", "§10", "local derivatives of sub, div, tanh and pow", (
        "§10: each rule returns d(out)/d(input) for every input, as a tuple: sub(a, b, out) → (d/da, d/db).",
        "§10: a/b has d/da = 1/b and d/db = −a/b²; tanh's slope is 1 − out²; xᵏ's is k·x^(k−1).",
        "return (1.0, -1.0) for sub; (1 / b, -a / (b * b)) for div; (1 - out * out,) for tanh; (k * a ** (k - 1),) for pow.",
    )),
    Exercise("topological_order", "§10", "an iterative topological order, for a 10⁶-node chain", (
        ("§10: backpropagation visits a node only after every node that uses it: list each node after its parents, "
         "the root last. A recursive walk stops at Python's recursion limit (about 1,000 frames)."),
        ("Keep your own stack of (node, parents_done) pairs: push (node, True) back under its parents, and append the "
         "node to the order when it comes off the stack with True. A visited set lists each node once."),
    )),
    Exercise("new_op", "§10", "a new elementwise op in both engines: leaky ReLU, kink included", (
        "README 'How to add an op': forward(a) runs on floats and arrays, derivative(a, out) returns a 1-tuple.",
        ("Use the table's helpers: choose(a > 0, a, 0.01 * a) forward; the slope is 1 for a > 0 and 0.01 otherwise, "
         "and at exactly 0 it is 0.01 (step(0) = 0, as PyTorch)."),
        "derivative: return (0.01 + 0.99 * step(a),)  — step never compares a Value, so create_graph works.",
    )),
    Exercise("unbroadcast", "§10", "un-broadcasting a gradient: sum over the broadcast axes", (
        "§10: a node used twice gets the sum of both gradients; broadcasting uses an input many times.",
        ("Sum over the leading axes that broadcasting added, then over the axes where the input had length 1 "
         "(keepdims=True there)."),
        ("extra = grad.ndim - len(shape); grad = grad.sum(axis=tuple(range(extra))); then sum axes i with "
         "shape[i] == 1 and grad.shape[i] != 1, keepdims=True."),
    )),
    Exercise("matmul_vjp", "§12", "matmul's vector-Jacobian product, batched", (
        "§12: C = A @ B is a table of dot products; entry Cᵢⱼ used row i of A and column j of B.",
        "dA = G @ Bᵀ and dB = Aᵀ @ G, with ᵀ swapping the last two axes (np.swapaxes(x, -1, -2)), so batches work.",
        "A 2-D B shared by a batch of A's served every matrix: sum dB over the batch axes (sum over the broadcast axes).",
    )),
    Exercise("layer_norm_vjp", "§13", "layer norm's vector-Jacobian product", (
        ("x̂ = (x − mean)/σ per row with σ = √(var + eps); y = x̂·weight + bias. dbias = Σ g over rows, "
         "dweight = Σ g·x̂ over rows."),
        ("The mean and σ depend on every entry of the row: with d = g·weight, dx = (d − mean(d) − x̂·mean(d·x̂)) / σ, "
         "each mean over the last axis."),
    )),
    Exercise("attention_backward", "§13", "attention's backward: four matrix products and a row-wise softmax step", (
        "§13: O = W·V with W = softmax(Q·Kᵀ/√d) per row. Walk back: dV = Wᵀ·G and dW = G·Vᵀ.",
        "§4's softmax, row by row: dS = W ⊙ (dW − Σⱼ dWⱼ·Wⱼ) (keepdims=True). Masked entries have W = 0, so dS = 0.",
        "S = c·Q·Kᵀ with c = 1/√d: dQ = c·dS·K and dK = c·dSᵀ·Q (ᵀ: swap the last two axes).",
    )),
    Exercise("kl_k3", "§15", "the k3 estimator of KL(π ‖ π_ref)", (
        "§15: from sampled tokens only, with r = π_ref(x)/π(x): k1 = −log r, k3 = r − 1 − log r.",
        "log r = ref_log_probs − log_probs, so r = exp(ref_log_probs − log_probs). k3 is never negative.",
    )),
    Exercise("group_advantages", "§17", "group-normalised advantages: grading on a curve", (
        "§17: each row of the (prompts, G) rewards is one group; the baseline is that group's mean (axis=1).",
        "GRPO divides by the group's population std plus eps: A = (r − mean)/(std + eps).",
        "A group whose rewards are all equal carries no signal: its advantages are exactly 0 (not 0/0).",
    )),
    Exercise("clipped_objective", "§18", "the clipped surrogate objective, symmetric and asymmetric (DAPO)", (
        "§18: L^CLIP = min(r·A, clip(r, 1 − ε, 1 + ε)·A), entry by entry (np.minimum, np.clip).",
        "DAPO: the band is [1 − eps_low, 1 + eps_high]; eps_high=None means the symmetric band, eps_high = eps_low.",
    )),
)

BY_NAME = {exercise.name: exercise for exercise in EXERCISES}


def find(name):
    """The exercise called ``name``, or a ValueError listing them all."""
    if name not in BY_NAME:
        raise ValueError(f"no exercise called {name!r}; choose one of: {', '.join(BY_NAME)}")
    return BY_NAME[name]
