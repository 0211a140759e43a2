"""demos._terminal and how steps print through it: lines fit the width, numbers stay whole, verdicts in colour.

Every check compares structure: the words of a fitted text are the words of
the plain text, in order (wrapping only moves line breaks), and no line is
wider than the terminal unless it is one unbreakable token.
"""

import io
import os
import re
import subprocess
import sys

import pytest

from demos import catalog
from demos._stepper import VERDICTS, Step, figure, illustrative, run_steps
from demos._terminal import COLOURS, MIN_WIDTH, RESET, Terminal

ANSI = re.compile(r"\033\[[0-9;]*m")


def too_wide(text, width):
    """The lines of ``text`` wider than ``width`` that a break at a space could have shortened."""
    return [line for line in text.splitlines() if len(ANSI.sub("", line)) > width and len(line.split()) > 1]


def test_a_long_line_wraps_between_words_with_its_continuation_indented():
    line = "  temperature=0.1 sharpens the distribution: " + " ".join(f"p{i}=0.{i}5" for i in range(20))
    wrapped = Terminal(60).wrap(line)
    assert len(wrapped) > 1 and all(len(part) <= 60 for part in wrapped)
    assert " ".join(part.strip() for part in wrapped) == line.strip()  # every token whole, in order
    assert wrapped[0].startswith("  temperature=0.1") and all(part.startswith("    ") for part in wrapped[1:])


def test_a_token_longer_than_the_width_is_left_whole():
    path = "/tmp/" + "x" * 90 + ".png"
    assert Terminal(60).wrap(f"  picture: {path} (a curve)") == ["  picture:", f"    {path}", "    (a curve)"]


def test_a_line_that_fits_is_untouched():
    assert Terminal(80).fit("  a   b\nc\n") == "  a   b\nc\n"


def test_a_wide_table_is_folded_at_one_column_gap_so_its_columns_stay_lined_up():
    rows = [
        "  run                baseline    clip    μ  held-out: start → end  mean   first ≥ 0.9  KL at the end",
        "  GRPO               group mean  ε 0.2   2  0.413 → 0.530          0.481  never        0.2195",
        "  REINFORCE          none        none    1  0.413 → 0.543          0.453  step 12      0.2288",
        "  short row          fits",
    ]
    folded = Terminal(80).fold(rows)
    assert max(len(line) for line in folded) <= 80
    assert " ".join(folded).split() == " ".join(rows).split()
    assert folded[-1] == rows[-1]  # a row that fits stays whole
    heads, rests = folded[0:6:2], folded[1:6:2]
    assert [rows[i].startswith(heads[i]) for i in range(3)] == [True] * 3
    assert {rest.index(word) for rest, word in zip(rests, ("KL", "0.2195", "0.2288"))} == {
        rests[0].index("KL")
    }  # the column after the cut starts at one place in every remainder


def test_a_table_whose_heading_words_stand_one_space_apart_is_folded_too():
    words = ("cat", "dog", "bird", "run", "walk", "freedom", "justice", "democra")
    rows = ["  " + " " * 10 + "".join(f"{w:>8}" for w in words)]
    rows += [f"  {w:10}" + "".join(f"{0.01 * i * j - 0.3:+8.2f}" for j in range(8)) for i, w in enumerate(words)]
    folded = Terminal(60).fold(rows)
    assert len(folded) == 2 * len(rows) and max(len(line) for line in folded) <= 60
    assert " ".join(folded).split() == " ".join(rows).split()
    assert {len(line) for line in folded[1::2]} == {len(folded[1])}  # right-aligned columns end where the heading's do


def test_one_wide_heading_in_a_table_wraps_like_prose():
    rows = ["  voting rule" + " " * 40 + "exact    simulated (100,000 votes, seed 0)", "  (a) strict     63.3%"]
    assert Terminal(80).fold(rows) == [*Terminal(80).wrap(rows[0]), rows[1]]


