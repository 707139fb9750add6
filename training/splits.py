"""What a task's models are trained, calibrated and tested on: the splits of the data set its
spec names (TaskSpec.dataset), labelled with the spec's label names (TaskSpec.labels).

Evaluation, ensemble calibration and fine-tuning all read these, so a model is always judged
against the split protocol it was trained with. A new data set is one more class here.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Protocol

from inference.tasks import task_spec
from training.advice import advice
from training.alone import said_alone, tweet_shares
from training.chat_marks import mark_shares, with_marks
from training.comparatives import compared as comparisons
from training.contrast import contrasted
from training.data import clean_name_splits, fingerprint, load_imdb, locate, split_validation
from training.idioms import idioms
from training.negation import framed, negated
from training.neutral import both_labels, neutral_words
from training.questions import questions
from training.sentences import Example, sst2_splits, tweet_splits

Pair = tuple[str, str]  # (raw input, label)


@dataclass(frozen=True)
class TrainVal:
    train: list[Pair]
    val: list[Pair]
    fingerprint: str  # what a checkpoint trained on these splits records as data_fingerprint


Data = str | Path | None  # --data / $SEQBOT_DATA / a verified download (training.data.locate)


class Dataset(Protocol):
    def test(self, data: Data, labels: tuple[str, ...]) -> list[Pair]: ...

    def train_val(self, data: Data, labels: tuple[str, ...], seed: int) -> TrainVal: ...


class Surnames:
    """The clean protocol: unique names split 80/10/10 by name hash (training.data); no seed,
    and the labels are the data's own (one file per language)."""

    def test(self, data: Data, labels: tuple[str, ...]) -> list[Pair]:
        return clean_name_splits(locate("names", data)).test

    def train_val(self, data: Data, labels: tuple[str, ...], seed: int) -> TrainVal:
        splits = clean_name_splits(locate("names", data))
        return TrainVal(splits.train, splits.val,
                        fingerprint(splits.train + splits.val + splits.test))


class Imdb:
    """The official IMDB test set; validation is a seeded 10% of the training reviews."""

    def test(self, data: Data, labels: tuple[str, ...]) -> list[Pair]:
        return [(text, labels[y]) for text, y in load_imdb(locate("imdb", data), "test")]

    def train_val(self, data: Data, labels: tuple[str, ...], seed: int) -> TrainVal:
        train, val = split_validation(load_imdb(locate("imdb", data), "train"), 0.1, seed)
        return TrainVal([(t, labels[y]) for t, y in train], [(t, labels[y]) for t, y in val],
                        fingerprint(train + val))


