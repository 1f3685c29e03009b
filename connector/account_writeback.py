"""The account write-back plan: which values each Account / company record should get, only where they changed.

The same rules as the contacts' (connector/writeback.py, which also folds the CRM's answers into the ledger): whole
numbers, so a roll-up drifting by a fraction causes no write; the top three reasons in one text field; only what
differs from the last write the CRM confirmed (AccountWriteLedger) is sent.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlmodel import Session

from connector.crm import ScoreWrite
from connector.score_catalog import ACCOUNT_SCORES
from connector.store.tables import Account, AccountScore, AccountWriteLedger
from connector.writeback import PlannedWrite, Value, changed_values, reasons_text


def account_values(score: AccountScore, targets: Collection[str] | None = None) -> dict[str, Value]:
    """What an account's CRM record should show, by account write target (`ACCOUNT_TARGETS`); only `targets` when
    given (the mapping's)."""
    values: dict[str, Value] = {name: round(getattr(score, name)) for name in ACCOUNT_SCORES}
    values |= {
        "grade": score.grade,
        "stage": score.stage,
        "engaged_contacts": score.engaged_contacts,
        "reasons": reasons_text(score.reasons),
    }
    return values if targets is None else {target: value for target, value in values.items() if target in targets}


def plan_account_writes(
    session: Session, *, connection: str, source: str, targets: Collection[str] | None = None
) -> list[PlannedWrite]:
    """Every live (not deleted, not merged) scored account of the connection whose values for `targets` (the
    adapter's `account_write_targets()`) differ from what the CRM last confirmed; `record_id` is the account's."""
    rows = session.execute(
        select(Account.id, Account.object_type, Account.crm_id, AccountScore, AccountWriteLedger.confirmed_values)
        .join(AccountScore, AccountScore.account_id == Account.id)
        .outerjoin(
            AccountWriteLedger,
            (AccountWriteLedger.account_id == Account.id) & (AccountWriteLedger.connection == connection),
        )
        .where(Account.source == source, Account.instance == connection)
        .where(Account.deleted.is_(False), Account.merged_into_id.is_(None))
        .order_by(Account.id)
    )
    planned = []
    for account_id, object_type, crm_id, score, confirmed in rows:
        changed = changed_values(account_values(score, targets), confirmed)
        if changed:
            planned.append(PlannedWrite(account_id, ScoreWrite(object_type, crm_id, changed)))
    return planned


def has_scored_accounts(session: Session, *, connection: str, source: str) -> bool:
    """Whether the connection has any scored account: without one, the CRM is not even asked for its targets."""
    query = (
        select(Account.id)
        .join(AccountScore, AccountScore.account_id == Account.id)
        .where(Account.source == source, Account.instance == connection)
        .limit(1)
    )
    return session.execute(query).first() is not None
