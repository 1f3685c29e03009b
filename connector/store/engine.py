"""Opening the store: the URL, the engine, sessions. (Creating and upgrading the schema: `upgrade.py`.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, event, make_url
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session, create_engine

from connector.errors import ConfigError, StoreUnavailableError
from connector.private_files import create_private

DEFAULT_DATABASE_URL = "sqlite:///scorebridge.db"
DATABASE_URL_ENV = "SCOREBRIDGE_DATABASE_URL"
URL_EXAMPLES = "e.g. sqlite:///scorebridge.db or postgresql://user@host/db"


def database_url(configured: str | None = None) -> str:
    """The store's URL: the environment wins over the config file, which wins over the embedded default."""
    return os.environ.get(DATABASE_URL_ENV) or configured or DEFAULT_DATABASE_URL


def make_engine(url: str | None = None, *, schema: str | None = None) -> Engine:
    """An engine for the store; ``schema`` pins a PostgreSQL search path (tests use one schema per run).

    A URL that cannot name a store is a ConfigError naming where it came from; a store that cannot be reached is a
    StoreUnavailableError, whichever command meets it first. No engine ever puts a statement's parameters (names,
    e-mail addresses) into an error message.
    """
    parsed = _parsed_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
            engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)
    except (NoSuchModuleError, ImportError):
        raise ConfigError(
            f"{parsed.drivername!r} is not a database ScoreBridge can store in ({URL_EXAMPLES})", key=_url_origin(url)
        ) from None
    event.listen(engine, "handle_error", _unreachable_store)
    return engine


def _unreachable_store(context: ExceptionContext) -> Exception | None:
    """A failed connect (no statement ran yet) as one line naming the store and the driver's first line of why."""
    if context.connection is not None or context.is_pre_ping or context.engine is None:
        return None  # a statement failed, or the pool is testing a connection it will replace
    reason = str(context.original_exception).strip().splitlines() or [type(context.original_exception).__name__]
    shown = context.engine.url.render_as_string(hide_password=True)
    return StoreUnavailableError(f"cannot open the store {shown}: {reason[0]}")


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
        # Created owner-only before SQLite opens it; SQLite gives the -wal, -shm and -journal files the same mode.
        event.listen(engine, "do_connect", lambda *_: _create_store_file(store_file, url))
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _create_store_file(path: Path, url: URL) -> None:
    # Checked on connecting, not when the engine is made: a service keeps its engine while a volume comes and goes.
    if not path.parent.is_dir():
        raise StoreUnavailableError(
            f"cannot open the store {url}: its folder {path.parent} does not exist; create it or change database_url"
        )
    try:
        create_private(path)
    except OSError as error:
        raise StoreUnavailableError(f"cannot open the store {url}: {error.strerror}") from None


def shares_one_store(engine: Engine) -> bool:
    """Whether every connection of `engine` opens the same store. Not so for an in-memory SQLite database: each
    connection (SQLAlchemy keeps one per thread for them) holds a database of its own."""
    return engine.dialect.name != "sqlite" or _sqlite_file(engine.url) is not None


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


#: How much of an SQLite store is read through a memory map rather than read() calls: reads then copy nothing out
#: of the kernel's page cache (https://www.sqlite.org/mmap.html). It halves an incremental scoring run's lookups of
#: scattered rows and speeds a full run's reads; bounded, so a store of millions of contacts does not map gigabytes
#: into the process. Writes still go through the WAL as before.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets `scorebridge status` read while a sync writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
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
