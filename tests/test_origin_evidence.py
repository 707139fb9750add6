"""Script and letter evidence, the known-name memory and the not-sure verdict of origin."""

import math
from pathlib import Path

import pytest

from inference.checkpoint import load_checkpoint
from inference.evidence import Ratios, letter_languages, name_evidence
from inference.explain import explain_prepared, explanation_from_json
from inference.http_client import prediction_from_json
from inference.known_names import KnownNames, memory_key
from inference.predictor import Predictor
from inference.scripts import chinese_only, japanese_only, name_script
from inference.text import PREPROCESS_VERSION, encode
from inference.verdict import NOT_SURE_BELOW, confidence
from training.data import clean_name_splits
from training.devset import load_devset

LABELS = ("Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek",
          "Irish", "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian",
          "Scottish", "Spanish", "Vietnamese")


@pytest.mark.parametrize(("name", "script"), [
    ("Smith", "Latin"), ("Müller", "Latin"), ("Горбачёв", "Cyrillic"),
    ("Παπαδόπουλος", "Greek"), ("محمد", "Arabic"), ("כהן", "Hebrew"), ("김", "Hangul"),
    ("やまだ", "Kana"), ("ヤマダ", "Kana"), ("一ノ瀬", "Kana"), ("山田", "Han"), ("佐々木", "Han"),
    ("สมชาย", "Thai"), ("शर्मा", "Devanagari"), ("Иванov", "Cyrillic"), ("'-", "")])
def test_the_script_a_name_is_written_in(name: str, script: str) -> None:
    assert name_script(name) == script


@pytest.mark.parametrize(("name", "language", "script"), [
    ("Горбачёв", "Russian", "Cyrillic"), ("Παπαδόπουλος", "Greek", "Greek"),
    ("محمد", "Arabic", "Arabic"), ("김", "Korean", "Hangul"), ("ヤマダ", "Japanese", "Kana")])
def test_a_script_of_one_language_points_to_it(name: str, language: str, script: str) -> None:
    evidence = name_evidence(name)
    [clue] = evidence.clues
    assert (clue.kind, clue.feature, clue.languages) == ("script", script, (language,))
    assert clue.text == f"written in {script} ({language})"
    uniform = [1 / len(LABELS)] * len(LABELS)
    combined = evidence.apply(uniform, LABELS)
    assert LABELS[combined.index(max(combined))] == language
    assert max(combined) == pytest.approx(1000 / (1000 + 17))


def test_a_script_of_none_of_the_languages_is_never_sure() -> None:
    evidence = name_evidence("כהן")
    assert evidence.unknown_script and evidence.clues[0].languages == ()
    assert "none of my languages" in evidence.clues[0].text
    probs = [0.9] + [0.1 / 17] * 17
    assert evidence.apply(probs, LABELS) == pytest.approx(probs)
    assert confidence("origin", 0.99, evidence.unknown_script) == "not_sure"


@pytest.mark.parametrize(("letter", "languages"), [
    ("ü", ("German", "Spanish")), ("ß", ("German",)), ("ł", ("Polish",)), ("Ś", ("Polish",)),
    ("ř", ("Czech",)), ("ů", ("Czech",)), ("ñ", ("Spanish",)), ("ç", ("French", "Portuguese")),
    ("ã", ("Portuguese", "Vietnamese")), ("ễ", ("Vietnamese",)), ("ạ", ("Vietnamese",)),
    ("đ", ("Vietnamese",)), ("ë", ("French", "Dutch")), ("a", ()), ("ø", ())])
def test_distinctive_letters_point_to_the_orthographies_that_write_them(
        letter: str, languages: tuple[str, ...]) -> None:
    assert letter_languages(letter) == languages


