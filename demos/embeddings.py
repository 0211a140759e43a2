"""§14 Embeddings & positional encoding: words become vectors, and vectors learn where they sit.

"Words with similar meanings end up close together", and "the model learns
these embeddings during training — starting random, then adjusting until
similar words cluster together". The demo does exactly that on a tiny
generated corpus: an ``nn.Embedding`` and an ``nn.Linear`` learn to predict
each word's neighbours (skip-gram), trained with ``F.cross_entropy`` and
``optim.Adam``. Nothing tells the model which words belong together; words
that keep the same company end up pointing the same way (cosine similarity,
§12). ``fast=True`` trains for fewer steps; both show the clusters.

Then word order: "dog bites man" and "man bites dog" are the same set of
vectors. Without positions their mean is identical and self-attention only
permutes its outputs, so a model reading a pooled output cannot tell them
apart; adding sinusoidal or learned positions makes them differ. RoPE rotates
queries and keys instead, so a score depends only on how far apart two
tokens are, also at positions far beyond any seen in training.

The post gives no numbers here (its embedding figure is a picture), so the
demo prints its own measurements as plain lines, not claims.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import label_points, save
from demos._stepper import Step
from tensorgrad import (
    LearnedPositionalEmbedding,
    apply_rope,
    nn,
    optim,
    scaled_dot_product_attention,
    sinusoidal_positions,
    tensor,
)
from tensorgrad import functional as F

TITLE = "§14 Embeddings & positional encoding: similar words cluster, positions give order"

# The post's groups ("Animals: cat dog bird", "Actions: run walk", "Abstract: freedom justice", "Cat and
# democracy would be far apart"), each with a few more words so every group has company.
GROUPS = {
    "animals": ("cat", "dog", "bird", "fish", "horse"),
    "actions": ("run", "walk", "jump", "swim"),
    "abstract": ("freedom", "justice", "peace", "truth", "democracy"),
}
SHOWN = ("cat", "dog", "bird", "run", "walk", "freedom", "justice", "democracy")  # the post's words
ANIMAL_TEMPLATES = ("the {animal} can {action}", "a {animal} will {action}", "my {animal} likes to {action}")
ABSTRACT_TEMPLATES = ("we value {idea}", "they fight for {idea}", "people want {idea}", "we defend {idea}")
WINDOW = 2  # neighbours on each side that a word learns to predict
DIM = 8  # "in reality, embeddings have 768-4096 dimensions"
STEPS, FAST_STEPS, LR, SEED = 300, 60, 0.05, 3
SNAPSHOT = 15  # the training step shown between "random" and "trained"
PROJECTION_PNG = "embeddings_projection.png"
EMBEDDINGS_NPZ = "embeddings_learned.npz"  # words and vectors before and after, for checking without the engine

# Word order: made-up 4-d embeddings; attention uses them as queries, keys and values (no projections).
ORDER_VECTORS = {"dog": [1.0, 0.2, -0.5, 0.3], "bites": [-0.4, 0.9, 0.1, -0.6], "man": [0.3, -0.7, 0.8, 0.5]}
SENTENCES = (("dog", "bites", "man"), ("man", "bites", "dog"))
BLOCK_SIZE = 16  # positions a learned table has vectors for
# RoPE: one query and one key (4-d), placed at pairs of positions (m, n).
QUERY, KEY = [1.0, 0.5, -0.3, 0.8], [0.2, -1.0, 0.7, 0.4]
ROPE_PAIRS = ((3, 1), (103, 101), (5003, 5001), (3, 2), (1, 3))
PE_LENGTH, PE_DIM = 64, 32
PE_PNG = "embeddings_sinusoidal.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast=True`` trains the embeddings for FAST_STEPS steps instead of STEPS."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = sentences()
    vocab = sorted({word for sentence in corpus for word in sentence.split()})
    history = train(corpus, vocab, FAST_STEPS if fast else STEPS)
    np.savez(out_dir / EMBEDDINGS_NPZ, words=np.array(vocab), **{f"step_{s}": e for s, e in history.items()})
    return [
        _corpus_step(corpus, vocab),
        _similarity_step(history, vocab),
        _projection_step(history, vocab, out_dir),
        _word_order_step(),
        _sinusoidal_step(out_dir),
        _rope_step(),
    ]


def sentences():
    """The generated corpus: animals doing actions, and people wanting ideas."""
    corpus = [
        template.format(animal=animal, action=action)
        for template in ANIMAL_TEMPLATES
        for animal in GROUPS["animals"]
        for action in GROUPS["actions"]
    ]
    return corpus + [template.format(idea=idea) for template in ABSTRACT_TEMPLATES for idea in GROUPS["abstract"]]


def skipgram_pairs(corpus, vocab):
    """(word, neighbour) id pairs: every word with each word at most WINDOW places away in its sentence."""
    index = {word: i for i, word in enumerate(vocab)}
    pairs = []
    for sentence in corpus:
        ids = [index[word] for word in sentence.split()]
        for i, centre in enumerate(ids):
            pairs += [(centre, ids[j]) for j in range(max(0, i - WINDOW), min(len(ids), i + WINDOW + 1)) if j != i]
    return np.array(pairs)


def train(corpus, vocab, n_steps):
    """Embedding → Linear → cross-entropy on the neighbours; the embedding table at steps 0, SNAPSHOT and n_steps."""
    pairs = skipgram_pairs(corpus, vocab)
    rng = np.random.default_rng(SEED)
    embedding, predict = nn.Embedding(len(vocab), DIM, rng=rng), nn.Linear(DIM, len(vocab), rng=rng)
    optimizer = optim.Adam(embedding.parameters() + predict.parameters(), lr=LR)
    history = {0: embedding.weight.data.copy()}
    for step in range(1, n_steps + 1):
        loss = F.cross_entropy(predict(embedding(pairs[:, 0])), pairs[:, 1])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step in (SNAPSHOT, n_steps):
            history[step] = embedding.weight.data.copy()
    return history


def cosines(vectors):
    """The table of cosine similarities between the rows: dot products of the rows scaled to length 1 (§12)."""
    e = tensor(vectors)
    unit = e / (e * e).sum(axis=1, keepdims=True).sqrt()
    return (unit @ unit.T).data


def _group_words():
    return [word for group in GROUPS.values() for word in group]


def _rows(table, vocab, words):
    """The rows of an embedding table for ``words``."""
    return table[[vocab.index(word) for word in words]]


def _corpus_step(corpus, vocab):
    pairs = skipgram_pairs(corpus, vocab)
    return Step("§14 A tiny corpus: which words keep the same company?").say(
        f"{len(corpus)} generated sentences, {len(vocab)} distinct words, for example:",
        *(f"  \"{sentence}\"" for sentence in (corpus[0], corpus[25], corpus[-7], corpus[-1])),  # a few kinds
        "Groups (the post's words and a few more):",
        *(f"  {name:9} {', '.join(words)}" for name, words in GROUPS.items()),
        f"Task (skip-gram): from a word, predict each word up to {WINDOW} places away: {len(pairs)} (word, neighbour)"
        " pairs.",
        f"Model: Embedding({len(vocab)}, {DIM}) → Linear({DIM}, {len(vocab)}) → softmax; loss: cross-entropy (§9).",
        "No one tells it the groups. Words that predict the same neighbours need the same vector to do it well.",
        f"(Here {DIM} dimensions; real models use 768–4096, but the clustering principle is the same.)",
    )


def _separation(table, vocab):
    """Mean cosine within groups and between groups, the smallest within and the largest between."""
    group = np.array([k for k, words in enumerate(GROUPS.values()) for _ in words])
    c = cosines(_rows(table, vocab, _group_words()))
    within = (group[:, None] == group[None, :]) & ~np.eye(len(group), dtype=bool)
    between = group[:, None] != group[None, :]
    return c[within].mean(), c[between].mean(), c[within].min(), c[between].max()


def _similarity_step(history, vocab):
    first, last = min(history), max(history)
    step = Step(f"§14 Cosine similarity before (random) and after {last} training steps")
    for when, title in ((first, "before training (random vectors)"), (last, f"after {last} Adam steps")):
        table = cosines(_rows(history[when], vocab, SHOWN))
        step.say(f"{title}:", "  " + " " * 10 + "".join(f"{w[:7]:>8}" for w in SHOWN))
        step.say(*(f"  {w:10}" + "".join(f"{c:+8.2f}" for c in row) for w, row in zip(SHOWN, table)))
    for when, title in ((first, "random"), (SNAPSHOT, f"step {SNAPSHOT}"), (last, f"step {last}")):
        within, between, low, high = step.record(f"{title}: separation", _separation(history[when], vocab))
        step.say(
            f"  {title:9} mean cosine within groups {within:+.2f}, between {between:+.2f};"
            f" smallest within {low:+.2f}, largest between {high:+.2f}"
        )
    within, between, low, high = _separation(history[last], vocab)
    beats = "beats" if within > between else "does NOT beat"
    everywhere = "every" if low > high else "not every"
    (_, cat_dog, cat_democracy), *_ = cosines(_rows(history[last], vocab, ("cat", "dog", "democracy")))
    step.record("trained: within beats between", bool(within > between))
    step.record("trained: every within pair beats every between pair", bool(low > high))
    step.record("trained: cat·dog", cat_dog)
    step.record("trained: cat·democracy", cat_democracy)
    as_the_post = "as the post says" if cat_dog > cat_democracy else "NOT as the post says"
    return step.say(
        f"Trained, within-group similarity {beats} between-group similarity ({everywhere} within pair beats every"
        " between pair).",
        f"cat·dog {cat_dog:+.2f} (near), cat·democracy {cat_democracy:+.2f} (far apart), {as_the_post}.",
    )


def _projection_step(history, vocab, out_dir):
    path = _projection_picture(history, vocab, out_dir / PROJECTION_PNG)
    return (
        Step("§14 The learned embeddings in 2-D: similar words cluster together")
        .say(
            f"Each panel projects the {DIM}-d vectors of the group words onto their two main directions (PCA).",
            f"Random at first; after {SNAPSHOT} steps the groups start to pull apart; trained, each group clusters.",
            f"  vectors saved: {out_dir / EMBEDDINGS_NPZ}",
        )
        .show(path, "the embeddings in 2-D (PCA): random, early, trained")
    )


def _projection_picture(history, vocab, path):
    """One panel per saved step: the group words' vectors projected onto their two main directions (PCA by SVD)."""
    picture = Figure(figsize=(10, 3.6), layout="constrained")
    panels = picture.subplots(1, len(history))
    labelled = []
    for axes, (when, table) in zip(panels, sorted(history.items())):
        vectors = _rows(table, vocab, _group_words())
        centred = vectors - vectors.mean(axis=0)
        _, _, directions = np.linalg.svd(centred, full_matrices=False)
        points = centred @ directions[:2].T
        start = 0
        for (name, group), colour in zip(GROUPS.items(), ("tab:orange", "tab:green", "tab:blue")):
            xy = points[start : start + len(group)]
            axes.scatter(xy[:, 0], xy[:, 1], color=colour, label=name)
            start += len(group)
        labelled.append((axes, points))
        axes.set_title("random (step 0)" if when == 0 else f"after {when} steps")
        axes.set_xlabel("1st principal direction")
    panels[0].set_ylabel("2nd principal direction")
    panels[0].legend(fontsize=8)
    picture.suptitle("§14 Embeddings as points: similar words cluster during training")
    words = _group_words()
    for axes, points in labelled:  # once every panel is drawn, so that the labels are placed where they will be
        label_points(axes, points, words)
    return save(picture, path)


