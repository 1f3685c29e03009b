"""Builders for account scoring tests: accounts stored as the sync stores them, contacts linked to them, a model
with an `accounts` section, and one call that runs contacts then accounts as the sync does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from connector.accounts.run import AccountRunSummary, score_accounts
from connector.crm import AccountRecord
from connector.scoring import score_store
from connector.scoring.model import ScoringModel, parse_model
from connector.store import session_scope
from connector.store.records import upsert_accounts
from connector.store.tables import Account, AccountContact, AccountScore, AccountTransition
from tests.conftest import NOW

ACCOUNTS_SECTION = {
    "fit": {
        "fields": {"industry": {"rules": [{"in": ["Software"], "points": 20, "label": "Software company"}]}},
        "disqualifiers": [{"field": "country", "in": ["Atlantis"], "label": "Country we do not sell to"}],
        "grades": {"A": 20, "B": 10},
    },
    "engagement": {"aggregate": "sum"},
    "buying_group": [
        {"name": "Decision maker", "field": "seniority", "in": ["executive", "vp"]},
        {"name": "Technical", "field": "department", "in": ["engineering"]},
    ],
    "score": {"fit": 0.5, "engagement": 0.5},
    "stages": [
        {"name": "aware"},
        {"name": "engaged", "when": [{"engaged_contacts": {"min": 1}}]},
        {"name": "hot", "when": [{"engaged_contacts": {"min": 3}, "engagement": {"min": 60}}], "notify": True},
    ],
}


def account_model(
    accounts: dict | None = None, contact_stages: list | None = None, contact_fit: dict | None = None
) -> ScoringModel:
    """Meetings give 10 lead and engagement points each; 10 engagement makes a contact engaged; mql needs 50."""
    raw = {
        "activity_types": ["meeting", "email_open"],
        "behavior": {"rules": [{"type": "meeting", "points": 10, "label": "Meeting"}]},
        "engagement": {"window_days": 30, "engaged_at_least": 10},
        "stages": contact_stages
        or [{"name": "prospect"}, {"name": "mql", "when": [{"score": "lead", "at_least": 50}]}],
    }
    if accounts is not None:
        raw["accounts"] = accounts
    if contact_fit is not None:
        raw["fit"] = {"fields": contact_fit}
    return parse_model(raw)


def store_account(engine: Engine, crm_id: str, **fields) -> int:
    upsert_accounts(engine, "import", "test", [AccountRecord("Account", crm_id, **fields)])
    with session_scope(engine) as session:
        return session.exec(select(Account).where(Account.crm_id == crm_id)).one().id


def link(engine: Engine, account_id: int, contact_id: int, primary: bool = True, matched_by: str = "account") -> None:
    with session_scope(engine) as session:
        session.add(
            AccountContact(account_id=account_id, contact_id=contact_id, is_primary=primary, matched_by=matched_by)
        )


def score_all(engine: Engine, model: ScoringModel, as_of: datetime = NOW) -> AccountRunSummary | None:
    """Contacts, then accounts (and the contacts reading their account's values again), as one sync scores."""
    contacts = score_store(engine, model, as_of, now=lambda: NOW)
    return score_accounts(engine, model, contacts, now=lambda: NOW)


def account_score(engine: Engine, account_id: int) -> AccountScore:
    with session_scope(engine) as session:
        return session.get(AccountScore, account_id)


def account_transitions(engine: Engine, account_id: int) -> list[tuple[str | None, str, str]]:
    with session_scope(engine) as session:
        query = select(AccountTransition).where(AccountTransition.account_id == account_id)
        return [
            (row.from_stage, row.to_stage, row.reason) for row in session.exec(query.order_by(AccountTransition.id))
        ]
