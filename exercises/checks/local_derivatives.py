"""The local-derivatives check (§10): against scalargrad's table, then run and drawn in scalargrad itself."""

from exercises.grader import expect_close
from exercises.mistakes import Failed
from scalargrad import Value, draw
from scalargrad import elementwise as ew
from scalargrad.elementwise import Op
from scalargrad.value import apply

POINTS = {  # (inputs) for each op: random-looking, then edges (a zero, a negative base, a saturated tanh)
    "sub": [(0.7, -1.3), (0.0, 0.0)],
    "div": [(0.7, -1.3), (-3.0, 0.25), (0.0, 2.0)],
    "tanh": [(0.3,), (-1.7,), (0.0,), (20.0,)],
    "power": [(1.7, 3.0), (-2.0, 3.0), (0.0, 2.0), (4.0, 0.5), (2.5, -1.0)],
}
TABLE = {"sub": ew.sub, "div": ew.div, "tanh": ew.hyperbolic_tangent, "power": ew.power}


def check(module):
    for name, points in POINTS.items():
        op = TABLE[name]
        rule = getattr(module, name)
        for inputs in points:
            out = op.forward(*inputs)
            expected = op.derivative(*inputs, out)
            case = f"{name}({', '.join(f'{x:g}' for x in inputs)}) = {out:.6g}"
            got = rule(*inputs, out)
            expect_close(got, expected, f"the local derivatives of {name}", case, wrong=_mistakes(name, inputs, out))
    return [_plugged_in(module)]


def _mistakes(name, inputs, out):
    if name == "sub":
        return [("sign_flip", (1.0, 1.0))]
    if name == "div":
        a, b = inputs
        return [("sign_flip", (1 / b, a / (b * b)))]
    if name == "tanh":
        return [("tanh_uses_input", (1 - inputs[0] ** 2,))]
    a, k = inputs
    return [("exponent_not_lowered", (k * a**k, 0.0))] if a != 0 else []


def _plugged_in(module):
    """L = tanh(x ÷ y − x)³ built from your rules: its gradients, and the drawing's edge from x into ÷."""
    mine = {name: Op(op.name, op.symbol, op.forward, getattr(module, name), domain=op.domain)
            for name, op in TABLE.items()}
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    q = apply(mine["div"], x, y)
    loss = apply(mine["power"], apply(mine["tanh"], apply(mine["sub"], q, x)), Value(3.0))
    loss.label = "L"
    loss.backward()
    ex, ey = Value(0.5), Value(2.0)
    ((ex / ey - ex).tanh() ** 3).backward()
    expect_close((x.grad, y.grad), (ex.grad, ey.grad), "∂L/∂x, ∂L/∂y through your ops", "x = 0.5, y = 2")
    labels = [line.split('label="')[1].split('"')[0] for line in draw(loss, "backward").source.splitlines()
              if "->" in line and 'label="' in line]
    edge = next((label for label in labels if " × 0.5 = " in label), None)
    if edge is None:
        raise Failed(f"draw(L, 'backward') shows no edge with your local derivative 0.5: {labels}")
    return (f"your rules drive scalargrad: L = tanh(x ÷ y − x)³ backpropagates to ∂L/∂x = {x.grad:.6g}, "
            f"∂L/∂y = {y.grad:.6g}, and draw(L, 'backward') writes your local derivative ∂(x÷y)/∂x = 0.5 "
            f"on its edge: \"{edge}\"")
