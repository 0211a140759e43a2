"""§10 Gradients & backpropagation: the post's two tiny networks and its recipe chain.

Every number printed here is computed by ``scalargrad``: the forward pass
builds a graph of Values, ``loss.backward()`` runs the chain rule over it, and
each line quotes the post's own figure beside the engine's value.
"""

from pathlib import Path

from demos._stepper import Step, figure, number
from scalargrad import Value
from scalargrad.drawing import GraphvizNotFoundError, draw, render
from scalargrad.stepper import step_through

NUDGE = 1e-3  # a small change of w1: the gradient predicts the loss's change for small steps only
TITLE = "§10 Gradients & backpropagation: numbers flow forward, gradients flow back"


def network(loss_kind, w1=2.0):
    """input 0.5 → ×w1 (2.0) → hidden → ×w2 (3.0) → output → loss, as in the post's figures."""
    x = Value(0.5, label="input")
    w1 = Value(w1, label="w1")
    w2 = Value(3.0, label="w2")
    hidden = x * w1
    hidden.label = "hidden"
    output = hidden * w2
    output.label = "output"
    if loss_kind == "squared error":  # (output − target)², target 2.0
        loss = (output - 2.0) ** 2
    else:  # "half square": output² / 2, the "Chain Rule in Action" figure
        loss = output**2 / 2
    loss.label = "loss"
    return x, w1, w2, hidden, output, loss


def steps(out_dir, fast=False):
    """The steps (``fast`` is accepted like every demo's; nothing here trains)."""
    out_dir = Path(out_dir)
    return [*_first_network(out_dir), *_second_network(out_dir), _recipe_chain()]


def _first_network(out_dir):
    x, w1, w2, hidden, output, loss = network("squared error")
    forward = Step("Forward pass: input → prediction (figure \"Backpropagation\")").say(
        f"INPUT   {number(x.data)}",
        f"HIDDEN  {number(x.data)} × w1 {number(w1.data)} = {number(hidden.data)}",
        f"OUTPUT  {number(hidden.data)} × w2 {number(w2.data)} = {number(output.data)}",
        f"LOSS    target = 2.0: ({number(output.data)} − 2.0)² = {number(loss.data)}",
        figure("hidden", "1.0", hidden.data),
        figure("output", "3.0", output.data),
        figure("loss", "1.0", loss.data),
    )
    loss.backward()
    d_out_d_hidden, d_out_d_w2 = output.local_derivatives()
    _, d_hidden_d_w1 = hidden.local_derivatives()
    backward = Step("Backward pass: who caused the error? (loss.backward())").say(
        f"1  dLoss/dOutput = 2 × ({number(output.data)} − 2.0) = {number(output.grad)}   \"Output was 1.0 too high\"",
        f"2  dLoss/dw2 = {number(output.grad)} × hidden = {number(output.grad)} × {number(d_out_d_w2)}"
        f" = {number(w2.grad)}   \"w2 contributed 2.0 to the error\"",
        f"3  dLoss/dHidden = {number(output.grad)} × w2 = {number(output.grad)} × {number(d_out_d_hidden)}"
        f" = {number(hidden.grad)}   \"Hidden node's responsibility\"",
        f"4  dLoss/dw1 = {number(hidden.grad)} × input = {number(hidden.grad)} × {number(d_hidden_d_w1)}"
        f" = {number(w1.grad)}   \"w1 contributed 3.0\"",
        figure("dLoss/dOutput", "2.0", output.grad),
        figure("dLoss/dw2", "2.0", w2.grad),
        figure("dLoss/dHidden", "6.0", hidden.grad),
        figure("dLoss/dw1", "3.0", w1.grad),
    )
    for link, local in (("dOutput/dw2", d_out_d_w2), ("dOutput/dHidden", d_out_d_hidden), ("dHidden/dw1", d_hidden_d_w1)):
        backward.record(link, local)
    product = output.grad * d_out_d_hidden * d_hidden_d_w1
    chain = Step("The chain rule = multiply through each link").say(
        "dL/dw1 = (dL/dOut) × (dOut/dHidden) × (dHidden/dw1)"
        f" = {number(output.grad)} × {number(d_out_d_hidden)} × {number(d_hidden_d_w1)} = {number(product)}",
        figure("dL/dw1 as a product of links", "3.0", product),
        f"  the same number backward() stored in w1.grad: {number(w1.grad)}"
        f" ({'equal' if product == w1.grad else 'NOT equal'})",
    )
    _render(chain, loss, out_dir, "backprop_squared_error")
    return [forward, backward, chain]


