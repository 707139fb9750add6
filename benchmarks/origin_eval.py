"""Origin as people type names: the model, its script and letter evidence, the known-name
memory, the "not sure" threshold and the TF-IDF baseline, on every set.

Sets: the clean test split, the clean validation split, the design part of the multi-script
dev set (training/eval/surnames_multiscript.tsv), the same names in plain Latin letters
(their first romanisation, else unaccented: training.devset.in_latin) and common Chinese and
Japanese surnames in Han characters (training/eval/surnames_han_common.tsv), full names in
Han characters (training/eval/han_full_names.tsv: Chinese ones, a surname and a given name,
and Japanese ones), full names as written in chat (training/eval/script_full_names.tsv: in
Hangul, Cyrillic, Greek, Arabic and kana, and Korean and Chinese ones in Latin letters),
common Chinese surnames in pinyin with their tones
(training/eval/surnames_pinyin_tones.tsv), and the test surnames as full names, with a given
name of their language or one common to most of them (training/eval/given_names.tsv), each
also read whole (`served_read_whole`), as the model read a full name before it read one word
by word (inference/name_words.py); the dev set's held-out part only with --final, once, for
the final figure. Surnames of languages the model lacks, written with their own letters
(training/eval/surnames_other_alphabets.tsv), are scored apart (`other_alphabets`): the
answer they should get is "unknown_language", not a label. The known-name memory of each
evaluation is built without the split it scores (test: train + validation; validation:
train; the others: every split, as served: no dev name is in the data under any of its
spellings, tests/training/test_devset.py), so no name is answered from its own entry; a
feminine form may answer from its masculine form (inference/surname_forms.py), and
"answered_from_memory" counts those for every set. The "not sure" threshold is chosen on
validation; each clue kind's ratio is justified by the ablation and the grid on the design
part and on validation.

    python -m benchmarks.origin_eval --data ../shared/data [--final]

Writes benchmarks/results/origin_eval.json and docs/results/origin_risk_coverage.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict, replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm

from benchmarks import origin_baseline
from benchmarks.report import save_figure
from inference.errors import InputError
from inference.evidence import RATIOS, Ratios, name_evidence
from inference.memory import Memory
from inference.predictor import Predictor, Prepared, pool_words, valid_only
from inference.registry import shipped_checkpoint
from inference.tasks import ORIGIN
from inference.verdict import NOT_SURE_BELOW, SURE, UNKNOWN_LANGUAGE, verdict
from training.data import clean_name_splits, locate
from training.devset import (
    NAME_SETS,
    OTHER_ALPHABETS_PATH,
    full_names,
    in_latin,
    load_devset,
    load_given_names,
    load_names,
    read_names,
)
from training.metrics import summarize
from training.origin import SURE_ACCURACY
from training.ready import sure_threshold

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "origin_eval.json"
FIGURE = ROOT / "docs" / "results" / "origin_risk_coverage.png"
GRID = (1.0, 10.0, 100.0, 1000.0, 1e4, 1e6)
# The grid's sets: where the ratios are chosen, and the full names as written in chat, where a
# script's clue meets a romanisation the model reads as one long foreign surname.
GRID_SETS = ("dev_design", "validation", "script_full_names")
FULL_NAMES = ("own", "shared")  # given names of the surname's language; common to most
POWERS = tuple(round(0.2 * k, 1) for k in range(5, 16))  # 1.0 to 3.0
Examples = list[tuple[str, str]]


def model_probabilities(predictor: Predictor, examples: Examples) -> list[list[float]]:
    """The model's own probabilities, on the transliterated names, no evidence."""
    prepared = [replace(p, evidence=None) for p in
                predictor.prepare_many([n for n, _ in examples])]
    assert all(isinstance(p, Prepared) for p in prepared), "the sets hold only readable names"
    return predictor.probabilities(prepared).tolist()


def with_evidence(examples: Examples, probs: list[list[float]], labels: tuple[str, ...],
                  ratios: Ratios = RATIOS, positions: bool = True,
                  spelling: bool = True) -> np.ndarray:
    return np.array([name_evidence(n, ratios, positions, spelling).apply(p, labels)
                     for (n, _), p in zip(examples, probs, strict=True)])


