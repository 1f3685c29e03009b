"""What ScoreBridge writes to disk is its owner's alone (0600, folders 0700) under the usual umask of 022, and
`serve` listens on loopback unless told otherwise."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from adapters.sandbox.state import save_state
from connector.config import load_config
from connector.importer import import_contacts, write_problem_report
from connector.reports.export import export_scores
from connector.store import make_engine, upgrade_store
from connector.store.lock import connection_lock

REPO = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_its_journal_and_its_lock_files_are_the_owners_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_store(engine)
    with connection_lock(engine, "acme"), engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1 FROM contact")  # the WAL files exist while a connection is open
        written = sorted(path.name for path in tmp_path.iterdir())
        modes = {path.name: mode(path) for path in tmp_path.iterdir()}
    engine.dispose()

    assert written == ["store.db", "store.db-shm", "store.db-wal", "store.db.acme.lock", "store.db.~schema.lock"]
    assert modes == dict.fromkeys(written, 0o600)


def test_an_export_and_an_import_report_are_the_owners_alone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade_store(engine)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("crm_id,email,employees\nL1,ada@example.com,many\n")

    report = import_contacts(engine, contacts)
    write_problem_report(report, tmp_path / "problems.csv")
    export_scores(engine, tmp_path / "scores.csv")

    assert report.warnings == 1  # the report has something to say about ada's row
    assert (mode(tmp_path / "problems.csv"), mode(tmp_path / "scores.csv")) == (0o600, 0o600)


def test_a_sandbox_state_file_and_its_new_folder_are_the_owners_alone(tmp_path):
    path = tmp_path / "states" / "salesforce.json.gz"

    save_state(path, "salesforce", {"records": {"Lead": [{"Email": "ada@example.com"}]}})

    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_serve_listens_on_loopback_unless_the_file_says_otherwise(tmp_path):
    plain = tmp_path / "connector.yaml"
    plain.write_text("connections: []\n")

    assert load_config(plain).service.host == "127.0.0.1"
    container = yaml.safe_load((REPO / "deploy" / "connector.yaml").read_text())
    assert container["service"]["host"] == "0.0.0.0"  # a container's port mapping and probes need it
