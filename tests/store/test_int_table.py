"""`int_table`: integer query results as one int64 array, by binary COPY on PostgreSQL and fetchmany on SQLite."""

from __future__ import annotations

import numpy as np
import pytest

from connector.store.bulk import int_table

VALUES = "SELECT 3, 2000000000000, -7 UNION ALL SELECT 1, -5, 2147483648"


def test_rows_of_integer_columns_of_any_width_come_back_as_int64(engine):
    with engine.connect() as connection:
        table = int_table(connection, f"SELECT * FROM ({VALUES}) q WHERE 1 <= ? ORDER BY 1", (1,), 3)

    assert table.dtype == np.int64
    assert table.tolist() == [[1, -5, 2147483648], [3, 2000000000000, -7]]


def test_a_query_without_rows_gives_an_empty_table_of_its_width(engine):
    with engine.connect() as connection:
        table = int_table(connection, f"SELECT * FROM ({VALUES}) q WHERE 1 > ?", (1,), 3)

    assert table.shape == (0, 3)


def test_small_whole_and_big_integer_columns_read_back_as_stored(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TEMPORARY TABLE numbers (small SMALLINT, whole INTEGER, big BIGINT)")
        connection.exec_driver_sql("INSERT INTO numbers VALUES (1, 70000, 9000000000), (-2, -70000, -9000000000)")
        table = int_table(connection, "SELECT small, whole, big FROM numbers ORDER BY small", (), 3)

    assert table.tolist() == [[-2, -70000, -9000000000], [1, 70000, 9000000000]]


def test_a_null_is_refused_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's rows are tuples: np.fromiter refuses None by itself")
    with engine.connect() as connection, pytest.raises(ValueError, match="non-NULL integer columns"):
        int_table(connection, "SELECT 1, NULL::bigint UNION ALL SELECT 2, 3", (), 2)
