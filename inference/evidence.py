"""Script and letter evidence: what a name's writing says about its origin.

The origin model reads names transliterated to ASCII ("Müller" and "Muller" read alike), and
its training data is nearly all ASCII, so it cannot learn what the writing itself says. That
evidence enters here, after the model, as likelihood ratios: for each clue in the raw input
(the script it is written in, a letter only some orthographies use, a Han character only one
side writes, how many Han characters a name has), the languages it points to get their
probability multiplied by the clue's ratio, and the result is normalised again:

    p(language | name) ∝ p_model(language | transliterated name) × Π ratio(clue, language)

The tables below say which languages each clue points to; they come from the orthographies
(Wikipedia's articles on each alphabet) and Python's character-set codecs. The ratios, one
per kind of clue, were chosen by measurement (`python -m benchmarks.origin_eval`, whose results
and reasoning are in docs/origin-evidence.md): on the design part of the multi-script dev set
and on the clean validation split, each against switching that kind of clue off.

Torch-free: it works on plain probability lists.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inference.scripts import chinese_only, japanese_only, name_script, scripts
from inference.text import transliterate

KNOWN = "known_name"  # the kind of Evidence (and the Prediction.source) of a known input


@dataclass(frozen=True)
class Evidence:
    """What an answer rests on besides the model's reading: a clue in how the input is
    written, or what the known-input memory holds (kind "known_name", inference.memory).
    A clue multiplies the probability of each of its `labels` by its `ratio`; a clue with no
    labels is a script or a letter that none of the model's languages writes."""

    kind: str  # "script", "letter", "particle", "name_part", "surname", "han_form", "han_length",
    # "han_compound" or "known_name"
    text: str  # as people read it: "written in Hangul (Korean)", "the letter ü (German, ...)"
    labels: tuple[str, ...] = ()  # the labels it speaks for (a known input: most shared first)
    feature: str = ""  # the script, letter, particle or character; a known input: where from
    ratio: float | None = None  # a clue's likelihood ratio; None for a known input

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self.text, "labels": list(self.labels),
                "feature": self.feature, "ratio": self.ratio}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        ratio = data.get("ratio")
        return cls(str(data["kind"]), str(data["text"]),
                   tuple(str(x) for x in data.get("labels", ())), str(data.get("feature", "")),
                   None if ratio is None else float(ratio))

# The languages of the surnames data each script is written in. A script not here (Hebrew,
# Thai, Devanagari, ...) writes none of them: the answer is then never "sure".
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("Russian",), "Greek": ("Greek",), "Arabic": ("Arabic",),
    "Hangul": ("Korean",), "Kana": ("Japanese",), "Han": ("Chinese", "Japanese"),
}

# Letters (lower case) and the languages of the data whose orthography writes them.
_ACUTE = ("Czech", "Spanish", "Portuguese", "Irish", "Vietnamese")
LETTER_LANGUAGES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys("äöß", ("German",)),
    "ü": ("German", "Spanish"),
    **dict.fromkeys("ąćęłńśźż", ("Polish",)),
    **dict.fromkeys("čďěňřšťůž", ("Czech",)),
    "ý": ("Czech", "Vietnamese"),
    "ñ": ("Spanish",),
    "ç": ("French", "Portuguese"),
    **dict.fromkeys("ãõ", ("Portuguese", "Vietnamese")),
    **dict.fromkeys("âêô", ("French", "Portuguese", "Vietnamese")),
    **dict.fromkeys("îûœæÿ", ("French",)),
    **dict.fromkeys("ëï", ("French", "Dutch")),
    "à": ("French", "Italian", "Portuguese", "Vietnamese"),
    **dict.fromkeys("èù", ("French", "Italian", "Vietnamese")),
    **dict.fromkeys("ìò", ("Italian", "Vietnamese")),
    **dict.fromkeys("áíú", _ACUTE),
    # Czech writes ó only in loanwords.
    "ó": ("Polish", "Spanish", "Portuguese", "Irish", "Vietnamese"),
    "é": ("French", "Italian", *_ACUTE),
    **dict.fromkeys("đăơưĩũỹ", ("Vietnamese",)),
}
# Letters of Latin alphabets the model was not taught, which none of the 18 languages'
# orthographies writes (Wikipedia's article on each alphabet; none is in the surnames data).
# The romanisations the model does meet are left out on purpose: Hepburn's and pinyin's
# macrons and tone marks (Itō, Zhāng), McCune-Reischauer's breves (ŏ, ŭ), the dots below of
# Arabic's (ḥ). A name written with one is of a language the model does not know, as a
# name in Hebrew is (the model alone reads "Győri" Japanese 81%, "Åkesson" English 93%).
OTHER_ALPHABETS: dict[str, str] = {
    **dict.fromkeys("ığ", "Turkish"), "ş": "Turkish or Romanian",
    **dict.fromkeys("șțţ", "Romanian"), **dict.fromkeys("őű", "Hungarian"),
    "ø": "Danish or Norwegian", "å": "Swedish, Danish or Norwegian",
    **dict.fromkeys("ðþ", "Icelandic"), **dict.fromkeys("ľĺŕ", "Slovak"),
    **dict.fromkeys("ėįų", "Lithuanian"), **dict.fromkeys("ģķļņ", "Latvian"),
}
# Gaelic patronymic particles: "Ó Súilleabháin", "Ní Bhriain", "MacLeod", "Mc Queen".
GAELIC_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ó", "ua", "ní", "uí", "nic", "mhic"), ("Irish",)),
}
GAELIC_PREFIXES: dict[str, tuple[str, ...]] = {"mac": ("Irish", "Scottish"),
                                               "mc": ("Irish", "Scottish")}
