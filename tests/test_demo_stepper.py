"""demos._stepper, the one place that tests how a demo prints: claim lines (post · engine · verdict), notes,
numbers as a learner writes them (−0.0 as 0.0), pictures, recorded values, and the pause/back/quit loop.

The demo tests read claims and recorded values, never the printed text.
"""

import re

import pytest

from demos._stepper import (
    Claim,
    Step,
    claims,
    figure,
    illustrative,
    number,
    run_steps,
    verdict,
)


def test_verdict_exact_rounded_differs():
    assert verdict("4.5", 4.5) == "exact"
    assert verdict("95.4", 95.45) == "rounded"  # round(95.45, 1) is 95.5 in binary floating point
    assert verdict("0.2", 0.24) == "exact"
    assert verdict("9", 9.0) == "exact"
    assert verdict("72", 72.9) == "rounded"
    assert verdict("72", 75.0) == "differs"
    assert verdict("0.105", 0.10536) == "exact"


def test_number_prints_floats_as_a_learner_writes_them():
    assert number(0.1 + 0.2) == "0.3"
    assert number(-0.0) == "0.0" and figure("-log(1.0)", "0.0", -0.0).engine == "0.0"
    assert number(3) == "3.0"


def test_figure_line_names_post_engine_and_verdict():
    assert str(figure("dL/dw1", "4.5", 4.5)) == "  dL/dw1: post 4.5 · engine 4.5 · exact"


def test_figure_shows_two_more_digits_than_the_post_and_the_unit():
    claim = figure("the", "95.4", 100 * 0.954555, unit="%")
    assert (claim.engine, claim.verdict) == ("95.456", "rounded")
    assert str(claim) == "  the: post 95.4% · engine 95.456% · rounded"


def test_a_differing_figure_says_what_would_give_the_posts_number():
    claim = figure("sum", "189.95", 189.888, would_give="the post summed rounded terms")
    assert claim.verdict == "differs"
    assert str(claim).endswith("· differs\n      ↳ the post summed rounded terms")
    assert figure("sum", "189.89", 189.888, would_give="unused").note == ""


def test_verdict_reads_approximate_figures():
    assert verdict("~0", 0.0004) == "exact"
    assert verdict("~0", 0.6) == "rounded"
    assert verdict("≈22", 22.2) == "exact"


def test_illustrative_claims_show_what_the_engine_computes_instead():
    claim = illustrative("entropy, sharp", "0.47", unit=" bits", engine=0.569, note="[0.9, 0.05, 0.05]")
    assert str(claim) == "  entropy, sharp: post 0.47 bits · engine 0.569 bits · illustrative\n      ↳ [0.9, 0.05, 0.05]"
    assert str(illustrative("KL", "0.3")) == "  KL: post 0.3 · engine — · illustrative"


def test_claim_rejects_an_unknown_verdict():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Claim("x", "1", "1", "close enough")


def test_steps_collect_their_claims_and_pictures(tmp_path):
    step = Step("s").say("text", figure("a", "1", 1.0)).show(tmp_path / "p.png", "a picture")
    assert step.pictures == [(tmp_path / "p.png", "a picture")]
    assert step.text().endswith(f"  picture: {tmp_path / 'p.png'} (a picture)\n")
    assert [c.name for c in claims([step, Step("t").say(figure("b", "2", 2.0))])] == ["a", "b"]


def _scripted(keys):
    keys = iter(keys)
    return lambda prompt: next(keys)


def test_stepper_goes_forward_back_and_quits():
    shown = []
    steps = [Step(f"s{i}") for i in range(3)]
    finished = run_steps(steps, pause=True, write=shown.append, read=_scripted(["", "b", "", "q"]))
    titles = re.findall(r"· (s\d) ──", "".join(shown))
    assert titles == ["s0", "s1", "s0", "s1"]
    assert finished is False


def test_stepper_without_pause_never_reads():
    def no_input(prompt):
        raise AssertionError("read while pause=False")

    shown = []
    assert run_steps([Step("a"), Step("b")], pause=False, write=shown.append, read=no_input)
    assert "a ──" in shown[0] and "b ──" in shown[2]


def test_stepper_runs_through_when_stdin_closes():
    def closed(prompt):
        raise EOFError

    shown = []
    assert run_steps([Step("a"), Step("b"), Step("c")], pause=True, write=shown.append, read=closed)
    assert len(re.findall(r"── \d/3", "".join(shown))) == 3


def test_one_unit_off_is_rounded_only_when_also_close():
    assert verdict("0.32", 0.3089) == "rounded"  # 0.31: one unit, 3.5% off
    assert verdict("1", 0.23) == "differs"  # shows as 0: one unit, but four times too big
    assert verdict("0.1", 3.4e-14) == "differs"
    assert verdict("~0", 0.6) == "rounded"  # nothing to be relative to


def test_claims_sharing_a_note_show_it_once_after_the_last(tmp_path):
    note = "logits [1, 2] give it"
    step = Step("row").say(
        figure("a", "72", 92.6, would_give=note), figure("b", "15", 4.2, would_give=note), "text",
        figure("c", "8", 2.3, would_give="other"),
    )
    assert [shown for _, shown in step.notes_shown()] == [False, True, False, True]
    assert step.text().count(note) == 1
    assert step.text().index("  b: post 15") < step.text().index(note) < step.text().index("text")
    exact_between = Step("row").say(figure("a", "72", 92.6, would_give=note), figure("b", "1", 1.0),
                                    figure("c", "15", 4.2, would_give=note))
    assert [shown for _, shown in exact_between.notes_shown()] == [False, False, True]


def test_tiny_engine_values_keep_their_digits():
    assert figure("a", "0.1", 3.4e-12).engine == "3.4e-12"
    assert number(8.4e-113) == "8.4e-113"


def test_a_step_records_named_values_that_it_does_not_print():
    step = Step("s")
    assert step.record("best T", 0.51) == 0.51  # returned, so a demo can record where it computes
    step.say(f"best T = {step.values['best T']:.2f}")
    assert step.values == {"best T": 0.51}
    assert step.text() == "best T = 0.51\n"
    with pytest.raises(ValueError, match="'s': a value named 'best T' is already recorded"):
        step.record("best T", 0.6)


def test_a_step_prints_text_claims_notes_and_pictures_in_order(tmp_path):
    step = Step("s").say("a line", figure("sum", "189.95", 189.888, would_give="rounded terms"), 3)
    step.show(tmp_path / "p.png")
    assert step.text() == (
        "a line\n"
        "  sum: post 189.95 · engine 189.888 · differs\n"
        "      ↳ rounded terms\n"
        "3\n"
        f"  picture: {tmp_path / 'p.png'}\n"
    )
