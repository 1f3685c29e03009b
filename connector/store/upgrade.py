"""Creating and upgrading the store's schema: all or nothing, one process at a time.

- All or nothing: the whole upgrade is one transaction. PostgreSQL's DDL is transactional, and so is SQLite's,
  but Python's sqlite3 module opens a transaction only before INSERT, UPDATE, DELETE and REPLACE
  (https://docs.python.org/3.11/library/sqlite3.html#sqlite3-controlling-transactions): each CREATE TABLE was
  committed on its own, and a first run killed half way left tables without a version row, which every later
  command tripped over. So the transaction is opened by hand, as SQLAlchemy documents for pysqlite
  (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
- One at a time: an upgrade waits for the store's schema lock (`lock.schema_lock`), then reads the version
  again, so first syncs started together create the store once and the others find it done.
- A store already at the newest version is only read, without the lock: no command waits behind a long import.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import connector.store.tables  # noqa: F401  (registers the tables on the metadata)
from connector.errors import StoreUnavailableError
from connector.store.lock import schema_lock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def upgrade_store(engine: Engine, *, migrations: Path = MIGRATIONS_DIR) -> None:
    """Bring the schema to the newest migration; a store already there is left as it is.

    ``migrations`` is another scripts folder, for tests that add a revision of their own.
    """
    config = Config()
    config.set_main_option("script_location", str(migrations))
    newest = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        if set(MigrationContext.configure(connection).get_current_heads()) == newest:
            return
        connection.rollback()
        with migrating(connection):
            _clear_half_created(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


@contextmanager
def migrating(connection: Connection) -> Iterator[None]:
    """The schema lock, then one transaction (foreign keys off on SQLite) for the block's migrations."""
    with schema_lock(connection), _foreign_keys_off(connection), _ddl_transaction(connection):
        yield


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    # SQLite alters a table by copying it and dropping the old one ("batch" migrations); with foreign keys
    # enforced it refuses to drop a table others point at, so enforcement is off while migrating
    # (https://alembic.sqlalchemy.org/en/latest/batch.html#dealing-with-referencing-foreign-keys).
    # The pragma is ignored inside a transaction, hence the commits around it.
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


@contextmanager
def _ddl_transaction(connection: Connection) -> Iterator[None]:
    """One transaction around DDL and all; on SQLite begun by hand (IMMEDIATE: the write lock from the start)."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    driver = connection.connection.driver_connection
    before = driver.isolation_level
    driver.isolation_level = None  # the driver stops opening (and committing) transactions of its own
    try:
        with connection.begin():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield
    finally:
        driver.isolation_level = before


def _clear_half_created(connection: Connection) -> None:
    """Drop the empty tables of a store an older ScoreBridge left half-created (tables, no version row).

    Older versions created SQLite tables outside the upgrade's transaction, so a first run killed during it left
    them behind. A store with rows in its tables but no version is not ours to touch: that stops the upgrade.
    """
    if MigrationContext.configure(connection).get_current_heads():
        return
    present = set(inspect(connection).get_table_names())
    ours = [table for table in reversed(SQLModel.metadata.sorted_tables) if table.name in present]
    holding_rows = [table.name for table in ours if connection.execute(select(1).select_from(table).limit(1)).first()]
    if holding_rows:
        shown = connection.engine.url.render_as_string(hide_password=True)
        raise StoreUnavailableError(
            f"the store {shown} has no schema version but its tables {', '.join(sorted(holding_rows))} hold rows; "
            "restore it from a backup or point database_url at another database"
        )
    for table in ours:
        table.drop(connection)
