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


def test_a_sqlite_store_is_read_through_a_bounded_memory_map(tmp_path):
    from connector.store import make_engine
    from connector.store.engine import SQLITE_MMAP_BYTES

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as connection:
        mapped = connection.exec_driver_sql("PRAGMA mmap_size").scalar_one()
    assert mapped == SQLITE_MMAP_BYTES <= 256 * 1024 * 1024
