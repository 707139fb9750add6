"""How answers read, as plain text: shared by Discord embeds and the console.

Nothing here escapes anything: `Card.subject` and `Card.read_as` hold user text, and each
front end escapes them its own way (markdown, tokens and mentions on Discord: bot.embeds;
escape sequences and control characters in a terminal: bot.console, db.shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.explaining import Why
from bot.services import Answer, ModelStatus
from db import VoteTally
from inference.evidence import unknown_writing
from inference.results import Explanation, Part, Prediction
from inference.tasks import SPECS, task_spec
from inference.verdict import NOT_SURE, UNKNOWN_LANGUAGE

SHOWN_LABELS = 3
BAR_WIDTH = 12
SUBJECT_CHARS = 300
_EIGHTHS = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True)
class Card:
    """One answer, laid out: a front end only decides fonts and escaping."""

    task: str
    title: str
    subject: str  # the user's input (shortened); untrusted
    headline: str
    chart: list[str]  # monospaced lines
    read_as: str | None = None  # the transliterated input, when it differs; untrusted
    notes: list[str] = field(default_factory=list)
    footer: str = ""


def percent(p: float) -> str:
    """One decimal; a near-certain answer reads ">99.9%", since "100%" next to a "0.4%"
    runner-up would not add up."""
    if p >= 0.9995:
        return "100%" if p >= 1.0 else ">99.9%"
    return f"{100 * p:.1f}%"


def bar(p: float, width: int = BAR_WIDTH) -> str:
    """A unicode bar in eighths of a cell, padded to `width` so columns line up."""
    eighths = round(min(max(p, 0.0), 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[rest] if rest else "")).ljust(width)


def chart(top: Sequence[tuple[str, float]], k: int = SHOWN_LABELS) -> list[str]:
    shown = list(top[:k])
    width = max(len(label) for label, _ in shown)
    return [f"{label.ljust(width)} {bar(p)} {percent(p).rjust(6)}" for label, p in shown]


def shorten(text: str, limit: int = SUBJECT_CHARS) -> str:
    """One line of at most `limit` characters."""
    return clip(" ".join(text.split()), limit)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prediction_card(answer: Answer) -> Card:
    p = answer.prediction
    style = task_spec(p.task).card
    footer = f"model {p.model_version}"
    if answer.votable:
        footer += " · your vote trains the next version"
    read_as = None
    if style.show_normalized and p.normalized != " ".join(p.input.split()):
        read_as = p.normalized
    # The script a name is written in ("Written in Hangul (Korean)"), unless the headline
    # already says that none of the model's languages writes it.
    notes = [capitalised(e.text) for e in p.evidence
             if e.kind == "script" and p.confidence != UNKNOWN_LANGUAGE]
    words = p.words  # derived from the answer each time it is read: read it once
    if len(words) > 1:
        notes.append(f"Read word by word: {' · '.join(words)}")
    elif words:  # a title or an initial left out: "Dr. Abe"
        read_as = words[0]
    if p.truncated:
        notes.append("This text was long: only its beginning and its end were read.")
    return Card(
        task=p.task,
        title=style.title,
        subject=shorten(p.input),
        headline=headline(p),
        chart=chart(p.top),
        read_as=read_as,
        notes=notes,
        footer=footer,
    )


def headline(p: Prediction) -> str:
    """What the card says first: the answer, how sure it is, or where it came from.

    A known input says what is known of it ("Known name: English, Scottish, Czech in the
    data"); otherwise the verdict picks the spec's line: "Most likely X (p)", "Not sure —
    maybe X, Y or Z", or the line for a language (or script) the model does not know."""
    if p.known is not None:
        return capitalised(p.known.text)
    style = task_spec(p.task).card
    line = {NOT_SURE: style.not_sure, UNKNOWN_LANGUAGE: style.unknown_language}.get(
        p.confidence, style.headline)
    return line.format(label=p.label, Label=p.label.capitalize(),
                       percent=percent(p.probability),
                       writing=unknown_writing(p.evidence) or f"in {p.script or 'this script'}",
                       maybe=listed([label for label, _ in p.top[:SHOWN_LABELS]], "or"))


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def feedback_line(tally: VoteTally) -> str:
    """The running count shown on an answer once people have voted."""
    voters = "1 voter agrees" if tally.voters == 1 else f"{tally.voters} voters agree"
    line = f"{tally.said_right} of {voters} with this answer"
    if tally.consensus is not None and tally.consensus != tally.top_label:
        line += f" · the community says {tally.consensus}"
    return line


def accuracy(status: ModelStatus) -> str:
    """Its held-out test scores, e.g. "81.2% test accuracy, 79.0% macro-F1"."""
    if status.test_accuracy is None:
        return "test accuracy not recorded"
    text = f"{percent(status.test_accuracy)} test accuracy"
    if status.test_macro_f1 is not None:
        text += f", {percent(status.test_macro_f1)} macro-F1"
    return text


def listed(items: list[str], last: str = "and") -> str:
    """ "a", "a and b", "a, b and c" (or with another word before the last)."""
    return f" {last} ".join(filter(None, [", ".join(items[:-1]), items[-1]]))


# How people vote, as /about says it on Discord; the console has commands instead of buttons.
VOTING = "Every answer has Right / Wrong buttons"


def plural(count: int, noun: str) -> str:
    """ "1 vote", "2 votes", "0 votes"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def about_lines(models: list[ModelStatus], stats: dict, voting: str = VOTING) -> list[str]:
    predictions = sum(stats["predictions"].values())
    lines = [
        f"I guess {listed([spec.summary for spec in SPECS.values()])}.",
        f"{voting}: agreed corrections fine-tune the next models.",
        "",
    ]
    lines += [f"{m.task}: {m.version} ({accuracy(m)})" for m in models]
    lines.append(f"The community has given {plural(stats['votes'], 'vote')} on "
                 f"{plural(predictions, 'answer')}.")
    return lines


HELP = [
    *((f"/{spec.name} {spec.command.option}", spec.command.help) for spec in SPECS.values()),
    *((f"Apps > {spec.command.message_menu}",
       "the same on any message (right-click or long-press it)")
      for spec in SPECS.values() if spec.command.message_menu),
    ("Right / Wrong", "buttons under every answer; Wrong lets you pick the correct label"),
    ("Why?", "button under every answer: what drove it, shown only to you"),
    ("/teach", "vote on an answer I am unsure about (when a server admin has turned it on)"),
    ("/about", "what I am, which models answer, how much the community has voted"),
    ("/forget-me", "erase everything you contributed (your questions and votes)"),
]


# "Why?" explanations

READ_CHARS = 1500  # longer texts are shown as snippets around the words that mattered
WORD_CHARS = 30  # a longer "word" (a URL, a run of digits) is shown cut
CONTEXT_WORDS = 4


@dataclass(frozen=True)
class WhyCard:
    """An explanation, laid out. `read` is what the model read, in pieces, each marked +1
    (pushed toward the answer), -1 (away from it) or 0; pieces join with `joiner`."""

    task: str
    title: str
    subject: str  # the user's input (shortened); untrusted
    read: list[tuple[str, int]]
    joiner: str
    sections: list[tuple[str, list[tuple[str, str]]]]  # heading, rows of (part, effect)
    notes: list[str] = field(default_factory=list)
    footer: str = ""

    def arrow(self, mark: int) -> str:
        """What follows a marked piece: ↓ for away; ↑ for toward, except where a task marks
        only what pushed toward the answer (a name's letters: the mark alone says it)."""
        toward_only = task_spec(self.task).explaining.toward_only
        return {1: "" if toward_only else "↑", -1: "↓"}.get(mark, "")


def why_card(why: Why) -> WhyCard:
    e, p = why.explanation, why.explanation.prediction
    toward = e.toward()
    against = [] if task_spec(p.task).explaining.toward_only else e.against()
    others = [label for label, _ in p.top if label != p.label]
    sections = []
    if e.clues:  # what the writing says: "written in Hangul", "the letter ü"
        sections.append(("How it is written", [
            (c.feature, f"{c.text}: {p.label} {percent(e.base)} → {percent(c.without)} "
                        "without it") for c in e.clues]))
    sections.append((f"Toward {p.label}", [_effect(e, part) for part in toward]))
    if against:
        away = f"Toward {others[0]}" if len(others) == 1 else f"Against {p.label}"
        sections.append((away, [_effect(e, part) for part in against]))
    notes = []
    if p.known is not None:
        notes.append(f"{capitalised(p.known.text)}, so that is the answer; the model alone, "
                     f"reading the letters, gives {p.label} {percent(e.base)}.")
    if not toward:
        source = "how it is written" if e.clues and p.known is None else "the whole"
        notes.append(f"No single part pushes toward {p.label}: the answer comes from {source}.")
    if e.respelt:  # user words, but only ASCII letters are ever respelt (inference/spelling.py)
        notes.append(f"Read as typos of known words: {e.respelt_text}.")
    if p.truncated:
        notes.append("This text was long: only its beginning and its end were read.")
    if p.label != why.answered_label:
        notes.append(f"The model serving now answers {p.label}, not {why.answered_label}, "
                     f"so this explains {p.label}.")
    footer = f"each part was removed in turn and the input scored again by {p.model_version}"
    if not why.same_model:
        footer += f" (the answer came from {why.answered_by})"
    marks = {**{part.start: (part, -1) for part in against},
             **{part.start: (part, 1) for part in toward}}
    units = [clip(unit, WORD_CHARS) for unit in e.units]  # a name's spaces stay
    read = _pieces(units, marks, e.joiner)
    if len(" ".join(text for text, _ in read)) > READ_CHARS:
        read = _snippets(units, marks)
    return WhyCard(p.task, f"Why {p.label}?", shorten(p.input), read, e.joiner, sections,
                   notes, footer)


def _effect(e: Explanation, part: Part) -> tuple[str, str]:
    p = e.prediction
    effect = f"{p.label} {percent(e.base)} → {percent(part.without)} without it"
    return clip(e.shown(part), WORD_CHARS), effect


def _pieces(units: list[str], marks: dict[int, tuple[Part, int]],
            joiner: str) -> list[tuple[str, int]]:
    """The units joined into marked parts and unmarked runs between them."""
    pieces: list[tuple[str, int]] = []
    i = 0
    while i < len(units):
        if i in marks:
            part, mark = marks[i]
            pieces.append((joiner.join(units[i:i + part.length]), mark))
            i += part.length
            continue
        end = i + 1
        while end < len(units) and end not in marks:
            end += 1
        pieces.append((joiner.join(units[i:end]), 0))
        i = end
    return pieces


def _snippets(words: list[str], marks: dict[int, tuple[Part, int]]) -> list[tuple[str, int]]:
    """Each marked word with a few words around it, "…" where words are left out."""
    kept = sorted({j for i in marks for j in range(max(0, i - CONTEXT_WORDS),
                                                   min(len(words), i + CONTEXT_WORDS + 1))})
    pieces: list[tuple[str, int]] = []
    for n, i in enumerate(kept):
        if (n == 0 and i > 0) or (n > 0 and i > kept[n - 1] + 1):
            pieces.append(("…", 0))
        pieces.append((words[i], marks[i][1] if i in marks else 0))
    if kept and kept[-1] < len(words) - 1:
        pieces.append(("…", 0))
    return pieces
