"""Migration 0009 moves the contacts flagged for a rescore into the rescore queue and drops the flag; the next
incremental run scores exactly them."""

from __future__ import annotations

from sqlalchemy import insert, inspect

from connector.scoring import load_model, score_store
from connector.store import upgrade_store
from tests.conftest import NOW
from tests.scoring.builders import DEFAULT_MODEL
from tests.store.store_reads import contact_table_before_0009, queued, store_at_revision


def test_flagged_contacts_are_queued_and_the_flag_is_gone(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0008")
    with empty_engine.begin() as connection:
        for crm_id, flagged in (("L1", True), ("L2", False), ("L3", True)):
            connection.execute(
                insert(contact_table_before_0009()).values(
                    source="import", instance="default", object_type="Lead", crm_id=crm_id, is_customer=False,
                    email_opt_out=False, extra={}, deleted=False, needs_rescore=flagged,
                )
            )  # fmt: skip

    upgrade_store(empty_engine)

    assert queued(empty_engine) == {"L1", "L3"}
    columns = {column["name"] for column in inspect(empty_engine).get_columns("contact")}
    indexes = {index["name"] for index in inspect(empty_engine).get_indexes("contact")}
    assert "needs_rescore" not in columns and "ix_contact_needs_rescore" not in indexes
    summary = score_store(empty_engine, load_model(DEFAULT_MODEL), NOW, now=lambda: NOW)
    assert summary.contacts_scored == 3 and queued(empty_engine) == set()  # a first run is full: all scored
