"""The tour: the catalog of demos, the command line, the report page and the printed summary."""

import inspect
import re
import sys
from types import SimpleNamespace

import pytest
from matplotlib.figure import Figure
from test_terminal import ANSI, too_wide

from demos import catalog
from demos.__main__ import main, run
from demos._reached import READERS, reached
from demos._report import Section, counts, mistakes, page, summary
from demos._stepper import VERDICTS, Step, figure, grouped_like, illustrative, run_steps
from demos._terminal import Terminal


def summary_table(out):
    """The tour's printed summary as {demo: [exact, rounded, differs, illustrative]}, the row "all" included."""
    lines = out.split("The post's figures, recomputed by the engines\n", 1)[1].splitlines()[1:]
    rows = {}
    for line in lines:
        name, *cells = line.split()
        if len(cells) != len(VERDICTS) + 1:
            break
        rows[name] = [int(cell) for cell in cells[: len(VERDICTS)]]
    return rows


def test_the_catalog_follows_the_posts_five_parts_and_names_every_demo_once():
    assert [part.split(" · ")[0] for part, _ in catalog.PARTS] == [f"Part {i}" for i in range(1, 6)]
    assert len(catalog.NAMES) == len(set(catalog.NAMES))
    assert set(catalog.TRAINING) <= set(catalog.NAMES)


@pytest.mark.parametrize("name", catalog.NAMES)
def test_every_demo_has_a_one_line_title_and_steps_that_take_fast(name):
    module = catalog.load(name)
    assert module.TITLE and "\n" not in module.TITLE
    assert "fast" in inspect.signature(module.steps).parameters


def test_names_can_be_typed_with_hyphens_or_underscores():
    assert catalog.module_name("expected-value") == catalog.module_name("expected_value") == "expected_value"
    assert catalog.command_name("expected_value") == "expected-value"


