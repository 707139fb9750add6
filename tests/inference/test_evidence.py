"""Script and letter evidence of a surname: which script, which letters, where they stand,
and how they move the model's answer."""

import math

import pytest

from inference.evidence import (
    CHINESE_COMPOUND_SURNAMES,
    CHINESE_NOT_JAPANESE_SURNAMES,
    COMMON_CHINESE_SURNAMES,
    RATIOS,
    VIETNAMESE_SURNAMES,
    Ratios,
    letter_languages,
    letters,
    name_evidence,
    spelling_fits,
    stress_spelling,
    toned_pinyin,
    unknown_writing,
)
from inference.predictor import Predictor
from inference.registry import shipped_checkpoint
from inference.scripts import chinese_only, japanese_only, name_script
from inference.verdict import NOT_SURE, SURE
from tests.helpers import ORIGIN_LABELS as LABELS


@pytest.mark.parametrize(("name", "script"), [
    ("Smith", "Latin"), ("Müller", "Latin"), ("Горбачёв", "Cyrillic"),
    ("Παπαδόπουλος", "Greek"), ("محمد", "Arabic"), ("כהן", "Hebrew"), ("김", "Hangul"),
    ("やまだ", "Kana"), ("ヤマダ", "Kana"), ("一ノ瀬", "Kana"), ("山田", "Han"), ("佐々木", "Han"),
    ("สมชาย", "Thai"), ("शर्मा", "Devanagari"), ("Иванov", "Cyrillic"), ("'-", "")])
def test_the_script_a_name_is_written_in(name: str, script: str) -> None:
    assert name_script(name) == script


@pytest.mark.parametrize(("name", "language", "script"), [
    ("Горбачёв", "Russian", "Cyrillic"), ("Παπαδόπουλος", "Greek", "Greek"),
    ("محمد", "Arabic", "Arabic"), ("김", "Korean", "Hangul"), ("ヤマダ", "Japanese", "kana")])
def test_a_script_of_one_language_points_to_it(name: str, language: str, script: str) -> None:
    evidence = name_evidence(name)
    [clue] = evidence.clues
    assert (clue.kind, clue.labels) == ("script", (language,))
    assert clue.text == f"written in {script} ({language})"
    uniform = [1 / len(LABELS)] * len(LABELS)
    combined = evidence.apply(uniform, LABELS)
    assert LABELS[combined.index(max(combined))] == language
    assert max(combined) == pytest.approx(RATIOS.script / (RATIOS.script + 17))


def test_a_script_of_none_of_the_languages_is_an_unknown_language() -> None:
    evidence = name_evidence("כהן")
    assert evidence.unknown_language and evidence.clues[0].labels == ()
    assert evidence.clues[0].text == "written in Hebrew (none of my languages)"
    assert unknown_writing(evidence.clues) == "in Hebrew"
    probs = [0.9] + [0.1 / 17] * 17
    assert evidence.apply(probs, LABELS) == pytest.approx(probs)
    assert not name_evidence("Müller").unknown_language
    assert not name_evidence("山田").unknown_language


@pytest.mark.parametrize(("name", "letter", "alphabet"), [
    ("Yılmaz", "ı", "Turkish"), ("Şahin", "ş", "Turkish or Romanian"), ("Țiriac", "ț", "Romanian"),
    ("Győri", "ő", "Hungarian"), ("Sørensen", "ø", "Danish or Norwegian"),
    ("Åkesson", "å", "Swedish, Danish or Norwegian"), ("Sigurðsson", "ð", "Icelandic"),
    ("Ľupták", "ľ", "Slovak"), ("Grybauskaitė", "ė", "Lithuanian"), ("Ozoliņš", "ņ", "Latvian")])
