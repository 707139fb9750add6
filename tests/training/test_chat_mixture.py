"""What the chat mixture adds to its data sets: emoticons and emoji given back to the
training tweets (training/chat_marks.py), negated phrases (training/negation.py), the words
SST's annotators rated neutral (training/neutral.py), questions (training/questions.py), words
said alone as sure as the tweets are of them (training/alone.py), contrasts whose verdict
comes after a concession (training/contrast.py), idioms whose negation does not reverse what
they say (training/idioms.py), advice whose negation keeps its verdict (training/advice.py),
comparatives that a counterfactual reverses (training/comparatives.py)."""

import re
import shutil
from collections import Counter
from collections.abc import Callable
from itertools import product
from pathlib import Path

import pytest

from inference.chat_text import normalize_chat, tokenize_chat
from tests.helpers import short_data
from training.advice import ENDINGS, IMPERATIVES, RECOMMENDATIONS, WARNINGS, advice
from training.alone import COPIES, MIN_TWEETS, said_alone, tweet_shares
from training.alone import held_out as alone_held_out
from training.chat_marks import EMOTICONS, mark_shares, with_marks
from training.comparatives import DEGREES, HELD_OUT, KEPT, REVERSED, compared
from training.comparatives import FRAMES as COMPARED_FRAMES
from training.contrast import CONCEDING, FRAMES, SUBJECTS, contrasted
from training.contrast import held_out as contrast_held_out
from training.data import locate
from training.idioms import (
    AT_THE_LIMIT,
    CANDOUR,
    COMPARED,
    COMPARED_ROUNDS,
    EXCEPTING,
    SAID,
    VOUCHED,
    Usage,
    idioms,
)
from training.idioms import SUBJECTS as IDIOM_SUBJECTS
from training.idioms import held_out as idioms_held_out
from training.negation import framed, negated
from training.negation import held_out as negation_held_out
from training.neutral import both_labels, neutral_words, unseen_neutral_words
from training.questions import ASKED, questions
from training.questions import held_out as questions_held_out
from training.sentences import sst2_splits, tweet_splits
from training.splits import DATASETS, ChatSentiment, TrainVal


def test_about_the_rate_of_tweets_get_one_mark_of_their_class() -> None:
    examples = [("plain words here", i % 2) for i in range(4000)]
    marked = with_marks(examples, 0.2, seed=1)
    changed = [(text, y) for (text, y), (old, _) in zip(marked, examples, strict=True)
               if text != old]
    faces = [(text, y) for text, y in changed
             if text.replace("plain words here", "").strip() in EMOTICONS[y]]
    emoji = [(text, y) for text, y in changed if (text, y) not in faces]
    assert 0.08 < len(faces) / len(examples) < 0.12  # half the rate: emoticons of the class
    assert 0.08 < len(emoji) / len(examples) < 0.12  # the other half: emoji
    by_class = Counter(y for _, y in emoji)
    assert abs(by_class[0] - by_class[1]) < 0.15 * len(emoji)  # as many in each class
    for text, label in changed:
        mark = text.replace("plain words here", "").strip()
        assert " " not in mark  # one mark, at the start or the end
        assert mark not in EMOTICONS[1 - label]  # an emoticon is never the other class's
    assert with_marks(examples, 0.2, seed=1) == marked  # reproducible