def test_each_distinct_letter_counts_once_and_multiplies() -> None:
    evidence = name_evidence("Hořejší")
    assert [c.feature for c in evidence.clues] == ["ř", "š", "í"]
    factors = evidence.log_factors(LABELS)
    assert factors[LABELS.index("Czech")] == pytest.approx(3 * math.log(1000))
    assert factors[LABELS.index("Spanish")] == pytest.approx(math.log(1000))
    assert factors[LABELS.index("Russian")] == 0
    assert name_evidence("Hořejší", Ratios(letter=1.0)).log_factors(LABELS) == [0.0] * 18


def test_gaelic_particles_point_to_irish_and_scottish() -> None:
    assert [(c.kind, c.feature, c.languages) for c in name_evidence("Ó Briain").clues] == [
        ("particle", "ó", ("Irish",)), ("letter", "ó", letter_languages("ó"))]
    assert name_evidence("MacLeod").clues[0].languages == ("Irish", "Scottish")
    assert name_evidence("Mack").clues == ()  # a name, not the particle
    assert name_evidence("Macy").clues == ()


def test_han_names_weigh_character_forms_and_length() -> None:
    assert chinese_only("张") and chinese_only("马") and not chinese_only("張")
    assert japanese_only("辻") and japanese_only("沢") and not japanese_only("山")
    one = {c.kind: c for c in name_evidence("王").clues}
    assert one["script"].languages == ("Chinese", "Japanese")
    assert one["han_length"].languages == ("Chinese",) and "han_form" not in one
    two = [(c.kind, c.languages) for c in name_evidence("司马").clues]
    assert ("han_form", ("Chinese",)) in two and ("han_length", ("Japanese",)) in two
    assert ("han_form", ("Japanese",)) in [(c.kind, c.languages)
                                           for c in name_evidence("辻本").clues]


def test_apply_is_bayes_rule_and_can_leave_one_clue_out() -> None:
    evidence = name_evidence("Łódź")
    probs = [1 / 18] * 18
    assert evidence.apply(probs, LABELS)[LABELS.index("Polish")] > 0.999
    polish = LABELS.index("Polish")
    assert evidence.clues[0].feature == "ł"
    without_l = evidence.apply(probs, LABELS, without=evidence.clues[0])
    assert evidence.apply(probs, LABELS)[polish] > without_l[polish] > 0.99


def test_memory_keeps_accents_and_reads_other_scripts_through_transliteration() -> None:
    memory = KnownNames.from_pairs([("Müller", "German"), ("Muller", "Russian"),
                                    ("Ivanov", "Russian"), ("Smith", "English"),
                                    ("Smith", "Scottish"), ("Smith", "Czech"),
                                    ("Smith", "English")])
    assert memory_key(" MÜLLER ") == memory_key("Mu\u0308ller") == "müller"
    assert memory.lookup("müller").labels == (("German", 1.0),)
    assert memory.lookup("MULLER").labels == (("Russian", 1.0),)
    assert memory.lookup("Иванов").labels == (("Russian", 1.0),)
    smith = memory.lookup("smith")
    assert [label for label, _ in smith.labels] == ["Czech", "English", "Scottish"]
    assert [share for _, share in smith.labels] == pytest.approx([1 / 3] * 3)
    assert smith.text == "known name: Czech, English and Scottish in the data"
    assert memory.lookup("Smithson") is None


def test_agreed_names_join_at_once_and_leave_on_revocation() -> None:
    memory = KnownNames.from_pairs([("Smith", "English")])
    memory.agree("Nguyễn", "Vietnamese", "consensus:1")
    assert memory.lookup("nguyễn").labels == (("Vietnamese", 1.0),)
    assert memory.lookup("nguyễn").sources == ("agreed",)
    memory.agree("Smith", "Scottish", "consensus:2")
    assert memory.lookup("Smith").sources == ("data", "agreed")
    assert memory.lookup("Smith").text.endswith("in the data and agreed by the community")
    memory.agree("Smith", "Irish", "consensus:2")  # the same agreement, changed
    assert dict(memory.lookup("Smith").labels) == {"English": 0.5, "Irish": 0.5}
    assert memory.revoke("consensus:1") and not memory.revoke("consensus:1")
    assert memory.lookup("Nguyễn") is None
    assert memory.revoke("consensus:2")
    assert memory.lookup("Smith").labels == (("English", 1.0),) and len(memory) == 1


