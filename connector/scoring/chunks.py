"""A run's contacts in bounded chunks: ranges of contact ids, each read, scored and written on its own.

Every score depends on one contact's own fields and activities, so scoring the contacts chunk by chunk gives the
same rows as scoring them at once, while memory holds one chunk's activities (docs/store.md, "Scoring in chunks").
A chunk reads its activities by the (contact_id, occurred_at, kind_id) index, in blocks of ids (snapshot.py); a run
that fits in one chunk reads its contacts with no id bound at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import ceil

import numpy as np
from sqlalchemy.engine import Connection

from connector.scoring.scope import Condition, ContactScope, contact_in_scope
from connector.scoring.shard import Shard
from connector.store.bulk import raw_rows

#: Contacts per chunk: about 20 activities each in the benchmark data set, so some 250 MB of arrays at peak.
CHUNK_CONTACTS = 50_000
#: SQLite's page cache while a run reads its chunks. A chunk's activities lie all over the table (rows are stored
#: in time order), so each is a lookup through the table's b-tree; with the default 2 MB cache its interior pages
#: were read again for every row (2.3 s of system CPU per million activities at 20,000,000), with 64 MB they stay
#: (0.3 s). https://www.sqlite.org/pragma.html#pragma_cache_size
SQLITE_CHUNK_CACHE_KIB = 65_536
#: An incremental run's page cache per contact it rescores: room for the pages it reads and changes (the contact's
#: row, its stored score row, its activities' index entries, a history entry: four 4 KiB pages or so), so that
#: none is read twice or written out before the commit (connector/store/page_cache.py). At a million contacts
#: the 64 MB chunk cache held the pages of 13,000 contacts' activities or of their score rows, not both.
SQLITE_CACHE_KIB_PER_TARGET = 16
#: The most an incremental run's cache grows to: the pages of some 16,000 contacts.
SQLITE_TARGETED_CACHE_MAX_KIB = 262_144


def targeted_cache_kib(targets: int) -> int:
    """The SQLite page cache (KiB) for an incremental run of `targets` planned contacts."""
    return min(max(targets * SQLITE_CACHE_KIB_PER_TARGET, SQLITE_CHUNK_CACHE_KIB), SQLITE_TARGETED_CACHE_MAX_KIB)


@dataclass(frozen=True)
class ContactSlice:
    """The contacts one chunk reads: ids from `first` to `last` (None: unbounded) of one shard (None: all)."""

    first: int | None = None
    last: int | None = None
    shard: Shard | None = None
    #: How many of the run's contacts the slice holds (None: not counted); sizes the blocks it is read in.
    contacts: int | None = None

    def on(self, id_column: str) -> Condition:
        """The condition keeping the rows whose contact id (`id_column`) is in the slice."""
        bounded = (
            Condition() if self.first is None else Condition(f"{id_column} BETWEEN ? AND ?", (self.first, self.last))
        )
        return bounded.also(Condition() if self.shard is None else self.shard.condition(id_column))

    def blocks(self, first: int, last: int, size: int) -> list[ContactSlice]:
        """The ids from `first` to `last` (this slice's own bounds where it has them) cut into equal ranges of about
        `size` of the run's contacts each (of at most `size` ids where they are not counted), of this slice's
        shard; at least one. An incremental run's few targets, spread over every id, are one block."""
        first, last = (first, last) if self.first is None else (self.first, self.last)
        span = max(last, first) - first + 1
        counted = span if self.contacts is None else self.contacts
        step = ceil(span / min(max(ceil(counted / size), 1), span))
        starts = range(first, first + span, step)
        return [ContactSlice(start, min(start + step - 1, last), self.shard) for start in starts]


def run_contact_ids(connection: Connection, scope: ContactScope | None, shard: Shard | None) -> np.ndarray:
    """The ascending ids of the live contacts a full run scores."""
    live = contact_in_scope(scope).also(ContactSlice(shard=shard).on("c.id"))
    live_sql = f"c.deleted = ? AND c.merged_into_id IS NULL{live.and_clause}"
    sql = f"SELECT c.id FROM contact c WHERE {live_sql} ORDER BY c.id"
    parts = [
        np.fromiter((row[0] for row in batch), dtype=np.int64, count=len(batch))
        for batch in raw_rows(connection, sql, (False, *live.params))
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def contact_slices(ids: np.ndarray, size: int, shard: Shard | None) -> Iterator[ContactSlice]:
    """Slices of at most `size` of the ascending `ids`, each knowing how many it holds; one unbounded slice when
    they all fit in one."""
    if len(ids) <= size:
        yield ContactSlice(shard=shard, contacts=len(ids))
        return
    for start in range(0, len(ids), size):
        end = min(start + size, len(ids))
        yield ContactSlice(int(ids[start]), int(ids[end - 1]), shard, end - start)
