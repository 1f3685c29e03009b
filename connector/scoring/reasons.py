"""Reasons in words: the top contributors of a score (for write-back) and why a contact is in its stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from connector.scoring.fall_below import lapse_reason
from connector.scoring.frame import ActivityArrays, ScoreFrame, stage_label
from connector.scoring.model import ScoringModel
from connector.scoring.repeats import repeat_reason
from connector.scoring.stages import BY_CONDITIONS, DISQUALIFIED_BY_FIT, HELD, NO_STAGE, ConditionRef

TOP_REASONS = 3


@dataclass(frozen=True)
class RankedReasons:
    """Every contact's top contributors as arrays sorted by contact, then size: the numbers behind the reasons,
    so a run can tell which contacts' reasons changed before phrasing any (results.py)."""

    contact: np.ndarray
    label: np.ndarray
    points: np.ndarray
    count: np.ndarray
    labels: tuple[str, ...]

    def phrased(self, positions: np.ndarray) -> list[list[str]]:
        """The reasons in words of the contacts at `positions` (ascending), in that order."""
        reasons: list[list[str]] = [[] for _ in range(len(positions))]
        if not len(positions):
            return reasons
        wanted = np.searchsorted(positions, self.contact)
        keep = np.flatnonzero(positions[np.minimum(wanted, len(positions) - 1)] == self.contact)
        phrases: dict[tuple[int, float, int], str] = {}  # the same few phrases recur across many contacts
        columns = (wanted[keep], self.label[keep], self.points[keep], self.count[keep])
        for who, what, much, times in zip(*(column.tolist() for column in columns), strict=True):
            key = (what, much, times)
            text = phrases.get(key)
            if text is None:
                text = phrases[key] = phrase(self.labels[what], much, times)
            reasons[who].append(text)
        return reasons


