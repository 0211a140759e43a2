"""What the benchmarks share: interleaved timing, a plain table, targets."""

import gc
import statistics
import time


def seconds_per_call(fn, calls, gc_on=True):
    """Mean seconds per ``fn()`` over ``calls`` calls, with Python's cyclic GC on or off.

    Leftover garbage is collected first, outside the timing, so that no
    contender pays for what the previous one left behind.
    """
    gc.collect()
    if not gc_on:
        gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - start) / calls
    finally:
        gc.enable()


def interleaved(contenders, rounds, calls):
    """Median seconds per call of each contender, ``{name: (fn, gc_on)}``.

    Each round times every contender in turn, so a slow spell of the machine
    hits them all alike instead of one of them only.
    """
    times = interleaved_rounds(contenders, rounds, calls)
    return {name: statistics.median(ts) for name, ts in times.items()}


def interleaved_rounds(contenders, rounds, calls):
    """Seconds per call of each contender in every round: ``{name: [one number per round]}``.

    As ``interleaved``, and ``calls`` may be a dict ``{name: calls}``, so a fast
    contender can make more calls per round than a slow one.
    """
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (fn, gc_on) in contenders.items():
            n = calls[name] if isinstance(calls, dict) else calls
            times[name].append(seconds_per_call(fn, n, gc_on))
    return times


def table(header, rows):
    """Print rows of cells as aligned columns: text left, everything else right."""
    cells = [list(map(str, header))] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    left = [isinstance(c, str) for c in rows[0]]
    for row in cells:
        print("  ".join(c.ljust(w) if lj else c.rjust(w) for c, w, lj in zip(row, widths, left)).rstrip())


def _cell(x):
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def target(text, ok):
    """Print one target with its verdict and return ``(text, ok)`` for the summary."""
    print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    return text, ok
