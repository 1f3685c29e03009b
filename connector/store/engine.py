"""Opening the store: engine creation, sessions, and bringing the schema up to date."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

DEFAULT_DATABASE_URL = "sqlite:///scorebridge.db"
DATABASE_URL_ENV = "SCOREBRIDGE_DATABASE_URL"


def database_url(configured: str | None = None) -> str:
    """The store's URL: the environment wins over the config file, which wins over the embedded default."""
    return os.environ.get(DATABASE_URL_ENV) or configured or DEFAULT_DATABASE_URL


def make_engine(url: str | None = None, *, schema: str | None = None) -> Engine:
    """An engine for the store; ``schema`` pins a PostgreSQL search path (tests use one schema per run)."""
    url = database_url(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets `scorebridge status` read while a sync writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def upgrade_store(engine: Engine, *, migrations: Path = MIGRATIONS_DIR) -> None:
    """Bring the schema to the newest migration; a store already there is left as it is.

    ``migrations`` is another scripts folder, for tests that add a revision of their own.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations))
    with engine.connect() as connection:
        # SQLite alters a table by copying it and dropping the old one ("batch" migrations); with foreign keys
        # enforced it refuses to drop a table others point at, so enforcement is off while migrating
        # (https://alembic.sqlalchemy.org/en/latest/batch.html#dealing-with-referencing-foreign-keys).
        # The pragma is ignored inside a transaction, hence the commits around it.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
