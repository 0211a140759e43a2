"""One contender of the GPT benchmark in a Python process of its own, driven by ``bench_gpt.py`` through a pipe.

    python gpt_worker.py KIND FOLDER        KIND: tensorgrad, numpy or torch

Why a process per contender: each then has its own memory allocator state and
its own garbage collector, and no contender's setting or imports (PyTorch's
~150,000 Python objects, tensorgrad's allocator setting) reach another's
timings. The driver keeps all of them alive and asks each in turn, so the
rounds stay interleaved.

The worker reads one JSON command per line on stdin and answers with one JSON
line on stdout (arrays go through .npz files in FOLDER):

    {"do": "setup"}                       build every case's contender
    {"do": "gradients", "case": c}        loss and gradients at the current weights
    {"do": "update", "case": c, "grads": [path, ...]}   AdamW updates from those gradients
    {"do": "attention"}                   attention's output and gradients
    {"do": "calibrate", "case": c}        how many calls fill a time slot
    {"do": "time", "case": c, "calls": n} seconds and page faults per call
    {"do": "memory", "case": c}           tracemalloc's count of a fresh step
"""

import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import gpt_contenders
import numpy as np

THREADS = int(os.environ.get("BENCH_THREADS", "1"))  # for NumPy's BLAS and for PyTorch alike
SLOT_SECONDS = 0.04  # each contender runs about this long per round: short, so that a busy spell of
# the machine falls on neighbouring slots of all contenders alike


class Worker:
    def __init__(self, kind, folder):
        self.kind, self.folder = kind, Path(folder)
        self.cases = {}

    def start_weights(self, case):
        """The weights every contender starts from: made by tensorgrad's worker, read by the others."""
        path = self.folder / f"start-{case}.npz"
        if self.kind == "tensorgrad" and not path.exists():
            import tensorgrad_gpt

            np.savez(path, **tensorgrad_gpt.initial_weights(gpt_contenders.STEPS[case]))
        with np.load(path) as archive:
            return {name: archive[name] for name in archive.files}

    def setup(self):
        text = limit_threads(self.kind)
        for case in gpt_contenders.TITLES:
            start = self.start_weights(case) if case in gpt_contenders.STEPS else None
            self.cases[case] = gpt_contenders.make(self.kind, case, start)
        found = {"threads": text}
        if self.kind == "tensorgrad":
            from tensorgrad import memory

            found["keeps_freed_memory"] = memory.keeps_freed_memory()
        return found

    def save(self, name, arrays):
        path = self.folder / f"{os.getpid()}-{name}.npz"
        np.savez(path, **arrays)
        return str(path)

    def gradients(self, case):
        loss, grads = self.cases[case].gradients()
        return {"loss": loss, "grads": self.save(f"{case}-grads", grads)}

    def update(self, case, grads):
        step = self.cases[case]
        for path in grads:
            with np.load(path) as archive:
                step.update({name: archive[name] for name in archive.files})
        return {"weights": self.save(f"{case}-weights", step.weights())}

    def attention(self):
        out, grads = self.cases["attention"]()
        return {"arrays": self.save("attention", {"out": out, "dq": grads[0], "dk": grads[1], "dv": grads[2]})}

    def calibrate(self, case):
        """How many calls fill about SLOT_SECONDS (after one warm-up call); then hide everything from the GC."""
        fn = self.cases[case]
        fn()
        start = time.perf_counter()
        fn()
        calls = max(1, round(SLOT_SECONDS / (time.perf_counter() - start)))
        # Everything alive now (models, PyTorch's modules) is moved out of the cyclic GC's sight, so
        # that a collection during a timed step costs the same whatever the process imported.
        gc.collect()
        gc.freeze()
        return {"calls": calls}

    def time(self, case, calls):
        """Seconds and page faults per call, over ``calls`` calls after one untimed call (caches warm again)."""
        fn = self.cases[case]
        fn()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        seconds = time.perf_counter() - start
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        return {"seconds": seconds / calls, "faults": faults / calls}

    def memory(self, case):
        """(MB held between steps, MB at the peak of a step) of a fresh contender, counted by tracemalloc.

        Why tracemalloc and not the process's maximum resident size (ru_maxrss):
        NumPy reports every array buffer it allocates to tracemalloc, so the
        count is exact, byte for byte, and the same on every run, and it covers
        Python objects (tensorgrad's graph nodes) too. ru_maxrss would add the
        interpreter and NumPy (tens of MB) to a step of a few MB, and it moves
        in pages with the allocator's whims. Neither count includes OpenBLAS's
        own work buffers (the same for both engines).

        Tracing starts before the model is built, so both counts include the
        weights and AdamW's two moments, and everything each engine keeps
        between steps. One step runs first so that the moments exist.
        """
        start = self.start_weights(case)
        gc.collect()
        tracemalloc.start()
        try:
            step = gpt_contenders.make(self.kind, case, start)
            step()
            gc.collect()
            at_rest = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            step()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return {"between steps": at_rest / 2**20, "peak": peak / 2**20}


def limit_threads(kind):
    """Set NumPy's BLAS (and PyTorch) to THREADS threads; return a line that says what was found and set.

    One thread by default: the matrices here are small, and on a shared
    machine a multi-threaded BLAS whose second thread finds its core busy
    waits for it. With 2 threads on a 2-core machine that others were using,
    the GPT step took 10 to 20 times as long and the per-round ratios spread
    from 0.9x to 4x; with 1 thread they stayed within a few percent.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return "NumPy's BLAS: thread count unknown and unchanged (threadpoolctl is not installed)"
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]  # before torch adds its own
    if not blas:
        return "NumPy's BLAS: not found by threadpoolctl, thread count unchanged"
    lib = blas[0]
    threadpool_limits(limits=THREADS, user_api="blas")
    env = ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS_")) or "none"
    text = (
        f"NumPy {np.__version__}'s BLAS: {lib['internal_api']} {lib.get('version', '')} "
        f"({lib.get('architecture', '?')} kernels), {THREADS} thread(s) (its default: {lib['num_threads']}; "
        f"BENCH_THREADS=n to change); OPENBLAS_* variables: {env}"
    )
    if kind == "torch":
        import torch

        torch.set_num_threads(THREADS)
        text = f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s) (torch.set_num_threads)"
    return text


def main(kind, folder):
    worker = Worker(kind, folder)
    for line in sys.stdin:
        command = json.loads(line)
        answer = getattr(worker, command.pop("do"))(**command)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
