"""python -m demos [NAME | tour] [--no-pause] [--out DIR] [--fast]

Without NAME, lists the demos in the post's order. ``tour`` runs them all and
writes ``DIR/index.html``, one page with every step, figure, verdict and
picture. In a terminal each demo waits after every step (Enter: next, b:
back, q: quit, or in the tour: skip to the report); ``--no-pause`` or a
non-terminal stdin runs straight through.
"""

import argparse
import os
import sys
import time
from pathlib import Path

# The demos' matrices are small: one BLAS thread is faster than two fighting over
# a busy machine's cores. Set before NumPy loads; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tqdm import tqdm

from demos import catalog
from demos._report import Section, summary, write_report
from demos._stepper import run_steps

TOUR_PROMPT = "[Enter] next · b back · q skip to the report › "


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="a demo's name, or tour for all of them (omit to list them)")
    parser.add_argument("--no-pause", action="store_true", help="do not wait between steps")
    parser.add_argument("--out", default="out", type=Path, help="where pictures and the report go (default: out)")
    parser.add_argument("--fast", action="store_true", help="train the training demos briefly (as the tour does)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out}: that is a file; give a folder for the pictures and the report")
    if args.name is None:
        print(listing())
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {args.out}: cannot make that folder ({error.strerror}); give one you can write to")
    if not os.access(args.out, os.W_OK):
        parser.error(f"--out {args.out}: that folder is not writable; give one you can write to")
    pause = not args.no_pause and sys.stdin is not None and sys.stdin.isatty()
    if args.name == "tour":
        return tour(args.out, pause)
    try:
        module = catalog.load(args.name)
    except ValueError as error:
        parser.error(str(error))
    print(module.TITLE)
    run_steps(module.steps(args.out, fast=args.fast), pause)
    return 0


def listing():
    """Every demo with its one-line title, grouped by the post's parts."""
    lines = ["Demos, in the post's order (run one with: python -m demos NAME; all: python -m demos tour)"]
    for part, names in catalog.PARTS:
        lines.append(f"\n{part}")
        for name in names:
            trains = " [trains]" if name in catalog.TRAINING else ""
            lines.append(f"  {catalog.command_name(name):17} {catalog.load(name).TITLE}{trains}")
    lines.append("\n[trains]: trains a model, at full size when run alone; --fast trains it briefly, as the tour does.")
    return "\n".join(lines)


def tour(out_dir, pause):
    """Every demo in the post's order (training demos at their fast size), then the report and its summary."""
    sections, showing = [], True
    remaining = None
    for part, names in catalog.PARTS:
        if showing:
            print(f"\n{'═' * 100}\n{part}\n{'═' * 100}")
        for name in names:
            module = catalog.load(name)
            start = time.perf_counter()
            steps = module.steps(out_dir, fast=True)
            sections.append(Section(part, name, module.TITLE, steps, time.perf_counter() - start))
            if showing:
                print(f"\n{module.TITLE}")
                showing = run_steps(steps, pause, prompt=TOUR_PROMPT)
                if not showing:
                    remaining = tqdm(total=len(catalog.NAMES) - len(sections), desc="the remaining demos", unit="demo")
            else:
                remaining.update()
    if remaining is not None:
        remaining.close()
    report = write_report(out_dir / "index.html", sections)
    print(f"\n{summary(sections)}\n\nThe whole tour on one page: {report}")
    return 0


def run(argv=None):
    """``main``, with the two ways a command line ends early said in one line instead of a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("\npython -m demos: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (python -m demos … | head): print nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(run())
