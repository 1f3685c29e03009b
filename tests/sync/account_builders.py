"""Small builders for accounts as the store holds them, and a CRM that takes account writes.

The account tables are filled by the sync's pull and scoring steps; these tests of what leaves the store seed them
directly, so they say only what they are about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector.crm import ACCOUNT_TARGETS
from connector.store.tables import (
    Account,
    AccountContact,
    AccountScore,
    AccountTransition,
    Activity,
    ActivityKind,
    Contact,
    ContactScore,
)
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def add_account(session, crm_id="001ACME", *, name="Acme Corp", instance="acme", **fields) -> Account:
    account = Account(source="salesforce", instance=instance, object_type="Account", crm_id=crm_id, name=name,
                      domain="acme.example", industry="Software", owner_id="005OWNER", **fields)  # fmt: skip
    session.add(account)
    session.flush()
    return account


def add_account_score(session, account: Account, *, score=72.4, stage="hot", **fields) -> AccountScore:
    values = dict(fit=40.2, engagement=81.6, grade="A", engaged_contacts=2, coverage=["Decision maker", "Champion"],
                  reasons=["3 engaged contacts (+30)", "Decision maker engaged (+20)", "Fit A (+15)", "Extra"],
                  model_version="m1", scored_at=NOW) | fields  # fmt: skip
    row = AccountScore(account_id=account.id, score=score, stage=stage, **values)
    session.add(row)
    session.flush()
    return row


def add_member(
    session, account: Account, crm_id: str, name: str, *, title=None, engagement=0.0, engaged=False, touches=()
) -> Contact:
    """A contact of the account with its scores; `touches`: (activity type, days ago, attributes) each."""
    first, _, last = name.partition(" ")
    contact = Contact(source=account.source, instance=account.instance, object_type="Contact", crm_id=crm_id,
                      first_name=first, last_name=last or None, title=title, owner_id="005REP")  # fmt: skip
    session.add(contact)
    session.flush()
    session.add(AccountContact(account_id=account.id, contact_id=contact.id, matched_by="account"))
    session.add(ContactScore(contact_id=contact.id, engagement=engagement, engaged=engaged, lead=engagement,
                             stage="lead", model_version="m1", scored_at=NOW))  # fmt: skip
    for number, (kind_type, days_ago, attributes) in enumerate(touches):
        kind = ActivityKind(fingerprint=f"{crm_id}-{number}", type=kind_type, attributes=attributes)
        session.add(kind)
        session.flush()
        moment = NOW - timedelta(days=days_ago)
        session.add(
            Activity(contact_id=contact.id, kind_id=kind.id, occurred_at=moment, source_id=f"{crm_id}-{number}")
        )
    session.flush()
    return contact


def add_transition(session, account: Account, to_stage="hot", *, days_ago=1.0, from_stage="engaged") -> None:
    session.add(AccountTransition(account_id=account.id, from_stage=from_stage, to_stage=to_stage,
                                  at=NOW - timedelta(days=days_ago), reason="3 engaged contacts, score 72 >= 70",
                                  model_version="m1"))  # fmt: skip
    session.flush()


@dataclass
class AccountCrm(MemoryCrm):
    """The in-memory CRM with an `accounts` mapping: every account target is written somewhere."""

    account_targets: frozenset[str] = frozenset(ACCOUNT_TARGETS)
    #: Stands for a crash after the CRM applied a write batch, before the ledger recorded it (once).
    crash_after_write: bool = False
    account_target_asks: int = 0
    writes: list[list] = field(default_factory=list)

    def account_write_targets(self) -> frozenset[str]:
        self.account_target_asks += 1
        return self.account_targets

    def account_matching(self) -> tuple[str, ...]:
        return ()

    def pull_accounts(self, since):
        return iter(())

    def write_scores(self, writes):
        self.writes.append(list(writes))
        results = super().write_scores(writes)
        if self.crash_after_write:
            self.crash_after_write = False
            raise ConnectionResetError("the connection dropped after the CRM saved the batch")
        return results
