"""The common mistakes, by name: what each one looks like, and what to do about it.

A check recognises a mistake by a concrete test (your answer equals what the
mistake would give, or fails the way it fails) and raises ``found(key, ...)``:
the message then names the mistake, so you learn the idea, not just the
number that was off.
"""



class Failed(Exception):
    """A check's verdict on your code: what went wrong, and the named mistake if one was recognised."""

    def __init__(self, message, mistake=None):
        super().__init__(message)
        self.mistake = mistake

CATALOGUE = {
    "sign_flip": "sign flip: your answer is exactly the negative of the right one. Check which term is "
                 "subtracted from which (§10: the gradient points uphill; the loss goes down along −gradient).",
    "missing_1_over_n": "missing 1/N: your answer is N times the right one. The loss is a *mean* over the N rows, "
                        "so every row's gradient is divided by N (§9).",
    "sum_over_broadcast_axes": "sum over the broadcast axes: your gradient has the output's shape instead of the "
                               "input's. Broadcasting copied the input; every copy got its share of the gradient, so "
                               "the input's gradient is the sum over the copies (new leading axes, and axes of "
                               "length 1, kept with keepdims=True).",
    "missing_transpose": "missing transpose: for C = A @ B the gradients are dA = G @ Bᵀ and dB = Aᵀ @ G (§12). "
                         "Each entry of A met a row of B; transposing lines the shapes up: (n, m) @ (m, k) → (n, k).",
    "softmax_without_shift": "softmax without the shift: e^(1e4) overflows to inf and inf/inf is nan. Subtract each "
                             "row's max before exponentiating (§4): softmax(z − max z) = softmax(z), and every "
                             "exponent is then ≤ 0.",
    "logsumexp_without_shift": "log-sum-exp without the shift: e^(1e4) overflows. Use log Σ e^z = m + log Σ e^(z − m) "
                               "with m the row's max (§5).",
    "max_not_added_back": "the max is not added back: log Σ e^z = m + log Σ e^(z − m). After the shift, add m "
                          "back (§5).",
    "log_of_softmax": "log of softmax: a tiny probability rounds to 0 and its log is −inf. Work in log space: "
                      "log_softmax(z) = z − logsumexp(z) (§5).",
    "wrong_axis": "wrong axis: the sum runs over the whole array or the wrong axis. Each row is its own "
                  "distribution: sum along `axis` with keepdims=True so it divides its own row.",
    "temperature_multiplies": "temperature multiplies: divide the logits by T (§6). T < 1 must sharpen the "
                              "distribution, T > 1 flatten it.",
    "top_p_drops_crossing_token": "top-p drops the token that reaches p: keep tokens while the mass *before* them is "
                                  "below p, so the token that crosses p stays. The post's 45, 20, 15, 10, 5, 3, 2 % with "
                                  "p = 0.9 keeps four tokens (45 + 20 + 15 + 10 = 90 %) (§7).",
    "top_p_not_ranked": "top-p without ranking: sort the tokens by probability, largest first, before summing "
                        "their mass (§7); the vocabulary's order means nothing.",
    "onehot_not_subtracted": "the one-hot is not subtracted: the gradient of −log softmax(z)[y] is p − onehot(y) "
                             "(§9). Subtract 1 at each row's target.",
    "tanh_uses_input": "tanh's rule uses the input: d/dx tanh(x) = 1 − tanh(x)² = 1 − out², the *output* squared, "
                       "not 1 − x² (§10).",
    "exponent_not_lowered": "the exponent is not lowered: d/dx xᵏ = k·x^(k−1), one power less (§10).",
    "recursion_on_the_long_chain": "recursion on the long chain: a recursive walk needs one Python frame per node, "
                                   "and Python stops at about 1,000 (micrograd's issues #21 and #90). Keep your own "
                                   "stack (a list) and loop until it is empty.",
    "node_twice": "a node listed twice: a node used by two others must appear once in the order, or backpropagation "
                  "would pass its gradient on before it is complete (micrograd's issue #2). Keep a visited set.",
    "root_first": "the root comes first: the order must put each node after its parents, so the root (the loss) "
                  "comes last; backpropagation then walks it in reverse.",
    "kink_at_zero": "the kink at 0: at exactly 0 the slope is the negative side's (0.01), as relu's is 0 there "
                    "(step(0) = 0, as PyTorch). Use step(a), which counts 0 with the negative side.",
    "compares_a_value": "the derivative compares a Value or Tensor: under grad(..., create_graph=True) the rule gets "
                        "Values and Tensors, which do not compare. Ask step(a), sign(a) or choose(plain(a) > 0, …).",
    "keepdims_dropped": "an axis of length 1 was summed away: the gradient must keep the input's shape, so sum "
                        "stretched axes with keepdims=True and drop only the new leading axes.",
    "mean_and_variance_constant": "mean and variance treated as constants: both depend on every x of the row, so dx "
                                  "has two more terms: dx = (d − mean(d) − x̂·mean(d·x̂)) / σ with d = g·weight.",
    "missing_scale": "missing 1/√d: the scores are Q·Kᵀ/√d (§13), so dQ and dK carry the factor 1/√d too.",
    "softmax_vjp_without_row_sum": "softmax's VJP without the row-wise step: dS = W ⊙ (dW − Σⱼ dWⱼ·Wⱼ), row by row "
                                   "(§4's softmax couples every entry of a row).",
    "mask_ignored": "the causal mask is ignored: a query may not attend to later keys, so their weights are 0 and "
                    "no gradient flows through them (§13).",
    "ratio_upside_down": "the ratio is upside down: k3 uses r = π_ref/π, i.e. log r = ref_log_probs − log_probs; "
                         "then r − 1 − log r ≥ 0 and its mean under π is KL(π ‖ π_ref) (§15).",
    "k1_not_k3": "that is k1 = −log r, not k3 = r − 1 − log r. k1 is unbiased but can go negative; add r − 1, "
                 "whose mean is 0, to make every estimate ≥ 0 (§15).",
    "equal_rewards_group": "the equal-rewards group: when every completion of a group got the same reward, "
                           "(r − mean)/std is 0/0. Such a group says nothing about what to do more of: its "
                           "advantages are exactly 0 (§17). Add eps to the std, or set them to 0.",
    "batch_not_group_mean": "graded on the wrong curve: the baseline is each *group's* mean (GRPO: the group IS "
                            "the curve), over axis=1 of the (prompts, G) rewards, not the whole batch's (§17).",
    "sample_std": "sample standard deviation: use the population std √(Σ(r − μ)²/G), NumPy's default ddof=0 (§2).",
    "clip_not_asymmetric": "clip not asymmetric: with eps_high given the band is [1 − eps_low, 1 + eps_high] "
                           "(DAPO widens the top); eps_high=None means eps_high = eps_low (§18).",
    "max_not_min": "max instead of min: L^CLIP = min(r·A, clip(r)·A), a one-way gate that can only shrink the "
                   "update, never grow it (§18).",
}


def found(key, context):
    """The failure for mistake ``key``, seen at ``context`` (which input, which entry, expected and got)."""
    return Failed(f"{context}\n  → {CATALOGUE[key]}", mistake=key)
