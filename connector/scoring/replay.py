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

from connector.scoring.frame import PreviousState, ScoreFrame, score_frame, stage_label
from connector.scoring.model import ScoringModel
from connector.scoring.planning import latest_scored_as_of
from connector.scoring.scope import ContactScope
from connector.scoring.snapshot import read_activities, read_contacts, read_kinds
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


def live_moment_problem(connection: Connection, scope: ContactScope | None, as_of: int, now: int) -> str | None:
    """Why a live run at `as_of` would move stored scores backwards or ahead of time; None when it may run."""
    if as_of > now:
        return f"as-of {from_epoch(as_of).isoformat()} is in the future"
    latest = latest_scored_as_of(connection, scope)
    if latest is not None and as_of < latest:
        return (
            f"as-of {from_epoch(as_of).isoformat()} is before the last live scoring ({from_epoch(latest).isoformat()})"
        )
    return None


def is_replay(engine: Engine, as_of: datetime, now: datetime, scope: ContactScope | None = None) -> bool:
    """Whether scoring at `as_of` must be a replay rather than a live run."""
    with engine.connect() as connection:
        return live_moment_problem(connection, scope, to_epoch(as_of), to_epoch(now)) is not None


def replay_store(engine: Engine, model: ScoringModel, as_of: datetime, scope: ContactScope | None = None) -> Replay:
    """Score the scope's contacts at `as_of` from scratch; the store is left exactly as it was."""
    with engine.connect() as connection:
        try:
            return replay_on(connection, model, as_of, scope)
        finally:
            connection.rollback()


def replay_on(connection: Connection, model: ScoringModel, as_of: datetime, scope: ContactScope | None) -> Replay:
    """The replay on an open connection (callers that read more in the same snapshot, such as the index)."""
    moment = to_epoch(as_of)
    kinds = read_kinds(connection, model)
    contacts = read_contacts(connection, model, False, moment, scope)
    activities = read_activities(connection, contacts, moment, False, scope)
    frame = score_frame(model, kinds, contacts, activities, moment, PreviousState.none(contacts.size))
    stages = tuple(stage_label(model, int(index)) for index in frame.stages.stage.tolist())
    return Replay(from_epoch(moment), model.version, contacts.ids, frame, stages)
