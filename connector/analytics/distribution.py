"""How the scores are spread at the report's moment: a histogram of one score and the contacts per stage."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from connector.analytics.score_history import OTHER_STAGE, ScoreHistory

BINS = 10
#: Bin widths are one of these times a power of ten, so edges read as round numbers.
ROUND_STEPS = (1, 2, 2.5, 5, 10)
OTHER_STAGE_NAME = "(a stage the model does not name)"


@dataclass(frozen=True)
class Distribution:
    score: str
    contacts: int
    #: Bin i holds edges[i] <= score < edges[i + 1]; the last bin includes its upper edge.
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    median: float | None
    #: (stage, contacts) in the model's order, then disqualified, then stages the model does not name.
    stages: tuple[tuple[str, int], ...]


def score_distribution(history: ScoreHistory, until: int, score: str = "combined") -> Distribution:
    rows = history.snapshot(until)
    values = history.scores[score][rows]
    edges = round_edges(values)
    counts, _ = np.histogram(values, bins=edges) if len(values) else (np.zeros(0, dtype=np.int64), None)
    codes, found = np.unique(history.stages[rows], return_counts=True)
    counted = sorted(
        zip(codes.tolist(), found.tolist(), strict=True), key=lambda pair: (pair[0] == OTHER_STAGE, pair[0])
    )
    per_stage = {
        OTHER_STAGE_NAME if code == OTHER_STAGE else history.stage_names[code]: count for code, count in counted
    }
    return Distribution(
        score,
        len(values),
        tuple(float(edge) for edge in edges),
        tuple(int(count) for count in counts),
        float(np.median(values)) if len(values) else None,
        tuple((name, int(count)) for name, count in per_stage.items()),
    )


def round_edges(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """About `bins` equal bins with round edges covering every value."""
    if not len(values):
        return np.zeros(0)
    low, high = math.floor(float(values.min())), math.ceil(float(values.max()))
    high = max(high, low + 1)
    raw = (high - low) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    width = next(step * magnitude for step in ROUND_STEPS if step * magnitude >= raw)
    start = math.floor(low / width) * width
    count = max(1, math.ceil((high - start) / width))
    return start + width * np.arange(count + 1)