# Letters a language's own alphabet lacks (it writes them only in loanwords): Wikipedia's
# articles on the Polish, Czech, Spanish, Portuguese, Italian and Vietnamese alphabets and on
# Irish orthography (its 18 letters). A name written in that orthography, with its accents,
# does not use them: "Wróbel" is not Spanish, Portuguese, Irish or Vietnamese for its w.
FOREIGN_LETTERS: dict[str, frozenset[str]] = {
    language: frozenset(letters) for language, letters in (
        ("Polish", "qvx"), ("Czech", "qwx"), ("Spanish", "kw"), ("Portuguese", "kwy"),
        ("Italian", "jkwxy"), ("Irish", "jkqvwxyz"), ("Vietnamese", "fjwz"))}
# Irish spelling agrees vowels across consonants ("caol le caol agus leathan le leathan": the
# vowels either side of a consonant group are both slender, e i, or both broad, a o u), so a
# word like "Calderón" (a-ld-e) is not spelt the Irish way and its ó is not Irish.
_IRISH_BROAD = set("aouáóú")  # the rest of the vowels below are slender
_VOWEL_RUNS = re.compile(r"[aeiouáéíóú]+")
# Spanish and Portuguese write an acute or circumflex only where the stress breaks the
# default, which the word's ending sets (Wikipedia: "Spanish orthography", "Portuguese
# orthography"): a word ending in a vowel, -n or -s is stressed on its last syllable but one
# (Spanish; Portuguese: -a -e -o, -as -es -os, -am -em -ens), any other on its last. So
# "Deschênes" (marked on its last syllable but one, ending in -es) is spelt neither way.
# Syllables are read off the vowels: two of a, e, o are two syllables; an accented í or ú
# beside a vowel is its own (María, Díaz, Araújo) and is left alone; Portuguese counts a
# word-final i/u + vowel as two (Fábio, Márcia).
_STRESS_MARKED = set("áéíóúâêô")
_STRONG = set("aeoáéóâêô")
_ANY_VOWELS = re.compile(r"[aeiouáéíóúâêôãõàèìòùüï]+")
_SPANISH_PLAIN = re.compile(r"([aeiou]|[aeiou]s|n)$")
_PORTUGUESE_PLAIN = re.compile(r"([aeo]s?|am|em|ens)$")
_WORD_END_AFTER_CEDILLA = re.compile(r"[ao](?!\w)")  # after ç: -ço, -ça ending a word
# Italian writes a grave on a word of one syllable only where its vowel ends a diphthong
# (più, può, ciò, già) or tells it from a homograph (è, dà, là; Wikipedia: "Italian
# orthography"): "Lò" is not Italian. Its acute is left alone: Italian writes it on
# monosyllables more freely (né, sé, ché), and the data's Italian list has "Ré".
_ITALIAN_MARKS = set("àèìòù")
_ITALIAN_MARKED_MONOSYLLABLES = frozenset("è dà dì là lì sì tè".split())
_WORDS = re.compile(r"\w+")
# Where a letter stands narrows who writes it: Czech writes ú only at the start of a word (ů
# elsewhere), Spanish writes ü only in güe and güi (Argüelles), French writes ç within a
# word (Besançon, Maçon) where Portuguese also ends one in -ço or -ça (Lourenço, França),
# Italian marks a word of one syllable only as said above.
# (Italian marks a stressed final vowel, but names also carry a stress mark inside:
# "Tamàro" in the data.)
# The compound surnames of the Hundred Family Surnames (百家姓), in simplified and
# traditional forms: two Han characters that are one Chinese surname (司马, 欧阳, 诸葛).
_COMPOUND = ("万俟 司马 上官 欧阳 夏侯 诸葛 闻人 东方 赫连 皇甫 尉迟 公羊 澹台 公冶 宗政 濮阳 淳于 "
             "单于 太叔 申屠 公孙 仲孙 轩辕 令狐 钟离 宇文 长孙 慕容 鲜于 闾丘 司徒 司空 亓官 司寇 "
             "子车 颛孙 端木 巫马 公西 漆雕 乐正 壤驷 公良 拓跋 夹谷 宰父 谷梁 段干 百里 东郭 南门 "
             "呼延 羊舌 微生 梁丘 左丘 东门 西门 南宫 第五").split()
