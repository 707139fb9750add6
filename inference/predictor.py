"""Turn raw user input into top-k labels with calibrated probabilities.

The model's calibrated probabilities are combined with what the way the input is written
says (the task spec's `evidence`: a surname's script and letters, inference.evidence); an
input the known-input memory holds is answered from it when the predictor is given one
(serving: inference.worker; never an evaluation); and every answer carries its verdict
(inference.verdict) under the checkpoint's thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import torch

from inference.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from inference.device import resolve_device
from inference.errors import InputError
from inference.evidence import Evidence, NameEvidence
from inference.language import new_word_share
from inference.memory import KnownAnswer, Memory
from inference.models import pad_batch
from inference.quantize import quantize_int8, serves_int8
from inference.registry import resolve_checkpoint
from inference.results import KNOWN, MODEL, Prediction
from inference.tasks import task_spec
from inference.text import UNK_ID, Vocab
from inference.verdict import UNKNOWN_WORDS, verdict

PADDED_TOKENS = 4096
# On a CPU, a chunk of more rows than this gains nothing per row (the matrix products already
# run at the core's peak) and pads every short input to the longest of many.
CPU_CHUNK_ROWS = 32
# Known answers whose label shares and evidence a predictor keeps made (a file of names
# mostly holds known names, and the same answer is asked for again and again).
KNOWN_CACHE = 65_536
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """An input after validation and preprocessing, ready to join a batch."""

    input: str
    normalized: str
    ids: list[int]
    truncated: bool
    evidence: NameEvidence | None = None  # what its writing says (the spec's `evidence`)
    new_words: float = 0.0  # the share of its words new to the model (inference.language)


def encode_input(ckpt: Checkpoint, raw: str) -> Prepared:
    """Admit the input as every surface does (the spec's mentions and length limit), then
    preprocess exactly as training did (raises InputError)."""
    spec = task_spec(ckpt.task)
    admitted, cut_chars = spec.admit(raw)
    normalized, ids, cut = ckpt.pipeline.encode(ckpt.vocab, admitted)
    read = spec.evidence
    new = new_words(ckpt, admitted) if UNKNOWN_WORDS in ckpt.verdicts else 0.0
    return Prepared(raw, normalized, ids, cut_chars or cut,
                    read(admitted) if read is not None else None, new)


def new_words(ckpt: Checkpoint, raw: str) -> float:
    """The share of the input's words new to the model: a word is known when the model
    reads every unit of it as a word of its vocabulary, a typo its pipeline respells
    included ("terible servise" is English with two typos, not another language)."""
    pipeline, vocab = ckpt.pipeline, ckpt.vocab

    def known(word: str) -> bool:
        if vocab.encode((word,))[0] != UNK_ID:  # most words are in it as they are
            return True
        units = pipeline.tokenize(word)
        return bool(units) and UNK_ID not in pipeline.ids(vocab, units)

    return new_word_share(raw, known)


class Predictor:
    """One loaded checkpoint on one device. Not thread-safe: the worker owns it.

    `memory`: the known-input memory to answer from (inference.memory); None for every
    evaluation, so that no figure is answered from the data it is scored on. `int8`: serve
    the model quantized where its task allows it and the device is a CPU
    (inference.quantize); off for every evaluation, whose figures are the stored model's.
    `by_word`: read an input of several words word by word where the task does
    (TaskSpec.words); off only to measure what that reading changes."""

    def __init__(self, ckpt: Checkpoint, device: torch.device | str = "cpu",
                 memory: Memory | None = None, int8: bool = False,
                 by_word: bool = True) -> None:
        self.ckpt = ckpt
        self.memory = memory
        self.device = torch.device(device)
        if self.device.type == "cuda":
            # cuDNN's RNNs default to TF32, whose rounding depends on the batch around an
            # input; full fp32 keeps batched and unbatched answers equal (and costs these
            # small models nothing measurable).
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cuda.matmul.allow_tf32 = False
        self.model = ckpt.build_model(self.device)
        self.int8 = serves_int8(ckpt.task, self.device, int8)
        if self.int8:
            self.model = quantize_int8(self.model)
        self.by_word = by_word
        self._label_index = {label: i for i, label in enumerate(ckpt.labels)}
        self._known_shares: dict[KnownAnswer, tuple[dict[int, float], list[int] | None]] = {}
        self._known_evidence: dict[tuple[KnownAnswer, tuple[int, ...]], Evidence] = {}

    @classmethod
    def load(
        cls,
        task: str,
        path: str | Path | None = None,
        *,
        device: str = "auto",
        model_dir: str | Path | None = None,
        int8: bool = False,
    ) -> Predictor:
        path = path or resolve_checkpoint(task, model_dir)
        return cls(load_checkpoint(path, task), resolve_device(device), int8=int8)

    def self_test(self) -> None:
        """Score the task's probe input with the model alone; CheckpointError unless the
        answer is a probability distribution (checked before a model may serve)."""
        probe = task_spec(self.task).probe
        try:
            probs = self.probabilities([replace(self.prepare(probe), evidence=None)])
        except (InputError, RuntimeError, IndexError, ValueError) as exc:
            raise CheckpointError(f"{self.version} fails on the probe {probe!r}: {exc}") from exc
        if not (bool(torch.isfinite(probs).all()) and bool((probs >= 0).all())
                and abs(float(probs.sum()) - 1) < 1e-3):
            raise CheckpointError(f"{self.version} answers the probe {probe!r} with "
                                  f"{probs[0].tolist()}, not probabilities")

    @property
    def task(self) -> str:
        return self.ckpt.task

    @property
    def version(self) -> str:
        return self.ckpt.version

    @property
    def labels(self) -> tuple[str, ...]:
        return self.ckpt.labels

    def prepare(self, raw: str) -> Prepared:
        return encode_input(self.ckpt, raw)

    def prepare_many(self, raws: Sequence[str]) -> list[Prepared | InputError]:
        """Each input prepared, or the InputError that refused it, in its place."""
        out: list[Prepared | InputError] = []
        for raw in raws:
            try:
                out.append(self.prepare(raw))
            except InputError as exc:
                out.append(exc)
        return out

    def rows(self, ids: list[int]) -> list[list[int]]:
        return read_rows(self.task, self.ckpt.vocab, ids) if self.by_word else [ids]

    @torch.inference_mode()
    def probabilities(self, items: list[Prepared]) -> torch.Tensor:
        """Calibrated class probabilities [N, C] on the CPU, in the order given: the model's
        (the mean of its words' where it reads an input word by word), then what the
        input's writing says."""
        words = task_spec(self.task).words
        power = words.power if words is not None else 1.0
        out = pool_words(*self.word_probabilities(items), len(items), power)
        clued = [(i, item.evidence) for i, item in enumerate(items)
                 if item.evidence is not None and item.evidence.clues]
        if clued:  # what the writing says, as likelihood ratios; in plain Python, at once
            index = [i for i, _ in clued]
            rows = out[index].tolist()
            out[index] = torch.tensor([evidence.apply(row, self.labels)
                                       for (_, evidence), row in zip(clued, rows, strict=True)])
        return out

    @torch.inference_mode()
    def word_probabilities(self, items: list[Prepared]) -> tuple[torch.Tensor, list[int]]:
        """The model's calibrated probabilities for each thing it reads of the inputs (an
        input whole, or each of its words), and the input each one belongs to."""
        rows, owners = [], []
        for n, item in enumerate(items):
            for row in self.rows(item.ids):
                rows.append(row)
                owners.append(n)
        return self._read(rows), owners

    def _read(self, rows: list[list[int]]) -> torch.Tensor:
        """The model's calibrated probabilities [N, C] for token-id rows, in the order given.

        Rows run shortest first in chunks of at most PADDED_TOKENS padded positions (and
        CPU_CHUNK_ROWS rows on a CPU): little compute goes to padding, and the RNN's per-step
        activations stay in cache (measured here: 64 reviews in one padded batch were slower
        than 16 at a time; 256 names ran 1.7x faster in chunks of 32). Padding never changes
        a result, so the chunking is invisible in the output.
        """
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
        out = torch.empty(len(rows), len(self.labels))
        max_rows = CPU_CHUNK_ROWS if self.device.type == "cpu" else len(rows)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and end - start < max_rows and (
                (end + 1 - start) * len(rows[order[end]]) <= PADDED_TOKENS
            ):
                end += 1
            chunk = order[start:end]
            ids, lengths = pad_batch([rows[i] for i in chunk], self.device)
            temps = self.ckpt.temperatures([len(rows[i]) for i in chunk]).to(self.device)
            logits = self.model(ids, lengths) / temps
            out[chunk] = torch.softmax(logits.float(), dim=-1).cpu()
            start = end
        return out

    def known(self, item: Prepared) -> KnownAnswer | None:
        """What the memory knows of the input, if it is given one and knows it."""
        return self.memory.lookup(item.input) if self.memory is not None else None

    def _shares(self, answer: KnownAnswer) -> dict[int, float]:
        """The memory's answer by label id: the shares of the labels this model has."""
        return self._held(answer)[0]

    def _held(self, answer: KnownAnswer) -> tuple[dict[int, float], list[int] | None]:
        """The answer's shares by label id, and its label ids by share, None where shares
        tie (the model breaks those per input); made once per answer, not to be changed."""
        if (cached := self._known_shares.get(answer)) is not None:
            return cached
        shares = {i: share for label, share in answer.labels
                  if (i := self._label_index.get(label)) is not None}
        total = sum(shares.values())
        shares = {i: share / total for i, share in shares.items()}
        ties = len(set(shares.values())) < len(shares)
        if len(self._known_shares) >= KNOWN_CACHE:
            self._known_shares.clear()
        made = self._known_shares[answer] = (
            shares, None if ties else sorted(shares, key=lambda i: -shares[i]))
        return made

    def _known_evidence_of(self, answer: KnownAnswer, noun: str, held: list[int]) -> Evidence:
        """The answer's evidence with its labels in the order `held` (made once per order)."""
        key = (answer, tuple(held))
        if (cached := self._known_evidence.get(key)) is None:
            if len(self._known_evidence) >= KNOWN_CACHE:
                self._known_evidence.clear()
            cached = self._known_evidence[key] = answer.evidence(
                noun, [self.labels[i] for i in held])
        return cached

    def known_probabilities(self, answer: KnownAnswer) -> list[float] | None:
        """The memory's answer as probabilities over every label; None when none of its
        labels is this model's."""
        shares = self._shares(answer)
        return [shares.get(i, 0.0) for i in range(len(self.labels))] if shares else None

    def known_top(self, answer: KnownAnswer, probs: torch.Tensor, row: int,
                  model_top: list[int], k: int) -> tuple[list[int], list[float], list[int]] | None:
        """The memory's answer as the k most likely label ids and their probabilities, and
        its own labels in that order: its shares, ties in the model's order (`probs[row]`),
        then the labels it does not hold at 0 in the model's (`model_top`: the model's k most
        likely, enough to fill k). None when none of its labels is this model's. Plain
        Python, and the model's probabilities read only for ties: a handful of labels cost
        less than tensor operations."""
        shares, held = self._held(answer)
        if not shares:
            return None
        if held is None:  # ties: the model decides
            model = probs[row].tolist()
            held = sorted(shares, key=lambda i: (-shares[i], -model[i]))
        ids = (held + [i for i in model_top if i not in shares])[:k]
        return ids, [shares.get(i, 0.0) for i in ids], held

    def predict_prepared(self, items: list[Prepared], top_k: int = 3) -> list[Prediction]:
        if not items:
            return []
        return self.predictions(items, self.probabilities(items), top_k)

    def predictions(self, items: list[Prepared], probs: torch.Tensor,
                    top_k: int = 3) -> list[Prediction]:
        """Predictions from probabilities already computed for `items` (rows in order)."""
        labels = self.labels
        k = max(1, min(top_k, len(labels)))
        values, indices = probs.topk(k, dim=-1)
        memory = task_spec(self.task).memory
        out = []
        for n, (item, vals, idx) in enumerate(zip(items, values.tolist(), indices.tolist(),
                                                  strict=True)):
            known = self.known(item) if memory is not None else None
            answered = None if known is None else self.known_top(known, probs, n, idx, k)
            evidence = item.evidence.clues if item.evidence is not None else ()
            if known is not None and answered is not None and memory is not None:
                idx, vals, held = answered
                evidence = (self._known_evidence_of(known, memory.noun, held), *evidence)
            else:
                known = None
            top = [(labels[i], v) for i, v in zip(idx, vals, strict=True)]
            unknown = known is None and item.evidence is not None and \
                item.evidence.unknown_language
            out.append(Prediction(
                self.task, item.input, item.normalized, top[0][0], top[0][1], top,
                self.version, item.truncated, verdict(self.ckpt.verdicts, top[0][1], unknown,
                                                          item.new_words if known is None
                                                          else 0.0),
                MODEL if known is None else KNOWN,
                item.evidence.script if item.evidence is not None else "", tuple(evidence)))
        return out

    def predict(self, texts: list[str], top_k: int = 3) -> list[Prediction | InputError]:
        """Score many inputs in one batch; invalid ones yield their InputError in place."""
        prepared = self.prepare_many(texts)
        return in_place(prepared, self.predict_prepared(valid_only(prepared), top_k))


def read_rows(task: str, vocab: Vocab, ids: list[int]) -> list[list[int]]:
    """What the task's model reads of an input's token ids: the ids whole, or word by word
    where the task reads so (TaskSpec.words: "Zhang Wei" as "zhang" and "wei"). Serving
    answers with the mean of the words' answers; training learns each word with the input's
    label, so the two read alike."""
    words = task_spec(task).words
    if words is None:
        return [ids]
    space = vocab.encode((" ",))[0]
    if space == UNK_ID or space not in ids:
        return [ids]
    return [ids[start:end] for start, end in words.spans([vocab.itos[i] for i in ids])]


def pool_words(probs: torch.Tensor, owners: list[int], n: int, power: float) -> torch.Tensor:
    """Each of `n` inputs' probabilities from those of what was read of it (rows of
    `probs`, owned as `owners` says): an input read whole keeps its row; one read word by
    word gets the mean of its words', raised to `power` and renormalised
    (inference/name_words.py)."""
    if len(owners) == n:
        return probs
    index = torch.tensor(owners)
    counts = torch.bincount(index, minlength=n)
    mean = torch.zeros(n, probs.shape[1]).index_add_(0, index, probs) / counts[:, None]
    sharp = mean.clamp_min(1e-12) ** power
    return torch.where((counts > 1)[:, None], sharp / sharp.sum(-1, keepdim=True), mean)


def valid_only(items: Sequence[Prepared | InputError]) -> list[Prepared]:
    return [p for p in items if isinstance(p, Prepared)]


def in_place(items: Sequence[Prepared | InputError], results: Iterable[T]) -> list[T | InputError]:
    """The results of the valid items, in order, with each refused item's error in its place."""
    done = iter(results)
    return [p if isinstance(p, InputError) else next(done) for p in items]
