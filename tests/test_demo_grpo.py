"""The GRPO demo, headless and fast: its accuracies and curves checked with NumPy, not with the demo's code."""

from dataclasses import fields

import numpy as np
import pytest
from demo_checks import check, claim, printed, recorded

from demos import catalog, grpo
from tensorgrad import GPT, no_grad

NUMBERS = range(10, 50)  # the task: a + b for a, b from 10 to 49, 300 questions held out
HELD_OUT = 300


@pytest.fixture(scope="module")
def demo(demo_run):
    """Run the demo once with fast=True; its steps and its output folder."""
    return demo_run("grpo")


def split_pairs():
    """(train, held out): every question, shuffled by the demo's seed; the first HELD_OUT are held out."""
    pairs = np.array([(a, b) for a in NUMBERS for b in NUMBERS])
    shuffled = pairs[np.random.default_rng(grpo.SEED).permutation(len(pairs))]
    return shuffled[HELD_OUT:], shuffled[:HELD_OUT]


def held_out_pairs():
    return split_pairs()[1]


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
    steps, out_dir = demo
    pairs = held_out_pairs()
    before = greedy_accuracy(out_dir / grpo.PRETRAINED_NPZ, pairs)
    after = greedy_accuracy(out_dir / grpo.POLICY_NPZ, pairs)
    run = recorded(steps, "GRPO:")
    # accuracies are counts out of HELD_OUT: equal to float rounding means the same answers right
    assert (run["held-out accuracy before"], run["held-out accuracy after"]) == pytest.approx((before, after))
    pretraining = recorded(steps, "Pre-training")
    assert pretraining["held-out accuracy"] == pytest.approx(before)
    # pre-training stops once 300 training questions come out right often enough, while still often wrong
    probe = greedy_accuracy(out_dir / grpo.PRETRAINED_NPZ, split_pairs()[0][:300])
    assert pretraining["training questions right at the stop"] == pytest.approx(probe)
    assert probe >= grpo.FAST.pretrain_stop and pretraining["steps"] % 5 == 0
    assert 0.4 <= before < 0.75
    # the finale's goal: GRPO reaches the target on questions it never trained on, within the step budget
    assert after >= grpo.FAST.target >= 0.9 and run["steps"] <= grpo.FAST.max_steps


@pytest.mark.slow
def test_curves_are_finite_and_reward_rises(demo):
    _, out_dir = demo
    with np.load(out_dir / grpo.CURVES_NPZ) as curves:
        assert list(curves["names"]) == ["GRPO", "REINFORCE", "GRPO, no clipping"]
        for i in range(3):
            kl = curves[f"run{i}_kl"]
            assert len(kl) == len(curves["run0_kl"]) <= grpo.FAST.max_steps
            assert np.isfinite(kl).all() and (kl >= 0).all()
            assert np.isfinite(curves[f"run{i}_entropy"]).all()
        reward = curves["run0_reward"]
        assert reward[-5:].mean() > reward[:5].mean()
        assert (curves["run1_clip"] == 0).all() and (curves["run2_clip"] == 0).all()  # no clipping, nothing clipped
        assert curves["run0_accuracy"][-1] > curves["run0_accuracy"][0]


@pytest.mark.slow
def test_ablation_table_matches_the_saved_curves(demo):
    steps, out_dir = demo
    table = recorded(steps, "Parts taken away")
    names = ["GRPO", "REINFORCE", "GRPO, no clipping"]
    with np.load(out_dir / grpo.CURVES_NPZ) as curves:
        assert list(curves["names"]) == names
        means, finals = [], []
        for i, name in enumerate(names):
            accuracy = curves[f"run{i}_accuracy"]
            shown = [table[f"{name}: held-out {which}"] for which in ("start", "end", "mean")]
            assert shown == pytest.approx([accuracy[0], accuracy[-1], accuracy.mean()])
            means.append(accuracy.mean())
            finals.append(accuracy[-1])
    assert table["highest mean accuracy"] == names[int(np.argmax(means))]
    # what the finale shows: the runs with parts taken away end visibly behind GRPO, at the same step budget
    assert finals[0] >= grpo.FAST.target and max(finals[1:]) <= finals[0] - 0.03
    assert table["highest final accuracy"] == "GRPO"
    assert table["highest final accuracy"] == names[int(np.argmax(finals))]
    # Each run's parts: baseline, clipping and μ (updates per batch): one or more taken away from GRPO's.
    for name, parts in zip(names, (("group mean", 0.2, 2), ("none", None, 1), ("group mean", None, 2))):
        assert tuple(table[f"{name}: {part}"] for part in ("baseline", "clip ε", "μ")) == parts, name


@pytest.mark.slow
def test_training_plot_is_written(demo):
    steps, out_dir = demo
    picture = out_dir / grpo.TRAINING_PNG
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert [path for step in steps for path, _ in step.pictures] == [picture]
    assert all(step.title in printed(steps) for step in steps)


def test_fast_keeps_the_model_and_its_pretraining_and_lowers_the_target():
    """The tour runs FAST: it must train the same model as FULL, the same way, only to a lower target."""
    changed = {f.name for f in fields(grpo.Config) if getattr(grpo.FAST, f.name) != getattr(grpo.FULL, f.name)}
    assert changed == {"target", "max_steps"}
    assert grpo.FAST.max_steps < grpo.FULL.max_steps and 0.9 <= grpo.FAST.target < grpo.FULL.target


@pytest.mark.slow
def test_closing_counts_the_parts_and_concepts_in_the_tours_contents(demo):
    steps, _ = demo
    titles = [catalog.load(name).TITLE for name in catalog.NAMES]
    sections = sorted({int(title[1:].split()[0]) for title in titles if title.startswith("§")})
    assert recorded(steps, "The whole chain")["sections the demos open with"] == sections == list(range(1, 19))
    check(claim(steps, "parts"), "5", len(catalog.PARTS))
    check(claim(steps, "concepts: the § sections the demos open with"), "18", len(sections))
    assert {claim(steps, name).verdict for name in ("parts", "concepts: the § sections the demos open with")} == {
        "exact"}
