"""python -m demos as a learner runs it: a demo's ending (tally, next command), and Ctrl-C anywhere.

Ctrl-C prints one line, exits with status 130 and leaves no half-written
file: a demo stopped while it computes removes what it had begun to write,
and the tour's page is written under a temporary name and renamed when done.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from demos import catalog
from demos.__main__ import main, next_demo, run
from demos._report import Section, write_report
from demos._stepper import VERDICTS, Step, claims, figure, illustrative, tally
from demos._terminal import Terminal

STOPPED = "python -m demos: stopped (Ctrl-C)"


def test_a_demo_ends_with_its_tally_and_the_next_demo(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["softmax", "--no-pause", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    steps = catalog.load("softmax").steps(tmp_path)
    found = Counter(claim.verdict for claim in claims(steps))
    expected = f"{sum(found.values())} figures: " + ", ".join(f"{found[v]} {v}" for v in VERDICTS if found[v])
    assert tally(claims(steps)) == expected
    ending = out[out.rindex("\n\n") + 2 :]
    assert ending == f"{expected}\n{Terminal(80).fit(next_demo('softmax'))}\n"
    assert "python -m demos log-probs" in ending


def test_the_next_demo_follows_the_posts_order_and_the_last_points_to_the_tour():
    for name, after in zip(catalog.NAMES, catalog.NAMES[1:]):
        assert catalog.next_after(name) == after
        assert f"python -m demos {catalog.command_name(after)} " in next_demo(name)
    assert catalog.next_after(catalog.NAMES[-1]) is None
    assert next_demo(catalog.NAMES[-1]).endswith("python -m demos tour")


def test_a_tally_counts_each_verdict_and_names_only_those_present():
    found = [figure("a", "1", 1.0), figure("b", "1", 5.0), figure("c", "1", 1.0), illustrative("d", "2")]
    assert tally(found) == "4 figures: 2 exact, 1 differs, 1 illustrative"
    assert tally(found[:1]) == "1 figure: 1 exact"
    assert tally([]) == "No figure of the post is checked in this demo."


def _stopping_demo(monkeypatch, out_dir):
    """A stand-in demo that writes one file whole, begins a second, and is stopped by Ctrl-C."""

    def steps(out_dir, fast):
        (out_dir / "done.png").write_bytes(b"a whole picture")
        (out_dir / "frames").mkdir()
        (out_dir / "frames" / "half.html").write_text("<p>half")
        (out_dir / "kept.txt").write_text("overwritten, half")
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "load", lambda name: SimpleNamespace(TITLE="§0 Stopped", steps=steps))


def test_ctrl_c_while_a_demo_computes_removes_what_it_wrote_and_keeps_what_was_there(tmp_path, monkeypatch, capsys):
    (tmp_path / "earlier.png").write_bytes(b"from an earlier run")
    (tmp_path / "kept.txt").write_text("from an earlier run")
    _stopping_demo(monkeypatch, tmp_path)
    handler = signal.getsignal(signal.SIGINT)
    assert run(["softmax", "--no-pause", "--out", str(tmp_path)]) == 130
    assert signal.getsignal(signal.SIGINT) is handler  # Ctrl-C, ignored during the clean-up, works again after it
    assert capsys.readouterr().err.strip() == STOPPED
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["earlier.png"]  # kept.txt was half overwritten


def test_ctrl_c_while_the_page_is_written_leaves_the_old_page_and_no_partial_file(tmp_path, monkeypatch):
    report = tmp_path / "index.html"
    report.write_text("the previous tour")

    def interrupted(sections):
        raise KeyboardInterrupt

    monkeypatch.setattr("demos._report.page", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report(report, [Section("Part 1", "demo", "§1", [Step("s")], 0.0)])
    assert [path.name for path in tmp_path.iterdir()] == ["index.html"] and report.read_text() == "the previous tour"


@contextmanager
def _python_m_demos(*args, **popen):
    """``python -m demos ARGS`` running; killed on the way out if a check failed while it still ran."""
    process = subprocess.Popen([sys.executable, "-m", "demos", *args], text=True, **popen)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def _interruptible():
    """In the child: Ctrl-C raises KeyboardInterrupt, even if this test runs where SIGINT is ignored (``pytest &``)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _controlling_terminal():
    """In the child: a session of its own whose terminal is stdin (the pseudo-terminal), as a shell gives it."""
    import fcntl
    import termios

    _interruptible()
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(fd, wanted, seconds=60):
    """What ``fd`` gives until ``wanted`` appears (fails after ``seconds``)."""
    import select

    seen, deadline = b"", time.monotonic() + seconds
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {wanted!r} after {seconds} s; saw {seen[-300:]!r}"
        seen += os.read(fd, 4096)
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals and a pseudo-terminal")
def test_ctrl_c_at_a_prompt_prints_one_line_and_exits_130(tmp_path):
    """The learner presses Ctrl-C at "[Enter] next": the terminal turns it into SIGINT, here through a pseudo-terminal."""
    import pty

    leader, follower = pty.openpty()
    with _python_m_demos("softmax", "--out", str(tmp_path), stdin=follower, stdout=follower, stderr=follower,
                         preexec_fn=_controlling_terminal) as process:
        os.close(follower)
        _read_until(leader, b"q quit")
        time.sleep(1)  # the prompt is written just before input() waits: a Ctrl-C between the two waits for Enter
        os.write(leader, b"\x03")  # Ctrl-C, as typed
        after = _read_until(leader, STOPPED.encode()).decode()
        assert process.wait(timeout=60) == 130
    os.close(leader)
    assert "Traceback" not in after and after.split("\n", 1)[1].strip() == STOPPED  # the ^C echo, then one line
    assert all(path.stat().st_size > 0 for path in tmp_path.rglob("*") if path.is_file())  # every file is whole


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
def test_ctrl_c_in_training_prints_one_line_exits_130_and_leaves_no_file(tmp_path):
    """``python -m demos gpt`` trains for about a minute: stopped after a few seconds, it leaves nothing behind."""
    out_dir = tmp_path / "out"
    with _python_m_demos("gpt", "--no-pause", "--out", str(out_dir), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_interruptible) as process:
        deadline = time.monotonic() + 60
        while not out_dir.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # well into training
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.splitlines()[-1] == STOPPED
    assert "figures" not in out  # it did not get to the end
    assert list(out_dir.rglob("*")) == []
