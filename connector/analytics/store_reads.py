"""Reading the store for analytics: SQLAlchemy queries on the store's tables, results as columns or arrays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy import BigInteger, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from connector.store.tables import Contact

FETCH_ROWS = 200_000


def live_contacts():
    """The contacts analytics count: not deleted, not merged into another record."""
    return (Contact.deleted.is_(False)) & (Contact.merged_into_id.is_(None))


def epoch_seconds(column):
    """A stored time read as its plain epoch seconds: no datetime per row when reading many rows into arrays."""
    return type_coerce(column, BigInteger)


def read_columns(connection: Connection, query: Select) -> list[tuple]:
    """A query's result as one tuple per column (empty tuples when there are no rows), values as the driver gives
    them: no type processing, so select times through `epoch_seconds`."""
    with _raw_cursor(connection, query) as cursor:
        rows = cursor.fetchall()
    return list(zip(*rows, strict=True)) if rows else [()] * len(query.selected_columns)


def read_numbers(connection: Connection, query: Select, dtype: np.dtype) -> np.ndarray:
    """A query of numeric columns as a structured array of `dtype` (one field per selected column, in order).

    Each batch of the driver's rows goes straight into numpy: the score history has millions of rows, and a
    Python object per value would cost more than the query."""
    with _raw_cursor(connection, query) as cursor:
        batches = [np.array(batch, dtype=dtype) for batch in iter(lambda: cursor.fetchmany(FETCH_ROWS), [])]
    return np.concatenate(batches) if batches else np.zeros(0, dtype=dtype)


@contextmanager
def _raw_cursor(connection: Connection, query: Select) -> Iterator:
    """The query run on the driver's own cursor, skipping SQLAlchemy's row objects and result processing.

    Parameters go to the driver as they are, so they must be plain values (epoch seconds, not datetimes)."""
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        yield cursor
    finally:
        cursor.close()