_TRADITIONAL = str.maketrans("万马欧阳诸闻东连迟单孙轩辕钟离长鲜闾颛乐驷谷门夹车",
                             "萬馬歐陽諸聞東連遲單孫軒轅鍾離長鮮閭顓樂駟穀門夾車")
CHINESE_COMPOUND_SURNAMES = frozenset(_COMPOUND + [c.translate(_TRADITIONAL) for c in _COMPOUND])
# The 30 commonest Chinese surnames (Wikipedia: "List of common Chinese surnames", the 2020
# ranking of China's Ministry of Public Security), in simplified and traditional forms. Three
# Han characters that start with one are as likely a Chinese full name, a surname and a
# two-character given name (周杰伦, 王力宏), as a Japanese name: their length points to both
# (read as a surname's length, they were Japanese at 99%).
_COMMON = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹"
COMMON_CHINESE_SURNAMES = frozenset(_COMMON + _COMMON.translate(str.maketrans(
    "张刘陈杨黄赵吴孙马罗郑谢许韩邓冯", "張劉陳楊黃趙吳孫馬羅鄭謝許韓鄧馮")))
# Of those, the ones that begin no common Japanese surname: all but 高 (高橋, 高木, 高田), 林
# (林, 林田) and 馬 (馬場), read off the myoji-yurai.net ranking of Japanese surnames. Two or
# three Han characters that start with one are a Chinese full name (王菲, 李娜, 周杰伦), not a
# Japanese surname: their length points to Chinese.
CHINESE_NOT_JAPANESE_SURNAMES = COMMON_CHINESE_SURNAMES - set("高林馬")
# The same in pinyin, as most people type them (Ouyang, Zhuge, Shangguan): the reading the
# model itself gets (inference.text.transliterate), but where a surname reads its characters
# otherwise (万俟 is Moqi, not Wanqi); names of four letters or fewer (Sima, Situ, Diwu) are
# left out, as other languages have them too (Czech Šíma, typed Sima).
_SURNAME_READINGS = {"万俟": "moqi", "单于": "chanyu", "澹台": "tantai", "尉迟": "yuchi",
                     "拓跋": "tuoba", "乐正": "yuezheng", "子车": "ziju"}
CHINESE_COMPOUND_PINYIN = frozenset(
    pinyin for c in _COMPOUND
    if len(pinyin := _SURNAME_READINGS.get(c) or transliterate(c).lower()) > 4)


@dataclass(frozen=True)
class NamePart:
    """A way of forming surnames that only some of the languages use, matched on one word
    of the name (lower case)."""

    shown: str  # as the card shows it: "-stra", "ver-", "quh"
    pattern: re.Pattern[str]
    languages: tuple[str, ...]
    prefix: bool = False  # matched at the start of the whole name, not within each word

    def found_in(self, lower: str, words: list[str]) -> str | None:
        """What of the name it matched, or None."""
        if self.prefix:
            return m[0] if (m := self.pattern.match(lower)) else None
        return self.shown if any(self.pattern.search(word) for word in words) else None


def _part(shown: str, pattern: str, *languages: str, prefix: bool = False) -> NamePart:
    return NamePart(shown, re.compile(pattern), languages, prefix)


