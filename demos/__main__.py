"""python -m demos [NAME | tour] [--no-pause] [--out DIR] [--fast]

Without NAME, lists the demos in the post's order. ``tour`` runs them all and
writes ``DIR/index.html``, one page with every step, figure, verdict and
picture. In a terminal each demo waits after every step (Enter: next, b:
back, q: quit, or in the tour: skip to the report); ``--no-pause`` or a
non-terminal stdin runs straight through. A demo run alone ends with its
tally of verdicts and the command for the next demo.

Ctrl-C stops it with one line and exit status 130; a demo stopped while it
computes leaves none of the files it had begun to write.
"""

import argparse
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

# The demos' matrices are small: one BLAS thread is faster than two fighting over
# a busy machine's cores. Set before NumPy loads; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tqdm import tqdm

from demos import catalog
from demos._report import Section, summary, write_report
from demos._stepper import claims, run_steps, tally
from demos._terminal import Terminal

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
    terminal = Terminal.of(sys.stdout)
    if args.name is None:
        print(listing(terminal))
        return 0
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {args.out}: cannot make that folder ({error.strerror}); give one you can write to")
    if not os.access(args.out, os.W_OK):
        parser.error(f"--out {args.out}: that folder is not writable; give one you can write to")
    pause = not args.no_pause and sys.stdin is not None and sys.stdin.isatty()
    if args.name == "tour":
        return tour(args.out, pause, terminal)
    try:
        module = catalog.load(args.name)
    except ValueError as error:
        parser.error(str(error))
    print(terminal.fit(module.TITLE))
    with partial_files_removed(args.out):
        steps = module.steps(args.out, fast=args.fast)
    run_steps(steps, pause, terminal=terminal)
    print(f"\n{tally(claims(steps), terminal)}\n{terminal.fit(next_demo(args.name))}")
    return 0


def next_demo(name):
    """The command for the demo after ``name`` in the post's order (or for the tour, after the last)."""
    after = catalog.next_after(name)
    if after is None:
        return "That was the last demo. All of them, and one page with every figure: python -m demos tour"
    return f"Next, in the post's order: python -m demos {catalog.command_name(after)} ({catalog.load(after).TITLE})"


def listing(terminal=None):
    """Every demo with its one-line title, grouped by the post's parts, fitted to ``terminal`` (80 columns)."""
    terminal = terminal or Terminal()
    lines = terminal.wrap("Demos, in the post's order (run one with: python -m demos NAME; all: python -m demos tour)",
                          hanging="")
    for part, names in catalog.PARTS:
        lines.append(f"\n{part}")
        for name in names:
            trains = " [trains]" if name in catalog.TRAINING else ""
            row = f"  {catalog.command_name(name):17} {catalog.load(name).TITLE}{trains}"
            lines += terminal.wrap(row, hanging=" " * 20)  # the title's continuation under the title
    lines += ["", *terminal.wrap(
        "[trains]: trains a model, at full size when run alone; --fast trains it briefly, as the tour does.", hanging="")]
    return "\n".join(lines)


@contextmanager
def partial_files_removed(out_dir):
    """On Ctrl-C inside the block, remove the files it wrote or changed under ``out_dir``: they may be half written."""
    files, folders = _contents(out_dir)
    try:
        yield
    except KeyboardInterrupt:
        with _ctrl_c_ignored():  # a second Ctrl-C must not stop the clean-up halfway
            files_now, folders_now = _contents(out_dir)
            for path, stamp in files_now.items():
                if files.get(path) != stamp:
                    path.unlink(missing_ok=True)
            for folder in sorted(folders_now - folders, key=lambda folder: len(folder.parts), reverse=True):
                if not any(folder.iterdir()):
                    folder.rmdir()
        raise


@contextmanager
def _ctrl_c_ignored():
    """Ctrl-C does nothing inside the block (only the main thread may change it; elsewhere it is left as is)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _contents(out_dir):
    """({file: (modified time, size)}, {folder}) of everything under ``out_dir``: what tells a file changed."""
    files, folders = {}, set()
    for path in out_dir.rglob("*"):
        if path.is_dir():
            folders.add(path)
        else:
            stat = path.stat()
            files[path] = (stat.st_mtime_ns, stat.st_size)
    return files, folders


def tour(out_dir, pause, terminal=None):
    """Every demo in the post's order (training demos at their fast size), then the report and its summary."""
    terminal = terminal or Terminal()
    sections, showing = [], True
    remaining = None
    for part, names in catalog.PARTS:
        if showing:
            print(f"\n{terminal.rule()}\n{part}\n{terminal.rule()}")
        for name in names:
            module = catalog.load(name)
            start = time.perf_counter()
            with partial_files_removed(out_dir):
                steps = module.steps(out_dir, fast=True)
            sections.append(Section(part, name, module.TITLE, steps, time.perf_counter() - start))
            if showing:
                print(f"\n{terminal.fit(module.TITLE)}")
                showing = run_steps(steps, pause, prompt=TOUR_PROMPT, terminal=terminal)
                if not showing:
                    remaining = tqdm(total=len(catalog.NAMES) - len(sections), desc="the remaining demos", unit="demo")
            else:
                remaining.update()
    if remaining is not None:
        remaining.close()
    report = write_report(out_dir / "index.html", sections)
    print(f"\n{summary(sections, terminal)}\n\n{terminal.fit(f'The whole tour on one page: {report}')}")
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
