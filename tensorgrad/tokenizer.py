"""Text as numbers, one character per token: the first step before any embedding (§14).

A character-level vocabulary is the smallest that works: every distinct
character of a text gets an id, and a model's logits have one entry per id.
Real LLMs use sub-word tokens (100,000+ of them, §1), but the model does
not care what a token stands for; characters keep the demos small and every
step visible.
"""

import json

import numpy as np

from tensorgrad import checks

# How many positions of each unknown character an error message lists.
SHOWN_POSITIONS = 5


class CharTokenizer:
    """Ids for the distinct characters of ``text``, in sorted order.

    Sorting makes the vocabulary depend only on *which* characters occur, not
    on where they first appear, so the same text always gives the same ids.
    ``encode`` rejects a character outside the vocabulary, listing it and its
    positions; pass ``unknown="?"`` (any one character, added to the
    vocabulary) to map such characters to that token instead.
    ``to_json``/``from_json`` save and restore the vocabulary as plain text.
    """

    def __init__(self, text, unknown=None):
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer: needs a str to take its characters from, got {type(text).__name__}")
        if unknown is not None and not (isinstance(unknown, str) and len(unknown) == 1):
            raise ValueError(f"CharTokenizer: unknown must be None or a single character, got {unknown!r}")
        chars = set(text) | ({unknown} if unknown is not None else set())
        if not chars:
            raise ValueError("CharTokenizer: the text is empty, so there is no character to make a vocabulary of")
        self.chars = "".join(sorted(chars))
        self.unknown = unknown
        self._ids = {char: i for i, char in enumerate(self.chars)}

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        """The id of each character of ``text``: an int64 array of shape (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: needs a str, got {type(text).__name__}")
        ids = np.array([self._ids.get(char, -1) for char in text], dtype=np.int64)
        missing = ids < 0
        if missing.any():
            if self.unknown is None:
                raise ValueError(self._unknown_characters(text, np.flatnonzero(missing)))
            ids[missing] = self._ids[self.unknown]
        return ids

    def decode(self, ids):
        """The text that a sequence of ids (a list, a 1-d integer array or Tensor) stands for."""
        ids = checks.array(ids)
        if ids.size == 0:
            return ""
        ids = checks.integers(ids, "CharTokenizer.decode", "ids")
        if ids.ndim > 1:
            raise ValueError(f"CharTokenizer.decode: takes one sequence of ids (1-d), got shape {ids.shape}; decode each row")
        ids = ids.reshape(-1)
        bad = np.flatnonzero((ids < 0) | (ids >= self.vocab_size))
        if bad.size:
            listed = ", ".join(f"{ids[i]} at {i}" for i in bad[:SHOWN_POSITIONS])
            more = f" and {bad.size - SHOWN_POSITIONS} more" if bad.size > SHOWN_POSITIONS else ""
            raise ValueError(f"CharTokenizer.decode: ids must lie in [0, {self.vocab_size}) for this vocabulary, "
                             f"got {listed}{more}")
        return "".join(self.chars[i] for i in ids)

    def to_json(self):
        """The vocabulary as a JSON string (to store beside a model, e.g. ``np.savez(f, vocab=tok.to_json())``)."""
        return json.dumps({"tokenizer": "CharTokenizer", "chars": self.chars, "unknown": self.unknown})

    @classmethod
    def from_json(cls, text):
        """The tokenizer that ``to_json`` wrote, with the same ids."""
        data = json.loads(text)
        if not (isinstance(data, dict) and data.get("tokenizer") == "CharTokenizer" and isinstance(data.get("chars"), str)):
            raise ValueError("CharTokenizer.from_json: not a vocabulary written by CharTokenizer.to_json")
        chars, unknown = data["chars"], data.get("unknown")
        if chars != "".join(sorted(set(chars))) or (unknown is not None and unknown not in chars):
            raise ValueError("CharTokenizer.from_json: the characters must be distinct and sorted, and include the unknown "
                             "token; the vocabulary was changed after it was saved")
        return cls(chars, unknown=unknown)

    def __eq__(self, other):
        if not isinstance(other, CharTokenizer):
            return NotImplemented
        return (self.chars, self.unknown) == (other.chars, other.unknown)

    def __repr__(self):
        unknown = f", unknown={self.unknown!r}" if self.unknown is not None else ""
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={self.chars!r}{unknown})"

    def _unknown_characters(self, text, positions):
        """The error message for characters outside the vocabulary: each one, with where it occurs."""
        where = {}
        for i in positions:
            where.setdefault(text[i], []).append(int(i))
        listed = "; ".join(
            f"{char!r} at {', '.join(map(str, spots[:SHOWN_POSITIONS]))}"
            + (f" and {len(spots) - SHOWN_POSITIONS} more" if len(spots) > SHOWN_POSITIONS else "")
            for char, spots in where.items()
        )
        return (
            f"CharTokenizer.encode: {len(where)} character(s) not in the vocabulary of {self.vocab_size}: "
            f"{listed}. Build the tokenizer from a text that contains them, or pass unknown='?' "
            "to map every unknown character to one token"
        )
