"""Tests of a paired comparison: did the candidate lose ground, or only move within the noise?

The gate compares two models on the same items, so only the items whose answers changed
carry information (McNemar): under "no real difference" each of those changes is as likely
to be a loss as a gain, and the number of losses is Binomial(changed, 1/2). Macro-F1 is not
a count of items, so it is judged by a paired bootstrap: the same resampled items scored by
both models. Written out here (a few lines) rather than taken from scipy, which the project
does not depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_ANSWER = -1  # a refused input: wrong, and no class's guess (training.metrics.NO_ANSWER)


@dataclass(frozen=True)
class Paired:
    """The same items answered by two models: label indices, NO_ANSWER for a refusal."""

    truth: list[int]
    before: list[int]
    after: list[int]

    def only(self, keep: list[bool]) -> Paired:
        pick = [i for i, k in enumerate(keep) if k]
        return Paired([self.truth[i] for i in pick], [self.before[i] for i in pick],
                      [self.after[i] for i in pick])


@dataclass(frozen=True)
class McNemar:
    """Items the candidate got wrong that the parent got right (lost), and the reverse."""

    n: int
    lost: int
    gained: int
    p_loss: float  # one-sided exact p of "the candidate is worse"
    p_gain: float  # one-sided exact p of "the candidate is better"

    @property
    def drop(self) -> float:
        """How much accuracy the candidate lost (negative: gained)."""
        return (self.lost - self.gained) / self.n if self.n else 0.0

    def describe(self) -> str:
        return (f"lost {self.lost}, gained {self.gained} of {self.n} "
                f"({-100 * self.drop:+.2f} points): "
                f"McNemar exact one-sided p(loss) = {self.p_loss:.3g}")


@dataclass(frozen=True)
class Bootstrap:
    """Macro-F1 of both models and the paired bootstrap interval of the change."""

    before: float
    after: float
    low: float  # 5th and 95th percentiles of (after - before) over bootstrap resamples
    high: float
    p_loss: float  # paired randomisation test, one-sided: a change this low by chance
    rounds: int

    def describe(self) -> str:
        return (f"{100 * self.before:.2f} -> {100 * self.after:.2f}, change "
                f"{100 * (self.after - self.before):+.2f} points (90% paired bootstrap interval "
                f"{100 * self.low:+.2f} .. {100 * self.high:+.2f}): paired randomisation "
                f"one-sided p(loss) = {self.p_loss:.3g} ({self.rounds} rounds)")


def binomial_tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), exactly (integer arithmetic, then one division)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    total, term = 0, 1  # term = C(n, i), walked from i = 0
    for i in range(n + 1):
        if i >= k:
            total += term
        term = term * (n - i) // (i + 1)
    return total / 2**n


def mcnemar(paired: Paired) -> McNemar:
    """McNemar's exact test on the discordant pairs, both one-sided tails."""
    lost = gained = 0
    for t, b, a in zip(paired.truth, paired.before, paired.after, strict=True):
        lost += b == t and a != t
        gained += b != t and a == t
    return McNemar(len(paired.truth), lost, gained, binomial_tail(lost, lost + gained),
                   binomial_tail(gained, lost + gained))


def _counts(truth: np.ndarray, pred: np.ndarray, n_labels: int) -> tuple[np.ndarray, ...]:
    """One-hot truth and prediction (a refusal predicts no class), and their product."""
    t = np.eye(n_labels)[truth]
    p = np.zeros((len(pred), n_labels))
    answered = pred != NO_ANSWER
    p[answered] = np.eye(n_labels)[pred[answered]]
    return t, p, t * p


def _f1(support: np.ndarray, predicted: np.ndarray, tp: np.ndarray) -> np.ndarray:
    """Macro-F1 per row of class counts, over the classes present (as
    training.metrics.summarize computes it)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    present = support > 0
    return (f1 * present).sum(axis=-1) / present.sum(axis=-1)


def macro_f1_change(paired: Paired, n_labels: int, rounds: int = 1000,
                    seed: int = 0) -> Bootstrap:
    """The change in macro-F1, its randomisation p of a loss and its bootstrap interval."""
    truth, before, after = (np.asarray(x, dtype=np.int64)
                            for x in (paired.truth, paired.before, paired.after))
    n = len(truth)
    t, pb, tpb = _counts(truth, before, n_labels)
    _, pa, tpa = _counts(truth, after, n_labels)
    support = t.sum(axis=0)
    f1_before, f1_after = _f1(support, pb.sum(0), tpb.sum(0)), _f1(support, pa.sum(0), tpa.sum(0))
    observed = f1_after - f1_before
    rng = np.random.default_rng(seed)
    # Randomisation: only items whose answers differ can move; swap each with probability 1/2.
    changed = before != after
    d_pred, d_tp = (pb - pa)[changed], (tpb - tpa)[changed]
    swap = rng.integers(0, 2, size=(rounds, int(changed.sum()))).astype(np.float64)
    shift_pred, shift_tp = swap @ d_pred, swap @ d_tp  # what the swapped items move to "after"
    null = (_f1(support, pa.sum(0) + shift_pred, tpa.sum(0) + shift_tp)
            - _f1(support, pb.sum(0) - shift_pred, tpb.sum(0) - shift_tp))
    p_loss = (int((null <= observed + 1e-12).sum()) + 1) / (rounds + 1)
    # Bootstrap interval: resample items (multinomial weights), both models on the same ones.
    deltas = []
    chunk = max(1, min(rounds, 2_000_000 // max(n, 1)))  # bounded memory on large test sets
    for start in range(0, rounds, chunk):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, rounds - start)).astype(
            np.float64)
        s = w @ t
        deltas.append(_f1(s, w @ pa, w @ tpa) - _f1(s, w @ pb, w @ tpb))
    delta = np.concatenate(deltas)
    return Bootstrap(float(f1_before), float(f1_after), float(np.percentile(delta, 5)),
                     float(np.percentile(delta, 95)), p_loss, rounds)
