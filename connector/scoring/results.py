"""Writing a scoring run back to the store, set-based: only changed rows, their history, and stage transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.score_catalog import CONTACT_SCORES
from connector.scoring.entry import entry_moments
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.frame import ActivityArrays, ContactColumns, ScoreFrame, stage_label
from connector.scoring.groups import group_documents
from connector.scoring.model import ScoringModel
from connector.scoring.reasons import lead_crossings, stage_reason, top_reasons
from connector.scoring.scores import NEVER
from connector.store.scores import (
    history_values,
    json_text,
    score_rows,
    write_history,
    write_score_rows,
    write_transitions,
)

#: Scores are stored rounded, so a decayed engagement that moved by a hair is not a change.
DECIMALS = 2


@dataclass(frozen=True)
class Transition:
    contact_id: int
    from_stage: str | None
    to_stage: str
    reason: str
    #: Epoch seconds when the stage began to hold (connector/scoring/entry.py); None when no activity did it.
    triggered_at: int | None = None


@dataclass(frozen=True)
class WriteOutcome:
    rows_written: int
    scores_changed: int
    transitions: tuple[Transition, ...]
    newly_reengaged: tuple[int, ...]


def write_results(
    connection: Connection,
    model: ScoringModel,
    frame: ScoreFrame,
    contacts: ContactColumns,
    activities: ActivityArrays,
    stored: Sequence[tuple | None],
    as_of: int,
) -> WriteOutcome:
    """Upsert the rows that differ from `stored` (ScoreRows), add score history and stage transitions."""
    rows = computed_rows(model, frame, activities)
    changed = [position for position, row in enumerate(rows) if stored[position] != row]
    history = [p for p in changed if stored[p] is None or history_values(stored[p]) != history_values(rows[p])]
    moved = [p for p in changed if stored[p] is None or stored[p].stage != rows[p].stage]
    ids = contacts.ids.tolist()
    write_score_rows(connection, [ids[p] for p in changed], [rows[p] for p in changed], as_of)
    write_history(connection, [ids[p] for p in history], [rows[p] for p in history], as_of)
    transitions = _transitions(model, frame, activities, stored, moved, ids)
    write_transitions(connection, _transition_columns(transitions, as_of, model.version))
    newly = tuple(ids[p] for p in changed if rows[p].reengaged and not (stored[p] is not None and stored[p].reengaged))
    return WriteOutcome(len(changed), len(history), tuple(transitions), newly)


def computed_rows(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> list[tuple]:
    """One ScoreRow per contact, in the types the store hands back, so equality means "unchanged"."""
    size = len(frame.engaged)
    names = (*model.stage_names, DISQUALIFIED)
    encoded: dict[tuple[str, ...], str] = {}  # many contacts share the same reasons: encode each list once
    columns = {name: np.round(frame.scores[name], DECIMALS).tolist() for name in CONTACT_SCORES}
    columns |= {
        "grade": frame.fit.grades.tolist() if frame.fit.grades is not None else [None] * size,
        "stage": [names[index] for index in frame.stages.stage.tolist()],
        "engaged": frame.engaged.tolist(),
        "last_engaged_at": _moments(frame.latest_engaged),
        "reasons": [_encoded(encoded, tuple(items)) for items in top_reasons(model, frame, activities)],
        "model_version": [model.version] * size,
        "reengaged": frame.reengaged.tolist(),
        "groups": _group_texts(frame, size),
        "fall_below_at": [None] * size if frame.fall_below_at is None else _moments(frame.fall_below_at),
    }
    return score_rows(columns)


def _transition_columns(transitions: list[Transition], at: int, version: str) -> dict[str, list]:
    count = len(transitions)
    return {
        "contact_id": [t.contact_id for t in transitions],
        "from_stage": [t.from_stage for t in transitions],
        "to_stage": [t.to_stage for t in transitions],
        "at": [at] * count,
        "reason": [t.reason for t in transitions],
        "model_version": [version] * count,
        "triggered_at": [t.triggered_at for t in transitions],
    }


def _moments(epochs: np.ndarray) -> list[int | None]:
    """Epoch seconds as stored (whole seconds, rounded up so a rescore at that moment is not early); NEVER -> None."""
    whole = np.ceil(epochs).astype(np.int64) if epochs.dtype.kind == "f" else epochs
    return [None if moment == NEVER else moment for moment in whole.tolist()]


def _group_texts(frame: ScoreFrame, size: int) -> list[str]:
    if not frame.group_scores:
        return [json_text({})] * size
    return list(map(json_text, group_documents(frame)))


def _encoded(cache: dict[tuple[str, ...], str], items: tuple[str, ...]) -> str:
    text = cache.get(items)
    if text is None:
        text = cache[items] = json_text(list(items))
    return text


def _transitions(
    model: ScoringModel,
    frame: ScoreFrame,
    activities: ActivityArrays,
    stored: Sequence[tuple | None],
    moved: list[int],
    ids: list[int],
) -> list[Transition]:
    crossing = lead_crossings(frame, activities, _lead_thresholds(frame, moved))
    moments = entry_moments(frame, activities, moved).tolist()
    return [
        Transition(
            ids[p],
            None if stored[p] is None else stored[p].stage,
            stage_label(model, int(frame.stages.stage[p])),
            stage_reason(model, frame, activities, p, int(crossing[p])),
            None if moments[p] == NEVER else moments[p],
        )
        for p in moved
    ]


def _lead_thresholds(frame: ScoreFrame, positions: list[int]) -> np.ndarray:
    """Per contact, the lead threshold that put it in its stage, for the contacts in `positions`; NaN otherwise."""
    thresholds = np.full(len(frame.engaged), np.nan)
    for position in positions:
        flat = int(frame.stages.entered_by[position])
        if flat >= 0:
            condition = frame.stages.conditions[flat].condition
            if condition.score == "lead":
                thresholds[position] = condition.at_least
    return thresholds
