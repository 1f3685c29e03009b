"""A bulk block's SQLite page cache: set before its transaction, grown (never shrunk) inside it, and given back
only after the commit, so the changed pages are not written out early when the cache shrinks."""

from __future__ import annotations

from sqlalchemy import event, text

from connector.store import make_engine
from connector.store.page_cache import bulk_page_cache


def cache_size(connection) -> int:
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        return cursor.execute("PRAGMA cache_size").fetchone()[0]
    finally:
        cursor.close()


def test_the_cache_grows_inside_the_block_and_is_given_back_after_the_commit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    at_commit: list[int] = []
    event.listen(engine, "commit", lambda connection: at_commit.append(cache_size(connection)))
    with engine.connect() as connection:
        default = cache_size(connection)
        with bulk_page_cache(connection, 4_096) as grow, connection.begin():
            assert cache_size(connection) == -4_096
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            grow(1_024)  # smaller: ignored, a smaller cache would write the changed pages out
            assert cache_size(connection) == -4_096
            grow(8_192)
            assert cache_size(connection) == -8_192
        assert at_commit == [-8_192]
        assert cache_size(connection) == default
    engine.dispose()


def test_setting_the_cache_begins_no_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as connection, bulk_page_cache(connection, 4_096):
        assert not connection.in_transaction()
        with connection.begin():  # would raise had the pragma begun one
            connection.execute(text("SELECT 1"))
    engine.dispose()


def test_postgresql_keeps_its_buffers_in_the_server(postgres_engine):
    with postgres_engine.connect() as connection, bulk_page_cache(connection, 4_096) as grow:
        grow(8_192)
        assert not connection.in_transaction()