def memory_of(pairs: Examples) -> Memory:
    assert ORIGIN.memory is not None
    return ORIGIN.memory.memory(pairs)


def with_memory(predictor: Predictor, memory: Memory, examples: Examples,
                probs: np.ndarray) -> tuple[np.ndarray, int]:
    """Known names answered from `memory`, as served; and how many were."""
    out, known = probs.copy(), 0
    for i, (name, _) in enumerate(examples):
        answer = memory.lookup(name)
        shares = None if answer is None else predictor.known_probabilities(answer)
        if shares is not None:
            out[i], known = np.array(shares) + 1e-6 * probs[i], known + 1
    return out, known


def scores(probs: np.ndarray, examples: Examples, labels: tuple[str, ...]) -> dict:
    y = torch.tensor([labels.index(lang) for _, lang in examples])
    p = torch.tensor(probs, dtype=torch.float)
    out = summarize(p, y, labels)
    out["top3_accuracy"] = float((p.topk(3, dim=-1).indices == y[:, None]).any(-1)
                                 .float().mean())
    del out["confusion"]
    return out


def accuracy(probs: np.ndarray, examples: Examples, labels: tuple[str, ...]) -> float:
    y = np.array([labels.index(lang) for _, lang in examples])
    return float((probs.argmax(1) == y).mean())