def test_an_evaluation_memory_never_answers_a_test_name(names_zip: Path) -> None:
    splits = clean_name_splits(names_zip)
    memory = KnownNames.from_pairs(splits.train + splits.val)
    assert splits.test and not [n for n, _ in splits.test if memory.lookup(n)]
    served = KnownNames.from_pairs(splits.train + splits.val + splits.test)
    assert all(served.lookup(n) for n, _ in splits.test)


def test_dev_names_are_unknown_to_the_served_memory(names_zip: Path) -> None:
    splits = clean_name_splits(names_zip)
    served = KnownNames.from_pairs(splits.train + splits.val + splits.test)
    assert not [d.name for d in load_devset() if served.lookup(d.name)]


@pytest.fixture
def origin(checkpoints: dict[str, Path]) -> Predictor:
    return Predictor(load_checkpoint(checkpoints["origin"], "origin"))


def test_the_model_reads_names_as_before(origin: Predictor) -> None:
    """Evidence comes after the model: what it reads, and the pipeline version, are as they
    were, so every checkpoint (and every stored key) keeps its meaning."""
    assert PREPROCESS_VERSION == 1
    for name in ("Müller", "김", "Nguyễn"):
        prepared = origin.prepare(name)
        assert (prepared.normalized, prepared.ids) == encode("origin", origin.ckpt.vocab,
                                                             name)[:2]


def test_predictions_carry_verdict_source_script_and_evidence(origin: Predictor) -> None:
    labels = origin.labels
    [hangul, hebrew] = origin.predict(["김", "כהן"], top_k=3)
    assert hangul.script == "Hangul" and hangul.source == "model"
    assert hangul.evidence[0]["text"] == "written in Hangul (Korean)"
    if "Korean" in labels:
        assert hangul.label == "Korean"
    assert hebrew.confidence == "not_sure" and hebrew.script == "Hebrew"
    data = hangul.to_json()
    assert {"confidence", "source", "script", "evidence"} <= data.keys()
    assert prediction_from_json("origin", data).to_json() == data


def test_a_known_name_answers_from_the_memory(origin: Predictor) -> None:
    first, second = origin.labels[:2]
    origin.known = KnownNames.from_pairs([("Smith", first), ("SMITH", first),
                                          ("Smith", second)])
    [smith, other] = origin.predict(["smith", "Smithers"], top_k=3)
    assert smith.source == "known_name" and (smith.label, smith.top[1][0]) == (first, second)
    assert smith.probability == pytest.approx(2 / 3, abs=1e-5)
    assert smith.confidence == ("not_sure" if NOT_SURE_BELOW["origin"] > 2 / 3 else "sure")
    assert smith.evidence[0]["kind"] == "known_name" and smith.top[2][1] < 1e-5
    assert other.source == "model"
    origin.known = KnownNames.from_pairs([("Smith", first)])
    [smith] = origin.predict(["Smith"])
    assert smith.label == first and smith.confidence == "sure"


def test_why_explains_the_clues_of_the_writing(origin: Predictor) -> None:
    explanation = explain_prepared(origin, origin.prepare("Müller"))
    [clue] = explanation.clues
    assert clue.text == "the letter ü (German, Spanish)"
    assert explanation.summary()[0].startswith("the letter ü (German, Spanish) (")
    label = origin.labels.index(explanation.prediction.label)
    assert (clue.weight > 0) == (origin.labels[label] in ("German", "Spanish"))
    again = explanation_from_json(explanation.prediction, explanation.to_json()["explanation"])
    assert again.clues == [clue] or again.clues[0].weight == pytest.approx(clue.weight, 1e-5)
    assert explain_prepared(origin, origin.prepare("Smith")).clues == []
