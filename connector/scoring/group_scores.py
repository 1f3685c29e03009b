"""Per score group: a lead and an engagement score, the engaged flag, and the group's own stage.

A group's scores are the contact's scores restricted to the group's activities: lead is the all-time sum of their
counted points (after each rule's caps), engagement the same points inside each activity's window, decayed, as the
contact's engagement. The floors of `scores.floors` apply to groups too. Vectorized per group: one boolean mask and
two `bincount`s over the activities, never a loop over activities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from connector.scoring.group_membership import GroupTable
from connector.scoring.model import ScoringModel
from connector.scoring.model_stages import Stage
from connector.scoring.scores import apply_floors
from connector.scoring.stages import NO_STAGE

if TYPE_CHECKING:
    from connector.scoring.frame import ActivityArrays


@dataclass(frozen=True)
class GroupScores:
    """What `ScoreFrame` holds per group, each array aligned with the contacts."""

    scores: Mapping[str, Mapping[str, np.ndarray]]
    engaged: Mapping[str, np.ndarray]
    #: Only groups with stages of their own; NO_STAGE where no stage holds and for disqualified contacts.
    stages: Mapping[str, np.ndarray]
    stage_names: Mapping[str, tuple[str, ...]]


def score_groups(
    model: ScoringModel,
    table: GroupTable,
    activities: ActivityArrays,
    counted: np.ndarray,
    engagement_points: np.ndarray,
    disqualified: np.ndarray,
) -> GroupScores:
    size = len(disqualified)
    scores, engaged, stages, stage_names = {}, {}, {}, {}
    for row, name in enumerate(table.names):
        member = table.members(row, activities.kind_id)
        contacts = activities.contact_index[member]
        raw = {
            "lead": np.bincount(contacts, weights=counted[member], minlength=size).astype(np.float64),
            "engagement": np.bincount(contacts, weights=engagement_points[member], minlength=size).astype(np.float64),
        }
        scores[name] = apply_floors(raw, model.scores)
        engaged[name] = scores[name]["engagement"] >= model.engagement.engaged_at_least
        own_stages = model.groups[table.entries[row]].stages
        if own_stages:
            stages[name] = group_stage(own_stages, scores[name], disqualified)
            stage_names[name] = tuple(stage.name for stage in own_stages)
    return GroupScores(scores, engaged, stages, stage_names)


def group_stage(stages: tuple[Stage, ...], scores: Mapping[str, np.ndarray], disqualified: np.ndarray) -> np.ndarray:
    """The highest stage one of whose conditions holds (a first stage without conditions always holds); a
    disqualified contact has no group stage. Group stages follow the scores both ways, at once."""
    stage = np.full(len(disqualified), NO_STAGE, dtype=np.int64)
    for index, spec in enumerate(stages):
        stage[_holds(spec, scores, len(disqualified))] = index
    stage[disqualified] = NO_STAGE
    return stage


def _holds(spec: Stage, scores: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    if not spec.when:
        return np.ones(size, dtype=bool)
    holds = np.zeros(size, dtype=bool)
    for condition in spec.when:
        holds |= scores[condition.score] >= condition.at_least
    return holds