# Sources: Wikipedia's "Dutch name" (the Frisian surnames in -stra, -sma, -inga: Dijkstra,
# Wiersma, Andringa), "Scots language" and "Yogh" (Scots quh for wh: Urquhart, Colquhoun; z
# for the old letter yogh, said as y: Menzies, Dalziel, Mackenzie). None of the data's other
# 17 languages forms a name with them (no name of the data ends in -stra or -sma or has quh).
# Wikipedia's "Portuguese orthography": the nasal -ão after c or ç (Conceição, Assunção,
# Falcão) is Portuguese alone; typed without its marks it is -cao, which no other of the
# languages ends a longer name with (the data's only -cao is the Chinese and Vietnamese Cao).
# Wikipedia's "Arabic name": the article al- (el- in Egyptian and Levantine speech) begins
# many surnames, joined by a hyphen (Al-Khatib, El-Sayed); no name of the data has al- or el-,
# and the data's Arabic list, Lebanese surnames written without it, has none either. With a
# space it is not read: "Al Gore" is a given name and a surname.
# Wikipedia's "Vietnamese alphabet": a syllable may end in nh (Minh, Thanh, Huỳnh) and have
# the vowels ươ (Trương, Dương), typed -uong; no other of the languages ends a word in nh
# (Portuguese writes it before a vowel: Cunha) or writes uong (pinyin has uang and ong). Of
# the data's names, -uong are Vietnamese's alone and -nh hers but for one Russian "Minh".
NAME_PARTS: tuple[NamePart, ...] = (
    _part("-stra", r"stra$", "Dutch"),
    _part("-sma", r"sma$", "Dutch"),
    _part("-inga", r"inga$", "Dutch"),
    _part("quh", r"quh", "Scottish"),
    _part("z as yogh", r"[ln]zie", "Scottish"),
    _part("-cao", r"..cao$", "Portuguese"),
    _part("-nh", r"nh$", "Vietnamese"),
    _part("uong", r"uong", "Vietnamese"),
    _part("al-", r"(?:al|el)[-'’](?=\w)", "Arabic", prefix=True),
)
# Vietnamese alone stacks a tone mark on a vowel's own mark (ễ, ậ, ự) and writes the dot
# below and the hook above (ạ, ả): these combining marks, or two marks on one letter.
_VIETNAMESE_MARKS = {"\u0323", "\u0309", "\u031b"}
# Pinyin marks a syllable's tone on its vowel: a macron, an acute, a caron or a grave (ā á ǎ à),
# and writes ü. The acute and the grave are also other languages' letters, whose clues alone
# would rule Chinese out of a surname typed with its tone ("Wáng"); a word of a name whose
# marks are these alone, and which is one or two common Mandarin syllables, makes its marked
# letters Chinese too.
_PINYIN_TONES = {"\u0304", "\u0301", "\u030c", "\u0300"}
_PINYIN_MARKS = _PINYIN_TONES | {"\u0308"}
# How a script is named to people, where its Unicode name is not how they call it.
SCRIPT_NAMES = {"Han": "Han characters", "Kana": "kana"}


@dataclass(frozen=True)
class Ratios:
    """One likelihood ratio per kind of clue (see the module docstring for how each was
    chosen); 1 switches a kind off."""

    # None of the 18 languages but those named writes a script (Hangul is Korean's alone), so
    # the clue is all but conclusive: 1000 was not enough for full names, whose romanisation
    # the model reads as one long foreign surname (손흥민 was English).
    script: float = 1_000_000.0
    letter: float = 1000.0
    han_form: float = 30.0
    # Chinese surnames are nearly all one character, Japanese ones mostly two or three.
    han_length: float = 100.0
    han_compound: float = 100.0  # two characters that are one Chinese compound surname
    particle: float = 10.0
    # a word of a full name that is a surname of one language alone (VIETNAMESE_SURNAMES): as
    # sure a sign as a script
    surname: float = 1_000_000.0
    name_part: float = 1000.0  # a suffix or spelling only one language's surnames use


RATIOS = Ratios()


def clue(kind: str, feature: str, languages: tuple[str, ...], ratio: float) -> Evidence:
    """One clue of a name's writing, with its text for the card and Why?"""
    if kind == "script":
        where = {0: " (none of my languages)", 1: f" ({''.join(languages)})"}.get(
            len(languages), f": it could be {' or '.join(languages)}")
        text = f"written in {SCRIPT_NAMES.get(feature, feature)}{where}"
    elif kind == "particle":
        text = f"the Gaelic particle {feature} ({' or '.join(languages)})"
    elif kind == "han_form":
        text = f"{feature}: a character only {languages[0]} writes"
    elif kind == "han_length" and feature != "1" and "Chinese" in languages:
        text = (f"{feature} Han characters, a common Chinese surname first: a Chinese full "
                f"name{' as likely as a Japanese name' if len(languages) > 1 else ''}")
    elif kind == "han_length":
        n = int(feature)
        text = (f"{n} Han character{'s' if n > 1 else ''}: "
                f"{'one' if n == 1 else 'several'}, as {languages[0]} surnames are")
    elif kind == "han_compound":
        text = f"{feature}: a Chinese compound surname"
    elif kind == "surname":
        text = f"{feature}: a surname only {languages[0]} has, in a full name"
    elif kind == "name_part":
        text = f"the name part {feature} ({', '.join(languages)})"
    elif kind == "letter" and not languages:
        text = f"the letter {feature} ({OTHER_ALPHABETS[feature]}: none of my languages)"
    else:
        text = f"the letter {feature} ({', '.join(languages)})"
    return Evidence(kind, text, languages, feature, ratio)


