"""`explain`: every point of one contact, from which rule and which activity, and why its stage is what it is.

It runs the very pipeline `score_store` runs (`score_frame`), on that contact's arrays only, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import numpy as np
from sqlalchemy.engine import Connection, Engine

from connector.errors import InputError
from connector.scoring.fall_below import lapse_reason
from connector.scoring.frame import ActivityArrays, PreviousState, ScoreFrame, score_frame
from connector.scoring.group_membership import GroupTable
from connector.scoring.groups import GroupLine, group_lines
from connector.scoring.model import ScoringModel
from connector.scoring.next_stage import NextStage, next_stage
from connector.scoring.reasons import lead_crossings, repeat_note, stage_reason, top_reasons
from connector.scoring.replay import live_moment_problem
from connector.scoring.scores import NEVER, in_window
from connector.scoring.snapshot import (
    kind_attributes,
    load_targets,
    raw_rows,
    read_activities,
    read_contacts,
    read_kinds,
    read_previous,
)
from connector.scoring.what_if import ContactPipeline, WhatIfItem, WhatIfOutcome
from connector.store.types import from_epoch, to_epoch


@dataclass(frozen=True)
class ActivityLine:
    occurred_at: datetime
    type: str
    attributes: Mapping[str, object]
    rule: str | None
    points: float
    counted: float
    capped: bool
    in_window: bool
    engagement: float
    #: Why a repeat of a `once` / `once_per_days` rule counted nothing; None for every other activity.
    not_counted: str | None = None
    #: The score groups this activity counts toward (the model's `groups`).
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class FitLine:
    field: str
    rule: str
    points: float


@dataclass(frozen=True)
class Explanation:
    contact_id: int
    crm_id: str
    email: str | None
    as_of: datetime
    scores: Mapping[str, float]
    grade: str | None
    engaged: bool
    last_engaged_at: datetime | None
    stage: str
    stage_reason: str
    activities: tuple[ActivityLine, ...]
    fit: tuple[FitLine, ...]
    capped_fields: Mapping[str, float]
    disqualified_by: str | None
    reasons: tuple[str, ...]
    ignored_after_as_of: int
    #: The lowest stage above this one that activities can reach, and the fewest activities that would.
    next_stage: NextStage | None = None
    #: The contact with the `--what-if` activities added at `as_of`; computed, never stored.
    what_if: WhatIfOutcome | None = None
    #: Per score group of the model: its scores and stage.
    groups: tuple[GroupLine, ...] = ()
    #: When the stage lapses with no new activity (connector/scoring/fall_below.py), and why; None: it never does.
    stage_until: datetime | None = None
    stage_until_reason: str | None = None


def explain(
    engine: Engine,
    model: ScoringModel,
    contact_ref: str,
    as_of: datetime,
    now: datetime | None = None,
    what_if: Sequence[WhatIfItem] = (),
) -> Explanation:
    """Explain one contact found by store id, CRM id or email, as of a moment; the store is left unchanged.

    At a moment before the last live scoring the contact is explained as a replay would score it (from scratch),
    not from the stage it reached later.
    """
    moment = to_epoch(as_of)
    with engine.connect() as connection:
        try:
            contact_id, crm_id, email = find_contact(connection, contact_ref)
            load_targets(connection, np.array([contact_id]))
            kinds = read_kinds(connection, model)
            contacts = read_contacts(connection, model, True, moment)
            activities = read_activities(connection, contacts, moment, True)
            _stored, previous = read_previous(connection, model, contacts, True)
            if live_moment_problem(connection, None, moment, to_epoch(now or datetime.now(UTC))):
                previous = PreviousState.none(contacts.size)  # history: stages reached later must not leak back
            kind_rows = _kind_rows(connection, activities.kind_id)
            later = _count_after(connection, contact_id, moment)
        finally:
            connection.rollback()  # drops the temporary target table with the transaction
    pipeline = ContactPipeline(model, kinds, contacts, activities, previous, moment)
    frame = score_frame(model, kinds, contacts, activities, moment, previous)
    latest = int(frame.latest_engaged[0])
    until, until_reason = _stage_lapse(model, frame, partial(score_frame, model, kinds, contacts, activities))
    return Explanation(
        contact_id=contact_id,
        crm_id=crm_id,
        email=email,
        as_of=from_epoch(moment),
        scores={name: round(float(values[0]), 2) for name, values in frame.scores.items()},
        grade=None if frame.fit.grades is None else str(frame.fit.grades[0]),
        engaged=bool(frame.engaged[0]),
        last_engaged_at=None if latest == NEVER else from_epoch(latest),
        stage=frame.stage_name(model, 0),
        stage_reason=stage_reason(model, frame, activities, 0, _crossing(frame, activities)),
        activities=_activity_lines(model, frame, activities, kind_rows, moment, kinds.groups),
        fit=_fit_lines(frame),
        capped_fields=_capped_fields(model, frame),
        disqualified_by=_disqualifier_text(model, int(frame.fit.disqualified_by[0])),
        reasons=tuple(top_reasons(model, frame, activities)[0]),
        ignored_after_as_of=later,
        next_stage=next_stage(pipeline, frame),
        what_if=pipeline.outcome(what_if) if what_if else None,
        groups=group_lines(model, kinds.groups, frame, 0),
        stage_until=until,
        stage_until_reason=until_reason,
    )


def _stage_lapse(
    model: ScoringModel, frame: ScoreFrame, score_at: Callable[..., ScoreFrame]
) -> tuple[datetime | None, str | None]:
    """When the contact's stage lapses and why, in the words its transition will carry (scored at that moment)."""
    falls = int(frame.fall_below_at[0])
    if falls == NEVER:
        return None, None
    then = score_at(falls, PreviousState(frame.stages.stage, frame.reengaged))
    return from_epoch(falls), lapse_reason(model, then, 0, frame.stage_name(model, 0))


