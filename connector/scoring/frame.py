"""The one scoring pipeline: contact columns + activity arrays in, every score, stage and contribution out.

`score_store` runs it over the whole store (or the contacts an incremental run needs); `explain` runs it over
one contact and reads the per-activity detail. There is no second, scalar implementation of the math.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from connector.scoring.behavior import Contributions, RuleTable, capped_contributions
from connector.scoring.conditions import Column
from connector.scoring.decay import activity_decay
from connector.scoring.fall_below import fall_below_moments
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.fit import NOT_DISQUALIFIED, FitResult, score_fit
from connector.scoring.group_scores import score_groups
from connector.scoring.kinds import KindTable
from connector.scoring.model import ScoringModel
from connector.scoring.returning import return_moments
from connector.scoring.scores import (
    NEVER,
    ActivityDecay,
    engagement_contributions,
    finished_scores,
    last_engaged,
    lead_scores,
    recency_scores,
)
from connector.scoring.stages import NO_STAGE, StageResult, assign_stages


@dataclass(frozen=True)
class ContactColumns:
    """The contacts being scored: their ids (ascending) and the field columns the model reads."""

    ids: np.ndarray
    columns: Mapping[str, Column]
    warnings: Mapping[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ActivityArrays:
    """Activities of those contacts up to as_of: contact position in `ContactColumns.ids`, kind id, epoch time."""

    contact_index: np.ndarray
    kind_id: np.ndarray
    occurred_at: np.ndarray

    @classmethod
    def empty(cls) -> ActivityArrays:
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, nothing)


@dataclass(frozen=True)
class PreviousState:
    """What the store held before this run: stage index (NO_STAGE when unscored) and the re-engaged flag."""

    stage: np.ndarray
    reengaged: np.ndarray

    @classmethod
    def none(cls, size: int) -> PreviousState:
        return cls(np.full(size, NO_STAGE, dtype=np.int64), np.zeros(size, dtype=bool))


@dataclass(frozen=True)
class ScoreFrame:
    scores: Mapping[str, np.ndarray]
    engaged: np.ndarray
    latest_engaged: np.ndarray
    reengaged: np.ndarray
    fit: FitResult
    rule_index: np.ndarray
    contributions: Contributions
    engagement_points: np.ndarray
    trigger_times: np.ndarray
    stages: StageResult
    #: Per activity, the window and half-life its engagement points follow.
    decay: ActivityDecay
    #: Per score group (the model's `groups`), its scores by name ("lead", "engagement"), aligned with the contacts.
    group_scores: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)
    #: Per score group that has stages of its own, the stage index per contact (NO_STAGE where none holds).
    group_stages: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: Per score group with stages of its own, their names in index order.
    group_stage_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Per score group, whether its engagement reaches `engagement.engaged_at_least` (the index by group counts it).
    group_engaged: Mapping[str, np.ndarray] = field(default_factory=dict)
    #: Per contact, when its score falls below the threshold that put it in its stage (epoch seconds), or NEVER.
    fall_below_at: np.ndarray | None = None

    def stage_name(self, model: ScoringModel, position: int) -> str:
        return stage_label(model, int(self.stages.stage[position]))


def stage_label(model: ScoringModel, index: int) -> str:
    return DISQUALIFIED if index == len(model.stages) else model.stages[index].name


def score_frame(
    model: ScoringModel,
    kinds: KindTable,
    contacts: ContactColumns,
    activities: ActivityArrays,
    as_of: int,
    previous: PreviousState,
) -> ScoreFrame:
    size = contacts.size
    rule_index = _lookup(kinds.rule_of_kind, activities.kind_id, -1)
    contributions = capped_contributions(
        activities.contact_index, rule_index, activities.occurred_at, RuleTable.from_model(model.behavior)
    )
    decay = activity_decay(model, kinds, activities.kind_id)
    engagement_points = engagement_contributions(activities.occurred_at, contributions.counted, as_of, decay)
    latest = last_engaged(activities.contact_index, contributions.nominal, activities.occurred_at, size)
    fit = score_fit(model.fit, contacts.columns, size)
    raw = {
        "fit": fit.scores,
        "lead": lead_scores(activities.contact_index, contributions.counted, size),
        "engagement": np.bincount(activities.contact_index, weights=engagement_points, minlength=size),
        "recency": recency_scores(latest, as_of, model.recency),
    }
    scores = finished_scores(raw, model.scores)
    trigger_times = _first_trigger_times(kinds, activities, size)
    disqualified = fit.disqualified_by != NOT_DISQUALIFIED
    stages = assign_stages(model, scores, trigger_times, contacts.columns, disqualified, previous.stage, latest, as_of)
    groups = score_groups(model, kinds.groups, activities, contributions.counted, engagement_points, disqualified)
    frame = ScoreFrame(
        scores=scores,
        engaged=scores["engagement"] >= model.engagement.engaged_at_least,
        latest_engaged=latest,
        reengaged=_reengaged(model, scores, stages, activities, contributions, decay, as_of),
        fit=fit,
        rule_index=rule_index,
        contributions=contributions,
        engagement_points=engagement_points,
        trigger_times=trigger_times,
        stages=stages,
        decay=decay,
        group_scores=groups.scores,
        group_stages=groups.stages,
        group_stage_names=groups.stage_names,
        group_engaged=groups.engaged,
    )
    return replace(frame, fall_below_at=fall_below_moments(model, frame, activities, contacts.columns, as_of))


def _lookup(table: np.ndarray, keys: np.ndarray, default: int) -> np.ndarray:
    """table[keys], with `default` for keys beyond the table (kinds created after the table was read)."""
    inside = keys < len(table)
    values = np.full(len(keys), default, dtype=table.dtype)
    values[inside] = table[keys[inside]]
    return values


def _first_trigger_times(kinds: KindTable, activities: ActivityArrays, size: int) -> np.ndarray:
    """Per activity trigger and contact, the earliest time it fired, or NEVER."""
    times = np.full((len(kinds.triggers_of_kind), size), np.iinfo(np.int64).max, dtype=np.int64)
    for row, fires_for_kind in enumerate(kinds.triggers_of_kind):
        fired = _lookup(fires_for_kind, activities.kind_id, False)
        np.minimum.at(times[row], activities.contact_index[fired], activities.occurred_at[fired])
    times[times == np.iinfo(np.int64).max] = NEVER
    return times


def _reengaged(
    model: ScoringModel,
    scores: Mapping[str, np.ndarray],
    stages: StageResult,
    activities: ActivityArrays,
    contributions: Contributions,
    decay: ActivityDecay,
    as_of: int,
) -> np.ndarray:
    """Customers engaging again (an engaging activity in the window after a quiet gap) above the threshold."""
    policy = model.lifecycle.reengaged
    if policy is None:
        return np.zeros(len(stages.stage), dtype=bool)
    returned = return_moments(model, stages, activities, contributions, decay, as_of) != NEVER
    return returned & (scores["engagement"] >= policy.engagement_at_least)
