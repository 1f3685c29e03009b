"""One run per connection at a time, one schema upgrade per store at a time: PostgreSQL advisory locks, or OS
file locks beside a SQLite store.

Both are released by the operating system or the server when the holder dies, so a run killed with -9 never
leaves a stale lock behind. Lock files are created owner-only, like the store beside them.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from connector.errors import StoreBusyError
from connector.private_files import open_private

#: The schema lock's name among the run locks: the "~" makes it no possible connection name.
SCHEMA_LOCK = "~schema"


@contextmanager
def connection_lock(engine: Engine, connection: str, *, shared: bool = False) -> Iterator[None]:
    """Hold the run lock of ``connection`` for the block; raise StoreBusyError if another run holds it.

    A ``shared`` hold admits other shared holds and refuses an exclusive one (and the other way round).
    """
    with run_locks(engine, [(connection, shared)]):
        yield


@contextmanager
def run_locks(engine: Engine, locks: Sequence[tuple[str, bool]]) -> Iterator[None]:
    """Hold several run locks, (name, shared) each, taken in order, for the block; raise StoreBusyError naming the
    first one another run holds, having released those already taken. On PostgreSQL one connection holds them
    all: a session of its own for each lock cost a connection each run."""
    if engine.dialect.name == "postgresql":
        with _advisory_locks(engine, locks):
            yield
        return
    with ExitStack() as held:
        for name, shared in locks:
            held.enter_context(_file_lock(_lock_path(engine, name), name, shared))
        yield


def _lock_key(connection: str, schema: str | None = None) -> int:
    # Advisory locks are per database, and a store is a schema: two stores in one database must not share locks.
    name = f"scorebridge:{connection}" if schema in (None, "public") else f"scorebridge:{schema}:{connection}"
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory_locks(engine: Engine, locks: Sequence[tuple[str, bool]]) -> Iterator[None]:
    with engine.connect() as holder:
        schema = holder.execute(text("SELECT current_schema()")).scalar()
        taken: list[tuple[str, int]] = []
        try:
            for name, shared in locks:
                kind, key = "_shared" if shared else "", _lock_key(name, schema)
                if not holder.execute(text(f"SELECT pg_try_advisory_lock{kind}(:key)"), {"key": key}).scalar():
                    raise StoreBusyError(_busy(name))
                taken.append((kind, key))
            yield
        finally:
            for kind, key in reversed(taken):
                holder.execute(text(f"SELECT pg_advisory_unlock{kind}(:key)"), {"key": key})
            holder.commit()


def _busy(connection: str) -> str:
    return f"another run of connection {connection!r} is in progress; nothing was done"


@contextmanager
def schema_lock(connection: Connection) -> Iterator[None]:
    """Wait for, then hold, the store's schema lock: processes creating or upgrading one store take turns.

    Taken outside the upgrade's transaction, so that on SQLite no process holds the database's write lock while
    it waits for this one.
    """
    if connection.dialect.name == "postgresql":
        key = _lock_key(SCHEMA_LOCK, connection.execute(text("SELECT current_schema()")).scalar())
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
    else:
        with _file_lock(_lock_path(connection.engine, SCHEMA_LOCK), SCHEMA_LOCK, wait=True):
            yield


def _lock_path(engine: Engine, connection: str) -> Path:
    database = engine.url.database
    if database and database != ":memory:":
        return Path(f"{database}.{connection}.lock")
    return Path(tempfile.gettempdir()) / f"scorebridge-{os.getuid()}-{connection}.lock"


@contextmanager
def _file_lock(path: Path, connection: str, shared: bool = False, *, wait: bool = False) -> Iterator[None]:
    with open_private(path, "a+") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise StoreBusyError(_busy(connection)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
