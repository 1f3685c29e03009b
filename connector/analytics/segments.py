"""Which row of a "funnel by ..." table each contact belongs to: its score band or grade when it became MQL, or
one of its fields.

Band and grade come from the score history row in force when the contact's first MQL-range transition was recorded
(that run stored the row), so a contact's later scores never move it into another band.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from connector.analytics.funnel import NO_GROUP, Journeys
from connector.analytics.measures import band_of, decile_edges
from connector.analytics.score_history import ScoreHistory
from connector.scoring.fit import grade_letters
from connector.scoring.model import ScoringModel

BELOW_LAST_GRADE = "F"


@dataclass(frozen=True)
class Segments:
    """A label per contact of `Journeys` (None leaves the contact out) and the order the rows are shown in (None:
    largest first)."""

    labels: np.ndarray
    order: list[str] | None = None


@dataclass(frozen=True)
class AtMql:
    """The MQLs (positions in `Journeys`) and their score history rows when they became MQL."""

    positions: np.ndarray
    rows: np.ndarray

    @classmethod
    def find(cls, history: ScoreHistory, journeys: Journeys) -> AtMql:
        positions = np.flatnonzero(journeys.has("mql"))
        recorded = journeys.mql_recorded_at[positions].astype(np.int64)
        rows = history.rows_at(journeys.contact_ids[positions], recorded)
        return cls(positions[rows >= 0], rows[rows >= 0])

    def labelled(self, size: int, labels: np.ndarray) -> np.ndarray:
        every = np.full(size, None, dtype=object)
        every[self.positions] = labels
        return every


def score_bands(history: ScoreHistory, journeys: Journeys, at_mql: AtMql) -> Segments:
    """Deciles of the combined score at MQL, highest band first."""
    combined = history.scores["combined"][at_mql.rows]
    edges = decile_edges(combined)
    names = band_names(edges)
    labels = np.asarray(names, dtype=object)[band_of(combined, edges)]
    return Segments(at_mql.labelled(len(journeys.contact_ids), labels), names[::-1])


def fit_grades(history: ScoreHistory, journeys: Journeys, at_mql: AtMql, model: ScoringModel) -> Segments:
    """The fit grade at MQL, A first; no rows when the model has no `fit.grades`."""
    letters = grade_letters(model.fit, history.scores["fit"][at_mql.rows])
    if letters is None:
        return Segments(np.full(len(journeys.contact_ids), None, dtype=object), [])
    order = [*model.fit.grades, BELOW_LAST_GRADE]
    return Segments(at_mql.labelled(len(journeys.contact_ids), letters.astype(object)), order)


def field_values(journeys: Journeys, field: str) -> Segments:
    """A contact field's values; empty ones grouped as "(none)"."""
    labels = [NO_GROUP if value is None or value == "" else str(value) for value in journeys.fields[field]]
    return Segments(np.asarray(labels, dtype=object))


def band_names(edges: np.ndarray) -> list[str]:
    """Readable names of the bands `band_of` numbers, lowest first: "under 12", "12 to 30", ..., "75 and over"."""
    if not len(edges):
        return ["all"]
    cuts = [f"{edge:g}" for edge in edges]
    middle = [f"{low} to {high}" for low, high in itertools.pairwise(cuts)]
    return [f"under {cuts[0]}", *middle, f"{cuts[-1]} and over"]
