"""The score history (`score_change`) as arrays, and each contact's scores as they stood at a given moment.

A `score_change` row is written each time a contact's scores or stage changed, so the row in force at a moment is
the contact's latest row at or before it. Analytics take "the score at the time" from here and never from today's
scores, so that later activity cannot leak into the past.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlalchemy import BigInteger, case, select, type_coerce
from sqlalchemy.engine import Connection

from connector.analytics.store_reads import epoch_seconds, read_numbers
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.model import ScoringModel
from connector.store.tables import ScoreChange

#: The scores the report measures (recency is a band of the last engaging day, not a ranking of its own).
MEASURED_SCORES = ("fit", "lead", "engagement", "combined")
#: The stage code of a stage the model does not name (a row stored under an older model).
OTHER_STAGE = -1
#: Moments are whole epoch seconds; contact id times this plus the moment orders rows by contact, then time.
_MOMENT_SPAN = 1 << 34
_HISTORY_ROW = np.dtype([("key", np.int64), ("stage", np.int64), *((name, np.float64) for name in MEASURED_SCORES)])


@dataclass(frozen=True)
class ScoreHistory:
    """Every score change of the given contacts up to a moment, sorted by contact, then time."""

    contact_ids: np.ndarray
    scored_at: np.ndarray
    scores: Mapping[str, np.ndarray]
    #: Index into `stage_names` (OTHER_STAGE for a stage the model does not name).
    stages: np.ndarray
    stage_names: tuple[str, ...]
    #: The contacts with at least one row, ascending.
    scored_contacts: np.ndarray

    @classmethod
    def read(cls, connection: Connection, model: ScoringModel, until: int, contacts: np.ndarray) -> ScoreHistory:
        """The rows scored at or before `until` of `contacts` (sorted ids; others, e.g. deleted, are dropped)."""
        names = (*model.stage_names, DISQUALIFIED)
        stage = case({name: code for code, name in enumerate(names)}, value=ScoreChange.stage, else_=OTHER_STAGE)
        moment = epoch_seconds(ScoreChange.scored_at)
        # contact and moment in one number: half the values to fetch, and the sort key `rows_at` searches
        key = type_coerce(ScoreChange.contact_id, BigInteger) * _MOMENT_SPAN + moment
        columns = [getattr(ScoreChange, name) for name in MEASURED_SCORES]
        query = select(key, stage, *columns).where(moment <= until)
        table = read_numbers(connection, query, _HISTORY_ROW)
        table = table[np.isin(table["key"] // _MOMENT_SPAN, contacts)]
        table = table[np.argsort(table["key"], kind="stable")]
        contact_ids = table["key"] // _MOMENT_SPAN
        last_of_contact = np.r_[contact_ids[1:] != contact_ids[:-1], True] if len(table) else np.zeros(0, bool)
        return cls(
            contact_ids,
            table["key"] % _MOMENT_SPAN,
            {name: table[name] for name in MEASURED_SCORES},
            table["stage"],
            names,
            contact_ids[last_of_contact],
        )

    def rows_at(self, contact_ids: np.ndarray, moments: np.ndarray | int) -> np.ndarray:
        """Per (contact, moment): the index of the row in force then, or -1 when the contact was not scored yet."""
        keys = self._keys
        wanted = np.asarray(contact_ids, dtype=np.int64) * _MOMENT_SPAN + np.asarray(moments, dtype=np.int64)
        found = np.searchsorted(keys, wanted, side="right") - 1
        known = found >= 0
        same = np.zeros(len(found), dtype=bool)
        same[known] = self.contact_ids[found[known]] == np.asarray(contact_ids)[known]
        return np.where(same, found, -1)

    @cached_property
    def _keys(self) -> np.ndarray:
        return self.contact_ids * _MOMENT_SPAN + self.scored_at

    def snapshot(self, moment: int) -> np.ndarray:
        """The row in force at `moment` of every contact scored by then (one index per contact)."""
        rows = self.rows_at(self.scored_contacts, moment)
        return rows[rows >= 0]

    def in_force_until(self) -> np.ndarray:
        """Per row, when the contact's next row replaced it (the largest int64 for a contact's last row)."""
        following = np.r_[self.scored_at[1:], np.iinfo(np.int64).max] if len(self.scored_at) else self.scored_at
        last = np.r_[self.contact_ids[1:] != self.contact_ids[:-1], True] if len(self.scored_at) else following
        return np.where(last, np.iinfo(np.int64).max, following)
