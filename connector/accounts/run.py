"""`score_accounts`: one account run over the store after contact scoring, and the contacts it makes rescore.

Contact engagement never depends on the account, so one sync converges in at most two contact passes: contacts
first, then accounts from their stored scores, then, only when the model's contact conditions read account values
(`account.stage`, ...), a second incremental contact pass over the contacts whose account's values moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.accounts.computing import compute_accounts
from connector.accounts.writing import AccountStageChange, write_accounts
from connector.scoring import ScoreRunSummary, ScoringModel, score_store
from connector.scoring.account_values import account_values_read
from connector.scoring.run_lock import scoring_lock
from connector.scoring.scope import ContactScope
from connector.scoring.snapshot import model_fields
from connector.store.account_writer import ACCOUNT_LINK_TABLE
from connector.store.contact_ids import LOOKUP_KEYS, chunked
from connector.store.rescore_queue import queue_for_rescore
from connector.store.types import from_epoch, to_epoch


@dataclass(frozen=True)
class AccountRunSummary:
    accounts_scored: int
    rows_written: int
    transitions: tuple[AccountStageChange, ...]
    #: Stage names that notify the account owner (the model's `notify: true`), for the task step.
    notify_stages: frozenset[str]
    #: The second contact pass, when contact conditions read account values that moved; None otherwise.
    contacts_rescored: ScoreRunSummary | None = None

    def counts(self) -> dict[str, int]:
        """What the run did, as the sync report counts it (the second contact pass adds to the contact counts); a
        connection that reads no accounts adds nothing."""
        counts = {"accounts_scored": self.accounts_scored, "account_stage_changes": len(self.transitions)}
        if self.contacts_rescored is not None:
            counts["scored"] = self.contacts_rescored.contacts_scored
            counts["stage_changes"] = len(self.contacts_rescored.transitions)
        return {name: count for name, count in counts.items() if count}

    def describe(self) -> str:
        """One line for `scorebridge score`."""
        again = self.contacts_rescored
        second = f"; {again.contacts_scored} contact(s) rescored for their account's values" if again else ""
        return (
            f"Scored {self.accounts_scored} account(s): {self.rows_written} row(s) written, "
            f"{len(self.transitions)} stage transition(s), {len(self.notifications)} to notify{second}."
        )

    @property
    def notifications(self) -> tuple[AccountStageChange, ...]:
        return tuple(change for change in self.transitions if change.to_stage in self.notify_stages)


def score_accounts(
    engine: Engine,
    model: ScoringModel,
    contacts: ScoreRunSummary,
    *,
    scope: ContactScope | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> AccountRunSummary | None:
    """Roll the scope's contact scores (as of the contact run `contacts`) up to their accounts, write what changed,
    and rescore the contacts whose conditions read an account value that moved. None without an accounts section."""
    if model.accounts is None:
        return None
    as_of = to_epoch(contacts.as_of)
    # the lock contact scoring takes: an overlapping run over the same accounts waits for the next sync
    with scoring_lock(engine, scope), engine.begin() as connection:
        computed = compute_accounts(connection, model, scope, as_of)
        at = to_epoch(now())
        written = write_accounts(connection, computed.rows, computed.stored, computed.stage_reasons, as_of, at)
        read = account_values_read(model_fields(model))
        moved = [account_id for account_id, names in written.moved_values.items() if names & read]
        link = ACCOUNT_LINK_TABLE.c
        for batch in chunked(moved, LOOKUP_KEYS):
            queue_for_rescore(connection, select(link.contact_id).where(link.account_id.in_(batch)))
    rescored = None
    if moved:
        rescored = score_store(engine, model, from_epoch(as_of), contacts=scope, now=now)
    notify = frozenset(stage.name for stage in model.accounts.stages if stage.notify)
    return AccountRunSummary(len(computed.rows), written.rows_written, written.transitions, notify, rescored)
