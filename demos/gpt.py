"""A tiny GPT trained here, on the CPU: §4–§9 and §12–§14 working together.

The corpus is the project's own generated text (``demos._corpus``), one
character per token (``CharTokenizer``). A float32 ``tensorgrad.GPT`` learns
to predict the next character with cross-entropy (§9), AdamW and gradient
clipping (§11); its validation loss is held against the unigram baseline, the
loss of a model that ignores context. Then the trained model is saved and
reloaded, looked into (one attention head, §13), sampled from at several
temperatures (§6–§8), and asked §1's question: after "I'm on my", which word?
Every number printed is measured while the demo runs.
"""

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from tqdm import tqdm

from demos._corpus import (
    NEXT_WORD,
    PHONE_PROMPT,
    make_corpus,
    train_val_split,
    unigram_cross_entropy,
)
from demos._plots import save
from demos._stepper import Step
from tensorgrad import GPT, CharTokenizer, generate, no_grad, optim
from tensorgrad import functional as F

TITLE = "A tiny GPT: next-character prediction, attention, sampling (§4–§9, §12–§14)"


@dataclass(frozen=True)
class Config:
    """The model's shape and the training run's length."""

    block_size: int  # the longest context, in characters
    dim: int
    n_heads: int
    n_layers: int
    batch_size: int
    steps: int
    lr: float  # AdamW's peak step size: warmed up linearly, then decayed along a cosine
    evals: int  # how many times train and validation loss are measured during training


FULL = Config(block_size=64, dim=64, n_heads=4, n_layers=2, batch_size=32, steps=2000, lr=3e-3, evals=10)
FAST = Config(block_size=32, dim=32, n_heads=4, n_layers=1, batch_size=16, steps=60, lr=1e-2, evals=4)
SEED = 0
WARMUP = 0.05  # fraction of the steps spent warming the step size up
FINAL_LR = 0.1  # the cosine ends at this fraction of the peak
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
TRAIN_EVAL_WINDOWS = 256  # random training windows the train loss is measured on (the same ones each time)
SAMPLE_LINE = "The cat sat on the mat."
SAMPLING = (
    ("T = 0.5", {"temperature": 0.5}),
    ("T = 1.0", {"temperature": 1.0}),
    ("T = 1.5", {"temperature": 1.5}),
    ("greedy", {"greedy": True}),
    ("top-p 0.9", {"top_p": 0.9}),
)
SAMPLE_CHARS, FAST_SAMPLE_CHARS = 150, 60
CHECKPOINT_NPZ = "gpt_checkpoint.npz"
CONFIG_KEY = "config"  # the checkpoint's entry that is not a parameter: model shape and vocabulary, as JSON
LOSS_PNG = "gpt_loss.png"
LOSS_TICKS = (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 4)
ATTENTION_PNG = "gpt_attention.png"


@dataclass
class Training:
    """What training gave: the model, the losses measured along the way, and how long it took."""

    model: GPT
    config: Config
    batch_losses: list  # every step's training-batch loss
    evals: list  # (step, train loss, validation loss), the first before any step
    seconds: float


