"""Why an answer: occlusion over the parts of an input, scored as one batch by the model.

Each part (a character or character n-gram of a name, a word of a text) is removed in turn
and every variant is scored together with the unchanged input in one call of
Predictor.probabilities, so each figure is the model's real output, whatever the model is.
A part's weight is how much the answer's label loses without it, in log-odds: positive
parts pushed toward the label, negative ones away from it. Log-odds, because probabilities
saturate: for a 99.99% answer every removal looks like a drop of almost nothing.

The clues of how the input is written (the spec's `evidence`: "written in Hangul", "the
letter ü") are measured the same way: each taken out in turn, the model's own answer kept.
Parts and clues are measured against the answer of the model and the clues; when the
known-input memory answered, that is not the answer shown, and the explanation says how
the model alone would have scored the label (`Explanation.scored`).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from inference.results import ClueEffect, Explanation, Part
from inference.tasks import task_spec
from inference.text import UNK_ID

if TYPE_CHECKING:
    from inference.predictor import Predictor, Prepared
    from inference.results import Prediction

_TINY = 1e-45  # smallest float32 probability: keeps log-odds finite at saturation


def without(ids: Sequence[int], spans: Iterable[tuple[int, int]]) -> list[int]:
    """`ids` with the (start, length) spans removed; a single unknown token if none is left,
    since a model cannot score an empty input (it reads as "nothing it knows")."""
    gone = {i for start, length in spans for i in range(start, start + length)}
    kept = [t for i, t in enumerate(ids) if i not in gone]
    return kept or [UNK_ID]


def spans(n_units: int, sizes: Sequence[int]) -> list[tuple[int, int]]:
    return [(start, size) for size in sizes if size <= n_units
            for start in range(n_units - size + 1)]


def id_spans(shown: Sequence[tuple[str, int]],
             parts: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The token ids each (start, length) part of the shown units stands for."""
    first = [0, *itertools.accumulate(n for _, n in shown)]
    return [(first[start], first[start + length] - first[start]) for start, length in parts]


def log_odds(probs: Sequence[float], label: int) -> float:
    """log p / (1 - p), with 1 - p summed from the other labels to keep its precision."""
    rest = sum(p for i, p in enumerate(probs) if i != label)
    return math.log(max(probs[label], _TINY)) - math.log(max(rest, _TINY))


@dataclass
class Occlusion:
    """An explanation under way: the input scored alone, its variants still to score."""

    prepared: Prepared
    units: list[str]
    measured: list[tuple[int, int]]
    prediction: Prediction
    label: int  # the answer's index among the labels
    alone: list[float]  # the input's own probabilities
    variants: list[Prepared]  # one per measured span, in order
    respelt: dict[str, str]  # units read as another word (Pipeline.respellings)


def occlusion(predictor: Predictor, prepared: Prepared, top_k: int = 3) -> Occlusion:
    """Score the input alone, as an answer scores it (so the explained answer is that answer
    to the last digit), and list its variants (on the model thread)."""
    pipeline = predictor.ckpt.pipeline
    units = pipeline.units(prepared.normalized)[0]
    if len(units) != len(prepared.ids):
        raise ValueError(f"{len(units)} units for {len(prepared.ids)} token ids")
    shown = pipeline.shown_units(units)  # parts are counted in these
    measured = spans(len(shown), task_spec(predictor.task).explaining.ngram_sizes)
    alone = predictor.probabilities([prepared])
    [prediction] = predictor.predictions([prepared], alone, top_k)
    variants = [replace(prepared, ids=without(prepared.ids, [span]))
                for span in id_spans(shown, measured)]
    return Occlusion(prepared, [text for text, _ in shown], measured, prediction,
                     predictor.labels.index(prediction.label), alone[0].tolist(), variants,
                     pipeline.respellings(predictor.ckpt.vocab, units))


