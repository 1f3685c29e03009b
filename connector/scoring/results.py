"""Writing a scoring run back to the store, set-based: only changed rows, their history, and stage transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.score_catalog import CONTACT_SCORES
from connector.scoring.digest import score_digests, whole_seconds
from connector.scoring.entry import entry_moments
from connector.scoring.fields import DISQUALIFIED
from connector.scoring.frame import ActivityArrays, ContactColumns, ScoreFrame, stage_label
from connector.scoring.groups import group_documents
from connector.scoring.model import ScoringModel
from connector.scoring.reasons import RankedReasons, lead_crossings, ranked_reasons, stage_reason
from connector.scoring.scores import DECIMALS, NEVER
from connector.store.scores import (
    StoredDigests,
    history_values,
    json_text,
    score_rows,
    write_history,
    write_score_rows,
    write_transitions,
)


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
    stored: StoredDigests,
    as_of: int,
) -> WriteOutcome:
    """Upsert the rows that differ from the stored ones, add score history and stage transitions.

    Rows are compared by fingerprint (digest.py): only contacts whose fingerprint moved get a row built, their
    reasons phrased and their stored row read. Of those, a row whose values are all as stored (its fingerprint was
    missing) is rewritten with its fingerprint but is no score change."""
    reasons = ranked_reasons(model, frame, activities)
    digests = score_digests(model, frame, reasons)
    positions = np.flatnonzero(~stored.unchanged(digests))
    ids = contacts.ids[positions].tolist()
    rows = computed_rows(model, frame, reasons, positions)
    before = stored.rows_at(connection, contacts.ids, positions)
    changed = range(len(positions))
    history = [i for i in changed if before[i] is None or history_values(before[i]) != history_values(rows[i])]
    moved = [i for i in changed if before[i] is None or before[i].stage != rows[i].stage]
    write_score_rows(connection, ids, rows, as_of, digests[positions].tolist(), before)
    write_history(connection, [ids[i] for i in history], [rows[i] for i in history], as_of)
    transitions = _transitions(model, frame, activities, before, positions, ids, moved)
    write_transitions(connection, _transition_columns(transitions, as_of, model.version))
    newly = tuple(ids[i] for i in changed if rows[i].reengaged and not (before[i] is not None and before[i].reengaged))
    written = sum(row != old for row, old in zip(rows, before, strict=True))
    return WriteOutcome(written, len(history), tuple(transitions), newly)


def computed_rows(model: ScoringModel, frame: ScoreFrame, reasons: RankedReasons, positions: np.ndarray) -> list[tuple]:
    """The ScoreRows of the contacts at `positions`, in the types the store hands back, so equality means
    "unchanged"."""
    size = len(positions)
    names = (*model.stage_names, DISQUALIFIED)
    encoded: dict[tuple[str, ...], str] = {}  # many contacts share the same reasons: encode each list once
    columns = {name: np.round(frame.scores[name][positions], DECIMALS).tolist() for name in CONTACT_SCORES}
    columns |= {
        "grade": frame.fit.grades[positions].tolist() if frame.fit.grades is not None else [None] * size,
        "stage": [names[index] for index in frame.stages.stage[positions].tolist()],
        "engaged": frame.engaged[positions].tolist(),
        "last_engaged_at": _moments(frame.latest_engaged[positions]),
        "reasons": [_encoded(encoded, tuple(items)) for items in reasons.phrased(positions)],
        "model_version": [model.version] * size,
        "reengaged": frame.reengaged[positions].tolist(),
        "groups": _group_texts(frame, positions),
        "fall_below_at": [None] * size if frame.fall_below_at is None else _moments(frame.fall_below_at[positions]),
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
    return [None if moment == NEVER else moment for moment in whole_seconds(epochs).tolist()]


def _group_texts(frame: ScoreFrame, positions: np.ndarray) -> list[str]:
    if not frame.group_scores:
        return [json_text({})] * len(positions)
    return list(map(json_text, group_documents(frame, positions)))


def _encoded(cache: dict[tuple[str, ...], str], items: tuple[str, ...]) -> str:
    text = cache.get(items)
    if text is None:
        text = cache[items] = json_text(list(items))
    return text


def _transitions(
    model: ScoringModel,
    frame: ScoreFrame,
    activities: ActivityArrays,
    before: Sequence[tuple | None],
    positions: np.ndarray,
    ids: list[int],
    moved: list[int],
) -> list[Transition]:
    """The transitions of the changed contacts `moved`: indexes into `positions` (where they sit in the frame), and
    into their contact `ids` and `before` rows."""
    at = positions[moved].tolist()
    crossing = lead_crossings(frame, activities, _lead_thresholds(frame, at))
    moments = entry_moments(frame, activities, at).tolist()
    return [
        Transition(
            ids[i],
            None if before[i] is None else before[i].stage,
            stage_label(model, int(frame.stages.stage[p])),
            stage_reason(model, frame, activities, p, int(crossing[p])),
            None if moments[p] == NEVER else moments[p],
        )
        for i, p in zip(moved, at, strict=True)
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
