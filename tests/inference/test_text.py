import pytest

from inference.errors import InputError
from inference.tasks import ORIGIN, SENTIMENT
from inference.text import (
    MAX_TEXT_CHARS,
    PAD_ID,
    UNK_ID,
    Vocab,
    clip_chars,
    name_chars,
    normalize_name,
    normalize_text,
    tokenize,
    truncate,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Горбачёв", "Gorbachev"),
        ("Müller", "Muller"),
        ("Nakamura", "Nakamura"),
        ("  O'Neill ", "O'Neill"),
        ("Ζαχαρίου", "Zachariou"),
        ("Παπαδόπουλος", "Papadopoulos"),
        ("van\u200b der\u202eBerg", "van der Berg"),
        ("Dvořák\x00", "Dvorak"),
        ("Nguyễn", "Nguyen"),
    ],
)
def test_names_are_transliterated_to_latin(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "😀😀", "!!!", "\x00\x01", "42"])
def test_names_without_letters_are_refused(raw: str) -> None:
    with pytest.raises(InputError):
        normalize_name(raw)


@pytest.mark.parametrize(("raw", "read"), [
    ("Nakamura 🙂", "Nakamura"), ("Müller 👍🏽", "Muller"), ("🇯🇵 Tanaka", "Tanaka"),
    ("Kowalski ❤️", "Kowalski"), ("O'Brien ★", "O'Brien")])
def test_a_name_is_read_without_the_emoji_beside_it_and_a_message_with_them(
        raw: str, read: str) -> None:
    admitted, cut = ORIGIN.admit(raw)
    assert normalize_name(admitted) == read and not cut
    assert SENTIMENT.admit("great 😂")[0] == "great 😂"  # in chat, an emoji is a word
    with pytest.raises(InputError, match="no letters"):
        normalize_name(ORIGIN.admit("👍🏽")[0])


def test_overlong_name_is_refused() -> None:
    with pytest.raises(InputError, match="64"):
        normalize_name("a" * 65)


def test_name_chars_are_case_folded() -> None:
    assert name_chars("McDonald") == list("mcdonald")


def test_tokenizer_keeps_contractions_and_exclamations() -> None:
    text = normalize_text("I didn't LIKE it!<br /><br />Not at all?? 10/10")
    assert tokenize(text) == ["i", "didn't", "like", "it", "!", "not", "at", "all", "?", "?",
                              "10", "10"]


@pytest.mark.parametrize("raw", ["", "   ", "😡😡😡", "...!!!", "\u200b\u200b"])
def test_texts_without_words_are_refused(raw: str) -> None:
    with pytest.raises(InputError):
        normalize_text(raw)


def test_truncation_keeps_head_and_tail() -> None:
    tokens = [str(i) for i in range(1000)]
    kept, cut = truncate(tokens, 400)
    assert cut and len(kept) == 400
    assert kept[0] == "0" and kept[-1] == "999"
    assert truncate(tokens[:10])[1] is False


def test_huge_text_is_clipped_and_flagged() -> None:
    raw = "good " * 3000 + "terrible ending"
    clipped, cut = clip_chars(raw)
    assert cut and len(clipped) <= MAX_TEXT_CHARS + 1 and clipped.endswith("terrible ending")
    vocab = Vocab.build([["good", "terrible", "ending"]])
    _, ids, truncated = SENTIMENT.pipeline().encode(vocab, raw)
    assert truncated and len(ids) == 400


def test_vocab_orders_by_frequency_and_maps_unknowns() -> None:
    vocab = Vocab.build([["b", "a", "b"], ["c", "b", "a"]], min_freq=2)
    assert vocab.itos == ("<pad>", "<unk>", "b", "a")
    assert vocab.encode(["a", "zzz"]) == [3, UNK_ID]
    assert PAD_ID not in vocab.encode(["a", "b", "c"])
