"""The mapping's fingerprint decides when a sync checks the mapping and reads everything again (with the in-memory
CRM; tests/e2e/test_mapping_changes.py drives both real adapters)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, Bookmark, ContactRecord, Page
from connector.store import session_scope
from connector.store.tables import Activity
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
MAPPING = "activities:\n  - {object: Task, type: email_open}  # opens only\n"


@dataclass
class CountingCrm(MemoryCrm):
    """Counts schema checks, and hands out bookmarks as a real adapter does."""

    checks: int = 0

    def check(self) -> list[str]:
        self.checks += 1
        return []

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        for page in super().pull_contacts(since):
            yield Page(page.records, Bookmark("contacts", NOW - timedelta(hours=1)))


def _setup(tmp_path: Path) -> tuple[ConnectorConfig, ConnectionConfig, Path, CountingCrm]:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=mapping)
    crm = CountingCrm(
        contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing")],
        activities=[
            ActivityRecord("00T1", "Lead", "00Q1", "email_open", datetime(2026, 10, 30, tzinfo=UTC)),
            ActivityRecord("00T2", "Lead", "00Q1", "email_open", datetime(2026, 10, 31, tzinfo=UTC)),
        ],
    )
    return ConnectorConfig(model=MODEL, connections=[connection]), connection, mapping, crm


def _stored(engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.execute(select(Activity.source_id)).scalars())


def test_the_first_sync_checks_and_later_ones_under_the_same_mapping_do_not(engine, tmp_path):
    config, connection, mapping, crm = _setup(tmp_path)
    run_sync(engine, config, connection, crm, clock=lambda: NOW)
    mapping.write_text(MAPPING.replace("# opens only", "# a comment changes nothing"))
    report = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert crm.checks == 1
    assert "removed_by_mapping" not in report.counts


def test_a_changed_mapping_is_checked_and_what_it_no_longer_selects_leaves_the_store(engine, tmp_path):
    config, connection, mapping, crm = _setup(tmp_path)
    run_sync(engine, config, connection, crm, clock=lambda: NOW)
    crm.activities = crm.activities[:1]  # what the CRM gives under the new mapping
    unchanged = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert _stored(engine) == {"00T1", "00T2"} and "removed_by_mapping" not in unchanged.counts

    mapping.write_text(MAPPING.replace("email_open}", "email_open, starts_with: {Subject: Email Opened}}"))
    report = run_sync(engine, config, connection, crm, clock=lambda: NOW)

    assert report.status == "succeeded"
    assert crm.checks == 2
    assert _stored(engine) == {"00T1"}
    assert report.counts["removed_by_mapping"] == 1 and report.counts["scored"] == 1


def test_a_re_read_stopped_half_way_is_done_again_by_the_next_run(engine, tmp_path):
    config, connection, mapping, crm = _setup(tmp_path)
    run_sync(engine, config, connection, crm, clock=lambda: NOW)
    crm.activities = crm.activities[:1]
    mapping.write_text(MAPPING.replace("email_open}", "email_open, timestamp: CreatedDate}"))
    stop = threading.Event()
    stop.set()

    stopped = run_sync(engine, config, connection, crm, clock=lambda: NOW, stop=stop)
    assert stopped.status == "stopped" and _stored(engine) == {"00T1", "00T2"}

    again = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert again.counts["removed_by_mapping"] == 1 and _stored(engine) == {"00T1"}
    assert crm.checks == 3
