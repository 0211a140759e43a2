"""GPT-2-style training step and causal attention, float32: tensorgrad vs NumPy by hand vs PyTorch eager.

Three contenders run the same step (forward, mean cross-entropy, backward,
AdamW with lr 3e-4 and weight decay 0.01) from the same weights:

* tensorgrad's ``transformer.GPT`` (pre-LayerNorm, GELU in its tanh form,
  learned positions, an untied head without bias);
* the step written out by hand in NumPy (``numpy_gpt.py``): no autograd, no
  graph, each layer's backward written beside its forward. No NumPy engine can
  do much better, so tensorgrad / NumPy is what tensorgrad's graph costs;
* PyTorch eager on the CPU (``torch_gpt.py``), when torch is installed
  (``make bench-torch``; never a dependency of the project).

NumPy's BLAS and PyTorch get the same number of threads: BENCH_THREADS, 1
unless set (see ``limit_blas_threads``).

Before anything is timed, every contender computes the loss, the gradients and
one AdamW update at the same weights, and they must agree with the NumPy step
to float32 precision. Then one interleaved run times all of them: the GPT
step, a small configuration where the cost per op dominates, and fused causal
attention alone. Last, the peak memory of a step, tensorgrad vs NumPy.
"""

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import numpy_gpt
from benchlib import interleaved_rounds, table, target

from tensorgrad import optim, tensor
from tensorgrad.attention import scaled_dot_product_attention
from tensorgrad.transformer import GPT

GPT_STEP = {"vocab": 65, "block": 32, "batch": 16, "dim": 64, "heads": 4, "layers": 2}
SMALL_STEP = {"vocab": 65, "block": 16, "batch": 4, "dim": 32, "heads": 4, "layers": 1}
ATTENTION = (8, 4, 128, 32)  # batch, heads, length, head width
LR, WEIGHT_DECAY = 3e-4, 0.01

THREADS = int(os.environ.get("BENCH_THREADS", "1"))  # for NumPy's BLAS and for PyTorch alike
ROUNDS = 60  # interleaved rounds; each reported time is the median over them
SLOT_SECONDS = 0.04  # each contender runs about this long per round: short, so that a busy spell of
# the machine falls on neighbouring slots of all contenders alike
TARGETS = {"GPT step": 1.25, "small step": 1.5, "attention": 1.15}  # tensorgrad / NumPy, at most
MEMORY_TARGET = 1.5  # tensorgrad's peak memory in a GPT step / NumPy's, at most

# Agreement, in float32: for each array, the largest difference over the largest entry of the
# reference. Float32 rounds at about 6e-8; a step adds up a few hundred rounding errors.
GRAD_TOLERANCE = 1e-4
# From the same gradients, AdamW updates (about lr per weight) must agree to 0.1 % of lr
# (a missing weight decay would be off by lr·wd·|w|, 1 % of lr for a weight of 1).
UPDATE_TOLERANCE = 1e-3

REFERENCE = "NumPy by hand"


