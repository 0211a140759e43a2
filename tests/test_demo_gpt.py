"""The GPT demo, headless and fast: losses recomputed from the saved checkpoint, not taken from the demo."""

import json

import numpy as np
import pytest
from demo_checks import printed, recorded

from demos import gpt
from demos.__main__ import main
from demos._corpus import NEXT_WORD, PHONE_PROMPT, make_corpus, train_val_split
from tensorgrad import GPT, CharTokenizer, no_grad


@pytest.fixture(scope="module")
def demo(demo_run):
    """Run the demo once with fast=True; its steps and its output folder."""
    return demo_run("gpt")


@pytest.fixture(scope="module")
def corpus():
    text = make_corpus(seed=gpt.SEED)
    return (text, *train_val_split(text))


def from_checkpoint(path, seed):
    """The checkpoint read with NumPy alone (no pickles), into a GPT built here from its stored shape."""
    with np.load(path, allow_pickle=False) as archive:
        config = json.loads(str(archive["config"]))
        state = {name: archive[name] for name in archive.files if name != "config"}
    tokenizer = CharTokenizer.from_json(config["vocabulary"])
    model = GPT(tokenizer.vocab_size, config["block_size"], config["dim"], config["n_heads"], config["n_layers"],
                dtype=np.float32, rng=seed)
    return model.load_state_dict(state), tokenizer, state


def mean_loss(model, ids, block):
    """Cross-entropy over consecutive windows of ``block`` inputs, each followed by its next character."""
    starts = range(0, len(ids) - block, block)
    x = np.stack([ids[s : s + block] for s in starts])
    y = np.stack([ids[s + 1 : s + block + 1] for s in starts])
    with no_grad():
        return model.loss(x, y).item()


def test_trained_checkpoint_beats_the_initial_model(demo, corpus):
    steps, out_dir = demo
    _, train_text, val_text = corpus
    trained, tokenizer, _ = from_checkpoint(out_dir / gpt.CHECKPOINT_NPZ, seed=123)
    c = gpt.FAST
    initial = GPT(tokenizer.vocab_size, c.block_size, c.dim, c.n_heads, c.n_layers, dtype=np.float32, rng=gpt.SEED)
    val_ids, train_ids = tokenizer.encode(val_text), tokenizer.encode(train_text[:20_000])
    losses = recorded(steps, "Training:")["(step, train loss, validation loss)"]
    assert [step for step, _, _ in losses][::len(losses) - 1] == [0, c.steps]
    # The printed first and last validation losses are those of the initial model and of the checkpoint.
    assert losses[0][2] == pytest.approx(mean_loss(initial, val_ids, c.block_size), abs=1e-3)
    assert losses[-1][2] == pytest.approx(mean_loss(trained, val_ids, c.block_size), abs=1e-3)
    assert mean_loss(trained, train_ids, c.block_size) < mean_loss(initial, train_ids, c.block_size) - 1
    assert losses[-1][1] < losses[0][1] - 1


def test_validation_loss_beats_the_unigram_baseline_by_the_printed_margin(demo, corpus):
    steps, _ = demo
    _, train_text, val_text = corpus
    counts = {ch: train_text.count(ch) for ch in set(train_text)}
    baseline = -np.mean([np.log(counts[ch] / len(train_text)) for ch in val_text])
    said = recorded(steps, "Training:")
    *_, (_, _, validation) = said["(step, train loss, validation loss)"]
    printed_baseline = said["unigram baseline"]
    below = printed_baseline - validation  # printed beside them
    assert printed_baseline == pytest.approx(baseline, abs=1e-3)
    assert below == pytest.approx(baseline - validation, abs=2e-3) and below > 0.5


def test_checkpoint_round_trip(demo):
    steps, out_dir = demo
    path = out_dir / gpt.CHECKPOINT_NPZ
    ours, _, state = from_checkpoint(path, seed=7)
    loaded, _ = gpt.load_checkpoint(path)
    assert all(array.dtype == np.float32 for array in state.values())
    assert state.keys() == loaded.state_dict().keys()
    ids = np.arange(2 * gpt.FAST.block_size).reshape(2, -1) % loaded.vocab_size
    with no_grad():
        assert np.array_equal(ours(ids).data, loaded(ids).data)
    assert recorded(steps, "Checkpoint")["largest difference of the logits"] == 0


def test_pictures_are_written(demo):
    steps, out_dir = demo
    for name in (gpt.LOSS_PNG, gpt.ATTENTION_PNG):
        assert (out_dir / name).read_bytes().startswith(b"\x89PNG")
    assert [path for step in steps for path, _ in step.pictures] == [out_dir / gpt.LOSS_PNG, out_dir / gpt.ATTENTION_PNG]
    assert all(step.title in printed(steps) for step in steps)


def test_samples_use_the_corpus_alphabet_and_entropy_follows_temperature(demo, corpus):
    steps, _ = demo
    said = recorded(steps, "§6–§8 Sampling")
    names = {"T = 0.5", "T = 1.0", "T = 1.5", "greedy", "top-p 0.9"}
    assert said.keys() == {f"{name}: sample and its mean entropy" for name in names}
    samples = {name: said[f"{name}: sample and its mean entropy"] for name in names}
    assert all(text for text, _ in samples.values()) and set("".join(t for t, _ in samples.values())) <= set(corpus[0])
    entropy = {name: mean_entropy for name, (_, mean_entropy) in samples.items()}
    assert round(entropy["greedy"], 2) == 0  # printed as 0.00
    assert round(entropy["T = 0.5"], 2) < round(entropy["T = 1.5"], 2)


def test_phone_table_counts_the_training_text(demo, corpus):
    steps, _ = demo
    _, train_text, _ = corpus
    lines = [line for line in train_text.splitlines() if line.startswith(PHONE_PROMPT)]
    said = recorded(steps, "§1 The phone keyboard")
    assert len(said) == len(NEXT_WORD)
    for word, p in NEXT_WORD:
        share = sum(line == f'{PHONE_PROMPT}{word}".' for line in lines) / len(lines)
        counted, first_letter, whole_word = said[f"{word}: (training text, model's first letter, model's whole word)"]
        assert counted == pytest.approx(share, abs=0.0005)
        assert 0 <= whole_word <= first_letter <= 1  # a whole word is at most as likely as its first letter


def test_demo_is_listed(capsys):
    assert main([]) == 0
    assert "gpt" in capsys.readouterr().out
