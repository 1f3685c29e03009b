"""Creating the store survives kill -9 and company: an upgrade is all or nothing, and upgraders take turns."""

from __future__ import annotations

import multiprocessing
import shutil
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from connector.config import ConnectionConfig, ConnectorConfig
from connector.crm import ActivityRecord, ContactRecord
from connector.errors import StoreUnavailableError
from connector.store import make_engine, upgrade_store
from connector.store.tables import Contact
from connector.store.upgrade import MIGRATIONS_DIR
from connector.sync import run_sync
from tests.store.test_migrations import head_revision
from tests.sync.memory_crm import MemoryCrm

MODEL = Path(__file__).parents[2] / "mappings" / "scoring.yaml"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
#: A revision that dies like a process killed with -9 half way through its work.
KILLED_REVISION = """
import os
import signal

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    os.kill(os.getpid(), signal.SIGKILL)
"""
UPGRADE_IN_A_PROCESS = """
import sys
from pathlib import Path
from connector.store import make_engine, upgrade_store
url, schema, migrations = sys.argv[1:]
upgrade_store(make_engine(url, schema=schema or None), migrations=Path(migrations))
"""
PROCESSES = 4


def where(engine: Engine) -> tuple[str, str]:
    """The URL and PostgreSQL schema another process opens the same store with."""
    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar()
    return engine.url.render_as_string(hide_password=False), schema


def version(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def test_a_first_upgrade_killed_half_way_leaves_no_table_and_the_next_one_creates_the_store(empty_engine, tmp_path):
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_killed.py").write_text(KILLED_REVISION.format(head=head_revision()))

    killed = subprocess.run([sys.executable, "-c", UPGRADE_IN_A_PROCESS, *where(empty_engine), str(scripts)])

    assert killed.returncode == -signal.SIGKILL
    assert inspect(empty_engine).get_table_names() == []
    upgrade_store(empty_engine)
    assert version(empty_engine) == (head_revision(),)
    assert "contact" in inspect(empty_engine).get_table_names()


def test_a_store_an_older_version_left_half_created_is_created_afresh(empty_engine):
    SQLModel.metadata.create_all(empty_engine)  # every table, no version row: what a killed first run left

    upgrade_store(empty_engine)

    assert version(empty_engine) == (head_revision(),)


def test_tables_holding_rows_without_a_version_stop_the_upgrade_in_one_line(empty_engine):
    SQLModel.metadata.create_all(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(
            insert(Contact).values(
                source="import", instance="default", object_type="Lead", crm_id="L1", is_customer=False,
                email_opt_out=False, extra={}, deleted=False,
            )
        )  # fmt: skip

    with pytest.raises(StoreUnavailableError, match="no schema version but its tables contact hold rows"):
        upgrade_store(empty_engine)


def _first_sync(url: str, schema: str, start: multiprocessing.synchronize.Barrier, results) -> None:
    engine = make_engine(url, schema=schema or None)
    start.wait()
    upgrade_store(engine)
    connection = ConnectionConfig(name="acme", crm="salesforce", mapping=Path("unused.yaml"))
    crm = MemoryCrm(
        contacts=[ContactRecord("Lead", "00Q1", email="sarah@example.com", title="VP Marketing")],
        activities=[ActivityRecord("a1", "Lead", "00Q1", "email_open", datetime(2026, 10, 30, tzinfo=UTC))],
    )
    config = ConnectorConfig(model=MODEL, connections=[connection])
    report = run_sync(engine, config, connection, crm, clock=lambda: NOW)
    results.put(report.status)


def test_first_syncs_started_together_each_succeed_or_report_locked(empty_engine):
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    runs = [context.Process(target=_first_sync, args=(*where(empty_engine), start, results)) for _ in range(PROCESSES)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()

    assert [run.exitcode for run in runs] == [0] * PROCESSES  # an exception in a run would exit 1
    statuses = sorted(results.get() for _ in range(PROCESSES))
    assert set(statuses) <= {"succeeded", "locked"} and "succeeded" in statuses
    assert version(empty_engine) == (head_revision(),)
