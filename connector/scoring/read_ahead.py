"""A full rescore reads each chunk's activities on a second connection, in a worker thread, while it scores.

One after the other, a chunk's activity read and its scoring take turns, and half of each run's time was one
waiting for the other. The read sends its rows as one text the database builds (connector/store/packed_rows.py):
on PostgreSQL the server does that work in its own process, on SQLite the driver does it with the interpreter lock
released, so a worker thread reading chunk k+1 (and chunk 0 while the run reads its contacts) overlaps with
scoring on the main thread (psycopg: a connection per thread for "a mix of database and non-database operations",
https://www.psycopg.org/psycopg3/docs/advanced/async.html; sqlite3 releases the lock while a statement steps).

The second connection reads only `activity`, which a scoring run never writes, so it reads what the run's own
connection would, as of the latest commit (PostgreSQL's READ COMMITTED; a new read transaction of SQLite's WAL,
https://www.sqlite.org/wal.html#concurrency). Memory holds one chunk more. An incremental run reads on its own
connection: its targets are in a temporary table no other connection sees. So does an in-memory SQLite store,
which a second connection would not see either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial

import numpy as np
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from connector.scoring.chunks import SQLITE_CHUNK_CACHE_KIB, ContactSlice
from connector.scoring.scope import ContactScope
from connector.scoring.snapshot import read_activity_table
from connector.store.engine import shares_one_store
from connector.store.page_cache import bulk_page_cache

#: A part's activity table, read when it is first asked for.
ActivityTable = Callable[[], np.ndarray]


@contextmanager
def activity_tables(
    connection: Connection,
    as_of: int,
    targeted: bool,
    scope: ContactScope | None,
    parts: Sequence[ContactSlice],
) -> Iterator[Iterator[ActivityTable]]:
    """Each part's activity table (`snapshot.read_activity_table`), in order, each to be asked for once and in
    turn: read ahead on a connection of its own for a full run, else on the run's own connection when asked. The
    worker thread owns the second connection from opening to closing. A store that refuses it (PostgreSQL's
    `max_connections` reached) costs the speed, not the run."""
    on_own_connection = (partial(read_activity_table, connection, as_of, targeted, scope, part) for part in parts)
    if targeted or not parts or not shares_one_store(connection.engine):
        yield on_own_connection
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorebridge-read-ahead") as worker:
        opened = ExitStack()
        try:
            reader = worker.submit(_open, connection, opened).result()
        except OperationalError:
            yield on_own_connection
            return
        try:
            yield _ReadAhead(worker, partial(read_activity_table, reader, as_of, False, scope), parts).tables()
        finally:
            worker.submit(opened.close).result()  # after any read still running: the worker runs one at a time


def _open(connection: Connection, opened: ExitStack) -> Connection:
    reader = opened.enter_context(connection.engine.connect())
    opened.enter_context(bulk_page_cache(reader, SQLITE_CHUNK_CACHE_KIB))
    return reader


class _ReadAhead:
    """Reads part k+1 in the worker once part k is handed over: at most two parts' tables held at a time."""

    def __init__(
        self, worker: ThreadPoolExecutor, read: Callable[[ContactSlice], np.ndarray], parts: Sequence[ContactSlice]
    ) -> None:
        self._worker, self._read, self._parts = worker, read, parts
        self._pending: Future | None = None

    def tables(self) -> Iterator[ActivityTable]:
        self._pending = self._submit(0)
        for index in range(len(self._parts)):
            yield partial(self._take, index)

    def _submit(self, index: int) -> Future | None:
        return self._worker.submit(self._read, self._parts[index]) if index < len(self._parts) else None

    def _take(self, index: int) -> np.ndarray:
        assert self._pending is not None, "each part's table is asked for once, in order"
        table = self._pending.result()
        self._pending = self._submit(index + 1)
        return table