def steps(out_dir, fast=False):
    """Train (FULL, about a minute on two cores; FAST with ``fast=True``, seconds), then build the steps."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = FAST if fast else FULL
    text = make_corpus(seed=SEED)
    train_text, val_text = train_val_split(text)
    tokenizer = CharTokenizer(train_text)
    baseline = unigram_cross_entropy(train_text, val_text)
    run = train(config, tokenizer.vocab_size, tokenizer.encode(train_text), tokenizer.encode(val_text))
    checkpoint = out_dir / CHECKPOINT_NPZ
    save_checkpoint(checkpoint, run.model, tokenizer)
    n_chars = FAST_SAMPLE_CHARS if fast else SAMPLE_CHARS
    return [
        _corpus_step(text, train_text, val_text, tokenizer, baseline),
        _training_step(run, tokenizer, baseline, out_dir / LOSS_PNG),
        _checkpoint_step(run, checkpoint, tokenizer.encode(val_text)),
        _attention_step(run.model, tokenizer, out_dir / ATTENTION_PNG),
        _sampling_step(run.model, tokenizer, text, n_chars),
        _phone_step(run.model, tokenizer, train_text),
    ]


# ---- training ---------------------------------------------------------------------------------
def chunks(ids, starts, length):
    """The slices ids[s : s + length] for each s in ``starts``: an array of shape (len(starts), length)."""
    return ids[np.asarray(starts)[:, None] + np.arange(length)]


def windows(ids, length):
    """ids cut into consecutive slices of ``length`` + 1 that overlap by one id (each id a target once)."""
    return chunks(ids, np.arange(0, len(ids) - length, length), length + 1)


def loss_on(model, rows):
    """Mean next-character cross-entropy (§9, nats per character) over rows of block_size + 1 ids."""
    with no_grad():
        return model.loss(rows[:, :-1], rows[:, 1:]).item()


def learning_rate(config, step):
    """Linear warm-up over the first WARMUP of the steps, then a cosine down to FINAL_LR × the peak."""
    warmup = max(1, round(WARMUP * config.steps))
    if step < warmup:
        return config.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, config.steps - warmup)
    return config.lr * (FINAL_LR + (1 - FINAL_LR) * 0.5 * (1 + math.cos(math.pi * progress)))


def train(config, vocab_size, train_ids, val_ids):
    """Train a float32 GPT on random windows of ``train_ids``; measure train and validation loss ``evals`` times.

    The validation loss covers all of ``val_ids`` (windows side by side); the
    train loss a fixed random set of TRAIN_EVAL_WINDOWS training windows.
    """
    c = config
    rng = np.random.default_rng(SEED)
    model = GPT(vocab_size, c.block_size, c.dim, c.n_heads, c.n_layers, dtype=np.float32, rng=SEED)
    optimizer = optim.AdamW(model.parameters(), lr=c.lr, weight_decay=WEIGHT_DECAY)
    val_chunks = windows(val_ids, c.block_size)
    train_starts = rng.choice(len(train_ids) - c.block_size, TRAIN_EVAL_WINDOWS, replace=False)
    train_chunks = chunks(train_ids, train_starts, c.block_size + 1)
    eval_at = set(np.linspace(0, c.steps, c.evals + 1).round().astype(int))
    batch_losses, evals = [], []
    start = time.perf_counter()
    with tqdm(total=c.steps, desc="training", unit="step") as bar:

        def evaluate(step):
            evals.append((step, loss_on(model, train_chunks), loss_on(model, val_chunks)))
            bar.set_postfix(train=f"{evals[-1][1]:.3f}", val=f"{evals[-1][2]:.3f}")

        for step in range(c.steps):
            if step in eval_at:
                evaluate(step)
            starts = rng.integers(0, len(train_ids) - c.block_size, c.batch_size)
            batch = chunks(train_ids, starts, c.block_size + 1)
            loss = model.loss(batch[:, :-1], batch[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            optim.clip_grad_norm(model.parameters(), MAX_GRAD_NORM)
            optimizer.lr = learning_rate(c, step)
            optimizer.step()
            batch_losses.append(loss.item())
            bar.update()
        evaluate(c.steps)
    return Training(model, config, batch_losses, evals, time.perf_counter() - start)


# ---- saving and loading -----------------------------------------------------------------------
def save_checkpoint(path, model, tokenizer):
    """The model's ``state_dict`` and, as one JSON string, its shape and vocabulary: one .npz, no pickles."""
    config = {
        "vocabulary": tokenizer.to_json(),
        "block_size": model.block_size,
        "dim": model.dim,
        "n_heads": model.n_heads,
        "n_layers": len(model.blocks),
    }
    with open(path, "wb") as file:
        np.savez(file, **model.state_dict(), **{CONFIG_KEY: np.array(json.dumps(config))})


def load_checkpoint(path, rng=SEED + 1):
    """(model, tokenizer) from a checkpoint: a fresh GPT (initialised from ``rng``) with the saved weights."""
    with np.load(path, allow_pickle=False) as archive:
        config = json.loads(str(archive[CONFIG_KEY]))
        tokenizer = CharTokenizer.from_json(config["vocabulary"])
        shape = (config["block_size"], config["dim"], config["n_heads"], config["n_layers"])
        model = GPT(tokenizer.vocab_size, *shape, dtype=np.float32, rng=rng)
        model.load_state_dict({name: archive[name] for name in archive.files if name != CONFIG_KEY})
    return model, tokenizer