def test_each_emoji_teaches_the_rankings_own_polarity() -> None:
    marked = with_marks([("x", i % 2) for i in range(100000)], 1.0, seed=0)
    marks = Counter((text.replace("x", "").strip(), y) for text, y in marked)

    def positive_share(mark: str) -> float:
        return marks[(mark, 1)] / (marks[(mark, 1)] + marks[(mark, 0)])

    # Kralj Novak et al. (2015): 😂 6,845 positive, 3,614 negative; 😭 1,896 and 2,412; 😍
    # 4,640 and 329; 👎 79 and 128. 😂 is rarer among the ranking's positive tweets than the
    # average emoji, so drawn class by class from each class's counts alone it taught
    # "negative".
    assert 0.62 < positive_share("😂") < 0.68
    assert 0.40 < positive_share("😭") < 0.48
    assert positive_share("😍") > 0.9
    assert 0.33 < positive_share("👎") < 0.43
    # emoticons the tweets' labels never used carry their emoji's polarity
    assert positive_share("<3") > 0.9 and positive_share(";)") > 0.75
    assert positive_share(":/") < 0.35
    # and alone (--emoji-alone) each mark is taught the share the marked tweets teach
    shares = mark_shares()
    for mark in ("😂", "😭", "😍", "👎", "<3", ";)", ":/", ":)", ":("):
        assert abs(shares[mark] - positive_share(mark)) < 0.05, mark  # as drawn
    assert shares[":)"] == 1.0 and shares[":("] == 0.0  # the tweets' own labels
    # every mark is something the chat tokenizer reads as a token of its own
    tokens = Counter(tok for text, _ in marked[:2000]
                     for tok in tokenize_chat(normalize_chat(text)))
    assert tokens["x"] == 2000 and len(tokens) > 50
    assert {"emo_heart", "emo_wink"} <= set(tokens)


def test_only_training_tweets_are_marked(imdb_tar: Path, tmp_path: Path) -> None:
    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    splits = ChatSentiment().train_val(data, ("negative", "positive"), seed=0)
    raw = tweet_splits(locate("sentiment140", data))
    val = {text for text, _ in splits.val}
    assert {text for text, _ in raw["val"]} <= val  # held-out tweets as they are
    train = {text for text, _ in splits.train}
    assert len({text for text, _ in raw["train"]} - train) > 0.1 * len(raw["train"])


def test_short_phrases_come_once_more_negated_with_the_other_label() -> None:
    phrases = [("good", 1), ("a mess", 0), ("not bad", 1), ("never again", 0),
               ("a long dull film", 0), ("", 1)]
    assert negated(phrases) == [("not good", 0), ("not a mess", 1)]


def test_framed_words_are_negated_once_with_the_other_label_or_twice_with_their_own() -> None:
    phrases = [("good", 1), ("mess", 0), ("not bad", 1), ("a mess", 0), ("never", 0)] * 200
    out = framed(phrases, seed=3)
    assert framed(phrases, seed=3) == out  # reproducible
    assert framed(phrases, seed=4) != out
    once = [(t, y) for t, y in out if len(_negations(t)) == 1]
    twice = [(t, y) for t, y in out if len(_negations(t)) == 2]
    # every one-word phrase that negates nothing once; phrases of two words never
    assert len(once) == 400 and len(once) + len(twice) == len(out)
    assert 0.4 < len(twice) / len(once) < 0.6  # about DOUBLE_SHARE of them twice
    for text, label in once + twice:
        word = text.rsplit(" ", 1)[1]
        assert word in ("good", "mess") and not text.endswith("a mess")
        own = 1 if word == "good" else 0
        assert label == (own if (text, label) in twice else 1 - own)
    assert len({t.rsplit(" ", 1)[0] for t, _ in once}) > 20  # many frames, not one
    # each frame reads as a negation to the chat tokenizer: "don't" is "do not"
    assert all("not" in tokenize_chat(normalize_chat(t)) or t.split()[0] in ("no", "never")
               for t, _ in out)


def test_with_twice_every_framed_word_is_negated_twice_in_two_frames() -> None:
    phrases = [("good", 1), ("mess", 0), ("not bad", 1), ("a mess", 0)] * 100
    out = framed(phrases, seed=3, twice=True)
    once = [(t, y) for t, y in out if len(_negations(t)) == 1]
    twice = [(t, y) for t, y in out if len(_negations(t)) == 2]
    assert len(once) == 200 and len(twice) == 2 * 200 == len(out) - len(once)
    assert all(y == (1 if t.endswith("good") else 0) for t, y in twice)  # their own label
    assert framed(phrases, seed=3) != out


def test_held_out_negations_are_of_words_the_training_frames_never_negate() -> None:
    train = [("good", 1), ("dull", 0), ("a good film", 1)]
    val = [("good", 1), ("superb", 1), ("awful", 0), ("not bad", 1), ("awful", 0)]
    held = negation_held_out(train, val, draws=2)
    assert held["said"] == [("it was superb", 1), ("it was awful", 0)]
    assert [y for _, y in held["once"]] == [0, 0, 1, 1]  # the other label
    assert [y for _, y in held["twice"]] == [1, 1, 0, 0]  # their own
    assert all(t.endswith(("superb", "awful")) for t, _ in held["once"] + held["twice"])
    assert all(len(_negations(t)) == 2 for t, _ in held["twice"])