def unknown_writing(clues: Sequence[Evidence]) -> str:
    """What none of the languages writes, as a card names it ("in Hebrew", "with ı
    (Turkish)"); "" when the languages write all of it."""
    for c in clues:
        if c.kind == "script" and not c.labels:
            return f"in {SCRIPT_NAMES.get(c.feature, c.feature)}"
        if c.kind == "letter" and not c.labels:
            return f"with {c.feature} ({OTHER_ALPHABETS.get(c.feature, 'another alphabet')})"
    return ""


# The model reads a Han name in its Chinese reading (anyascii's pinyin: 山田 is "ShanTian"),
# so its odds between Chinese and Japanese say how pinyin looks, not how the name does: they
# are set even, and the Han clues choose (docs/origin-evidence.md).
EVEN_ODDS = {"Han": ("Chinese", "Japanese")}


@dataclass(frozen=True)
class NameEvidence:
    """Everything the writing of one name says, and how it moves the model's answer."""

    script: str
    clues: tuple[Evidence, ...]

    @property
    def unknown_language(self) -> bool:
        """Written in a script, or with a letter, that none of the languages writes
        (inference.verdict)."""
        return bool(unknown_writing(self.clues))

    def log_factors(self, labels: Sequence[str],
                    without: Evidence | None = None) -> list[float]:
        """Per label, the log of the product of the ratios of the clues pointing to it."""
        out = [0.0] * len(labels)
        index = {label: i for i, label in enumerate(labels)}
        for clue in self.clues:
            if clue is without:
                continue
            for language in clue.labels:
                if language in index:
                    out[index[language]] += math.log(clue.ratio or 1.0)
        return out

    def even_odds(self, probs: Sequence[float], labels: Sequence[str]) -> list[float]:
        """The model's probabilities, shared out evenly among the languages whose odds it
        cannot read in this script (EVEN_ODDS)."""
        out = list(probs)
        even = [i for i, label in enumerate(labels) if label in EVEN_ODDS.get(self.script, ())]
        if even:
            share = sum(probs[i] for i in even) / len(even)
            for i in even:
                out[i] = share
        return out

    def apply(self, probs: Sequence[float], labels: Sequence[str],
              without: Evidence | None = None) -> list[float]:
        """The model's probabilities combined with the clues (optionally all but one)."""
        logs = [math.log(max(p, 1e-45)) + f for p, f in
                zip(self.even_odds(probs, labels), self.log_factors(labels, without),
                    strict=True)]
        top = max(logs)
        weights = [math.exp(v - top) for v in logs]
        total = sum(weights)
        return [w / total for w in weights]



@functools.cache
def mandarin_syllables() -> frozenset[str]:
    """The syllables of common Chinese, toneless, as anyascii reads the 3,755 characters of
    GB2312's first level (395; ü written u: "lue"). The rarer characters add only
    interjections (lo, hm, ng) and anyascii's Cantonese readings (baak, gwaan), which no
    name is spelt with: "Lò" is a Vietnamese surname, not pinyin."""
    return frozenset(transliterate(chr(c)).lower() for c in range(0x4E00, 0x9FA6)
                     if _gb2312_level_one(chr(c)))


def _gb2312_level_one(char: str) -> bool:
    try:
        return 0xB0 <= char.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def unmarked(text: str) -> tuple[str, set[str]]:
    """The text's letters without their combining marks, and the marks ("lê": "le", {"̂"});
    a letter of its own, as ø or đ, stays."""
    decomposed = unicodedata.normalize("NFD", text)
    return ("".join(c for c in decomposed if not unicodedata.combining(c)),
            {c for c in decomposed if unicodedata.combining(c)})


def toned_pinyin(word: str) -> bool:
    """Whether a word is written in pinyin with its tones: common syllables (one or two),
    marked with pinyin's marks only, at least one of them a tone."""
    bare, marks = unmarked(word)
    if not marks & _PINYIN_TONES or marks - _PINYIN_MARKS:
        return False
    syllables = mandarin_syllables()
    return bare in syllables or any(bare[:i] in syllables and bare[i:] in syllables
                                    for i in range(1, len(bare)))


def letter_clues(lower: str, positions: bool = True,
                 spelling: bool = True) -> dict[str, tuple[str, ...]]:
    """Each marked letter of a name (lower case) that some of the languages write, with the
    languages its clue points to: those that write it where it stands (`letters`) and, in
    pinyin with its tones ("Wáng", "Zhāng Xiǎolóng"), Chinese too."""
    found = {} if lower.isascii() else letters(lower, positions, spelling)
    if pinyin_name(lower):
        for char in dict.fromkeys(c for c in lower if c.isalpha() and not c.isascii()):
            found[char] = (*found.get(char, ()), "Chinese")
    return found


