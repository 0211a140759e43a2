"""GPT-2-style training step and causal attention, float32: tensorgrad vs NumPy by hand vs PyTorch eager.

Contenders, each in a Python process of its own (``gpt_worker.py``), all on
the same weights and batch; a step is forward, mean cross-entropy, backward
and AdamW (lr 3e-4, weight decay 0.01):

* tensorgrad's ``transformer.GPT`` (pre-LayerNorm, GELU in its tanh form,
  learned positions, an untied head without bias), as imported: it keeps
  freed memory for reuse (``tensorgrad/memory.py``);
* the same with ``TENSORGRAD_KEEP_FREED_MEMORY=0``, glibc's defaults: the row
  that shows what the allocator setting buys;
* the step written out by hand in NumPy (``numpy_gpt.py``): no autograd, no
  graph, each layer's backward written beside its forward, and glibc's
  defaults. tensorgrad / NumPy is what tensorgrad's graph costs, or saves;
  the targets are set on it;
* the same NumPy step with glibc told, through its environment variables,
  to keep freed blocks as tensorgrad does: tensorgrad's graph against plain
  NumPy on equal allocator terms. (How many page faults plain NumPy pays
  varies from run to run, with where glibc's heap happens to end; the table
  of page faults shows it.)
* PyTorch eager on the CPU (``torch_gpt.py``), when torch is installed
  (``make bench-torch``; never a dependency of the project).

NumPy's BLAS and PyTorch get the same number of threads: BENCH_THREADS, 1
unless set. Before anything is timed, every contender computes the loss, the
gradients and two AdamW updates at the same weights, and they must agree with
the NumPy step to float32 precision. Then one interleaved run times all of
them on every workload, and last comes the peak memory of a step.
"""

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchlib import table, target
from gpt_contenders import LR, STEPS, TITLES

HERE = Path(__file__).resolve().parent
REFERENCE = "NumPy by hand"
KEPT = "NumPy, blocks kept"
# contender: (worker kind, extra environment)
CONTENDERS = {
    "tensorgrad": ("tensorgrad", {}),
    "tensorgrad, glibc defaults": ("tensorgrad", {"TENSORGRAD_KEEP_FREED_MEMORY": "0"}),
    REFERENCE: ("numpy", {}),
    KEPT: ("numpy", {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20)}),
    "PyTorch": ("torch", {}),
}
ROUNDS = 60  # interleaved rounds; each reported time is the median over them
TARGETS = {"GPT step": 0.9, "small step": 1.3, "attention": 0.8}  # tensorgrad / NumPy, at most
MEMORY_TARGET = 1.5  # tensorgrad's peak memory in a GPT step / NumPy's, at most

# Agreement, in float32: for each array, the largest difference over the largest entry of the
# reference. Float32 rounds at about 6e-8; a step adds up a few hundred rounding errors.
GRAD_TOLERANCE = 1e-4
# From the same gradients, AdamW updates (about lr per weight) must agree to 0.1 % of lr
# (a missing weight decay would be off by lr·wd·|w|, 1 % of lr for a weight of 1).
UPDATE_TOLERANCE = 1e-3


