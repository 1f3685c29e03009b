"""Migration 0009 moves the contacts flagged for a rescore into the rescore queue and drops the flag, on PostgreSQL
and on SQLite with or without ALTER TABLE DROP COLUMN."""

from __future__ import annotations

import sqlite3

from alembic.operations import Operations
from sqlalchemy import insert, inspect

from connector.scoring import load_model, score_store
from connector.store import make_engine, upgrade_store
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL
from tests.store.store_reads import contact_table_before_0009, queued, store_at_revision


def test_flagged_contacts_are_queued_and_the_flag_is_gone(empty_engine, tmp_path):
    flagged_store_at_0008(empty_engine, tmp_path)

    upgrade_store(empty_engine)

    assert queued(empty_engine) == {"L1", "L3"}
    assert_flag_is_gone(empty_engine)
    summary = score_store(empty_engine, load_model(DEFAULT_MODEL), NOW, now=lambda: NOW)
    assert summary.contacts_scored == 3 and queued(empty_engine) == set()  # a first run is full: all scored


def test_an_sqlite_too_old_to_drop_a_column_gets_the_table_copied(tmp_path, monkeypatch):
    # SQLite before 3.35 has no ALTER TABLE DROP COLUMN: the migration copies the table instead (batch mode)
    engine = make_engine(f"sqlite:///{tmp_path / 'old-sqlite.db'}")
    flagged_store_at_0008(engine, tmp_path)
    copied: list[str] = []
    batch_alter_table = Operations.batch_alter_table

    def recorded(self, table_name, *arguments, **options):
        copied.append(table_name)
        return batch_alter_table(self, table_name, *arguments, **options)

    monkeypatch.setattr(Operations, "batch_alter_table", recorded)
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))

    upgrade_store(engine)

    assert copied == ["contact", "score_change"]  # 0009 drops a column; 0010 drops the history's foreign key
    assert queued(engine) == {"L1", "L3"}
    assert_flag_is_gone(engine)


def flagged_store_at_0008(engine, tmp_path) -> None:
    store_at_revision(engine, tmp_path, "0008")
    with engine.begin() as connection:
        for crm_id, flagged in (("L1", True), ("L2", False), ("L3", True)):
            connection.execute(
                insert(contact_table_before_0009()).values(
                    source="import", instance="default", object_type="Lead", crm_id=crm_id, is_customer=False,
                    email_opt_out=False, extra={}, deleted=False, needs_rescore=flagged,
                )
            )  # fmt: skip


def assert_flag_is_gone(engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("contact")}
    indexes = {index["name"] for index in inspect(engine).get_indexes("contact")}
    assert "needs_rescore" not in columns and "ix_contact_needs_rescore" not in indexes
