"""Every task, described once: what differs between tasks is data here, not branches elsewhere.

A TaskSpec holds everything that differs between tasks: the input pipeline (by version), the
input limit, the default number of labels listed, how explanations are measured and shown,
where the labels come from, the data set evaluation and fine-tuning use, the training recipe,
how the bot names, asks for and draws an answer (and how it says "not sure"), and, where a
task has them, what the way an input is written says (`evidence`), which inputs the
labelled data answers directly (`memory`) and how an input of several words is read
(`words`). The bot, the inference service,
training and the benchmarks read the spec; none of them branches on a task's name. The spec
holds keys, not objects of the layers above it (a colour key, not a Discord colour; a data set
and a recipe by name), so inference imports neither the bot nor training. Torch-free.

Preprocessing is versioned per task. `TaskSpec.pipelines` maps each version number to a
Pipeline (inference/text.py: raw input -> normalised text -> units -> token ids), and
`TaskSpec.preprocess_version` is the version new training uses. Every checkpoint records the
version it was trained with (`Checkpoint.preprocess_version`) and is served and fine-tuned
with exactly that pipeline (`Checkpoint.pipeline`), so a promoted checkpoint keeps its
answers after a newer pipeline ships. Adding version N to a task:
  1. write what is new as functions of their own (inference/text.py or a new module),
     leaving the functions older versions use as they are;
  2. add `N: Pipeline(...)` to the task's `pipelines`, and set `preprocess_version=N`;
  3. train a model: training reads `spec.pipeline()`, the newest; every older checkpoint is
     still served with the version it records, and loading refuses a version this install
     does not have.
A shipped version never changes behaviour: the shipped weights must reproduce their
recorded metrics exactly.

Adding a task: docs/architecture.md, "How to add a task". In short, one more TaskSpec in
SPECS below (and, to train it, a recipe module and its data set in training/).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from inference.chat_text import (
    normalize_chat,
    shown_chat,
    tokenize_chat,
    tokenize_chat_v3,
    tokenize_chat_v5,
)
from inference.errors import InputError
from inference.evidence import NameEvidence, name_evidence
from inference.memory import Forms, Memory
from inference.name_words import NAME_WORDS, WordReading
from inference.surname_forms import name_forms
from inference.text import (
    MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
    MAX_TOKENS,
    Pipeline,
    clip_chars,
    name_chars,
    name_key,
    normalize_name,
    normalize_text,
    tokenize,
    without_symbols,
)

# How Discord writes a mention of a user, role or channel, and the two that name everyone.
MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|@(?:everyone|here)\b")


class UnknownTask(ValueError):
    """A task name no spec has."""


class UnknownPipeline(ValueError):
    """A preprocessing version this install does not have."""


@dataclass(frozen=True)
class Explaining:
    """How an answer is explained (inference/explain.py) and how much of it is shown."""

    ngram_sizes: tuple[int, ...]  # the sizes, in units, of the parts removed one at a time
    method: str  # how the parts were measured, in words: shown with every explanation
    shown_parts: int  # the parts listed each way (toward the answer, against it)
    toward_only: bool = False  # show only what pushed toward the answer (not what opposed it)
    affixes: bool = False  # show a part with hyphens where the input goes on ("-ski", "na-")


@dataclass(frozen=True)
class CardStyle:
    """How the bot draws an answer; keys only, each front end maps them to its own look."""

    title: str
    headline: str  # a format string of {label}, {Label} (capitalised) and {percent}
    colour: str  # a colour key; the bot maps it to a Discord colour (bot/embeds.py)
    show_normalized: bool = False  # add "Read as: ..." when the model read the input otherwise
    # The headline of an answer below the model's not-sure threshold, and of an input in a
    # language (or writing) the model does not know (inference.verdict); the same fields as
    # `headline`, and {maybe}: the top labels, "X, Y or Z", and {writing}: what none of the
    # languages writes, "in Hebrew" or "with ı (Turkish)" (inference.evidence).
    not_sure: str = "Not sure — maybe {maybe}"
    unknown_language: str = "Not a language I know — maybe {maybe}"


@dataclass(frozen=True)
class KnownInputs:
    """Inputs the labelled data (and the community's agreed labels) answer directly, without
    the model (inference/memory.py)."""

    key: Callable[[str], str]  # which inputs are one: two with the same key are the same
    noun: str  # what an input is called: the card says "known <noun>: ..."
    # an unknown input's other forms that answer for it (inference/surname_forms.py)
    forms: Forms | None = None

    def memory(self, pairs: Iterable[tuple[str, str]] = ()) -> Memory:
        """The memory of these (input, label) pairs, reading inputs as the task does."""
        return Memory(self.key, pairs, self.forms)


@dataclass(frozen=True)
class Command:
    """How people ask: the slash command (named after the task) and its help."""

    description: str  # the slash command's description on Discord
    help: str  # its line in /help
    option: str  # the name of the input: /origin name:..., the console's "Usage: /origin name"
    option_help: str
    message_menu: str | None = None  # a message context-menu command of this name, if any
    # An input holding a mention (MENTION: <@id>, <@&id>, <#id>, @everyone, @here) is refused
    # with this message, on every surface; None: the bot reads them as placeholders (@user,
    # @role, #channel; @everyone and @here stay text).
    mention_error: str | None = None


@dataclass(frozen=True)
class TaskSpec:
    name: str  # the command, the HTTP path (/v1/<name>), the model folder, the stored rows
    summary: str  # what the bot guesses, for /about ("I guess <summary> and <summary>.")
    pipelines: Mapping[int, Pipeline]  # every preprocessing version a checkpoint may record
    preprocess_version: int  # the version new training uses
    # The longest input, in characters, on every surface: Discord's option allows no more,
    # and the console, the HTTP service and the predict CLI apply it as the spec says (admit).
    max_chars: int
    top_k: int  # labels a prediction lists when the caller does not say
    labels: tuple[str, ...]  # label names by the data set's class number; (): the data names them
    dataset: str  # the data set training, evaluation and fine-tuning read (training/splits.py)
    recipe: str  # the module that trains a model from scratch (training/recipes.py)
    explaining: Explaining
    card: CardStyle
    command: Command
    # An input every model of the task must score before it serves (inference.worker): a
    # checkpoint that loads but answers it with non-finite or non-probability numbers is
    # refused, and the model already serving stays.
    probe: str
    # What the way an input is written says (a surname's script and letters), as likelihood
    # ratios on the model's answer (inference/evidence.py); None: the model's answer alone.
    evidence: Callable[[str], NameEvidence] | None = None
    memory: KnownInputs | None = None  # None: every answer is the model's
    # How the model reads an input of several words: one at a time, answering with the
    # mean of their answers (inference/name_words.py). None: every input whole.
    words: WordReading | None = None
    # A longer input keeps its beginning and its end, and the answer says it was cut (True),
    # or is refused with a message that says the limit (False).
    cut_long: bool = False
    # Whether emoji and other symbols are part of what is read (sentiment: 😂 is a word);
    # False: they are dropped before anything reads the input (a surname's "Müller 👍").
    reads_symbols: bool = True
    # Serve the model in int8 on a CPU (inference.quantize) unless SEQBOT_INT8=0: only where
    # benchmarks/int8.py measured top-1 agreement >= 99.5% with fp32 on the test set and
    # accuracy within 0.2 points (docs/scaling.md, "int8 on the CPU").
    int8: bool = False

    def __post_init__(self) -> None:
        if self.preprocess_version not in self.pipelines:
            raise ValueError(f"{self.name}: no pipeline v{self.preprocess_version}")

    def admit(self, raw: str) -> tuple[str, bool]:
        """What every surface scores of `raw` (without its symbols, for a task that does not
        read them), and whether it was cut; InputError for a mention the task refuses and
        for a long input it does not cut."""
        if self.command.mention_error is not None and MENTION.search(raw):
            raise InputError(self.command.mention_error)
        if not self.reads_symbols:
            raw = without_symbols(raw)
        if len(raw) <= self.max_chars:
            return raw, False
        if not self.cut_long:
            raise InputError(f"{self.command.option.capitalize()}s can be at most "
                             f"{self.max_chars} characters long.")
        return clip_chars(raw, self.max_chars)

    def pipeline(self, version: int | None = None) -> Pipeline:
        """The pipeline of a preprocessing version (default: the one new training uses)."""
        version = self.preprocess_version if version is None else version
        if version not in self.pipelines:
            known = ", ".join(f"v{v}" for v in sorted(self.pipelines))
            raise UnknownPipeline(f"{self.name} has no preprocessing v{version} "
                                  f"(this install has {known})")
        return self.pipelines[version]

    def continuable(self) -> set[int]:
        """The versions a model may be trained on under the newest (--init): it and each
        version it extends, in turn, since their units are its units."""
        versions, version = set(), self.preprocess_version
        while version is not None:
            versions.add(version)
            version = self.pipelines[version].extends
        return versions


ORIGIN = TaskSpec(
    name="origin",
    summary="which language a surname comes from (a character-level RNN)",
    pipelines={1: Pipeline(normalize_name, name_chars, joiner="")},
    preprocess_version=1,
    max_chars=MAX_NAME_CHARS,
    top_k=3,
    labels=(),  # one file per language in the surnames data
    dataset="names",
    recipe="training.origin",
    # A name's parts: every run of 1 to 3 characters ("-ski", "ama"). A name's answer is what
    # its parts add up to, so only what pushed toward it is shown.
    explaining=Explaining((1, 2, 3), "occlusion of characters and character 2- and 3-grams",
                          shown_parts=3, toward_only=True, affixes=True),
    card=CardStyle("Language of origin", "Most likely {label} ({percent})", colour="blurple",
                   show_normalized=True, not_sure="Not sure — maybe {maybe}",
                   unknown_language="Written {writing}, which none of my languages uses — "
                                    "maybe {maybe}"),
    command=Command("Guess which language a surname comes from",
                    "guess the language a surname comes from (top 3 with probabilities)",
                    option="name",
                    option_help="A surname or a full name, in any script (transliterated if it "
                                "is not Latin)",
                    mention_error="That is a mention, not a name: please type the surname "
                                  "itself."),
    probe="Nakamura",
    evidence=name_evidence,
    memory=KnownInputs(name_key, noun="name", forms=name_forms),
    words=NAME_WORDS,  # "Zhang Wei": each word, as the surnames the model learned from
    reads_symbols=False,
    int8=True,  # test set: 99.7% the same top-1, accuracy -0.11 points, 1.8x batched
)

SENTIMENT = TaskSpec(
    name="sentiment",
    summary="whether a text sounds positive or negative (a word-level LSTM)",
    # v2 is the chat tokenizer (inference/chat_text.py) that models trained on chat as well
    # as reviews read, v3 the same with negations typed without an apostrophe and questions'
    # outer negation, v4 v3 with typos read as the word meant (inference/spelling.py), v5 v4
    # with outer negation read as the statement it asks agreement with, v6 v5 with a real
    # English word never respelt into another; v1 checkpoints keep v1.
    pipelines={1: Pipeline(normalize_text, tokenize, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS),
               2: Pipeline(normalize_chat, tokenize_chat, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS, shown=shown_chat),
               3: Pipeline(normalize_chat, tokenize_chat_v3, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS, shown=shown_chat, extends=2),
               4: Pipeline(normalize_chat, tokenize_chat_v3, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS, shown=shown_chat, extends=3,
                           respell=True),
               5: Pipeline(normalize_chat, tokenize_chat_v5, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS, shown=shown_chat, extends=4,
                           respell=True),
               6: Pipeline(normalize_chat, tokenize_chat_v5, joiner=" ", max_units=MAX_TOKENS,
                           max_raw_chars=MAX_TEXT_CHARS, shown=shown_chat, extends=5,
                           respell=True, respell_english=True)},
    preprocess_version=6,
    max_chars=MAX_TEXT_CHARS,
    top_k=2,
    labels=("negative", "positive"),  # IMDB's 0 and 1
    dataset="imdb",
    recipe="training.sentiment",
    explaining=Explaining((1,), "leave-one-word-out occlusion", shown_parts=5),
    card=CardStyle("Sentiment", "{Label} ({percent} confident)", colour="teal",
                   not_sure="Mixed or neutral — leaning {label}, {percent}",
                   unknown_language="I read English; most of these words are new to me"),
    command=Command("Is this text positive or negative?", "is this text positive or negative?",
                    option="text", option_help="Any text, e.g. a short review",
                    message_menu="Analyze sentiment"),
    cut_long=True,
    probe="a great film",
)

SPECS: dict[str, TaskSpec] = {spec.name: spec for spec in (ORIGIN, SENTIMENT)}
TASKS = SPECS.keys()  # every task's name, in order; a live view of SPECS


def task_spec(name: str) -> TaskSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownTask(f"unknown task {name!r}; expected one of {list(TASKS)}") from None
