"""python -m demos [NAME] [--no-pause] [--out DIR]

Without NAME, lists the demos. In a terminal each demo waits after every step
(Enter: next, b: back, q: quit); ``--no-pause`` or a non-terminal stdin runs
straight through.
"""

import argparse
import os
import sys
from pathlib import Path

# The demos' matrices are small: one BLAS thread is faster than two fighting over
# a busy machine's cores. Set before NumPy loads; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from demos import attention, backprop, gpt, grpo, mlp
from demos._stepper import run_steps

DEMOS = {"backprop": backprop, "mlp": mlp, "attention": attention, "gpt": gpt, "grpo": grpo}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", choices=sorted(DEMOS), help="the demo to run")
    parser.add_argument("--no-pause", action="store_true", help="do not wait between steps")
    parser.add_argument("--out", default="out", type=Path, help="where graphs and pictures go (default: out)")
    args = parser.parse_args(argv)
    if args.name is None:
        print("Demos (run one with: python -m demos NAME):")
        for name, module in DEMOS.items():
            print(f"  {name:10} {module.TITLE}")
        return 0
    module = DEMOS[args.name]
    print(module.TITLE)
    pause = not args.no_pause and sys.stdin.isatty()
    run_steps(module.steps(args.out), pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
