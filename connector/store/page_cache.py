"""SQLite's page cache for bulk work: larger for the length of the work, and given back only after its commit.

SQLite keeps the pages a transaction changes in the connection's page cache until the commit writes them to the
log; when the cache is full it writes some out early ("spills" them, https://www.sqlite.org/pragma.html#pragma_cache_spill)
and reads them again if they are needed. Shrinking the cache back to its default inside the transaction spilled
the changed pages at once: an incremental run at a million contacts wrote 11,400 of its 12,000 changed pages to
the log that way (84 ms, in the statement that happened to come next), and the pages it read in between came
from the file again. So a bulk block sets the cache on the connection before its transaction begins and restores
it after the transaction has ended, and may grow it meanwhile (never shrink it) once it knows how much it will
touch; the commit then writes each changed page once. PostgreSQL keeps its buffers in the server: nothing to do
there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from connector.store.bulk import raw_rows

#: SQLite page cache for bulk imports (KiB): the activity indexes are written in random order, and SQLite's 2 MB
#: default makes a multi-million-row import read the same index pages over and over.
SQLITE_BULK_CACHE_KIB = 262_144

#: Grows the block's cache to at least this many KiB for the rest of the block.
GrowCache = Callable[[int], None]


@contextmanager
def bulk_page_cache(connection: Connection, kib: int = SQLITE_BULK_CACHE_KIB) -> Iterator[GrowCache]:
    """A page cache of `kib` KiB on SQLite for the block, then the connection's own again. Wrap the block's
    transaction in it (enter it first) so the cache outlives the commit."""
    if connection.dialect.name != "sqlite":
        yield lambda _kib: None
        return
    [[before]] = next(raw_rows(connection, "PRAGMA cache_size"))
    size = kib
    _set_cache_size(connection, -kib)  # negative: KiB rather than pages

    def grow(wanted: int) -> None:
        nonlocal size
        if wanted > size:
            size = wanted
            _set_cache_size(connection, -wanted)

    try:
        yield grow
    finally:
        _set_cache_size(connection, int(before))


def _set_cache_size(connection: Connection, value: int) -> None:
    """`PRAGMA cache_size`: pages when positive, KiB when negative. Through the driver's cursor (`raw_rows`),
    which begins no transaction for it."""
    for _ in raw_rows(connection, f"PRAGMA cache_size = {value}"):
        pass