def _word_order_step():
    dim = len(ORDER_VECTORS["dog"])
    learned = LearnedPositionalEmbedding(BLOCK_SIZE, dim, rng=SEED)
    results = {}
    for positions in ("none", "sinusoidal", "learned"):
        results[positions] = [_read(sentence, positions, learned) for sentence in SENTENCES]
    step = Step("§14 \"dog bites man\" vs \"man bites dog\": the same set of vectors")
    (mean_a, out_a, pooled_a), (mean_b, out_b, pooled_b) = results["none"]
    order = [SENTENCES[0].index(word) for word in SENTENCES[1]]  # where each word of sentence 2 sits in sentence 1
    dog = [sentence.index("dog") for sentence in SENTENCES]
    for name, gap in (("means", np.abs(mean_a - mean_b).max()),
                      ("outputs, reordered", np.abs(out_b - out_a[order]).max()),
                      ("pooled outputs", np.abs(pooled_a - pooled_b).max())):
        step.record(f"no positions: largest difference of the {name}", gap)
    step.say(
        "Made-up 4-d embeddings: " + ", ".join(f"{w} {v}" for w, v in ORDER_VECTORS.items()),
        "Self-attention softmax(X·Xᵀ/√d)·X over each sentence (no mask, no projections), without positions:",
        f"  mean of the embeddings: {_vector(mean_a)} vs {_vector(mean_b)},",
        f"    largest difference {np.abs(mean_a - mean_b).max():.1e}",
        f"  outputs of \"man bites dog\" = those of \"dog bites man\", reordered: largest difference"
        f" {np.abs(out_b - out_a[order]).max():.1e}",
        f"  pooled (mean) attention output: largest difference {np.abs(pooled_a - pooled_b).max():.1e}",
        "Without positions, attention only reorders: shuffle the words and the outputs shuffle the same way.",
        "A model that reads the pooled output cannot tell who bit whom.",
        "Add a position vector to each embedding first, and the two sentences read differently:",
    )
    for positions, name in (("sinusoidal", "sinusoidal positions"), ("learned", "learned positions")):
        (_, out_a, pooled_a), (_, out_b, pooled_b) = results[positions]
        step.record(f"{name}: largest difference of the pooled outputs", np.abs(pooled_a - pooled_b).max())
        step.record(f"{name}: \"dog\"'s outputs", (out_a[dog[0]], out_b[dog[1]]))
        step.say(
            f"  {name}: pooled outputs differ by up to {np.abs(pooled_a - pooled_b).max():.1e};",
            f"    \"dog\"'s output {_vector(out_a[dog[0]])} in sentence 1, {_vector(out_b[dog[1]])} in 2",
        )
    try:
        learned(tensor(np.zeros((BLOCK_SIZE + 1, dim))))
        refused = False
    except ValueError:
        refused = True
    step.record("a learned table refuses positions past its rows", refused)
    if refused:
        beyond = f"it has no vector for position {BLOCK_SIZE} and beyond (ValueError)"
    else:
        beyond = f"a learned table also answered for position {BLOCK_SIZE}"
    return step.say(
        "(This learned table is untrained, small random numbers as GPT-2's starts out (spread 0.02): hence the",
        " small difference, which training grows.)",
        f"A learned table has {BLOCK_SIZE} rows: {beyond}.",
    )


