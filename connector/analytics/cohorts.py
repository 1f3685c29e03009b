"""Who a score is judged on at a moment, and what became of them: the cohorts of backtests and suggestions.

At a moment T the cohort is every contact that existed at T (created at or before T, or of unknown creation) and
had not already won a deal; a member counts as won when a won outcome it belongs to closed in (T, T + horizon].
Only outcomes read from the store (`outcome`, `outcome_contact`) are used, never a score stored later, so nothing
that happened after T leaks into the judgement of a score at T.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import BigInteger, select, type_coerce
from sqlalchemy.engine import Connection

from connector.analytics import DEFAULT_HORIZON_DAYS
from connector.analytics.measures import MIN_PER_CLASS
from connector.errors import TooFewOutcomesError
from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.snapshot import contact_positions
from connector.store.tables import Contact, Outcome, OutcomeContact
from connector.store.types import from_epoch, to_epoch

UNKNOWN_CREATION = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Cohort:
    """Per replayed contact (aligned with `Replay.contact_ids`): in the cohort at `moment`, and won after it."""

    moment: int
    members: np.ndarray
    won: np.ndarray

    @property
    def won_members(self) -> np.ndarray:
        return self.won[self.members]


@dataclass(frozen=True)
class OutcomeHistory:
    """When each contact was created and when its won outcomes closed, aligned with the replayed contacts."""

    created_at: np.ndarray
    #: One entry per (won outcome, contact) link: the contact's position and the close time.
    won_position: np.ndarray
    won_at: np.ndarray
    horizon_days: float = DEFAULT_HORIZON_DAYS

    def cohort(self, moment: int) -> Cohort:
        size = len(self.created_at)
        horizon = int(self.horizon_days * SECONDS_PER_DAY)
        before = self.won_at <= moment
        after = ~before & (self.won_at <= moment + horizon)
        already_won = np.bincount(self.won_position[before], minlength=size) > 0
        won = np.bincount(self.won_position[after], minlength=size) > 0
        members = (self.created_at <= moment) & ~already_won
        return Cohort(moment, members, won & members)


def read_outcome_history(connection: Connection, contact_ids: np.ndarray, horizon_days: float) -> OutcomeHistory:
    """The creation times of `contact_ids` (ascending store ids) and every won outcome linked to one of them."""
    created = type_coerce(Contact.created_at, BigInteger)  # epoch seconds as stored, without a datetime per row
    rows = connection.execute(select(Contact.id, created)).all()
    created_at = np.full(len(contact_ids), UNKNOWN_CREATION, dtype=np.int64)
    if rows:
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        moments = np.fromiter((UNKNOWN_CREATION if row[1] is None else row[1] for row in rows), np.int64, len(rows))
        position = contact_positions(contact_ids, ids)
        created_at[position[position >= 0]] = moments[position >= 0]
    closed = type_coerce(Outcome.closed_at, BigInteger)
    won = connection.execute(
        select(OutcomeContact.contact_id, closed)
        .join(Outcome, Outcome.id == OutcomeContact.outcome_id)
        .where(Outcome.won.is_(True), Outcome.deleted.is_(False), Outcome.closed_at.is_not(None))
    ).all()
    linked = np.array([row[0] for row in won], dtype=np.int64)
    at = np.array([row[1] for row in won], dtype=np.int64)
    position = contact_positions(contact_ids, linked)
    return OutcomeHistory(created_at, position[position >= 0], at[position >= 0], horizon_days)


def evaluation_moments(start: datetime, end: datetime, every_days: float) -> tuple[int, ...]:
    """Moments from `start` to `end` (both included when `end` falls on the step), `every_days` apart."""
    first, last, step = to_epoch(start), to_epoch(end), int(every_days * SECONDS_PER_DAY)
    if step <= 0:
        raise ValueError("the step between moments must be positive")
    return tuple(range(first, last + 1, step))


def require_outcomes(cohorts: Sequence[Cohort], what: str) -> None:
    """Stop with one line when the cohorts hold too few won or never-won contacts for any measure to mean much."""
    size = len(cohorts[0].members) if cohorts else 0
    won, members = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    for cohort in cohorts:
        won |= cohort.won
        members |= cohort.members
    winners, others = int(np.count_nonzero(won)), int(np.count_nonzero(members & ~won))
    if winners >= MIN_PER_CLASS and others >= MIN_PER_CLASS:
        return
    span = f"from {_day(cohorts[0].moment)} to {_day(cohorts[-1].moment)}" if cohorts else "(no moment)"
    raise TooFewOutcomesError(
        f"too few outcomes for {what}: {winners} contact(s) won and {others} did not, judged at moments {span}; "
        f"it needs at least {MIN_PER_CLASS} of each. Sync or import outcomes (`scorebridge import outcomes`), "
        "or widen --from/--to"
    )


def _day(moment: int) -> str:
    return from_epoch(moment).date().isoformat()
