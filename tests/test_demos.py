"""The §10 demo end to end: its claims and recorded values against the post's two networks, computed here."""

import os
import shutil

import pytest
from demo_checks import by_name, check, printed, recorded, step

from demos import backprop
from demos.__main__ import main, next_demo
from demos._stepper import claims, tally
from demos._terminal import Terminal


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("backprop")
    return backprop.steps(out_dir), out_dir


def exact(claims, name, post, value):
    """``check`` with no tolerance: these networks' numbers are exact in floating point."""
    check(claims[name], post, value, 0)


def test_backprop_demo_gives_the_posts_steps_with_engine_numbers(demo):
    steps, _ = demo
    # The post's figure "Backpropagation", with the numbers the engine must give:
    # output = 0.5·2·3 = 3, dL/dout = 2(3−2) = 2, dL/dw2 = 2·hidden(1) = 2, dL/dhidden = 2·w2 = 6, dL/dw1 = 6·0.5 = 3.
    input_, w1, w2, target = 0.5, 2.0, 3.0, 2.0
    hidden, output = input_ * w1, input_ * w1 * w2
    d_out = 2 * (output - target)
    forward = by_name([step(steps, "Forward pass")])
    exact(forward, "hidden", "1.0", hidden)
    exact(forward, "output", "3.0", output)
    exact(forward, "loss", "1.0", (output - target) ** 2)
    backward = by_name([step(steps, "Backward pass")])
    exact(backward, "dLoss/dOutput", "2.0", d_out)
    exact(backward, "dLoss/dw2", "2.0", d_out * hidden)
    exact(backward, "dLoss/dHidden", "6.0", d_out * w2)
    exact(backward, "dLoss/dw1", "3.0", d_out * w2 * input_)
    links = recorded(steps, "Backward pass")
    assert (links["dOutput/dw2"], links["dOutput/dHidden"], links["dHidden/dw1"]) == (hidden, w2, input_)
    exact(by_name([step(steps, "The chain rule")]), "dL/dw1 as a product of links", "3.0", d_out * w2 * input_)
    # "Chain Rule in Action": loss = out²/2, so dL/dout = out = 3, dL/dH = 3·3 = 9, dL/dw1 = 9·0.5 = 4.5.
    exact(by_name([step(steps, "Chain Rule in Action: forward")]), "loss", "4.5", output**2 / 2)
    in_action = by_name([step(steps, "Chain Rule in Action: backward")])
    exact(in_action, "dL/dOut", "3.0", output)
    exact(in_action, "dL/dH", "9", output * w2)
    exact(in_action, "dL/dw1", "4.5", output * w2 * input_)
    exact(in_action, "dL/dw2", "3", output * hidden)
    links = recorded(steps, "Chain Rule in Action: backward")
    assert (links["dOutput/dw2"], links["dOutput/dHidden"], links["dHidden/dw1"]) == (hidden, w2, input_)


def test_the_telephone_game_multiplies_the_links(demo):
    steps, _ = demo
    links = recorded(steps, "The telephone game")
    found = by_name([step(steps, "The telephone game")])
    for story, post, sauce_to_dish in (("the main component", "6", 2.0), ("just a garnish", "0.3", 0.1)):
        assert (links[f"{story}: garlic→sauce"], links[f"{story}: sauce→dish"]) == (3.0, sauce_to_dish)
        check(found[f"garlic's effect on the dish, {story}"], post, 3.0 * sauce_to_dish, 1e-12)  # 0.3 shown for 3 × 0.1


def test_backprop_demo_verdicts_are_all_exact_but_a_gradient_read_as_a_step(demo):
    steps, _ = demo
    found = claims(steps)
    exact_ones = [c for c in found if c.verdict == "exact"]
    assert len(exact_ones) == 17 and all(float(c.post) == pytest.approx(float(c.engine)) for c in exact_ones)
    # "increasing w1 by 1 increases loss by 4.5": loss = (0.5·w1·3)²/2 goes from 4.5 to 10.125 at w1 = 3.
    step_of_one = (0.5 * 3.0 * 3.0) ** 2 / 2 - (0.5 * 2.0 * 3.0) ** 2 / 2
    assert [(c.post, c.engine, c.verdict) for c in found if c.verdict != "exact"] == [
        ("4.5", repr(step_of_one), "differs")]
    nudge = ((0.5 * 2.001 * 3.0) ** 2 / 2 - 4.5) / 0.001
    per_nudge = recorded(steps, "Chain Rule in Action: backward")["loss change per unit of w1, for a nudge"]
    assert per_nudge == pytest.approx(nudge, abs=5e-5) and round(nudge, 1) == 4.5


def test_backprop_demo_runs_from_the_command_line(demo, monkeypatch, capsys):
    steps, out_dir = demo
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["backprop", "--no-pause", "--out", str(out_dir)]) == 0
    ending = f"\n{tally(claims(steps))}\n{Terminal(100).fit(next_demo('backprop'))}\n"
    assert capsys.readouterr().out == f"{backprop.TITLE}\n{printed(steps, Terminal(100))}{ending}"


def test_backprop_demo_writes_graphs_and_stepper(demo):
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Graphviz 'dot' is missing in CI")
        pytest.skip("Graphviz 'dot' is not installed")
    _, out_dir = demo
    for name in ("backprop_squared_error", "backprop_chain_rule"):
        assert (out_dir / f"{name}_forward.svg").stat().st_size > 0
        assert (out_dir / f"{name}_backward.dot").exists()
        assert "Next" in (out_dir / f"{name}_steps" / "index.html").read_text()


def test_backprop_steps_are_built_from_the_engine(tmp_path):
    steps = backprop.steps(tmp_path)
    assert steps[0].title.startswith("Forward pass")
    *_, loss = backprop.network("half square")
    assert loss.data == 4.5