def steps(variants: Sequence[Prepared], max_units: int) -> list[list[Prepared]]:
    """The variants in consecutive groups of at most `max_units` units (at least one each):
    the pieces an explanation is scored in, so that predictions can run between them."""
    out: list[list[Prepared]] = []
    units = max_units
    for variant in variants:
        if units + len(variant.ids) > max_units:
            out.append([])
            units = 0
        out[-1].append(variant)
        units += len(variant.ids)
    return out


def finish(predictor: Predictor, occ: Occlusion, probs: Sequence[Sequence[float]]
           ) -> Explanation:
    """The explanation from the variants' probabilities (rows in the order of
    `occ.variants`), with the clues of the input's writing measured too."""
    pipeline = predictor.ckpt.pipeline
    label, base = occ.label, log_odds(occ.alone, occ.label)
    parts = [Part(start, length, pipeline.joiner.join(occ.units[start:start + length]),
                  base - log_odds(row, label), row[label])
             for (start, length), row in zip(occ.measured, probs, strict=True)]
    parts.sort(key=lambda p: -p.weight)
    return Explanation(occ.prediction, occ.units, pipeline.joiner, parts,
                       clue_effects(predictor, occ.prepared, label, base), occ.alone[label],
                       occ.respelt)


def explain_prepared(predictor: Predictor, prepared: Prepared, top_k: int = 3) -> Explanation:
    """Score the input, then all its occluded variants in one go (on the model thread)."""
    occ = occlusion(predictor, prepared, top_k)
    return finish(predictor, occ, predictor.probabilities(occ.variants).tolist())


def clue_effects(predictor: Predictor, prepared: Prepared, label: int,
                 base: float) -> list[ClueEffect]:
    """Each clue of the input's writing taken out in turn, the model's answer kept;
    strongest push toward the label first."""
    evidence = prepared.evidence
    if evidence is None or not evidence.clues:
        return []
    model = predictor.probabilities([replace(prepared, evidence=None)])[0].tolist()
    effects = []
    for clue in evidence.clues:
        row = evidence.apply(model, predictor.labels, without=clue)
        effects.append(ClueEffect(clue.kind, clue.feature, clue.text,
                                  base - log_odds(row, label), row[label]))
    return sorted(effects, key=lambda c: -c.weight)


def random_spans(n_units: int, lengths: Sequence[int], rng: random.Random) -> list[tuple[int, int]]:
    """Non-overlapping spans of the given lengths at uniformly random places among n_units:
    the blocks and the free units are shuffled as one sequence."""
    free = n_units - sum(lengths)
    if free < 0:
        raise ValueError("the spans are longer than the input")
    order = list(lengths)
    rng.shuffle(order)
    blocks = set(rng.sample(range(free + len(order)), len(order)))
    out, start, j = [], 0, 0
    for slot in range(free + len(order)):
        if slot in blocks:
            out.append((start, order[j]))
            start += order[j]
            j += 1
        else:
            start += 1
    return out


def removal_drops(predictor: Predictor, explanation: Explanation, rng: random.Random,
                  k: int | None = None, draws: int = 5) -> tuple[float, float] | None:
    """The faithfulness check: how far the label's probability falls when the top `k` parts
    pushing toward it (default: as many as are shown) are removed together, and on average
    over `draws` removals of random parts of the same sizes. None when no part pushes toward
    the label. With k=1 the top part wins by construction (every part was measured alone);
    together, parts interact, so the shown set is the real test."""
    shown = [(p.start, p.length) for p in explanation.toward(k)]
    if not shown:
        return None
    prepared = predictor.prepare(explanation.prediction.input)
    pipeline = predictor.ckpt.pipeline
    units = pipeline.shown_units(pipeline.units(prepared.normalized)[0])
    lengths = [length for _, length in shown]
    removals = [shown, *(random_spans(len(units), lengths, rng) for _ in range(draws))]
    variants = [replace(prepared, ids=without(prepared.ids, id_spans(units, r)))
                for r in removals]
    label = predictor.labels.index(explanation.prediction.label)
    left = predictor.probabilities(variants)[:, label].tolist()
    base = explanation.base
    return base - left[0], sum(base - p for p in left[1:]) / draws
