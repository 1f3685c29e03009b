"""The score history (`score_change`) as arrays, and each contact's scores as they stood at a given moment.

A `score_change` row is written each time a contact's scores or stage changed, so the row in force at a moment is
the contact's latest row at or before it. Analytics take "the score at the time" from here and never from today's
scores, so that later activity cannot leak into the past.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import BigInteger, select, type_coerce
from sqlalchemy.engine import Connection

from connector.store.tables import Contact, ScoreChange

#: The scores the report measures (recency is a band of the last engaging day, not a ranking of its own).
MEASURED_SCORES = ("fit", "lead", "engagement", "combined")
#: Moments are whole epoch seconds; contact id times this plus the moment orders rows by contact, then time.
_MOMENT_SPAN = 1 << 34


def live_contacts():
    """The contacts analytics count: not deleted, not merged into another record."""
    return (Contact.deleted.is_(False)) & (Contact.merged_into_id.is_(None))


def epoch_seconds(column):
    """A stored time read as its plain epoch seconds: no datetime per row when reading many rows into arrays."""
    return type_coerce(column, BigInteger)


def read_columns(connection: Connection, query, width: int) -> list[tuple]:
    """A query's result as one tuple per column (empty tuples when there are no rows)."""
    rows = connection.execute(query).all()
    return list(zip(*rows, strict=True)) if rows else [()] * width


@dataclass(frozen=True)
class ScoreHistory:
    """Every score change of the live contacts up to a moment, sorted by contact, then time."""

    contact_ids: np.ndarray
    scored_at: np.ndarray
    scores: Mapping[str, np.ndarray]
    stages: np.ndarray

    @classmethod
    def read(cls, connection: Connection, until: datetime) -> ScoreHistory:
        columns = [getattr(ScoreChange, name) for name in MEASURED_SCORES]
        query = (
            select(ScoreChange.contact_id, epoch_seconds(ScoreChange.scored_at), ScoreChange.id, ScoreChange.stage)
            .add_columns(*columns)
            .join(Contact, Contact.id == ScoreChange.contact_id)
            .where(live_contacts(), ScoreChange.scored_at <= until)
        )
        contact_ids, moments, ids, stages, *values = read_columns(connection, query, 4 + len(MEASURED_SCORES))
        contact_ids = np.asarray(contact_ids, dtype=np.int64)
        moments = np.asarray(moments, dtype=np.int64)
        order = np.lexsort((np.asarray(ids, dtype=np.int64), moments, contact_ids))
        return cls(
            contact_ids[order],
            moments[order],
            {
                name: np.asarray(column, dtype=np.float64)[order]
                for name, column in zip(MEASURED_SCORES, values, strict=True)
            },
            np.asarray(stages, dtype=object)[order],
        )

    def rows_at(self, contact_ids: np.ndarray, moments: np.ndarray | int) -> np.ndarray:
        """Per (contact, moment): the index of the row in force then, or -1 when the contact was not scored yet."""
        keys = self.contact_ids * _MOMENT_SPAN + self.scored_at
        wanted = np.asarray(contact_ids, dtype=np.int64) * _MOMENT_SPAN + np.asarray(moments, dtype=np.int64)
        found = np.searchsorted(keys, wanted, side="right") - 1
        known = found >= 0
        same = np.zeros(len(found), dtype=bool)
        same[known] = self.contact_ids[found[known]] == np.asarray(contact_ids)[known]
        return np.where(same, found, -1)

    def snapshot(self, moment: int) -> np.ndarray:
        """The row in force at `moment` of every contact scored by then (one index per contact)."""
        rows = self.rows_at(self.scored_contacts(), moment)
        return rows[rows >= 0]

    def scored_contacts(self) -> np.ndarray:
        return np.unique(self.contact_ids)
