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


def test_add_an_op_example_works_when_pasted_into_value():
    from scalargrad import gradcheck, value

    op_block = next(b for b in BLOCKS if "class LeakyRelu(Op)" in b)
    method_block = next(b for b in BLOCKS if "def leaky_relu" in b)
    namespace = vars(value).copy()
    exec(op_block, namespace)  # noqa: S102
    exec(method_block.replace("    def", "def", 1), namespace)  # noqa: S102
    leaky_relu = namespace["leaky_relu"]
    assert leaky_relu(value.Value(-2.0)).data == -0.02
    for x in (-1.5, 0.7):
        assert gradcheck(leaky_relu, [x]).ok


def test_tensorgrad_example_shows_p_minus_onehot():
    import numpy as np

    block = next(b for b in BLOCKS if "import tensorgrad" in b)
    namespace, printed = _run(block)
    logits = namespace["logits"]
    p = np.exp(logits.data) / np.exp(logits.data).sum()
    np.testing.assert_allclose(logits.grad, p - np.array([[1.0, 0.0, 0.0]]), atol=1e-15)
    assert printed.strip() == f"{p.round(3)} {(p - [[1, 0, 0]]).round(3)}"