def _negations(text: str) -> list[str]:
    return [w for w in text.split() if w in ("not", "no", "never") or w.endswith("n't")]


def test_questions_ask_with_both_labels_and_exclaim_with_the_qualitys_own() -> None:
    # "dull" and "witty" follow a copula, so name a quality; "soundtrack" and "ending" follow
    # "the" three times and are listed nowhere, so name a thing; "plot" is listed (a label)
    phrases = ([("the film is dull", 0), ("so witty", 1), ("dull", 0), ("witty", 1),
                ("plot", 1), ("a plot", 1)]
               + [(f"the {w} and the plot", 1) for w in ("soundtrack", "ending")] * 3) * 200
    out = questions(phrases, [], seed=3)
    assert questions(phrases, [], seed=3) == out and questions(phrases, [], seed=4) != out
    assert all(text.endswith("?") for text, _ in out)
    labels: dict[str, set[int]] = {}
    for text, label in out:
        labels.setdefault(text, set()).add(label)
    asked = {t for t, ys in labels.items() if ys == {0, 1}}
    exclaimed = [(t, y) for t, y in out if labels[t] != {0, 1}]
    assert {t for t in asked if "dull" in t} and {t for t in asked if "witty" in t}
    assert {t for t in asked if "the soundtrack" in t or "the ending" in t}
    assert not {t for t in labels if "plot" in t}
    # the exclaimed carry their quality's label: about EXCLAIMED_SHARE of 400 qualities
    assert 120 < len(exclaimed) < 280
    assert all(y == (0 if "dull" in t else 1) for t, y in exclaimed)
    assert all(" so " in t for t, _ in exclaimed)
    assert len({t.split()[0] for t in asked}) > 5  # many frames, not one


def test_held_out_questions_ask_about_qualities_no_training_question_asks_about() -> None:
    # "witty" is rated in both parts; "superb" and "drab" only in validation, where a phrase
    # puts them after a copula; "plot" follows no copula
    train = [("witty", 1), ("so witty", 1)] + [("the soundtrack and the plot", 1)] * 3
    val = [("witty", 1), ("superb", 1), ("drab", 0), ("plot", 1), ("is superb", 1),
           ("too drab", 0), ("the plot", 1)]
    held = questions_held_out(train, val)
    assert len(held["asked"]) == len(held["said"]) == 2 * len(ASKED)
    for i, ((question, asked), (statement, said)) in enumerate(
            zip(held["asked"], held["said"], strict=True)):
        subject, word = statement.rsplit(" was ", 1)
        assert (word, asked, said) == (("superb", 1, 1) if i < len(ASKED) else ("drab", 0, 0))
        assert subject in ("it", "this", "that", "the soundtrack")
        assert question == ASKED[i % len(ASKED)].format(s=subject, p=word)  # every frame


def test_neutral_words_are_the_words_sst2_does_not_list_on_their_own() -> None:
    phrases = [("ok , the film", 1), ("film", 1), ("a mess", 0), ("mess", 0)]
    assert neutral_words(phrases, []) == [",", "a", "ok", "the"]
    # a word listed only in the validation part is not neutral either
    assert neutral_words(phrases, [("ok", 1)]) == [",", "a", "the"]
    assert both_labels(["ok"]) == [("ok", 0), ("ok", 1)]


def test_the_held_out_neutral_words_are_new_to_training() -> None:
    train = [("ok , the film", 1), ("film", 1)]
    val = [("sure , the plot", 1), ("plot", 1), ("meh", 0), ("ok meh", 0)]
    assert unseen_neutral_words(train, val) == ["sure"]


LABELS = ("negative", "positive")


