import copy
import pickle

import pytest

from inference.spelling import ENGLISH, MAX_LETTERS, MIN_LETTERS, inflection, one_edit, respelt
from inference.tasks import SENTIMENT
from inference.text import SPECIALS, UNK_ID, Vocab

# ranked as Vocab.build ranks them: the most frequent word first
VOCAB = Vocab((*SPECIALS, "the", "worst", "horrible", "pizza", "disappointing", "frost",
               "wrist", "acting", "excellent", "work", "so", "low", "detective", "arrived",
               "fraud", "cases", "approved"))


@pytest.mark.parametrize(("typo", "meant"), [
    ("horible", "horrible"),            # a letter left out
    ("disapointing", "disappointing"),
    ("actingg", "acting"),              # a letter added
    ("exsellent", "excellent"),         # a letter changed
    ("wrost", "worst"),                 # two neighbours swapped
])
def test_each_kind_of_typing_error_is_one_edit(typo: str, meant: str) -> None:
    assert meant in one_edit(typo)
    assert len(one_edit(typo)) <= 54 * len(typo) + 25


def test_the_most_frequent_known_neighbour_is_the_word_meant() -> None:
    ids = VOCAB._stoi  # type: ignore[attr-defined]
    # "wrost" is one edit from "worst", "frost" and "wrist": "worst" is met most often
    assert {"worst", "frost", "wrist"} <= one_edit("wrost")
    assert respelt("wrost", ids) == ids["worst"]


@pytest.mark.parametrize("word", [
    "lwo",                      # shorter than MIN_LETTERS, though "low" is one swap away
    "x" * (MAX_LETTERS + 1),    # too long to be a typo worth the lookups
    "w0rst",                    # digits
    "wörst",                    # not ASCII
    "qqqqzz",                   # no known word one edit away
])
def test_words_not_to_respell_stay_unknown(word: str) -> None:
    assert respelt(word, VOCAB._stoi) is None  # type: ignore[attr-defined]
    assert VOCAB.encode([word], respell=True) == [UNK_ID]


def test_a_short_word_is_not_respelt_though_a_known_word_is_one_edit_away() -> None:
    assert len("lwo") < MIN_LETTERS and "low" in one_edit("lwo")  # the case above means it


def test_respelling_is_asked_for_and_never_touches_known_words() -> None:
    the, worst, pizza = VOCAB.encode(["the", "worst", "pizza"])
    typed = ["the", "wrost", "pizza", "qqqqzz"]
    assert VOCAB.encode(typed) == [the, UNK_ID, pizza, UNK_ID]
    assert VOCAB.encode(typed, respell=True) == [the, worst, pizza, UNK_ID]


def test_pipeline_v4_reads_typos_as_the_word_meant_and_v3_as_unknown() -> None:
    v3, v4 = SENTIMENT.pipeline(3), SENTIMENT.pipeline(4)
    raw = "The wrost pizza, horible acting"
    assert v3.units(v3.normalize(raw)) == v4.units(v4.normalize(raw))  # explanations name "wrost"
    meant = VOCAB.encode(["the", "worst", "pizza", "horrible", "acting"])
    assert v4.encode(VOCAB, raw)[1] == meant
    assert v3.encode(VOCAB, raw)[1] == [meant[0], UNK_ID, meant[2], UNK_ID, meant[4]]


def test_a_vocabulary_that_has_respelt_still_pickles_and_copies() -> None:
    VOCAB.encode(["wrost"], respell=True)  # fills its cache of respelt words
    for twin in (pickle.loads(pickle.dumps(VOCAB)), copy.deepcopy(VOCAB)):
        assert twin == VOCAB and twin.encode(["wrost"], respell=True) == VOCAB.encode(["worst"])


def test_the_english_dictionary_knows_real_words_and_not_typos() -> None:
    assert all(word in ENGLISH for word in ("defective", "frauds", "eases", "cheerier", "approves"))
    assert not any(typo in ENGLISH for typo in ("horible", "wrost", "disapointing", "exellent",
                                                 "amazng", "terible", "boaring"))


@pytest.mark.parametrize(("word", "other", "inflected"), [
    ("frauds", "fraud", True),          # a letter less at the end
    ("violate", "violated", True),      # a letter more
    ("approves", "approved", True),     # another last letter
    ("defective", "detective", False),  # a letter inside: another word
    ("eases", "cases", False),
])
def test_an_inflection_differs_only_in_the_last_letter(word: str, other: str,
                                                        inflected: bool) -> None:
    assert other in one_edit(word) and inflection(word, other) is inflected


def test_a_real_word_is_read_only_as_its_inflection_and_a_typo_as_the_word_meant() -> None:
    ids = VOCAB._stoi  # type: ignore[attr-defined]
    assert respelt("defective", ids) == ids["detective"]  # v4 and v5: the vocabulary only
    assert respelt("defective", ids, ENGLISH) is None
    assert respelt("frauds", ids, ENGLISH) == ids["fraud"]
    assert respelt("approves", ids, ENGLISH) == ids["approved"]
    assert respelt("eases", ids, ENGLISH) is None  # "cases" is another word
    assert respelt("wrost", ids, ENGLISH) == ids["worst"]  # a typo, as before


def test_pipeline_v6_leaves_real_words_unknown_where_v5_read_another_word() -> None:
    v5, v6 = SENTIMENT.pipeline(5), SENTIMENT.pipeline(6)
    raw = "The pizza arrived defective, the wrost"
    the, pizza, arrived, detective, worst = VOCAB.encode(
        ["the", "pizza", "arrived", "detective", "worst"])
    assert v5.encode(VOCAB, raw)[1] == [the, pizza, arrived, detective, the, worst]
    assert v6.encode(VOCAB, raw)[1] == [the, pizza, arrived, UNK_ID, the, worst]
    assert v6.respellings(VOCAB, ["defective", "wrost"]) == {"wrost": "worst"}
