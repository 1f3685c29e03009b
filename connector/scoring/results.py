"""Writing a scoring run back to the store, set-based: only changed rows, their history, and stage transitions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.bulk import insert_rows, upsert_rows
from connector.scoring.entry import entry_moments
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.frame import ActivityArrays, ContactColumns, ScoreFrame, stage_label
from connector.scoring.model import ScoringModel
from connector.scoring.reasons import lead_crossings, stage_reason, top_reasons
from connector.scoring.scores import NEVER
from connector.scoring.snapshot import PREVIOUS_COLUMNS

SCORE_NAMES = ("fit", "lead", "engagement", "recency", "combined")
#: Scores are stored rounded, so a decayed engagement that moved by a hair is not a change.
DECIMALS = 2
SCORE_COLUMNS = (*PREVIOUS_COLUMNS, "scored_at")
STAGE = PREVIOUS_COLUMNS.index("stage")
FLAG = PREVIOUS_COLUMNS.index("reengaged")
HISTORY_COLUMNS = ("contact_id", *SCORE_NAMES, "stage", "model_version", "scored_at")
TRANSITION_COLUMNS = ("contact_id", "from_stage", "to_stage", "at", "reason", "model_version", "triggered_at")


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
    """Upsert the rows that differ from `stored`, add score history and stage transitions; return what was done."""
    rows = _score_rows(model, frame, activities)
    changed = [position for position, row in enumerate(rows) if stored[position] != row]
    history = [p for p in changed if stored[p] is None or _history_part(stored[p]) != _history_part(rows[p])]
    moved = [p for p in changed if stored[p] is None or stored[p][STAGE] != rows[p][STAGE]]
    ids = contacts.ids.tolist()
    score_rows = [(ids[p], *rows[p], as_of) for p in changed]
    upsert_rows(connection, "contact_score", "contact_id", ("contact_id", *SCORE_COLUMNS), score_rows)
    version = model.version
    history_rows = [(ids[p], *rows[p][:5], rows[p][STAGE], version, as_of) for p in history]
    insert_rows(connection, "score_change", HISTORY_COLUMNS, history_rows)
    transitions = _transitions(model, frame, activities, stored, moved, ids)
    transition_rows = [
        (t.contact_id, t.from_stage, t.to_stage, as_of, t.reason, version, t.triggered_at) for t in transitions
    ]
    insert_rows(connection, "stage_transition", TRANSITION_COLUMNS, transition_rows)
    newly = tuple(ids[p] for p in changed if rows[p][FLAG] and not (stored[p] is not None and stored[p][FLAG]))
    return WriteOutcome(len(changed), len(history), tuple(transitions), newly)


def _history_part(row: tuple) -> tuple:
    return (*row[:5], row[STAGE])


def _score_rows(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> list[tuple]:
    """One tuple per contact in PREVIOUS_COLUMNS order, in the types the database hands back."""
    columns = [np.round(frame.scores[name], DECIMALS).tolist() for name in SCORE_NAMES]
    grades = frame.fit.grades.tolist() if frame.fit.grades is not None else [None] * len(frame.engaged)
    names = (*model.stage_names, DISQUALIFIED)
    stages = [names[index] for index in frame.stages.stage.tolist()]
    latest = [None if moment == NEVER else moment for moment in frame.latest_engaged.tolist()]
    encoded: dict[tuple[str, ...], str] = {}  # many contacts share the same reasons: encode each list once
    reasons = [_encoded(encoded, tuple(items)) for items in top_reasons(model, frame, activities)]
    return list(
        zip(*columns, grades, stages, frame.engaged.tolist(), latest, reasons,
            [model.version] * len(stages), frame.reengaged.tolist(), strict=True)
    )  # fmt: skip


def _encoded(cache: dict[tuple[str, ...], str], items: tuple[str, ...]) -> str:
    text = cache.get(items)
    if text is None:
        text = cache[items] = json.dumps(list(items))
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
            None if stored[p] is None else stored[p][STAGE],
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