def test_a_letter_of_none_of_the_languages_is_an_unknown_language(
        name: str, letter: str, alphabet: str) -> None:
    evidence = name_evidence(name)
    [clue] = [c for c in evidence.clues if not c.labels]
    assert evidence.unknown_language and (clue.kind, clue.feature) == ("letter", letter)
    assert clue.text == f"the letter {letter} ({alphabet}: none of my languages)"
    assert unknown_writing(evidence.clues) == f"with {letter} ({alphabet})"
    probs = [0.9] + [0.1 / 17] * 17  # the letter moves no language's probability
    assert evidence.apply(probs, LABELS) == pytest.approx(evidence.apply(probs, LABELS, clue))


@pytest.mark.parametrize("name", [
    "Itō", "Ōta", "Zhāng", "Lǐ", "Chŏng", "Müller", "Dvořák", "Kamiński", "Nguyễn", "Magalhães",
    "Ó Súilleabháin", "Lévêque", "Ślązak", "Çelik"])
def test_romanisations_and_the_languages_own_letters_are_not_another_alphabet(name) -> None:
    """Hepburn's macrons, pinyin's tone marks and McCune-Reischauer's breves are how the
    model's own languages are romanised; the 18 orthographies' letters are theirs."""
    evidence = name_evidence(name)
    assert not evidence.unknown_language and unknown_writing(evidence.clues) == ""


@pytest.mark.parametrize(("word", "pinyin"), [
    ("wáng", True), ("zhāng", True), ("lǐ", True), ("lǚ", True), ("xiǎolóng", True),
    ("wang", False),  # no tone: nothing to read
    ("lê", False), ("hồ", False), ("văn", False),  # Vietnamese's own marks
    ("lò", False),  # a Vietnamese surname: lo is only an interjection's syllable
    ("pérez", False), ("müller", False)])  # no Mandarin syllables
def test_pinyin_with_its_tones_is_mandarin_syllables_marked_the_pinyin_way(word, pinyin) -> None:
    assert toned_pinyin(word) is pinyin


def test_a_surname_typed_in_pinyin_with_its_tone_points_to_chinese_too() -> None:
    """The acute and the grave are other languages' letters too, which kept "Wáng" from
    Chinese; a macron or a caron (Zhāng, Lǐ) belongs to no other language of the 18."""
    [wang] = [c for c in name_evidence("Wáng").clues if c.kind == "letter"]
    assert wang.labels[-1] == "Chinese" and "Vietnamese" in wang.labels
    letters = {c.feature: c.labels for c in name_evidence("Zhāng Xiǎolóng").clues
               if c.kind == "letter"}
    assert letters["ā"] == letters["ǎ"] == ("Chinese",) and letters["ó"][-1] == "Chinese"
    for name in ("Ó Súilleabháin", "Nguyễn", "Hà Văn Thắng", "Pérez"):
        assert not any("Chinese" in c.labels for c in name_evidence(name).clues), name


@pytest.mark.parametrize(("letter", "languages"), [
    ("ü", ("German", "Spanish")), ("ß", ("German",)), ("ł", ("Polish",)), ("Ś", ("Polish",)),
    ("ř", ("Czech",)), ("ů", ("Czech",)), ("ñ", ("Spanish",)), ("ç", ("French", "Portuguese")),
    ("ã", ("Portuguese", "Vietnamese")), ("ễ", ("Vietnamese",)), ("ạ", ("Vietnamese",)),
    ("đ", ("Vietnamese",)), ("ë", ("French", "Dutch")), ("a", ()), ("ø", ())])
def test_distinctive_letters_point_to_the_orthographies_that_write_them(
        letter: str, languages: tuple[str, ...]) -> None:
    assert letter_languages(letter) == languages


