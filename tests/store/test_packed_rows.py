"""Integer columns read packed into one integer per row: the same values as a plain read, whatever the data."""

from __future__ import annotations

import numpy as np
import pytest

from connector.store.packed_rows import IntColumn, read_int_columns

ROWS = [(7, 3, 1_700_000_000), (9, 0, 1_700_000_500), (8, 41, 1_699_999_000), (7, 3, 1_700_000_000)]
FROM = "FROM packed_sample"


@pytest.fixture
def sample(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE packed_sample (a INTEGER, b INTEGER, c BIGINT)")
        for row in ROWS:
            connection.exec_driver_sql(f"INSERT INTO packed_sample VALUES ({row[0]}, {row[1]}, {row[2]})")
    return engine


def columns(a=(7, 9), b=(0, 41), c=(1_699_999_000, 1_700_000_500)) -> tuple[IntColumn, ...]:
    return IntColumn("a", *a), IntColumn("b", *b), IntColumn("c", *c)


def read(engine, wanted) -> list[tuple[int, ...]]:
    with engine.connect() as connection:
        table = read_int_columns(connection, wanted, FROM)
    assert table.dtype == np.int64
    return sorted(tuple(row) for row in table.tolist())


def test_packed_read_gives_the_rows_a_plain_read_gives(sample):
    assert read(sample, columns()) == sorted(ROWS)


def test_a_value_outside_the_ranges_given_is_read_again_unpacked_not_mangled(sample):
    # A kind added while the run reads would be above the highest id it packed for.
    assert read(sample, columns(b=(0, 40))) == sorted(ROWS)
    assert read(sample, columns(a=(8, 9))) == sorted(ROWS)


def test_ranges_too_wide_for_one_integer_read_plain(sample):
    assert read(sample, columns(a=(0, 2**40), c=(0, 2**40))) == sorted(ROWS)


def test_an_empty_read_has_the_columns_width(sample):
    with sample.connect() as connection:
        table = read_int_columns(connection, columns(), "FROM packed_sample WHERE a < 0")
    assert table.shape == (0, 3)