def test_listing_shows_every_demo_under_its_part(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for part, names in catalog.PARTS:
        assert part in out
        for name in names:
            assert any(line.startswith(f"  {catalog.command_name(name)} ") for line in out.splitlines()), name
    assert out.index("Part 1") < out.index("probability") < out.index("Part 2") < out.index("softmax")


def test_an_unknown_demo_is_an_error_that_lists_the_demos(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["backpropagation"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "no demo called 'backpropagation'" in err and "expected-value" in err and "tour" in err


def test_out_must_be_a_folder(tmp_path, capsys):
    taken = tmp_path / "report.txt"
    taken.write_text("not a folder")
    with pytest.raises(SystemExit):
        main(["softmax", "--no-pause", "--out", str(taken)])
    assert "that is a file" in capsys.readouterr().err


def test_out_that_cannot_be_made_is_an_error_naming_it(capsys):
    with pytest.raises(SystemExit):
        main(["softmax", "--no-pause", "--out", "/proc/no-such-folder/out"])
    assert "--out /proc/no-such-folder/out: cannot make that folder" in capsys.readouterr().err


def test_the_command_line_ends_early_in_one_line(monkeypatch, capsys):
    def interrupted(argv=None):
        raise KeyboardInterrupt

    monkeypatch.setattr("demos.__main__.main", interrupted)
    assert run([]) == 130
    assert capsys.readouterr().err.strip() == "python -m demos: stopped (Ctrl-C)"


@pytest.mark.parametrize(
    "shell", ["{python} -m demos softmax --out {out} <&-", "{python} -m demos softmax --no-pause --out {out} | head -1"]
)
def test_closed_stdin_and_a_closed_pipe_print_no_traceback(tmp_path, shell):
    import subprocess
    import sys

    command = shell.format(python=sys.executable, out=tmp_path / "out")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
    assert done.stdout.startswith("§4 Softmax")


# ---- the tour, on two small stand-in demos ------------------------------------------------------
def _picture(path):
    drawing = Figure(figsize=(2, 1))
    drawing.subplots().plot([0, 1], [0, 1])
    drawing.savefig(path, dpi=50)
    return path


def _stand_ins(monkeypatch):
    """Two demos in two parts: one with a differing and a rounded figure and a PNG, one illustrative."""

    def first(out_dir, fast):
        out_dir.mkdir(parents=True, exist_ok=True)
        step = Step("one").say(figure("sum", "189.95", 189.888, would_give="rounded terms summed"))
        step.show(_picture(out_dir / "first.png"), "a line")
        return [step, Step("two").say(figure("share", "95.4", 95.456, unit="%"), "plain text")]

    def second(out_dir, fast):
        assert fast, "the tour runs every demo at its fast size"
        return [Step("only").say(illustrative("entropy", "0.47", unit=" bits", engine=0.57, note="no inputs"))]

    modules = {"first": SimpleNamespace(TITLE="§1 First", steps=first), "second": SimpleNamespace(TITLE="§2 Second", steps=second)}
    monkeypatch.setattr(catalog, "PARTS", (("Part A", ("first",)), ("Part B", ("second",))))
    monkeypatch.setattr(catalog, "NAMES", ("first", "second"))
    monkeypatch.setattr(catalog, "load", modules.__getitem__)


def test_the_tour_shows_every_demo_then_writes_the_page_and_the_summary(tmp_path, monkeypatch, capsys):
    _stand_ins(monkeypatch)
    assert main(["tour", "--no-pause", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("Part A") < out.index("§1 First") < out.index("Part B") < out.index("§2 Second")
    assert "sum: post 189.95 · engine 189.888 · differs" in out
    assert summary_table(out) == {"first": [0, 1, 1, 0], "second": [0, 0, 0, 1], "all": [0, 1, 1, 1]}
    assert "first · sum: post 189.95, correct 189.888\n      ↳ rounded terms summed" in out
    report = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'id="first"' in report and 'id="second"' in report
    assert "data:image/png;base64," in report
    assert report.count('class="badge differs"') == 2  # in the list of differing figures, and in its step
    assert "http" not in report  # nothing to fetch: the page works offline


def test_quitting_the_tour_skips_to_the_report_with_every_demo_in_it(tmp_path, monkeypatch, capsys):
    _stand_ins(monkeypatch)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "q")
    assert main(["tour", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert len(asked) == 1 and "skip to the report" in asked[0]
    assert "§2 Second" not in out  # not shown ...
    assert 'id="second"' in (tmp_path / "index.html").read_text(encoding="utf-8")  # ... but in the report


def test_the_page_embeds_step_throughs_and_dot_source_and_names_missing_pictures(tmp_path):
    (tmp_path / "steps.html").write_text("<p>frame & \"quote\"</p>", encoding="utf-8")
    (tmp_path / "graph.dot").write_text("digraph { a -> b }", encoding="utf-8")
    step = Step("pictures").show(tmp_path / "steps.html", "step-through").show(tmp_path / "graph.dot", "source")
    step.show(tmp_path / "gone.png", "never written")
    html = page([Section("Part 3", "backprop", "§10", [step], 0.1)])
    assert 'srcdoc="&lt;p&gt;frame &amp; &quot;quote&quot;&lt;/p&gt;"' in html  # the browser unescapes it once
    assert "digraph { a -&gt; b }" in html
    assert "not written:" in html and "gone.png" in html


def test_counts_cover_every_verdict_and_the_summary_says_when_nothing_differs():
    section = Section("Part 1", "demo", "§1", [Step("s").say(figure("x", "1.0", 1.0))], 0.0)
    assert counts([section]) == {verdict: int(verdict == "exact") for verdict in VERDICTS}
    assert "Where the post's figure differs" not in summary([section])
    assert "1 exactly" in summary([section])


@pytest.mark.slow
def test_the_whole_tour_runs_headless_and_reports_every_demo(tmp_path, monkeypatch, capsys, demo_run):
    """The tour over every real demo. Each demo's steps come from the test session's run of it (``demo_run``),
    the one its own tests check, so that the training demos run once per session, not once per test file."""
    demos = {name: SimpleNamespace(TITLE=catalog.load(name).TITLE, steps=demo_run(name)[0]) for name in catalog.NAMES}
    monkeypatch.setattr(catalog, "load", lambda name: SimpleNamespace(
        TITLE=demos[name].TITLE, steps=lambda out_dir, fast: demos[name].steps if fast else pytest.fail("not fast")))
    assert main(["tour", "--no-pause", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert too_wide(out, Terminal.of(sys.stdout).width) == []  # the tour fits the terminal it writes to
    for name in catalog.NAMES:  # every demo at 80 columns, in colour or not: only line breaks and padding move
        steps, plain = catalog.load(name).steps(tmp_path, fast=True), []
        run_steps(steps, pause=False, write=plain.append, terminal=Terminal(10**9))
        for colour in (False, True):
            fitted = []
            run_steps(steps, pause=False, write=fitted.append, terminal=Terminal(80, colour))
            assert too_wide("".join(fitted), 80) == [], name
            assert ANSI.sub("", "".join(fitted)).split() == "".join(plain).split(), name  # no token was cut
    report = (tmp_path / "index.html").read_text(encoding="utf-8")
    table = summary_table(out)
    assert list(table) == [*catalog.NAMES, "all"]
    for name in catalog.NAMES:
        assert f'id="{name}"' in report, name
    badges = [report.count(f'class="badge {verdict}"') for verdict in VERDICTS]
    badges[VERDICTS.index("differs")] //= 2  # each differing figure is listed at the top too
    assert table["all"] == badges == [sum(row[i] for name, row in table.items() if name != "all") for i in range(4)]
    assert sum(badges) > 150
    for name in catalog.TRAINING:  # what training reached, in the summary table and at the end of the printed one
        reached_cell = [text for css, text in _row(report, name) if css == "reached"]
        assert reached_cell == [] or reached_cell[0].startswith("trained: ") and len(reached_cell[0]) > 20, name
        assert any(line.startswith(f"  {name}: ") for line in out.split("What the demos that train reached:")[1].splitlines())
    top = report[: report.index("<section")]
    count = int(re.search(r"The post's (\d+) mistakes", top).group(1))
    assert top.split("mistakes: where", 1)[1].count("<li>") == count + sum(  # each mistake, and the rows folded under it
        len(rows.split("<li>")) - 1 for rows in re.findall(r"<details>(.*?)</details>", top))


# ---- the top of the page: a summary -------------------------------------------------------------
def _row(html, name):
    """The cells of the summary table's row for ``name``, as (class, text)."""
    row = html.split(f'<a href="#{name}">{name}</a></td>', 1)[1].split("</tr>", 1)[0]
    return re.findall(r'<td (?:class="?([\w]+)"?)?[^>]*>([^<]*)</td>', row)


def test_the_page_opens_with_contents_then_coloured_counts_then_each_mistake_once():
    note = "logits [5.2, 3.6] give this row"
    rows = Step("T=1").say(*(figure(f"T=1 {w}", "72", 92.6 - i, would_give=note) for i, w in enumerate("abc")))
    single = Step("sum").say(figure("sum", "189.95", 189.888, would_give="rounded terms"), figure("e", "2.7", 2.718))
    sections = [Section("Part 1", "temperature", "§6 T", [rows, single], 0.1)]
    html = page(sections)
    assert html.index("Contents") < html.index("<table class=summary") < html.index("mistakes") < html.index("<section")
    assert _row(html, "temperature")[:4] == [("exact", "1"), ("zero", "0"), ("differs", "4"), ("zero", "0")]
    assert "The post's 2 mistakes" in html
    mistakes_html = html[html.index("mistakes"): html.index("<section")]
    assert mistakes_html.count(note) == 1 and mistakes_html.count("rounded terms") == 1
    folded = mistakes_html.split("<details>", 1)[1].split("</details>", 1)[0]
    assert folded.count('class="badge differs"') == 3 and note not in folded  # the rows, under their one note
    assert html.count('class="badge differs"') == 2 * 4  # each differing figure: once at the top, once in its step
    assert [m for _, m in mistakes(sections)] == [rows.claims(), single.claims()[:1]]


def test_a_training_demo_shows_what_it_reached_instead_of_zeros():
    trained = Step("training").say("loss fell")
    trained.record("(step, train loss, validation loss)", [(0, 4.3, 4.296), (60, 1.79, 1.775)])
    trained.record("unigram baseline", 3.2071)
    sections = [Section("Part 4", "gpt", "A tiny GPT", [trained], 1.2)]
    html = page(sections)
    outcome = "validation loss 4.296 → 1.775 nats per character in 60 steps (unigram baseline 3.207)"
    assert sections[0].reached() == outcome
    assert _row(html, "gpt")[0] == ("reached", f"trained: {outcome}")
    assert f"Training reached: {outcome}" in html
    assert f"  gpt: {outcome}" in summary(sections)
    trained.say(figure("the post's 5 parts", "5", 5.0))
    with_counts = page(sections)  # a training demo that also checks figures: its counts, and a line under them
    row_and_next = with_counts.split('<a href="#gpt">gpt</a></td>', 1)[1].split("</tr>")[:2]
    assert '<td class="exact">1</td>' in row_and_next[0] and f"trained: {outcome}</td>" in row_and_next[1]


def test_each_training_demo_reads_what_it_reached_from_its_recorded_values():
    mlp = [Step(engine) for engine in ("tensorgrad", "scalargrad")]
    for step, losses, accuracy in zip(mlp, ((0.631, 0.026), (0.947, 0.075)), (1.0, 0.98)):
        step.record("loss, first and last", losses)
        step.record("accuracy", accuracy)
    embeddings = Step("similarity")
    for name, value in (("random", (-0.001, -0.03, 0, 0)), ("step 15", (0.5, 0.1, 0, 0)), ("step 60", (0.87, -0.33, 0, 0))):
        embeddings.record(f"{name}: separation", value)
    pretraining, grpo = Step("pre-training"), Step("GRPO")
    pretraining.record("steps", 205)  # another step's "steps": not the GRPO run's
    for name, value in (("held-out accuracy before", 0.413), ("held-out accuracy after", 0.953), ("steps", 31)):
        grpo.record(name, value)
    assert reached("mlp", mlp) == (
        "tensorgrad: loss 0.631 → 0.026, accuracy 1.00; scalargrad: loss 0.947 → 0.075, accuracy 0.98")
    assert reached("embeddings", [embeddings]) == (
        "mean cosine within word groups +0.00 → +0.87, between them -0.03 → -0.33 (step 60)")
    assert reached("grpo", [pretraining, grpo]) == "held-out accuracy 0.413 → 0.953 in 31 GRPO steps"
    assert reached("softmax", [grpo]) == "" and set(READERS) == set(catalog.TRAINING)


def test_figures_are_written_as_the_post_writes_them_in_the_terminal_and_on_the_page():
    big = figure("($60K)²", "3,600,000,000", 60_000.0**2)
    heads = illustrative("heads in 10,000 flips", "5,023", engine=4990)
    assert (big.engine, big.engine_shown(), heads.engine_shown()) == ("3600000000", "3,600,000,000", "4,990")
    assert "post 3,600,000,000 · engine 3,600,000,000 · exact" in str(big)
    assert figure("n", "5023", 4990).engine_shown() == "4990"  # the post does not group: neither does the engine
    assert grouped_like("1,234.5", "-1234.56") == "-1,234.56" and grouped_like("1,000", "3.4e-12") == "3.4e-12"
    section = Section("Part 1", "expected_value", "§2", [Step("s").say(big, heads)], 0.1)
    shown = page([section])
    assert "post <b>3,600,000,000</b> · engine <b>3,600,000,000</b>" in shown and "engine <b>4,990</b>" in shown
    assert "post 3,600,000,000, correct 3,600,000,000" not in summary([section])  # exact: not in the differs list
    wrong = Section("Part 1", "large_numbers", "§3", [Step("s").say(figure("n", "5,023", 4990, would_give="x"))], 0.1)
    assert "large_numbers · n: post 5,023, correct 4,990" in summary([wrong])


@pytest.mark.parametrize("width", [60, 80])
def test_the_printed_summary_fits_the_terminal_with_its_counts_coloured_where_they_fit(width):
    sections = [Section("Part 1", name, "§", [Step("s").say(figure("x", "1.0", 1.0), figure("y", "1", 3.0))], 0.1)
                for name in ("gradient_descent", "softmax")]
    shown = summary(sections, Terminal(width, colour=True))
    assert too_wide(shown, width) == []
    assert ("\033[" in shown) is (width >= 80)
    assert ANSI.sub("", shown).split() == summary(sections).split()  # only line breaks and colour differ
