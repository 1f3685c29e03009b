"""On PostgreSQL a full rescore reads the next chunk's activities while it scores this one, on a second connection.

One after the other, a chunk's activity read (the server's work, then the driver's rows) and its scoring (numpy
and Python) take turns, and the scoring process sat idle for about a third of a million-contact rescore while the
server answered. A second connection in a worker thread reads chunk k+1 while chunk k is scored, so the server
works meanwhile (psycopg: a connection per thread for "a mix of database and non-database operations",
https://www.psycopg.org/psycopg3/docs/advanced/async.html). On SQLite the read is the scoring process's own work
(the driver builds a Python object per value, holding the interpreter lock), and reading ahead measured no faster,
so SQLite reads each chunk on the run's own connection.

The second connection reads only `activity`, which a scoring run never writes, so it reads what the run's own
connection would: each statement of the run sees the latest commits anyway (READ COMMITTED). Memory holds one
chunk more. Only full runs of more than one chunk read ahead: an incremental run joins its own temporary table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import numpy as np
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from connector.scoring.chunks import ContactSlice
from connector.scoring.scope import ContactScope
from connector.scoring.snapshot import read_activity_table


@contextmanager
def activity_tables(
    connection: Connection,
    as_of: int,
    targeted: bool,
    scope: ContactScope | None,
    parts: Sequence[ContactSlice],
) -> Iterator[Iterator[np.ndarray]]:
    """Each part's activity table (`snapshot.read_activity_table`), in order: read one part ahead on a connection
    of its own for a full run of several chunks on PostgreSQL, else on the run's own connection as each part
    comes. The worker thread owns the second connection from opening to closing. A server that refuses it (its
    `max_connections` reached) costs the speed, not the run."""
    on_own_connection = (read_activity_table(connection, as_of, targeted, scope, part) for part in parts)
    if connection.dialect.name != "postgresql" or targeted or len(parts) < 2:
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
            yield _tables(worker, reader, as_of, scope, parts)
        finally:
            worker.submit(opened.close).result()  # after any read still running: the worker runs one at a time


def _open(connection: Connection, opened: ExitStack) -> Connection:
    return opened.enter_context(connection.engine.connect())


def _tables(
    worker: ThreadPoolExecutor,
    reader: Connection,
    as_of: int,
    scope: ContactScope | None,
    parts: Sequence[ContactSlice],
) -> Iterator[np.ndarray]:
    def read(index: int) -> Future | None:
        if index == len(parts):
            return None
        return worker.submit(read_activity_table, reader, as_of, False, scope, parts[index])

    pending = read(0)
    for index in range(len(parts)):
        assert pending is not None
        table = pending.result()
        pending = read(index + 1)
        yield table
