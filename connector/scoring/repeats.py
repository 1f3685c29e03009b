"""First-time-only actions: which repeats of a `once` or `once_per_days` rule count nothing.

`once`: per contact and rule, the earliest matching activity counts and every later one is a repeat.
`once_per_days: N`: an activity counts when at least N days have passed since the last activity of the same rule
and contact that counted; the ones in between are repeats. The period slides from the last counted activity, not
from calendar buckets: with weekly buckets a Sunday 23:59 and a Monday 00:01 visit would both count, which is not
"once per 7 days" (`daily_cap` already limits per UTC day). Which activities count depends only on earlier ones,
so a later activity never changes what an earlier one counted (replays and backtests rely on that).

Everything works on activities sorted by (contact, rule, time), as `capped_contributions` sorts them.
"""

from __future__ import annotations

import numpy as np

from connector.scoring.model_behavior import BehaviorRule

#: The repeat gap (seconds) of a rule without a repeat limit, and of a `once` rule.
NO_LIMIT = 0.0
ONCE = np.inf


def repeat_reason(rule: BehaviorRule) -> str | None:
    """The limit in words, for explanations; None when the rule has none."""
    if rule.once:
        return "once per contact"
    return None if rule.once_per_days is None else f"once per {rule.once_per_days:g} days"


def uncounted_repeats(rule_start: np.ndarray, rule: np.ndarray, moment: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """In sorted order, True for each activity its rule's repeat limit does not let count.

    `rule_start` marks where each (contact, rule) run begins; `gaps` is the repeat gap per rule index.
    """
    gap = np.where(rule >= 0, gaps[np.maximum(rule, 0)], NO_LIMIT) if len(gaps) else np.zeros(len(rule))
    repeat = np.isinf(gap) & ~rule_start
    periodic = np.flatnonzero(np.isfinite(gap) & (gap > 0))
    if len(periodic):
        repeat[periodic] = ~_counted_every_period(rule_start[periodic], moment[periodic], gap[periodic])
    return repeat


def _counted_every_period(starts: np.ndarray, moment: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Within each run, the first activity and then each first one at least `gap` seconds after the last counted.

    Each activity's successor (the first at or after its time + gap in the same run) comes from one searchsorted
    on a packed (run, time) key; the chains of successors are then followed from each run's start, all runs at
    once, so the loop turns once per counted repeat of the busiest run, not once per activity.
    """
    run = np.cumsum(starts) - 1
    offset = moment - moment.min()
    span = int(offset.max()) + 1
    # a gap beyond the data's time range means "never again here"; clipping keeps the packed key within 63 bits
    steps = np.minimum(np.ceil(gap), span).astype(np.int64)
    key = run.astype(np.int64) * (2 * span + 1) + offset
    successor = np.searchsorted(key, key + steps, side="left")
    counted = np.zeros(len(moment), dtype=bool)
    frontier = np.flatnonzero(starts)
    while len(frontier):
        counted[frontier] = True
        following = successor[frontier]
        inside = following < len(moment)
        following, frontier = following[inside], frontier[inside]
        frontier = following[run[following] == run[frontier]]
    return counted
