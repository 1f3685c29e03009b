"""Run records: every run leaves one, and a run that died is closed by the next one."""

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.store import session_scope
from connector.store.tables import SyncRun
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"


def _config(engine):
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    return ConnectorConfig(model=MODEL, connections=[connection]), connection


def _crm():
    return MemoryCrm(
        contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing")],
        activities=[ActivityRecord("a1", "Lead", "00Q1", "email_open", datetime(2026, 10, 30, tzinfo=UTC))],
    )


def test_a_run_that_died_is_closed_as_interrupted_by_the_next(engine):
    with session_scope(engine) as session:
        session.add(SyncRun(connection="acme", started_at=datetime(2026, 10, 31, tzinfo=UTC), status="running"))
    config, connection = _config(engine)
    report = run_sync(engine, config, connection, _crm(), clock=lambda: NOW)
    assert report.status == "succeeded"
    with session_scope(engine) as session:
        statuses = sorted(session.exec(select(SyncRun.status)).all())
    assert statuses == ["interrupted", "succeeded"]


def test_run_writes_scores_once_and_counts_what_it_did(engine):
    config, connection = _config(engine)
    crm = _crm()
    first = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert first.counts["pulled_contacts"] == 1 and first.counts["written"] == 1
    assert crm.values["00Q1"]["stage"]
    second = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert second.counts.get("written", 0) == 0


class _CrmMissingAField(MemoryCrm):
    def check(self) -> list[str]:
        return ["Lead.ScoreBridge_Fit__c does not exist (Lead fields: Email, Title, ...)"]


def test_first_sync_with_a_mapping_the_crm_contradicts_pulls_and_writes_nothing(engine):
    config, connection = _config(engine)
    crm = _CrmMissingAField(contacts=_crm().contacts, activities=_crm().activities)
    report = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert report.status == "failed"
    assert "ScoreBridge_Fit__c" in report.message
    assert crm.calls == 0 and crm.values == {}