def _activity_lines(
    model: ScoringModel,
    frame: ScoreFrame,
    activities: ActivityArrays,
    kind_rows: dict,
    moment: int,
    groups: GroupTable,
) -> tuple[ActivityLine, ...]:
    window = in_window(activities.occurred_at, moment, frame.decay)
    member = np.array([groups.members(row, activities.kind_id) for row in range(len(groups.names))]).reshape(
        len(groups.names), len(activities.kind_id)
    )
    lines = []
    for index in np.argsort(activities.occurred_at, kind="stable").tolist():
        kind_type, attributes = kind_rows[int(activities.kind_id[index])]
        rule = int(frame.rule_index[index])
        lines.append(
            ActivityLine(
                occurred_at=from_epoch(int(activities.occurred_at[index])),
                type=kind_type,
                attributes=attributes,
                rule=model.behavior.rules[rule].name if rule >= 0 else None,
                points=float(frame.contributions.nominal[index]),
                counted=float(frame.contributions.counted[index]),
                capped=bool(frame.contributions.capped[index]),
                in_window=bool(window[index]),
                engagement=float(frame.engagement_points[index]),
                not_counted=repeat_note(model, frame, activities, index),
                groups=tuple(name for row, name in enumerate(groups.names) if member[row, index]),
            )
        )
    return tuple(lines)


def _fit_lines(frame: ScoreFrame) -> tuple[FitLine, ...]:
    points = frame.fit.rule_points[:, 0]
    return tuple(
        FitLine(ref.field, ref.label, float(points[row])) for row, ref in enumerate(frame.fit.rules) if points[row]
    )


def _crossing(frame: ScoreFrame, activities: ActivityArrays) -> int:
    """The activity that lifted the lead score over the threshold of the stage's entry condition, or -1."""
    threshold = np.full(1, np.nan)
    entered = int(frame.stages.entered_by[0])
    if entered >= 0 and frame.stages.conditions[entered].condition.score == "lead":
        threshold[0] = frame.stages.conditions[entered].condition.at_least
    return int(lead_crossings(frame, activities, threshold)[0])


def contact_connection(engine: Engine, reference: str) -> str:
    """The connection (CRM instance) a contact found by store id, CRM id or email was pulled through."""
    with engine.connect() as connection:
        contact_id = find_contact(connection, reference)[0]
        [[instance]] = next(raw_rows(connection, "SELECT instance FROM contact WHERE id = ?", (contact_id,)))
    return str(instance)


def find_contact(connection: Connection, reference: str) -> tuple[int, str, str | None]:
    """A contact by store id, then CRM id, then email (any case)."""
    attempts = [("SELECT id, crm_id, email FROM contact WHERE crm_id = ?", reference)]
    if reference.isdigit():
        attempts.insert(0, ("SELECT id, crm_id, email FROM contact WHERE id = ?", int(reference)))
    attempts.append(("SELECT id, crm_id, email FROM contact WHERE lower(email) = ?", reference.lower()))
    for sql, value in attempts:
        rows = [row for batch in raw_rows(connection, sql + " ORDER BY id", (value,)) for row in batch]
        if rows:
            return int(rows[0][0]), rows[0][1], rows[0][2]
    raise InputError(f"no contact with id, CRM id or email {reference!r} in the store")


def _kind_rows(connection: Connection, kind_ids: np.ndarray) -> dict[int, tuple[str, dict]]:
    wanted = sorted(set(kind_ids.tolist()))
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = raw_rows(connection, f"SELECT id, type, attributes FROM activity_kind WHERE id IN ({marks})", wanted)
    return {
        kind_id: (kind_type, kind_attributes(attributes)) for batch in rows for kind_id, kind_type, attributes in batch
    }


def _count_after(connection: Connection, contact_id: int, moment: int) -> int:
    sql = "SELECT COUNT(*) FROM activity WHERE contact_id = ? AND occurred_at > ?"
    return int(next(raw_rows(connection, sql, (contact_id, moment)))[0][0])


def _capped_fields(model: ScoringModel, frame: ScoreFrame) -> dict[str, float]:
    capped = {}
    for field, spec in model.fit.fields.items():
        rows = [row for row, ref in enumerate(frame.fit.rules) if ref.field == field]
        total = float(frame.fit.rule_points[rows, 0].sum())
        if spec.cap is not None and total > spec.cap:
            capped[field] = spec.cap
    return capped


def _disqualifier_text(model: ScoringModel, index: int) -> str | None:
    if index < 0:
        return None
    rule = model.fit.disqualifiers[index]
    return rule.label or f"{rule.field} {rule.describe()}"
