"""Structured logs: one JSON object per line with the context passed as `extra`, and a run's id on its every line."""

import io
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.logs import JsonFormatter, log_handler
from connector.store import make_engine
from connector.sync import run_sync
from tests.sync.memory_crm import MemoryCrm

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
adapter_log = logging.getLogger("adapters.memory")


def test_json_lines_carry_message_level_and_context():
    record = logging.LogRecord("connector.sync", logging.INFO, __file__, 1, "run %s ended %s", (7, "ok"), None)
    record.connection = "acme"
    record.counts = {"written": 3}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "run 7 ended ok"
    assert entry["level"] == "info"
    assert entry["connection"] == "acme" and entry["counts"] == {"written": 3}


class ChattyCrm(MemoryCrm):
    """A CRM whose adapter logs from its own module, as the real ones do on a retry or a skipped record."""

    def pull_contacts(self, since):
        adapter_log.warning("skipped a record without an e-mail")
        yield from super().pull_contacts(since)


def _sync_once(engine):
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    crm = ChattyCrm(
        contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing")],
        activities=[ActivityRecord("a1", "Lead", "00Q1", "email_open", datetime(2026, 10, 30, tzinfo=UTC))],
    )
    config = ConnectorConfig(model=MODEL, connections=[connection])
    return run_sync(engine, config, connection, crm, clock=lambda: NOW)


def _log_lines(log_format, caplog, action) -> list[str]:
    """The lines `action` logs through the handler `scorebridge` installs, in the given format."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = log_handler(log_format, stream)
    logging.getLogger().addHandler(handler)
    try:
        action()
    finally:
        logging.getLogger().removeHandler(handler)
    return stream.getvalue().splitlines()


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_every_json_line_of_a_sync_names_its_run(store, caplog):
    reports = []
    lines = _log_lines("json", caplog, lambda: reports.append(_sync_once(store)))
    entries = [json.loads(line) for line in lines]
    assert {entry["logger"] for entry in entries} >= {"connector.sync", "adapters.memory"}
    assert [entry for entry in entries if entry.get("run_id") != reports[0].run_id] == []


def test_every_text_line_of_a_sync_names_its_run(store, caplog):
    reports = []
    lines = _log_lines("text", caplog, lambda: reports.append(_sync_once(store)))
    assert len(lines) > 2
    assert [line for line in lines if f" [run {reports[0].run_id}]: " not in line] == []


def test_lines_after_a_run_name_no_run(store, caplog):
    def sync_then_log():
        _sync_once(store)
        adapter_log.warning("between runs")

    [after] = [line for line in _log_lines("json", caplog, sync_then_log) if "between runs" in line]
    assert "run_id" not in json.loads(after)