def test_width_comes_from_the_terminal_with_a_floor_of_60(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert Terminal.of(io.StringIO()).width == 100
    monkeypatch.setenv("COLUMNS", "30")
    assert Terminal.of(io.StringIO()).width == MIN_WIDTH


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_on_a_terminal_and_only_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert Terminal.of(FakeTerminal()).colour and not Terminal.of(io.StringIO()).colour
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Terminal.of(FakeTerminal()).colour


def _step():
    return Step("claims").say(
        "text between",
        figure("e^5.2", "181.3", 181.272),
        figure("sum of the e^z", "189.95", 189.8877, would_give="rounded terms"),
        figure("P(the)", "95.4", 95.463, unit="%"),
        illustrative("entropy", "0.47", unit=" bits", engine=0.569, note="no inputs"),
    )


def test_on_a_colour_terminal_each_verdict_has_its_own_colour_and_the_claims_line_up():
    text = _step().text(Terminal(100, colour=True))
    claim_lines = [line for line in text.splitlines() if " post " in line]
    painted = [re.search(r"\033\[([0-9;]*)m(\w+)" + re.escape(RESET) + "$", line).groups() for line in claim_lines]
    assert [word for _, word in painted] == ["exact", "differs", "rounded", "illustrative"]
    assert all(code == COLOURS[word] for code, word in painted) and len(set(COLOURS.values())) == len(VERDICTS)
    plain = [ANSI.sub("", line) for line in claim_lines]
    for column in (" post ", " · engine ", " · "):
        assert len({line.index(column) if column != " · " else line.rindex(column) for line in plain}) == 1, column


def test_plain_text_has_no_colour_and_no_padding():
    text = _step().text(Terminal(100, colour=False))
    assert "\033" not in text and "  e^5.2: post 181.3 · engine 181.272 · exact" in text.splitlines()


def test_claims_too_long_to_line_up_wrap_and_keep_their_verdict_coloured():
    long = figure("a name long enough that lined up claims would not fit in sixty columns", "1", 1.0)
    text = Step("s").say(long, figure("b", "2", 2.0)).text(Terminal(60, colour=True))
    assert too_wide(text, 60) == [] and text.count(f"\033[{COLOURS['exact']}mexact{RESET}") == 2


def test_the_stepper_writes_fitted_titles_and_steps():
    title = "§4 The shape of e^x: flat for negative logits, explosive for positive ones, and more words"
    shown = []
    run_steps([Step(title).say("word " * 30)], pause=False, write=shown.append, terminal=Terminal(60))
    assert too_wide("".join(shown), 60) == [] and "".join(shown).split() == ["──", "1/1", "·", *title.split(), "──",
                                                                           *["word"] * 30]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", [None, "1"])
def test_a_real_terminal_gets_colour_unless_no_color_is_set(tmp_path, no_color):
    """``python -m demos softmax`` on a pseudo-terminal 80 columns wide, as a learner's terminal is."""
    import pty

    leader, follower = pty.openpty()
    os.set_blocking(leader, True)
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "COLUMNS")}
    env.update({"COLUMNS": "80", **({"NO_COLOR": no_color} if no_color else {})})
    command = [sys.executable, "-m", "demos", "softmax", "--no-pause", "--out", str(tmp_path)]
    with subprocess.Popen(command, stdout=follower, stderr=follower, stdin=subprocess.DEVNULL, env=env) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: the demo is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=120) == 0
    os.close(leader)
    out = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    assert ("\033[" in out) is (no_color is None)
    assert too_wide(out, 80) == []
    if no_color is None:
        assert f"\033[{COLOURS['differs']}mdiffers{RESET}" in out


def test_the_listing_fits_80_columns_and_names_every_demo(monkeypatch, capsys):
    from demos.__main__ import main

    monkeypatch.setenv("COLUMNS", "80")
    assert main([]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert listed == [catalog.command_name(name) for name in catalog.NAMES]

