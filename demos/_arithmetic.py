"""The GRPO demo's task: additions of two-digit numbers, with an answer a program can check (§16).

The post's example question is "What is 15% of 240?"; here the questions are
shrunk to fit a tiny character-level model on a CPU:

    prompt "27+35="   (two numbers from 10 to 49, so every prompt has 6 characters)
    answer "62."      (the sum, 20 to 98, then "." to say the answer is over)

The verifier is exact: the reward is 1 if the characters before the first
"." are digits that spell the true sum, else 0. No partial credit and no
gradient: a black box, as §16 says rewards are. The 40 × 40 questions are
split once, by seed, into a training set (for pre-training and for the RL
prompts) and a held-out set that neither ever sees: accuracy there measures
whether the model learnt to add or only remembered answers.
"""

import numpy as np

from tensorgrad import CharTokenizer

END = "."
LOW, HIGH = 10, 49  # the numbers added, both ends included
PROMPT_LENGTH = 6  # "ab+cd="
MAX_ANSWER = 3  # two digits, then END: the most a model may write
TOKENIZER = CharTokenizer("0123456789+=" + END)
END_ID = int(TOKENIZER.encode(END)[0])
IGNORE = -1  # the target of positions that carry no loss: cross_entropy's ignore_index
HELD_OUT = 300  # questions kept aside for measuring accuracy


def prompt(a, b):
    return f"{a}+{b}="


def answer(a, b):
    return f"{a + b}{END}"


def split(seed):
    """(train, held_out): all pairs (a, b) with LOW ≤ a, b ≤ HIGH, shuffled by ``seed``, as int arrays (n, 2)."""
    numbers = range(LOW, HIGH + 1)
    pairs = np.array([(a, b) for a in numbers for b in numbers])
    order = np.random.default_rng(seed).permutation(len(pairs))
    return pairs[order[HELD_OUT:]], pairs[order[:HELD_OUT]]


def prompt_ids(pairs):
    """The prompts of ``pairs`` as token ids (n, PROMPT_LENGTH)."""
    return np.stack([TOKENIZER.encode(prompt(a, b)) for a, b in pairs])


def examples(pairs):
    """Pre-training rows (§9): (inputs, targets), each (n, PROMPT_LENGTH + MAX_ANSWER − 1).

    A row is the prompt and its answer. The target at position t is the
    token at t + 1 where that token belongs to the answer, and IGNORE at the
    prompt: the model is taught to answer, not to invent questions.
    """
    ids = np.stack([TOKENIZER.encode(prompt(a, b) + answer(a, b)) for a, b in pairs])
    targets = ids[:, 1:].copy()
    targets[:, : PROMPT_LENGTH - 1] = IGNORE
    return ids[:, :-1], targets


def completion_mask(tokens):
    """True at the generated tokens (n, MAX_ANSWER) that make the answer: up to and including the first END.

    What comes after END is not part of the answer, so it carries no reward
    and no learning signal (the ``completion_mask`` of ``GRPOTrainer.step``).
    """
    ended = tokens == END_ID
    length = np.where(ended.any(axis=1), ended.argmax(axis=1) + 1, tokens.shape[1])
    return np.arange(tokens.shape[1]) < length[:, None]


def rewards(tokens, pairs):
    """The verifier: 1.0 where the generated tokens spell the true sum followed by END, else 0.0."""
    out = np.zeros(len(tokens))
    for i, (row, (a, b)) in enumerate(zip(tokens, pairs)):
        text = TOKENIZER.decode(row)
        written = text.split(END)[0]
        out[i] = END in text and written.isdigit() and int(written) == a + b
    return out