def test_where_a_letter_stands_narrows_who_writes_it() -> None:
    """Czech writes ú only at the start of a word; Spanish writes ü only after g; French
    ends no word in -ço or -ça; Italian writes a grave on few words of one syllable."""
    assert "Czech" not in letters("khúc")["ú"] and "Czech" in letters("úlehla")["ú"]
    assert "Czech" in letters("ú khúc")["ú"]  # one place where Czech writes it is enough
    assert letters("müller")["ü"] == ("German",)
    assert letters("argüelles")["ü"] == ("German", "Spanish")
    assert letters("lourenço")["ç"] == letters("bragança")["ç"] == ("Portuguese",)
    for word in ("maçon", "gonçalves", "ça", "lourenços"):
        assert letters(word)["ç"] == ("French", "Portuguese"), word
    # Italian marks one syllable only ending a diphthong or against a homograph.
    assert letters("lò")["ò"] == letters("lò văn")["ò"] == ("Vietnamese",)
    for word in ("può", "ciò", "là", "airò", "tamàro", "ré"):
        assert "Italian" in letters(word)[next(c for c in word if c in "òàé")], word
    assert letters("khúc", positions=False, spelling=False)["ú"] == letter_languages("ú")


def test_the_rest_of_the_spelling_narrows_who_writes_a_letter() -> None:
    """A letter's languages keep only those whose orthography spells the whole name."""
    # w: not in the Spanish, Portuguese, Irish or Vietnamese alphabets.
    assert letters("wróbel")["ó"] == ("Polish",)
    assert letters("wróbel", spelling=False)["ó"] == letter_languages("ó")
    # Irish agrees vowels across consonants: a-ld-e is not Irish, úi-ll-ea-bh-ái is.
    assert "Irish" not in letters("calderón")["ó"]
    assert spelling_fits("ó súilleabháin", "Irish") and spelling_fits("mac cárthaigh", "Irish")
    # Ruled out everywhere: the letter keeps all its languages rather than none.
    assert letters("qwó")["ó"] == letter_languages("ó")


@pytest.mark.parametrize(("word", "spanish", "portuguese"), [
    ("deschênes", False, False),  # marked on the last syllable but one, ending in -es
    ("gómez", True, True), ("calderón", True, False), ("cortés", True, True),
    ("fábio", False, True), ("márcia", False, True),  # Portuguese: -io, -ia are two syllables
    ("díaz", True, True), ("araújo", True, True), ("sáez", True, True),  # hiatus
    ("álvarez", True, True), ("também", False, True), ("jesús", True, False),
    ("thérien", False, True), ("simão", True, True)])
def test_spanish_and_portuguese_stress_marks_stand_where_the_stress_breaks_the_default(
        word: str, spanish: bool, portuguese: bool) -> None:
    assert stress_spelling(word, "Spanish") is spanish
    assert stress_spelling(word, "Portuguese") is portuguese


@pytest.mark.parametrize(("name", "part", "language"), [
    ("Hoekstra", "-stra", "Dutch"), ("Wiersma", "-sma", "Dutch"), ("Andringa", "-inga", "Dutch"),
    ("Urquhart", "quh", "Scottish"), ("Menzies", "z as yogh", "Scottish"),
    ("Khanh", "-nh", "Vietnamese"), ("Truong", "uong", "Vietnamese")])
def test_name_parts_point_to_the_one_language_that_forms_names_with_them(
        name: str, part: str, language: str) -> None:
    [clue] = name_evidence(name).clues
    assert (clue.kind, clue.feature, clue.labels) == ("name_part", part, (language,))
    assert clue.text == f"the name part {part} ({language})"
    assert name_evidence(name, Ratios(name_part=1.0)).log_factors(LABELS) == [0.0] * 18
    assert name_evidence("Strand").clues == () and name_evidence("Lenz").clues == ()


def test_each_distinct_letter_counts_once_and_multiplies() -> None:
    evidence = name_evidence("Hořejší")
    assert [c.feature for c in evidence.clues] == ["ř", "š", "í"]
    factors = evidence.log_factors(LABELS)
    assert factors[LABELS.index("Czech")] == pytest.approx(3 * math.log(1000))
    assert factors[LABELS.index("Spanish")] == pytest.approx(math.log(1000))
    assert factors[LABELS.index("Russian")] == 0
    assert name_evidence("Hořejší", Ratios(letter=1.0)).log_factors(LABELS) == [0.0] * 18


