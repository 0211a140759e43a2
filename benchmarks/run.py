"""Run every benchmark in this folder, then sum up the targets.

A benchmark is a file ``bench_<name>.py`` whose docstring's first line says
what it measures and whose ``run()`` prints its results and returns its
targets as ``(text, passed)`` pairs (see ``benchlib.target``). Adding one is
adding such a file. ``make bench`` runs this script in ``.venv-bench``, a
virtualenv of its own that also holds micrograd, which the project itself
never depends on. Exits with 1 if a target is missed.
"""

import importlib
import os
import sys
import time
from pathlib import Path

# One BLAS thread for every benchmark (BENCH_THREADS=n to change), set before any
# of them imports NumPy: on a small machine shared with other work, timings with
# several BLAS threads swing wildly, and the ratios with them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("BENCH_THREADS", "1"))


def main():
    start = time.perf_counter()
    checks = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        print(f"\n== {module.__doc__.splitlines()[0]}\n")
        checks += module.run()
    missed = [text for text, ok in checks if not ok]
    print(f"\n{len(checks) - len(missed)} of {len(checks)} targets met in {time.perf_counter() - start:.0f} s")
    for text in missed:
        print(f"  missed: {text}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
