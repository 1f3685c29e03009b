"""Lifecycle stages: the highest stage whose entry condition holds, held or demoted by the lifecycle policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.conditions import Column, column_matches
from connector.scoring.model import ScoringModel
from connector.scoring.model_stages import StageCondition
from connector.scoring.scores import NEVER

NO_STAGE = -1
#: How the final stage came about, per contact.
BY_CONDITIONS, HELD, DISQUALIFIED_BY_FIT = 0, 1, 2


@dataclass(frozen=True)
class ConditionRef:
    stage: int
    index: int
    condition: StageCondition


@dataclass(frozen=True)
class StageResult:
    """Per contact: the stage index (len(stages) means disqualified), and what put it there."""

    stage: np.ndarray
    qualified: np.ndarray
    #: Index into `conditions` of the condition that qualified the contact for `qualified`, or -1 (the first stage).
    entered_by: np.ndarray
    how: np.ndarray
    conditions: tuple[ConditionRef, ...]
    #: Per condition (same order as `conditions`): its row in the trigger times, or -1 when not an activity.
    trigger_rows: tuple[int, ...]
    #: The stage each contact held before this run (NO_STAGE when unscored), to tell a fall from a first stage.
    previous: np.ndarray | None = None


def stage_conditions(model: ScoringModel) -> tuple[ConditionRef, ...]:
    return tuple(
        ConditionRef(stage_index, index, condition)
        for stage_index, stage in enumerate(model.stages)
        for index, condition in enumerate(stage.when)
    )


def activity_conditions(model: ScoringModel) -> tuple[ConditionRef, ...]:
    """The activity triggers, in a fixed order: `trigger_times` rows follow it."""
    return tuple(ref for ref in stage_conditions(model) if ref.condition.activity is not None)


def assign_stages(
    model: ScoringModel,
    scores: Mapping[str, np.ndarray],
    trigger_times: np.ndarray,
    columns: Mapping[str, Column],
    disqualified: np.ndarray,
    previous: np.ndarray,
    latest_engaged: np.ndarray,
    as_of: int,
) -> StageResult:
    conditions = stage_conditions(model)
    size = len(disqualified)
    qualified = np.zeros(size, dtype=np.int64)
    entered_by = np.full(size, -1, dtype=np.int64)
    trigger_row = {(ref.stage, ref.index): row for row, ref in enumerate(activity_conditions(model))}
    for flat in reversed(range(len(conditions))):  # so the first condition of a stage wins within that stage
        ref = conditions[flat]
        holds = condition_holds(ref, scores, trigger_times, trigger_row, columns, size)
        better = holds & (qualified <= ref.stage)
        qualified[better] = ref.stage
        entered_by[better] = flat
    held = _held_by_policy(model, qualified, previous, latest_engaged, as_of)
    stage = np.where(held, previous, qualified)
    how = np.where(held, HELD, BY_CONDITIONS)
    stage[disqualified] = len(model.stages)
    how[disqualified] = DISQUALIFIED_BY_FIT
    rows = {(ref.stage, ref.index): row for row, ref in enumerate(activity_conditions(model))}
    trigger_rows = tuple(rows.get((ref.stage, ref.index), -1) for ref in conditions)
    return StageResult(stage, qualified, entered_by, how, conditions, trigger_rows, previous)


def condition_holds(
    ref: ConditionRef,
    scores: Mapping[str, np.ndarray],
    trigger_times: np.ndarray,
    trigger_row: Mapping[tuple[int, int], int],
    columns: Mapping[str, Column],
    size: int,
) -> np.ndarray:
    condition = ref.condition
    if condition.score is not None:
        return scores[condition.score] >= condition.at_least
    if condition.activity is not None:
        return trigger_times[trigger_row[ref.stage, ref.index]] != NEVER
    assert condition.field is not None
    return column_matches(condition.field_match(), columns[condition.field])


def _held_by_policy(
    model: ScoringModel, qualified: np.ndarray, previous: np.ndarray, latest_engaged: np.ndarray, as_of: int
) -> np.ndarray:
    """Contacts that keep a higher previous stage: always with never_backwards, else until the quiet period ends."""
    higher_before = (previous != NO_STAGE) & (previous < len(model.stages)) & (previous > qualified)
    policy = model.lifecycle
    if policy.never_backwards:
        return higher_before
    if policy.quiet_days is None:
        return np.zeros(len(qualified), dtype=bool)
    return higher_before & ~is_quiet(model, latest_engaged, as_of)


def is_quiet(model: ScoringModel, latest_engaged: np.ndarray, as_of: int | np.ndarray) -> np.ndarray:
    """Whether the quiet period is over: no engaging activity ever, or none for more than lifecycle.quiet_days."""
    quiet_days = model.lifecycle.quiet_days
    if quiet_days is None:
        return np.ones(len(latest_engaged), dtype=bool)
    return (latest_engaged == NEVER) | (as_of - latest_engaged > quiet_days * SECONDS_PER_DAY)