class ChatSentiment:
    """IMDB reviews, SST-2 phrases and tweets: the chat model's mixture (docs/results.md,
    "Sentiment on chat"). Each example counts once an epoch: the short texts are 70% of the
    examples, so of the optimiser's steps, and 12% of the words, so of the compute.

    Validation is each set's own held-out part (IMDB's seeded 10%, SST-2's and the tweets'
    hash-held tenths); test stays IMDB's official one, while SST-2 dev and the held-out tweets
    are kept for final reports (benchmarks/sentiment_chat.py). A share TWEET_MARKS of the
    training tweets get an emoticon or emoji of their class back (training/chat_marks.py),
    and SST-2's one- and two-word training phrases come once more negated
    (training/negation.py). With `neutral`, the words SST's annotators rated neutral come
    once with each label (training/neutral.py). With `frames`, SST-2's one-word training
    phrases come again in the frames chat negates with, once and twice negated
    (training/negation.py `framed`); with `double` too, each of them twice negated in two
    frames. With `asked`, questions made of SST-2's words that ask
    about a quality or for a fact come once with each label, and some that exclaim with the
    quality's own (training/questions.py). With `alone`, each word of enough training tweets
    comes alone, as often positive as those tweets are (training/alone.py). With `contrast`,
    SST-2's one-word phrases come as the verdict of messages that concede a word of the other
    label first (training/contrast.py). With `idioms`, they come in idioms whose negation
    does not reverse them ("not gonna lie, P", "couldn't be more P", "nothing but P") with
    their own label (training/idioms.py). With `advice`, reviewers' warnings and
    recommendations whose negation keeps their verdict ("don't waste your money", "don't
    miss it") come with it (training/advice.py). With `emoji_alone`, each emoji and
    emoticon the tweets are marked with comes alone, as often positive as the marked tweets
    carrying it are (training/alone.py). With `compared`, SST-2's adjectives come compared in
    counterfactuals and experience, which reverse the comparison, and plainly, which keeps it
    (training/comparatives.py).
    """

    TWEET_MARKS = 0.2
    # what the mixture may add, in the constructor's order ("double" only with "frames")
    PARTS = ("neutral", "frames", "asked", "double", "alone", "contrast", "idioms", "advice",
             "emoji_alone", "compared")

    def __init__(self, neutral: bool = False, frames: bool = False, asked: bool = False,
                 double: bool = False, alone: bool = False, contrast: bool = False,
                 idioms: bool = False, advice: bool = False,
                 emoji_alone: bool = False, compared: bool = False) -> None:
        self.neutral, self.frames, self.asked, self.alone = neutral, frames, asked, alone
        self.contrast, self.idioms, self.advice = contrast, idioms, advice
        self.emoji_alone, self.compared = emoji_alone, compared
        self.double = frames and double

    @property
    def name(self) -> str:
        """What a checkpoint records as its data set, so that a finetune replays this mixture."""
        return ("chat" + "+neutral" * self.neutral + "+negation" * self.frames
                + "+double" * self.double + "+questions" * self.asked + "+alone" * self.alone
                + "+contrast" * self.contrast + "+idioms" * self.idioms
                + "+advice" * self.advice + "+emoji_alone" * self.emoji_alone
                + "+compared" * self.compared)

    def test(self, data: Data, labels: tuple[str, ...]) -> list[Pair]:
        return Imdb().test(data, labels)

    def train_val(self, data: Data, labels: tuple[str, ...], seed: int) -> TrainVal:
        reviews = Imdb().train_val(data, labels, seed)
        short_train, short_val = self.short(data, seed)
        named = [(t, labels[y]) for t, y in short_train], [(t, labels[y]) for t, y in short_val]
        return TrainVal(reviews.train + named[0], reviews.val + named[1],
                        fingerprint([(reviews.fingerprint, ""), *short_train, *short_val]))

    def short(self, data: Data, seed: int) -> tuple[list[Example], list[Example]]:
        """The mixture's short texts, training then validation, labels as ids: SST-2's
        phrases and the tweets, with what each part adds to training. No review is read."""
        sst_train, sst_val = sst2_splits(locate("sst2", data))
        tweets = tweet_splits(locate("sentiment140", data))
        short_train = (sst_train + negated(sst_train)
                       + with_marks(tweets["train"], self.TWEET_MARKS, seed))
        if self.neutral:
            short_train += both_labels(neutral_words(sst_train, sst_val))
        if self.frames:
            short_train += framed(sst_train, seed, twice=self.double)
        if self.asked:
            short_train += questions(sst_train, sst_val, seed)
        if self.alone:
            short_train += said_alone(tweet_shares(tweets["train"], sst_train + sst_val))
        if self.contrast:
            short_train += contrasted(sst_train, seed)
        if self.idioms:
            short_train += idioms(sst_train, tweets["train"], seed)
        if self.advice:
            short_train += advice()
        if self.emoji_alone:
            short_train += said_alone(mark_shares())
        if self.compared:
            short_train += comparisons(sst_train, tweets["train"], seed)
        return short_train, sst_val + tweets["val"]


DATASETS: dict[str, Dataset] = {"names": Surnames(), "imdb": Imdb()} | {
    chat.name: chat for chat in (ChatSentiment(*flags) for flags in product(
        (False, True), repeat=len(ChatSentiment.PARTS)))}


def dataset_of(task: str, trained_on: str | None = None) -> Dataset:
    """The data set a model was trained on (Checkpoint.metrics["dataset"]), else its task's."""
    return DATASETS[trained_on or task_spec(task).dataset]


def test_set(task: str, data: Data, trained_on: str | None = None) -> list[Pair]:
    """(input, label) pairs of the task's test set."""
    return dataset_of(task, trained_on).test(data, task_spec(task).labels)


def train_val(task: str, data: Data, seed: int = 0, trained_on: str | None = None) -> TrainVal:
    """The task's training and validation pairs, as the model trained with `seed` split them,
    and the fingerprint that model records (so a caller can check it is the same split)."""
    return dataset_of(task, trained_on).train_val(data, task_spec(task).labels, seed)
