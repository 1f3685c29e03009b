"""Exporting the stored scores of accounts to CSV or JSON: the account's fields, its scores and stage, and who of
its people are engaged (two queries, whatever the number of accounts)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connector.account_members import person_name
from connector.crm import ACCOUNT_FIELDS
from connector.reports.row_files import row_writer
from connector.score_catalog import ACCOUNT_SCORES
from connector.store.tables import Account, AccountContact, AccountScore, Contact, ContactScore

IDENTITY = ("account_id", "source", "instance", "object_type", "crm_id")
SCORED = (*ACCOUNT_SCORES, "grade", "stage", "engaged_contacts")
COLUMNS = (*IDENTITY, *ACCOUNT_FIELDS, *SCORED, "engaged_people", "coverage", "last_engaged_at", "reasons",
           "model_version", "scored_at")  # fmt: skip
#: Between the names of the engaged people, the buying-group roles and the reasons in one cell.
JOINER = "; "


def export_accounts(engine: Engine, output: Path | TextIO, output_format: str = "csv") -> int:
    """Write every scored live account (not deleted, not merged) as a row; returns the number of rows."""
    with Session(engine) as session:
        engaged = _engaged_people(session)
        rows = session.execute(
            select(Account, AccountScore)
            .join(AccountScore, AccountScore.account_id == Account.id)
            .where(Account.deleted.is_(False), Account.merged_into_id.is_(None))
            .order_by(Account.id)
        )
        count = 0
        with row_writer(output, COLUMNS, output_format) as write:
            for account, score in rows:
                write(_cells(account, score, engaged.get(account.id, [])))
                count += 1
    return count


def _cells(account: Account, score: AccountScore, engaged: list[str]) -> list[object]:
    identity = [account.id, account.source, account.instance, account.object_type, account.crm_id]
    fields = [getattr(account, name) for name in ACCOUNT_FIELDS]
    scored = [getattr(score, name) for name in SCORED]
    moments = [None if moment is None else moment.isoformat() for moment in (score.last_engaged_at, score.scored_at)]
    return [*identity, *fields, *scored, JOINER.join(engaged), JOINER.join(map(str, score.coverage)), moments[0],
            JOINER.join(map(str, score.reasons)), score.model_version, moments[1]]  # fmt: skip


def _engaged_people(session: Session) -> dict[int, list[str]]:
    """Account id -> the names of its engaged live contacts, most engaged first."""
    rows = session.execute(
        select(AccountContact.account_id, Contact)
        .join(Contact, Contact.id == AccountContact.contact_id)
        .join(ContactScore, ContactScore.contact_id == Contact.id)
        .where(ContactScore.engaged.is_(True), Contact.deleted.is_(False), Contact.merged_into_id.is_(None))
        .order_by(AccountContact.account_id, ContactScore.engagement.desc(), Contact.id)
    )
    people: dict[int, list[str]] = defaultdict(list)
    for account_id, contact in rows:
        people[account_id].append(person_name(contact))
    return people
