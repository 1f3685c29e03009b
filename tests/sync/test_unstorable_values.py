"""CRM text the store cannot hold (NUL, lone surrogates) is cleaned or rejected per record, never a failed sync;
and a store failure never writes names or e-mail addresses into run records or logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.store import session_scope
from connector.store.failures import failure_summary
from connector.store.tables import ActivityKind, Contact, SyncRun
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
YESTERDAY = datetime(2026, 10, 31, 9, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
CONNECTION = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
CONFIG = ConnectorConfig(model=MODEL, connections=[CONNECTION])


def crm_with_unstorable_text() -> MemoryCrm:
    return MemoryCrm(
        contacts=[
            ContactRecord(
                "Lead", "00Q1", email="sarah@example.com", title="VP\x00 Marketing", extra={"note": "a\ud800"}
            ),
            ContactRecord("Lead", "00Q\x002", email="omar@example.com"),  # an id with NUL names no record: skipped
            ContactRecord("Lead", "00Q3", email="li@example.com", title="CTO"),
            ContactRecord("Lead", "00Q4", email="x" * 400 + "@example.com", employees=10**10),  # too large: cleaned
            ContactRecord("Lead", "00Q" + "5" * 70),  # longer than any CRM id: skipped
        ],
        activities=[
            ActivityRecord("a1", "Lead", "00Q1", "page_view", YESTERDAY, {"url": "/pricing\x00"}),
            ActivityRecord("a\x002", "Lead", "00Q3", "email_open", YESTERDAY),  # skipped
            ActivityRecord("a3", "Lead", "00Q3", "email_open", YESTERDAY),
        ],
    )


def test_a_sync_cleans_values_rejects_ids_and_counts_both(engine):
    crm = crm_with_unstorable_text()

    first = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)
    again = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert (first.status, again.status) == ("succeeded", "succeeded")
    assert first.counts["cleaned_records"] == 3 and first.counts["skipped_records"] == 3
    with session_scope(engine) as session:
        stored = {c.crm_id: c for c in session.exec(select(Contact))}
        kinds = {kind.type: kind.attributes for kind in session.exec(select(ActivityKind))}
    assert sorted(stored) == ["00Q1", "00Q3", "00Q4"]
    assert (stored["00Q4"].email, stored["00Q4"].employees) == (None, None)
    assert stored["00Q1"].title == "VP Marketing" and stored["00Q1"].extra == {"note": "a\ufffd"}
    assert kinds["page_view"] == {"url": "/pricing"}
    assert "00Q1" in crm.values and "00Q3" in crm.values  # both scored and written back


def test_a_store_failure_is_recorded_without_the_values_of_its_statement(engine):
    row = {"source": "salesforce", "instance": "acme", "object_type": "Lead", "crm_id": "00Q1",
           "email": "sarah@example.com", "last_name": "Connor", "is_customer": False, "email_opt_out": False,
           "extra": {}, "deleted": False}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(Contact).values(row))
    with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
        connection.execute(insert(Contact).values(row))

    summary = failure_summary(failed.value)

    assert "IntegrityError" in summary or "UniqueViolation" in summary
    assert "INSERT INTO contact" in summary
    assert not any(value in summary for value in ("sarah", "Connor", "00Q1")), summary
    assert "sarah" not in str(failed.value)  # the engine hides parameters from the message itself


def refuse_connors(engine) -> None:
    """A rule in the database that refuses a row: its error quotes the row (PostgreSQL's "Failing row contains")."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE contact ADD CONSTRAINT no_connor CHECK (last_name <> 'Connor')")
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER no_connor BEFORE INSERT ON contact WHEN NEW.last_name = 'Connor' "
                "BEGIN SELECT RAISE(ABORT, 'no Connor'); END"
            )


def test_a_sync_that_fails_in_the_store_names_no_person_in_its_record_or_log(engine, caplog):
    refuse_connors(engine)
    crm = MemoryCrm(contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", last_name="Connor")])

    with caplog.at_level(logging.ERROR):
        report = run_sync(engine, CONFIG, CONNECTION, crm, clock=lambda: NOW)

    assert report.status == "failed" and report.message.startswith("store error ")
    with session_scope(engine) as session:
        recorded = session.exec(select(SyncRun)).one()
    assert "INSERT INTO contact" in recorded.warnings[-1]
    assert not any("sarah" in text or "Connor" in text for text in [*recorded.warnings, caplog.text])