def pinyin_name(lower: str) -> bool:
    """Whether every word of a name (lower case) with a mark, but a Gaelic particle (Ó, Ní),
    is pinyin with its tones, and one is."""
    marked = [w for w in _WORD_BREAK.split(lower) if not w.isascii() and w not in GAELIC_WORDS]
    return bool(marked) and all(toned_pinyin(w) for w in marked)


def vietnamese_letter(char: str) -> bool:
    marks = unmarked(char)[1]
    return bool(_VIETNAMESE_MARKS & marks) or len(marks) >= 2


def letter_languages(char: str) -> tuple[str, ...]:
    """The languages of the data whose orthography writes this letter; () for plain ASCII
    letters and letters none of them writes."""
    lower = char.lower()
    if lower in LETTER_LANGUAGES:
        return LETTER_LANGUAGES[lower]
    return ("Vietnamese",) if vietnamese_letter(lower) else ()


def placed_languages(lower: str, i: int) -> tuple[str, ...]:
    """The languages that write the letter lower[i] where it stands (see above)."""
    char = lower[i]
    starts = i == 0 or not lower[i - 1].isalpha()
    gone = {"Czech" if char == "ú" and not starts else "",
            "Spanish" if char == "ü" and not lower[:i].endswith("g") else "",
            "French" if char == "ç" and not starts and _WORD_END_AFTER_CEDILLA.match(lower, i + 1)
            else "",
            "Italian" if char in _ITALIAN_MARKS and not _italian_mark(lower, i) else ""}
    return tuple(lang for lang in letter_languages(char) if lang not in gone)


def _italian_mark(lower: str, i: int) -> bool:
    """Whether Italian writes the marked vowel lower[i] where it stands (see above): in a word
    of more than one syllable anywhere, as names mark their stress (Airò, Tamàro)."""
    word = next(m for m in _WORDS.finditer(lower) if m.start() <= i < m.end())
    syllables = _syllables(word.group(), portuguese=False)
    j = i - word.start()
    return (max(syllables.values()) > 1 or word.group() in _ITALIAN_MARKED_MONOSYLLABLES
            or (j - 1 in syllables and word.group()[j - 1] in "iu"))  # più, può: a diphthong


def irish_spelling(lower: str) -> bool:
    """Whether every word agrees its vowels across consonants the Irish way (see above)."""
    for word in re.split(r"[^\w]+", lower):
        runs = list(_VOWEL_RUNS.finditer(word))
        for before, after in itertools.pairwise(runs):
            if (before.group()[-1] in _IRISH_BROAD) != (after.group()[0] in _IRISH_BROAD):
                return False
    return True


def _syllables(word: str, portuguese: bool) -> dict[int, int]:
    """For each vowel of a word, which syllable it is in, counted from the word's end
    (1: the last; see above)."""
    ids: dict[int, int] = {}
    count = 0
    for run in _ANY_VOWELS.finditer(word):
        for j in range(run.start(), run.end()):
            if j == run.start() or (word[j - 1] in _STRONG and word[j] in _STRONG):
                count += 1
            ids[j] = count
    if portuguese and count > 1 and (end := re.search(r"[iu]([aeo])s?$", word)):
        count += 1  # Fábio, Márcia: the final vowel is a syllable of its own
        ids[end.start(1)] = count
    return {j: count + 1 - n for j, n in ids.items()}


def stress_spelling(lower: str, language: str) -> bool:
    """Whether each word's acute or circumflex stands where Spanish or Portuguese would
    write it (see above)."""
    portuguese = language == "Portuguese"
    plain = _PORTUGUESE_PLAIN if portuguese else _SPANISH_PLAIN
    for word in re.split(r"[^\w]+", lower):
        marked = [i for i, c in enumerate(word) if c in _STRESS_MARKED]
        if len(marked) != 1 or "ã" in word or "õ" in word:
            continue
        i = marked[0]
        if word[i] in "íú" and any(c in "aeiou" for c in word[max(i - 1, 0):i + 2:2]):
            continue  # a hiatus: the accent splits the vowels, wherever it stands
        syllables = _syllables(word, portuguese)
        from_end = syllables[i]
        ending = unicodedata.normalize("NFD", word[-3:]).encode("ascii", "ignore").decode()
        if max(syllables.values()) > 1 and from_end <= 2 and (
                (from_end == 1) != bool(plain.search(ending))):
            return False
    return True


def spelling_fits(lower: str, language: str) -> bool:
    """Whether the rest of the name can be spelt in the language's orthography: no letter
    its alphabet lacks, Irish vowel agreement, Spanish and Portuguese stress marks (above)."""
    if FOREIGN_LETTERS.get(language, frozenset()) & set(lower):
        return False
    if language in ("Spanish", "Portuguese"):
        return stress_spelling(lower, language)
    return language != "Irish" or irish_spelling(lower)


