from datetime import UTC, datetime

from sqlmodel import select

from connector.store import session_scope
from connector.store.tables import Contact


def test_contact_round_trips_with_aware_utc_times(engine):
    created = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(Contact(source="import", instance="csv", object_type="Lead", crm_id="L1", created_at=created))
    with session_scope(engine) as session:
        contact = session.exec(select(Contact)).one()
    assert contact.created_at == created
    assert contact.created_at.tzinfo is not None