def test_gaelic_particles_point_to_irish_and_scottish() -> None:
    assert [(c.kind, c.feature, c.labels) for c in name_evidence("Ó Briain").clues] == [
        ("particle", "ó", ("Irish",)), ("letter", "ó", letter_languages("ó"))]
    assert name_evidence("MacLeod").clues[0].labels == ("Irish", "Scottish")
    assert name_evidence("Mack").clues == ()  # a name, not the particle
    assert name_evidence("Macy").clues == ()


def test_han_names_weigh_character_forms_length_and_compound_surnames() -> None:
    assert chinese_only("张") and chinese_only("马") and not chinese_only("張")
    assert japanese_only("辻") and japanese_only("沢") and not japanese_only("山")
    one = {c.kind: c for c in name_evidence("王").clues}
    assert one["script"].labels == ("Chinese", "Japanese")
    assert one["script"].text == "written in Han characters: it could be Chinese or Japanese"
    assert one["han_length"].labels == ("Chinese",) and "han_form" not in one
    two = [(c.kind, c.labels) for c in name_evidence("山田").clues]
    assert ("han_length", ("Japanese",)) in two
    compound = {c.kind: c for c in name_evidence("欧阳").clues}
    assert compound["han_compound"].labels == ("Chinese",) and "han_length" not in compound
    assert compound["han_compound"].text == "欧阳: a Chinese compound surname"
    assert {"歐陽", "司馬", "諸葛", "欧阳", "司马"} <= CHINESE_COMPOUND_SURNAMES
    assert ("han_form", ("Japanese",)) in [(c.kind, c.labels)
                                           for c in name_evidence("辻本").clues]


def test_one_character_no_chinese_encoding_has_is_not_read_by_its_length() -> None:
    """One character is a Chinese surname's length, but no Chinese encoding has 辻 or 関:
    alone, their form decides. Several characters keep the length clue whatever their form:
    Chinese writers give Japanese names in simplified characters (铃木 for 鈴木)."""
    for name in ("辻", "関"):
        assert [(c.kind, c.labels) for c in name_evidence(name).clues[1:]] == [
            ("han_form", ("Japanese",))], name
    assert [(c.kind, c.labels) for c in name_evidence("铃木").clues[1:]] == [
        ("han_form", ("Chinese",)), ("han_length", ("Japanese",))]
    assert [c.kind for c in name_evidence("张").clues] == ["script", "han_form", "han_length"]
    assert [c.kind for c in name_evidence("辻本").clues] == ["script", "han_form", "han_length"]


def test_a_common_chinese_surname_first_makes_two_or_three_characters_a_chinese_full_name() -> None:
    """周杰伦 and 王菲 are a surname and a given name; read as a surname's length, they were
    Japanese. 高, 林 and 馬 begin Japanese surnames too (高橋, 林田, 馬場): after them, three
    characters fit both."""
    for name in ("周杰伦", "王力宏", "劉德華", "張國榮", "王菲", "李娜", "吴京"):
        [length] = [c for c in name_evidence(name).clues if c.kind == "han_length"]
        assert length.labels == ("Chinese",), name
        assert length.text.endswith("a common Chinese surname first: a Chinese full name")
    for name in ("高倉健", "林志玲"):
        [length] = [c for c in name_evidence(name).clues if c.kind == "han_length"]
        assert length.labels == ("Chinese", "Japanese"), name
        assert "a Chinese full name as likely as a Japanese name" in length.text
    for name, language in (("長谷川", "Japanese"), ("佐々木", "Japanese"), ("宮崎駿", "Japanese"),
                           ("山田太郎", "Japanese"), ("田中", "Japanese"), ("高橋", "Japanese"),
                           ("馬場", "Japanese"), ("王", "Chinese")):
        [length] = [c for c in name_evidence(name).clues if c.kind == "han_length"]
        assert length.labels == (language,), name  # a surname's length, as before
        assert "surnames are" in length.text
    assert {"王", "李", "张", "張", "刘", "劉", "陈", "陳"} <= COMMON_CHINESE_SURNAMES
    assert len(COMMON_CHINESE_SURNAMES) == 46  # 30, and 16 of them in traditional form too
    assert set("高林馬") == COMMON_CHINESE_SURNAMES - CHINESE_NOT_JAPANESE_SURNAMES


