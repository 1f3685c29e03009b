"""Migration 0003 adds the outcome tables to a store at 0002 and keeps every row it held; the upgraded store then
takes outcomes linked to its old contacts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, insert, inspect, select

from connector.crm import Bookmark, OutcomeContact, OutcomeRecord
from connector.store import session_scope, upgrade_store
from connector.store.bookmarks import load_bookmark, save_bookmark
from connector.store.records import upsert_outcomes
from connector.store.tables import Activity, ActivityKind, Contact
from connector.store.tables import OutcomeContact as OutcomeContactRow
from tests.store.store_reads import contact_table_before_0009, store_at_revision

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _seed_a_synced_connection(engine) -> None:
    # Rows as a sync at 0002 left them, written through the tables those have not changed since: today's writers
    # also keep account links, whose tables a store at 0002 does not have.
    with engine.begin() as connection:
        contact_id = connection.execute(
            insert(contact_table_before_0009()).values(
                source="salesforce", instance="acme", object_type="Contact", crm_id="003A", email="ana@example.com",
                is_customer=False, email_opt_out=False, extra={}, deleted=False, needs_rescore=True,
            )
        ).inserted_primary_key[0]  # fmt: skip
    with session_scope(engine) as session:
        kind = ActivityKind(fingerprint="email_open", type="email_open", attributes={})
        session.add(kind)
        session.flush()
        session.add(Activity(contact_id=contact_id, kind_id=kind.id, occurred_at=AT, source_id="a1"))
        save_bookmark(session, "acme", Bookmark("contacts", AT, "003A"), now=AT)


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table))


def test_upgrading_0002_to_0003_keeps_contacts_activities_and_bookmarks(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0002")
    assert "outcome" not in inspect(empty_engine).get_table_names()
    _seed_a_synced_connection(empty_engine)

    upgrade_store(empty_engine)

    assert {"outcome", "outcome_contact"} <= set(inspect(empty_engine).get_table_names())
    assert (_count(empty_engine, Contact), _count(empty_engine, Activity)) == (1, 1)
    with session_scope(empty_engine) as session:
        assert load_bookmark(session, "acme", "contacts") == Bookmark("contacts", AT, "003A")


def test_the_upgraded_store_links_outcomes_to_the_contacts_it_held(empty_engine, tmp_path):
    store_at_revision(empty_engine, tmp_path, "0002")
    _seed_a_synced_connection(empty_engine)
    upgrade_store(empty_engine)

    deal = OutcomeRecord("Opportunity", "006X", (OutcomeContact("Contact", "003A", primary=True),), won=True)
    counts = upsert_outcomes(empty_engine, "salesforce", "acme", [deal])

    assert (counts.inserted, counts.unlinked) == (1, 0)
    assert _count(empty_engine, OutcomeContactRow) == 1