# ---- the steps --------------------------------------------------------------------------------
def _corpus_step(text, train_text, val_text, tokenizer, baseline):
    lines = text.splitlines()
    return Step("The corpus: generated sentences, one token per character").say(
        f"{len(lines)} lines, {len(text):,} characters (demos._corpus.make_corpus, seed {SEED}), for example:",
        *(f"  {line}" for line in lines[:5]),
        f"Split at a line break: {len(train_text):,} characters to train on, {len(val_text):,} for validation.",
        f"CharTokenizer: the training text has {tokenizer.vocab_size} distinct characters, so the model outputs"
        f" {tokenizer.vocab_size} logits per position.",
        f"  a uniform guess scores log {tokenizer.vocab_size} = {math.log(tokenizer.vocab_size):.3f}"
        " nats per character;",
        f"  the unigram baseline (each character's training frequency, ignoring context) scores"
        f" {baseline:.3f} on the validation text.",
        "A model has learnt something from context only if it gets below that baseline.",
    )


def _training_step(run, tokenizer, baseline, png):
    c, model = run.config, run.model
    n_params = sum(p.size for p in model.parameters())
    (_, first_train, first_val), (_, last_train, last_val) = run.evals[0], run.evals[-1]
    table = [f"  {step:5d}   {train_loss:.3f}   {val_loss:.3f}" for step, train_loss, val_loss in run.evals]
    step = Step(f"Training: {c.steps} steps of AdamW on batches of {c.batch_size} × {c.block_size} characters")
    step.record("(step, train loss, validation loss)", run.evals)
    step.record("unigram baseline", baseline)
    return step.say(
        f"{model!r}: float32, {n_params:,} parameters;",
        f"AdamW (peak lr {c.lr}, weight decay {WEIGHT_DECAY}), gradients clipped to norm {MAX_GRAD_NORM}.",
        "   step   train   validation   (mean cross-entropy, nats per character)",
        *table,
        f"  loss fell from {first_train:.3f} to {last_train:.3f} (train) and {first_val:.3f} to {last_val:.3f}"
        f" (validation); at the start, log {tokenizer.vocab_size} = {math.log(tokenizer.vocab_size):.3f}.",
        f"  validation {last_val:.3f} vs unigram baseline {baseline:.3f}: {baseline - last_val:.3f} nats per"
        f" character below it ({100 * (baseline - last_val) / baseline:.0f}% lower);",
        f"  perplexity e^loss: {math.exp(last_val):.2f} vs {math.exp(baseline):.2f} equally likely characters.",
        f"  trained in {run.seconds:.1f} s ({1e3 * run.seconds / c.steps:.0f} ms per step, evaluations included)",
    ).show(_plot_losses(run, baseline, math.log(tokenizer.vocab_size), png), "training and validation loss")


def _checkpoint_step(run, path, val_ids):
    loaded, _ = load_checkpoint(path)
    ids = windows(val_ids, run.config.block_size)[:8, :-1]
    with no_grad():
        before, after = run.model(ids).data, loaded(ids).data
    same = np.array_equal(before, after)
    step = Step("Checkpoint: state_dict → .npz → a fresh GPT")
    step.record("largest difference of the logits", np.abs(before - after).max())
    return step.say(
        f"Saved {len(run.model.state_dict())} parameter arrays and the vocabulary to {path}"
        f" ({path.stat().st_size / 1024:.0f} KB; plain arrays, no pickles).",
        f"Loaded into a new GPT built with another seed (rng={SEED + 1}): on {ids.shape[0]} validation windows"
        f" its logits are {'identical' if same else 'DIFFERENT'}"
        f" (largest difference {np.abs(before - after).max():.1e}).",
    )