class Contender:
    """A worker process running one contender; ``ask`` sends it a command and returns its answer."""

    def __init__(self, kind, env, folder):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "gpt_worker.py"), kind, folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            cwd=HERE,
        )

    def ask(self, do, **arguments):
        self.process.stdin.write(json.dumps({"do": do, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a GPT benchmark worker stopped (exit code {self.process.wait()}) at {do!r}")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def load(path):
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


# ---- checking that the contenders compute the same thing ----------------------------------------
def worst_error(arrays, references):
    """Over matching arrays: the largest max|a − b| / max|b| (a dtype other than float32 counts as infinite)."""
    worst = 0.0
    for a, b in zip(arrays, references):
        if a.dtype != np.float32 or a.shape != b.shape:
            return float("inf")
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
    return worst


def check_steps(case, workers, folder):
    """Same loss and gradients at the same weights as the NumPy step, then the same two AdamW updates.

    Every optimizer is handed the NumPy step's gradients for those updates:
    Adam's first step moves each weight by about lr·g/|g|, so float32 noise in
    a gradient entry close to 0 could flip its sign, and the comparison would
    test the noise instead of the optimizer. The second update gets those
    gradients rescaled entry by entry, so that its size depends on the betas.
    """
    before = load(Path(folder) / f"start-{case}.npz")
    found = {name: w.ask("gradients", case=case) for name, w in workers.items()}
    ref_grads = load(found[REFERENCE]["grads"])
    rng = np.random.default_rng(1)
    rescaled = {name: g * rng.uniform(0.5, 2, g.shape).astype(g.dtype) for name, g in ref_grads.items()}
    rescaled_path = str(Path(folder) / f"rescaled-{case}.npz")
    np.savez(rescaled_path, **rescaled)
    updates = [found[REFERENCE]["grads"], rescaled_path]
    moved = {name: load(w.ask("update", case=case, grads=updates)["weights"]) for name, w in workers.items()}
    names = sorted(ref_grads)
    ref_moves = [moved[REFERENCE][n] - before[n] for n in names]
    ref_loss = found[REFERENCE]["loss"]
    checks = []
    for engine in workers:
        if engine == REFERENCE:
            continue
        loss, grads = found[engine]["loss"], load(found[engine]["grads"])
        grad_error = worst_error([grads[n] for n in names], [ref_grads[n] for n in names])
        weights = moved[engine]
        move_error = max(float(np.abs(weights[n] - before[n] - m).max()) / LR for n, m in zip(names, ref_moves))
        ok = (
            sorted(grads) == names
            and abs(loss - ref_loss) <= 1e-5 * abs(ref_loss)
            and grad_error <= GRAD_TOLERANCE
            and move_error <= UPDATE_TOLERANCE
        )
        text = (
            f"{TITLES[case]}: {engine} has NumPy's loss ({loss:.6f} vs {ref_loss:.6f}), gradients (worst "
            f"relative error {grad_error:.1e}) and AdamW updates (worst error {move_error:.1e} lr)"
        )
        checks.append(target(text, ok))
    return checks


def check_attention(workers):
    found = {name: load(w.ask("attention")["arrays"]) for name, w in workers.items()}
    keys = ["out", "dq", "dk", "dv"]
    reference = [found[REFERENCE][k] for k in keys]
    checks = []
    for engine, arrays in found.items():
        if engine != REFERENCE:
            error = worst_error([arrays[k] for k in keys], reference)
            text = f"{TITLES['attention']}: {engine} has NumPy's output and gradients (worst relative error {error:.1e})"
            checks.append(target(text, error <= GRAD_TOLERANCE))
    return checks


# ---- timing -------------------------------------------------------------------------------------
def ratio(times, a, b):
    """a's time over b's: the median of the per-round ratios, and their quartiles (the noise).

    Per round, not the ratio of the two medians: both contenders of a round
    ran within a second of each other, so a busy spell of the shared machine
    slows both and cancels out of their ratio.
    """
    q1, median, q3 = statistics.quantiles([x / y for x, y in zip(times[a], times[b])], n=4)
    return median, f"{median:.2f}x ({q1:.2f}–{q3:.2f})"


def time_all(workers):
    """One interleaved run over every case and contender; print the tables, return the speed targets."""
    calls = {(case, name): w.ask("calibrate", case=case)["calls"] for case in TITLES for name, w in workers.items()}
    times = {key: [] for key in calls}
    faults = {key: [] for key in calls}
    slots = list(calls)
    start = time.perf_counter()
    for i in range(ROUNDS):
        for case, name in slots[i % len(slots) :] + slots[: i % len(slots)]:  # each round starts elsewhere
            found = workers[name].ask("time", case=case, calls=calls[case, name])
            times[case, name].append(found["seconds"])
            faults[case, name].append(found["faults"])
    print(
        f"\nmilliseconds per call: median of {ROUNDS} interleaved rounds ({time.perf_counter() - start:.0f} s); "
        "ratios: median of the per-round ratios (their quartiles)"
    )
    engines = list(workers)
    pairs = [("tensorgrad", REFERENCE), ("tensorgrad, glibc defaults", REFERENCE), ("tensorgrad", KEPT)]
    if "PyTorch" in engines:
        pairs += [("PyTorch", REFERENCE), ("tensorgrad", "PyTorch")]
    rows, fault_rows, ratios = [], [], {}
    for case, title in TITLES.items():
        case_times = {engine: times[case, engine] for engine in engines}
        ratios[case] = ratio(case_times, "tensorgrad", REFERENCE)[0]
        row = [title] + [statistics.median(case_times[e]) * 1e3 for e in engines]
        rows.append(row + [ratio(case_times, a, b)[1] for a, b in pairs])
        fault_rows.append([title] + [round(statistics.median(faults[case, e])) for e in engines])
    short = {"tensorgrad, glibc defaults": "tg glibc", REFERENCE: "NumPy", KEPT: "NumPy kept"}
    table(["", *engines] + [f"{short.get(a, a)}/{short.get(b, b)}" for a, b in pairs], rows)
    print("\npage faults per call (median over the rounds)")
    table(["", *engines], fault_rows)
    checks = []
    for case, limit in TARGETS.items():
        text = f"{TITLES[case]}: tensorgrad <= {limit}x hand-written NumPy (got {ratios[case]:.2f}x)"
        checks.append(target(text, ratios[case] <= limit))
    return checks


def measure_memory(workers, folder):
    """Peak memory of a GPT step, tensorgrad vs NumPy by hand; print it, return the memory target."""
    memory = {name: workers[name].ask("memory", case="GPT step") for name in ("tensorgrad", REFERENCE)}
    state = 3 * sum(a.nbytes for a in load(Path(folder) / "start-GPT step.npz").values()) / 2**20
    print(
        f"\nmemory of the {TITLES['GPT step']}, MB traced by tracemalloc; both hold the weights and "
        f"AdamW's two moments ({state:.2f} MB)"
    )
    table(
        ["", "between steps", "peak in a step"],
        [[engine, round(m["between steps"], 2), round(m["peak"], 2)] for engine, m in memory.items()],
    )
    ratio = memory["tensorgrad"]["peak"] / memory[REFERENCE]["peak"]
    text = f"{TITLES['GPT step']}: tensorgrad's peak memory within {MEMORY_TARGET}x of NumPy's (got {ratio:.2f}x)"
    return [target(text, ratio <= MEMORY_TARGET)]


def run():
    """Start a worker per contender, check agreement, time, measure memory; return the targets."""
    names = [name for name, (kind, _) in CONTENDERS.items() if kind != "torch" or importlib.util.find_spec("torch")]
    if "PyTorch" not in names:
        print("PyTorch: not importable here, so its rows are skipped (`make bench-torch` installs it)")
    with tempfile.TemporaryDirectory() as folder:
        workers = {}
        try:
            for name in names:  # tensorgrad's first: it writes the weights every contender starts from
                kind, env = CONTENDERS[name]
                workers[name] = Contender(kind, env, folder)
                found = workers[name].ask("setup")
                print(f"{name}: {found['threads']}")
                if "keeps_freed_memory" in found:
                    print(f"  keeps freed memory for reuse (tensorgrad/memory.py): {found['keeps_freed_memory']}")
            print()
            checks = [check for case in STEPS for check in check_steps(case, workers, folder)]
            checks += check_attention(workers)
            checks += time_all(workers)
            return checks + measure_memory(workers, folder)
        finally:
            for worker in workers.values():
                worker.close()
