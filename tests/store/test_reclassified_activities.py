"""A CRM record stored again under another kind takes that kind (a webinar member moved from Registered to
Attended, a changed mapping); after a complete re-pull, the records a mapping no longer selects leave the store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector.store import session_scope
from connector.store.activity_writer import remove_unseen
from connector.store.records import upsert_activities
from connector.store.tables import Activity, ActivityKind
from tests.store.store_reads import empty_rescore_queue, queued
from tests.store.test_records import MARCH, lead, store_activities, store_contacts, touch


def stored(engine) -> dict[str, tuple]:
    query = select(Activity.source_id, ActivityKind.type, Activity.occurred_at).join(
        ActivityKind, ActivityKind.id == Activity.kind_id
    )
    with session_scope(engine) as session:
        return {source_id: (kind, at) for source_id, kind, at in session.execute(query)}


def test_a_record_stored_again_under_another_kind_takes_it_and_its_contact_is_rescored(engine):
    store_contacts(engine, lead("L1"), lead("L2"))
    store_activities(engine, touch("00v1", "L1", "webinar_registered"), touch("00v2", "L2", "webinar_registered"))
    empty_rescore_queue(engine)

    later = MARCH + timedelta(days=2)
    counts = store_activities(
        engine, touch("00v1", "L1", "webinar_attended", at=later), touch("00v2", "L2", "webinar_registered")
    )

    assert stored(engine) == {"00v1": ("webinar_attended", later), "00v2": ("webinar_registered", MARCH)}
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    assert queued(engine) == {"L1"}


def test_records_a_complete_re_pull_did_not_return_leave_the_store(engine):
    store_contacts(engine, lead("L1"), lead("L2"))
    store_activities(engine, touch("00U1", "L1", "meeting"), touch("00T1", "L1"), touch("00T2", "L2"))
    store_contacts(engine, lead("L1"), instance="other-org")
    upsert_activities(engine, "salesforce", "other-org", [touch("00U9", "L1", "meeting")])
    empty_rescore_queue(engine)

    with engine.begin() as connection:
        removed = remove_unseen(connection, "salesforce", "org1", {"00T1", "00T2"})

    assert removed == 1
    assert set(stored(engine)) == {"00T1", "00T2", "00U9"}  # another org's activities are left alone
    assert queued(engine) == {"L1"}