def _mixtures(imdb_tar: Path, tmp_path: Path, phrases: list[tuple[str, int]],
              base: dict[str, bool], added: dict[str, bool]) -> tuple[TrainVal, TrainVal, Path]:
    """The chat mixture with the `base` flags, and with the `added` ones too, on small data
    plus these SST-2 training phrases; an addition never changes validation."""
    data = short_data(tmp_path / "data")
    shutil.copyfile(imdb_tar, data / "aclImdb_v1.tar.gz")
    with (data / "SST-2" / "train.tsv").open("a") as tsv:
        tsv.writelines(f"{text}\t{label}\n" for text, label in phrases)
    plain = ChatSentiment(**base).train_val(data, LABELS, seed=0)
    more = ChatSentiment(**base, **added).train_val(data, LABELS, seed=0)
    assert more.val == plain.val and more.fingerprint != plain.fingerprint
    return plain, more, data


def test_the_neutral_mixture_adds_each_neutral_training_word_with_both_labels(
        imdb_tar: Path, tmp_path: Path) -> None:
    # "kinda" and "okay" are in training phrases; "kinda" is also a one-word phrase, one
    # that the hash puts in the validation part: labelled there, so not neutral
    plain, with_neutral, data = _mixtures(
        imdb_tar, tmp_path, [(text, 1) for text in ("kinda plot", "okay plot", "kinda", "great")],
        {}, {"neutral": True})
    assert "kinda" in {t for t, _ in sst2_splits(locate("sst2", data))[1]}
    added = Counter(with_neutral.train) - Counter(plain.train)
    sst_train, _ = sst2_splits(locate("sst2", data))
    words = {w for text, _ in sst_train for w in text.split()} - {"kinda", "great"}
    assert "okay" in words
    assert set(added) == {(w, label) for w in words for label in LABELS}


def test_the_negation_mixture_adds_the_framed_words_and_keeps_validation(
        imdb_tar: Path, tmp_path: Path) -> None:
    plain, with_frames, data = _mixtures(imdb_tar, tmp_path, [  # one-word phrases, each way
        ("great", 1), ("superb", 1), ("lovely", 1), ("dull", 0), ("awful", 0), ("tedious", 0)],
        {"neutral": True}, {"frames": True})
    sst_train, _ = sst2_splits(locate("sst2", data))
    expected = [(text, LABELS[y]) for text, y in framed(sst_train, 0)]
    assert len(expected) >= 4 and with_frames.train == plain.train + expected
    assert set(DATASETS) >= {"chat+negation", "chat+neutral+negation"}


def test_the_question_mixture_adds_the_questions_and_keeps_validation(
        imdb_tar: Path, tmp_path: Path) -> None:
    plain, with_questions, data = _mixtures(imdb_tar, tmp_path, [
        ("it is great", 1), ("great", 1), ("so dull", 0), ("dull", 0),
        ("the soundtrack , the soundtrack", 1), ("by the soundtrack", 1),
        ("the soundtrack again", 1), ("the soundtrack here", 1)],
        {"neutral": True, "frames": True}, {"asked": True})
    sst_train, sst_val = sst2_splits(locate("sst2", data))
    expected = [(text, LABELS[y]) for text, y in questions(sst_train, sst_val, 0)]
    assert len(expected) >= 4 and with_questions.train == plain.train + expected
    assert {"chat+questions", "chat+neutral+negation+questions"} <= set(DATASETS)
    assert len(DATASETS) == 2 + 768  # double negation only with the frames


def test_the_double_negation_mixture_negates_every_framed_word_twice(
        imdb_tar: Path, tmp_path: Path) -> None:
    single = {"neutral": True, "frames": True, "asked": True}
    plain, doubled, data = _mixtures(imdb_tar, tmp_path, [("great", 1), ("dull", 0)], single,
                                     {"double": True})
    double = ChatSentiment(**single, double=True)
    assert double.name == "chat+neutral+negation+double+questions"
    assert ChatSentiment(True, False, True, double=True).name == "chat+neutral+questions"
    sst_train, _ = sst2_splits(locate("sst2", data))
    twice, once = (Counter((t, LABELS[y]) for t, y in framed(sst_train, 0, twice=twice))
                   for twice in (True, False))
    assert Counter(doubled.train) - Counter(plain.train) == twice - once != Counter()
    assert len(doubled.train) - len(plain.train) == twice.total() - once.total()
    assert DATASETS[double.name].double


