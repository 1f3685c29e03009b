"""Scoring at another moment than now without touching what sales see: replays of history and what-ifs.

Live scores only move forward. A live run at an earlier moment than the store was last scored would rewrite the
scores the next sync sends to the CRM with stale ones, and would start from stages reached later (a real sql -> lead
transition, then lead -> sql again and a second task). So a moment before the latest live run, or after now, is
replayed instead: scored from scratch (no stored stage carried in, as if it were the first run at that moment) on a
read-only connection, and nothing is written: no scores, history, transitions, checkpoint or rescore flags.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Connection, Engine

from connector.scoring.frame import (
    ActivityArrays,
    ContactColumns,
    PreviousState,
    ScoreFrame,
    score_frame,
    stage_label,
)
from connector.scoring.kinds import KindTable
from connector.scoring.model import ScoringModel
from connector.scoring.planning import latest_scored_as_of
from connector.scoring.scope import ContactScope
from connector.scoring.shard import Shard
from connector.scoring.snapshot import model_fields, read_activities, read_contacts, read_kinds
from connector.scoring.stages import activity_conditions
from connector.store.types import from_epoch, to_epoch


@dataclass(frozen=True)
class Replay:
    """The scores every live contact of the scope would have had at `as_of`; never stored."""

    as_of: datetime
    model_version: str
    contact_ids: np.ndarray
    frame: ScoreFrame
    stages: tuple[str, ...]

    @property
    def engaged(self) -> np.ndarray:
        return self.frame.engaged

    def stage_counts(self) -> dict[str, int]:
        return dict(Counter(self.stages).most_common())

    def mean(self, score: str) -> float:
        values = self.frame.scores[score]
        return float(values.mean()) if len(values) else 0.0


def live_moment_problem(
    connection: Connection, scope: ContactScope | None, as_of: int, now: int, shard: Shard | None = None
) -> str | None:
    """Why a live run at `as_of` would move stored scores backwards or ahead of time; None when it may run."""
    if as_of > now:
        return f"as-of {from_epoch(as_of).isoformat()} is in the future"
    latest = latest_scored_as_of(connection, scope, shard)
    if latest is not None and as_of < latest:
        return (
            f"as-of {from_epoch(as_of).isoformat()} is before the last live scoring ({from_epoch(latest).isoformat()})"
        )
    return None


def is_replay(
    engine: Engine, as_of: datetime, now: datetime, scope: ContactScope | None = None, shard: Shard | None = None
) -> bool:
    """Whether scoring at `as_of` must be a replay rather than a live run (of `shard`, if given)."""
    with engine.connect() as connection:
        return live_moment_problem(connection, scope, to_epoch(as_of), to_epoch(now), shard) is not None


def replay_store(engine: Engine, model: ScoringModel, as_of: datetime, scope: ContactScope | None = None) -> Replay:
    """Score the scope's contacts at `as_of` from scratch; the store is left exactly as it was."""
    with engine.connect() as connection:
        try:
            return replay_on(connection, model, as_of, scope)
        finally:
            connection.rollback()


def replay_on(connection: Connection, model: ScoringModel, as_of: datetime, scope: ContactScope | None) -> Replay:
    """The replay on an open connection (callers that read more in the same snapshot, such as the index)."""
    return replay_read(read_replay_inputs(connection, model, as_of, scope), to_epoch(as_of))


@dataclass(frozen=True)
class ReplayInputs:
    """What replays of one model read from the store, read once: replaying many moments up to `until` (a
    backtest) then costs one read instead of one per moment."""

    model: ScoringModel
    kinds: KindTable
    contacts: ContactColumns
    activities: ActivityArrays
    until: int

    def for_model(self, connection: Connection, model: ScoringModel, scope: ContactScope | None) -> ReplayInputs:
        """The same activities for another model of the same contacts (a candidate): only kinds and fields are
        read again, since which rule and trigger a kind matches and which fields count depend on the model."""
        contacts = read_contacts(connection, model, False, self.until, scope)
        if not np.array_equal(contacts.ids, self.contacts.ids):  # contacts changed between the two reads
            return read_replay_inputs(connection, model, from_epoch(self.until), scope)
        return ReplayInputs(model, read_kinds(connection, model), contacts, self.activities, self.until)


def read_replay_inputs(
    connection: Connection, model: ScoringModel, until: datetime, scope: ContactScope | None
) -> ReplayInputs:
    moment = to_epoch(until)
    contacts = read_contacts(connection, model, False, moment, scope)
    activities = read_activities(connection, contacts, moment, False, scope)
    return ReplayInputs(model, read_kinds(connection, model), contacts, activities, moment)


def replay_read(inputs: ReplayInputs, as_of: int, model: ScoringModel | None = None) -> Replay:
    """The replay at `as_of` (epoch seconds, at most `inputs.until`) from what was read; `model` may differ from
    the inputs' model in points, caps, decay and thresholds only (same rules, triggers and fields)."""
    if as_of > inputs.until:
        raise ValueError(f"as_of {as_of} is after the moment the inputs were read up to ({inputs.until})")
    model = model or inputs.model
    if not _reads_the_same(model, inputs.model):
        raise ValueError(f"model {model.name!r} matches other rules, triggers or fields than the inputs were read for")
    activities = inputs.activities
    if as_of < inputs.until:
        kept = activities.occurred_at <= as_of
        activities = ActivityArrays(
            activities.contact_index[kept], activities.kind_id[kept], activities.occurred_at[kept]
        )
    contacts = inputs.contacts
    frame = score_frame(model, inputs.kinds, contacts, activities, as_of, PreviousState.none(contacts.size))
    stages = tuple(stage_label(model, int(index)) for index in frame.stages.stage.tolist())
    return Replay(from_epoch(as_of), model.version, contacts.ids, frame, stages)


def _reads_the_same(model: ScoringModel, other: ScoringModel) -> bool:
    """Whether activity kinds match the same rules, triggers and score groups, and the same contact fields are read."""
    if model is other:
        return True

    def matching(each: ScoringModel) -> tuple:
        rules = [(rule.type, rule.where, rule.groups) for rule in each.behavior.rules]
        groups = [(group.name, group.by_attribute, group.values) for group in each.groups]
        return rules, activity_conditions(each), model_fields(each), each.activity_types, groups

    return matching(model) == matching(other)