def _read(sentence, positions, learned):
    """Mean embedding, attention outputs (one row per word) and their mean, for one sentence."""
    x = tensor([ORDER_VECTORS[word] for word in sentence])
    if positions == "sinusoidal":
        x = x + sinusoidal_positions(len(sentence), x.shape[-1])
    elif positions == "learned":
        x = learned(x)
    out = scaled_dot_product_attention(x, x, x)
    return x.mean(axis=0).data, out.data, out.mean(axis=0).data


def _vector(values):
    return "[" + ", ".join(f"{v:+.3f}" for v in values) + "]"


def _sinusoidal_step(out_dir):
    table = sinusoidal_positions(PE_LENGTH, PE_DIM)
    rows = table.data
    gaps = np.linalg.norm(rows[:, None] - rows[None, :], axis=-1)[~np.eye(PE_LENGTH, dtype=bool)]
    step = Step("§14 Sinusoidal positions: a unique timestamp for every position")
    step.record("distance of the closest two rows", gaps.min())
    step.say(
        "PE[p, 2i] = sin(p·ωᵢ), PE[p, 2i+1] = cos(p·ωᵢ), with ωᵢ = 10000^(−2i/d):",
        "  row p is added to the embedding of the word at position p.",
        "Each pair of entries is a clock hand turning at its own speed, fast in the first columns, slow in the last.",
        f"  {PE_LENGTH} positions × {PE_DIM} dimensions: every entry in [{rows.min():+.2f}, {rows.max():+.2f}],"
        f" every row of length {np.linalg.norm(rows, axis=1).mean():.2f} (√{PE_DIM // 2}),",
        f"  and no two rows alike: the closest two are {gaps.min():.2f} apart.",
        "Nothing to learn, and defined for any position.",
    )
    return step.show(_sinusoidal_picture(rows, out_dir / PE_PNG), "the sinusoidal table, position × dimension")


