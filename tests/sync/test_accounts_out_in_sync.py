"""A whole sync with accounts: a company whose people engage turns hot, its owner gets one task on the account
naming the engaged people, and the account's values are written after the contacts', once.

Runs once account scoring (connector/accounts) is in the tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("connector.accounts.run", reason="account scoring (connector/accounts) is not in this tree")

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import AccountLink, AccountRecord, ActivityRecord, ContactRecord
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
CONNECTION = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
CONFIG = ConnectorConfig(model=MODEL, connections=[CONNECTION])
ACME = AccountRecord("Account", "001A", name="Acme", domain="acme.com", industry="Software", employees=800,
                     owner_id="005AE")  # fmt: skip


def _person(crm_id: str, first: str, title: str) -> ContactRecord:
    return ContactRecord("Contact", crm_id, email=f"{first.lower()}@acme.com", first_name=first, last_name="Lee",
                         title=title, owner_id="005REP", accounts=(AccountLink("001A"),))  # fmt: skip


def _engages(crm_id: str, days_ago: float) -> list[ActivityRecord]:
    """A demo request and a pricing page: engaged, but far below MQL alone."""
    day = NOW - timedelta(days=days_ago)
    return [
        ActivityRecord(f"F-{crm_id}", "Contact", crm_id, "form_fill", day, {"form": "demo request"}),
        ActivityRecord(f"P-{crm_id}", "Contact", crm_id, "page_view", day, {"url": "https://acme.example/pricing"}),
    ]


def _acme(days_ago: float = 2) -> MemoryCrm:
    people = [_person("003A", "Ann", "VP Sales"), _person("003B", "Bo", "Analyst"), _person("003C", "Cy", "Analyst")]
    activities = [activity for person in people for activity in _engages(person.crm_id, days_ago)]
    return MemoryCrm(contacts=people, activities=activities, accounts=[ACME])


def test_a_company_turning_hot_gets_its_owner_one_task_and_its_values_written_once(engine):
    crm = _acme()
    first = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)
    assert first.status == "succeeded", first.message
    assert first.counts["account_tasks_queued"] == 1 and first.counts["account_written"] == 1
    [(key, task)] = [(key, task) for key, task in crm.tasks.items() if task.object_type == "Account"]
    assert key.startswith("Account:001A:hot:") and (task.crm_id, task.owner_id) == ("001A", "005AE")
    assert task.subject.startswith("Account Acme is Hot: 3 engaged people")
    assert all(name in task.description for name in ("Ann Lee, VP Sales", "Bo Lee", "Cy Lee"))
    assert crm.values["001A"]["stage"] == "hot" and crm.values["001A"]["engaged_contacts"] == 3

    again = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW + timedelta(hours=1))
    assert again.status == "succeeded", again.message
    assert again.counts.get("account_tasks_queued", 0) == 0 and again.counts.get("account_writes_changed", 0) == 0


def test_a_first_sync_finding_a_company_hot_from_old_engagement_sends_no_task(engine):
    crm = _acme(days_ago=20)
    report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)
    assert report.status == "succeeded", report.message
    assert report.counts.get("account_tasks_queued", 0) == 0
    assert not [task for task in crm.tasks.values() if task.object_type == "Account"]


def test_a_dry_run_plans_the_account_task_and_writes_but_sends_nothing(engine):
    crm = _acme()
    planned = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW, dry_run=True)
    assert planned.status == "dry_run", planned.message
    assert [task["crm_id"] for task in planned.planned_tasks if task["object_type"] == "Account"] == ["001A"]
    assert ("Account", "001A") in [(write.object_type, write.crm_id) for write in planned.planned_writes]
    assert crm.tasks == {} and crm.values == {}
