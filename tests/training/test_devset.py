"""The multi-script surname dev set: its shape, its fixed split, and that the data lacks it."""

from collections import Counter

import pytest

from inference.evidence import OTHER_ALPHABETS, toned_pinyin
from inference.scripts import name_script
from tests.helpers import ORIGIN_LABELS, real_data
from training.data import iter_names, read_name
from training.devset import (
    OTHER_ALPHABETS_PATH,
    DevName,
    collisions,
    full_names,
    heldout_by_rule,
    in_latin,
    load_devset,
    load_given_names,
    load_names,
    read_names,
)

NATIVE = {"Russian": {"Cyrillic"}, "Greek": {"Greek"}, "Arabic": {"Arabic"},
          "Korean": {"Hangul"}, "Japanese": {"Han", "Kana", "Han+Kana"}, "Chinese": {"Han"}}
ACCENTED = {"German", "Polish", "Czech", "Spanish", "Portuguese", "French", "Vietnamese",
            "Irish"}


@pytest.fixture(scope="module")
def devset() -> list[DevName]:
    return load_devset()


def test_devset_spans_the_18_languages_in_their_scripts(devset: list[DevName]) -> None:
    counts = Counter(d.language for d in devset)
    assert len(devset) >= 150 and len(counts) == 18 and min(counts.values()) >= 10
    assert len({d.name for d in devset}) == len(devset)
    for d in devset:
        assert d.source, d
        if d.language in NATIVE:
            assert d.script in NATIVE[d.language] and not d.name.isascii(), d
        else:
            assert d.script == "Latin", d
            assert (not d.name.isascii()) == (d.language in ACCENTED), d


def test_a_third_is_held_out_by_the_names_alone(devset: list[DevName]) -> None:
    held = {d.name for d in devset if d.part == "heldout"}
    assert held == heldout_by_rule(devset)
    assert {d.part for d in devset} == {"design", "heldout"}
    assert abs(len(held) / len(devset) - 1 / 3) < 0.02


def test_collisions_see_through_accents_scripts_and_romanisations() -> None:
    data = [("Muller", "Russian"), ("Schukin", "Russian"), ("Cathain", "Irish"),
            ("Harb", "Arabic"), ("McQueen", "Scottish")]
    dev = [DevName("German", "Müller", "Latin", "design", (), "s"),
           DevName("Russian", "Щукин", "Cyrillic", "design", ("Shchukin",), "s"),
           DevName("Irish", "Ó Catháin", "Latin", "design", (), "s"),
           DevName("Arabic", "الحربي", "Arabic", "design", ("Al-Harbi",), "s"),
           DevName("Scottish", "MacQueen", "Latin", "design", (), "s"),
           DevName("Italian", "Vitale", "Latin", "design", (), "s")]
    assert {c[0] for c in collisions(dev, data)} == {d.name for d in dev[:5]}


@pytest.mark.slow
def test_no_dev_name_is_in_the_labelled_data(devset: list[DevName]) -> None:
    data = list(iter_names(real_data("names.zip")))
    assert collisions(devset, data) == []
    assert not {read_name(d.name) for d in devset} & {read_name(n) for n, _ in data}


def test_the_common_han_surnames_are_han_only_and_kept_apart_from_the_dev_set(
        devset: list[DevName]) -> None:
    names = load_names("han_common")
    assert Counter(language for _, language in names).keys() == {"Chinese", "Japanese"}
    assert min(Counter(language for _, language in names).values()) >= 100
    assert len({name for name, _ in names}) == len(names)  # none under both languages
    assert all(name_script(name) == "Han" for name, _ in names)
    assert not {name for name, _ in names} & {d.name for d in devset}


def test_a_dev_name_in_latin_letters_is_its_first_romanisation_else_unaccented(
        devset: list[DevName]) -> None:
    by_name = {d.name: d for d in devset}
    assert in_latin(by_name["Смирнова"]) == "Smirnova"
    accented = next(d for d in devset if d.language == "German")
    assert in_latin(accented).isascii() and not accented.name.isascii()
    assert all(in_latin(d).isascii() for d in devset)


def test_given_names_cover_the_18_languages_and_some_common_to_most() -> None:
    given = load_given_names()
    assert set(given) == {"own", "shared"} and list(given["shared"]) == ["*"]
    languages = {d.language for d in load_devset()}
    assert set(given["own"]) == languages
    for names in (*given["own"].values(), given["shared"]["*"]):
        assert len(names) >= 8 and all(n.isascii() and n[0].isupper() for n in names)


def test_full_names_put_the_surname_where_its_language_does_and_never_change() -> None:
    given = {"Chinese": ["Wei"], "German": ["Hans"], "*": ["Anna", "David"]}
    pairs = [("Zhang", "Chinese"), ("Schmidt", "German"), ("Rossi", "Italian")]
    made = full_names(pairs, given)
    assert made[:2] == [("Zhang Wei", "Chinese"), ("Hans Schmidt", "German")]
    assert made[2][0] in ("Anna Rossi", "David Rossi") and made[2][1] == "Italian"
    assert full_names(pairs, given) == made  # chosen by the surname, not at random


def test_the_han_full_names_are_han_only_sourced_and_kept_apart_from_the_surname_sets() -> None:
    names = load_names("han_full_names")
    assert {lang for _, lang in names} == {"Chinese", "Japanese"} and len(names) >= 40
    assert all(name_script(name) == "Han" and 2 <= len(name) <= 4 for name, _ in names)
    surnames = {n for n, _ in load_names("han_common")} | {d.name for d in load_devset()}
    assert not {n for n, _ in names} & surnames


def test_the_script_full_names_span_the_scripts_and_are_kept_apart_from_the_surname_sets() -> None:
    names = load_names("script_full_names")
    assert len(names) >= 60 and len(set(names)) == len(names)
    assert {"Korean", "Chinese", "Russian", "Greek", "Arabic", "Japanese", "Vietnamese"} <= {
        lang for _, lang in names}
    scripts_seen = {name_script(name) for name, _ in names}
    assert {"Hangul", "Cyrillic", "Greek", "Arabic", "Kana", "Latin"} <= scripts_seen
    surnames = {n for n, _ in load_names("han_common")} | {d.name for d in load_devset()}
    assert not {n for n, _ in names} & surnames


def test_the_other_alphabets_are_languages_the_model_lacks_each_written_with_its_own_letter(
        ) -> None:
    """Each name is a case of the rule (a letter of OTHER_ALPHABETS) of a language that is
    none of the 18, so an answer naming one of them is a guess."""
    names = read_names(OTHER_ALPHABETS_PATH)
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert not {lang for _, lang in names} & set(ORIGIN_LABELS)
    assert all(set(name.lower()) & set(OTHER_ALPHABETS) for name, _ in names)


def test_the_pinyin_surnames_are_chinese_each_written_with_its_tone() -> None:
    names = load_names("pinyin_tones")
    assert len(names) >= 50 and len(set(names)) == len(names)
    assert {lang for _, lang in names} == {"Chinese"}
    assert all(toned_pinyin(name.lower()) for name, _ in names)


def test_the_names_with_accents_are_of_the_18_languages_each_typed_with_a_mark() -> None:
    names = load_names("with_accents")
    assert len(names) >= 150 and len(set(names)) == len(names)
    assert {lang for _, lang in names} <= set(ORIGIN_LABELS)
    assert all(not name.isascii() for name, _ in names)
