"""`scorebridge runs` and `scorebridge status` read runs, bookmarks and backlog from the store."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import SQLModel
from typer.testing import CliRunner

from connector.cli import app
from connector.errors import InputError
from connector.runs import connection_statuses, recent_runs
from connector.store import make_engine, session_scope
from connector.store.tables import Contact, SyncBookmark, WriteLedger
from tests.conftest import NOW
from tests.service.conftest import add_run, connector_file

MINUTE = timedelta(minutes=1)


def test_recent_runs_come_newest_first_with_duration_and_counts(engine):
    add_run(engine, "acme-sf", "succeeded", NOW - 10 * MINUTE, NOW - 8 * MINUTE, pulled_contacts=50, written=7)
    add_run(engine, "acme-hs", "running", NOW - MINUTE, None)
    runs = recent_runs(engine)
    assert [(run.connection, run.status) for run in runs] == [("acme-hs", "running"), ("acme-sf", "succeeded")]
    assert runs[0].duration_seconds is None
    assert runs[1].duration_seconds == 120
    assert runs[1].counts == {"pulled_contacts": 50, "written": 7}


def test_recent_runs_of_one_connection_with_a_limit(engine):
    for minutes in (30, 20, 10):
        add_run(engine, "acme-sf", "succeeded", NOW - minutes * MINUTE, NOW - minutes * MINUTE + MINUTE)
    add_run(engine, "acme-hs", "failed", NOW, NOW)
    runs = recent_runs(engine, connection="acme-sf", limit=2)
    assert [run.started_at for run in runs] == [NOW - 10 * MINUTE, NOW - 20 * MINUTE]


def test_status_shows_last_run_bookmarks_and_backlog_per_connection(engine):
    add_run(engine, "acme-sf", "failed", NOW - 5 * MINUTE, NOW - 4 * MINUTE)
    with session_scope(engine) as session:
        session.add(
            SyncBookmark(connection="acme-sf", stream="contacts", modified_at=NOW, last_id="00Q1", updated_at=NOW)
        )
        contact = Contact(source="salesforce", instance="acme-sf", object_type="Lead", crm_id="00Q1")
        session.add(contact)
        session.flush()
        session.add(WriteLedger(connection="acme-sf", contact_id=contact.id, pending_values={"stage": "MQL"}))
    sf, hs = connection_statuses(engine, [("acme-sf", "salesforce"), ("acme-hs", "hubspot")])
    assert sf.last_run.status == "failed"
    assert [(mark.stream, mark.last_id) for mark in sf.bookmarks] == [("contacts", "00Q1")]
    assert (sf.backlog.pending_writes, sf.backlog.pending_tasks) == (1, 0)
    assert hs.last_run is None and hs.bookmarks == ()


def store_with_one_run(tmp_path):
    database = tmp_path / "store.db"
    config = connector_file(
        tmp_path,
        [{"name": "acme-sf", "crm": "salesforce"}, {"name": "acme-hs", "crm": "hubspot"}],
        database_url=f"sqlite:///{database}",
    )
    engine = make_engine(f"sqlite:///{database}")
    SQLModel.metadata.create_all(engine)
    add_run(engine, "acme-sf", "succeeded", NOW - 3 * MINUTE, NOW, pulled_contacts=12)
    engine.dispose()
    return config


def test_runs_command_prints_json_for_scripts(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)
    config = store_with_one_run(tmp_path)
    result = CliRunner().invoke(app, ["runs", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    [run] = json.loads(result.output)
    assert (run["connection"], run["status"], run["duration_seconds"]) == ("acme-sf", "succeeded", 180)
    assert run["counts"]["pulled_contacts"] == 12


def test_runs_command_prints_a_table_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)
    config = store_with_one_run(tmp_path)
    result = CliRunner().invoke(app, ["runs", "--config", str(config)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "acme-sf" in result.output and "succeeded" in result.output and "180 s" in result.output


def test_status_command_lists_every_configured_connection(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)
    config = store_with_one_run(tmp_path)
    result = CliRunner().invoke(app, ["status", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    statuses = {each["connection"]: each for each in json.loads(result.output)}
    assert statuses["acme-sf"]["last_run"]["status"] == "succeeded"
    assert statuses["acme-hs"]["last_run"] is None
    assert statuses["acme-hs"]["backlog"] == {"pending_writes": 0, "pending_tasks": 0}


def test_runs_on_a_store_without_tables_says_what_to_check(tmp_path, monkeypatch):
    monkeypatch.delenv("SCOREBRIDGE_DATABASE_URL", raising=False)
    config = connector_file(tmp_path, [], database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["runs", "--config", str(config)])
    assert isinstance(result.exception, InputError)
    assert "no sync runs table" in str(result.exception)
