"""A training text the project writes itself, from a seeded grammar: for the character-level GPT demos.

Nothing is downloaded or copied. Each line is one sentence about the post's
world, of five kinds, each with a regularity a tiny model can learn:

- §1's phone keyboard: after ``PHONE_PROMPT`` the word is drawn from the
  post's distribution (way 60%, own 15%, phone 8%, mind 5%, break 3%, and
  three more words for the remaining 9%, ``NEXT_WORD``). The words start
  with different letters, so a trained model's probabilities for the next
  character can be held against the true ones.
- §13's "The cat sat on the mat": every animal has its own place (cat → mat,
  dog → rug, bird → branch), which only looking back at the animal predicts.
- §1's weather forecast: the advice follows the chance of rain (50% or more:
  bring an umbrella).
- §16's arithmetic, always right: "What is 15% of 240? 36." and one-digit sums.
- §12's movies: fixed action and romance scores per title, and a verdict
  that compares them.

The same seed always gives the same text (Python's ``random.Random``).
"""

import math
import random
from collections import Counter

PHONE_PROMPT = 'I typed "I\'m on my" and the phone suggested "'
NEXT_WORD = (
    ("way", 0.60), ("own", 0.15), ("phone", 0.08), ("mind", 0.05),
    ("break", 0.03), ("train", 0.03), ("couch", 0.03), ("laptop", 0.03),
)
ANIMAL_PLACES = (("cat", "mat"), ("dog", "rug"), ("bird", "branch"))
ANIMAL_WORDS = ("", "black ", "white ", "little ", "old ", "sleepy ")
VERBS = ("sat", "slept", "waited")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PERCENTS = (5, 10, 15, 20, 25, 50, 75)
MOVIES = (  # (title, action 0–10, romance 0–10); the first three are §12's
    ("Die Hard", 9, 1), ("The Notebook", 1, 9), ("Mr. & Mrs. Smith", 7, 7),
    ("Star Chase", 8, 2), ("Rainy Kiss", 2, 8), ("Robot Picnic", 6, 3),
    ("Moon Letters", 3, 6), ("Iron Waltz", 5, 5),
)


def _phone(rng):
    words, weights = zip(*NEXT_WORD)
    return f'{PHONE_PROMPT}{rng.choices(words, weights)[0]}".'


def _animal(rng):
    animal, place = rng.choice(ANIMAL_PLACES)
    return f"The {rng.choice(ANIMAL_WORDS)}{animal} {rng.choice(VERBS)} on the {place}."


def _weather(rng):
    chance = rng.randrange(0, 101, 10)
    advice = "bring an umbrella" if chance >= 50 else "leave the umbrella at home"
    return f"On {rng.choice(DAYS)} the chance of rain is {chance}%, so {advice}."


def _arithmetic(rng):
    if rng.random() < 0.5:
        percent, whole = rng.choice(PERCENTS), rng.randrange(20, 401, 20)  # whole / 20 and percent / 5 are integers
        return f"What is {percent}% of {whole}? {percent * whole // 100}."
    a, b = rng.randrange(10), rng.randrange(10)
    return f"What is {a} + {b}? {a + b}."


def _movie(rng):
    title, action, romance = rng.choice(MOVIES)
    verdict = "an action movie" if action > romance else "a romance" if romance > action else "a bit of both"
    return f"{title} has action {action} and romance {romance}, so it is {verdict}."


SENTENCES = (_phone, _animal, _weather, _arithmetic, _movie)


def make_corpus(seed=0, n_sentences=3000):
    """``n_sentences`` lines, each from one of the five kinds chosen at random (about 140 KB for 3000)."""
    rng = random.Random(seed)
    return "".join(rng.choice(SENTENCES)(rng) + "\n" for _ in range(n_sentences))


def train_val_split(text, val_fraction=0.1):
    """``(train, validation)``: the text cut at the line break nearest before ``1 − val_fraction`` of it.

    The two parts are disjoint and ``train + validation == text``; both hold
    whole lines. Short sentences recur in both (the grammar repeats itself),
    so the validation loss measures how well the grammar was learnt, not how
    well particular lines were memorised.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must lie in (0, 1), got {val_fraction!r}")
    cut = text.rfind("\n", 0, round(len(text) * (1 - val_fraction))) + 1
    if cut == 0 or cut == len(text):
        raise ValueError("train_val_split: the text is too short to cut into two parts at a line break")
    return text[:cut], text[cut:]


def unigram_cross_entropy(train, evaluate=None):
    """−(1/N)·Σ log f(c) over the N characters c of ``evaluate``, with f(c) c's frequency in ``train`` (nats/char).

    The §9 cross-entropy of a model that ignores context and always predicts
    the training text's character frequencies: a language model has learnt
    something from context only if its loss on ``evaluate`` comes out below
    this baseline. With ``evaluate=None`` it is scored on ``train`` itself,
    which gives the entropy −Σ f·log f of those frequencies (§8).
    """
    evaluate = train if evaluate is None else evaluate
    if not train or not evaluate:
        raise ValueError("unigram_cross_entropy: needs non-empty texts")
    counts = Counter(train)
    unseen = sorted(set(evaluate) - counts.keys())
    if unseen:
        raise ValueError(
            f"unigram_cross_entropy: {unseen} never occur in the training text, so their frequency is 0 "
            "and the cross-entropy is infinite"
        )
    total = len(train)
    return -sum(n * math.log(counts[char] / total) for char, n in Counter(evaluate).items()) / len(evaluate)
