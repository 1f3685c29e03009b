"""Score groups: per product line or scoring category, a lead and an engagement score (and optionally a stage).

The engine fills `ScoreFrame.group_scores` / `group_stages`; this module turns them into the one JSON document per
contact that the store keeps (`ContactScore.groups`), so a new group needs a model change, not a migration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from connector.scoring.frame import ScoreFrame
from connector.scoring.group_membership import GroupTable
from connector.scoring.model import ScoringModel
from connector.scoring.model_stages import Stage
from connector.scoring.scores import DECIMALS
from connector.scoring.stages import NO_STAGE


def group_documents(frame: ScoreFrame, positions: np.ndarray | None = None) -> list[dict]:
    """Per contact, ``{group: {"lead": 40.0, "engagement": 12.5, "engaged": true, "stage": "mql"}}`` (stage only
    where the group has stages of its own and one holds); an empty dict for every contact when the model has no
    groups. `engaged` is stored so the index by group reads the store as the contact index reads `engaged`.
    `positions`: only the contacts at these positions, in that order."""
    chosen = np.arange(len(frame.engaged)) if positions is None else positions
    size = len(chosen)
    documents: list[dict] = [{} for _ in range(size)]
    for group, scores in frame.group_scores.items():
        columns = {name: np.round(values[chosen], DECIMALS).tolist() for name, values in scores.items()}
        names = frame.group_stage_names.get(group, ())
        stages = frame.group_stages[group][chosen].tolist() if group in frame.group_stages else None
        engaged = frame.group_engaged[group][chosen].tolist() if group in frame.group_engaged else None
        for position in range(size):
            entry = {name: values[position] for name, values in columns.items()}
            if engaged is not None:
                entry["engaged"] = engaged[position]
            if stages is not None and stages[position] != NO_STAGE:
                entry["stage"] = names[stages[position]]
            documents[position][group] = entry
    return documents


@dataclass(frozen=True)
class GroupLine:
    """One group of one contact, as `explain` shows it."""

    group: str
    lead: float
    engagement: float
    engaged: bool
    stage: str | None
    #: The condition that put the contact in the group's stage ("lead 45 >= 40"), or None (first stage, none).
    stage_reason: str | None


def group_lines(model: ScoringModel, table: GroupTable, frame: ScoreFrame, position: int) -> tuple[GroupLine, ...]:
    """The groups of the contact at `position`, in the model's order (`table` says which entry gave each group)."""
    lines = []
    for row, group in enumerate(table.names):
        values = {name: float(column[position]) for name, column in frame.group_scores[group].items()}
        stage = int(frame.group_stages[group][position]) if group in frame.group_stages else NO_STAGE
        spec = None if stage == NO_STAGE else model.groups[table.entries[row]].stages[stage]
        lines.append(
            GroupLine(
                group=group,
                lead=round(values["lead"], DECIMALS),
                engagement=round(values["engagement"], DECIMALS),
                engaged=bool(frame.group_engaged[group][position]),
                stage=None if spec is None else spec.name,
                stage_reason=None if spec is None else _holding_condition(spec, values),
            )
        )
    return tuple(lines)


def _holding_condition(stage: Stage, values: dict[str, float]) -> str | None:
    for condition in stage.when:
        assert condition.score is not None and condition.at_least is not None
        if values[condition.score] >= condition.at_least:
            return f"{condition.score} {round(values[condition.score], DECIMALS):g} >= {condition.at_least:g}"
    return None
