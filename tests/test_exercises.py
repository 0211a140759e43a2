"""The exercises' grader (issue 13) must be trustworthy: right answers pass, stubs and each named mistake fail
for the right reason, and the command does what the README says."""

import subprocess
import sys
from pathlib import Path

import pytest

import scalargrad.graph
import tensorgrad.autograd
import tensorgrad.transformer
from exercises import catalog, grader
from exercises.__main__ import listing, main
from exercises.mistakes import CATALOGUE
from scalargrad import GraphvizNotFoundError, Value, step_through
from scalargrad.elementwise import Op
from scalargrad.value import apply

SLOW = {"topological_order"}  # its check walks a chain of 10⁶ nodes


def marked(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


NAMES = [exercise.name for exercise in catalog.EXERCISES]


def grade_source(name, source, tmp_path):
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    return grader.grade(catalog.find(name), path)


def solution(name):
    return catalog.find(name).source("solutions")


def edited(name, *replacements):
    """The reference solution with each (old, new) applied: a wrong solution with one known mistake."""
    source = solution(name)
    for old, new in replacements:
        assert old in source, f"the mutation {old!r} no longer applies to solutions/{name}.py"
        source = source.replace(old, new)
    return source


# ---- right answers pass, untouched stubs fail -------------------------------------------------------
@pytest.mark.parametrize("name", marked(NAMES))
def test_every_reference_solution_passes_its_check(name, tmp_path):
    result = grade_source(name, solution(name), tmp_path)
    assert result.passed, result.message
    assert result.mistake is None


@pytest.mark.parametrize("name", NAMES)
def test_every_untouched_stub_fails_with_not_implemented_yet_and_the_first_hint(name, tmp_path):
    exercise = catalog.find(name)
    result = grade_source(name, exercise.source("stubs"), tmp_path)
    assert not result.passed
    assert result.message.startswith(f"{grader.NOT_IMPLEMENTED}: ")
    assert f"Hint 1: {exercise.hints[0]}" in result.message


def test_the_exercises_come_in_the_posts_order_with_two_or_three_hints_each():
    sections = [int(e.section.lstrip("§").split("–")[0]) for e in catalog.EXERCISES]
    assert sections == sorted(sections)
    assert len(catalog.EXERCISES) == 14
    assert all(2 <= len(e.hints) <= 3 for e in catalog.EXERCISES)


# ---- each named mistake gets exactly its message --------------------------------------------------
RECURSIVE_ORDER = '''
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order
'''

MISTAKES = [  # (exercise, mistake, the wrong solution: edits of the reference, or a whole source)
    ("softmax", "softmax_without_shift", [("shifted = z - z.max(axis=axis, keepdims=True)", "shifted = z")]),
    ("softmax", "wrong_axis", [("e / e.sum(axis=axis, keepdims=True)", "e / e.sum()")]),
    ("softmax", "sign_flip", [("return e / e.sum(", "return -e / e.sum(")]),
    ("log_softmax", "logsumexp_without_shift",
     [("m + np.log(np.exp(z - m).sum(", "np.log(np.exp(z).sum(")]),
    ("log_softmax", "max_not_added_back", [("return m + np.log(", "return np.log(")]),
    ("log_softmax", "log_of_softmax",
     [("return z - logsumexp(z, axis)", "return np.log(np.exp(z - logsumexp(z, axis)))")]),
    ("sampling", "temperature_multiplies", [("return z / T", "return z * T")]),
    ("sampling", "top_p_drops_crossing_token",
     [("before = np.cumsum(ranked_probs, axis=-1) - ranked_probs", "before = np.cumsum(ranked_probs, axis=-1)")]),
    ("sampling", "top_p_not_ranked", [('ranked = np.argsort(-probs, axis=-1, kind="stable")',
                                       "ranked = np.broadcast_to(np.arange(z.shape[-1]), z.shape)")]),
    ("cross_entropy_grad", "missing_1_over_n", [("return grad / len(targets)", "return grad")]),
    ("cross_entropy_grad", "onehot_not_subtracted", [("grad[rows, targets] -= 1", "")]),
    ("cross_entropy_grad", "sign_flip", [("return grad / len(targets)", "return -grad / len(targets)")]),
    ("local_derivatives", "sign_flip", [("(1 / b, -a / (b * b))", "(1 / b, a / (b * b))")]),
    ("local_derivatives", "tanh_uses_input", [("(1 - out * out,)", "(1 - a * a,)")]),
    ("local_derivatives", "exponent_not_lowered", [("k * a ** (k - 1)", "k * a ** k")]),
    ("topological_order", "recursion_on_the_long_chain", RECURSIVE_ORDER),
    ("topological_order", "node_twice", [("        if node in visited:\n            continue\n", "")]),
    ("topological_order", "root_first", [("    return order", "    return order[::-1]")]),
    ("new_op", "kink_at_zero", [("(SLOPE + (1 - SLOPE) * step(a),)", "(choose(plain(a) >= 0, 1.0, SLOPE),)"),
                                ("import choose, step", "import choose, plain, step")]),
    ("new_op", "compares_a_value", [("(SLOPE + (1 - SLOPE) * step(a),)", "(choose(a > 0, 1.0, SLOPE),)")]),
    ("unbroadcast", "sum_over_broadcast_axes", [("    extra = grad.ndim", "    return grad\n    extra = grad.ndim")]),
    ("unbroadcast", "keepdims_dropped", [("grad.sum(axis=stretched, keepdims=True)", "grad.sum(axis=stretched)")]),
    ("matmul_vjp", "missing_transpose", [("da = g @ np.swapaxes(b, -1, -2)", "da = g @ b")]),
    ("matmul_vjp", "sum_over_broadcast_axes", [("    if b.ndim == 2 and db.ndim > 2:", "    if False:")]),
    ("layer_norm_vjp", "mean_and_variance_constant", [("dx = (d - d.mean(", "dx = d / sigma + 0 * (d - d.mean(")]),
    ("layer_norm_vjp", "missing_1_over_n", [("d - d.mean(axis=-1, keepdims=True) - normed * (d * normed).mean(",
                                             "d - d.sum(axis=-1, keepdims=True) - normed * (d * normed).sum(")]),
    ("layer_norm_vjp", "sum_over_broadcast_axes", [("(g * normed).sum(axis=rows)", "g * normed")]),
    ("attention_backward", "missing_transpose", [("dv = np.swapaxes(w, -1, -2) @ g", "dv = w @ g")]),
    ("attention_backward", "missing_scale", [("c = 1 / np.sqrt(q.shape[-1])", "c = 1.0")]),
    ("attention_backward", "softmax_vjp_without_row_sum",
     [("ds = w * (dw - (dw * w).sum(axis=-1, keepdims=True))", "ds = w * dw")]),
    ("attention_backward", "mask_ignored", [("_, w = attention_forward(q, k, v, causal)", "_, w = attention_forward(q, k, v)")]),
    ("kl_k3", "ratio_upside_down", [("log_r = ref_log_probs - log_probs", "log_r = log_probs - ref_log_probs")]),
    ("kl_k3", "k1_not_k3", [("return np.exp(log_r) - 1 - log_r", "return -log_r")]),
    ("kl_k3", "sign_flip", [("return np.exp(log_r) - 1 - log_r", "return np.exp(log_r) - 1 + log_r")]),
    ("group_advantages", "equal_rewards_group",
     [("adv / (rewards.std(axis=1, keepdims=True) + eps)", "adv / rewards.std(axis=1, keepdims=True)"),
      ("    return np.where(", "    return adv\n    return np.where(")]),
    ("group_advantages", "batch_not_group_mean", [("rewards.mean(axis=1, keepdims=True)", "rewards.mean()")]),
    ("group_advantages", "sample_std", [("rewards.std(axis=1, keepdims=True)", "rewards.std(axis=1, ddof=1, keepdims=True)")]),
    ("group_advantages", "sign_flip", [("adv = rewards - rewards.mean(axis=1, keepdims=True)",
                                        "adv = rewards.mean(axis=1, keepdims=True) - rewards")]),
    ("clipped_objective", "clip_not_asymmetric", [("high = eps_low if eps_high is None else eps_high", "high = eps_low")]),
    ("clipped_objective", "max_not_min", [("np.minimum(", "np.maximum(")]),
]


@pytest.mark.parametrize(("name", "mistake", "wrong"), MISTAKES, ids=[f"{n}-{m}" for n, m, _ in MISTAKES])
def test_a_solution_with_a_named_mistake_gets_exactly_that_message(name, mistake, wrong, tmp_path):
    source = wrong if isinstance(wrong, str) else edited(name, *wrong)
    result = grade_source(name, source, tmp_path)
    assert not result.passed
    assert result.mistake == mistake, result.message
    assert result.message.endswith(CATALOGUE[mistake])
    others = [text for key, text in CATALOGUE.items() if key != mistake and text in result.message]
    assert others == []


def test_every_mistake_in_the_catalogue_is_recognised_by_some_test():
    assert {mistake for _, mistake, _ in MISTAKES} == set(CATALOGUE)


def test_a_wrong_answer_without_a_named_mistake_says_which_input_which_entry_expected_and_got(tmp_path):
    result = grade_source("softmax", edited("softmax", ("e / e.sum(", "(e + 0.5) / e.sum(")), tmp_path)
    assert result.mistake is None
    assert result.message.startswith("softmax for the post's logits [5.2, 2.1, -0.8], entry (0,): expected 0.954")


def test_an_error_in_the_learners_code_names_its_line(tmp_path):
    result = grade_source("kl_k3", edited("kl_k3", ("return np.exp(log_r)", "return undefined_name + np.exp(log_r)")),
                          tmp_path)
    assert not result.passed
    assert "NameError" in result.message and "kl_k3() in" in result.message and "line 9" in result.message


def test_a_file_that_does_not_import_is_reported(tmp_path):
    result = grade_source("softmax", "def softmax(z, axis=-1)\n    return z\n", tmp_path)
    assert not result.passed and "does not import: SyntaxError" in result.message


def test_the_engines_are_restored_after_a_check_plugs_the_learners_code_in(tmp_path):
    """The checks swap a learner's function into the engines for one run; it must never stay there."""
    originals = (scalargrad.graph.topological_order, tensorgrad.autograd.unbroadcast,
                 tensorgrad.transformer.PackedSelfAttention)
    first_line = "    _, w = attention_forward(q, k, v, causal)"
    refuses_wide_heads = "    assert q.shape[-1] < 8, 'not for heads this wide'\n" + first_line  # the GPT's heads are 8 wide
    fails_in_the_gpt = edited("attention_backward", (first_line, refuses_wide_heads))
    result = grade_source("attention_backward", fails_in_the_gpt, tmp_path)
    assert not result.passed and "AssertionError: not for heads this wide" in result.message
    for name in ("unbroadcast", "attention_backward"):
        assert grade_source(name, solution(name), tmp_path).passed
    assert (scalargrad.graph.topological_order, tensorgrad.autograd.unbroadcast,
            tensorgrad.transformer.PackedSelfAttention) == originals


def test_a_solved_op_steps_through_with_its_local_derivative_on_the_page(tmp_path):
    """What the new_op check tells the learner: their op is drawn, frame by frame, with its slope."""
    (tmp_path / "new_op.py").write_text(solution("new_op"))
    leaky = grader.load(tmp_path / "new_op.py", "new_op")
    a = Value(-2.0, label="a")
    out = apply(Op("leaky_relu", "lrelu", leaky.forward, leaky.derivative), a)
    out.label = "out"
    out.backward()
    try:
        step_through(out, tmp_path / "steps")
    except GraphvizNotFoundError:
        pass  # the page is written all the same, with the frames as DOT source
    assert "∂L/∂a = ∂L/∂out · ∂out/∂a = 1 × 0.01 = 0.01" in (tmp_path / "steps" / "index.html").read_text()


# ---- the command ---------------------------------------------------------------------------------------
def run(capsys, *argv):
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_the_command_lists_starts_checks_hints_and_shows_the_solution(tmp_path, capsys):
    workspace = str(tmp_path / "my_exercises")
    status, out = run(capsys, "--workspace", workspace)
    assert status == 0 and out.count("not started") == 14
    status, out = run(capsys, "start", "softmax", "--workspace", workspace)
    mine = tmp_path / "my_exercises" / "softmax.py"
    assert mine.read_text() == catalog.find("softmax").source("stubs")
    status, out = run(capsys, "check", "softmax", "--workspace", workspace)
    assert status == 1 and "not implemented yet" in out
    assert "softmax" in out.split("\n")[0] and "failing" in run(capsys, "--workspace", workspace)[1]
    mine.write_text(edited("softmax", ("shifted = z - z.max(axis=axis, keepdims=True)", "shifted = z")))
    assert "edited since last check" in run(capsys, "--workspace", workspace)[1]
    status, out = run(capsys, "check", "softmax", "--workspace", workspace)
    assert status == 1 and CATALOGUE["softmax_without_shift"] in out
    mine.write_text(solution("softmax"))
    status, out = run(capsys, "check", "softmax", "--workspace", workspace)
    assert status == 0 and "softmax: passed" in out
    listing = run(capsys, "--workspace", workspace)[1]
    assert next(line for line in listing.splitlines() if " softmax " in line).split()[3] == "passed"
    hints = catalog.find("softmax").hints
    assert run(capsys, "softmax", "--hint", "--workspace", workspace)[1].strip() == f"Hint 1 of 3: {hints[0]}"
    assert run(capsys, "softmax", "--hint", "--workspace", workspace)[1].strip() == f"Hint 2 of 3: {hints[1]}"
    assert solution("softmax") in run(capsys, "softmax", "--solution", "--workspace", workspace)[1]


def test_start_never_overwrites_the_learners_work(tmp_path, capsys):
    workspace = str(tmp_path)
    run(capsys, "start", "kl_k3", "--workspace", workspace)
    (tmp_path / "kl_k3.py").write_text("# mine\n")
    _, out = run(capsys, "start", "kl_k3", "--workspace", workspace)
    assert (tmp_path / "kl_k3.py").read_text() == "# mine\n" and "already there" in out


def test_the_command_refuses_an_unknown_exercise_and_a_malformed_command(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["check", "sofmax", "--workspace", str(tmp_path)])
    assert "no exercise called 'sofmax'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["check", "--workspace", str(tmp_path)])


def test_python_dash_m_exercises_runs_in_a_fresh_folder(tmp_path):
    root = Path(__file__).resolve().parent.parent
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "exercises", "start", "clipped_objective"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout
    assert (tmp_path / "my_exercises" / "clipped_objective.py").exists() and "wrote my_exercises" in out
    checked = subprocess.run([sys.executable, "-m", "exercises", "check", "clipped_objective"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 1 and "not implemented yet" in checked.stdout


def test_the_listing_fits_an_80_column_terminal(tmp_path):
    text = listing(tmp_path / "workspace")
    assert max(map(len, text.splitlines())) <= 80
    assert all(f" {exercise.name} " in text for exercise in catalog.EXERCISES)