def ranked_reasons(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> RankedReasons:
    """Per contact, up to three largest contributors by size: behavior rules (with repeat counts) and fit rules."""
    size = len(frame.engaged)
    contact, label, points, count = _contributors(model, frame, activities)
    labels = tuple(rule.name for rule in model.behavior.rules) + tuple(ref.label for ref in frame.fit.rules)
    order = np.lexsort((label, -np.abs(points), contact))
    contact, label, points, count = contact[order], label[order], points[order], count[order]
    starts = np.searchsorted(contact, np.arange(size))
    keep = np.flatnonzero(np.arange(len(contact)) - starts[contact] < TOP_REASONS)
    return RankedReasons(contact[keep], label[keep], points[keep], count[keep], labels)


def top_reasons(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> list[list[str]]:
    """Every contact's reasons in words: "Pricing page x3 +15", "VP title +20"."""
    return ranked_reasons(model, frame, activities).phrased(np.arange(len(frame.engaged)))


def phrase(label: str, points: float, count: int = 1) -> str:
    """ "Pricing page x3 +15", "VP title +20"."""
    times = f" x{count}" if count > 1 else ""
    return f"{label}{times} {points:+g}"


def _contributors(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays):
    """(contact, label index, points, count) per behavior rule group and per fired fit rule."""
    contributions = frame.contributions
    starts = contributions.group_starts
    sorted_counted = contributions.counted[contributions.order]
    first = contributions.order[starts]
    group_points = np.add.reduceat(sorted_counted, starts) if len(starts) else np.zeros(0)
    group_count = np.diff(np.append(starts, len(sorted_counted)))
    if contributions.repeat.any():  # "x3" counts the activities a once / once_per_days rule let count
        group_count = np.add.reduceat(~contributions.repeat[contributions.order], starts)
    group_rule = frame.rule_index[first]
    useful = (group_rule >= 0) & (group_points != 0)
    fit_rows, fit_contacts = np.nonzero(frame.fit.rule_points)
    return (
        np.concatenate([activities.contact_index[first][useful], fit_contacts]),
        np.concatenate([group_rule[useful], fit_rows + len(model.behavior.rules)]),
        np.concatenate([group_points[useful], frame.fit.rule_points[fit_rows, fit_contacts]]),
        np.concatenate([group_count[useful], np.ones(len(fit_rows), dtype=np.int64)]),
    )


def lead_crossings(frame: ScoreFrame, activities: ActivityArrays, threshold: np.ndarray) -> np.ndarray:
    """Per contact, the activity (index into `activities`) whose points last lifted the running lead score from
    below its threshold to at or above it; -1 when none did. `threshold` is per contact (NaN: not wanted).

    Activities are taken in time order, and those of one moment lowest points first, so the answer depends on the
    activities alone, not on the order the store returns them in (task keys rely on that)."""
    size = len(threshold)
    crossing = np.full(size, -1, dtype=np.int64)
    wanted = np.flatnonzero(~np.isnan(threshold)[activities.contact_index])
    if not len(wanted):
        return crossing
    counted = frame.contributions.counted
    order = wanted[np.lexsort((counted[wanted], activities.occurred_at[wanted], activities.contact_index[wanted]))]
    contact, points = activities.contact_index[order], counted[order]
    totals = np.cumsum(points)
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = contact[1:] != contact[:-1]
    running = totals - (totals - points)[starts][np.cumsum(starts) - 1]
    before = running - points
    limit = threshold[contact]
    lifted = np.flatnonzero((running >= limit) & (before < limit))
    last = np.full(size, -1, dtype=np.int64)
    np.maximum.at(last, contact[lifted], lifted)  # the latest crossing in time, not the highest activity index
    crossing[last >= 0] = order[last[last >= 0]]
    return crossing


def stage_reason(
    model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays, position: int, crossing: int = -1
) -> str:
    """Why contact `position` is in its stage, in one line."""
    result = frame.stages
    if result.how[position] == DISQUALIFIED_BY_FIT:
        rule = model.fit.disqualifiers[int(frame.fit.disqualified_by[position])]
        return f"disqualified: {rule.label or rule.field + ' ' + rule.describe()}"
    entered = _entry_reason(model, frame, activities, position, crossing)
    if result.how[position] == HELD:
        kept = stage_label(model, int(result.stage[position]))
        policy = "never_backwards" if model.lifecycle.never_backwards else "quiet period not over"
        return (
            f"stays {kept} ({policy}); qualifies now for {stage_label(model, int(result.qualified[position]))}: "
            f"{entered}"
        )
    lapsed = _lapsed_stage(model, frame, position)
    if lapsed is not None:
        return f"{entered}; fell from {lapsed}: {lapse_reason(model, frame, position, lapsed)}"
    return entered


def _lapsed_stage(model: ScoringModel, frame: ScoreFrame, position: int) -> str | None:
    """The stage held before this run when the contact has fallen below it (not disqualified), else None."""
    previous = frame.stages.previous
    if previous is None or frame.stages.how[position] != BY_CONDITIONS:
        return None
    before = int(previous[position])
    if before == NO_STAGE or before >= len(model.stages) or before <= int(frame.stages.stage[position]):
        return None
    return model.stages[before].name


def _entry_reason(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays, position: int, crossing: int):
    result = frame.stages
    flat = int(result.entered_by[position])
    stage = stage_label(model, int(result.qualified[position]))
    if flat < 0:
        return f"no entry condition of a later stage holds ({stage} is the first stage)"
    ref: ConditionRef = result.conditions[flat]
    condition = ref.condition
    if condition.score is not None:
        value = float(frame.scores[condition.score][position])
        text = f"{condition.score} score {value:g} >= {condition.at_least:g} ({stage} threshold)"
        if crossing >= 0:
            rule = int(frame.rule_index[crossing])
            name = model.behavior.rules[rule].name if rule >= 0 else "activity"
            text += f", reached with {name} on {_date(int(activities.occurred_at[crossing]))}"
        return text
    if condition.activity is not None:
        when = _date(int(frame.trigger_times[result.trigger_rows[flat], position]))
        return f"{condition.label or condition.activity} on {when} ({stage} trigger)"
    wanted = condition.equals if condition.equals is not None else list(condition.in_ or ())
    return f"{condition.label or condition.field + ' ' + str(wanted)} ({stage} field rule)"


def repeat_note(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays, index: int) -> str | None:
    """Why activity `index` counted nothing as a repeat ("once per 7 days: counted on 2026-10-01"), or None."""
    if not frame.contributions.repeat[index]:
        return None
    rule = int(frame.rule_index[index])
    moment = activities.occurred_at[index]
    counted = (
        (frame.rule_index == rule)
        & (activities.contact_index == activities.contact_index[index])
        & ~frame.contributions.repeat
        & (activities.occurred_at <= moment)
    )
    last_counted = int(activities.occurred_at[counted].max())
    return f"{repeat_reason(model.behavior.rules[rule])}: counted on {_date(last_counted)}"


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()
