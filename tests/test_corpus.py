"""Tests for demos._corpus: the self-made training text, its split, and the unigram baseline."""

import math
import re
import time
from collections import Counter

import pytest

from demos._corpus import (
    ANIMAL_PLACES,
    MOVIES,
    NEXT_WORD,
    PHONE_PROMPT,
    make_corpus,
    train_val_split,
    unigram_cross_entropy,
)

PHONE = re.compile(re.escape(PHONE_PROMPT) + r'(\w+)"\.')
ANIMAL = re.compile(r"The (?:\w+ )?(\w+) (?:sat|slept|waited) on the (\w+)\.")
WEATHER = re.compile(r"On \w+day the chance of rain is (\d+)%, so (bring an umbrella|leave the umbrella at home)\.")
PERCENT = re.compile(r"What is (\d+)% of (\d+)\? (\d+)\.")
SUM = re.compile(r"What is (\d) \+ (\d)\? (\d+)\.")
MOVIE = re.compile(r"(.+) has action (\d+) and romance (\d+), so it is (an action movie|a romance|a bit of both)\.")


def test_same_seed_same_text_other_seed_other_text():
    assert make_corpus(seed=3) == make_corpus(seed=3)
    assert make_corpus(seed=3) != make_corpus(seed=4)


def test_size_speed_and_alphabet():
    start = time.perf_counter()
    text = make_corpus()
    assert time.perf_counter() - start < 1.0
    assert 50_000 <= len(text.encode()) <= 200_000
    assert text.endswith("\n") and len(text.splitlines()) == 3000
    assert text.isascii() and len(set(text)) < 70


def test_every_sentence_follows_its_rule():
    lines = make_corpus(seed=1).splitlines()
    kinds = Counter()
    places = dict(ANIMAL_PLACES)
    scores = {title: (action, romance) for title, action, romance in MOVIES}
    for line in lines:
        if m := PHONE.fullmatch(line):
            kinds["phone"] += 1
            assert m[1] in dict(NEXT_WORD)
        elif m := ANIMAL.fullmatch(line):
            kinds["animal"] += 1
            assert places[m[1]] == m[2]
        elif m := WEATHER.fullmatch(line):
            kinds["weather"] += 1
            assert (int(m[1]) >= 50) == (m[2] == "bring an umbrella")
        elif m := PERCENT.fullmatch(line):
            kinds["arithmetic"] += 1
            assert int(m[1]) * int(m[2]) == 100 * int(m[3])
        elif m := SUM.fullmatch(line):
            kinds["arithmetic"] += 1
            assert int(m[1]) + int(m[2]) == int(m[3])
        elif m := MOVIE.fullmatch(line):
            kinds["movie"] += 1
            action, romance = scores[m[1]]
            assert (int(m[2]), int(m[3])) == (action, romance)
            verdict = "an action movie" if action > romance else "a romance" if romance > action else "a bit of both"
            assert m[4] == verdict
        else:
            raise AssertionError(f"a line of no known kind: {line!r}")
    assert set(kinds) == {"phone", "animal", "weather", "arithmetic", "movie"}
    assert min(kinds.values()) > 400  # each kind about a fifth of 3000


def test_the_phone_words_follow_the_posts_distribution():
    """§1: way 60%, own 15%, phone 8%, ...; within 5 binomial standard errors over ~8,000 phone lines."""
    words = PHONE.findall(make_corpus(seed=2, n_sentences=40_000))
    counts = Counter(words)
    assert sum(p for _, p in NEXT_WORD) == pytest.approx(1.0)
    assert len({word[0] for word, _ in NEXT_WORD}) == len(NEXT_WORD)  # first letters tell the words apart
    for word, p in NEXT_WORD:
        assert abs(counts[word] / len(words) - p) <= 5 * math.sqrt(p * (1 - p) / len(words))


def test_train_and_validation_split_the_text_at_a_line_break():
    text = make_corpus()
    train, val = train_val_split(text, val_fraction=0.1)
    assert train + val == text
    assert train.endswith("\n") and val.endswith("\n") and not val.startswith("\n")
    assert len(val) / len(text) == pytest.approx(0.1, abs=0.01)
    assert len(train.splitlines()) + len(val.splitlines()) == len(text.splitlines())


def test_split_rejects_bad_fractions_and_texts_too_short():
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split("a\nb\n", val_fraction=1.0)
    with pytest.raises(ValueError, match="too short"):
        train_val_split("one line only\n", val_fraction=0.5)


def test_unigram_baseline_by_hand():
    # "aab": f(a) = 2/3, f(b) = 1/3; on itself the entropy −(2/3·ln 2/3 + 1/3·ln 1/3) = 0.6365 nats
    assert unigram_cross_entropy("aab") == pytest.approx(-(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)))
    assert unigram_cross_entropy("aab") == pytest.approx(0.636514168)
    # scored on "ab": −(ln 2/3 + ln 1/3)/2
    assert unigram_cross_entropy("aab", "ab") == pytest.approx(-(math.log(2 / 3) + math.log(1 / 3)) / 2)
    assert unigram_cross_entropy("aaaa") == 0.0
    with pytest.raises(ValueError, match=r"\['c'\] never occur"):
        unigram_cross_entropy("aab", "abc")
    with pytest.raises(ValueError, match="non-empty"):
        unigram_cross_entropy("")


def test_unigram_baseline_of_the_corpus_is_below_uniform_guessing():
    train, val = train_val_split(make_corpus())
    baseline = unigram_cross_entropy(train, val)
    assert 2.5 < baseline < math.log(len(set(train)))  # frequencies beat a uniform guess over the alphabet
    assert baseline == pytest.approx(unigram_cross_entropy(train), abs=0.05)