def _sinusoidal_picture(rows, path):
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    image = axes.imshow(rows, aspect="auto", cmap="RdBu", vmin=-1, vmax=1, interpolation="nearest")
    axes.set_xlabel("dimension (pairs: sin, cos; slower to the right)")
    axes.set_ylabel("position in the sequence")
    axes.set_title("§14 Sinusoidal positional encoding: one row per position")
    picture.colorbar(image, ax=axes, label="value added to the embedding")
    return save(picture, path)


def _rope_step():
    q, k = tensor([QUERY]), tensor([KEY])
    step = Step("§14 RoPE: rotate queries and keys, and scores depend only on the distance")
    step.say(
        f"q = {QUERY}, k = {KEY}.",
        "apply_rope turns each pair of entries by an angle: the position times that pair's speed.",
        f"Unrotated, q·k = {(q @ k.T).item():+.4f}. Rotated, with the query at position m and the key at n:",
    )
    for m, n in ROPE_PAIRS:
        score = (apply_rope(q, positions=np.array([m])) @ apply_rope(k, positions=np.array([n])).T).item()
        step.record(f"score at m = {m}, n = {n}", score)
        step.say(f"  m = {m:5}, n = {n:5}, m − n = {m - n:+d}: score {score:+.6f}")
    return step.say(
        "The same distance gives the same score, at positions 3 or 5003: the rotation angles' difference is all that",
        "is left in the dot product. That is how RoPE can generalize to lengths the model hasn't seen before;",
        "a different distance, or the other order, gives a different score.",
    )
