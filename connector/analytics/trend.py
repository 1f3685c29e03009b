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
    """One point per week ending at `until`, oldest first; weeks before anyone was scored are left out."""
    contacts = history.scored_contacts()
    points = []
    for back in range(weeks - 1, -1, -1):
        moment = until - back * WEEK_SECONDS
        rows = history.rows_at(contacts, moment)
        rows = rows[rows >= 0]
        if len(rows):
            engaged = int(np.count_nonzero(history.scores["engagement"][rows] >= engaged_at_least))
            points.append(TrendPoint(from_epoch(moment), len(rows), engaged))
    return tuple(points)
