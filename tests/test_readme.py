"""The README's examples run and print what the README says they print."""

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def _run(block):
    namespace, printed = {}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, namespace)  # noqa: S102 -- running our own README is the point
    return namespace, printed.getvalue()


def test_ten_line_example_prints_the_posts_gradients():
    block = next(b for b in BLOCKS if "loss.backward()" in b)
    assert len(block.strip().splitlines()) <= 11
    namespace, printed = _run(block)
    assert printed.split() == ["4.5", "3.0"]
    assert namespace["loss"].data == 4.5


def test_higher_order_example_gives_12_and_12():
    block = next(b for b in BLOCKS if "create_graph=True" in b)
    namespace, _ = _run(block)
    assert namespace["dy"].data == 12.0
    assert namespace["d2y"] == 12.0


def test_add_an_op_example_works_in_both_engines_when_pasted_in(monkeypatch):
    """The README's leaky ReLU, pasted where it says: the entry into the table, each method into its class.
    Values, gradients (checked by finite differences, away from the kink), float32 and second derivatives."""
    import importlib

    import numpy as np

    import tensorgrad
    from scalargrad import elementwise, gradcheck, gradients, value

    tensor = importlib.import_module("tensorgrad.tensor")  # the module, not the tensor() function
    entry_block = next(b for b in BLOCKS if "leaky_relu = Op(" in b)
    value_method, tensor_method = next(b for b in BLOCKS if "def leaky_relu" in b).split("\n\n")
    table = vars(elementwise).copy()
    exec(entry_block, table)  # noqa: S102 -- in the table module's namespace, as if written there
    monkeypatch.setattr(elementwise, "leaky_relu", table["leaky_relu"], raising=False)
    for module, node_type, method in ((value, value.Value, value_method), (tensor, tensor.Tensor, tensor_method)):
        namespace = vars(module).copy()
        exec(method.strip().replace("    return", "return"), namespace)  # noqa: S102 -- the module's own names
        monkeypatch.setattr(node_type, "leaky_relu", namespace["leaky_relu"], raising=False)

    assert value.Value(-2.0).leaky_relu().data == -0.02
    for x in (-1.5, 0.7):
        assert gradcheck(lambda v: v.leaky_relu(), [x]).ok
    x = tensorgrad.Tensor(np.array([-1.5, 0.7], dtype=np.float32), requires_grad=True)
    y = x.leaky_relu()
    np.testing.assert_allclose(y.data, [-0.015, 0.7], rtol=1e-6)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.01, 1.0], rtol=1e-6)
    assert x.grad.dtype == np.float32
    assert tensorgrad.gradcheck(lambda t: t.leaky_relu(), np.array([-1.5, 0.7, 2.0])).ok
    # d²/dx² of leaky(x)² is 2·slope², in both engines
    xv = value.Value(-1.5)
    (dy,) = gradients.grad(xv.leaky_relu() ** 2, [xv], create_graph=True)
    (d2y,) = gradients.grad(dy, [xv])
    xt = tensorgrad.Tensor([-1.5, 0.7], requires_grad=True)
    (dyt,) = tensorgrad.grad((xt.leaky_relu() ** 2).sum(), [xt], create_graph=True)
    (d2yt,) = tensorgrad.grad(dyt.sum(), [xt])
    assert d2y == 2 * 0.01**2
    np.testing.assert_allclose(d2yt, [2 * 0.01**2, 2.0], rtol=1e-12)


def test_tensorgrad_example_shows_p_minus_onehot():
    import numpy as np

    block = next(b for b in BLOCKS if "import tensorgrad" in b)
    namespace, printed = _run(block)
    logits = namespace["logits"]
    p = np.exp(logits.data) / np.exp(logits.data).sum()
    np.testing.assert_allclose(logits.grad, p - np.array([[1.0, 0.0, 0.0]]), atol=1e-15)
    assert printed.strip() == f"{p.round(3)} {(p - [[1, 0, 0]]).round(3)}"


def test_masked_logits_example_gives_the_masked_key_weight_and_gradient_0():
    import numpy as np

    block = next(b for b in BLOCKS if "np.inf" in b)
    namespace, printed = _run(block)
    e = np.exp([2.0, 1.0])
    p = np.append(e / e.sum(), 0.0)  # softmax over the two keys left, 0 for the masked one
    values = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(namespace["weights"].data[0], p, rtol=1e-15)
    np.testing.assert_allclose(namespace["scores"].grad[0], p * (values - p @ values), atol=1e-15)  # softmax's VJP
    comment = block.strip().splitlines()[-1].split("#", 1)[1]
    assert printed.split() == comment.split()  # the README shows what the code prints
