"""The engagement index week by week, from the score history: the share of scored contacts that were engaged.

A contact counts at a week's end with the scores it had then (its latest score history row at or before that
moment); engaged means engagement >= the model's `engagement.engaged_at_least`, as for the live index. The
history holds what was scored at sync times: between two syncs a contact keeps its last stored engagement, where
a replay (`scorebridge index --as-of`) would let it decay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from connector.analytics.score_history import ScoreHistory
from connector.store.types import from_epoch

WEEK_SECONDS = 7 * 86_400


@dataclass(frozen=True)
class TrendPoint:
    at: datetime
    contacts: int
    engaged: int

    @property
    def percent(self) -> float:
        return 100.0 * self.engaged / self.contacts if self.contacts else 0.0


def weekly_index(history: ScoreHistory, engaged_at_least: float, until: int, weeks: int) -> tuple[TrendPoint, ...]:
    """One point per week ending at `until`, oldest first; weeks before anyone was scored are left out.

    Each history row counts in every week end from its scoring up to (not including) the contact's next row: one
    pass over the rows, whatever the number of weeks."""
    moments = until - WEEK_SECONDS * np.arange(weeks - 1, -1, -1, dtype=np.int64)
    first = np.searchsorted(moments, history.scored_at, side="left")
    after = np.searchsorted(moments, history.in_force_until(), side="left")
    engaged = history.scores["engagement"] >= engaged_at_least
    contacts = _in_force_per_week(first, after, weeks)
    engaged_contacts = _in_force_per_week(first[engaged], after[engaged], weeks)
    return tuple(
        TrendPoint(from_epoch(int(moment)), int(count), int(engaged_count))
        for moment, count, engaged_count in zip(moments, contacts, engaged_contacts, strict=True)
        if count
    )


def _in_force_per_week(first: np.ndarray, after: np.ndarray, weeks: int) -> np.ndarray:
    """How many rows are in force at each week end, rows spanning week ends [first, after)."""
    change = np.bincount(first, minlength=weeks + 1) - np.bincount(after, minlength=weeks + 1)
    return np.cumsum(change)[:weeks]