def _attention_step(model, tokenizer, png):
    """Which head looks back at the animal when the place is due ("The cat sat on the " → m)?"""
    ids = tokenizer.encode(SAMPLE_LINE)
    weights = model.attention_weights(ids[None])  # per layer: (1, heads, T, T)
    query = SAMPLE_LINE.index(" mat")  # the position whose output predicts the "m" of "mat"
    animal = slice(SAMPLE_LINE.index("cat"), SAMPLE_LINE.index("cat") + 3)
    on_animal = np.array([w[0, :, query, animal].sum(axis=-1) for w in weights])  # (layers, heads)
    layer, head = np.unravel_index(on_animal.argmax(), on_animal.shape)
    lines = [
        f"Attention of every head at the position that predicts the \"m\" of \"mat\" in {SAMPLE_LINE!r}:",
        *(
            f"  layer {i + 1}: share on \"cat\" per head " + ", ".join(f"{100 * s:.0f}%" for s in row)
            for i, row in enumerate(on_animal)
        ),
        (
            f"Layer {layer + 1}, head {head + 1} looks at \"cat\" most ({100 * on_animal[layer, head]:.0f}%"
            f" of its attention on 3 of the {query + 1} characters it can see)."
        ),
        "The place follows from the animal only (cat → mat, dog → rug, bird → branch);",
        "the model's probability for the right place's first letter after \"… on the \":",
    ]
    for animal_word, place in (("cat", "mat"), ("dog", "rug"), ("bird", "branch")):
        prompt = f"The {animal_word} sat on the "
        probs = F.softmax(next_char_logits(model, tokenizer, prompt)).data
        lines.append(f"  {prompt!r:26} → {place[0]!r} {100 * probs[tokenizer.encode(place[0])[0]]:.0f}%")
    picture = _plot_attention(weights[layer][0, head], SAMPLE_LINE, query, f"layer {layer + 1}, head {head + 1}", png)
    caption = "the row of that position is framed in red"
    return Step("§13 Attention inside the trained model").say(*lines).show(picture, caption)


def next_char_logits(model, tokenizer, context):
    """The model's logits for the character after ``context`` (read from its last block_size characters)."""
    ids = tokenizer.encode(context)[-model.block_size :]
    with no_grad():
        return model(ids[None])[0, -1]


def _sampling_step(model, tokenizer, text, n_chars):
    known = set(text.splitlines())
    prompt = tokenizer.encode("\n")
    step = Step("§6–§8 Sampling: temperature, greedy and top-p, with each sample's entropy")
    lines = [f"{n_chars} characters after a line break, each setting with its own np.random.default_rng({SEED}):"]
    for name, options in SAMPLING:
        rng = None if options.get("greedy") else np.random.default_rng(SEED)
        out = generate(model, prompt, n_chars, model.block_size, rng=rng, **options)
        sample = tokenizer.decode(out.tokens)
        complete = sample.split("\n")[:-1]  # the last piece may be cut off mid-line
        real = sum(line in known for line in complete)
        step.record(f"{name}: sample and its mean entropy", (sample, out.entropy.mean()))
        lines += [
            (
                f"{name}: mean entropy {out.entropy.mean():.2f} nats per character; "
                + (f"{real} of {len(complete)} complete lines are sentences of the corpus" if complete
                   else f"no complete line in {n_chars} characters")
            ),
            *(f"  │ {line}" for line in sample.split("\n")),
        ]
    lines += [
        "Low temperature sharpens each distribution (low entropy, safe and repetitive); high flattens it.",
        "The same random numbers drive every sampled setting, so where the model is sure, their texts agree.",
    ]
    return step.say(*lines)


