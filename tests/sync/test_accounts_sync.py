"""The sync reads accounts before contacts, places unlinked leads, and scores accounts after contacts: a company
whose three people engage turns hot while each of them stays below MQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import AccountLink, AccountRecord, ActivityRecord, ContactRecord
from connector.store import session_scope
from connector.store.tables import Account, AccountScore, AccountTransition, ContactScore
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
CONNECTION = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
CONFIG = ConnectorConfig(model=MODEL, connections=[CONNECTION])
ACME = AccountRecord("Account", "001A", name="Acme", domain="acme.com", industry="Software", employees=800)


def person(crm_id: str, first: str, *links: AccountLink, object_type: str = "Contact") -> ContactRecord:
    email = f"{first.lower()}@acme.com"
    return ContactRecord(object_type, crm_id, email=email, first_name=first, last_name="Lee", accounts=links)


def engages(object_type: str, crm_id: str) -> list[ActivityRecord]:
    """A demo request and a pricing page: 25 points, below the default model's MQL at 50."""
    day = NOW - timedelta(days=2)
    return [
        ActivityRecord(f"F-{crm_id}", object_type, crm_id, "form_fill", day, {"form": "demo request"}),
        ActivityRecord(f"P-{crm_id}", object_type, crm_id, "page_view", day, {"url": "https://acme.example/pricing"}),
    ]


def acme_crm() -> MemoryCrm:
    contacts = [
        person("003A", "Ann", AccountLink("001A")),
        person("003B", "Bo", AccountLink("001A")),
        person("00QC", "Cy", object_type="Lead"),  # no account in the CRM: matched by the email's domain
    ]
    activities = [*engages("Contact", "003A"), *engages("Contact", "003B"), *engages("Lead", "00QC")]
    return MemoryCrm(contacts=contacts, activities=activities, accounts=[ACME], matching=("domain", "company"))


def test_accounts_are_pulled_first_and_three_engaged_people_make_their_company_hot(engine):
    crm = acme_crm()

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert report.status == "succeeded", report.message
    assert crm.pulled[:2] == ["accounts", "contacts"]
    assert (report.counts["pulled_accounts"], report.counts["lead_matches_changed"]) == (1, 1)
    assert report.counts["accounts_scored"] == 1 and report.counts["account_stage_changes"] == 1
    with session_scope(engine) as session:
        [score] = session.execute(select(AccountScore)).scalars()
        assert (score.stage, score.engaged_contacts, score.engagement) == ("hot", 3, 25)
        [transition] = session.execute(select(AccountTransition)).scalars()
        assert transition.reason.startswith("Buying group engaged; 3 engaged contacts (")
        assert {row.stage for row in session.execute(select(ContactScore)).scalars()} == {"lead"}


def test_a_deleted_contacts_share_leaves_its_company_at_the_next_sync(engine):
    crm = acme_crm()
    run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)
    crm.contacts[0] = ContactRecord("Contact", "003A", deleted=True)

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW + timedelta(hours=1))

    assert report.status == "succeeded", report.message
    with session_scope(engine) as session:
        [score] = session.execute(select(AccountScore)).scalars()
        assert (score.stage, score.engaged_contacts) == ("engaged", 2)


def test_a_mapping_without_accounts_pulls_none_and_links_nobody(engine):
    crm = acme_crm()
    crm.accounts, crm.matching = [], ()
    crm.contacts = [ContactRecord("Contact", "003A", email="ann@acme.com")]

    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert report.status == "succeeded", report.message
    assert "pulled_accounts" not in report.counts and "accounts_scored" not in report.counts
    with session_scope(engine) as session:
        assert session.execute(select(Account)).first() is None