def _second_network(out_dir):
    x, w1, w2, hidden, output, loss = network("half square")
    forward = Step("Chain Rule in Action: forward (compute), loss = output²/2").say(
        f"Input {number(x.data)} → Hidden {number(x.data)}×{number(w1.data)} = {number(hidden.data)}"
        f" → Output {number(hidden.data)}×{number(w2.data)} = {number(output.data)}"
        f" → Loss {number(output.data)}²/2 = {number(loss.data)}",
        figure("hidden", "1.0", hidden.data),
        figure("output", "3.0", output.data),
        figure("loss", "4.5", loss.data),
    )
    loss.backward()
    d_out_d_hidden, d_out_d_w2 = output.local_derivatives()
    _, d_hidden_d_w1 = hidden.local_derivatives()
    backward = Step("Chain Rule in Action: backward (gradients) — multiply the links backward!").say(
        f"dL/dOut = {number(output.grad)}   (the derivative of out²/2 is out)",
        f"dL/dH   = {number(output.grad)} × {number(d_out_d_hidden)} = {number(hidden.grad)}",
        f"dL/dw1  = {number(hidden.grad)} × {number(d_hidden_d_w1)} = {number(w1.grad)}",
        f"dL/dw2  = {number(output.grad)} × {number(d_out_d_w2)} = {number(w2.grad)}",
        figure("dL/dOut", "3.0", output.grad),
        figure("dL/dH", "9", hidden.grad),
        figure("dL/dw1", "4.5", w1.grad),
        figure("dL/dw2", "3", w2.grad),
        f"dL/dw1 = {number(w1.grad)}: \"increasing w1 by 1 increases loss by 4.5 — so nudge w1 down.\"",
    )
    for link, local in (("dOutput/dw2", d_out_d_w2), ("dOutput/dHidden", d_out_d_hidden), ("dHidden/dw1", d_hidden_d_w1)):
        backward.record(link, local)
    _rate_not_step(backward, loss, w1)
    _render(backward, loss, out_dir, "backprop_chain_rule")
    return [forward, backward]


def _rate_not_step(step, loss, w1):
    """A gradient is a rate at one point: what a step of 1, and a nudge of NUDGE, really do to the loss."""
    *_, stepped = network("half square", w1=w1.data + 1)
    *_, nudged = network("half square", w1=w1.data + NUDGE)
    per_nudge = step.record("loss change per unit of w1, for a nudge", (nudged.data - loss.data) / NUDGE)
    return step.say(
        figure("loss change when w1 goes from 2 to 3", "4.5", stepped.data - loss.data, would_give=(
            f"4.5 is the rate at w1 = 2: a nudge of {NUDGE} changes the loss by {nudged.data - loss.data:.6f},"
            f" {per_nudge:.4f} per unit; the slope itself grows as w1 does"
        )),
        (f"  w1 = 3 gives loss {number(stepped.data)}: up by {number(stepped.data - loss.data)}, not 4.5,"
        " because the loss curves upward (it is a square)."),
    )


def _recipe_chain():
    """garlic → sauce → dish: each link's effect multiplies (the "telephone game")."""
    step = Step("The telephone game: garlic → sauce → final dish")
    for dish_per_sauce, post_total, story in ((2.0, "6", "the main component"), (0.1, "0.3", "just a garnish")):
        garlic = Value(1.0, label="garlic")
        sauce = garlic * 3.0
        dish = sauce * dish_per_sauce
        dish.backward()
        (garlic_to_sauce, _) = sauce.local_derivatives()
        (sauce_to_dish, _) = dish.local_derivatives()
        step.record(f"{story}: garlic→sauce", garlic_to_sauce)
        step.record(f"{story}: sauce→dish", sauce_to_dish)
        step.say(
            (
                f"sauce is {story}: garlic→sauce {number(garlic_to_sauce)}x, sauce→dish {number(sauce_to_dish)}x,"
                f" so garlic→dish = {number(garlic_to_sauce)} × {number(sauce_to_dish)} = {number(garlic.grad)}x"
            ),
            figure(f"garlic's effect on the dish, {story}", post_total, garlic.grad),
        )
    return step.say("The weakest link limits the total effect: that is why the chain rule multiplies.")


def _render(step, loss, out_dir, name):
    """Draw the forward and backward graphs and the HTML step-through, and attach them to ``step``.

    Without Graphviz the drawings are attached as DOT source, and the step says how to get pictures.
    """
    jobs = (
        (lambda: render(draw(loss, "forward"), out_dir / f"{name}_forward"), "forward pass: values"),
        (lambda: render(draw(loss, "backward"), out_dir / f"{name}_backward"), "backward pass: gradients"),
        (lambda: step_through(loss, out_dir / f"{name}_steps"), "step-through of both passes"),
    )
    missing = None
    for job, caption in jobs:
        try:
            step.show(job(), caption)
        except GraphvizNotFoundError as error:
            missing = error
    if missing:
        step.show(out_dir / f"{name}_forward.dot", "forward pass: values (DOT source)")
        step.show(out_dir / f"{name}_backward.dot", "backward pass: gradients (DOT source)")
        step.say(f"  {missing}")
    return step