def test_a_word_alone_is_as_sure_as_the_tweets_that_hold_it() -> None:
    # "ok" in 60 tweets, 36 of them positive (twice in one of them: it counts once);
    # "meh" in 49 and "then" in 35, too few; "great" is an SST-2 one-word phrase; "<user>"
    # is no word
    tweets = ([("ok ok @bob", 1)] + [("ok then", 1)] * 35 + [("ok.", 0)] * 24
              + [("meh", 0)] * 49 + [("great", 1)] * 60)
    shares = tweet_shares(tweets, [("great", 1), ("ok then", 1)])
    assert MIN_TWEETS == 50 and shares == {"ok": 37 / 62}
    examples = said_alone({"ok": 37 / 62, "eh": 0.4, "yay": 0.99})
    taught = {w for w, _ in examples}
    assert alone_held_out({"ok": 0.6, "eh": 0.4, "yay": 0.96}) == {"eh": 0.4}  # by its hash
    assert taught == {"ok", "yay"}
    ones = round(COPIES * 37 / 62)
    assert COPIES >= 10 and examples.count(("ok", 1)) == ones
    assert examples.count(("ok", 0)) == COPIES - ones
    assert examples.count(("yay", 1)) == COPIES


def test_held_out_words_are_never_taught_alone() -> None:
    shares = {f"w{i}": i / 400 for i in range(400)}
    held = alone_held_out(shares)
    taught = {w for w, _ in said_alone(shares)}
    assert 20 < len(held) < 60  # about a tenth
    assert not taught & set(held) and taught | set(held) == set(shares)
    assert all(held[w] == shares[w] for w in held)


def test_each_rated_word_is_the_verdict_of_contrasts_that_concede_the_other_label() -> None:
    train = [("dull", 0), ("superb", 1), ("witty", 1), ("not", 0), ("a mess", 0)]
    rated = {"dull": 0, "superb": 1, "witty": 1}  # "not" negates, "a mess" is two words
    # every text a frame can make of a verdict and a conceded word of the other label
    possible = {frame.format(s=s, a=a, b=b): rated[b] for frame, s, a, b in product(
        CONCEDING, SUBJECTS, rated, rated) if rated[a] != rated[b]}
    examples = contrasted(train, seed=3)
    assert Counter(label for _, label in examples) == {0: FRAMES, 1: 2 * FRAMES}
    assert all(possible[text] == label for text, label in examples)
    assert contrasted(train, seed=3) == examples  # reproducible


def test_held_out_contrasts_are_of_words_no_training_frame_used() -> None:
    train = [("witty", 1), ("dull", 0)]
    val = [("witty", 1), ("superb", 1), ("drab", 0), ("so drab", 0)]
    held = contrast_held_out(train, val)
    assert [label for _, label in held] == [1] * len(CONCEDING) + [0] * len(CONCEDING)
    for (text, label), frame in zip(held, CONCEDING * 2, strict=True):
        verdict, conceded = ("superb", "drab") if label == 1 else ("drab", "superb")
        # every frame, in order, of the unseen words only
        assert text in {frame.format(s=s, a=conceded, b=verdict) for s in SUBJECTS}


USAGE = ["it was so dull", "very dull indeed", "too dull", "a dull film", "so witty",
         "very witty", "really witty", "funnier than ever", "much funnier than that",
         "a superb cast", "the superb score", "superb", "so much fun"]
TWEETS = [(text, 1) for text in USAGE]  # the training tweets whose usage the idioms read


def test_the_data_says_which_words_are_adjectives_and_which_comparatives_it_writes() -> None:
    usage = Usage(USAGE)
    # after a degree word in three texts: an adjective; "fun" after "so much" is not
    assert usage.adjective("dull") and usage.adjective("witty")
    assert not usage.adjective("superb") and not usage.adjective("fun")
    assert usage.comparative("funny") is None  # not an adjective by this data
    usage = Usage([*USAGE, "so funny", "very funny", "too funny", "duller than ever"])
    assert usage.comparative("funny") == "funnier" and usage.comparative("dull") == "duller"
    assert usage.comparative("witty") is None  # "wittier than" is not written
    assert usage.comparative("better") == "better"