def test_the_shipped_model_tells_chinese_full_names_from_japanese_names() -> None:
    predictor = Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")
    jay, faye, chiling, miyazaki = predictor.predict(["周杰伦", "王菲", "林志玲", "宮崎駿"])
    assert (jay.label, jay.confidence) == ("Chinese", SURE)
    assert (faye.label, faye.confidence) == ("Chinese", SURE)  # was Japanese, 99%
    assert chiling.confidence == NOT_SURE  # nothing but its length, which fits both
    assert {label for label, _ in chiling.top[:2]} == {"Chinese", "Japanese"}
    assert (miyazaki.label, miyazaki.confidence) == ("Japanese", SURE)


def test_a_given_name_of_two_hyphenated_syllables_points_to_korean_or_chinese() -> None:
    def given(name: str) -> tuple[str, ...] | None:
        found = [c for c in name_evidence(name).clues if c.kind == "name_part"]
        return found[0].labels if found else None

    for name in ("Kim Min-jun", "Son Heung-min", "Lee Min-ho", "Song Kang-ho"):
        assert given(name) == ("Korean", "Chinese"), name  # nothing in the spelling chooses
    for name in ("Moon Jae-in", "Yoon Suk-yeol", "Choe Hae-won", "Bong Joon-ho", "Ban Ki-moon"):
        assert given(name) == ("Korean",), name  # eo, ae, oe, oo
        assert given(name) == ("Korean",), name
    for name in ("Tsai Ing-wen", "Sun Yat-sen", "Leung Chiu-wai", "Ma Ying-jeou", "Chow Yun-fat"):
        assert given(name) == ("Chinese",), name  # e before n, ai, eou, f
    for name in ("Jean-Paul Sartre", "Jean-Luc Picard", "Anne-Marie", "Hans-Peter Schmidt",
                 "Karl-Heinz", "Jan-Willem", "Lloyd-Jones", "Ben-Al", "Min jun", "Minjun"):
        assert given(name) is None, name
    [clue] = name_evidence("Kim Min-jun").clues
    assert clue.text == ("the name part min-jun, two syllables joined by a hyphen "
                         "(Korean, Chinese)")


def test_a_full_name_with_one_of_vietnams_commonest_surnames_points_to_vietnamese() -> None:
    def surname(name: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(c.feature, c.labels) for c in name_evidence(name).clues if c.kind == "surname"]

    assert surname("Nguyen Van Thieu") == [("Nguyen", ("Vietnamese",))]  # first, as in Vietnam
    assert surname("Anna Nguyen") == [("Nguyen", ("Vietnamese",))]  # last, as abroad
    assert surname("Nguyễn Văn An") == [("Nguyễn", ("Vietnamese",))]
    assert surname("Tran Duc Luong") == [("Tran", ("Vietnamese",))]
    for name in ("Nguyen", "Le Van Luong", "Ho Chi Minh", "Do Kyung-soo", "Vanessa Trane"):
        assert surname(name) == [], name  # alone the memory answers; Le, Ho, Do are not hers
    assert not {"le", "do", "ho", "ly", "bui"} & VIETNAMESE_SURNAMES
    [clue] = name_evidence("Nguyen Van An").clues
    assert clue.text == "Nguyen: a surname only Vietnamese has, in a full name"


def test_the_shipped_model_reads_full_names_as_their_script_and_spelling_say() -> None:
    predictor = Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")
    son, gibran, moon, tsai, nguyen = predictor.predict(
        ["손흥민", "جبران خليل جبران", "Moon Jae-in", "Tsai Ing-wen", "Nguyen Van An"])
    assert (son.label, son.confidence) == ("Korean", SURE)  # was English, not sure
    assert (gibran.label, gibran.confidence) == ("Arabic", SURE)  # was Russian, not sure
    assert (moon.label, moon.confidence) == ("Korean", SURE)  # was Russian
    assert (tsai.label, tsai.confidence) == ("Chinese", SURE)  # was Korean
    assert (nguyen.label, nguyen.confidence) == ("Vietnamese", SURE)  # was Russian, not sure


