"""The read floor a scoring run is measured against: the activity columns it needs, read into numpy, nothing else.

Both floors go through the driver the product uses (sqlite3, psycopg) on a connection from the same engine:

* `fetch` — `SELECT contact_id, kind_id, occurred_at FROM activity` through a plain cursor, `fetchmany` in large
  batches, `np.fromiter` over the flattened tuples: the tightest loop a row-returning read allows, and the one the
  engine's plain read (connector/store/packed_rows.py `int_table`) uses;
* `packed` — the same rows with the three columns packed into one integer by the database and unpacked by numpy
  (connector/store/packed_rows.py `packed_expression`): one Python object per row instead of three, the fastest
  read that returns rows;
* `joined` — the packed integers of each block of contacts joined into one text by the database and parsed by
  numpy: the read the engine makes (connector/store/packed_rows.py `read_int_columns`), no Python object per row,
  so the engine is also measured against its own read, not only against slower ones;
* `copy` (PostgreSQL only) — `COPY (SELECT ...) TO STDOUT (FORMAT BINARY)`, the bytes parsed by one numpy view:
  no Python object per row at all. The layout is PostgreSQL's binary COPY format
  (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): a 19-byte header, then per row a 16-bit
  field count and, per field, a 32-bit length and the value in network byte order; a 2-byte trailer ends it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import chain

import numpy as np
from sqlalchemy.engine import Engine

COLUMNS = ("contact_id", "kind_id", "occurred_at")
FETCH_ROWS = 500_000
COPY_HEADER = 19
COPY_TRAILER = 2
#: One row of three bigints in binary COPY: field count, then (length, value) per column, big-endian.
COPY_ROW = np.dtype(
    [("fields", ">i2")] + [(f"{part}{i}", t) for i in range(3) for part, t in (("n", ">i4"), ("v", ">i8"))]
)


@dataclass(frozen=True)
class Floor:
    seconds: float
    rows: int
    checksum: int  # sum of contact ids: both floors must have read the same rows


def fetch_floor(engine: Engine) -> Floor:
    """The three columns through a plain cursor into one int64 array per column."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM activity")
        parts = []
        while batch := cursor.fetchmany(FETCH_ROWS):
            flat = np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=len(batch) * len(COLUMNS))
            parts.append(flat.reshape(-1, len(COLUMNS)))
        cursor.close()
    finally:
        raw.close()
    table = np.concatenate(parts) if parts else np.zeros((0, len(COLUMNS)), dtype=np.int64)
    columns = [np.ascontiguousarray(table[:, index]) for index in range(len(COLUMNS))]
    return Floor(time.perf_counter() - started, len(table), int(columns[0].sum()))


def packed_floor(engine: Engine) -> Floor:
    """The three columns packed into one integer per row by the database (packed_rows.py `packed_expression`),
    fetched one row at a time, unpacked by numpy."""
    from connector.store.bulk import raw_rows
    from connector.store.packed_rows import int_table, packed_expression, unpacked

    started = time.perf_counter()
    with engine.connect() as connection:
        wanted = _packable_columns(connection)
        packed = int_table(raw_rows(connection, f"SELECT {packed_expression(wanted)} FROM activity"), 1)[:, 0]
        table = unpacked(packed, wanted)
    return Floor(time.perf_counter() - started, len(table), int(table[:, 0].sum()))


def joined_floor(engine: Engine) -> Floor:
    """The packed integers of each block of contacts joined into one text by the database, parsed by numpy: the
    read the engine makes (packed_rows.py `read_int_columns`, in blocks as snapshot.py reads them)."""
    from connector.scoring.snapshot import READ_BLOCK_CONTACTS
    from connector.store.packed_rows import read_int_columns

    started = time.perf_counter()
    with engine.connect() as connection:
        wanted = _packable_columns(connection)
        contacts = wanted[0].greatest
        table = np.concatenate(
            [
                read_int_columns(connection, wanted, "FROM activity WHERE contact_id BETWEEN ? AND ?", (first, last))
                for first, last in (
                    (first, first + READ_BLOCK_CONTACTS - 1) for first in range(0, contacts + 1, READ_BLOCK_CONTACTS)
                )
            ]
        )
    return Floor(time.perf_counter() - started, len(table), int(table[:, 0].sum()))


def _packable_columns(connection):
    """The three columns with their ranges, each bound one index lookup, as the engine finds them (snapshot.py
    `_activity_columns`)."""
    from connector.store.packed_rows import IntColumn

    least, greatest, kinds, contacts = connection.exec_driver_sql(
        "SELECT (SELECT min(occurred_at) FROM activity), (SELECT max(occurred_at) FROM activity),"
        " (SELECT max(id) FROM activity_kind), (SELECT max(id) FROM contact)"
    ).one()
    return (
        IntColumn("contact_id", 0, contacts or 0),
        IntColumn("kind_id", 0, kinds or 0),
        IntColumn("occurred_at", least or 0, greatest or 0),
    )


def copy_floor(engine: Engine) -> Floor:
    """The three columns as binary COPY, parsed by a numpy view of the bytes (PostgreSQL only)."""
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        selected = ", ".join(f"{name}::bigint" for name in COLUMNS)  # fixed-width rows: one dtype parses them all
        buffer = bytearray()
        with cursor.copy(f"COPY (SELECT {selected} FROM activity) TO STDOUT (FORMAT BINARY)") as copy:
            for block in copy:
                buffer += block
        cursor.close()
    finally:
        raw.close()
    rows = np.frombuffer(
        buffer,
        dtype=COPY_ROW,
        offset=COPY_HEADER,
        count=(len(buffer) - COPY_HEADER - COPY_TRAILER) // COPY_ROW.itemsize,
    )
    columns = [rows[f"v{index}"].astype(np.int64) for index in range(len(COLUMNS))]
    return Floor(time.perf_counter() - started, len(rows), int(columns[0].sum()))
