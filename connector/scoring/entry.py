"""When a contact's stage began to hold, from its activities alone: the moment its follow-up task is keyed by.

The moment must come out the same in any store that holds the CRM's activities (a rebuilt store, a restored
backup, a second store for the same org), so it is never the scoring run's as-of: it is the activity that lifted
the lead score over the stage's threshold for the last time, or the first activity that triggers the stage,
whichever came first. A contact that falls back below the threshold and crosses it again later gets a new moment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from connector.scoring.frame import ActivityArrays, ScoreFrame
from connector.scoring.reasons import lead_crossings
from connector.scoring.scores import NEVER

_LATEST = np.iinfo(np.int64).max


def entry_moments(frame: ScoreFrame, activities: ActivityArrays, positions: Sequence[int]) -> np.ndarray:
    """Per contact (epoch seconds), the moment its stage began to hold, for the contacts in `positions`;
    NEVER for the others and for contacts no activity put in their stage (a field rule, a fit threshold)."""
    size = len(frame.engaged)
    wanted = np.zeros(size, dtype=bool)
    wanted[list(positions)] = True
    moments = np.full(size, _LATEST, dtype=np.int64)
    threshold = np.full(size, np.nan)
    result = frame.stages
    for ref, trigger_row in zip(result.conditions, result.trigger_rows, strict=True):
        condition = ref.condition
        applies = wanted & (result.stage == ref.stage)
        if condition.activity is not None:
            fired = frame.trigger_times[trigger_row]
            applies &= fired != NEVER
            moments[applies] = np.minimum(moments[applies], fired[applies])
        elif condition.score == "lead":
            applies &= frame.scores["lead"] >= condition.at_least
            threshold[applies] = np.fmin(threshold[applies], condition.at_least)
    crossing = lead_crossings(frame, activities, threshold)
    crossed = crossing >= 0
    moments[crossed] = np.minimum(moments[crossed], activities.occurred_at[crossing[crossed]])
    moments[moments == _LATEST] = NEVER
    return moments
