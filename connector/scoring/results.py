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
from connector.scoring.reasons import lead_crossings, stage_reason, top_reason_texts
from connector.scoring.scores import NEVER
from connector.store.scores import (
    ScoreRow,
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
    """Upsert the rows that differ from `stored` (ScoreRows), add score history and stage transitions.

    Computed and stored values are compared column by column, in numpy: a contact whose row did not change costs
    no ScoreRow and no reasons of its own (docs/store.md, "Scoring in chunks")."""
    computed = computed_columns(model, frame, activities)
    changed = np.flatnonzero(_differs(computed, stored)).tolist()
    rows = dict(zip(changed, score_rows(_at(computed, changed)), strict=True))
    history = [p for p in changed if stored[p] is None or history_values(stored[p]) != history_values(rows[p])]
    moved = [p for p in changed if stored[p] is None or stored[p].stage != rows[p].stage]
    ids = contacts.ids.tolist() if changed else []
    write_score_rows(connection, [ids[p] for p in changed], [rows[p] for p in changed], as_of)
    write_history(connection, [ids[p] for p in history], [rows[p] for p in history], as_of)
    transitions = _transitions(model, frame, activities, stored, moved, ids)
    write_transitions(connection, _transition_columns(transitions, as_of, model.version))
    newly = tuple(ids[p] for p in changed if rows[p].reengaged and not (stored[p] is not None and stored[p].reengaged))
    return WriteOutcome(len(changed), len(history), tuple(transitions), newly)


def computed_rows(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> list[tuple]:
    """One ScoreRow per contact, in the types the store hands back, so equality means "unchanged"."""
    computed = computed_columns(model, frame, activities)
    return score_rows(_at(computed, list(range(len(frame.engaged)))))


def computed_columns(model: ScoringModel, frame: ScoreFrame, activities: ActivityArrays) -> dict[str, np.ndarray]:
    """Every ScoreRow field as a column: numbers and flags as numpy arrays, NEVER where a moment is missing; texts
    as object arrays whose equal values share one string."""
    size = len(frame.engaged)
    columns = {name: np.round(frame.scores[name], DECIMALS) for name in CONTACT_SCORES}
    columns |= {
        "grade": _shared_texts(frame.fit.grades) if frame.fit.grades is not None else np.full(size, None),
        "stage": np.array([*model.stage_names, DISQUALIFIED], dtype=object)[frame.stages.stage],
        "engaged": frame.engaged,
        "last_engaged_at": _whole(frame.latest_engaged),
        "reasons": top_reason_texts(model, frame, activities),
        "model_version": np.full(size, model.version, dtype=object),
        "reengaged": frame.reengaged,
        "groups": _group_texts(frame, size),
        "fall_below_at": np.full(size, NEVER) if frame.fall_below_at is None else _whole(frame.fall_below_at),
    }
    return columns


def _at(columns: dict[str, np.ndarray], positions: list[int]) -> dict[str, list]:
    """The columns' values at `positions`, as the Python values the store hands back (None for NEVER)."""
    values = {name: column[positions].tolist() for name, column in columns.items()}
    for name in MOMENTS:
        values[name] = [None if moment == NEVER else moment for moment in values[name]]
    return values


#: The ScoreRow fields holding a moment (epoch seconds, or NULL).
MOMENTS = ("last_engaged_at", "fall_below_at")


def _differs(computed: dict[str, np.ndarray], stored: Sequence[tuple | None]) -> np.ndarray:
    """Per contact, whether its computed row differs from its stored one (or it has none)."""
    present = np.fromiter((row is not None for row in stored), dtype=bool, count=len(stored))
    differs = ~present
    if not present.any():
        return differs
    kept = list(zip(*(row for row in stored if row is not None), strict=True))
    for index, name in enumerate(ScoreRow._fields):
        column = computed[name][present]
        values = np.array(kept[index], dtype=object)
        if name in MOMENTS:
            values[values == None] = NEVER  # noqa: E711 - elementwise, in numpy
        differs[present] |= ~_equal(column, values)
    return differs


def _equal(computed: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Elementwise ==, as Python compares values: 40 == 40.0, 1 == True, None == None."""
    if computed.dtype.kind in "fib":
        known = stored != None  # noqa: E711 - elementwise, in numpy
        same = np.zeros(len(stored), dtype=bool)
        same[known] = computed[known] == stored[known].astype(computed.dtype)
        return same
    return np.asarray(computed == stored, dtype=bool)


def _whole(epochs: np.ndarray) -> np.ndarray:
    """Epoch seconds as stored: whole seconds, rounded up so a rescore at that moment is not early."""
    return np.ceil(epochs).astype(np.int64) if epochs.dtype.kind == "f" else epochs


def _shared_texts(values: np.ndarray) -> np.ndarray:
    """A text column as an object array in which equal values are one string."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct.astype(object)[inverse.reshape(-1)]


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


def _group_texts(frame: ScoreFrame, size: int) -> np.ndarray:
    if not frame.group_scores:
        return np.full(size, json_text({}), dtype=object)
    texts = np.empty(size, dtype=object)
    texts[:] = list(map(json_text, group_documents(frame)))
    return texts


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
