"""How well a score ranks outcomes: AUC, lift of the top share, precision and recall at a threshold, score bands.

Plain numpy over aligned arrays (one score and one 0/1 outcome per contact), so the report, the backtest and the
point suggestions all measure the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fewer positives (or negatives) than this and a ranking measure says nothing; callers report "too few outcomes".
MIN_PER_CLASS = 5


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float | None
    recall: float | None
    selected: int


def enough_outcomes(positive: np.ndarray) -> bool:
    positives = int(np.count_nonzero(positive))
    return positives >= MIN_PER_CLASS and len(positive) - positives >= MIN_PER_CLASS


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half); None with one class."""
    positive = positive.astype(bool)
    positives, negatives = int(positive.sum()), int((~positive).sum())
    if not positives or not negatives:
        return None
    ranks = _average_ranks(scores.astype(np.float64))
    return float((ranks[positive].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def lift(scores: np.ndarray, positive: np.ndarray, top_share: float = 0.1) -> float | None:
    """The positive rate among the top `top_share` by score over the overall positive rate; None without positives."""
    if not len(scores) or not positive.any():
        return None
    take = max(1, round(len(scores) * top_share))
    top = np.argsort(-scores, kind="stable")[:take]
    return float(positive[top].mean() / positive.mean())


def precision_recall_at(scores: np.ndarray, positive: np.ndarray, threshold: float) -> PrecisionRecall:
    """Treating `score >= threshold` as the prediction (e.g. the MQL threshold)."""
    selected = scores >= threshold
    hits = int(np.count_nonzero(selected & positive.astype(bool)))
    chosen, positives = int(selected.sum()), int(np.count_nonzero(positive))
    return PrecisionRecall(hits / chosen if chosen else None, hits / positives if positives else None, chosen)


def decile_edges(scores: np.ndarray) -> np.ndarray:
    """Score values that cut the contacts into ten bands of (about) equal size; repeated edges are merged."""
    if not len(scores):
        return np.array([], dtype=np.float64)
    return np.unique(np.quantile(scores, np.linspace(0.1, 0.9, 9)))


def band_of(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The band index of each score: 0 below the first edge, len(edges) at or above the last."""
    return np.searchsorted(edges, scores, side="right")


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank (what the Mann-Whitney form of AUC needs)."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_values)) + 1]
    ends = np.r_[starts[1:], len(values)]
    average = (starts + ends + 1) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(average, ends - starts)
    return ranks
