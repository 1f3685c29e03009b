"""Set-based reads and writes straight through the driver: many rows per statement, no ORM objects.

Reads fetch plain tuples in large batches; writes use COPY on PostgreSQL and executemany on SQLite. Table and
column names come from the table definitions (connector/store/tables.py), never typed by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain

import numpy as np
from sqlalchemy import Table
from sqlalchemy.engine import Connection

FETCH_ROWS = 500_000
STAGING_TABLE = "scoring_staging"


def placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def raw_rows(connection: Connection, sql: str, params: Sequence[object] = ()) -> Iterator[list[tuple]]:
    """Rows in batches straight from the driver's cursor, skipping SQLAlchemy's row objects for speed."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql.replace("?", placeholder(connection)), tuple(params))
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield batch
    finally:
        cursor.close()


def int_table(connection: Connection, sql: str, params: Sequence[object], width: int) -> np.ndarray:
    """The rows of a query selecting `width` integer columns (never NULL) as one int64 array of shape (rows, width).

    PostgreSQL sends them as binary COPY, parsed by one numpy view of the bytes (no Python object per row: about
    15% less time than fetching tuples for 2,000,000 activities, benchmarks/read_floor.py); SQLite's rows go
    through `fetchmany` and `np.fromiter` over the flattened tuples (about 4x faster than `np.array` on tuples).
    """
    if connection.dialect.name == "postgresql":
        return _copied_int_table(connection, sql, params, width)
    parts = [
        np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=len(batch) * width).reshape(-1, width)
        for batch in raw_rows(connection, sql, params)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)


#: PostgreSQL's binary COPY framing (https://www.postgresql.org/docs/current/sql-copy.html, "Binary Format"): an
#: 11-byte signature, 32-bit flags and header-extension length (0), then per row a 16-bit field count and per field
#: a 32-bit length and the value, big-endian; a 16-bit -1 ends the data.
_COPY_HEADER, _COPY_TRAILER = 19, 2


def _copied_int_table(connection: Connection, sql: str, params: Sequence[object], width: int) -> np.ndarray:
    cursor = connection.connection.dbapi_connection.cursor()
    data = bytearray()
    try:
        statement = f"COPY ({sql.replace('?', '%s')}) TO STDOUT (FORMAT BINARY)"
        with cursor.copy(statement, tuple(params)) as copy:
            for block in copy:
                data += block
    finally:
        cursor.close()
    body = memoryview(data)[_COPY_HEADER : len(data) - _COPY_TRAILER]
    if not len(body):
        return np.zeros((0, width), dtype=np.int64)
    # integer columns have one width each (2, 4 or 8 bytes), so the first row's lengths give every row's layout
    sizes = _field_sizes(body, width)
    fields = [("count", ">i2")]
    for index, size in enumerate(sizes):
        fields += [(f"length{index}", ">i4"), (f"value{index}", f">i{max(size, 1)}")]
    layout = np.dtype(fields)
    uniform = not len(body) % layout.itemsize and all(size in (2, 4, 8) for size in sizes)
    rows = np.frombuffer(body, dtype=layout) if uniform else None
    if (
        rows is None
        or (rows["count"] != width).any()
        or any((rows[f"length{i}"] != n).any() for i, n in enumerate(sizes))
    ):
        raise ValueError(f"COPY of {sql!r} did not return {width} non-NULL integer columns")
    return np.stack([rows[f"value{index}"].astype(np.int64) for index in range(width)], axis=1)


def _field_sizes(body: memoryview, width: int) -> list[int]:
    sizes, offset = [], 2  # past the first row's field count
    for _ in range(width):
        size = int.from_bytes(body[offset : offset + 4], "big", signed=True)
        sizes.append(size)
        offset += 4 + max(size, 0)
    return sizes


def insert_rows(connection: Connection, table: Table | str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    name = table if isinstance(table, str) else table.name
    names = ", ".join(columns)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            # COPY is several times faster than psycopg's executemany for 100,000 rows
            with cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join([placeholder(connection)] * len(columns))
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", rows)
    finally:
        cursor.close()


def upsert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows, or update every column but the primary key where a row with that key exists."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in keys)
    names = ", ".join(columns)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    if connection.dialect.name != "postgresql":
        marks = ", ".join([placeholder(connection)] * len(columns))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks}) {conflict}", rows)
        finally:
            cursor.close()
        return
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{STAGING_TABLE}")
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGING_TABLE} AS SELECT {names} FROM {table.name} WITH NO DATA"
    )
    insert_rows(connection, STAGING_TABLE, columns, rows)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {STAGING_TABLE} {conflict}")
