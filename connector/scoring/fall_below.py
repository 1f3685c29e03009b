"""The fall-below date: when, with no new activity, a contact will drop out of the stage it holds.

`fall_below_at` is the earliest whole second t > as_of at which the stage rules, applied to the same activities
with the stage now held as the previous one, give a lower stage. Between as_of and t nothing moves but time:
engagement decays (each activity its own half-life), activities leave their windows, the recency band narrows and
the quiet period runs out. A stage held by a field or an activity trigger (of it or of a higher stage) never falls
by itself, nor does one held by never_backwards or a constant score (fit, lead): those are NEVER, unless the quiet
period is what keeps the contact there. A rise (a negative activity leaving its window) is not a fall.

The search is vectorized over every contact that can fall: between breakpoints (a window exit, a recency band
edge, the end of the quiet period) only decay moves the scores, so the stage is tested on each side of every
breakpoint, and the first segment where it fails is bisected to the second. Engagement at any moment comes from
per-contact sums ordered by exit time, one per distinct half-life, not from a pass over the activities.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

# np.unique of a plain array imports numpy.ma on its first call (numpy 2.3 and later): 13 ms that would otherwise
# land inside the first scoring run of every process, a tenth of an incremental run at 100,000 contacts
import numpy.ma

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.conditions import Column
from connector.scoring.model import ScoringModel
from connector.scoring.scores import (
    NEVER,
    ActivityDecay,
    decay_weights,
    engagement_contributions,
    finished_scores,
    in_window,
    recency_scores,
)
from connector.scoring.stages import HELD, ConditionRef, activity_conditions, condition_holds, is_quiet

if TYPE_CHECKING:
    from connector.scoring.frame import ActivityArrays, ScoreFrame

#: How far ahead the search looks: a stage still held after ten years of silence counts as never falling.
HORIZON_SECONDS = 3650 * SECONDS_PER_DAY
#: Sort keys are (contact, half-life) block * SPAN + seconds after as_of; SPAN exceeds the horizon.
SPAN = 2**30
#: Rounds of one-second corrections where the fast sums and the pipeline disagree at the threshold (one suffices).
SETTLE_ROUNDS = 3
#: Scores that move with time alone; fit and lead do not.
MOVING = ("engagement", "recency")


def fall_below_moments(
    model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays, columns: Mapping[str, Column], as_of: int
) -> np.ndarray:
    """Per contact, the epoch second its stage lapses with no new activity, or NEVER."""
    moments = np.full(len(frame.engaged), NEVER, dtype=np.int64)
    candidates = _candidates(model, frame, columns)
    if len(candidates):
        offsets = _Search.build(model, frame, activities, candidates, as_of).first_fall()
        moments[candidates] = np.where(offsets > 0, as_of + offsets, NEVER)
    return moments


def _moving_scores(model: ScoringModel) -> set[str]:
    moving = set(MOVING)
    if any((model.scores.combined or {}).get(name) for name in MOVING):
        moving.add("combined")
    return moving


def _candidates(model: ScoringModel, frame: ScoreFrame, columns: Mapping[str, Column]) -> np.ndarray:
    """Contacts whose stage can lapse: no field or fired trigger holds it, and time moves a score that does (or
    only the quiet period keeps them there)."""
    stage = frame.stages.stage
    if model.lifecycle.never_backwards:
        return np.zeros(0, dtype=np.int64)
    may_fall = (stage > 0) & (stage < len(model.stages))
    timed = frame.stages.how == HELD
    moving = _moving_scores(model)
    rows = {(ref.stage, ref.index): row for row, ref in enumerate(activity_conditions(model))}
    for ref in frame.stages.conditions:
        relevant = ref.stage >= stage
        if ref.condition.score is None:
            holds = condition_holds(ref, frame.scores, frame.trigger_times, rows, columns, len(stage))
            may_fall &= ~(relevant & holds)
        elif ref.condition.score in moving:
            timed |= relevant
    return np.flatnonzero(may_fall & timed)


@dataclass(frozen=True)
class _Engagement:
    """Engagement of each candidate at any later moment: per (candidate, half-life) block, the points still in
    their window (decayed to as_of) sorted by the second they leave it, summed from the end."""

    keys: np.ndarray
    remaining: np.ndarray
    block_end: np.ndarray
    half_lives: np.ndarray

    def at(self, who: np.ndarray, offset: np.ndarray) -> np.ndarray:
        total = np.zeros(len(who))
        for group, half_life in enumerate(self.half_lives.tolist()):
            block = who * len(self.half_lives) + group
            start = np.searchsorted(self.keys, block * SPAN + offset, side="right")
            inside = self.remaining[start] - self.remaining[self.block_end[block]]
            total += np.power(0.5, offset / (SECONDS_PER_DAY * half_life)) * inside
        return total


def _engagement(frame: ScoreFrame, activities: ActivityArrays, local: np.ndarray, as_of: int, size: int):
    """The engagement sums of the candidates (`local`: candidate number per contact, -1 for others), and the
    (candidate, exit offset) of every activity that will leave its window."""
    who = local[activities.contact_index]
    picked = np.flatnonzero(
        (who >= 0) & (frame.contributions.counted != 0) & in_window(activities.occurred_at, as_of, frame.decay)
    )
    decay = frame.decay.subset(picked)
    occurred = activities.occurred_at[picked]
    amounts = frame.contributions.counted[picked] * decay_weights(occurred, as_of, decay)
    half_lives, group = np.unique(decay.half_life_days, return_inverse=True)
    exits = np.minimum(np.ceil(occurred + decay.window_seconds) - as_of, HORIZON_SECONDS + 1).astype(np.int64)
    keys = (who[picked] * len(half_lives) + group) * SPAN + exits
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    remaining = np.append(np.cumsum(amounts[order][::-1])[::-1], 0.0)
    block_end = np.searchsorted(keys, (np.arange(size * len(half_lives)) + 1) * SPAN)
    exact = _Activities(who[picked], occurred, frame.contributions.counted[picked], decay, size)
    return _Engagement(keys, remaining, block_end, half_lives), (who[picked], exits), exact


@dataclass(frozen=True)
class _Activities:
    """The candidates' scoring activities, to compute engagement exactly as the pipeline does (same functions,
    same order): the fast sums differ from it in the last bits, which matters at a threshold met to the bit."""

    who: np.ndarray
    occurred_at: np.ndarray
    counted: np.ndarray
    decay: ActivityDecay
    size: int

    def engagement(self, moments: np.ndarray) -> np.ndarray:
        shares = engagement_contributions(self.occurred_at, self.counted, moments[self.who], self.decay)
        return np.bincount(self.who, weights=shares, minlength=self.size)


@dataclass(frozen=True)
class _Search:
    model: ScoringModel
    as_of: int
    stage: np.ndarray
    fit: np.ndarray
    lead: np.ndarray
    latest: np.ndarray
    engagement: _Engagement
    exits: tuple[np.ndarray, np.ndarray]
    activities: _Activities
    conditions: tuple[ConditionRef, ...]

    @classmethod
    def build(cls, model, frame: ScoreFrame, activities: ActivityArrays, candidates: np.ndarray, as_of: int):
        local = np.full(len(frame.engaged), -1, dtype=np.int64)
        local[candidates] = np.arange(len(candidates))
        engagement, exits, exact = _engagement(frame, activities, local, as_of, len(candidates))
        return cls(
            model, as_of, frame.stages.stage[candidates], frame.fit.scores[candidates],
            frame.scores["lead"][candidates], frame.latest_engaged[candidates], engagement, exits, exact,
            tuple(ref for ref in frame.stages.conditions if ref.condition.score is not None),
        )  # fmt: skip

    def fallen(self, who: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Whether candidate `who`, `offset` seconds after as_of, is below its stage (one answer per pair)."""
        return self._fallen_with(who, offset, self.engagement.at(who, offset))

    def fallen_exactly(self, offsets: np.ndarray) -> np.ndarray:
        """`fallen` for every candidate, each at its own offset, with the pipeline's own engagement arithmetic."""
        who = np.arange(len(self.stage))
        return self._fallen_with(who, offsets, self.activities.engagement(self.as_of + offsets))

    def _fallen_with(self, who: np.ndarray, offset: np.ndarray, engagement: np.ndarray) -> np.ndarray:
        moment = self.as_of + offset
        raw = {
            "fit": self.fit[who],
            "lead": self.lead[who],
            "engagement": engagement,
            "recency": recency_scores(self.latest[who], moment, self.model.recency),
        }
        scores = finished_scores(raw, self.model.scores)
        holds = np.zeros(len(who), dtype=bool)
        for ref in self.conditions:
            holds |= (ref.stage >= self.stage[who]) & (scores[ref.condition.score] >= ref.condition.at_least)
        return ~holds & is_quiet(self.model, self.latest[who], moment)

    def first_fall(self) -> np.ndarray:
        """Per candidate, seconds after as_of of the first fall; 0 when it never falls within the horizon."""
        who, offset = self._checkpoints()
        fallen = np.flatnonzero(self.fallen(who, offset))
        first_candidates, first = np.unique(who[fallen], return_index=True)
        hit = fallen[first]
        previous_same = (hit > 0) & (who[np.maximum(hit - 1, 0)] == first_candidates)
        low = np.where(previous_same, offset[np.maximum(hit - 1, 0)], 0)
        high = offset[hit]
        while True:  # the stage holds at low and has fallen at high: halve until they are one second apart
            open_ = np.flatnonzero(high - low > 1)
            if not len(open_):
                break
            middle = (low[open_] + high[open_]) // 2
            down = self.fallen(first_candidates[open_], middle)
            high[open_] = np.where(down, middle, high[open_])
            low[open_] = np.where(down, low[open_], middle)
        result = np.zeros(len(self.stage), dtype=np.int64)
        result[first_candidates] = high
        return self._settled(result)

    def _settled(self, offsets: np.ndarray) -> np.ndarray:
        """Move each found second until the pipeline itself sees the stage hold one second before and not at it."""
        found = offsets > 0
        for _ in range(SETTLE_ROUNDS):
            late = found & ~self.fallen_exactly(offsets)
            early = found & (offsets > 1) & self.fallen_exactly(np.maximum(offsets - 1, 0))
            if not (late.any() or early.any()):
                break
            offsets = offsets + late - early
        return offsets

    def _checkpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(candidate, offset) sorted: each side of every breakpoint, and the horizon."""
        size = len(self.stage)
        who, edges = [self.exits[0]], [self.exits[1]]
        ages = [band.within_days for band in self.model.recency.bands]
        if self.model.lifecycle.quiet_days is not None:
            ages.append(self.model.lifecycle.quiet_days)
        engaged = np.flatnonzero(self.latest != NEVER)
        for days in ages:  # the first second the age is over `days`
            who.append(engaged)
            edges.append(np.floor(self.latest[engaged] + days * SECONDS_PER_DAY).astype(np.int64) + 1 - self.as_of)
        who, edges = np.concatenate(who), np.concatenate(edges)
        inside = (edges >= 1) & (edges <= HORIZON_SECONDS)
        who, edges = who[inside], edges[inside]
        all_who = np.concatenate([who, who, np.arange(size)])
        all_offsets = np.concatenate([edges - 1, edges, np.full(size, HORIZON_SECONDS)])
        keys = np.unique(all_who * SPAN + all_offsets)
        keys = keys[keys % SPAN >= 1]
        return keys // SPAN, keys % SPAN


def lapse_reason(model: ScoringModel, frame: ScoreFrame, position: int, lapsed: str) -> str:
    """Why contact `position` fell out of stage `lapsed`: the score thresholds it is now below, and the quiet
    period, in words ("engagement 31.2 below 50 (decay), no engaging activity for over 90 days")."""
    lapsed_index = model.stage_names.index(lapsed)
    parts = []
    for ref in frame.stages.conditions:
        name = ref.condition.score
        if ref.stage == lapsed_index and name is not None:
            value = math.floor(float(frame.scores[name][position]) * 100) / 100  # 49.99999 shows as 49.99, not 50
            cause = _cause(frame, name, position)
            parts.append(f"{name} {value:g} below {ref.condition.at_least:g}" + (f" ({cause})" if cause else ""))
    if model.lifecycle.quiet_days is not None:  # with a quiet period, no stage falls before it is over
        parts.append(f"no engaging activity for over {model.lifecycle.quiet_days:g} days")
    return ", ".join(parts) or "its entry condition no longer holds"


def _cause(frame: ScoreFrame, score: str, position: int) -> str | None:
    """What time did to the score: decay, the window, the recency band; None for fit and lead, which it leaves."""
    if score == "recency":
        return "recency band"
    if score == "engagement":
        return "decay" if frame.scores["engagement"][position] > 0 and frame.decay.decays else "window"
    return "no new activity" if score == "combined" else None