def letters(lower: str, positions: bool = True,
            spelling: bool = True) -> dict[str, tuple[str, ...]]:
    """Each distinct letter some of the languages write, in order of appearance, with the
    languages that write it where it stands (anywhere it stands, if it recurs) and, with
    `spelling`, whose orthography can spell the rest of the name; a letter whose every
    language is ruled out so keeps them all (the name is then spelt no language's way)."""
    found: dict[str, dict[str, None]] = {}
    for i, char in enumerate(lower):
        if languages := (placed_languages(lower, i) if positions else letter_languages(char)):
            found.setdefault(char, {}).update(dict.fromkeys(languages))
    fits = {lang: not spelling or spelling_fits(lower, lang)
            for langs in found.values() for lang in langs}  # once per language, not per letter
    out = {}
    for char, langs in found.items():
        ordered = tuple(lang for lang in letter_languages(char) if lang in langs)
        out[char] = tuple(lang for lang in ordered if fits[lang]) or ordered
    return out


_PARTICLE_STARTS = tuple({*GAELIC_WORDS, *GAELIC_PREFIXES})
_WORD_BREAK = re.compile(r"[\s'’-]+")  # between the words of a name: "Ó Briain", "Al-Khatib"


def _particles(lower: str, words: list[str], ratio: float) -> list[Evidence]:
    if not lower.startswith(_PARTICLE_STARTS):
        return []
    if len(words) >= 2 and words[0] in GAELIC_WORDS:
        return [clue("particle", words[0], GAELIC_WORDS[words[0]], ratio)]
    for prefix, languages in GAELIC_PREFIXES.items():
        if words and words[0].startswith(prefix) and (len(words[0]) > len(prefix) + 2
                                                     or len(words) >= 2):
            return [clue("particle", prefix, languages, ratio)]
    return []


def _name_parts(lower: str, words: list[str], ratio: float) -> list[Evidence]:
    return [clue("name_part", found, part.languages, ratio) for part in NAME_PARTS
            if (found := part.found_in(lower, words)) is not None]


# Wikipedia's "Korean name" and "Chinese given name": a given name of two syllables is written
# in Latin letters with a hyphen between them, in Korea (Min-jun, Heung-min, Ji-sung) and in
# Taiwan's and Hong Kong's romanisations (Chiu-wai, Ing-wen, Yat-sen); none of the other 16
# languages joins two such syllables so. A syllable is an initial of at most two consonants,
# y or w, a vowel of those romanisations (not ea or au: Jean-Paul is French) and a final n,
# ng, m, k, t, p or l. The data has one such name: Ou-Yang, Chinese. Which of the two the
# syllables are, their spelling can say (Wikipedia: "Revised Romanization of Korean",
# "McCune–Reischauer", "Wade–Giles", "Hong Kong Government Cantonese Romanisation"): the
# vowels eo, ae and oe are Korean's alone (Jae-in, Suk-yeol). So, nearly, is oo: the English
# spelling of u that Korean given names keep (Joon-ho, Ki-moon, Hyun-woo) and that neither
# pinyin nor Wade-Giles writes; Hong Kong's romanisation writes it in a few syllables
# (Yuen Woo-ping), which read as Korean. Korean has no f, q, x, z, hs, ts or tz, nor the
# vowels ai, ao, ei, ia, ie, iu, ua, uo, nor e before a final n or ng (Ing-wen, Yat-sen,
# Chiu-wai).
_SYLLABLE = (r"(?:ch|sh|hs|ts|tz|kk|tt|pp|ss|jj|[bcdfghjklmnprstwyz])?[yw]?"
             r"(?:iao|uai|eou|ae|ai|ao|ei|eo|eu|ee|ia|ie|iu|oe|ou|oo|ua|ui|uo|[aeiou])"
             r"(?:ng|[nmktpl])?")
_GIVEN_SYLLABLES = re.compile(rf"(?<![\w'’-])({_SYLLABLE})-({_SYLLABLE})(?![\w'’-])")
# Particles and articles joined by a hyphen are not a given name's syllables (Ben-Al, De-la).
_NOT_SYLLABLES = frozenset("al el ben ibn de la le van von di du".split())
_KOREAN_SPELLING = re.compile(r"eo(?!u)|ae|oe|oo")
_CHINESE_SPELLING = re.compile(
    r"^(?:hs|ts|tz|[fqxz])|ai|ao|ei|eou|ia|ie|iu|ua|uo|(?<![aeiouy])eng?$")


