"""Tasks in a real org: history is recorded, not sent; a rebuilt or restored store finds the tasks the CRM holds."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from connector.config import ConnectionConfig, ConnectorConfig, TaskPolicy
from connector.crm import ActivityRecord, ContactRecord
from connector.store import make_engine, session_scope, upgrade_store
from connector.store.tables import TaskOutbox
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
#: A webinar is worth 30 and MQL starts at 50: the second webinar makes a contact MQL; a demo makes it SQL.
MODEL = """
activity_types: [webinar_attended, demo_attended, unsubscribe]
behavior:
  rules:
    - {type: webinar_attended, points: 30, label: Webinar attended}
    - {type: unsubscribe, points: -50, label: Unsubscribed}
stages:
  - name: prospect
  - name: mql
    when: [{score: lead, at_least: 50}]
    notify: true
  - name: sql
    when: [{activity: demo_attended, label: attended demo}]
    notify: true
"""


def _person(crm: MemoryCrm, crm_id: str) -> None:
    crm.contacts.append(ContactRecord("Lead", crm_id, email=f"{crm_id.lower()}@example.com", owner_id="005OWNER"))


def _did(crm: MemoryCrm, crm_id: str, kind: str, when: datetime) -> None:
    source_id = f"{crm_id}-{kind}-{when:%Y%m%d%H%M}"
    crm.activities.append(ActivityRecord(source_id, "Lead", crm_id, kind, when))


def _webinars(crm: MemoryCrm, crm_id: str, *moments: datetime) -> None:
    for moment in moments:
        _did(crm, crm_id, "webinar_attended", moment)


@pytest.fixture
def org() -> MemoryCrm:
    """An org with a history: an old MQL, an old SQL, and Priya, who became MQL two days ago."""
    crm = MemoryCrm()
    for crm_id in ("00QOLDMQL", "00QOLDSQL", "00QPRIYA"):
        _person(crm, crm_id)
    _webinars(crm, "00QOLDMQL", NOW - timedelta(days=210), NOW - timedelta(days=200))
    _did(crm, "00QOLDSQL", "demo_attended", NOW - timedelta(days=100))
    _webinars(crm, "00QPRIYA", NOW - timedelta(days=40), NOW - timedelta(days=2))
    return crm


@pytest.fixture
def connector(tmp_path) -> tuple[ConnectorConfig, ConnectionConfig]:
    model = tmp_path / "model.yaml"
    model.write_text(MODEL)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    return ConnectorConfig(model=model, connections=[connection]), connection


def _sync(engine, connector, crm, at: datetime):
    config, connection = connector
    report = run_sync(engine, config, connection, crm, clock=lambda: at)
    assert report.status == "succeeded", report.message
    return report


def _rebuild_from_scratch(engine) -> None:
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)


def test_first_sync_in_an_existing_org_sends_only_the_recent_transitions(engine, connector, org):
    report = _sync(engine, connector, org, NOW)

    assert (report.counts["tasks_created"], report.counts["tasks_historic"]) == (1, 2)
    [task] = org.tasks.values()
    assert task.crm_id == "00QPRIYA" and task.subject.endswith(": Marketing Qualified Lead, lead score 60")
    with session_scope(engine) as session:
        rows = session.execute(select(TaskOutbox).order_by(TaskOutbox.idempotency_key)).scalars().all()
        assert [(row.payload["crm_id"], row.status) for row in rows] == [
            ("00QOLDMQL", "historic"),
            ("00QOLDSQL", "historic"),
            ("00QPRIYA", "sent"),
        ]
        assert "attended demo on 2026-07-24" in rows[1].reason


def test_recent_days_null_sends_the_whole_history(engine, connector, org):
    config, connection = connector
    everything = connection.model_copy(update={"tasks": TaskPolicy(recent_days=None)})

    report = _sync(engine, (config, everything), org, NOW)

    assert (report.counts["tasks_created"], report.counts.get("tasks_historic", 0)) == (3, 0)


def test_task_keys_name_the_record_the_stage_and_the_activity_that_put_it_there(engine, connector, org):
    _sync(engine, connector, org, NOW)

    assert set(org.tasks) == {"Lead:00QPRIYA:mql:20261030120000"}


def test_a_store_rebuilt_from_scratch_finds_the_tasks_already_in_the_crm(engine, connector, org):
    _sync(engine, connector, org, NOW)
    held = dict(org.tasks)
    _rebuild_from_scratch(engine)

    again = _sync(engine, connector, org, NOW + timedelta(days=1))

    assert again.counts.get("tasks_created", 0) == 0 and again.counts["tasks_found"] == 1
    assert org.tasks == held


def test_a_restored_older_store_creates_no_duplicate(tmp_path, connector, org):
    store = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{store}")
    upgrade_store(engine)
    _sync(engine, connector, org, NOW)
    engine.dispose()
    shutil.copy(store, tmp_path / "backup.db")
    _person(org, "00QNOAH")
    _did(org, "00QNOAH", "demo_attended", NOW + timedelta(minutes=30))
    assert _sync(engine, connector, org, NOW + timedelta(hours=1)).counts["tasks_created"] == 1
    engine.dispose()
    held = dict(org.tasks)

    shutil.copy(tmp_path / "backup.db", store)  # the documented rollback: put the older store file back
    restored = _sync(engine, connector, org, NOW + timedelta(hours=2))

    assert restored.counts.get("tasks_created", 0) == 0 and restored.counts["tasks_found"] == 1
    assert org.tasks == held
    engine.dispose()


def test_a_contact_that_falls_back_and_crosses_again_gets_a_new_task(engine, connector, org):
    _sync(engine, connector, org, NOW)
    _did(org, "00QPRIYA", "unsubscribe", NOW + timedelta(hours=1))
    fell_back = _sync(engine, connector, org, NOW + timedelta(hours=2))
    assert fell_back.counts.get("tasks_created", 0) == 0
    _webinars(org, "00QPRIYA", NOW + timedelta(days=3), NOW + timedelta(days=4))

    crossed_again = _sync(engine, connector, org, NOW + timedelta(days=5))

    assert crossed_again.counts["tasks_created"] == 1
    assert sorted(org.tasks) == ["Lead:00QPRIYA:mql:20261030120000", "Lead:00QPRIYA:mql:20261105120000"]