def _phone_step(model, tokenizer, train_text):
    """The model's probability for each word after PHONE_PROMPT, beside the grammar's and the training text's."""
    context = "\n" + PHONE_PROMPT
    logits = next_char_logits(model, tokenizer, context)
    first = F.softmax(logits).data
    shown = train_text.count(PHONE_PROMPT)
    step = Step("§1 The phone keyboard: what comes after \"I'm on my\"?")
    rows, model_words, counted = [], [], []
    for word, p in NEXT_WORD:
        p_first = first[tokenizer.encode(word[0])[0]]
        p_word = math.exp(word_log_prob(model, tokenizer, context, word + '"'))
        share = train_text.count(f'{PHONE_PROMPT}{word}"') / shown
        model_words.append(p_word)
        counted.append(share)
        step.record(f"{word}: (training text, model's first letter, model's whole word)", (share, p_first, p_word))
        rows.append(f"  {word:7} {100 * p:7.0f}% {100 * share:13.1f}% {100 * p_first:17.1f}% {100 * p_word:10.1f}%")
    gap = np.abs(np.array(model_words) - np.array(counted))
    entropy = -sum(p * math.log(p) for _, p in NEXT_WORD)
    return step.say(
        f"The corpus writes {PHONE_PROMPT!r}, then a word drawn from the post's distribution.",
        f"  {'word':7} {'grammar':>8} {'training text':>14} {'model: 1st letter':>18} {'whole word':>11}",
        *rows,
        f"  the model gives the eight words {100 * sum(model_words):.1f}% in all; its largest gap from the training"
        f" text's shares is {100 * gap.max():.1f} points ({NEXT_WORD[int(gap.argmax())][0]}).",
        f"  entropy (§8): the grammar's word distribution {entropy:.2f} nats, the model's next-character"
        f" distribution {F.entropy(logits=logits).item():.2f} nats.",
        "Whole word: the chain rule of §5, e.g. P(way\") = P(w) · P(a | w) · P(y | wa) · P(\" | way).",
        "Every word starts with its own letter, so in the grammar the first letter decides the word:",
        "the better trained the model, the closer its first-letter and whole-word columns (compare them).",
    )


def word_log_prob(model, tokenizer, context, word):
    """log P(word | context) = Σ log P(each character | context and the characters before it) (§5)."""
    ids = tokenizer.encode(context + word)[-model.block_size :]
    with no_grad():
        log_probs = F.log_softmax(model(ids[None])[0]).data
    n = len(word)
    targets = ids[-n:]
    return float(log_probs[np.arange(len(ids) - n - 1, len(ids) - 1), targets].sum())


# ---- pictures ---------------------------------------------------------------------------------
def _plot_losses(run, baseline, uniform, path):
    """Every batch's loss, the measured train and validation losses, and the two baselines."""
    picture = Figure(figsize=(7, 4.5), layout="constrained")
    axes = picture.subplots()
    axes.plot(range(1, len(run.batch_losses) + 1), run.batch_losses, color="lightgray", label="training batch")
    steps_, train_losses, val_losses = zip(*run.evals)
    axes.plot(steps_, train_losses, "o-", label="train (fixed windows)")
    axes.plot(steps_, val_losses, "s-", label="validation")
    axes.axhline(baseline, color="crimson", linestyle="--", label=f"unigram baseline {baseline:.2f}")
    axes.axhline(uniform, color="gray", linestyle=":", label=f"uniform guess {uniform:.2f}")
    axes.set_xlabel("step")
    axes.set_yscale("log")  # the first steps fall from 4 to 0.5; a log scale keeps the slow descent after visible
    low, high = axes.get_ylim()
    ticks = [t for t in LOSS_TICKS if low <= t <= high]
    axes.set_yticks(ticks, [f"{t:g}" for t in ticks])
    axes.minorticks_off()
    axes.set_ylabel("cross-entropy (nats per character, log scale)")
    axes.set_title("tiny GPT: next-character loss")
    axes.legend()
    return save(picture, path)


def _plot_attention(weights, text, query, name, path):
    """One head's (T, T) attention weights over ``text``, with the row of position ``query`` framed."""
    picture = Figure(figsize=(7, 6), layout="constrained")
    axes = picture.subplots()
    image = axes.imshow(weights, vmin=0, vmax=1, cmap="Blues")
    labels = [char if char != " " else "␣" for char in text]
    axes.set_xticks(range(len(text)), labels)
    axes.set_yticks(range(len(text)), labels)
    axes.set_xlabel("key (attended to)")
    axes.set_ylabel("query (predicting the next character)")
    axes.add_patch(Rectangle((-0.5, query - 0.5), len(text), 1, fill=False, edgecolor="crimson", linewidth=2))
    axes.set_title(f"{name}: causal attention weights")
    picture.colorbar(image, ax=axes, label="attention weight")
    return save(picture, path)
