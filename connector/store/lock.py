"""One run per connection at a time: a PostgreSQL advisory lock, or an OS file lock beside a SQLite store.

Both are released by the operating system or the server when the holder dies, so a run killed with -9 never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from connector.errors import StoreBusyError


@contextmanager
def connection_lock(engine: Engine, connection: str) -> Iterator[None]:
    """Hold the run lock of ``connection`` for the block; raise StoreBusyError if another run holds it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, connection):
            yield
    else:
        with _file_lock(_lock_path(engine, connection), connection):
            yield


def _lock_key(connection: str) -> int:
    return int.from_bytes(hashlib.sha256(f"scorebridge:{connection}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _advisory_lock(engine: Engine, connection: str) -> Iterator[None]:
    key = _lock_key(connection)
    with engine.connect() as holder:
        if not holder.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            raise StoreBusyError(f"another run of connection {connection!r} is in progress; nothing was done")
        try:
            yield
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            holder.commit()


def _lock_path(engine: Engine, connection: str) -> Path:
    database = engine.url.database
    if database and database != ":memory:":
        return Path(f"{database}.{connection}.lock")
    return Path(tempfile.gettempdir()) / f"scorebridge-{os.getuid()}-{connection}.lock"


@contextmanager
def _file_lock(path: Path, connection: str) -> Iterator[None]:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(f"another run of connection {connection!r} is in progress; nothing was done") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
