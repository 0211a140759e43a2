"""The §14 demo, headless and fast: clusters, word order and RoPE recomputed here with plain NumPy."""

import numpy as np
import pytest
from demo_checks import printed, recorded

from demos import embeddings
from demos._stepper import claims


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run("embeddings")


@pytest.fixture(scope="module")
def saved(demo):
    """{step: {word: vector}} from the saved embedding tables."""
    _, out_dir = demo
    with np.load(out_dir / embeddings.EMBEDDINGS_NPZ) as npz:
        words = list(npz["words"])
        return {int(key.split("_")[1]): dict(zip(words, npz[key])) for key in npz.files if key != "words"}


def cosine(a, b):
    return a @ b / np.linalg.norm(a) / np.linalg.norm(b)


def separation(vectors):
    """Mean cosine within and between the demo's groups, the smallest within and the largest between."""
    within, between = [], []
    groups = list(embeddings.GROUPS.values())
    for i, group in enumerate(groups):
        for j, other in enumerate(groups):
            for a in group:
                for b in other:
                    if i != j:
                        between.append(cosine(vectors[a], vectors[b]))
                    elif a != b:
                        within.append(cosine(vectors[a], vectors[b]))
    return np.mean(within), np.mean(between), min(within), max(between)


def test_the_tables_are_saved_at_the_start_the_snapshot_and_the_end(saved):
    assert sorted(saved) == [0, embeddings.SNAPSHOT, embeddings.FAST_STEPS]
    assert all(vector.shape == (embeddings.DIM,) for vectors in saved.values() for vector in vectors.values())


def test_random_vectors_do_not_cluster_and_trained_ones_do(saved):
    within, between, low, high = separation(saved[0])
    assert within - between < 0.1 and low < high  # random: groups mean nothing yet
    within, between, low, high = separation(saved[embeddings.FAST_STEPS])
    assert within > between + 0.5 and low > high  # trained: every same-group pair beats every cross-group pair
    trained = saved[embeddings.FAST_STEPS]
    assert cosine(trained["cat"], trained["dog"]) > 0.8 and cosine(trained["cat"], trained["democracy"]) < 0


def test_printed_similarities_match_the_saved_vectors(demo, saved):
    steps, _ = demo
    said = recorded(steps, "§14 Cosine similarity")
    for when, label in ((0, "random"), (embeddings.SNAPSHOT, f"step {embeddings.SNAPSHOT}"),
                        (embeddings.FAST_STEPS, f"step {embeddings.FAST_STEPS}")):
        assert list(said[f"{label}: separation"]) == pytest.approx(separation(saved[when]), abs=0.0051)
    trained = saved[embeddings.FAST_STEPS]
    cat_dog, cat_democracy = (cosine(trained["cat"], trained[w]) for w in ("dog", "democracy"))
    assert said["trained: cat·dog"] == pytest.approx(cat_dog, abs=0.005)
    assert said["trained: cat·democracy"] == pytest.approx(cat_democracy, abs=0.005)
    assert said["trained: within beats between"] is True
    assert said["trained: every within pair beats every between pair"] is True


def attend(x):
    """softmax(X·Xᵀ/√d)·X, row by row."""
    scores = x @ x.T / np.sqrt(x.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True) @ x


def sinusoidal(length, dim):
    table = np.zeros((length, dim))
    for p in range(length):
        for i in range(0, dim, 2):
            table[p, i] = np.sin(p / 10000 ** (i / dim))
            if i + 1 < dim:
                table[p, i + 1] = np.cos(p / 10000 ** (i / dim))
    return table


def test_word_order_is_invisible_without_positions_and_visible_with_them(demo):
    steps, _ = demo
    said = recorded(steps, "§14 \"dog bites man\"")
    none = [said[f"no positions: largest difference of the {name}"] for name in ("means", "outputs, reordered",
                                                                               "pooled outputs")]
    assert max(none) < 1e-12
    with_positions = [said[f"{name} positions: largest difference of the pooled outputs"]
                      for name in ("sinusoidal", "learned")]
    assert min(with_positions) > 1e-3
    first, second = ([embeddings.ORDER_VECTORS[w] for w in sentence] for sentence in embeddings.SENTENCES)
    pe = sinusoidal(3, 4)
    out_first, out_second = attend(np.array(first) + pe), attend(np.array(second) + pe)
    assert with_positions[0] == pytest.approx(np.abs(out_first.mean(0) - out_second.mean(0)).max(), rel=0.06)
    for shown_row, ours in zip(said["sinusoidal positions: \"dog\"'s outputs"], (out_first[0], out_second[2])):
        assert list(shown_row) == pytest.approx(ours, abs=0.0006)
    assert np.abs(attend(np.array(second)) - attend(np.array(first))[[2, 1, 0]]).max() < 1e-12
    assert said["a learned table refuses positions past its rows"] is True


def test_sinusoidal_rows_are_distinct(demo):
    steps, _ = demo
    table = sinusoidal(embeddings.PE_LENGTH, embeddings.PE_DIM)
    gaps = np.linalg.norm(table[:, None] - table[None, :], axis=-1)[~np.eye(embeddings.PE_LENGTH, dtype=bool)]
    closest = recorded(steps, "§14 Sinusoidal")["distance of the closest two rows"]
    assert closest == pytest.approx(gaps.min(), abs=0.005)  # printed to 2 decimals


def rotate(x, position):
    """RoPE by hand: pair (x[2i], x[2i+1]) turned by position · 10000^(−2i/d)."""
    x, out = np.array(x, dtype=float), np.empty(len(x))
    for i in range(0, len(x), 2):
        angle = position * 10000 ** (-i / len(x))
        out[i] = x[i] * np.cos(angle) - x[i + 1] * np.sin(angle)
        out[i + 1] = x[i] * np.sin(angle) + x[i + 1] * np.cos(angle)
    return out


def test_rope_scores_depend_only_on_the_distance(demo):
    steps, _ = demo
    said = recorded(steps, "§14 RoPE")
    scores = {(m, n): said[f"score at m = {m}, n = {n}"] for m, n in embeddings.ROPE_PAIRS}
    assert len(said) == len(scores)
    for (m, n), score in scores.items():
        assert score == pytest.approx(rotate(embeddings.QUERY, m) @ rotate(embeddings.KEY, n), abs=5e-6)
    # printed to 6 decimals, the same at the same distance
    assert round(scores[(3, 1)], 6) == round(scores[(103, 101)], 6) == round(scores[(5003, 5001)], 6)
    assert abs(scores[(3, 2)] - scores[(3, 1)]) > 0.1 and abs(scores[(1, 3)] - scores[(3, 1)]) > 0.1


def test_no_claims_the_post_gives_no_numbers_here(demo):
    steps, _ = demo
    assert claims(steps) == []


def test_pictures_are_attached_and_written(demo):
    steps, _ = demo
    pictures = [path for step in steps for path, _ in step.pictures]
    assert [path.name for path in pictures] == [embeddings.PROJECTION_PNG, embeddings.PE_PNG]
    for path in pictures:
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size < 150_000


def test_renders(demo):
    steps, _ = demo
    shown = printed(steps)
    assert all(step.title in shown for step in steps)
