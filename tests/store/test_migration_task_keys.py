"""Migration 0002 upgrades a store that already holds transitions and tasks, and keeps every row as it was."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import column as sa_column
from sqlalchemy import insert, select
from sqlalchemy import table as sa_table

from connector.store import session_scope, upgrade_store
from connector.store.tables import Contact, StageTransition, TaskOutbox
from tests.store.store_reads import contact_table_before_0009, store_at_revision

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)
OLD_KEY = "acme:transition:1"


def _seed_a_sent_task(engine) -> None:
    with engine.begin() as connection:
        contact_id = connection.execute(
            insert(contact_table_before_0009()).values(
                source="salesforce", instance="acme", object_type="Lead", crm_id="00Q1", is_customer=False,
                email_opt_out=False, extra={}, deleted=False, needs_rescore=False,
            )
        ).inserted_primary_key[0]  # fmt: skip
        transition = {"contact_id": contact_id, "from_stage": "lead", "to_stage": "sql", "at": AT}
        connection.execute(insert(StageTransition.__table__).values(**transition, reason="demo", model_version="m1"))
        connection.execute(
            insert(_columns_of_0001(TaskOutbox.__table__)).values(
                idempotency_key=OLD_KEY, connection="acme", contact_id=contact_id, reason="demo", payload={"a": 1},
                status="sent", crm_task_id="00T1", created_at=AT, attempts=1,
            )
        )  # fmt: skip


def _columns_of_0001(table):
    """The table with only the columns revision 0001 created: later columns' defaults must not reach the insert."""
    old = ("idempotency_key", "connection", "contact_id", "reason", "payload", "status", "crm_task_id", "created_at",
           "attempts", "last_error")  # fmt: skip
    return sa_table(table.name, *(sa_column(name, table.c[name].type) for name in old))


def test_upgrading_keeps_transitions_and_sent_tasks(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0001")
    _seed_a_sent_task(empty_engine)

    upgrade_store(empty_engine)

    with session_scope(empty_engine) as session:
        [transition] = session.execute(select(StageTransition)).scalars().all()
        assert (transition.to_stage, transition.at, transition.triggered_at) == ("sql", AT, None)
        row = session.get(TaskOutbox, ("acme", OLD_KEY))
        assert (row.status, row.crm_task_id, row.payload, row.attempts) == ("sent", "00T1", {"a": 1}, 1)


def test_after_the_upgrade_two_connections_may_hold_the_same_key(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0001")
    _seed_a_sent_task(empty_engine)
    upgrade_store(empty_engine)

    with session_scope(empty_engine) as session:
        contact_id = session.execute(select(Contact.id)).scalar_one()
        session.add(
            TaskOutbox(idempotency_key=OLD_KEY, connection="acme-eu", contact_id=contact_id, reason="r", created_at=AT)
        )

    with session_scope(empty_engine) as session:
        keys = session.execute(select(TaskOutbox.connection, TaskOutbox.idempotency_key)).all()
        assert sorted(keys) == [("acme", OLD_KEY), ("acme-eu", OLD_KEY)]
