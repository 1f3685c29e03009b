"""Which contacts a run must rescore: all of them, or only those whose scores can have changed since the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.model import ScoringModel
from connector.scoring.snapshot import raw_rows


@dataclass(frozen=True)
class Checkpoint:
    model_version: str
    as_of: int


@dataclass(frozen=True)
class RunPlan:
    """A full run (targets None, with the reason) or the contact ids an incremental run rescores."""

    targets: np.ndarray | None
    why_full: str | None = None

    @property
    def full(self) -> bool:
        return self.targets is None


def read_checkpoint(connection: Connection, scope: str) -> Checkpoint | None:
    sql = "SELECT model_version, as_of FROM scoring_checkpoint WHERE scope = ?"
    rows = [row for batch in raw_rows(connection, sql, (scope,)) for row in batch]
    return Checkpoint(rows[0][0], int(rows[0][1])) if rows else None


def write_checkpoint(connection: Connection, scope: str, model: ScoringModel, as_of: int) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    try:
        cursor.execute(
            f"INSERT INTO scoring_checkpoint (scope, model_version, as_of) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (scope) DO UPDATE SET model_version = excluded.model_version, as_of = excluded.as_of",
            (scope, model.version, as_of),
        )
    finally:
        cursor.close()


def plan_run(
    connection: Connection, model: ScoringModel, checkpoint: Checkpoint | None, as_of: int, full: bool
) -> RunPlan:
    if full:
        return RunPlan(None, "--full asked")
    if checkpoint is None:
        return RunPlan(None, "first scoring run")
    if checkpoint.model_version != model.version:
        return RunPlan(None, "the model changed")
    if as_of < checkpoint.as_of:
        return RunPlan(None, "as-of is before the last run (replaying history)")
    return RunPlan(_changed_contacts(connection, model, checkpoint.as_of, as_of))


def _changed_contacts(connection: Connection, model: ScoringModel, last: int, as_of: int) -> np.ndarray:
    """Contacts flagged by the importer, never scored, or crossing a time boundary between the two as-of times."""
    window = round(model.engagement.window_days * SECONDS_PER_DAY)
    parts = [
        ("SELECT id FROM contact WHERE needs_rescore = ? AND deleted = ?", (True, False)),
        ("SELECT c.id FROM contact c LEFT JOIN contact_score s ON s.contact_id = c.id "
         "WHERE s.contact_id IS NULL AND c.deleted = ?", (False,)),
        # activities dated after the last as-of that are now in the past (future-dated, or a replay moving forward)
        ("SELECT contact_id FROM activity WHERE occurred_at > ? AND occurred_at <= ?", (last, as_of)),
        # activities that were inside the engagement window last time and have left it since
        ("SELECT contact_id FROM activity WHERE occurred_at > ? AND occurred_at <= ?", (last - window, as_of - window)),
    ]  # fmt: skip
    if model.engagement.half_life_days is not None:  # decay moves every score with an activity in the window
        parts.append(
            ("SELECT contact_id FROM activity WHERE occurred_at > ? AND occurred_at <= ?", (as_of - window, as_of))
        )
    for days in _engagement_boundaries(model):
        span = round(days * SECONDS_PER_DAY)
        parts.append(
            ("SELECT contact_id FROM contact_score WHERE last_engaged_at >= ? AND last_engaged_at < ?",
             (last - span, as_of - span))
        )  # fmt: skip
    ids: set[int] = set()
    for sql, params in parts:
        for batch in raw_rows(connection, sql, params):
            ids.update(row[0] for row in batch)
    return np.array(sorted(ids), dtype=np.int64)


def _engagement_boundaries(model: ScoringModel) -> list[float]:
    """Ages of the last engaging activity at which a score or stage changes: recency bands, the quiet period."""
    days = [band.within_days for band in model.recency.bands]
    if model.lifecycle.quiet_days is not None:
        days.append(model.lifecycle.quiet_days)
    return days
