"""Reading several integer columns as one packed integer per row: half the Python objects of a plain read.

A driver that returns rows (sqlite3, psycopg) builds a tuple and one int object per value; for the millions of
activity rows of a full rescore that is most of the read's cost. When the columns' ranges are known, the database
can pack them into one 64-bit integer per row (`((a - lo_a) * 2^bits_b + (b - lo_b)) * 2^bits_c + ...`), and numpy
unpacks the whole array with shifts and masks. A row whose value falls outside the ranges it was packed for (a row
written while the run reads) comes back as -1 instead of a wrong packing, and the read is done again unpacked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from sqlalchemy.engine import Connection

from connector.store.bulk import raw_rows

#: Bits a packed row may use: SQLite's integers are signed 64-bit and turn into floats on overflow
#: (https://www.sqlite.org/datatype3.html), PostgreSQL's bigint raises; 62 keeps every sum clear of both.
PACKED_BITS = 62
#: A row outside the ranges it was packed for.
OUT_OF_RANGE = -1


@dataclass(frozen=True)
class IntColumn:
    """A column (an SQL expression) read as int64, with the least and greatest value it can hold in this read."""

    expression: str
    least: int
    greatest: int

    @property
    def bits(self) -> int:
        return max(self.greatest - self.least, 1).bit_length()


def int_table(batches: Iterable[list[tuple]], width: int) -> np.ndarray:
    """Rows of `width` integers as an (n, width) int64 array."""
    # fromiter over the flattened tuples is about 4x faster than np.array on a list of tuples
    parts = [
        np.fromiter(chain.from_iterable(batch), dtype=np.int64, count=len(batch) * width).reshape(-1, width)
        for batch in batches
    ]
    return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)


def read_int_columns(
    connection: Connection, columns: Sequence[IntColumn], from_where: str, params: Sequence[object] = ()
) -> np.ndarray:
    """`SELECT <columns> <from_where>` as an (n, len(columns)) int64 array, packed when the ranges allow it."""
    plain = f"SELECT {', '.join(column.expression for column in columns)} {from_where}"
    if sum(column.bits for column in columns) > PACKED_BITS or any(c.greatest < c.least for c in columns):
        return int_table(raw_rows(connection, plain, params), len(columns))
    packed = int_table(raw_rows(connection, f"SELECT {_packed(columns)} {from_where}", params), 1)[:, 0]
    if len(packed) and packed.min() == OUT_OF_RANGE:
        return int_table(raw_rows(connection, plain, params), len(columns))
    return _unpacked(packed, columns)


def _packed(columns: Sequence[IntColumn]) -> str:
    packed, in_range = "CAST(0 AS BIGINT)", []
    for column in columns:
        # Multiplying by 2^bits is the shift, written so that both databases read it the same way; BIGINT keeps
        # PostgreSQL from doing the sums in its 32-bit integer type.
        packed = f"({packed}) * {1 << column.bits} + (CAST({column.expression} AS BIGINT) - {column.least})"
        in_range.append(f"{column.expression} BETWEEN {column.least} AND {column.greatest}")
    return f"CASE WHEN {' AND '.join(in_range)} THEN {packed} ELSE {OUT_OF_RANGE} END"


def _unpacked(packed: np.ndarray, columns: Sequence[IntColumn]) -> np.ndarray:
    table = np.empty((len(packed), len(columns)), dtype=np.int64)
    shift = 0
    for index in range(len(columns) - 1, -1, -1):
        column = columns[index]
        table[:, index] = ((packed >> shift) & ((1 << column.bits) - 1)) + column.least
        shift += column.bits
    return table