# ---- the contenders: each can compute gradients, update, take a whole step, show its weights ----
class TensorgradStep:
    def __init__(self, config, ids, targets):
        c = config
        self.model = GPT(c["vocab"], c["block"], c["dim"], c["heads"], c["layers"], dtype=np.float32, rng=0)
        self.optimizer = optim.AdamW(self.model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        self.ids, self.targets = ids, targets

    def gradients(self):
        loss = self.model.loss(self.ids, self.targets)
        self.optimizer.zero_grad()
        loss.backward()
        return loss.item(), {name: p.grad for name, p in self.model.named_parameters()}

    def update(self, grads):
        for name, p in self.model.named_parameters():
            p.grad = grads[name].copy()
        self.optimizer.step()

    def __call__(self):
        loss = self.model.loss(self.ids, self.targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def weights(self):
        return {name: p.data for name, p in self.model.named_parameters()}


class NumpyStep:
    def __init__(self, params, ids, targets, n_heads):
        self.params = {name: a.copy() for name, a in params.items()}
        self.optimizer = numpy_gpt.AdamW(self.params, LR, WEIGHT_DECAY)
        self.ids, self.targets, self.n_heads = ids, targets, n_heads

    def gradients(self):
        loss, grads = numpy_gpt.gpt_loss_and_grads(self.params, self.ids, self.targets, self.n_heads)
        return float(loss), grads

    def update(self, grads):
        self.optimizer.step(grads)

    def __call__(self):
        _, grads = numpy_gpt.gpt_loss_and_grads(self.params, self.ids, self.targets, self.n_heads)
        self.optimizer.step(grads)

    def weights(self):
        return self.params


def batch(config, seed=0):
    """Random token ids (B, T) and their next tokens, the targets."""
    tokens = np.random.default_rng(seed).integers(0, config["vocab"], (config["batch"], config["block"] + 1))
    return np.ascontiguousarray(tokens[:, :-1]), np.ascontiguousarray(tokens[:, 1:])


def gpt_steps(config, torch_gpt):
    """{contender: step} for ``config``, all starting from tensorgrad's initial weights, on one batch."""
    ids, targets = batch(config)
    steps = {"tensorgrad": TensorgradStep(config, ids, targets)}
    start = {name: a.copy() for name, a in steps["tensorgrad"].weights().items()}
    steps[REFERENCE] = NumpyStep(start, ids, targets, config["heads"])
    if torch_gpt is not None:
        steps["PyTorch"] = torch_gpt.Step(start, ids, targets, config["heads"], LR, WEIGHT_DECAY)
    return steps


def describe(config):
    c = config
    return f"B{c['batch']} T{c['block']} C{c['dim']} H{c['heads']} L{c['layers']}"


TITLES = {
    "GPT step": f"GPT step {describe(GPT_STEP)}",
    "small step": f"small step {describe(SMALL_STEP)}",
    "attention": "causal attention fwd+bwd {}x{}x{}x{}".format(*ATTENTION),
}


# ---- causal attention alone: forward and backward with a fixed output gradient -------------------
class TensorgradAttention:
    def __init__(self, q, k, v, grad_out):
        self.q, self.k, self.v = (tensor(a, requires_grad=True) for a in (q, k, v))
        self.grad_out = grad_out

    def __call__(self):
        for t in (self.q, self.k, self.v):
            t.grad = None
        out = scaled_dot_product_attention(self.q, self.k, self.v, causal=True)
        out.backward(self.grad_out)
        return out.data, [t.grad for t in (self.q, self.k, self.v)]


class NumpyAttention:
    def __init__(self, q, k, v, grad_out):
        self.q, self.k, self.v, self.grad_out = q, k, v, grad_out

    def __call__(self):
        out, cache = numpy_gpt.attention_forward(self.q, self.k, self.v)
        return out, list(numpy_gpt.attention_backward(self.grad_out, cache))


class TorchAttention:
    def __init__(self, torch, q, k, v, grad_out):
        self.torch = torch
        self.q, self.k, self.v = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
        self.grad_out = torch.tensor(grad_out)

    def __call__(self):
        for t in (self.q, self.k, self.v):
            t.grad = None
        out = self.torch.nn.functional.scaled_dot_product_attention(self.q, self.k, self.v, is_causal=True)
        out.backward(self.grad_out)
        return out.detach().numpy(), [t.grad.numpy() for t in (self.q, self.k, self.v)]


def attentions(torch, seed=0):
    rng = np.random.default_rng(seed)
    q, k, v, grad_out = (rng.standard_normal(ATTENTION).astype(np.float32) for _ in range(4))
    found = {"tensorgrad": TensorgradAttention(q, k, v, grad_out), REFERENCE: NumpyAttention(q, k, v, grad_out)}
    if torch is not None:
        found["PyTorch"] = TorchAttention(torch, q, k, v, grad_out)
    return found


# ---- checking that the contenders compute the same thing ----------------------------------------
def worst_error(arrays, references):
    """Over matching arrays: the largest max|a − b| / max|b| (a dtype other than float32 counts as infinite)."""
    worst = 0.0
    for a, b in zip(arrays, references):
        if a.dtype != np.float32 or a.shape != b.shape:
            return float("inf")
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
    return worst


def check_steps(label, steps):
    """Same loss and gradients at the same weights as the NumPy step, then the same two AdamW updates.

    Every optimizer is handed the NumPy step's gradients for those updates:
    Adam's first step moves each weight by about lr·g/|g|, so float32 noise in
    a gradient entry close to 0 could flip its sign, and the comparison would
    test the noise instead of the optimizer. The second update gets those
    gradients rescaled entry by entry, so that its size depends on the betas.
    """
    before = {name: a.copy() for name, a in steps[REFERENCE].weights().items()}
    found = {name: step.gradients() for name, step in steps.items()}
    ref_loss, ref_grads = found[REFERENCE]
    rng = np.random.default_rng(1)
    rescaled = {name: g * rng.uniform(0.5, 2, g.shape).astype(g.dtype) for name, g in ref_grads.items()}
    for grads in (ref_grads, rescaled):
        for step in steps.values():
            step.update(grads)
    names = sorted(ref_grads)
    ref_moves = [steps[REFERENCE].weights()[n] - before[n] for n in names]
    checks = []
    for engine, step in steps.items():
        if engine == REFERENCE:
            continue
        loss, grads = found[engine]
        grad_error = worst_error([grads[n] for n in names], [ref_grads[n] for n in names])
        weights = step.weights()
        move_error = max(float(np.abs(weights[n] - before[n] - m).max()) / LR for n, m in zip(names, ref_moves))
        ok = (
            sorted(grads) == names
            and abs(loss - ref_loss) <= 1e-5 * abs(ref_loss)
            and grad_error <= GRAD_TOLERANCE
            and move_error <= UPDATE_TOLERANCE
        )
        checks.append(
            target(
                f"{label}: {engine} has NumPy's loss ({loss:.6f} vs {ref_loss:.6f}), gradients (worst relative "
                f"error {grad_error:.1e}) and AdamW updates (worst error {move_error:.1e} lr)",
                ok,
            )
        )
    return checks


def check_attention(contenders):
    ref_out, ref_grads = contenders[REFERENCE]()
    checks = []
    for engine, run in contenders.items():
        if engine == REFERENCE:
            continue
        out, grads = run()
        error = worst_error([out, *grads], [ref_out, *ref_grads])
        checks.append(
            target(
                f"attention: {engine} has NumPy's output and gradients (worst relative error {error:.1e})",
                error <= GRAD_TOLERANCE,
            )
        )
    return checks


# ---- memory ---------------------------------------------------------------------------------------
def traced_peak(make_step):
    """(MB held between steps, MB at the peak of a step), counted by tracemalloc.

    Why tracemalloc and not the process's maximum resident size (ru_maxrss):
    NumPy reports every array buffer it allocates to tracemalloc, so the count
    is exact, byte for byte, and the same on every run, and it covers Python
    objects (tensorgrad's graph nodes) too. ru_maxrss would add the interpreter,
    NumPy and, here, PyTorch (tens of MB) to a step of a few MB, and it moves
    in pages with the allocator's whims. Neither count includes OpenBLAS's own
    work buffers (the same for both engines).

    Tracing starts before the model is built, so both counts include the
    weights and AdamW's two moments (the same bytes in both), and everything
    each engine keeps between steps. One step runs first so that the
    optimizer's moments exist, as in training.
    """
    gc.collect()
    tracemalloc.start()
    try:
        step = make_step()
        step()
        gc.collect()
        at_rest = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return at_rest / 2**20, peak / 2**20


# ---- threads and PyTorch --------------------------------------------------------------------------
def limit_blas_threads():
    """Set NumPy's BLAS to THREADS threads for this benchmark; return (description, limiter or None).

    One thread by default: the matrices here are small, and on a shared
    machine a multi-threaded BLAS whose second thread finds its core busy
    waits for it. With 2 threads on a 2-core machine that others were using,
    the GPT step took 10 to 20 times as long and the per-round ratios spread
    from 0.9x to 4x; with 1 thread they stayed within a few percent.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "NumPy's BLAS: thread count unknown and unchanged (threadpoolctl is not installed)", None
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    if not blas:
        return "NumPy's BLAS: not found by threadpoolctl, thread count unchanged", None
    lib = blas[0]
    limiter = threadpool_limits(limits=THREADS, user_api="blas")
    env = ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS_")) or "none"
    text = (
        f"NumPy {np.__version__}'s BLAS: {lib['internal_api']} {lib.get('version', '')} "
        f"({lib.get('architecture', '?')} kernels), {THREADS} thread(s) here (its default: {lib['num_threads']}; "
        f"BENCH_THREADS=n to change); OPENBLAS_* variables, left as they are: {env}"
    )
    return text, limiter


def load_torch():
    """(torch, torch_gpt) with torch on THREADS threads, as NumPy's BLAS, or (None, None) without torch."""
    try:
        import torch
        import torch_gpt
    except ImportError:
        return None, None
    torch.set_num_threads(THREADS)
    return torch, torch_gpt


# ---- the benchmark --------------------------------------------------------------------------------
def calibrate(fn):
    """How many calls of ``fn`` fill about SLOT_SECONDS (after one warm-up call)."""
    fn()
    start = time.perf_counter()
    fn()
    return max(1, round(SLOT_SECONDS / (time.perf_counter() - start)))


def ratio_text(times, a, b):
    """'a/b' as the ratio of the medians, and the quartiles of the per-round ratios (the noise)."""
    ratio = statistics.median(times[a]) / statistics.median(times[b])
    q1, _, q3 = statistics.quantiles([x / y for x, y in zip(times[a], times[b])], n=4)
    return f"{ratio:.2f}x ({q1:.2f}–{q3:.2f})"


def run():
    """``measure()`` in a fresh Python process; return its targets.

    A process of its own, so that PyTorch never stays loaded in the process
    that runs the other benchmarks: its ~150,000 Python objects would make
    every full garbage collection there slower (micrograd's step with the GC
    on took about 20 % longer with torch imported). The child prints its
    tables as it goes and hands the targets back in a file.
    """
    sys.stdout.flush()  # our heading first, then the child's output
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "targets.json"
        proc = subprocess.run([sys.executable, __file__, str(path)], check=False)
        if proc.returncode or not path.exists():
            return [target(f"the GPT benchmark ran to its end (exit code {proc.returncode})", False)]
        return [(text, ok) for text, ok in json.loads(path.read_text())]


def measure():
    """Check agreement, time everything in one interleaved run, measure memory; return the targets."""
    threads_text, limiter = limit_blas_threads()  # before torch is imported: its libraries would show up too
    try:
        torch, torch_gpt = load_torch()
        print(threads_text)
        if torch is None:
            print("PyTorch: not importable here, so its rows are skipped (`make bench-torch` installs it)")
        else:
            print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s) (torch.set_num_threads)")
        cases = {
            "GPT step": gpt_steps(GPT_STEP, torch_gpt),
            "small step": gpt_steps(SMALL_STEP, torch_gpt),
            "attention": attentions(torch),
        }
        print()
        checks = check_steps(TITLES["GPT step"], cases["GPT step"])
        checks += check_steps(TITLES["small step"], cases["small step"])
        checks += check_attention(cases["attention"])
        checks += time_all(cases)
        return checks + measure_memory()
    finally:
        if limiter is not None:
            limiter.restore_original_limits()


def time_all(cases):
    """One interleaved run over every case and contender; print the table, return the speed targets."""
    contenders = {(case, engine): (fn, True) for case, fns in cases.items() for engine, fn in fns.items()}
    calls = {key: calibrate(fn) for key, (fn, _) in contenders.items()}
    # Everything alive now (PyTorch's modules, the models) is moved out of the cyclic GC's sight, so
    # that a collection during a timed step costs the same whether or not PyTorch was imported.
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    try:
        times = interleaved_rounds(contenders, ROUNDS, calls)
    finally:
        gc.unfreeze()
    print(
        f"\nmilliseconds per call: median of {ROUNDS} interleaved rounds ({time.perf_counter() - start:.0f} s); "
        "ratios of the medians (quartiles of the per-round ratios)"
    )
    engines = list(cases["GPT step"])
    pairs = [("tensorgrad", REFERENCE)]
    if "PyTorch" in engines:
        pairs += [("PyTorch", REFERENCE), ("tensorgrad", "PyTorch")]
    rows, ratios = [], {}
    for case, title in TITLES.items():
        case_times = {engine: times[case, engine] for engine in cases[case]}
        ratios[case] = statistics.median(case_times["tensorgrad"]) / statistics.median(case_times[REFERENCE])
        row = [title] + [statistics.median(case_times[e]) * 1e3 for e in engines]
        rows.append(row + [ratio_text(case_times, a, b) for a, b in pairs])
    table(["", *engines] + [f"{a}/{b.split()[0]}" for a, b in pairs], rows)
    checks = []
    for case, limit in TARGETS.items():
        text = f"{TITLES[case]}: tensorgrad within {limit}x of hand-written NumPy (got {ratios[case]:.2f}x)"
        checks.append(target(text, ratios[case] <= limit))
    return checks


def measure_memory():
    """Peak memory of a GPT step, tensorgrad vs NumPy by hand; print it, return the memory target."""
    ids, targets = batch(GPT_STEP)
    start = {name: a.copy() for name, a in TensorgradStep(GPT_STEP, ids, targets).weights().items()}
    memory = {
        "tensorgrad": traced_peak(lambda: TensorgradStep(GPT_STEP, ids, targets)),
        REFERENCE: traced_peak(lambda: NumpyStep(start, ids, targets, GPT_STEP["heads"])),
    }
    state = 3 * sum(a.nbytes for a in start.values()) / 2**20
    print(
        f"\nmemory of the {TITLES['GPT step']}, MB traced by tracemalloc; both hold the weights and "
        f"AdamW's two moments ({state:.2f} MB)"
    )
    table(
        ["", "between steps", "peak in a step"],
        [[engine, round(rest, 2), round(peak, 2)] for engine, (rest, peak) in memory.items()],
    )
    ratio = memory["tensorgrad"][1] / memory[REFERENCE][1]
    return [
        target(
            f"{TITLES['GPT step']}: tensorgrad's peak memory within {MEMORY_TARGET}x of hand-written NumPy's "
            f"(got {ratio:.2f}x)",
            ratio <= MEMORY_TARGET,
        )
    ]


if __name__ == "__main__":
    found = measure()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(json.dumps(found))