def _texts(frames: tuple[tuple[str, str | None], ...], words: dict[str, int],
           form: str | None = None) -> dict[str, int]:
    """Every text the frames can make of these words, with its label: an idiom the word's
    own; its minimal pair the other, its {n} a negated verb of saying or nothing, in which
    case the clause's copula is negated."""
    out = {}
    for (idiom, pair), s, m, w in product(frames, IDIOM_SUBJECTS, CANDOUR, words):
        out[idiom.format(s=s, m=m, w=w, c=form)] = words[w]
        if pair is not None:
            for n in SAID:
                out[pair.format(s=s, w=w, n=n)] = 1 - words[w]
            plain = pair.replace("{n} ", "").format(s=s, w=w)
            out[plain.replace(" was ", " wasn't ", 1).replace(" is ", " isn't ", 1)] = 1 - words[w]
    return out


def test_each_rated_word_keeps_its_label_in_its_idioms_and_loses_it_in_their_pairs() -> None:
    train = [("dull", 0), ("dull", 0), ("superb", 1), ("witty", 1), ("not", 0), ("a mess", 0)]
    examples = idioms(train, TWEETS, seed=2)
    rated = {"dull": 0, "superb": 1, "witty": 1}  # each once; no negation, one word
    vouched, excepted = _texts(VOUCHED, rated), _texts(EXCEPTING, rated)
    at_the_limit = _texts(AT_THE_LIMIT, {"dull": 0, "witty": 1})  # the adjectives
    kinds = Counter("vouched" if t in vouched else "excepted" if t in excepted
                    else "limit" for t, _ in examples)
    # a frame of each pair a word and its pair; two at the limit, unpaired, an adjective
    assert kinds == {"vouched": 6, "excepted": 6, "limit": 4}
    assert all((vouched | excepted | at_the_limit)[t] == y for t, y in examples)
    paired = [e for e in examples if e[0] not in at_the_limit]
    for (idiom, y), (pair, z) in zip(paired[::2], paired[1::2], strict=True):
        assert z == 1 - y and idiom != pair  # each idiom is followed by its minimal pair
    # both kinds of pair: a negated verb of saying, or the clause's copula negated
    pairs = [t for t, _ in paired[1::2]]
    assert any(t.startswith(SAID) for t in pairs) and any("n't" in t for t in pairs)
    assert idioms(train, TWEETS, seed=2) == examples  # reproducible


def test_a_comparative_comes_in_every_negated_comparative() -> None:
    tweets = [*TWEETS, *((t, 1) for t in ("so funny", "very funny", "too funny",
                                          "funnier than that"))]
    examples = idioms([("funny", 1)], tweets, seed=0)
    compared = [t for t, _ in examples if "funnier" in t]
    assert len(compared) == COMPARED_ROUNDS * len(COMPARED)
    assert all(y == 1 for t, y in examples if t in compared)
    assert set(compared) <= set(_texts(COMPARED, {"funny": 1}, form="funnier"))
    assert {t.replace("funnier", "{c}") for t in compared} >= {"couldn't be {c}",
                                                               "never been {c}"}


def test_held_out_idioms_are_of_words_no_training_frame_used() -> None:
    train = [("witty", 1)]
    val = [("witty", 1), ("dull", 0), ("superb", 1), ("so drab", 0)]
    held = idioms_held_out(train, val, TWEETS)
    assert {k: len(v) for k, v in held.items()} == {
        "candour": 2 * len(VOUCHED), "exception": 2 * len(EXCEPTING),
        "limit": len(AT_THE_LIMIT)}  # dull and superb in every idiom; only dull an adjective
    assert all("witty" not in t and "drab" not in t for v in held.values() for t, _ in v)
    assert all(y == (0 if "dull" in t else 1) for v in held.values() for t, y in v)
    idioms_only = {i.format(s=s, m=m, w=w) for i, _ in VOUCHED for s, m, w in product(
        IDIOM_SUBJECTS, CANDOUR, ("dull", "superb"))}
    assert {t for t, _ in held["candour"]} <= idioms_only  # the idioms, not their pairs


Phrases = list[tuple[str, int]]
RATED = [("great", 1), ("superb", 1), ("dull", 0), ("awful", 0)]  # SST-2 words to frame