def test_a_compound_surname_in_pinyin_points_to_chinese() -> None:
    for name in ("Ouyang", "Shangguan", "Zhuge", "Mu-rong", "Tuoba"):
        assert [(c.kind, c.labels) for c in name_evidence(name).clues] == [
            ("han_compound", ("Chinese",))], name
    assert name_evidence("Ouyang").clues[0].text == "Ouyang: a Chinese compound surname"
    for name in ("Sima", "Taba", "Yang"):  # four letters or fewer; anyascii's 拓跋; one name
        assert not name_evidence(name).clues, name


def test_cao_typed_without_its_marks_points_to_portuguese() -> None:
    for name in ("Conceicao", "Falcao", "Da Assuncao"):
        assert [(c.kind, c.labels) for c in name_evidence(name).clues] == [
            ("name_part", ("Portuguese",))], name
    assert not name_evidence("Cao").clues and not name_evidence("Tsao").clues


def test_vietnamese_spellings_point_to_vietnamese_in_any_word_of_a_full_name() -> None:
    for name in ("Ho Chi Minh", "Huynh", "Phan Van Khai", "Dương"):
        assert ("Vietnamese",) in [c.labels for c in name_evidence(name).clues], name
    for name in ("Cunha", "Minha", "Huang", "Wong", "Nhan Long"):  # nh before a vowel; uang
        assert not name_evidence(name).clues, name


def test_the_arabic_article_points_to_arabic_when_joined_to_the_name() -> None:
    for name in ("Al-Khatib", "al-Masri", "El-Sayed", "el’Hage", "AL-QAHTANI"):
        clues = name_evidence(name).clues
        assert [(c.kind, c.labels) for c in clues] == [("name_part", ("Arabic",))], name
    assert name_evidence("El-Sayed").clues[0].text == "the name part el- (Arabic)"
    # a given name and a surname, or no article at all
    for name in ("Al Gore", "El Sayed", "Al", "Al-", "Alvarez", "Elias", "Abdel", "Ben-Al"):
        assert not name_evidence(name).clues, name


def test_a_han_name_starts_even_between_chinese_and_japanese() -> None:
    # the model reads 田中 in pinyin ("TianZhong"), so its Chinese odds say nothing: the two
    # languages share what it gives them, and the clues choose
    chinese, japanese = LABELS.index("Chinese"), LABELS.index("Japanese")
    probs = [0.0] * 18
    probs[chinese], probs[japanese], probs[LABELS.index("Korean")] = 0.95, 0.01, 0.04
    assert name_evidence("田中").even_odds(probs, LABELS)[chinese] == pytest.approx(0.48)
    served = name_evidence("田中").apply(probs, LABELS)
    assert served[japanese] == pytest.approx(100 / 101, rel=1e-3)  # the length clue, 100:1
    assert name_evidence("王").apply(probs, LABELS)[chinese] == pytest.approx(100 / 101,
                                                                              rel=1e-3)
    for other in ("Tanaka", "やまだ", "김"):  # the model reads these scripts' own spelling
        assert name_evidence(other).even_odds(probs, LABELS) == probs


def test_apply_is_bayes_rule_and_can_leave_one_clue_out() -> None:
    evidence = name_evidence("Łódź")
    probs = [1 / 18] * 18
    polish = LABELS.index("Polish")
    assert evidence.apply(probs, LABELS)[polish] > 0.999
    assert evidence.clues[0].feature == "ł"
    without_l = evidence.apply(probs, LABELS, without=evidence.clues[0])
    assert evidence.apply(probs, LABELS)[polish] > without_l[polish] > 0.99


def test_clues_read_the_same_as_json() -> None:
    from inference.evidence import Evidence

    for clue in name_evidence("Nguyễn Łódź").clues + name_evidence("김").clues:
        assert Evidence.from_json(clue.to_json()) == clue
