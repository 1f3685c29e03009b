"""Opening the store: the URL, the engine, sessions. (Creating and upgrading the schema: `upgrade.py`.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session, create_engine

from connector.errors import ConfigError
from connector.private_files import create_private

DEFAULT_DATABASE_URL = "sqlite:///scorebridge.db"
DATABASE_URL_ENV = "SCOREBRIDGE_DATABASE_URL"
URL_EXAMPLES = "e.g. sqlite:///scorebridge.db or postgresql://user@host/db"


def database_url(configured: str | None = None) -> str:
    """The store's URL: the environment wins over the config file, which wins over the embedded default."""
    return os.environ.get(DATABASE_URL_ENV) or configured or DEFAULT_DATABASE_URL


def make_engine(url: str | None = None, *, schema: str | None = None) -> Engine:
    """An engine for the store; ``schema`` pins a PostgreSQL search path (tests use one schema per run).

    A URL that cannot name a store is a ConfigError naming where it came from. No engine ever puts a statement's
    parameters (names, e-mail addresses) into an error message.
    """
    parsed = _parsed_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
        return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ImportError):
        raise ConfigError(
            f"{parsed.drivername!r} is not a database ScoreBridge can store in ({URL_EXAMPLES})", key=_url_origin(url)
        ) from None


def _parsed_url(url: str | None) -> URL:
    try:
        parsed = make_url(database_url(url))
    except (ArgumentError, ValueError):
        # The value is not shown: a URL that does not parse may still hold a password.
        raise ConfigError(f"not a database URL ({URL_EXAMPLES})", key=_url_origin(url)) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _url_origin(configured: str | None) -> str:
    if os.environ.get(DATABASE_URL_ENV):
        return f"environment variable {DATABASE_URL_ENV}"
    return "database_url" if configured else "the default database_url"


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
    store_file = _sqlite_file(url)
    if store_file is not None:
        if not store_file.parent.is_dir():
            raise ConfigError(
                f"the folder {store_file.parent} of the SQLite store {store_file.name} does not exist; create it "
                "or change the URL",
                key=_url_origin(str(url)),
            )
        # Created owner-only before SQLite opens it; SQLite gives the -wal, -shm and -journal files the same mode.
        event.listen(engine, "do_connect", lambda *_: create_private(store_file))
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


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