# Wikipedia's "Vietnamese name": a dozen surnames are most of Vietnam's (Nguyễn alone about
# 38%). Typed without their marks, these are the ones the data holds as Vietnamese alone and
# the other 17 languages do not write (not Lê, Đỗ, Hồ, Lý, Bùi: French writes Le, Korean Do
# and Ho, Chinese Bui and Li). A word of a full name that is one says the name is Vietnamese,
# first as in Vietnam or last as abroad, whatever the model reads of the other words ("Nguyen
# Van Thieu": Văn, the commonest middle name, reads as the Dutch "van"). Alone, such a name
# is in the data, and the known-name memory answers it.
VIETNAMESE_SURNAMES = frozenset("nguyen tran pham hoang huynh phan vu vo dang duong ngo".split())


def _vietnamese_surname(text: str, ratio: float) -> list[Evidence]:
    """A full name with one of Vietnam's commonest surnames ("Nguyen Xuan Phuc")."""
    words = text.split()
    if len(words) < 2:  # most names: nothing to transliterate
        return []
    found = next((w for w in words if transliterate(w).lower() in VIETNAMESE_SURNAMES), None)
    return [] if found is None else [clue("surname", found, ("Vietnamese",), ratio)]


def _given_syllables(lower: str, ratio: float) -> list[Evidence]:
    """A Korean or Chinese given name of two syllables joined by a hyphen ("Kim Min-jun")."""
    m = _GIVEN_SYLLABLES.search(lower)
    if m is None or _NOT_SYLLABLES & set(m.groups()):
        return []
    korean = any(_KOREAN_SPELLING.search(s) for s in m.groups())
    chinese = any(_CHINESE_SPELLING.search(s) for s in m.groups())
    languages = {(True, False): ("Korean",), (False, True): ("Chinese",)}.get(
        (korean, chinese), ("Korean", "Chinese"))
    return [clue("name_part", f"{m[0]}, two syllables joined by a hyphen", languages, ratio)]


def name_evidence(raw: str, ratios: Ratios = RATIOS, positions: bool = True,
                  spelling: bool = True) -> NameEvidence:
    """The clues in a name as typed (after NFC, so "u" + combining diaeresis is "ü");
    `positions=False` reads each letter's languages regardless of where it stands,
    `spelling=False` regardless of how the rest of the name is spelt."""
    text = unicodedata.normalize("NFC", raw)
    script = name_script(text)
    clues: list[Evidence] = []
    if script not in ("Latin", ""):
        clues.append(clue("script", script, SCRIPT_LANGUAGES.get(script, ()), ratios.script))
    if script == "Han":
        han = [c for c in text if scripts(c)["Han"]]
        for char in dict.fromkeys(han):
            if chinese_only(char):
                clues.append(clue("han_form", char, ("Chinese",), ratios.han_form))
            elif japanese_only(char):
                clues.append(clue("han_form", char, ("Japanese",), ratios.han_form))
        if "".join(han) in CHINESE_COMPOUND_SURNAMES:
            clues.append(clue("han_compound", "".join(han), ("Chinese",), ratios.han_compound))
        elif len(han) in (2, 3) and han[0] in CHINESE_NOT_JAPANESE_SURNAMES:  # 王菲, 周杰伦
            clues.append(clue("han_length", str(len(han)), ("Chinese",), ratios.han_length))
        elif len(han) == 3 and han[0] in COMMON_CHINESE_SURNAMES:  # 林志玲 as much as 高倉健
            clues.append(clue("han_length", "3", ("Chinese", "Japanese"), ratios.han_length))
        elif len(han) > 1:
            clues.append(clue("han_length", str(len(han)), ("Japanese",), ratios.han_length))
        elif not japanese_only(han[0]):  # alone, a character no Chinese encoding has (辻)
            clues.append(clue("han_length", "1", ("Chinese",), ratios.han_length))
    if script == "Latin":
        lower = text.lower()
        words = [w for w in _WORD_BREAK.split(lower) if w]
        clues += (_particles(lower, words, ratios.particle)
                  + _name_parts(lower, words, ratios.name_part))
        if "".join(words) in CHINESE_COMPOUND_PINYIN:  # one surname (Mu-rong), no given name
            clues.append(clue("han_compound", text.strip(), ("Chinese",), ratios.han_compound))
        else:
            clues += _given_syllables(lower, ratios.name_part)
        clues += _vietnamese_surname(text, ratios.surname)
        for char, languages in letter_clues(lower, positions, spelling).items():
            clues.append(clue("letter", char, languages, ratios.letter))
        clues += [clue("letter", char, (), ratios.letter)
                  for char in dict.fromkeys(lower) if char in OTHER_ALPHABETS]
    return NameEvidence(script, tuple(clues))
