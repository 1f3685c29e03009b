"""A backtest never changes what sales see: the live tables stay byte for byte, and the next sync writes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from connector.analytics.backtest import backtest
from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.scoring import load_model
from connector.store import make_engine, upgrade_store
from connector.sync import run_sync
from tests.analytics.outcome_history import build_history, days_before_now, model_file, weighing, weighing_raw
from tests.cli import run_cli
from tests.conftest import NOW
from tests.sync.memory_crm import MemoryCrm

MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
LIVE_TABLES = (
    "contact_score", "score_change", "stage_transition", "task_outbox", "write_ledger", "scoring_checkpoint",
    "sync_bookmark", "contact", "activity", "outcome", "outcome_contact",
)  # fmt: skip


def live_state(engine) -> dict[str, list]:
    with engine.connect() as connection:
        return {table: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {table}")))) for table in LIVE_TABLES}


def _crm() -> MemoryCrm:
    """Sarah attended a demo yesterday: the sync makes her a notified stage, writes her scores and a task."""
    demo = ActivityRecord("d1", "Lead", "00Q1", "demo_attended", NOW - timedelta(days=1))
    opens = [ActivityRecord(f"o{n}", "Lead", "00Q1", "email_open", NOW - timedelta(days=120 + n)) for n in range(3)]
    contact = ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing", owner_id="005A")
    return MemoryCrm(contacts=[contact], activities=[*opens, demo])


def synced_store(empty_engine):
    """The synthetic year, plus one CRM connection synced at NOW: scores written, a task created."""
    upgrade_store(empty_engine)
    build_history(empty_engine)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    config = ConnectorConfig(model=MODEL, connections=[connection])
    crm = _crm()
    first = run_sync(empty_engine, config, connection, crm, clock=lambda: NOW)
    assert first.counts["written"] == 1 and first.counts["tasks_created"] == 1
    return empty_engine, config, connection, crm


@pytest.fixture
def synced(empty_engine):
    return synced_store(empty_engine)


def test_a_backtest_leaves_every_live_table_as_it_was_and_the_next_sync_writes_nothing(synced):
    engine, config, connection, crm = synced
    before, values, tasks = live_state(engine), {k: dict(v) for k, v in crm.values.items()}, dict(crm.tasks)
    moments = [int((days_before_now(days)).timestamp()) for days in (300, 200, 100, 2)]

    result = backtest(engine, load_model(MODEL), weighing(30, 1, "weighs demos"), moments, horizon_days=60)

    assert result.live.stage_counts  # it did replay the store
    assert live_state(engine) == before
    later = run_sync(engine, config, connection, crm, clock=lambda: NOW + timedelta(hours=1))
    assert later.status == "succeeded"
    assert later.counts.get("written", 0) == 0 and later.counts.get("tasks_created", 0) == 0
    assert crm.values == values and crm.tasks == tasks


def test_the_backtest_and_suggest_commands_leave_nothing_for_the_next_sync(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    engine, config, connection, crm = synced_store(engine)
    before, values, tasks = live_state(engine), {k: dict(v) for k, v in crm.values.items()}, dict(crm.tasks)
    candidate = model_file(tmp_path / "candidate.yaml", weighing_raw(30, 1, "weighs demos"))
    window = ("--from", days_before_now(330).isoformat(), "--to", days_before_now(30).isoformat(), "--within", "60d")
    common = ("--database", url, "--model")

    assert run_cli(monkeypatch, "backtest", *common, str(candidate), "--live-model", str(MODEL), *window) == 0
    assert run_cli(monkeypatch, "suggest", *common, str(MODEL), "-o", str(tmp_path / "suggested.yaml"), *window) == 0
    capsys.readouterr()

    assert live_state(engine) == before
    later = run_sync(engine, config, connection, crm, clock=lambda: NOW + timedelta(hours=1))
    assert later.counts.get("written", 0) == 0 and later.counts.get("tasks_created", 0) == 0
    assert crm.values == values and crm.tasks == tasks
    engine.dispose()
