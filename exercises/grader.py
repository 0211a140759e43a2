"""The shared grader: load your file, run its exercise's check, and say what happened.

A check compares your function with the reference (or with the engine
itself) on random and edge inputs, and fails with the input, the entry, the
expected number and yours. Before it says "wrong", it tests the common
mistakes (``mistakes.CATALOGUE``) and names the one your answer shows.
"""

import importlib
import importlib.util
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exercises.mistakes import Failed, found

NOT_IMPLEMENTED = "not implemented yet"


@dataclass
class Result:
    """One check's outcome: ``passed``, the message for you, and the mistake's name if one was recognised."""

    name: str
    passed: bool
    message: str
    mistake: str | None = None

    def __str__(self):
        return f"{self.name}: {'passed' if self.passed else 'FAILED'}\n{self.message}"


def load(path, name):
    """Your file, imported by its path (never the package's stub): a fresh module on every call."""
    spec = importlib.util.spec_from_file_location(f"my_exercises.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grade(exercise, path):
    """Run ``exercise``'s check on the file at ``path``; a Result, whatever your code does."""
    path = Path(path)
    if not path.exists():
        return Result(exercise.name, False, f"no file {path}: run `python -m exercises start {exercise.name}` first")
    try:
        module = load(path, exercise.name)
    except Exception as error:  # noqa: BLE001  (whatever your file's top level raises: a syntax error, a bad import)
        return Result(exercise.name, False, f"{path} does not import: {type(error).__name__}: {error}")
    check = importlib.import_module(f"exercises.checks.{exercise.name}").check
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notes = check(module)
    except NotImplementedError:
        where = _function_in(path, sys.exc_info()[2])
        return Result(exercise.name, False, f"{NOT_IMPLEMENTED}: {where}\nHint 1: {exercise.hints[0]}")
    except Failed as failure:
        return Result(exercise.name, False, str(failure), failure.mistake)
    except Exception as error:  # noqa: BLE001  (whatever your code raises is reported, never a crash of the grader)
        where = _line_in(path, sys.exc_info()[2])
        return Result(exercise.name, False, f"your code raised {type(error).__name__}: {error}\n  at {where}")
    return Result(exercise.name, True, "\n".join(["every case matches the reference.", *notes]))


def _line_in(path, trace):
    """Where in your file it happened: "softmax() in my_exercises/softmax.py, line 12: return ..."."""
    frame = _last_frame_in(path, trace)
    if frame is None:
        return f"{path} (while checking what it returned)"
    return f"{frame.name}() in {path}, line {frame.lineno}: {frame.line}"


def _function_in(path, trace):
    """Which of your functions it happened in: "softmax() in my_exercises/softmax.py"."""
    frame = _last_frame_in(path, trace)
    return str(path) if frame is None else f"{frame.name}() in {path}"


def _last_frame_in(path, trace):
    frames = [f for f in traceback.extract_tb(trace) if Path(f.filename).resolve() == path.resolve()]
    return frames[-1] if frames else None


# ---- comparing your answer with the expected one ---------------------------------------------
def as_array(got, what, case):
    """Your answer as a float array, or a failure that says what came back instead."""
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise Failed(f"{what} for {case}: expected an array of numbers, got {type(got).__name__} {got!r:.80}") from None
    return array


def expect_close(got, expected, what, case, *, wrong=(), atol=1e-8, rtol=1e-6):
    """``got`` must equal ``expected`` (entry by entry, within tolerance) for the input ``case``.

    ``wrong`` lists (mistake, the answer that mistake gives, or None): an answer that
    matches one gets that mistake's message. A negated answer is a sign flip.
    Otherwise the message names the first entry that differs.
    """
    got = as_array(got, what, case)
    expected = np.asarray(expected, dtype=float)
    for mistake, value in wrong:  # a wrong answer may have the wrong shape too, so they come first
        if value is None:  # that mistake cannot happen for this input
            continue
        value = np.asarray(value, dtype=float)
        if value.shape == got.shape and _close(got, value, atol, rtol) and not _close(value, expected, atol, rtol):
            raise found(mistake, _difference(got, expected, what, case))
    if got.shape != expected.shape:
        raise Failed(f"{what} for {case}: shape {got.shape}, expected {expected.shape}")
    if _close(got, expected, atol, rtol):
        return
    if np.abs(expected).max(initial=0) > atol and _close(got, -expected, atol, rtol):
        raise found("sign_flip", _difference(got, expected, what, case))
    raise Failed(_difference(got, expected, what, case))


def _close(a, b, atol, rtol):
    """Same shape, and equal entry by entry within tolerance (never by broadcasting one onto the other)."""
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol))


def _difference(got, expected, what, case):
    """"what for case, entry (0, 1): expected 0.5, got nan" (the first entry that differs)."""
    if got.shape != expected.shape:
        return f"{what} for {case}: shape {got.shape}, expected {expected.shape}"
    bad = ~np.isclose(got, expected, atol=1e-8, rtol=1e-6)
    index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.any() else ()
    entry = f", entry {index}" if index else ""
    return f"{what} for {case}{entry}: expected {expected[index]:.6g}, got {got[index]:.6g}"


def attempt(compute, *arrays):
    """``compute(*arrays)``, or None if their shapes do not fit (a mistake that cannot happen for this input)."""
    try:
        return compute(*arrays)
    except ValueError:
        return None


def show(array):
    """A short picture of an input for a message: "[[1e+04, -1e+04, 0]]", or its shape if it is big."""
    array = np.asarray(array)
    if array.size > 8:
        return f"an array of shape {array.shape}"
    return np.array2string(array, precision=4, separator=", ", max_line_width=1000)