def risk_coverage(probs: np.ndarray, examples: Examples,
                  labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers sorted by top probability: thresholds, coverage, accuracy of those covered."""
    y = np.array([labels.index(lang) for _, lang in examples])
    top = probs.max(1)
    order = np.argsort(-top)
    right = (probs.argmax(1) == y)[order]
    n = np.arange(1, len(y) + 1)
    return top[order], n / len(y), np.cumsum(right) / n


def choose_threshold(probs: np.ndarray, examples: Examples, labels: tuple[str, ...]) -> float:
    """The not-sure threshold by the rule `python -m training ready` uses (training.origin)."""
    y = np.array([labels.index(lang) for _, lang in examples])
    return sure_threshold(torch.tensor(probs.max(1)), torch.tensor(probs.argmax(1) == y),
                          SURE_ACCURACY)


def words_power(predictor: Predictor, sets: list[Examples]) -> dict[str, float]:
    """Mean negative log-likelihood, over `sets` (full names of the validation split), of
    the words' mean answer raised to each power of POWERS: the power the reading of a name
    word by word serves (inference/name_words.py) is the lowest's. Model only: the clues of
    a name's writing multiply in after."""
    out = {}
    read = [(predictor.word_probabilities(valid_only(predictor.prepare_many([n for n, _ in v]))),
             torch.tensor([predictor.labels.index(lang) for _, lang in v])) for v in sets]
    for power in POWERS:
        losses = [-torch.log(pool_words(probs, owners, len(y), power)[torch.arange(len(y)), y]
                             .clamp_min(1e-12)).mean().item() for (probs, owners), y in read]
        out[f"{power:.1f}"] = sum(losses) / len(losses)
    return out


def verdicts(probs: np.ndarray, examples: Examples, labels: tuple[str, ...],
             threshold: float) -> dict:
    y = np.array([labels.index(lang) for _, lang in examples])
    sure = np.array([verdict({NOT_SURE_BELOW: threshold}, float(p)) == SURE
                     for p in probs.max(1)], dtype=bool)  # as served: never at a half or less
    right = probs.argmax(1) == y
    return {"threshold": threshold, "sure_share": float(sure.mean()),
            "sure_accuracy": float(right[sure].mean()) if sure.any() else None,
            "not_sure_accuracy": float(right[~sure].mean()) if (~sure).any() else None,
            "not_sure_top3_accuracy": float(
                (np.argsort(-probs, 1)[:, :3] == y[:, None]).any(1)[~sure].mean())
            if (~sure).any() else None}


def other_alphabets(predictor: Predictor, names: Examples, memory: Memory) -> dict:
    """Surnames of languages the model was not taught, written with their own letters: how
    many are told so, and how many would be a sure guess of another language without the
    letters' clue (which moves no probability, only the verdict)."""
    predictor.memory = memory
    answers = [a for a in predictor.predict([n for n, _ in names])
               if not isinstance(a, InputError)]
    told = [a.confidence == UNKNOWN_LANGUAGE for a in answers]
    guessed = [verdict(predictor.ckpt.verdicts, a.probability) == SURE for a in answers]
    return {"n": len(names), "unknown_language_share": float(np.mean(told)),
            "sure_without_the_letters_share": float(np.mean(guessed)),
            "answers": {a.input: [a.label, round(a.probability, 4), a.confidence]
                        for a in answers}}


def latency(predictor: Predictor, names: list[str], memory: Memory | None) -> dict:
    """Per-name latency in process, one name at a time (concurrency 1), in ms."""
    predictor.memory = memory
    predictor.predict(names[:20])
    times = []
    for name in names:
        start = time.perf_counter()
        predictor.predict([name])
        times.append((time.perf_counter() - start) * 1000)
    predictor.memory = None
    q = statistics.quantiles(times, n=100)
    return {"n": len(times), "p50_ms": statistics.median(times), "p90_ms": q[89],
            "p99_ms": q[98]}


def plot(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], threshold: float,
         path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, (thresholds, coverage, acc) in curves.items():
        ax.plot(coverage, 1 - acc, label=name)
        at = np.nonzero(thresholds >= threshold)[0]
        if len(at):
            ax.plot(coverage[at.max()], 1 - acc[at.max()], "ko", ms=4)
    ax.axhline(1 - SURE_ACCURACY, color="grey", linestyle=":",
               label=f"{1 - SURE_ACCURACY:.0%} risk (threshold chosen on validation)")
    ax.set_xlabel("coverage (share of answers given as sure)")
    ax.set_ylabel("risk (error rate of those answers)")
    ax.set_title(f"origin: risk-coverage; dots = not-sure threshold {threshold:.3f}")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--final", action="store_true",
                        help="also score the held-out part of the dev set (once, at the end)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    torch.set_num_threads(1)

    predictor = Predictor.load("origin", shipped_checkpoint("origin"), device="cpu")
    labels = predictor.labels
    splits = clean_name_splits(locate("names", args.data))
    sets: dict[str, Examples] = {
        "test": splits.test, "validation": splits.val,
        "dev_design": [(d.name, d.language) for d in load_devset(part="design")],
        "dev_design_latin": [(in_latin(d), d.language) for d in load_devset(part="design")],
        **{which: load_names(which) for which in NAME_SETS}}
    given = load_given_names()
    for kind in FULL_NAMES:  # the test surnames with a given name, as people type a name
        sets[f"test_full_{kind}"] = full_names(splits.test, given[kind])
    if args.final:
        sets["dev_heldout"] = [(d.name, d.language) for d in load_devset(part="heldout")]
    without_test = memory_of(splits.train + splits.val)  # one memory for every test set
    memories = {k: without_test for k in sets if k.startswith("test")}
    memories["validation"] = memory_of(splits.train)
    served = memory_of(splits.train + splits.val + splits.test)

    raw = {k: model_probabilities(predictor, v) for k, v in tqdm(sets.items(), desc="model")}
    final, known_counts = {}, {}
    for k, examples in sets.items():
        final[k], known_counts[k] = with_memory(
            predictor, memories.get(k, served), examples, with_evidence(examples, raw[k], labels))

    # the full names read whole, as before the model read them word by word
    whole = Predictor(predictor.ckpt, "cpu", by_word=False)
    read_whole = {k: with_memory(predictor, memories[k], sets[k], with_evidence(
        sets[k], model_probabilities(whole, sets[k]), labels))[0]
        for k in sets if k.startswith("test_full")}

    print("fitting the TF-IDF baseline (C chosen on validation)...")
    pipe, c, c_scores = origin_baseline.fit_on_validation(splits.train, splits.val, labels)
    baseline = {k: origin_baseline.probabilities(pipe, [n for n, _ in v], len(labels))
                for k, v in sets.items()}

    threshold = choose_threshold(final["validation"], sets["validation"], labels)
    served_threshold = predictor.ckpt.verdicts.get("not_sure_below")
    power_nll = words_power(predictor, [full_names(splits.val, given[k]) for k in FULL_NAMES])
    assert ORIGIN.words is not None
    report: dict = {"words_power_validation_nll": power_nll,
                    "words_power_chosen": float(min(power_nll, key=power_nll.get)),
                    "words_power_served": ORIGIN.words.power,
                    "ratios": asdict(RATIOS), "served_threshold": served_threshold,
                    "chosen_threshold": threshold, "sure_accuracy_target": SURE_ACCURACY,
                    "baseline_c": c, "baseline_c_validation_accuracy": c_scores, "sets": {}}
    for k, examples in sets.items():
        report["sets"][k] = {
            "n": len(examples), "answered_from_memory": known_counts[k],
            "model_only": scores(np.array(raw[k]), examples, labels),
            "served": scores(final[k], examples, labels),
            "baseline": scores(baseline[k], examples, labels),
            "baseline_with_evidence": scores(
                with_evidence(examples, baseline[k].tolist(), labels), examples, labels),
            "verdicts": verdicts(final[k], examples, labels, threshold),
        }
        if k in read_whole:
            report["sets"][k]["served_read_whole"] = scores(read_whole[k], examples, labels)

    # Each kind of clue switched off, and its ratio on a grid, the others as served; and the
    # letters read wherever they stand, and whatever the rest of the name's spelling.
    design = [k for k in sets if k != "dev_heldout"]
    report["ablation"] = {switch: {"off": {
        k: accuracy(with_evidence(sets[k], raw[k], labels, **{switch: False}), sets[k], labels)
        for k in design}} for switch in ("positions", "spelling")}
    for kind in asdict(RATIOS):
        off = replace(RATIOS, **{kind: 1.0})
        report["ablation"][kind] = {
            "off": {k: accuracy(with_evidence(sets[k], raw[k], labels, off), sets[k], labels)
                    for k in design},
            "grid": {str(v): {k: accuracy(with_evidence(sets[k], raw[k], labels,
                                                        replace(RATIOS, **{kind: v})),
                                          sets[k], labels)
                              for k in GRID_SETS} for v in GRID}}

    report["other_alphabets"] = other_alphabets(predictor, read_names(OTHER_ALPHABETS_PATH),
                                                served)
    mixed = [n for n, _ in splits.val[:200]] + [n for n, _ in sets["dev_design"]]
    report["latency"] = {"model_only": latency(predictor, mixed, None),
                         "served": latency(predictor, mixed, served)}
    plot({k: risk_coverage(final[k], sets[k], labels) for k in sets if k not in read_whole},
         threshold, args.figure)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    for k, r in report["sets"].items():
        print(f"{k:<12} n={r['n']:<5} from memory {r['answered_from_memory']}")
        for what in ("model_only", "served", "served_read_whole", "baseline",
                     "baseline_with_evidence"):
            if what not in r:
                continue
            s = r[what]
            print(f"  {what:<24} accuracy {s['accuracy']:.4f}  macro-F1 {s['macro_f1']:.4f}  "
                  f"top-3 {s['top3_accuracy']:.4f}  ECE {s['ece']:.4f}")
        v = r["verdicts"]
        print(f"  not sure below {v['threshold']:.3f}: sure {v['sure_share']:.1%} of answers, "
              f"right {v['sure_accuracy'] or 0:.1%} of those")
    print(f"threshold chosen on validation: {threshold:.4f} (served: {served_threshold})")
    print(f"power of the words' mean chosen on validation: {report['words_power_chosen']} "
          f"(served: {report['words_power_served']})",
          {k: round(v, 4) for k, v in power_nll.items()})
    for kind, a in report["ablation"].items():
        print(f"without {kind:<12}", {k: round(v, 4) for k, v in a["off"].items()})
    print("per-class F1, clean test, served:", {
        label: round(c["f1"], 3) for label, c in report["sets"]["test"]["served"]["per_class"]
        .items()})
    other = report["other_alphabets"]
    print(f"other alphabets (n={other['n']}): unknown language "
          f"{other['unknown_language_share']:.1%}, a sure guess without the letters "
          f"{other['sure_without_the_letters_share']:.1%}")
    for what, lat in report["latency"].items():
        print(f"latency {what:<11} p50 {lat['p50_ms']:.3f} ms  p90 {lat['p90_ms']:.3f} ms")
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
