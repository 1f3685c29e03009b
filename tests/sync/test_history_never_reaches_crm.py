"""After anything an admin runs to look at history, the next sync writes nothing and creates no task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.scoring import ContactScope, load_model
from connector.scoring.run import stale_scores_problem
from connector.store import make_engine, upgrade_store
from connector.sync import run_sync
from tests.cli import run_cli as _cli
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"


def _crm() -> MemoryCrm:
    """Sarah opened mails months ago and attended a demo yesterday: today she is a notified stage, then she was not."""
    old = [ActivityRecord(f"o{n}", "Lead", "00Q1", "email_open", NOW - timedelta(days=120 + n)) for n in range(3)]
    demo = ActivityRecord("d1", "Lead", "00Q1", "demo_attended", NOW - timedelta(days=1))
    return MemoryCrm(
        contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing", owner_id="005A")],
        activities=[*old, demo],
    )


@pytest.fixture
def synced(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade_store(engine)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    config = ConnectorConfig(database_url=url, model=MODEL, connections=[connection])
    crm = _crm()
    first = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    assert first.status == "succeeded" and first.counts["written"] == 1 and first.counts["tasks_created"] == 1
    yield url, engine, config, connection, crm
    engine.dispose()


def test_past_as_of_commands_leave_nothing_for_the_next_sync_to_write(synced, monkeypatch, capsys):
    url, engine, config, connection, crm = synced
    values, tasks = {key: dict(value) for key, value in crm.values.items()}, dict(crm.tasks)
    past = (NOW - timedelta(days=60)).isoformat()

    assert _cli(monkeypatch, "score", "--as-of", past, "--database", url, "--model", str(MODEL)) == 0
    assert "nothing stored" in capsys.readouterr().out
    assert _cli(monkeypatch, "index", "--as-of", past, "--by", "lead_source", "--database", url) == 0
    assert _cli(monkeypatch, "explain", "00Q1", "--as-of", past, "--database", url, "--model", str(MODEL)) == 0
    capsys.readouterr()

    later = run_sync(engine, config, connection, crm, clock=lambda: NOW + timedelta(hours=1))

    assert later.status == "succeeded"
    assert later.counts.get("written", 0) == 0 and later.counts.get("tasks_created", 0) == 0
    assert crm.values == values and crm.tasks == tasks


def test_the_sync_refuses_scores_not_computed_at_its_own_as_of(synced):
    engine, connection = synced[1], synced[3]
    scope = ContactScope(connection.crm, connection.name)
    model = load_model(MODEL)
    assert stale_scores_problem(engine, model, scope, NOW) is None
    assert "not this run's" in stale_scores_problem(engine, model, scope, NOW + timedelta(minutes=5))
    other = ContactScope("hubspot", "never-synced")
    assert stale_scores_problem(engine, model, other, NOW) == "the connection's contacts have not been scored"
