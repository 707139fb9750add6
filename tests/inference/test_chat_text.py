"""The chat tokenizer (sentiment pipelines v2 and v3): every item of issue 15's Deliver 1,
questions' outer negation (v3), and v1 and v2 left as the checkpoints that record them read
them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inference.chat_text import (
    _cleaned,
    normalize_chat,
    tokenize_chat,
    tokenize_chat_v3,
    tokenize_chat_v5,
)
from inference.errors import InputError
from inference.tasks import SENTIMENT


def units(raw: str) -> list[str]:
    return tokenize_chat(normalize_chat(raw))


@pytest.mark.parametrize(("raw", "want"), [
    ("I didn't like it", ["i", "did", "not", "like", "it"]),
    ("isn't it", ["is", "not", "it"]),
    ("can't, won't, ain't", ["can", "not", "will", "not", "is", "not"]),
    ("not bad", ["not", "bad"]),
    ("doesn't WORK", ["does", "not", "<caps>", "work"]),
])
def test_contractions_and_negations_read_as_not(raw: str, want: list[str]) -> None:
    assert units(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("it does n't work", ["it", "does", "not", "work"]),  # SST-2's treebank spacing
    ("i ca n't , it 's bad", ["i", "can", "not", "it's", "bad"]),
    ("wo n't", ["will", "not"]),
    ("n't", ["not"]),  # a lone clitic never becomes an empty token
])
def test_treebank_spacing_reads_like_typed_text(raw: str, want: list[str]) -> None:
    assert units(raw) == want


def test_emoji_are_tokens_of_their_own() -> None:
    assert units("love it 😍") == ["love", "it", "emoji_heart_eyes"]
    assert units("❤️ heart") == ["emoji_heart", "heart"]  # the emoji is not the word
    assert units("👍👎") == ["emoji_thumbsup", "emoji_thumbsdown"]


@pytest.mark.parametrize(("raw", "want"), [
    (":) see you", ["emo_smile", "see", "you"]), (":( missed it", ["emo_frown", "missed", "it"]),
    ("best day :D", ["best", "day", "emo_smile"]), ("ugh :/", ["ugh", "emo_skeptical"]),
    ("<3", ["emo_heart"]), (":'(", ["emo_cry"]), ("boxd", ["boxd"]),  # not in a word
])
def test_emoticons_are_tokens(raw: str, want: list[str]) -> None:
    assert units(raw) == want


def test_elongations_fold_to_one_token() -> None:
    assert units("soooo goooood") == units("sooo good") == ["soo", "good"]
    assert units("loooooove it!!!") == ["loove", "it", "!", "!", "!"]
    assert units("good") == ["good"]  # two letters stay


def test_links_and_mentions_are_placeholders() -> None:
    assert units("@bob look https://example.com/x?y=1 and www.a.b") == [
        "<user>", "look", "<url>", "and", "<url>"]
    assert units("<@123456> <@!42> hi") == ["<user>", "<user>", "hi"]


def test_case_is_folded_but_capitals_are_marked() -> None:
    assert units("This is AWESOME") == ["this", "is", "<caps>", "awesome"]
    assert units("I A") == ["i", "a"]  # one letter is no shouting


def test_nothing_to_read_is_refused() -> None:
    for raw in ("... ---", "!!! ???", ""):
        with pytest.raises(InputError, match="no words I can read"):
            normalize_chat(raw)
    assert units(":)") == ["emo_smile"]  # an emoticon alone is a message


@given(st.text(alphabet=st.sampled_from("aZ9 !?.,:;)(-_'<>@#/😍é\n\t"), max_size=12))
def test_a_text_is_refused_exactly_when_nothing_but_punctuation_is_left(raw: str) -> None:
    try:
        text = normalize_chat(raw)
    except InputError:
        assert not set(tokenize_chat(_cleaned(raw))) - {"!", "?"}
    else:
        assert set(tokenize_chat(text)) - {"!", "?"}


def test_new_models_read_v6_and_older_versions_stay_as_they_were() -> None:
    assert SENTIMENT.preprocess_version == 6 and SENTIMENT.pipeline() is SENTIMENT.pipeline(6)
    v1, v2, v3, v4, v5, v6 = (SENTIMENT.pipeline(v) for v in (1, 2, 3, 4, 5, 6))
    assert v1.read_as(v1.normalize("I didn't like it :)")) == "i didn't like it"
    assert v2.read_as(v2.normalize("I didn't like it :)")) == "i did not like it emo_smile"
    assert v2.read_as(v2.normalize("isn't it great?")) == "is not it great ?"
    assert v3.read_as(v3.normalize("isn't it great?")) == "is it great ?"
    assert v3.extends == 2 and v3.normalize is v2.normalize  # stored texts keep their keys
    # v4 reads v3's units; only the ids of words the vocabulary lacks differ
    assert v4.extends == 3 and v4.normalize is v3.normalize and v4.tokenize is v3.tokenize
    assert v4.respell and not (v1.respell or v2.respell or v3.respell)
    # v5 reads v4's units, but outer negation as the statement asked about
    assert v5.extends == 4 and v5.normalize is v4.normalize and v5.respell
    assert v4.read_as(v4.normalize("isn't it great?")) == "is it great ?"
    assert v5.read_as(v5.normalize("isn't it great?")) == "it great"
    assert v5.read_as(v5.normalize("is it great?")) == "is it great ?"
    # v6 reads v5's units; only real words the vocabulary lacks read otherwise
    assert v6.extends == 5 and v6.tokenize is v5.tokenize and v6.respell_english
    assert not any(v.respell_english for v in (v1, v2, v3, v4, v5))


@pytest.mark.parametrize(("raw", "want"), [
    ("this isnt bad", "this is not bad"),
    ("i DONT like it", "i <caps> do not like it"),
    ("it wasnt good, didnt work", "it was not good did not work"),
    ("cant complain, wont regret it, aint bad", "can not complain will not regret it is not bad"),
])
def test_v3_reads_negations_typed_without_an_apostrophe_as_v2_reads_them_with_one(
    raw: str, want: str
) -> None:
    assert " ".join(tokenize_chat_v3(normalize_chat(raw))) == want
    assert " ".join(tokenize_chat(normalize_chat(raw))) != want  # v2: words of their own


@pytest.mark.parametrize(("raw", "want"), [
    ("isn't this amazing?", "is this amazing ?"),
    ("isnt this amazing?", "is this amazing ?"),
    ("Cant you see?", "can you see ?"),
    ("Wasn't that a great game?!", "was that a great game ? !"),
    ("don't you hate it when it rains?", "do you hate it when it rains ?"),
    ("Can't you see it's bad?", "can you see it's bad ?"),
    ("won't you stay?", "will you stay ?"),
    ("ain’t it fun?", "is it fun ?"),  # a typographic apostrophe too
    ("I loved it. Didn't the ending rock?", "i loved it did the ending rock ?"),
    # "not" negates something: not a question, no subject, or not at the start
    ("isn't it great. I hate it", "is not it great i hate it"),
    ("isn't working?", "is not working ?"),
    ("why isn't it working?", "why is not it working ?"),
    ("it isn't great?", "it is not great ?"),
    ("isn't it", "is not it"),
])
def test_v3_reads_a_questions_outer_negation_as_no_negation(raw: str, want: str) -> None:
    assert " ".join(tokenize_chat_v3(normalize_chat(raw))) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("isn't this amazing?", "this amazing"),
    ("isnt this amazing??", "this amazing"),
    ("Wasn't that a great game?!", "that a great game !"),
    ("don't you hate it when it rains?", "you hate it when it rains"),
    ("Aren't the new levels fun?", "the new levels fun"),
    ("I loved it. Didn't the ending rock? yes", "i loved it the ending rock yes"),
    ("isnt it fun? isn't it great?", "it fun it great"),
    # not a question asking agreement: as v3 reads it
    ("is it any good?", "is it any good ?"),
    ("why isn't it working?", "why is not it working ?"),
    ("it isn't great?", "it is not great ?"),
    ("isn't it great. I hate it", "is not it great i hate it"),
    ("isn't it", "is not it"),
])
def test_v5_reads_a_question_asking_agreement_as_its_statement(raw: str, want: str) -> None:
    assert " ".join(tokenize_chat_v5(normalize_chat(raw))) == want


