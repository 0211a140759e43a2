"""python -m exercises [list | start NAME | check NAME | NAME] [--hint] [--solution] [--workspace DIR]

Without a command, lists the exercises with your status on each. ``start``
copies an exercise's stub into your workspace (``my_exercises/``, ignored by
git), ``check`` grades your copy there. ``--hint`` prints the next hint (one
more each time), ``--solution`` the reference solution.
"""

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from exercises import catalog, grader

WORKSPACE = Path("my_exercises")
PROGRESS = ".progress.json"  # in the workspace: each exercise's last check and how many hints were shown


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m exercises", description=__doc__.splitlines()[0])
    parser.add_argument("words", nargs="*", help="list | start NAME | check NAME | NAME")
    parser.add_argument("--hint", action="store_true", help="print the next hint for NAME")
    parser.add_argument("--solution", action="store_true", help="print the reference solution for NAME")
    parser.add_argument("--workspace", type=Path, default=WORKSPACE, help="your folder (default: my_exercises)")
    args = parser.parse_args(argv)
    command, name = _command(parser, args.words)
    workspace = args.workspace
    if command == "list":
        if args.hint or args.solution:
            parser.error("--hint and --solution need an exercise: python -m exercises NAME --hint")
        print(listing(workspace))
        return 0
    try:
        exercise = catalog.find(name)
    except ValueError as error:
        parser.error(str(error))
    exit_code = 0
    if command == "start":
        print(start(exercise, workspace))
    elif command == "check":
        result = check(exercise, workspace)
        print(result)
        exit_code = 0 if result.passed else 1
    if args.hint:
        print(next_hint(exercise, workspace))
    if args.solution:
        print(f"# reference solution of {exercise.name} ({exercise.section})\n{exercise.source('solutions')}")
    if command == "show" and not (args.hint or args.solution):
        print(f"{exercise.name} ({exercise.section}): {exercise.title}\n"
              f"start it with: python -m exercises start {exercise.name}")
    return exit_code


def _command(parser, words):
    """(command, exercise name) from the words typed after ``python -m exercises``."""
    if not words or words == ["list"]:
        return "list", None
    if words[0] in ("start", "check") and len(words) == 2:
        return words[0], words[1]
    if len(words) == 1 and words[0] not in ("start", "check", "list"):
        return "show", words[0]
    parser.error(f"expected list, start NAME, check NAME or NAME, got: {' '.join(words)}")


def listing(workspace):
    """Every exercise in order, with its section and your status, then its title: two lines each, to fit
    an 80-column terminal."""
    progress = _progress(workspace)
    lines = ["Exercises, in the post's order", "(python -m exercises start NAME, then check NAME):", ""]
    for number, exercise in enumerate(catalog.EXERCISES, 1):
        lines.append(f"{number:>3}. {exercise.name:<20} {exercise.section:<7} {status(exercise, workspace, progress)}")
        lines.append(f"     {exercise.title}")
    return "\n".join(lines)


def status(exercise, workspace, progress=None):
    """"not started", "failing", "passed", or "edited since last check" from the workspace."""
    path = workspace / f"{exercise.name}.py"
    if not path.exists():
        return "not started"
    last = (progress if progress is not None else _progress(workspace)).get(exercise.name, {})
    if "passed" not in last:
        return "started, not checked yet"
    if last.get("digest") != _digest(path):
        return "edited since last check"
    return "passed" if last["passed"] else "failing"


def start(exercise, workspace):
    """Copy the stub into the workspace, unless a copy is already there (your work is never overwritten)."""
    path = workspace / f"{exercise.name}.py"
    if path.exists():
        return f"{path} is already there (your work is kept); check it with: python -m exercises check {exercise.name}"
    workspace.mkdir(parents=True, exist_ok=True)
    path.write_text(exercise.source("stubs"), encoding="utf-8")
    return (f"{exercise.name} ({exercise.section}): {exercise.title}\n"
            f"wrote {path}: edit it, then run: python -m exercises check {exercise.name}")


def check(exercise, workspace):
    """Grade the workspace's copy and remember the outcome for the listing."""
    path = workspace / f"{exercise.name}.py"
    result = grader.grade(exercise, path)
    if path.exists():
        progress = _progress(workspace)
        progress.setdefault(exercise.name, {}).update(passed=result.passed, digest=_digest(path))
        _save(workspace, progress)
    return result


def next_hint(exercise, workspace):
    """The next hint for the exercise (the last one again once all were shown)."""
    progress = _progress(workspace)
    entry = progress.setdefault(exercise.name, {})
    shown = min(entry.get("hints", 0), len(exercise.hints) - 1)
    entry["hints"] = shown + 1
    workspace.mkdir(parents=True, exist_ok=True)
    _save(workspace, progress)
    return f"Hint {shown + 1} of {len(exercise.hints)}: {exercise.hints[shown]}"


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _progress(workspace):
    path = workspace / PROGRESS
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _save(workspace, progress):
    (workspace / PROGRESS).write_text(json.dumps(progress, indent=1), encoding="utf-8")


def run(argv=None):
    """``main``, ending in one line instead of a traceback on Ctrl-C or when the reader of a pipe goes away."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print("\npython -m exercises: stopped (Ctrl-C)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # python -m exercises | head: print nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(run())
