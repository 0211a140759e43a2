"""A long chain: x = x*1.0001 + 0.0 repeated n times from Value(1.0), then x.backward().

Each run happens in a fresh Python process (this file, run as a script), so that
its peak memory is its own and not the rest of the benchmarks'. Peak memory is
that process's maximum resident set size (``resource.getrusage``'s ru_maxrss):
everything the process held at its fullest, the interpreter included.
"""

import importlib
import json
import math
import resource
import subprocess
import sys
import time

from benchlib import table, target

ENGINES = {"scalargrad": "scalargrad", "micrograd": "micrograd.engine"}
STEPS = 1_000_000
SECONDS_TARGET, MEGABYTES_TARGET = 5, 600  # scalargrad's build + backward of the million steps, at most
# (engine, chain length, seconds allowed). micrograd sorts the graph recursively,
# so its backward is expected to raise RecursionError; it gets a few seconds only.
CASES = [("scalargrad", STEPS, 60), ("micrograd", 10_000, 5), ("micrograd", STEPS, 5)]


def chain(engine, n):
    """Build the chain, run backward, and say how long each took and how much memory."""
    Value = importlib.import_module(ENGINES[engine]).Value
    start = time.perf_counter()
    x0 = x = Value(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.0
    built = time.perf_counter()
    try:
        x.backward()
        result = "ok" if math.isclose(x0.grad, 1.0001**n) else f"wrong gradient {x0.grad!r}"
    except RecursionError:
        result = "RecursionError in backward"
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    peak_mb = peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
    return {"build": built - start, "backward": done - built, "peak_mb": peak_mb, "result": result}


def chain_in_subprocess(engine, n, timeout):
    """``chain(engine, n)`` in a new Python process; a failure becomes the result text."""
    try:
        proc = subprocess.run(
            [sys.executable, __file__, engine, str(n)], check=False, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"result": f"not done after {timeout} s"}
    if proc.returncode:
        lines = proc.stderr.strip().splitlines() or [""]
        return {"result": f"crashed (exit code {proc.returncode}) {lines[-1]}"}
    return json.loads(proc.stdout)


def run():
    """Run every case, print a table, return the targets for scalargrad's million steps."""
    rows, runs = [], {}
    for engine, n, timeout in CASES:
        r = runs[engine, n] = chain_in_subprocess(engine, n, timeout)
        times = [r["build"], r["backward"], r["build"] + r["backward"]] if "build" in r else ["-"] * 3
        rows.append([engine, f"{n:,}", *times, r.get("peak_mb", "-"), r["result"]])
    table(["engine", "steps", "build s", "backward s", "total s", "peak MB", "result"], rows)
    sg = runs["scalargrad", STEPS]
    ok = sg["result"] == "ok"
    return [
        target(
            f"scalargrad, {STEPS:,} steps: correct gradient, build + backward <= {SECONDS_TARGET} s",
            ok and sg["build"] + sg["backward"] <= SECONDS_TARGET,
        ),
        target(
            f"scalargrad, {STEPS:,} steps: peak resident memory <= {MEGABYTES_TARGET} MB",
            ok and sg["peak_mb"] <= MEGABYTES_TARGET,
        ),
    ]


if __name__ == "__main__":
    print(json.dumps(chain(sys.argv[1], int(sys.argv[2]))))
