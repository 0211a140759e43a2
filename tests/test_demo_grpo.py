"""The GRPO demo, headless and fast: its figures and accuracies checked with NumPy, not with the demo's code."""

import re

import numpy as np
import pytest

from demos import grpo
from demos.__main__ import main
from demos._stepper import run_steps
from tensorgrad import GPT, no_grad

NUMBERS = range(10, 50)  # the task: a + b for a, b from 10 to 49, 300 questions held out
HELD_OUT = 300


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Run the demo once with fast=True; the text it prints and its output folder."""
    out_dir = tmp_path_factory.mktemp("grpo")
    printed = []
    run_steps(grpo.steps(out_dir, fast=True), pause=False, write=printed.append)
    return "".join(printed), out_dir


def verdicts(text):
    return re.findall(r"  (.+): post (\S+) · engine (\S+) · (\w+)", text)


def engine_value(text, name):
    found = [float(engine) for label, _, engine, _ in verdicts(text) if label == name]
    assert len(found) == 1, f"no single figure line for {name!r}"
    return found[0]


@pytest.mark.slow
def test_every_part5_figure_is_exact(demo):
    text, _ = demo
    found = verdicts(text)
    assert len(found) == 13
    assert {v for *_, v in found} == {"exact"}


@pytest.mark.slow
def test_advantages_and_clipping_recomputed_with_numpy(demo):
    text, _ = demo
    curve = np.array([1, 1, 0, 0]) - np.mean([1, 1, 0, 0])
    quiz = np.array([1.0] * 3 + [0.0] * 5)
    assert engine_value(text, "A of a response with R = 1") == curve[0] == 0.5
    assert engine_value(text, "A of a response with R = 0") == curve[-1] == -0.5
    assert engine_value(text, "the group's mean reward") == quiz.mean() == 0.375
    assert engine_value(text, "A of a correct response") == 1 - quiz.mean()
    assert engine_value(text, "A of a wrong response") == -quiz.mean()
    ratio = 0.85 / 0.10
    assert engine_value(text, "ratio π_new/π_old") == pytest.approx(ratio)
    capped = np.clip(ratio, 0.8, 1.2)
    assert engine_value(text, "ratio after clip(r, 1 − ε, 1 + ε), ε = 0.2") == capped
    assert engine_value(text, "what the step may do: 10% × clipped ratio, in %") == pytest.approx(100 * 0.10 * capped)


@pytest.mark.slow
def test_reinforce_step_on_the_five_answers_recomputed_with_numpy(demo):
    """loss = mean(−Rᵢ log softmax(z)ᵢ): dloss/dz = −(1/n) Σᵢ Rᵢ (onehotᵢ − p); one step z ← z − 0.5·grad."""
    text, _ = demo
    rewards = np.array([1, -1, 1, -1, -1], dtype=float)
    n = len(rewards)
    p = np.full(n, 1 / n)
    grad = -(rewards - p * rewards.sum()) / n
    z = -grpo.REINFORCE_STEP * grad
    after = np.exp(z) / np.exp(z).sum()
    printed = re.findall(r"R = ([+-]\d)  A = ([+-][\d.]+)  ([\d.]+)% → ([\d.]+)%  (more|less) likely", text)
    assert [float(r) for r, *_ in printed] == list(rewards)
    assert [float(a) for _, a, *_ in printed] == list(rewards)  # no baseline: A = R
    assert [float(q) for *_, q, _ in printed] == [round(100 * x, 1) for x in after]
    assert [w for *_, w in printed] == ["more" if r > 0 else "less" for r in rewards]
    group = rewards - rewards.mean()
    assert f"A = {', '.join(f'{a:+.1f}' for a in group)}: the same directions" in text


def _kl(p, q):
    return float(np.sum(p * (np.log(p) - np.log(q))))


@pytest.mark.slow
def test_kl_fits_recomputed_by_grid_search(demo):
    """P is two bumps; the Q minimising each KL is found again by trying every (μ, σ) on a fine grid."""
    text, out_dir = demo
    x = np.linspace(-8, 8, 321)
    p = 0.6 * np.exp(-0.5 * ((x + 2.5) / 0.6) ** 2) + 0.4 * np.exp(-0.5 * ((x - 2.5) / 0.6) ** 2)
    p /= p.sum()

    def q(mu, sigma):
        logits = -0.5 * ((x - mu) / sigma) ** 2
        e = np.exp(logits - logits.max())
        return e / e.sum()

    rows = {name.strip(): (float(mu), float(s)) for name, mu, s in
                re.findall(r"  (KL\(\S+\) \w+(?: \*)?)\s+([+-][\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+", text)}
    assert set(rows) == {"KL(P‖Q) forward", "KL(Q‖P) reverse", "KL(Q‖P) reverse *"}

    def best(loss, mus, sigmas):
        values = [(loss(q(m, s)), m, s) for m in mus for s in sigmas]
        return min(values)[1:]

    mu, sigma = best(lambda qq: _kl(p, qq), np.arange(-1.5, 0.5, 0.01), np.arange(2.0, 3.0, 0.01))
    assert rows["KL(P‖Q) forward"] == pytest.approx((mu, sigma), abs=0.015)
    mean = (p * x).sum()
    assert mu == pytest.approx(mean, abs=0.05)  # mode-covering: centred between the peaks, near P's mean
    mu, sigma = best(lambda qq: _kl(qq, p), np.arange(-3.0, -2.0, 0.01), np.arange(0.4, 0.9, 0.01))
    assert rows["KL(Q‖P) reverse"] == pytest.approx((mu, sigma), abs=0.015)
    mu_other, sigma_other = best(lambda qq: _kl(qq, p), np.arange(2.0, 3.0, 0.01), np.arange(0.4, 0.9, 0.01))
    assert rows["KL(Q‖P) reverse *"] == pytest.approx((mu_other, sigma_other), abs=0.015)
    assert _kl(q(mu, sigma), p) < _kl(q(mu_other, sigma_other), p)  # the higher peak is the better fit
    assert (out_dir / grpo.KL_PNG).read_bytes().startswith(b"\x89PNG")


def held_out_pairs():
    pairs = np.array([(a, b) for a in NUMBERS for b in NUMBERS])
    return pairs[np.random.default_rng(grpo.SEED).permutation(len(pairs))[:HELD_OUT]]


def greedy_accuracy(path, pairs):
    """Load the saved weights into a fresh GPT; decode greedily with argmax; check the sums as strings."""
    vocab = "+.0123456789="  # sorted characters, as CharTokenizer orders them
    c = grpo.FAST
    model = GPT(len(vocab), 9, c.dim, c.n_heads, c.n_layers, dtype=np.float32, rng=123).load(path)
    ids = np.array([[vocab.index(ch) for ch in f"{a}+{b}="] for a, b in pairs])
    with no_grad():
        for _ in range(3):
            ids = np.concatenate([ids, model(ids).data[:, -1].argmax(axis=-1)[:, None]], axis=1)
    written = ["".join(vocab[i] for i in row[6:]) for row in ids]
    return np.mean([w[2] == "." and w[:2] == str(a + b) for w, (a, b) in zip(written, pairs)])


@pytest.mark.slow
def test_held_out_accuracy_recomputed_from_the_saved_models(demo):
    text, out_dir = demo
    pairs = held_out_pairs()
    before = greedy_accuracy(out_dir / grpo.PRETRAINED_NPZ, pairs)
    after = greedy_accuracy(out_dir / grpo.POLICY_NPZ, pairs)
    printed = re.search(r"held-out accuracy ([\d.]+) → ([\d.]+) in (\d+) steps", text)
    assert (float(printed[1]), float(printed[2])) == (round(before, 3), round(after, 3))
    assert f"held-out accuracy (greedy): {before:.3f} ({round(before * HELD_OUT)} of {HELD_OUT})" in text
    assert 0.25 <= before <= 0.55  # pre-training stops while the model is still often wrong
    assert after > before


@pytest.mark.slow
def test_curves_are_finite_and_reward_rises(demo):
    _, out_dir = demo
    with np.load(out_dir / grpo.CURVES_NPZ) as curves:
        assert list(curves["names"]) == ["GRPO", "REINFORCE", "GRPO, no clipping"]
        for i in range(3):
            kl = curves[f"run{i}_kl"]
            assert len(kl) == grpo.FAST.max_steps and np.isfinite(kl).all() and (kl >= 0).all()
            assert np.isfinite(curves[f"run{i}_entropy"]).all()
        reward = curves["run0_reward"]
        assert reward[-5:].mean() > reward[:5].mean()
        assert (curves["run1_clip"] == 0).all() and (curves["run2_clip"] == 0).all()  # no clipping, nothing clipped
        assert curves["run0_accuracy"][-1] > curves["run0_accuracy"][0]


@pytest.mark.slow
def test_ablation_table_matches_the_saved_curves(demo):
    text, out_dir = demo
    rows = re.findall(r"  (GRPO|REINFORCE|GRPO, no clipping)\s+(?:group mean|none).*?([\d.]+) → ([\d.]+)\s+([\d.]+)",
                      text)
    assert [name for name, *_ in rows] == ["GRPO", "REINFORCE", "GRPO, no clipping"]
    with np.load(out_dir / grpo.CURVES_NPZ) as curves:
        for i, (_, start, end, mean) in enumerate(rows):
            accuracy = curves[f"run{i}_accuracy"]
            assert (float(start), float(end), float(mean)) == (
                round(accuracy[0], 3), round(accuracy[-1], 3), round(accuracy.mean(), 3))
    best = ["GRPO", "REINFORCE", "GRPO, no clipping"][int(np.argmax([float(mean) for *_, mean in rows]))]
    assert f"highest mean accuracy: {best}" in text


@pytest.mark.slow
def test_training_plot_is_written(demo):
    text, out_dir = demo
    picture = out_dir / grpo.TRAINING_PNG
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert f"wrote {picture}" in text


def test_demo_is_listed(capsys):
    assert main([]) == 0
    assert "grpo" in capsys.readouterr().out