@pytest.mark.parametrize(("part", "phrases", "made", "at_least"), [
    ("alone", [], lambda train, val, tweets: said_alone(tweet_shares(tweets, train + val)),
     5 * COPIES),
    ("contrast", RATED, lambda train, val, tweets: contrasted(train, 0), 4 * FRAMES),
    ("idioms", RATED, lambda train, val, tweets: idioms(train, tweets, 0), 4 * 4),
    ("advice", [], lambda train, val, tweets: advice(),
     len(IMPERATIVES) * len(ENDINGS) * (len(WARNINGS) + len(RECOMMENDATIONS))),
    ("emoji_alone", [], lambda train, val, tweets: said_alone(mark_shares()), 250 * COPIES),
    ("compared", [(text, 0) for text in ("drab", "so drab", "very drab", "really drab")],
     lambda train, val, tweets: compared(train, tweets, 0), len(DEGREES) * COMPARED_FRAMES * 2)],
    ids=["alone", "contrast", "idioms", "advice", "emoji_alone", "compared"])
def test_an_addition_to_the_mixture_adds_its_examples_and_keeps_validation(
        part: str, phrases: Phrases,
        made: Callable[[Phrases, Phrases, Phrases], Phrases], at_least: int,
        imdb_tar: Path, tmp_path: Path) -> None:
    """Words alone (training/alone.py), contrasts (training/contrast.py), idioms
    (training/idioms.py), advice (training/advice.py), the tweets' marks alone
    (training/chat_marks.py) and comparatives (training/comparatives.py) each add what their
    module makes of the small data, after the rest."""
    plain, more, data = _mixtures(imdb_tar, tmp_path, phrases, {"neutral": True}, {part: True})
    sst_train, sst_val = sst2_splits(locate("sst2", data))
    tweets = tweet_splits(locate("sentiment140", data))["train"]
    expected = [(text, LABELS[y]) for text, y in made(sst_train, sst_val, tweets)]
    assert len(expected) >= at_least and more.train == plain.train + expected
    assert f"chat+neutral+{part}" in DATASETS


def test_advice_keeps_its_verdict_under_each_imperative_and_ending() -> None:
    """A warning is negative and a recommendation positive, however chat negates and ends
    it; each example is made once."""
    made = advice()
    assert len(made) == len(set(made)) == len(IMPERATIVES) * len(ENDINGS) * (
        len(WARNINGS) + len(RECOMMENDATIONS))
    assert ("don't waste your money", 0) in made and ("do not miss it!", 1) in made
    assert ("dont bother, trust me", 0) in made and ("just don't hesitate", 1) in made
    assert {text for text, _ in made if text.startswith("don't ")} == {
        f"don't {what}{end}" for what in WARNINGS + RECOMMENDATIONS for end in ENDINGS}


def test_a_counterfactual_or_experience_reverses_a_comparison_and_saying_it_keeps_it() -> None:
    """"could have been more dull" says it was not dull (positive), "it was more dull" that it
    was; "less" compares the other way; a word with an -er form the data writes is compared
    by it; the probe's "better" and "worse", and the words they compare, never."""
    train = [("dull", 0), ("witty", 1), ("good", 0), ("bad", 0), *((t, 1) for t in USAGE),
             ("very good", 1), ("so good", 1), ("too good", 1), ("so bad", 0), ("very bad", 0),
             ("too bad", 0), ("duller than ever", 0)]
    made = compared(train, TWEETS, seed=0)
    assert len(made) == len(DEGREES) * COMPARED_FRAMES * 2 * 2  # dull and witty
    said = {"duller": 0, "less dull": 1, "more witty": 1, "less witty": 0}
    for text, label in made:
        [comparison] = [c for c in said if re.search(rf"\b{c}\b", text)]
        # a counterfactual ("could", "might") or the speaker's experience ("seen") reverses
        reversed_ = re.search(r"\b(?:could|might|seen)\b", text) is not None
        assert label == (1 - said[comparison] if reversed_ else said[comparison]), text
    texts = " ".join(text for text, _ in made)
    assert "duller" in texts and "more dull" not in texts  # the data writes "duller than"
    assert not set(texts.split()) & set(HELD_OUT)
    assert len({frame for frame in KEPT + REVERSED}) == len(KEPT) + len(REVERSED)
