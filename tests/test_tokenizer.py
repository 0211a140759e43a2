"""Tests for tensorgrad.tokenizer.CharTokenizer: ids, round trips, clear errors, saving (§14)."""

import json

import numpy as np
import pytest

from tensorgrad import Tensor
from tensorgrad.tokenizer import CharTokenizer

TEXT = 'The cat sat on the mat.\nWhat is 15% of 240? 36.\n"I\'m on my way" — ✓'


def test_vocabulary_is_the_sorted_distinct_characters():
    tok = CharTokenizer("hello world")
    assert tok.chars == " dehlorw"
    assert tok.vocab_size == 8
    assert CharTokenizer("world hello") == tok  # order of appearance does not matter
    assert tok.encode("hello").tolist() == [3, 2, 4, 4, 5]


def test_encode_decode_round_trip():
    tok = CharTokenizer(TEXT)
    ids = tok.encode(TEXT)
    assert ids.dtype == np.int64 and ids.shape == (len(TEXT),)
    assert ids.min() >= 0 and ids.max() < tok.vocab_size
    assert tok.decode(ids) == TEXT
    assert tok.decode(ids.tolist()) == TEXT
    assert tok.decode(Tensor(ids)) == TEXT
    assert tok.decode(ids[:0]) == tok.decode([]) == ""
    assert tok.encode("").shape == (0,)


def test_unknown_characters_are_listed_with_their_positions():
    tok = CharTokenizer("abc ")
    with pytest.raises(ValueError, match="not in the vocabulary") as error:
        tok.encode("ab!c\nb!!a!x!!")
    message = str(error.value)
    assert "3 character(s)" in message
    assert "'!' at 2, 6, 7, 9, 11 and 1 more" in message  # the first five positions, then a count
    assert "'\\n' at 4" in message  # shown as repr, so whitespace is visible
    assert "'x' at 10" in message


def test_unknown_characters_in_order_of_first_appearance():
    with pytest.raises(ValueError, match=r"3 character\(s\).*'x' at 1; 'y' at 2, 4; 'z' at 3") as error:
        CharTokenizer("a").encode("axyzy")
    assert "unknown='?'" in str(error.value)


def test_an_explicit_unknown_token_only_when_asked():
    tok = CharTokenizer("abc", unknown="?")
    assert tok.chars == "?abc" and tok.vocab_size == 4
    assert tok.decode(tok.encode("abxc?")) == "ab?c?"
    assert CharTokenizer("abc?", unknown="?").chars == "?abc"  # already there: not added twice
    with pytest.raises(ValueError, match="single character"):
        CharTokenizer("abc", unknown="??")


def test_decode_reports_ids_out_of_range():
    tok = CharTokenizer("abc")
    with pytest.raises(ValueError, match=r"\[0, 3\).*got 3 at 1, -1 at 3"):
        tok.decode([0, 3, 1, -1])
    with pytest.raises(TypeError, match="integers"):
        tok.decode([0.0, 1.0])
    with pytest.raises(ValueError, match="1-d"):
        tok.decode([[0, 1], [1, 2]])


def test_bad_inputs_are_reported():
    with pytest.raises(ValueError, match="empty"):
        CharTokenizer("")
    with pytest.raises(TypeError, match="str"):
        CharTokenizer(["a", "b"])
    with pytest.raises(TypeError, match="str"):
        CharTokenizer("ab").encode([0, 1])


@pytest.mark.parametrize("unknown", [None, "?"])
def test_save_and_load_as_json(unknown):
    tok = CharTokenizer(TEXT, unknown=unknown)
    saved = tok.to_json()
    assert json.loads(saved)["chars"] == tok.chars  # plain JSON, readable anywhere
    loaded = CharTokenizer.from_json(saved)
    assert loaded == tok and loaded.unknown == unknown
    np.testing.assert_array_equal(loaded.encode(TEXT), tok.encode(TEXT))
    assert repr(loaded) == repr(tok)


def test_save_and_load_inside_an_npz_without_pickle(tmp_path):
    tok = CharTokenizer(TEXT)
    path = tmp_path / "model.npz"
    np.savez(path, vocab=tok.to_json(), weights=np.ones(3))
    with np.load(path, allow_pickle=False) as saved:
        loaded = CharTokenizer.from_json(str(saved["vocab"]))
    assert loaded == tok


def test_loading_a_changed_vocabulary_is_refused():
    data = json.loads(CharTokenizer("abc").to_json())
    with pytest.raises(ValueError, match="distinct and sorted"):
        CharTokenizer.from_json(json.dumps({**data, "chars": "bac"}))
    with pytest.raises(ValueError, match="distinct and sorted"):
        CharTokenizer.from_json(json.dumps({**data, "unknown": "?"}))
    with pytest.raises(ValueError, match="to_json"):
        CharTokenizer.from_json(json.dumps(["a", "b"]))
