"""Set-based upserts of contacts and activities, on SQLite and PostgreSQL (the `engine` fixture runs both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from connector.crm import ActivityRecord, ContactRecord
from connector.store import session_scope
from connector.store.contact_ids import LOOKUP_KEYS
from connector.store.records import (
    PRELOAD_AFTER_KEYS,
    UpsertCounts,
    kind_fingerprint,
    kind_key,
    upsert_activities,
    upsert_contacts,
)
from connector.store.tables import Activity, ActivityKind, Contact
from tests.store.store_reads import count, empty_rescore_queue, queued

MARCH = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def lead(crm_id: str, **fields) -> ContactRecord:
    return ContactRecord(object_type="Lead", crm_id=crm_id, email=f"{crm_id.lower()}@example.com", **fields)


def touch(source_id: str, crm_id: str, type_: str = "email_open", at: datetime = MARCH, **attributes) -> ActivityRecord:
    return ActivityRecord(source_id, "Lead", crm_id, type_, at, attributes)


def store_contacts(engine: Engine, *records: ContactRecord, instance: str = "org1") -> UpsertCounts:
    return upsert_contacts(engine, "salesforce", instance, records)


def store_activities(engine: Engine, *records: ActivityRecord) -> UpsertCounts:
    return upsert_activities(engine, "salesforce", "org1", records)


def stored_contact(engine: Engine, crm_id: str) -> Contact:
    with session_scope(engine) as session:
        return session.exec(select(Contact).where(Contact.crm_id == crm_id)).scalars().one()


def test_new_contacts_are_inserted_and_flagged_for_rescoring(engine):
    counts = store_contacts(engine, lead("L1", title="CTO", employees=250, annual_revenue=5e6), lead("L2"))

    assert counts == UpsertCounts(read=2, inserted=2)
    assert queued(engine) == {"L1", "L2"}
    stored = stored_contact(engine, "L1")
    assert (stored.source, stored.instance, stored.title, stored.employees, stored.annual_revenue) == (
        "salesforce",
        "org1",
        "CTO",
        250,
        5e6,
    )


def test_upserting_the_same_contacts_again_changes_nothing(engine):
    created = datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=UTC)  # sub-second parts are not stored
    records = (lead("L1", created_at=created, extra={"score_source": "web"}), lead("L2", is_customer=True))
    store_contacts(engine, *records)
    empty_rescore_queue(engine)

    assert store_contacts(engine, *records) == UpsertCounts(read=2, unchanged=2)
    assert queued(engine) == set()


def test_a_changed_field_updates_the_contact_and_flags_only_it(engine):
    store_contacts(engine, lead("L1", title="Engineer"), lead("L2", title="Engineer"))
    empty_rescore_queue(engine)

    counts = store_contacts(engine, lead("L1", title="Student"), lead("L2", title="Engineer"))

    assert counts == UpsertCounts(read=2, updated=1, unchanged=1)
    assert queued(engine) == {"L1"}
    assert stored_contact(engine, "L1").title == "Student"


def test_our_own_write_back_coming_back_is_stored_but_not_rescored(engine):
    store_contacts(engine, lead("L1", title="CTO", modified_at=datetime(2026, 1, 5, tzinfo=UTC)))
    empty_rescore_queue(engine)

    counts = store_contacts(engine, lead("L1", title="CTO", modified_at=datetime(2026, 1, 6, tzinfo=UTC)))

    assert counts == UpsertCounts(read=1, updated=1)
    assert queued(engine) == set()
    assert stored_contact(engine, "L1").modified_at == datetime(2026, 1, 6, tzinfo=UTC)


def test_a_pending_rescore_flag_is_never_lowered_by_a_later_echo(engine):
    store_contacts(engine, lead("L1", title="CTO", modified_at=datetime(2026, 1, 5, tzinfo=UTC)))
    store_contacts(engine, lead("L1", title="CTO", modified_at=datetime(2026, 1, 6, tzinfo=UTC)))

    assert queued(engine) == {"L1"}


def test_contacts_are_told_apart_by_instance_and_object_type(engine):
    store_contacts(engine, lead("X1"), ContactRecord(object_type="Contact", crm_id="X1"))
    store_contacts(engine, lead("X1"), instance="org2")

    assert count(engine, Contact) == 3


def test_the_last_record_of_a_contact_in_one_batch_wins(engine):
    counts = store_contacts(engine, lead("L1", title="Engineer"), lead("L1", title="CTO"))

    assert (counts.inserted, counts.skipped) == (1, 1)
    assert stored_contact(engine, "L1").title == "CTO"


def test_a_contact_repeated_in_a_later_chunk_of_a_bulk_load_is_updated_not_duplicated(engine):
    first_chunk = [lead(f"L{i}") for i in range(LOOKUP_KEYS)]

    counts = store_contacts(engine, *first_chunk, lead("L0", title="CTO"))

    assert (counts.inserted, counts.updated) == (LOOKUP_KEYS, 1)
    assert count(engine, Contact) == LOOKUP_KEYS
    assert stored_contact(engine, "L0").title == "CTO"


def test_a_deleted_contact_keeps_its_fields_and_is_flagged_deleted(engine):
    store_contacts(engine, lead("L1", title="CTO"))
    empty_rescore_queue(engine)

    counts = store_contacts(engine, ContactRecord(object_type="Lead", crm_id="L1", deleted=True))

    assert counts == UpsertCounts(read=1, deleted=1)
    stored = stored_contact(engine, "L1")
    assert (stored.deleted, stored.title, queued(engine)) == (True, "CTO", {"L1"})


def test_deleting_a_contact_never_stored_is_skipped(engine):
    counts = store_contacts(engine, ContactRecord(object_type="Lead", crm_id="L404", deleted=True))

    assert counts == UpsertCounts(read=1, skipped=1)
    assert count(engine, Contact) == 0


def test_a_converted_lead_points_at_the_contact_it_became(engine):
    contact = ContactRecord(object_type="Contact", crm_id="C7")
    store_contacts(engine, lead("L7", merged_into="Contact:C7"), contact)

    assert stored_contact(engine, "L7").merged_into_id == stored_contact(engine, "C7").id


def test_activities_attach_to_their_contact_and_share_kinds(engine):
    store_contacts(engine, lead("L1"), lead("L2"))

    counts = store_activities(
        engine,
        touch("a1", "L1", "page_view", url="/pricing"),
        touch("a2", "L2", "page_view", url="/pricing"),
        touch("a3", "L1", "page_view", url="/careers"),
        touch("a4", "L1", "email_open"),
    )

    assert counts == UpsertCounts(read=4, inserted=4)
    with engine.connect() as connection:
        kinds = {(row.type, tuple(sorted(row.attributes.items()))) for row in connection.execute(select(ActivityKind))}
        query = select(Activity.source_id, Contact.crm_id, Activity.occurred_at).join(Contact)
        stored = [tuple(row) for row in connection.execute(query.order_by(Activity.source_id))]
    assert stored == [("a1", "L1", MARCH), ("a2", "L2", MARCH), ("a3", "L1", MARCH), ("a4", "L1", MARCH)]
    assert kinds == {("page_view", (("url", "/pricing"),)), ("page_view", (("url", "/careers"),)), ("email_open", ())}


def test_reimporting_the_same_activities_never_counts_twice(engine):
    store_contacts(engine, lead("L1"))
    activities = [touch(f"a{i}", "L1", at=MARCH + timedelta(hours=i)) for i in range(5)]
    store_activities(engine, *activities)
    empty_rescore_queue(engine)

    counts = store_activities(engine, *activities)

    assert counts == UpsertCounts(read=5, unchanged=5)
    assert count(engine, Activity) == 5
    assert queued(engine) == set()


def test_a_new_activity_flags_only_its_contact(engine):
    store_contacts(engine, lead("L1"), lead("L2"))
    store_activities(engine, touch("a1", "L1"), touch("a2", "L2"))
    empty_rescore_queue(engine)

    counts = store_activities(engine, touch("a1", "L1"), touch("a3", "L2", "form_fill", form="demo"))

    assert (counts.inserted, counts.unchanged) == (1, 1)
    assert queued(engine) == {"L2"}


def test_activities_of_unknown_contacts_are_skipped_and_counted(engine):
    store_contacts(engine, lead("L1"))

    counts = store_activities(engine, touch("a1", "L1"), touch("a2", "L404"), touch("a3", "L405"))

    assert counts == UpsertCounts(read=3, inserted=1, skipped=2)
    assert count(engine, Activity) == 1


def test_a_deleted_activity_is_removed_and_its_contact_queued(engine):
    store_contacts(engine, lead("L1"))
    store_activities(engine, touch("a1", "L1"), touch("a2", "L1"))
    empty_rescore_queue(engine)

    gone = ActivityRecord("a1", "Lead", "L1", "email_open", MARCH, deleted=True)
    counts = store_activities(engine, gone)

    assert counts == UpsertCounts(read=1, deleted=1)
    assert count(engine, Activity) == 1
    assert queued(engine) == {"L1"}


def test_known_kinds_are_found_again_by_fingerprint_in_a_later_upsert(engine):
    store_contacts(engine, lead("L1"))
    store_activities(engine, touch("a1", "L1", "page_view", url="/pricing"))
    store_activities(engine, touch("a2", "L1", "page_view", url="/pricing"))

    assert count(engine, ActivityKind) == 1
    assert count(engine, Activity) == 2


def test_an_upsert_inside_a_session_is_undone_with_it(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        upsert_contacts(session, "salesforce", "org1", [lead("L1")])
        raise RuntimeError("the sync failed after storing contacts")

    assert count(engine, Contact) == 0


def test_a_bulk_load_resolves_thousands_of_contacts_at_once(engine):
    size = PRELOAD_AFTER_KEYS + 100
    store_contacts(engine, *(lead(f"L{i}") for i in range(size)))
    records = [touch(f"a{i}", f"L{i}") for i in range(size)] + [touch("stray", "L-unknown")]

    counts = store_activities(engine, *records)

    assert counts == UpsertCounts(read=size + 1, inserted=size, skipped=1)
    with engine.connect() as connection:
        pairs = connection.execute(select(Contact.crm_id, Activity.source_id).join(Activity)).all()
    assert all(crm_id == f"L{source_id[1:]}" for crm_id, source_id in pairs)


def test_a_kind_is_the_same_whatever_the_attribute_order_and_empty_values():
    one = kind_key("page_view", [("url", "/pricing"), ("campaign", "spring")])
    other = kind_key("page_view", [("campaign", "spring"), ("referrer", ""), ("url", "/pricing")])

    assert one == other
    assert kind_fingerprint(one) == kind_fingerprint(other)
    assert kind_fingerprint(one) != kind_fingerprint(kind_key("page_view", [("url", "/careers")]))
