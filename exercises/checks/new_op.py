"""The new-op check (§10): leaky ReLU's rules as a table entry, run in scalargrad and tensorgrad."""

import numpy as np

import tensorgrad as tg
from exercises.grader import expect_close, show
from exercises.mistakes import Failed, found
from exercises.solutions import new_op as reference
from scalargrad import Value, draw, grad, gradcheck
from scalargrad.elementwise import Op
from scalargrad.value import apply
from tensorgrad.ops import from_table

POINTS = (-2.0, -0.5, 0.0, 0.3, 3.0)


def check(module):
    op = Op("leaky_relu", "lrelu", module.forward, module.derivative)
    for a in POINTS:  # floats, as scalargrad runs them
        expect_close(op.forward(a), reference.forward(a), "forward", f"a = {a:g}")
        wrong = [("kink_at_zero", (1.0,))] if a == 0 else []
        expect_close(op.derivative(a, op.forward(a)), reference.derivative(a, None), "derivative", f"a = {a:g}",
                     wrong=wrong)
    array = np.array(POINTS)
    expect_close(op.forward(array), reference.forward(array), "forward", f"the array {show(array)}")
    for a in (-1.3, 0.7):
        report = gradcheck(lambda v: apply(op, v) * v, a, raise_on_failure=False)
        if not report.ok:
            raise Failed(f"scalargrad.gradcheck of leaky_relu(a)·a at a = {a:g}: {report}")
    x = tg.Tensor(array, requires_grad=True)
    from_table(op).apply(x).sum().backward()
    expect_close(x.grad, reference.derivative(array, None)[0], "tensorgrad's gradient of leaky_relu(x).sum()",
                 f"x = {show(array)}", wrong=[("kink_at_zero", np.where(array >= 0, 1.0, 0.01))])
    v = Value(-1.5, label="a")
    try:
        (slope,) = grad(apply(op, v) * v, [v], create_graph=True)
    except TypeError as error:
        raise found("compares_a_value", f"grad(leaky_relu(a)·a, [a], create_graph=True) at a = -1.5: {error}") from None
    expect_close(slope.data, -0.03, "d/da of leaky_relu(a)·a, as a graph (create_graph=True)", "a = -1.5")
    return [_plugged_in(op)]


def _plugged_in(op):
    a = Value(-2.0, label="a")
    out = apply(op, a)
    out.label = "out"
    out.backward()
    edge = next(line.split('label="')[1].split('"')[0] for line in draw(out, "backward").source.splitlines()
                if "->" in line)
    return (f"your op runs in both engines (scalargrad's apply and gradcheck, tensorgrad.ops.from_table), gives the "
            f"kink at 0 the left slope 0.01, and draws: in draw(out, 'backward') the edge from a = -2 says \"{edge}\" "
            "(step_through(out, 'out/lrelu') shows it frame by frame). Adding it to the engines for good is one "
            "table entry and two one-line methods (README, 'How to add an op').")
